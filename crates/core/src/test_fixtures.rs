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
