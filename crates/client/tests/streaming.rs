//! The upload streams: a 64 MiB file goes out in small chunks with `Content-Length`,
//! and the process's peak memory grows far less than the file. Alone in its own test
//! binary so no other test's allocations disturb the peak-memory reading.

mod common;

use std::fs::File;

use common::*;
use stimpack_client::CreateDatasetRequest;
use stimpack_testserver::{Route, ServerConfig, TestServer};

const SIZE: u64 = 64 * 1024 * 1024;

/// Peak resident set size of this process, from /proc (Linux only).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn large_upload_streams_in_chunks_without_reading_the_file_whole() {
    let server = TestServer::start(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.zip");
    // Sparse: takes no disk to create, reads back as zeros.
    File::create(&path).unwrap().set_len(SIZE).unwrap();
    let client = client(&server);
    let recorder = Recorder::default();
    let created = client
        .create_dataset(
            &CreateDatasetRequest {
                name: "large".into(),
                filename: "large.zip".into(),
                retention_days: None,
            },
            &recorder,
        )
        .unwrap();
    let peak_before = peak_rss_bytes();

    let bytes = client.upload_file(&created, &path, &recorder).unwrap();

    assert_eq!(bytes, SIZE);
    let chunks = recorder.progress();
    assert_eq!(chunks.iter().sum::<u64>(), SIZE);
    let largest = *chunks.iter().max().unwrap();
    assert!(largest <= 1024 * 1024, "largest progress step {largest} bytes");
    assert!(chunks.len() >= 64, "only {} progress steps", chunks.len());
    let put = &server.requests_to(Route::Upload)[0];
    assert_eq!(put.header("content-length"), Some(&*SIZE.to_string()));
    assert_eq!(put.body_bytes, SIZE);
    if let (Some(before), Some(after)) = (peak_before, peak_rss_bytes()) {
        let growth = after.saturating_sub(before);
        assert!(
            growth < SIZE / 2,
            "peak memory grew by {growth} bytes for a {SIZE}-byte upload"
        );
    }
}
