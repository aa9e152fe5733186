//! `--platform datature` end to end: check (images only), pack (the NDJSON read back by
//! Python's `json` and compared with the manifest) and upload to the stand-in Nexus API.

mod common;
mod platforms_common;

use std::path::Path;

use common::*;
use platforms_common::*;
use stimpack_testserver::datature::{self as server, DEFAULT_EXPIRY_MS, DEFAULT_SECRET_KEY};
use stimpack_testserver::standin::PlatformFaults;

fn images(dir: &Path) -> std::path::PathBuf {
    dataset(
        &dir.join("study"),
        &[
            ("scene 1/reference.png", "image/png.png"),
            ("scene 1/codec_a.jpg", "image/baseline.jpg"),
            ("scene_2/reference.png", "image/png.png"),
            ("scene_2/codec_a.webp", "image/lossy.webp"),
        ],
    )
}

#[test]
fn datature_check_refuses_everything_but_images() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
    let (code, report) = check_json(&root, &["--platform", "datature"]);
    assert_eq!(code, 1);
    let refused: Vec<_> = codes(&report)
        .into_iter()
        .filter(|(c, _)| c == "format-not-accepted")
        .collect();
    assert_eq!(refused.len(), 16, "{report:#}");
    assert!(has(&report, "format-not-accepted", "speech_1/reference.wav"));

    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/a.png", "image/png.png"),
            ("s1/b.gif", "image/gif.gif"),
            ("s2/v.mp4", "video/h264_aac.mp4"),
        ],
    );
    let (code, report) = check_json(&root, &["--platform", "datature"]);
    assert_eq!(code, 1);
    assert!(has(&report, "format-not-accepted", "s1/b.gif"));
    assert!(has(&report, "format-not-accepted", "s2/v.mp4"));
    assert!(!has(&report, "format-not-accepted", "s1/a.png"));
}

#[test]
fn datature_pack_writes_ndjson_equal_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let root = images(dir.path());
    let out_path = dir.path().join("images.ndjson");
    let out = stimpack()
        .args([
            "pack",
            "--platform",
            "datature",
            "--base-url",
            "https://cdn.example.com/study",
        ])
        .arg(&root)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let lines = read_ndjson(&out_path);
    let manifest = read_json(&dir.path().join("images.manifest.json"));
    let stimuli = manifest_stimuli(&manifest);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines.len(), stimuli.len());
    for (line, s) in lines.iter().zip(&stimuli) {
        assert_eq!(line.as_object().unwrap().len(), 2, "{line}");
        assert_eq!(line["kind"], "Image");
        let path = s["path"].as_str().unwrap().replace(' ', "%20");
        assert_eq!(line["url"], format!("https://cdn.example.com/study/{path}"));
    }
    assert_eq!(manifest["archive"]["file"], "images.ndjson");
    // A second pack without --force keeps the first.
    let again = stimpack()
        .args([
            "pack",
            "--platform",
            "datature",
            "--base-url",
            "https://cdn.example.com/study",
        ])
        .arg(&root)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_exit(&again, 2);
    assert!(text(&again.stderr).contains("--force"), "{}", text(&again.stderr));
    // An output inside the dataset folder is refused.
    let inside = stimpack()
        .args([
            "pack",
            "--platform",
            "datature",
            "--base-url",
            "https://cdn.example.com/study",
        ])
        .arg(&root)
        .arg("-o")
        .arg(root.join("x.ndjson"))
        .output()
        .unwrap();
    assert_exit(&inside, 2);
    assert!(!root.join("x.ndjson").exists());
    // A base URL that is no http(s) URL is refused, by check too.
    let bad = stimpack()
        .args([
            "check",
            "--platform",
            "datature",
            "--base-url",
            "cdn.example.com/study",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert_exit(&bad, 2);
    assert!(
        text(&bad.stderr).contains("cdn.example.com/study"),
        "{}",
        text(&bad.stderr)
    );
    // A URL list carries its own URLs: --base-url with one is refused.
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platforms/images.txt");
    let both = stimpack()
        .args([
            "pack",
            "--platform",
            "datature",
            "--base-url",
            "https://cdn.example.com/x",
        ])
        .arg(&list)
        .arg("-o")
        .arg(dir.path().join("y.ndjson"))
        .output()
        .unwrap();
    assert_exit(&both, 2);
    assert!(text(&both.stderr).contains("URL list"), "{}", text(&both.stderr));
}

fn upload(server: &server::DatatureServer, input: &Path, extra: &[&str]) -> std::process::Output {
    stimpack()
        .env("DATATURE_SECRET_KEY", DEFAULT_SECRET_KEY)
        .env("DATATURE_PROJECT", "proj_b705a0123")
        .env("DATATURE_API_URL", server.base_url())
        .args(["upload", "--platform", "datature", "--name", "scenes"])
        .arg(input)
        .args(extra)
        .output()
        .unwrap()
}

fn secrets(server: &server::DatatureServer) -> Vec<String> {
    let mut s = vec![DEFAULT_SECRET_KEY.to_string()];
    s.extend(server.state().datasets.values().map(|d| d.signature.clone()));
    s
}

#[test]
fn datature_upload_of_a_url_list_end_to_end() {
    let faults = PlatformFaults {
        drop_uploads: 1,
        throttle_polls: 1,
        retry_after: "0".into(),
        ..PlatformFaults::default()
    };
    let server = server::start(None, DEFAULT_SECRET_KEY, faults, DEFAULT_EXPIRY_MS).unwrap();
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platforms/images.txt");
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.ndjson");
    let out = upload(&server, &list, &["--json", "--keep", kept.to_str().unwrap()]);
    assert_exit(&out, 0);
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["platform"], "datature");
    assert_eq!(view["status"], "Uploaded");
    assert_eq!(view["items"], 9);
    assert_eq!(view["verified"], true);
    let state = server.state();
    let d = &state.datasets[view["id"].as_str().unwrap()];
    let sent: Vec<String> = read_ndjson(&kept)
        .iter()
        .map(|l| l["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(d.urls, sent);
    assert_eq!(d.size_bytes, std::fs::metadata(&kept).unwrap().len());
    drop(state);
    let err = text(&out.stderr);
    assert!(err.contains("HTTP 429, retrying"), "{err}");
    assert!(!err.contains("expires in"), "a week away: no warning");
    assert_no_secrets(&out, &secrets(&server));
}

#[test]
fn datature_warns_of_a_near_expiry_and_explains_failures() {
    let server = server::start(None, DEFAULT_SECRET_KEY, PlatformFaults::default(), 2 * 3_600_000).unwrap();
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platforms/images.txt");
    let out = upload(&server, &list, &[]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stderr).contains("expires in 2.0 h"),
        "{}",
        text(&out.stderr)
    );
    let quiet = upload(&server, &list, &["-q"]);
    assert_exit(&quiet, 0);
    assert!(!text(&quiet.stderr).contains("expires in"));

    let faults = PlatformFaults {
        processing_error: Some("2 images could not be fetched".into()),
        ..PlatformFaults::default()
    };
    let server = server::start(None, DEFAULT_SECRET_KEY, faults, DEFAULT_EXPIRY_MS).unwrap();
    let out = upload(&server, &list, &[]);
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("FailedProcessing: 2 images could not be fetched"));
    assert_no_secrets(&out, &secrets(&server));

    // Audio is refused before anything is sent.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
    let out = upload(&server, &demo, &["--base-url", "https://cdn.example.com/demo"]);
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("nothing uploaded"));
    assert_eq!(server.state().datasets.len(), 1, "no second dataset");
}
