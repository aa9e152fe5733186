//! The committed fixtures under `testdata/fixtures/`, for the unit tests.

use std::path::PathBuf;

/// A fixture folder (`audio`, `mp3`, `video`, `image`) or file, by its path under
/// `testdata/fixtures/`.
pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/fixtures")).join(rel)
}

/// A fixture's bytes; panics with the path if it cannot be read.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = fixture_path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A reader over bytes in memory that counts what the code under test asks of it: bytes read
/// and calls made. Tests of work bounds assert on these counts (a parser that went quadratic
/// reads many times the file), never on wall-clock time, which a busy machine stretches.
pub struct CountingReader<'a> {
    inner: std::io::Cursor<&'a [u8]>,
    /// Bytes handed out by `read`.
    pub bytes_read: u64,
    /// Calls to `read` and `seek`.
    pub calls: u64,
}

impl<'a> CountingReader<'a> {
    /// A counting reader over `data`, at its start.
    pub fn new(data: &'a [u8]) -> Self {
        CountingReader {
            inner: std::io::Cursor::new(data),
            bytes_read: 0,
            calls: 0,
        }
    }
}

impl std::io::Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        let n = self.inner.read(buf)?;
        self.bytes_read += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for CountingReader<'_> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.calls += 1;
        self.inner.seek(pos)
    }
}
