//! `stimpack check --online` end to end: URL lists over the static media host of
//! `stimpack-testserver` on 127.0.0.1 (hence `--allow-private` throughout).

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::Value;
use stimpack_testserver::media_host::{MediaHost, MediaHostConfig};

/// Every kind of fixture, sound or damaged, in three sources.
const FILES: &[(&str, &str)] = &[
    ("aud/reference.wav", "audio/wav_s16le.wav"),
    ("aud/wav_trunc.wav", "audio/wav_s16le_trunc.wav"),
    ("aud/rf64.wav", "audio/wav_rf64.wav"),
    ("aud/aiff.aiff", "audio/aiff_s16be.aiff"),
    ("aud/flac.flac", "audio/flac_s16.flac"),
    ("aud/flac_trunc.flac", "audio/flac_s16_trunc.flac"),
    ("aud/opus.opus", "audio/opus.opus"),
    ("aud/opus_trunc.opus", "audio/opus_trunc.opus"),
    ("aud/chained.opus", "audio/opus_chained.opus"),
    ("aud/vorbis.ogg", "audio/vorbis.ogg"),
    ("aud/cbr.mp3", "mp3/cbr_info.mp3"),
    ("aud/noxing.mp3", "mp3/vbr_noxing.mp3"),
    ("aud/mp3_trunc.mp3", "mp3/truncated.mp3"),
    ("aud/garbage.mp3", "mp3/garbage.mp3"),
    ("aud/adts.aac", "mp3/adts.aac"),
    ("aud/aac.m4a", "video/aac.m4a"),
    ("aud/mislabelled.wav", "mp3/cbr_info.mp3"),
    ("img/png.png", "image/png.png"),
    ("img/jpg.jpg", "image/progressive.jpg"),
    ("img/jpg_trunc.jpg", "image/trunc.jpg"),
    ("img/gif.gif", "image/gif.gif"),
    ("img/webp.webp", "image/lossy.webp"),
    ("img/tif.tif", "image/tiff.tif"),
    ("img/bmp.bmp", "image/bmp.bmp"),
    ("vid/moov_last.mp4", "video/h264_aac.mp4"),
    ("vid/faststart.mp4", "video/h264_aac_faststart.mp4"),
    ("vid/frag.mp4", "video/h264_aac_frag.mp4"),
    ("vid/hevc.mp4", "video/hevc_hvc1.mp4"),
    ("vid/no_moov.mp4", "video/no_moov.mp4"),
    ("vid/trunc_mdat.mp4", "video/trunc_mdat.mp4"),
    ("vid/mov.mov", "video/mov_h264_pcm.mov"),
];

fn host(root: &Path) -> MediaHost {
    MediaHost::start(root, MediaHostConfig::default()).expect("media host starts")
}

/// Writes a URL list of `paths` served in `mode`, and returns its path.
fn url_list(dir: &Path, host: &MediaHost, mode: &str, paths: &[&str]) -> std::path::PathBuf {
    let list = dir.join(format!("{mode}.txt"));
    let text: String = paths.iter().map(|p| host.url(mode, p) + "\n").collect();
    std::fs::write(&list, text).unwrap();
    list
}

fn online(list: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--online", "--allow-private"];
    all.extend_from_slice(args);
    check_json(list, &all)
}

/// A report without what differs between a folder and a URL list of the same files: the
/// stimuli's `url`, the findings' `line`, and the findings with codes in `skip`. (The header
/// details and browser-playability findings are compared too: hosted files get them as well.)
fn comparable(report: &Value, skip: &[&str]) -> (Value, Vec<Value>) {
    let mut groups = report["groups"].clone();
    for group in groups.as_array_mut().unwrap() {
        for s in group["stimuli"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("url");
        }
    }
    let issues = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !skip.contains(&i["code"].as_str().unwrap()))
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut().unwrap().remove("line");
            i
        })
        .collect();
    (groups, issues)
}

fn codes_at(report: &Value, path: &str) -> Vec<String> {
    codes(report)
        .into_iter()
        .filter(|(_, p)| p == path)
        .map(|(c, _)| c)
        .collect()
}

