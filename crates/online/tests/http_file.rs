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

/// A range answer that says it holds other bytes than those asked for is an error, never bytes
/// put where they do not belong.
#[test]
fn a_range_answer_holding_other_bytes_is_an_error() {
    let bytes = pattern(300_000);
    let (_tmp, host) = served(&bytes);
    let opener = HttpOpener::new(options(), 4);
    let Opened::File(mut file, _) = opener.open(&host.url("otherrange", "s/a.bin"), "bin", None) else {
        panic!("not opened");
    };
    file.seek(SeekFrom::Start(200_000)).unwrap();
    let err = file.read(&mut [0u8; 10]).unwrap_err();
    assert!(err.to_string().contains("with other bytes"), "{err}");
}

/// A URL's user info and query string are secrets: no message shows them.
#[test]
fn messages_never_show_user_info_or_the_query_string() {
    let (_tmp, host) = served(b"RIFF");
    let opener = HttpOpener::new(options(), 4);
    let url = host
        .url("404", "s/a.wav?X-Amz-Signature=sig123")
        .replace("http://", "http://user:pw456@");
    let Opened::Failed(findings) = opener.open(&url, "wav", Some(MediaKind::Audio)) else {
        panic!("opened");
    };
    assert!(
        findings.iter().any(|f| f.code == Code::UrlNotFound),
        "{findings:?}"
    );
    for f in &findings {
        assert!(
            !f.message.contains("pw456") && !f.message.contains("sig123"),
            "{}",
            f.message
        );
        assert!(f.message.contains("/404/s/a.wav"), "{}", f.message);
    }
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

/// Serves `files` (name, bytes) under `s/`.
fn served_many(files: &[(&str, &[u8])]) -> (tempfile::TempDir, MediaHost) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("s")).unwrap();
    for (name, bytes) in files {
        std::fs::write(tmp.path().join("s").join(name), bytes).unwrap();
    }
    let host = MediaHost::start(tmp.path(), MediaHostConfig::default()).unwrap();
    (tmp, host)
}

fn pattern(len: u32) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Opens `name` in `mode`, checks bytes at the head, at the end and in between against `bytes`,
/// and gives the findings and the Range header of each request the host saw for it.
fn open_and_read(
    opener: &HttpOpener,
    host: &MediaHost,
    mode: &str,
    name: &str,
    bytes: &[u8],
) -> (Vec<Code>, Vec<String>) {
    let before = host.requests().len();
    let ext = name.rsplit('.').next().unwrap();
    let Opened::File(mut file, findings) = opener.open(&host.url(mode, &format!("s/{name}")), ext, None)
    else {
        panic!("{mode} {name}: not opened");
    };
    assert_eq!(file.len(), bytes.len() as u64);
    let len = bytes.len();
    for (at, n) in [
        (0usize, 100usize),
        (len - 100, 100),
        (len - 70_000, 1000),
        (10, 20),
    ] {
        file.seek(SeekFrom::Start(at as u64)).unwrap();
        let mut buf = vec![0u8; n];
        file.read_exact(&mut buf).unwrap();
        assert_eq!(buf, bytes[at..at + n], "{mode} {name} at {at}");
    }
    let ranges = host.requests()[before..]
        .iter()
        .map(|r| r.range.clone().unwrap_or_default())
        .collect();
    (findings.iter().map(|f| f.code).collect(), ranges)
}

/// For files whose probe reads the end (FLAC here), the head and the last 64 KiB come in one
/// answer of two parts; a read between them is a request of its own.
#[test]
fn the_head_and_the_end_come_in_one_request_where_the_host_serves_two_ranges() {
    let bytes = pattern(700_000);
    let (_tmp, host) = served_many(&[("a.flac", &bytes), ("a.wav", &bytes)]);
    let opener = HttpOpener::new(options(), 4);
    let (findings, ranges) = open_and_read(&opener, &host, "range", "a.flac", &bytes);
    assert_eq!(findings, []);
    // (up to where the kept end begins)
    assert_eq!(ranges, ["bytes=0-65535,-65536", "bytes=630000-634463"]);
    // A WAV says its length up front: its head alone is asked for.
    let (_, ranges) = open_and_read(&opener, &host, "range", "a.wav", &bytes);
    assert_eq!(ranges[0], "bytes=0-65535");
}

/// A host that answers two ranges with the whole file or 416 (as object stores without
/// multi-range support do) costs the first file one more request; the files after it are asked
/// for one range at a time. Nothing is reported: it serves ranges.
#[test]
fn a_host_that_refuses_two_ranges_is_asked_for_one_after_the_first_file() {
    let bytes = pattern(700_000);
    for mode in ["onerange", "multi416"] {
        let (_tmp, host) = served_many(&[("a.flac", &bytes), ("b.flac", &bytes)]);
        let opener = HttpOpener::new(options(), 4);
        let (findings, ranges) = open_and_read(&opener, &host, mode, "a.flac", &bytes);
        assert_eq!(findings, [], "{mode}");
        assert_eq!(ranges[..2], ["bytes=0-65535,-65536", "bytes=0-65535"], "{mode}");
        let (findings, ranges) = open_and_read(&opener, &host, mode, "b.flac", &bytes);
        assert_eq!(findings, [], "{mode}");
        assert_eq!(ranges[0], "bytes=0-65535", "{mode}: {ranges:?}");
        assert!(!ranges.iter().any(|r| r.contains(',')), "{mode}: {ranges:?}");
    }
}

