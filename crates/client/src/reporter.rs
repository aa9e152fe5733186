//! The progress callbacks a front end implements to show uploads, retries and polling.

use std::time::Duration;

use crate::mabyduck::DatasetStatus;

/// Receives progress from a running upload; every method has an empty default.
///
/// Modelled on `uv-publish`'s `Reporter`: the library calls these from the thread that
/// runs the request, the front end turns them into a progress bar or log lines. The same
/// scheme as `stimpack_core::PackReporter`: a `…Reporter` trait of `on_*` methods that all
/// default to nothing, and a [`NoopReporter`] to pass when nothing is shown.
pub trait Reporter {
    /// The platform created the dataset; `dataset_id` is what `stimpack status` takes.
    fn on_dataset_created(&self, dataset_id: &str) {
        let _ = dataset_id;
    }

    /// An upload attempt starts and will send `total_bytes`. A retried upload calls this
    /// again and starts again from zero.
    fn on_upload_start(&self, total_bytes: u64) {
        let _ = total_bytes;
    }

    /// `bytes` more bytes were handed to the connection (an increment, not a total).
    fn on_upload_progress(&self, bytes: u64) {
        let _ = bytes;
    }

    /// The platform accepted the whole file.
    fn on_upload_complete(&self) {}

    /// A request failed in a way worth retrying; the next attempt starts after `retry.wait`.
    /// A front end shows one line per call ("HTTP 503, retrying in 2.3 s (attempt 2 of 6)").
    fn on_retry(&self, retry: &RetryEvent) {
        let _ = retry;
    }

    /// A status poll answered `status`.
    fn on_status(&self, status: &DatasetStatus) {
        let _ = status;
    }

    /// Something the user should know that does not stop the upload (a dataset that
    /// expires soon), as one sentence.
    fn on_warning(&self, message: &str) {
        let _ = message;
    }
}

/// One retry of a request, as told to [`Reporter::on_retry`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryEvent {
    /// The attempt about to be made (1-based; the first retry is attempt 2).
    pub next_attempt: u32,
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// How long until the next attempt.
    pub wait: Duration,
    /// Why the last attempt failed ("HTTP 503", "connection reset", ...), without secrets.
    pub reason: String,
}

impl std::fmt::Display for RetryEvent {
    /// `HTTP 503, retrying in 2.3 s (attempt 2 of 6)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, retrying in {:.1} s (attempt {} of {})",
            self.reason,
            self.wait.as_secs_f64(),
            self.next_attempt,
            self.max_attempts
        )
    }
}

/// A [`Reporter`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopReporter;

impl Reporter for NoopReporter {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_reads_as_one_line() {
        let retry = RetryEvent {
            next_attempt: 2,
            max_attempts: 6,
            wait: Duration::from_millis(2300),
            reason: "HTTP 503".into(),
        };
        assert_eq!(retry.to_string(), "HTTP 503, retrying in 2.3 s (attempt 2 of 6)");
    }
}