#[test]
fn a_url_list_over_the_media_host_reads_like_the_same_files_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), FILES);
    let (local_code, local) = check_json(&root, &[]);
    let host = host(&root);
    let paths: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    // With ranges (several in one request; one at a time, several refused with the whole file
    // or 416; nginx's whole small files; multi-range answers that lie about their parts), and
    // from a server that ignores them (the whole answer, read on).
    let modes = [
        ("range", &[][..]),
        ("onerange", &[][..]),
        ("multi416", &[][..]),
        ("nginx", &[][..]),
        ("badmulti", &[][..]),
        ("norange", &["no-range-support"][..]),
    ];
    for (mode, extra) in modes {
        let list = url_list(tmp.path(), &host, mode, &paths);
        let (code, report) = online(&list, &[]);
        assert_eq!(code, local_code, "{mode}");
        let skip: Vec<&str> = ["insecure-url"].iter().chain(extra).copied().collect();
        let (groups, issues) = comparable(&report, &skip);
        let (local_groups, local_issues) = comparable(&local, &[]);
        assert_eq!(groups, local_groups, "{mode}: the stimuli differ");
        assert_eq!(issues, local_issues, "{mode}: the findings differ");
        assert_eq!(report["ok"], local["ok"]);
        for key in ["groups", "stimuli", "errors", "duration_s", "bytes"] {
            assert_eq!(
                report["summary"][key], local["summary"][key],
                "{mode}: summary {key}"
            );
        }
        for s in report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["stimuli"].as_array().unwrap())
        {
            let url = s["url"].as_str().unwrap();
            assert!(url.ends_with(s["path"].as_str().unwrap()), "{url}");
        }
    }
}

#[test]
fn big_files_are_read_in_small_ranges_at_the_head_and_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    std::fs::create_dir_all(root.join("s")).unwrap();
    // A WAV of 4 MB: its header and the end of its data chunk are all that is read.
    let wav = std::fs::read(fixture("audio/wav_s16le.wav")).unwrap();
    let data_at = wav.windows(4).position(|w| w == b"data").unwrap();
    let mut big = wav[..data_at].to_vec();
    let samples = 4_000_000u32;
    big.extend_from_slice(b"data");
    big.extend_from_slice(&samples.to_le_bytes());
    big.resize(big.len() + samples as usize, 0);
    let riff = (big.len() - 8) as u32;
    big[4..8].copy_from_slice(&riff.to_le_bytes());
    std::fs::write(root.join("s/reference.wav"), &big).unwrap();
    let host = host(&root);
    let list = url_list(tmp.path(), &host, "range", &["s/reference.wav"]);
    let (_, report) = online(&list, &[]);
    let (_, local) = check_json(&root, &[]);
    assert_eq!(comparable(&report, &["insecure-url"]), comparable(&local, &[]));
    let sent = host.bytes_sent();
    assert!(sent <= 200 << 10, "{sent} bytes of {} were sent", big.len());
    assert!(
        host.requests().iter().all(|r| r.range.is_some()),
        "every request asks for a range"
    );
}

