//! Issue 9 items 8-10 end to end against the stand-in Mabyduck server: upload shows the
//! warnings it accepted and prints the refusing report with `--json`; `status` and `datasets`
//! speak the report's vocabulary; a 404 is "no such dataset" (exit 1); retries are visible,
//! one line each, and quiet with `-q`.

mod common;

use std::process::Output;

use common::*;
use serde_json::Value;
use stimpack_testserver::{Faults, ServerConfig, TestServer};

fn server(faults: Faults) -> TestServer {
    TestServer::start(ServerConfig {
        polls_until_ready: 1,
        faults,
        ..ServerConfig::default()
    })
    .expect("test server starts")
}

fn run(server: &TestServer, args: &[&str]) -> Output {
    stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MABYDUCK_API_KEY", server.api_key())
        .env("MABYDUCK_PROJECT", "proj1")
        .env("MABYDUCK_API_URL", server.base_url())
        .args(args)
        .output()
        .expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A dataset that passes with one warning (Finder junk, left out when packed).
fn with_warning(dir: &std::path::Path) -> std::path::PathBuf {
    dataset(
        &dir.join("warned"),
        &[
            ("s1/reference.mp3", "mp3/cbr_info.mp3"),
            ("s1/.DS_Store", "=junk"),
            ("s2/reference.mp3", "mp3/cbr_info.mp3"),
        ],
    )
}

#[test]
fn upload_shows_the_warnings_it_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let root = with_warning(dir.path());
    let s = server(Faults::default());
    let out = run(&s, &["upload", root.to_str().unwrap(), "--name", "warned"]);
    assert_exit(&out, 0);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning[junk-file]"), "{stderr}");
    assert!(stderr.contains("s1/.DS_Store"), "{stderr}");
    assert!(!stderr.contains("warning(s); see"), "{stderr}");

    let s = server(Faults::default());
    let out = run(&s, &["upload", "-q", root.to_str().unwrap(), "--name", "warned"]);
    assert_exit(&out, 0);
    assert!(
        !text(&out.stderr).contains("warning[junk-file]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn upload_json_prints_the_report_when_it_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/a.mp3", "mp3/truncated.mp3")]);
    let s = server(Faults::default());
    let out = run(
        &s,
        &["upload", root.to_str().unwrap(), "--name", "broken", "--json"],
    );
    assert_exit(&out, 1);
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(report["ok"], false);
    assert!(has(&report, "truncated-audio", "s1/a.mp3"), "{report:#}");
    assert!(text(&out.stderr).contains("nothing uploaded"));
    assert!(s.datasets().is_empty());
}

#[test]
fn status_and_datasets_json_use_the_report_vocabulary() {
    let s = server(Faults::default());
    let out = run(&s, &["upload", "testdata/demo", "--name", "demo", "--json"]);
    assert_exit(&out, 0);
    let uploaded: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = uploaded["id"]
        .as_str()
        .expect("upload --json has `id`")
        .to_string();
    assert!(uploaded.get("dataset_id").is_none());

    let out = run(&s, &["status", &id, "--json"]);
    assert_exit(&out, 0);
    let detail: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(detail["id"], id.as_str());
    let first = &detail["stimuli"][0];
    assert!(
        first["path"].is_string() && first["group"].is_string(),
        "{detail:#}"
    );
    assert!(
        first.get("filepath").is_none() && first.get("group_id").is_none(),
        "{detail:#}"
    );
    let paths: Vec<&str> = detail["stimuli"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"music_1/reference.wav"), "{paths:?}");

    let out = run(&s, &["datasets", "--json"]);
    assert_exit(&out, 0);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = &list[0];
    assert_eq!(entry["id"], id.as_str());
    for field in ["name", "status", "created", "deleted"] {
        assert!(entry.get(field).is_some(), "{field}: {entry:#}");
    }
    assert!(
        entry.get("date_created").is_none() && entry.get("is_deleted").is_none(),
        "{entry:#}"
    );
}

#[test]
fn status_of_an_unknown_id_is_no_such_dataset_with_exit_1() {
    let s = server(Faults::default());
    let out = run(&s, &["status", "nosuchid"]);
    assert_exit(&out, 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no dataset with id `nosuchid` in project proj1"),
        "{stderr}"
    );
    let out = run(&s, &["status", "nosuchid", "--wait", "--timeout", "5s"]);
    assert_exit(&out, 1);
    // An id cannot reach another endpoint of the API.
    let out = run(&s, &["status", "../../x"]);
    assert_exit(&out, 1);
}

#[test]
fn each_retry_prints_one_line_and_quiet_prints_none() {
    let faults = || Faults {
        upload_503_times: 2,
        status_429_times: 1,
        retry_after: Some("0".into()),
        ..Faults::default()
    };
    let s = server(faults());
    let out = run(&s, &["upload", "testdata/demo", "--name", "demo"]);
    assert_exit(&out, 0);
    let stderr = text(&out.stderr);
    let retries: Vec<&str> = stderr.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(retries.len(), 3, "{stderr}");
    assert!(retries[0].starts_with("HTTP 503, retrying in "), "{stderr}");
    assert!(retries[0].ends_with(" s (attempt 2 of 6)"), "{stderr}");
    assert!(retries[1].ends_with(" s (attempt 3 of 6)"), "{stderr}");
    assert_eq!(
        retries[2], "HTTP 429, retrying in 0.0 s (attempt 2 of 6)",
        "{stderr}"
    );

    let s = server(faults());
    let out = run(&s, &["upload", "testdata/demo", "--name", "demo", "--quiet"]);
    assert_exit(&out, 0);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert!(!stderr.contains("uploading"), "{stderr}");
    assert!(!text(&out.stdout).trim().is_empty(), "the id is still printed");
}
