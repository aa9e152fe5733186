//! The HTTP opener against the media host of `stimpack-testserver`: what the probers read
//! through it is the file's bytes, at any offset, with or without range support; failures
//! are retried with the policy given, then reported.

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use stimpack_client::RetryPolicy;
use stimpack_core::{Code, MediaKind, Opened, UrlOpener};
use stimpack_online::{HttpOpener, OnlineOptions};
use stimpack_testserver::media_host::{MediaHost, MediaHostConfig};

fn options() -> OnlineOptions {
    OnlineOptions {
        allow_private: true,
        retry: RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            max_attempts: 3,
            ..RetryPolicy::default()
        },
        ..OnlineOptions::default()
    }
}

fn served(bytes: &[u8]) -> (tempfile::TempDir, MediaHost) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("s")).unwrap();
    std::fs::write(tmp.path().join("s/a.bin"), bytes).unwrap();
    let host = MediaHost::start(tmp.path(), MediaHostConfig::default()).unwrap();
    (tmp, host)
}

#[test]
fn reads_at_any_offset_give_the_file_s_bytes_with_and_without_ranges() {
    let bytes: Vec<u8> = (0..700_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let (_tmp, host) = served(&bytes);
    let opener = HttpOpener::new(options(), 4);
    for mode in ["range", "norange"] {
        let Opened::File(mut file, _) = opener.open(&host.url(mode, "s/a.bin"), "bin", None) else {
            panic!("{mode}: not opened");
        };
        assert_eq!(file.len(), bytes.len() as u64);
        // Forward reads across blocks, a jump to the tail, and back to the middle.
        for (at, n) in [
            (0u64, 10usize),
            (5, 100_000),
            (200_000, 300_000),
            (699_990, 10),
            (699_000, 1000),
            (1000, 5),
        ] {
            file.seek(SeekFrom::Start(at)).unwrap();
            let mut buf = vec![0u8; n];
            file.read_exact(&mut buf).unwrap();
            assert_eq!(buf, bytes[at as usize..at as usize + n], "{mode} at {at}");
        }
        let mut end = [0u8; 4];
        file.seek(SeekFrom::End(0)).unwrap();
        assert_eq!(file.read(&mut end).unwrap(), 0, "{mode}: nothing past the end");
    }
}

#[test]
fn server_errors_are_retried_with_the_policy_then_reported() {
    let (_tmp, host) = served(b"RIFF");
    let opener = HttpOpener::new(options(), 4);
    let Opened::Failed(findings) = opener.open(&host.url("500", "s/a.bin"), "wav", Some(MediaKind::Audio))
    else {
        panic!("opened");
    };
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, Code::UrlError);
    assert!(
        findings[0].message.contains("HTTP 500"),
        "{}",
        findings[0].message
    );
    assert_eq!(host.requests().len(), 3, "three attempts");
    assert_eq!(opener.stats().requests(), 3);
}

#[test]
fn a_body_cut_short_past_the_head_is_an_error_that_says_so() {
    let bytes = vec![1u8; 300_000];
    let (_tmp, host) = served(&bytes);
    let opener = HttpOpener::new(options(), 4);
    let Opened::File(mut file, _) = opener.open(&host.url("truncated-later", "s/a.bin"), "bin", None) else {
        panic!("not opened");
    };
    file.seek(SeekFrom::Start(200_000)).unwrap();
    let err = file.read(&mut [0u8; 10]).unwrap_err();
    assert!(err.to_string().contains("cut its answer"), "{err}");
    assert!(!err.to_string().contains('?'), "no query string: {err}");
}

#[test]
fn a_host_that_does_not_answer_is_a_url_error() {
    // A port nothing listens on: the connection is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opener = HttpOpener::new(options(), 4);
    let Opened::Failed(findings) = opener.open(&format!("http://127.0.0.1:{port}/s/a.wav"), "wav", None)
    else {
        panic!("opened");
    };
    assert_eq!(findings[0].code, Code::UrlError, "{findings:?}");
    // The same host is not asked again: a dead host costs one file's retries, not every file's.
    let requests = opener.stats().requests();
    let Opened::Failed(findings) = opener.open(&format!("http://127.0.0.1:{port}/s/b.wav"), "wav", None)
    else {
        panic!("opened");
    };
    assert_eq!(findings[0].code, Code::UrlError);
    assert!(
        findings[0].message.contains("did not answer an earlier request"),
        "{findings:?}"
    );
    assert_eq!(opener.stats().requests(), requests);
}

/// Found by the benchmark: an MP3 read through after a look at its tail (for ID3v1) fetched
/// the tail's 64 KiB twice (109% of the file), and restarted its block growth at 64 KiB.
#[test]
fn a_file_read_through_after_its_tail_is_fetched_once_in_few_requests() {
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let (_tmp, host) = served(&bytes);
    let opener = HttpOpener::new(options(), 4);
    let Opened::File(mut file, _) = opener.open(&host.url("range", "s/a.bin"), "bin", None) else {
        panic!("not opened");
    };
    file.seek(SeekFrom::End(-128)).unwrap();
    file.read_exact(&mut [0u8; 128]).unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    let mut all = Vec::new();
    file.read_to_end(&mut all).unwrap();
    assert!(all == bytes);
    assert_eq!(opener.stats().bytes_fetched(), bytes.len() as u64);
    assert!(
        opener.stats().requests() <= 5,
        "{} requests",
        opener.stats().requests()
    );
}

#[test]
fn a_host_slower_than_the_read_timeout_is_a_url_error_that_says_time_out() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("s")).unwrap();
    std::fs::write(tmp.path().join("s/a.wav"), b"RIFF").unwrap();
    let config = MediaHostConfig {
        slow: Duration::from_secs(3),
        ..MediaHostConfig::default()
    };
    let host = MediaHost::start(tmp.path(), config).unwrap();
    let options = OnlineOptions {
        read_timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_attempts: 1,
            ..options().retry
        },
        ..options()
    };
    let opener = HttpOpener::new(options, 4);
    let started = std::time::Instant::now();
    let Opened::Failed(findings) = opener.open(&host.url("slow", "s/a.wav"), "wav", None) else {
        panic!("opened");
    };
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(findings[0].code, Code::UrlError);
    assert!(
        findings[0].message.contains("time-out"),
        "{}",
        findings[0].message
    );
}