#[test]
fn each_server_failure_gets_its_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(
        &tmp.path().join("data"),
        &[
            ("s/a.wav", "audio/wav_s16le.wav"),
            ("s/b.flac", "audio/flac_s16.flac"),
        ],
    );
    let host = host(&root);
    let cases: &[(&str, &str, &[&str])] = &[
        ("404", "s/a.wav", &["url-not-found"]),
        ("410", "s/a.wav", &["url-not-found"]),
        ("403", "s/a.wav", &["url-forbidden"]),
        ("401", "s/a.wav", &["url-forbidden"]),
        ("redirect-2", "s/a.wav", &["url-redirect"]),
        ("redirect-6", "s/a.wav", &["url-redirect"]),
        ("loop", "s/a.wav", &["url-redirect"]),
        ("html", "s/a.wav", &["content-type-mismatch"]),
        // An error page ignores the Range request too.
        (
            "errorpage",
            "s/a.wav",
            &["content-type-mismatch", "invalid-media", "no-range-support"],
        ),
        ("nocors", "s/a.wav", &["no-cors"]),
        ("norange", "s/a.wav", &["no-range-support"]),
        ("truncated", "s/b.flac", &["url-error"]),
        ("range", "s/missing.wav", &["url-not-found"]),
    ];
    for (mode, path, want) in cases {
        let list = tmp.path().join("one.txt");
        std::fs::write(&list, host.url(mode, path) + "\n").unwrap();
        let (_, report) = online(&list, &[]);
        let mut found = codes_at(&report, path);
        found.retain(|c| c != "insecure-url");
        found.sort();
        let mut want: Vec<String> = want.iter().map(|c| c.to_string()).collect();
        want.sort();
        assert_eq!(found, want, "{mode} {path}: {:#}", report["issues"]);
        let severity = |code: &str| {
            report["issues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == code)
                .map(|i| i["severity"].as_str().unwrap().to_string())
        };
        match *mode {
            "redirect-2" => {
                assert_eq!(severity("url-redirect").as_deref(), Some("warning"));
                // The file behind the redirects is read and measured.
                assert_eq!(stimulus(&report, path)["duration_s"], 1.0);
            }
            "redirect-6" | "loop" => assert_eq!(severity("url-redirect").as_deref(), Some("error")),
            _ => {}
        }
        for i in report["issues"].as_array().unwrap() {
            assert_eq!(i["line"], 1, "URL findings name their line: {i}");
        }
    }
}

#[test]
fn signed_urls_that_expire_within_valid_for_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), &[("s/a.wav", "audio/wav_s16le.wav")]);
    let host = host(&root);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let list = tmp.path().join("signed.txt");
    let run = |url: String, args: &[&str]| {
        std::fs::write(&list, url + "\n").unwrap();
        let (_, report) = online(&list, args);
        let mut found: Vec<(String, String)> = report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["code"] != "insecure-url")
            .map(|i| {
                (
                    i["code"].as_str().unwrap().into(),
                    i["severity"].as_str().unwrap().into(),
                )
            })
            .collect();
        found.sort();
        (found, report)
    };
    let pair = |c: &str, s: &str| (c.to_string(), s.to_string());
    // Two hours left: too short for the default 7 days, enough for --valid-for 1h.
    let (found, report) = run(host.signed_url("s/a.wav", now + 7200), &[]);
    assert_eq!(found, [pair("url-expires", "error")]);
    let message = report["issues"][0]["message"].as_str().unwrap().to_string()
        + report["issues"][1]["message"].as_str().unwrap_or("");
    assert!(
        !message.contains("X-Amz-Signature"),
        "no secrets in messages: {message}"
    );
    assert_eq!(
        run(host.signed_url("s/a.wav", now + 7200), &["--valid-for", "1h"]).0,
        []
    );
    assert_eq!(run(host.signed_url("s/a.wav", now + 30 * 86_400), &[]).0, []);
    // Expired: the host refuses it too.
    let (found, _) = run(host.signed_url("s/a.wav", now - 60), &[]);
    assert_eq!(
        found,
        [pair("url-expires", "error"), pair("url-forbidden", "error")]
    );
    // A CloudFront custom policy: the expiry is inside the signed policy.
    let url = host.url("range", "s/a.wav") + "?Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Signature=abc&Key-Pair-Id=K2";
    assert_eq!(run(url, &[]).0, [pair("url-expires", "warning")]);
}

#[test]
fn without_online_nothing_touches_the_network_and_private_urls_stay_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), &[("s/a.wav", "audio/wav_s16le.wav")]);
    let host = host(&root);
    let list = url_list(tmp.path(), &host, "range", &["s/a.wav"]);
    let (_, offline) = check_json(&list, &[]);
    assert!(has(&offline, "private-url", ""), "{offline:#}");
    let (_, not_allowed) = check_json(&list, &["--online"]);
    assert!(has(&not_allowed, "private-url", ""), "{not_allowed:#}");
    assert!(host.requests().is_empty(), "{:?}", host.requests());
    let out = stimpack()
        .arg("check")
        .arg(&list)
        .arg("--allow-private")
        .output()
        .unwrap();
    assert_exit(&out, 2);
}