/// An answer to two ranges whose parts are not what they say is not used: the head is asked
/// for alone, and the bytes read are the file's.
#[test]
fn a_wrong_multi_range_answer_is_not_used() {
    let bytes = pattern(700_000);
    let (_tmp, host) = served_many(&[("a.flac", &bytes)]);
    let opener = HttpOpener::new(options(), 4);
    let (findings, ranges) = open_and_read(&opener, &host, "badmulti", "a.flac", &bytes);
    assert_eq!(findings, []);
    assert_eq!(ranges[..2], ["bytes=0-65535,-65536", "bytes=0-65535"]);
}

/// nginx answers two ranges that add up to more than the file with the whole file (200). From
/// a host that has served ranges, that is a small file read in one request, not a host without
/// range support; from a host not known yet, the head is asked for alone to tell which.
#[test]
fn a_small_file_sent_whole_is_not_taken_for_missing_range_support() {
    let big = pattern(700_000);
    let small = pattern(100_000);
    let (_tmp, host) = served_many(&[
        ("big.flac", &big),
        ("small.flac", &small),
        ("small2.flac", &small),
    ]);
    let opener = HttpOpener::new(options(), 4);
    let (findings, ranges) = open_and_read(&opener, &host, "nginx", "small.flac", &small);
    assert_eq!(findings, []);
    assert_eq!(ranges[..2], ["bytes=0-65535,-65536", "bytes=0-65535"]);
    let (_, ranges) = open_and_read(&opener, &host, "nginx", "big.flac", &big);
    assert_eq!(ranges[0], "bytes=0-65535,-65536");
    let (findings, ranges) = open_and_read(&opener, &host, "nginx", "small2.flac", &small);
    assert_eq!(findings, []);
    assert_eq!(
        ranges,
        ["bytes=0-65535,-65536"],
        "one request for the whole small file"
    );
    // A host that ignores ranges altogether is still found out, and asked for two ranges only
    // once (here for a small file: it sends every file whole).
    let opener = HttpOpener::new(options(), 4);
    let (findings, ranges) = open_and_read(&opener, &host, "norange", "small.flac", &small);
    assert_eq!(findings, [Code::NoRangeSupport]);
    assert_eq!(ranges[..2], ["bytes=0-65535,-65536", "bytes=0-65535"]);
    let (findings, ranges) = open_and_read(&opener, &host, "norange", "small2.flac", &small);
    assert_eq!(findings, [Code::NoRangeSupport]);
    assert_eq!(ranges[0], "bytes=0-65535", "{ranges:?}");
}

/// Found by trying big hosted Ogg and PNG files: their probes walk every page or chunk header,
/// skipping the payloads between, and each skip past a block's end restarted at a 64 KiB block
/// (25 requests for a 1.7 MB Ogg file). A walk with gaps now grows its blocks as a straight read
/// does.
#[test]
fn a_walk_over_headers_with_gaps_between_them_grows_its_blocks() {
    let bytes = pattern(2_000_000);
    let (_tmp, host) = served(&bytes);
    let opener = HttpOpener::new(options(), 4);
    let Opened::File(mut file, _) = opener.open(&host.url("range", "s/a.bin"), "bin", None) else {
        panic!("not opened");
    };
    let mut at = 0usize;
    while at + 27 <= bytes.len() {
        let mut header = [0u8; 27];
        file.seek(SeekFrom::Start(at as u64)).unwrap();
        file.read_exact(&mut header).unwrap();
        assert_eq!(header[..], bytes[at..at + 27]);
        at += 4000 + at % 9000; // payloads of 4 to 13 kB
    }
    let requests = opener.stats().requests();
    assert!(requests <= 5, "{requests} requests");
}

/// A host that trickles its answers (20 kB/s here, where at least 1 MB/s is asked for) is given
/// up on once a body is late for that rate, with words that say so: a trickling host cannot hold
/// up the run, though each read still gets something within the read time-out.
#[test]
fn a_host_sending_slower_than_the_minimum_rate_is_given_up_on() {
    let bytes = pattern(300_000);
    let (_tmp, host) = served_many(&[("a.wav", &bytes)]);
    let options = OnlineOptions {
        read_timeout: Duration::from_millis(300),
        min_rate: 1_000_000,
        ..options()
    };
    let opener = HttpOpener::new(options.clone(), 4);
    let Opened::Failed(findings) = opener.open(&host.url("trickle", "s/a.wav"), "wav", None) else {
        panic!("opened");
    };
    assert_eq!(findings[0].code, Code::UrlError);
    assert!(
        findings[0].message.contains("too slowly"),
        "{}",
        findings[0].message
    );
    // The same options read a host that sends at full speed.
    let opener = HttpOpener::new(options, 4);
    let (findings, _) = open_and_read(&opener, &host, "range", "a.wav", &bytes);
    assert_eq!(findings, []);
}
