//! Progress of a pack's writing phase, for a progress bar.

/// Receives the progress of the writing phase of a pack, for a progress bar; every method has
/// an empty default. Called from the calling thread.
pub trait PackReporter {
    /// Writing starts: `total_bytes` of file data in `entries` entries.
    fn on_start(&self, total_bytes: u64, entries: usize) {
        let _ = (total_bytes, entries);
    }
    /// An entry starts (its path inside the archive).
    fn on_entry(&self, path: &str) {
        let _ = path;
    }
    /// `n` more bytes of file data were written.
    fn on_bytes(&self, n: u64) {
        let _ = n;
    }
    /// Everything is written and in place.
    fn on_finish(&self) {}
}

/// A [`PackReporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopReporter;

impl PackReporter for NoopReporter {}