#[test]
fn an_mp3_without_a_length_header_is_read_through_up_to_max_download() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), &[("s/a.mp3", "mp3/vbr_noxing.mp3")]);
    let host = host(&root);
    let list = url_list(tmp.path(), &host, "range", &["s/a.mp3"]);
    let (_, whole) = online(&list, &[]);
    let exact = stimulus(&whole, "s/a.mp3")["duration_s"].as_f64().unwrap();
    assert!(!has(&whole, "estimated-reading", "s/a.mp3"));
    let (code, capped) = online(&list, &["--max-download", "5kB"]);
    assert_eq!(code, 0, "{capped:#}");
    assert!(has(&capped, "estimated-reading", "s/a.mp3"), "{capped:#}");
    let estimated = stimulus(&capped, "s/a.mp3")["duration_s"].as_f64().unwrap();
    assert!((estimated - exact).abs() / exact < 0.25, "{estimated} vs {exact}");
    assert!(!has(&capped, "truncated-audio", "s/a.mp3"));
}

#[test]
fn no_more_than_per_host_files_are_read_from_one_host_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<(String, &str)> = (0..12)
        .map(|i| (format!("s/c{i}.wav"), "audio/wav_s16le.wav"))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, f)| (p.as_str(), *f)).collect();
    let root = dataset(&tmp.path().join("data"), &refs);
    let config = MediaHostConfig {
        slow: Duration::from_millis(150),
        ..MediaHostConfig::default()
    };
    let host = MediaHost::start(&root, config).unwrap();
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let list = url_list(tmp.path(), &host, "slow", &paths);
    let (_, report) = online(&list, &["--per-host", "3"]);
    assert_eq!(report["summary"]["stimuli"], 12);
    let peak = host.peak_in_flight();
    assert!((1..=3).contains(&peak), "{peak} requests at once");
}

#[test]
fn bytes_fetched_are_said_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), &[("s/a.wav", "audio/wav_s16le.wav")]);
    let host = host(&root);
    let list = url_list(tmp.path(), &host, "range", &["s/a.wav"]);
    let out = stimpack()
        .args(["check", "--online", "--allow-private"])
        .arg(&list)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let len = std::fs::metadata(root.join("s/a.wav")).unwrap().len();
    let size = format!("{:.1} kB", len as f64 / 1000.0);
    let line = format!("online: 1 file, {size} fetched of {size} (100.0%) in 1 request");
    assert!(stderr.contains(&line), "{stderr}");
    // On stderr, so the report on stdout stays as it is.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("online:"));
}

#[test]
fn pack_and_upload_of_a_url_list_read_it_online() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), &[("s/a.wav", "audio/wav_s16le.wav")]);
    let host = host(&root);
    let good = url_list(tmp.path(), &host, "range", &["s/a.wav"]);
    let out = stimpack()
        .args(["pack", "--online", "--allow-private", "--json"])
        .arg(&good)
        .arg("-o")
        .arg(tmp.path().join("dataset.txt"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stimulus(&manifest, "s/a.wav")["duration_s"], 1.0, "{manifest:#}");

    let missing = url_list(tmp.path(), &host, "404", &["s/a.wav"]);
    let out = stimpack()
        .args(["pack", "--online", "--allow-private"])
        .arg(&missing)
        .arg("-o")
        .arg(tmp.path().join("refused.txt"))
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("url-not-found"));
    assert!(!tmp.path().join("refused.txt").exists());

    let server = stimpack_testserver::TestServer::start(Default::default()).unwrap();
    let out = stimpack()
        .env("MABYDUCK_API_KEY", server.api_key())
        .env("MABYDUCK_PROJECT", "proj1")
        .env("MABYDUCK_API_URL", server.base_url())
        .args(["upload", "--online", "--allow-private", "--name", "x"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("url-not-found"));
    // what was fetched is said, as `check` and `pack` say it
    assert!(stderr.contains("online: 1 file, "), "{stderr}");
    assert!(server.requests().is_empty(), "nothing is uploaded");

    let out = stimpack()
        .env("MABYDUCK_API_KEY", server.api_key())
        .env("MABYDUCK_PROJECT", "proj1")
        .env("MABYDUCK_API_URL", server.base_url())
        .args(["upload", "--online", "--allow-private", "--name", "x"])
        .arg(&good)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("online: 1 file, 16.0 kB fetched of 16.0 kB (100.0%) in 1 request"),
        "{stderr}"
    );
}

