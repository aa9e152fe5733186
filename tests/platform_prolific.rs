//! `--platform prolific` end to end: check, pack (the CSV read back by Python's `csv` and
//! compared with the manifest) and upload to the stand-in Prolific API.

mod common;
mod platforms_common;

use common::*;
use platforms_common::*;
use stimpack_testserver::prolific::{self as server, DEFAULT_TOKEN};
use stimpack_testserver::standin::PlatformFaults;

const BASE: &str = "https://cdn.example.com/my study/";

#[test]
fn prolific_pack_writes_a_csv_equal_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("demo.csv");
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "pack",
            "testdata/demo",
            "--platform",
            "prolific",
            "--base-url",
            BASE,
            "-o",
        ])
        .arg(&csv_path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let rows = read_csv(&csv_path);
    assert_eq!(
        rows[0],
        [
            "id",
            "audio_url",
            "META_TASK_GROUP_ID",
            "META_source",
            "META_condition",
            "META_role",
            "META_duration_s",
            "META_sha256"
        ]
    );
    let manifest = read_json(&dir.path().join("demo.manifest.json"));
    assert_eq!(manifest["archive"]["file"], "demo.csv");
    assert_eq!(
        manifest["archive"]["bytes"].as_u64(),
        Some(std::fs::metadata(&csv_path).unwrap().len())
    );
    let stimuli = manifest_stimuli(&manifest);
    assert_eq!(rows.len() - 1, stimuli.len());
    assert_eq!(stimuli.len(), 16);
    for (row, s) in rows[1..].iter().zip(&stimuli) {
        let (group, condition) = (s["group"].as_str().unwrap(), s["condition"].as_str().unwrap());
        assert_eq!(row[0], format!("{group}/{condition}"));
        assert_eq!(
            row[1],
            format!(
                "https://cdn.example.com/my%20study/{}",
                s["path"].as_str().unwrap()
            )
        );
        assert_eq!(row[2], group, "one task group per source");
        assert_eq!(row[3], group);
        assert_eq!(row[4], condition);
        assert_eq!(row[5], s["role"].as_str().unwrap());
        assert_eq!(row[6].parse::<f64>().unwrap(), s["duration_s"].as_f64().unwrap());
        assert_eq!(row[7], s["sha256"].as_str().unwrap());
    }
    assert!(rows.iter().any(|r| r[5] == "reference"));
    // Regression: the export was written with tempfile's private mode 0600; it has the mode
    // any new file gets here (the umask's), like pack's zip.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&csv_path), mode(&plain));
        assert_eq!(mode(&dir.path().join("demo.manifest.json")), mode(&plain));
    }
    // The CSV is UTF-8 with \n line ends.
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(!bytes.contains(&b'\r'));
}

#[test]
fn prolific_check_warns_that_condition_names_are_visible() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
    let (code, report) = check_json(&root, &["--platform", "prolific"]);
    assert_eq!(code, 0);
    let issue = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "condition-in-url")
        .expect("condition-in-url");
    assert_eq!(issue["severity"], "warning");
    assert_eq!(issue["paths"].as_array().unwrap().len(), 16);
    // With --strict it is an error, as every warning is.
    let (code, _) = check_json(&root, &["--platform", "prolific", "--strict"]);
    assert_eq!(code, 1);
}

#[test]
fn the_platform_comes_from_stimpack_platform_and_a_bad_value_names_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
    let out = stimpack()
        .env("STIMPACK_PLATFORM", "prolific")
        .args(["check", "--json"])
        .arg(&root)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("condition-in-url"));
    let out = stimpack()
        .env("STIMPACK_PLATFORM", "mturk")
        .arg("check")
        .arg(&root)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("STIMPACK_PLATFORM=mturk"),
        "{}",
        text(&out.stderr)
    );
    // The flag wins over the variable; Mabyduck's report is unchanged.
    let out = stimpack()
        .env("STIMPACK_PLATFORM", "datature")
        .args(["check", "--json", "--platform", "mabyduck"])
        .arg(&root)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(!text(&out.stdout).contains("format-not-accepted"));
}

