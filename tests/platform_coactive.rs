//! `--platform coactive` end to end: check (formats, sizes, video limits), pack (the asset
//! JSON read back by Python's `json` and compared with the manifest) and upload to the
//! stand-in Coactive API.

mod common;
mod platforms_common;

use std::path::Path;

use common::*;
use platforms_common::*;
use stimpack_testserver::coactive::{self as server, DEFAULT_TOKEN};
use stimpack_testserver::standin::PlatformFaults;

#[test]
fn coactive_check_applies_its_accepted_formats_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/a.png", "image/png.png"),
            ("s1/b.gif", "image/gif.gif"),
            ("s2/v.mp4", "video/h264_aac.mp4"),
            ("s2/w.mov", "video/mov_h264_pcm.mov"),
            ("s3/x.wav", "audio/wav_s16le.wav"),
        ],
    );
    let (code, report) = check_json(&root, &["--platform", "coactive"]);
    assert_eq!(code, 1);
    assert!(has(&report, "image-too-small", "s1/a.png"), "{report:#}");
    assert!(has(&report, "format-not-accepted", "s1/b.gif"));
    assert!(has(&report, "video-out-of-range", "s2/v.mp4"));
    assert!(has(&report, "format-not-accepted", "s2/w.mov"));
    assert!(has(&report, "format-not-accepted", "s3/x.wav"));
    let short = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "video-out-of-range")
        .unwrap();
    let message = short["message"].as_str().unwrap();
    assert!(
        message.contains("shorter than 5 s") && message.contains("below 240p"),
        "{message}"
    );
    // The same dataset for Mabyduck has none of these.
    let (_, report) = check_json(&root, &[]);
    for code in ["image-too-small", "format-not-accepted", "video-out-of-range"] {
        assert!(!codes(&report).iter().any(|(c, _)| c == code), "{code}");
    }
}

#[test]
fn coactive_pack_writes_assets_equal_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("media.txt");
    let images =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platforms/images.txt"))
            .unwrap();
    let videos =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platforms/videos.txt"))
            .unwrap();
    std::fs::write(&list, images + &videos).unwrap();
    let out_path = dir.path().join("assets.json");
    let out = stimpack()
        .args(["pack", "--platform", "coactive"])
        .arg(&list)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let assets = read_json(&out_path);
    let assets = assets.as_array().unwrap();
    let manifest = read_json(&dir.path().join("assets.manifest.json"));
    let stimuli = manifest_stimuli(&manifest);
    assert_eq!(assets.len(), 15);
    assert_eq!(assets.len(), stimuli.len());
    for (a, s) in assets.iter().zip(&stimuli) {
        assert_eq!(a["path"], s["url"]);
        assert_eq!(a["metadata"]["source"], s["group"]);
        assert_eq!(a["metadata"]["condition"], s["condition"]);
        assert_eq!(a["metadata"]["role"], s["role"]);
    }
    assert_eq!(manifest["input_kind"], "url_list");
}

fn upload(server: &server::CoactiveServer, name: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("media.txt");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/platforms");
    let text = std::fs::read_to_string(root.join("images.txt")).unwrap()
        + &std::fs::read_to_string(root.join("videos.txt")).unwrap();
    std::fs::write(&list, text).unwrap();
    stimpack()
        .env("COACTIVE_API_TOKEN", DEFAULT_TOKEN)
        .env("COACTIVE_API_URL", server.base_url())
        .args(["upload", "--platform", "coactive", "--name", name])
        .arg(&list)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn coactive_upload_of_a_url_list_end_to_end() {
    let faults = PlatformFaults {
        upload_503_times: 1,
        retry_after: "0".into(),
        ..PlatformFaults::default()
    };
    let server = server::start(None, DEFAULT_TOKEN, faults).unwrap();
    let out = upload(&server, "codec_scenes", &["--encoder", "visual-v2"]);
    assert_exit(&out, 0);
    let id = text(&out.stdout).trim().to_string();
    let state = server.state();
    let d = &state.datasets[&id];
    assert_eq!(d.status, "ready");
    assert_eq!(d.encoder_name, "visual-v2");
    assert_eq!(d.allowed_asset_types, ["image", "video"]);
    assert_eq!(d.assets.len(), 15);
    let reference = d
        .assets
        .iter()
        .find(|a| a.path.ends_with("clip_2/reference.mp4"))
        .unwrap();
    assert_eq!(reference.kind, "video");
    assert_eq!(reference.metadata["role"], "reference");
    assert_eq!(reference.metadata["source"], "clip_2");
    drop(state);
    assert!(
        text(&out.stderr).contains("HTTP 503, retrying"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secrets(&out, &[DEFAULT_TOKEN.to_string()]);
}

#[test]
fn coactive_upload_refuses_bad_names_and_shows_the_422_details() {
    let server = server::start(None, DEFAULT_TOKEN, PlatformFaults::default()).unwrap();
    let out = upload(&server, "codec scenes", &[]);
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("codec_scenes"),
        "{}",
        text(&out.stderr)
    );
    assert!(server.requests().is_empty(), "nothing was sent");

    let faults = PlatformFaults {
        validation_error: true,
        ..PlatformFaults::default()
    };
    let server = server::start(None, DEFAULT_TOKEN, faults).unwrap();
    let out = upload(&server, "scenes", &[]);
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("HTTP 422")
            && text(&out.stderr).contains("encoder_name: unknown encoder 'multimodal'"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secrets(&out, &[DEFAULT_TOKEN.to_string()]);

    let faults = PlatformFaults {
        processing_error: Some("could not fetch 3 assets".into()),
        ..PlatformFaults::default()
    };
    let server = server::start(None, DEFAULT_TOKEN, faults).unwrap();
    let out = upload(&server, "scenes", &[]);
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("could not fetch 3 assets"));

    // A flag of another platform is refused.
    let out = upload(&server, "scenes", &["--workspace", "ws1"]);
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("--workspace is for --platform prolific"));
}