/// Found while writing the online tests: the rules named a source's files in the order of the
/// URL list's lines ("8000 Hz: zeta, beta"), where a folder of the same files gives path
/// order ("beta, zeta"), so the same dataset gave two reports.
#[test]
fn rule_messages_do_not_depend_on_the_order_of_a_url_list() {
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        ("s/zeta.wav", "audio/wav_s16le.wav"),
        ("s/beta.wav", "audio/wav_s16le.wav"),
        ("s/alpha.flac", "audio/flac_s16.flac"),
    ];
    let root = dataset(&tmp.path().join("data"), &files);
    let host = host(&root);
    let list = url_list(
        tmp.path(),
        &host,
        "range",
        &["s/zeta.wav", "s/beta.wav", "s/alpha.flac"],
    );
    let (_, report) = online(&list, &[]);
    let (_, local) = check_json(&root, &[]);
    let rates = |r: &Value| {
        r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "mixed-sample-rates")
            .map(|i| i["message"].as_str().unwrap().to_string())
    };
    assert!(rates(&local).unwrap().contains("beta, zeta"), "{local:#}");
    assert_eq!(rates(&report), rates(&local));
}

#[test]
fn hosted_video_that_is_not_fragmented_is_found_online() {
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        ("s1/reference.mp4", "video/h264_aac_frag.mp4"),
        ("s1/a.mp4", "video/h264_aac.mp4"),
    ];
    let root = dataset(&tmp.path().join("data"), &files);
    let host = host(&root);
    let list = url_list(tmp.path(), &host, "range", &["s1/reference.mp4", "s1/a.mp4"]);
    let (_, report) = online(&list, &["--experiment", "acr_video"]);
    assert_eq!(stimulus(&report, "s1/a.mp4")["fragmented"], false);
    assert_eq!(stimulus(&report, "s1/reference.mp4")["fragmented"], true);
    let flagged: Vec<&Value> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "video-not-mp4")
        .collect();
    assert_eq!(flagged.len(), 1, "{report:#}");
    assert!(flagged[0]["message"].as_str().unwrap().contains("fragmented"));
}

/// `cbr_info.mp3` grown to `n` audio frames (its own 29 over and over), with its Info header's
/// frame and byte counts set to match: an MP3 big enough that reading it whole shows.
fn long_mp3(n: usize) -> Vec<u8> {
    const ID3: usize = 20;
    const INFO: usize = 180;
    let base = std::fs::read(fixture("mp3/cbr_info.mp3")).unwrap();
    let mut d = base[..ID3 + INFO].to_vec();
    let at = d.windows(4).position(|w| w == b"Info").unwrap();
    d[at + 8..at + 12].copy_from_slice(&(n as u32).to_be_bytes());
    d[at + 12..at + 16].copy_from_slice(&((INFO + n * 144) as u32).to_be_bytes());
    for i in 0..n {
        let f = ID3 + INFO + (i % 29) * 144;
        d.extend_from_slice(&base[f..f + 144]);
    }
    d
}

/// Serves `bytes` as `s/a.mp3`; returns the local report, the online one, and the bytes the
/// host sent.
fn hosted_mp3(bytes: &[u8]) -> (Value, Value, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    std::fs::create_dir_all(root.join("s")).unwrap();
    std::fs::write(root.join("s/a.mp3"), bytes).unwrap();
    let host = host(&root);
    let list = url_list(tmp.path(), &host, "range", &["s/a.mp3"]);
    let (_, online) = online(&list, &[]);
    let (_, local) = check_json(&root, &[]);
    (local, online, host.bytes_sent())
}