#[test]
fn prolific_pack_of_a_folder_needs_a_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["pack", "testdata/demo", "--platform", "prolific", "-o"])
        .arg(dir.path().join("x.csv"))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("--base-url"), "{}", text(&out.stderr));
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "pack",
            "testdata/demo",
            "--platform",
            "prolific",
            "--base-url",
            BASE,
            "-o",
        ])
        .arg(dir.path().join("x.zip"))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains(".csv"), "{}", text(&out.stderr));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

fn upload(server: &server::ProlificServer, args: &[&str]) -> std::process::Output {
    stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PROLIFIC_API_TOKEN", DEFAULT_TOKEN)
        .env("PROLIFIC_WORKSPACE", "6278acb09062db3b35bcbeb0")
        .env("PROLIFIC_API_URL", server.base_url())
        .args([
            "upload",
            "testdata/demo",
            "--platform",
            "prolific",
            "--base-url",
            BASE,
        ])
        .args(args)
        .output()
        .unwrap()
}

fn secrets(server: &server::ProlificServer) -> Vec<String> {
    let mut s = vec![DEFAULT_TOKEN.to_string()];
    s.extend(server.state().datasets.values().map(|d| d.signature.clone()));
    s
}

#[test]
fn prolific_upload_of_the_demo_end_to_end() {
    let server = server::start(
        None,
        DEFAULT_TOKEN,
        PlatformFaults {
            upload_503_times: 1,
            retry_after: "0".into(),
            ..PlatformFaults::default()
        },
    )
    .unwrap();
    let out = upload(&server, &["--name", "Codec test 3"]);
    assert_exit(&out, 0);
    let id = text(&out.stdout).trim().to_string();
    let state = server.state();
    let d = &state.datasets[&id];
    assert_eq!(d.status, "READY");
    assert_eq!(d.name, "Codec test 3");
    assert_eq!(d.rows.len(), 16);
    assert_eq!(d.header[1], "audio_url");
    drop(state);
    let err = text(&out.stderr);
    assert!(err.contains("HTTP 503, retrying"), "{err}");
    assert!(err.contains("count verified"), "{err}");
    assert_no_secrets(&out, &secrets(&server));
}

#[test]
fn prolific_upload_failures_are_explained_without_secrets() {
    let server = server::start(
        None,
        DEFAULT_TOKEN,
        PlatformFaults {
            processing_error: Some("Row 4: the URL could not be fetched".into()),
            ..PlatformFaults::default()
        },
    )
    .unwrap();
    let out = upload(&server, &["--name", "x"]);
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("Row 4: the URL could not be fetched"));
    assert_no_secrets(&out, &secrets(&server));

    let server = server::start(
        None,
        DEFAULT_TOKEN,
        PlatformFaults {
            expired_upload_url: true,
            ..PlatformFaults::default()
        },
    )
    .unwrap();
    let out = upload(&server, &["--name", "x"]);
    assert_exit(&out, 3);
    assert!(text(&out.stderr).contains("expired"), "{}", text(&out.stderr));
    assert_no_secrets(&out, &secrets(&server));

    // No workspace: the variable is named, nothing is sent.
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PROLIFIC_API_TOKEN", DEFAULT_TOKEN)
        .env_remove("PROLIFIC_WORKSPACE")
        .env("PROLIFIC_API_URL", server.base_url())
        .args([
            "upload",
            "testdata/demo",
            "--platform",
            "prolific",
            "--base-url",
            BASE,
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("PROLIFIC_WORKSPACE"));
    // A wrong token: rejected, exit 3, and the token not shown.
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PROLIFIC_API_TOKEN", "wrong-token-0123456789")
        .env("PROLIFIC_WORKSPACE", "ws1")
        .env("PROLIFIC_API_URL", server.base_url())
        .args([
            "upload",
            "testdata/demo",
            "--platform",
            "prolific",
            "--base-url",
            BASE,
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert!(text(&out.stderr).contains("PROLIFIC_API_TOKEN"));
    assert_no_secrets(&out, &["wrong-token-0123456789".to_string()]);
}
