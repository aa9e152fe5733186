//! `stimpack upload`, `status` and `datasets` end to end: the real binary against the
//! stand-in Mabyduck server (`stimpack-testserver`) on 127.0.0.1.

mod common;

use std::process::Output;

use common::*;
use stimpack_testserver::{Faults, Route, ServerConfig, TestServer};

fn server(faults: Faults) -> TestServer {
    let config = ServerConfig {
        polls_until_ready: 1,
        faults,
        ..ServerConfig::default()
    };
    TestServer::start(config).expect("test server starts")
}

/// Runs `stimpack ARGS...` configured for the server, with `key` as the API key.
fn run(server: &TestServer, key: &str, args: &[&str]) -> Output {
    stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MABYDUCK_API_KEY", key)
        .env("MABYDUCK_PROJECT", "proj1")
        .env("MABYDUCK_API_URL", server.base_url())
        .args(args)
        .output()
        .expect("runs")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Neither the key nor the signed URL's signature appears in anything printed.
fn assert_no_secrets(server: &TestServer, key: &str, out: &Output) {
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!all.contains(key), "the API key was printed: {all}");
    for d in server.datasets() {
        assert!(
            !all.contains(&d.signature),
            "the upload signature was printed: {all}"
        );
    }
    assert!(!all.contains("X-Amz-Signature"), "{all}");
}

#[test]
fn upload_the_demo_folder_end_to_end() {
    let server = server(Faults::default());
    let key = server.api_key();
    let out = run(&server, &key, &["upload", "testdata/demo", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_string();
    let datasets = server.datasets();
    assert_eq!(datasets.len(), 1);
    assert_eq!(datasets[0].id, id);
    assert_eq!(datasets[0].status, "ready");
    assert_eq!(datasets[0].stimuli.len(), 16);
    assert!(datasets[0].filename.ends_with(".zip"));
    assert!(
        text(&out.stderr).contains("stimuli verified"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secrets(&server, &key, &out);

    // The same dataset by id, and in the list.
    let out = run(&server, &key, &["status", &id, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let detail: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(detail["status"], "ready");
    let out = run(&server, &key, &["datasets"]);
    assert!(text(&out.stdout).contains(&id), "{}", text(&out.stdout));
}

#[test]
fn a_url_list_is_uploaded_clean() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(
        &list,
        "# hosted\nhttps://cdn.example.com/s1/a.wav\n\nhttps://cdn.example.com/s1/b.wav\n",
    )
    .unwrap();
    let server = server(Faults::default());
    let key = server.api_key();
    let out = run(
        &server,
        &key,
        &["upload", list.to_str().unwrap(), "--name", "hosted", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["verified"], true);
    assert!(server.datasets()[0].filename.ends_with(".txt"));
}

#[test]
fn a_dataset_with_errors_never_reaches_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/a.mp3", "mp3/truncated.mp3")]);
    let server = server(Faults::default());
    let key = server.api_key();
    let out = run(
        &server,
        &key,
        &["upload", root.to_str().unwrap(), "--name", "broken"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("truncated-audio"));
    assert!(text(&out.stderr).contains("nothing uploaded"));
    assert!(server.requests().is_empty());
}

#[test]
fn missing_configuration_names_the_variable() {
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("MABYDUCK_API_KEY")
        .env_remove("MABYDUCK_PROJECT")
        .args(["upload", "testdata/demo", "--name", "demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("MABYDUCK_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MABYDUCK_API_KEY", "k")
        .env_remove("MABYDUCK_PROJECT")
        .args(["datasets"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("MABYDUCK_PROJECT"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_wrong_key_is_refused_without_printing_it() {
    let server = server(Faults::default());
    let wrong = "wrong-key-SECRET-4242";
    let out = run(&server, wrong, &["upload", "testdata/demo", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("MABYDUCK_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secrets(&server, wrong, &out);
}

#[test]
fn faults_on_the_way_are_retried_or_explained() {
    // A 503 on the upload is retried; the upload still succeeds.
    let s = server(Faults {
        upload_503_times: 1,
        ..Faults::default()
    });
    let key = s.api_key();
    let out = run(&s, &key, &["upload", "testdata/demo", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(s.requests_to(Route::Upload).len(), 2);
    assert!(text(&out.stderr).contains("retrying"), "{}", text(&out.stderr));
    assert_no_secrets(&s, &key, &out);

    // Processing ends in error: exit 1 with the platform's reason and the dataset id.
    let s = server(Faults {
        processing_error: Some("unsupported codec in s1/a.wav".into()),
        ..Faults::default()
    });
    let key = s.api_key();
    let out = run(&s, &key, &["upload", "testdata/demo", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unsupported codec in s1/a.wav"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains(&s.datasets()[0].id));

    // An expired upload URL: exit 3, and what to do.
    let s = server(Faults {
        expired_upload_url: true,
        ..Faults::default()
    });
    let key = s.api_key();
    let out = run(&s, &key, &["upload", "testdata/demo", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(3));
    assert_no_secrets(&s, &key, &out);

    // The platform's stimuli differ from what was sent: exit 1, listing the difference.
    let s = server(Faults {
        stimuli_override: Some(vec![("speech_1/reference.wav".into(), "speech_1".into())]),
        ..Faults::default()
    });
    let key = s.api_key();
    let out = run(&s, &key, &["upload", "testdata/demo", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("music_1/reference.wav"),
        "{}",
        text(&out.stderr)
    );

    // Processing never ends: the time-out names the dataset so the user can resume.
    let s = server(Faults {
        never_ready: true,
        ..Faults::default()
    });
    let key = s.api_key();
    let out = run(
        &s,
        &key,
        &["upload", "testdata/demo", "--name", "demo", "--timeout", "2s"],
    );
    assert_eq!(out.status.code(), Some(3));
    let id = &s.datasets()[0].id;
    assert!(
        text(&out.stderr).contains(&format!("stimpack status {id} --wait")),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn keep_leaves_the_packed_zip_and_no_wait_returns_early() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo.zip");
    let server = server(Faults::default());
    let key = server.api_key();
    let out = run(
        &server,
        &key,
        &[
            "upload",
            "testdata/demo",
            "--name",
            "demo",
            "--no-wait",
            "--keep",
            kept.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(kept.exists());
    assert_eq!(
        server.datasets()[0].uploaded_bytes,
        Some(std::fs::metadata(&kept).unwrap().len())
    );
    assert!(server.requests_to(Route::Status).is_empty());
}

/// The bug: with `--keep` at an existing file, upload told the user to "Use --force", a flag
/// `upload` does not have (the advice came from the library's error).
#[test]
fn keep_at_an_existing_file_names_upload_s_own_flag() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo.zip");
    std::fs::write(&kept, b"precious").unwrap();
    let server = server(Faults::default());
    let key = server.api_key();
    let out = run(
        &server,
        &key,
        &[
            "upload",
            "testdata/demo",
            "--name",
            "demo",
            "--keep",
            kept.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("already exists. Give --keep a path that does not exist yet"),
        "{err}"
    );
    assert!(!err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&kept).unwrap(), b"precious");
    assert!(server.datasets().is_empty());
}