/// Regression (issue 13): a hosted MP3 was read whole even when its Xing/Info header gives its
/// length; now its head and tail are read, with the same readings as on disk.
#[test]
fn a_hosted_mp3_with_a_xing_header_is_read_with_few_bytes() {
    let mp3 = long_mp3(20_000); // 2.9 MB
    let (local, online, sent) = hosted_mp3(&mp3);
    assert_eq!(comparable(&online, &["insecure-url"]), comparable(&local, &[]));
    assert_eq!(stimulus(&online, "s/a.mp3")["duration_s"], 719.956);
    // the 64 KiB head and the 64 KiB tail (in one multi-range answer), of 2.9 MB
    assert!(
        sent <= (128 << 10) + 512,
        "{sent} bytes of {} were sent",
        mp3.len()
    );
}

/// Issue 13's round trips: files whose probe reads their end take one request each (their head
/// and end as two ranges of one answer), and a host that refuses two ranges costs one more
/// request, once; the readings are the same.
#[test]
fn files_read_at_both_ends_take_one_request_each() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    let mp3 = long_mp3(20_000);
    let paths: Vec<String> = (0..4).map(|i| format!("s{i}/a.mp3")).collect();
    for p in &paths {
        std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
        std::fs::write(root.join(p), &mp3).unwrap();
    }
    let (_, local) = check_json(&root, &[]);
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    // head + end per file; where refused, the first file asks three times (both, head, end)
    for (mode, requests) in [("range", 4), ("onerange", 3 + 3 * 2), ("multi416", 3 + 3 * 2)] {
        let host = host(&root);
        let list = url_list(tmp.path(), &host, mode, &paths);
        let (_, report) = online(&list, &["--per-host", "1"]);
        assert_eq!(
            comparable(&report, &["insecure-url"]),
            comparable(&local, &[]),
            "{mode}"
        );
        let ranges: Vec<Option<String>> = host.requests().into_iter().map(|r| r.range).collect();
        assert_eq!(ranges.len(), requests, "{mode}: {ranges:?}");
    }
}

/// An Info header whose frame count its byte count cannot hold (2,000,000,000 frames in 2.9 MB:
/// some 1.6 years) is not believed online: the file is walked, as on disk.
#[test]
fn a_hosted_mp3_whose_header_lies_about_its_frames_is_walked() {
    let mut mp3 = long_mp3(20_000);
    let at = mp3.windows(4).position(|w| w == b"Info").unwrap();
    mp3[at + 8..at + 12].copy_from_slice(&2_000_000_000u32.to_be_bytes());
    let (local, online, _) = hosted_mp3(&mp3);
    assert_eq!(comparable(&online, &["insecure-url"]), comparable(&local, &[]));
    let duration = stimulus(&online, "s/a.mp3")["duration_s"].as_f64().unwrap();
    assert!(duration < 1000.0, "{duration} s");
}

#[test]
fn a_truncated_hosted_mp3_with_a_xing_header_is_truncated_audio() {
    let mp3 = long_mp3(20_000);
    let cut = &mp3[..mp3.len() - 1000];
    let (local, online, _) = hosted_mp3(cut);
    assert!(has(&online, "truncated-audio", "s/a.mp3"), "{online:#}");
    // shorter than its header says: walked as on disk, with the same readings and message
    assert_eq!(comparable(&online, &["insecure-url"]), comparable(&local, &[]));
}

#[test]
fn a_hosted_mp3_without_a_xing_header_is_still_read_whole() {
    let with = long_mp3(20_000);
    let mut without = with[..20].to_vec();
    without.extend_from_slice(&with[200..]);
    let (local, online, sent) = hosted_mp3(&without);
    assert_eq!(comparable(&online, &["insecure-url"]), comparable(&local, &[]));
    assert!(sent >= without.len() as u64, "{sent} of {} bytes", without.len());
}

/// What only a local check finds: frames lost in the middle of an MP3 whose Xing/Info header
/// and end agree. Online only the head and the tail are read, so the damage is not seen and the
/// duration is the header's; on disk every frame is walked and the loss is `corrupt-audio`.
#[test]
fn a_hosted_mp3_damaged_in_the_middle_is_only_caught_on_disk() {
    let mut mp3 = long_mp3(20_000);
    let from = 200 + 5000 * 144;
    mp3[from..from + 6 * 144].fill(0);
    let (local, online, _) = hosted_mp3(&mp3);
    assert!(has(&local, "corrupt-audio", "s/a.mp3"), "{local:#}");
    assert!(!has(&online, "corrupt-audio", "s/a.mp3"), "{online:#}");
    assert_eq!(stimulus(&online, "s/a.mp3")["duration_s"], 719.956);
    assert!(stimulus(&local, "s/a.mp3")["duration_s"].as_f64().unwrap() < 719.956);
}

/// A real nginx serving the files, when one is installed (`.ci/run` installs `nginx-light`
/// where it can; without it this test prints a SKIPPED line and passes). Stopped when dropped.
struct Nginx {
    child: std::process::Child,
    /// The command line that started it, to stop it with `-s stop` (its workers go too; a
    /// killed master would leave them running).
    stop: std::process::Command,
    port: u16,
    log: std::path::PathBuf,
}

impl Nginx {
    fn start(root: &Path, dir: &Path) -> Option<Nginx> {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_file())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("access.log");
        // Its workers may run as another user: the files must be readable by all.
        readable_by_all(dir);
        readable_by_all(root);
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "worker_processes 1;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  access_log {log};\n  default_type application/octet-stream;\n\
                 types {{ audio/wav wav; audio/flac flac; audio/mpeg mp3 mp2; audio/aac aac; audio/ogg ogg oga opus;\n\
                 audio/mp4 m4a; audio/aiff aiff; video/mp4 mp4; video/quicktime mov; image/png png; image/jpeg jpg;\n\
                 image/gif gif; image/webp webp; image/tiff tif; image/bmp bmp; }}\n\
                 server {{ listen 127.0.0.1:{port}; root {root}; add_header Access-Control-Allow-Origin *; }}\n}}\n",
                dir = dir.display(),
                log = log.display(),
                root = root.display(),
            ),
        )
        .unwrap();
        let child = std::process::Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let mut stop = std::process::Command::new(binary);
                stop.arg("-p")
                    .arg(dir)
                    .arg("-e")
                    .arg(dir.join("error.log"))
                    .arg("-c")
                    .arg(&conf);
                stop.args(["-s", "stop"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                return Some(Nginx {
                    child,
                    stop,
                    port,
                    log,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
    }

    /// The requests nginx logged for `path`.
    fn requests_for(&self, path: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter(|l| l.contains(&format!("GET /{path} ")))
            .count()
    }
}

fn readable_by_all(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            readable_by_all(&entry.unwrap().path());
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if !self.stop.status().is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The multi-range requests against a real server's `multipart/byteranges` answers (not only
/// the stand-in's): every fixture reads as on disk, and a big FLAC-like read (the 2.9 MB MP3 with
/// an Info header, read at both ends) takes one request.
#[test]
fn a_url_list_over_a_real_nginx_reads_like_the_same_files_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let root = dataset(&tmp.path().join("data"), FILES);
    std::fs::create_dir_all(root.join("big")).unwrap();
    std::fs::write(root.join("big/long.mp3"), long_mp3(20_000)).unwrap();
    let server_dir = tmp.path().join("nginx");
    std::fs::create_dir_all(&server_dir).unwrap();
    let Some(nginx) = Nginx::start(&root, &server_dir) else {
        eprintln!(
            "\n*** SKIPPED `a_url_list_over_a_real_nginx_reads_like_the_same_files_on_disk`: nginx not found. \
             Install it (Debian: apt-get install nginx-light) to run it.\n"
        );
        return;
    };
    let (local_code, local) = check_json(&root, &[]);
    let mut paths: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    paths.push("big/long.mp3");
    let list = tmp.path().join("nginx.txt");
    let text: String = paths
        .iter()
        .map(|p| format!("http://127.0.0.1:{}/{p}\n", nginx.port))
        .collect();
    std::fs::write(&list, text).unwrap();
    let (code, report) = online(&list, &[]);
    assert_eq!(code, local_code);
    assert_eq!(
        comparable(&report, &["insecure-url"]),
        comparable(&local, &[]),
        "nginx: {report:#}"
    );
    assert_eq!(
        nginx.requests_for("big/long.mp3"),
        1,
        "head and end in one request"
    );
}
