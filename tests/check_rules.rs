//! Rules over the whole dataset, end to end: a named experiment the dataset cannot run is an
//! error, reported once (issue 9, item 3); default MUSHRA anchor names (item 4); misnamed and
//! lone conditions (item 5); damage in the middle of an MP3 (item 7).

mod common;

use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

fn issues_with<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == code)
        .collect()
}

/// `sources` sources, each holding the conditions named, all copies of one MP3.
fn audio_set(root: &Path, sources: usize, conditions: &[&str]) {
    for s in 1..=sources {
        for c in conditions {
            let p = root.join(format!("song_{s}/{c}.mp3"));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::copy(fixture("mp3/cbr_info.mp3"), p).unwrap();
        }
    }
}

fn pack_exit(input: &Path, args: &[&str]) -> i32 {
    let out = input.parent().unwrap().join("out.zip");
    let run = stimpack()
        .arg("pack")
        .arg(input)
        .arg("-o")
        .arg(&out)
        .arg("--force")
        .args(args)
        .output()
        .unwrap();
    run.status.code().unwrap()
}

/// Regression (issue 9, item 3): `--experiment binary_image` on an all-audio set gave 30
/// identical warnings and exit 0.
#[test]
fn a_named_experiment_the_dataset_cannot_run_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    audio_set(&root, 10, &["a", "b", "c"]);
    let args = ["--experiment", "binary_image"];
    let (code, report) = check_json(&root, &args);
    assert_eq!(code, 1);
    let wrong = issues_with(&report, "wrong-media-for-experiment");
    assert_eq!(wrong.len(), 1, "{wrong:#?}");
    assert_eq!(wrong[0]["severity"], "error");
    assert!(wrong[0]["path"].is_null());
    let paths = wrong[0]["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 30);
    assert_eq!(
        (paths[0].as_str(), paths[3].as_str()),
        (Some("song_1/a.mp3"), Some("song_10/a.mp3")),
        "sorted"
    );
    let message = wrong[0]["message"].as_str().unwrap();
    assert!(
        message.contains("30 files are audio") && message.contains("and 20 more"),
        "{message}"
    );
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(pack_exit(&root, &args), 1, "pack gives the same verdict");
    // Without --experiment the same set is fine.
    assert_eq!(check_json(&root, &[]).0, 0);
}

/// Regression (issue 9, item 3): `--experiment mushra --reference ref` with no `ref.*`
/// anywhere warned five times and exited 0.
#[test]
fn a_missing_named_reference_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    audio_set(&root, 5, &["reference", "codec_a"]);
    let args = ["--experiment", "mushra", "--reference", "ref"];
    let (code, report) = check_json(&root, &args);
    assert_eq!(code, 1);
    let missing = issues_with(&report, "missing-reference");
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert_eq!(missing[0]["severity"], "error");
    assert_eq!(missing[0]["paths"].as_array().unwrap().len(), 5);
    let message = missing[0]["message"].as_str().unwrap();
    assert!(
        message.contains("'ref.*'") && message.contains("none of the 5 sources has one"),
        "{message}"
    );
    assert_eq!(pack_exit(&root, &args), 1);
    // One source without it: a finding at that source, with its path.
    fs::rename(root.join("song_1/reference.mp3"), root.join("song_1/ref.mp3")).unwrap();
    for s in 2..=4 {
        fs::rename(
            root.join(format!("song_{s}/reference.mp3")),
            root.join(format!("song_{s}/ref.mp3")),
        )
        .unwrap();
    }
    let (code, report) = check_json(&root, &args);
    assert_eq!(code, 1);
    assert!(
        has(&report, "missing-reference", "song_5"),
        "{:#?}",
        codes(&report)
    );
    assert!(
        issues_with(&report, "missing-reference")[0]
            .get("paths")
            .is_none()
    );
}

/// A missing anchor stays a warning (the platform generates one), grouped all the same; too
/// few conditions for a pairwise type is an error.
#[test]
fn what_the_platform_works_around_stays_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    audio_set(&root, 3, &["reference", "codec_a"]);
    let (code, report) = check_json(&root, &["--experiment", "mushra", "--anchor", "lp35"]);
    assert_eq!(code, 0, "{report:#}");
    let anchor = issues_with(&report, "missing-anchor");
    assert_eq!(anchor.len(), 1);
    assert_eq!(anchor[0]["severity"], "warning");
    assert_eq!(
        anchor[0]["paths"],
        serde_json::json!(["song_1", "song_2", "song_3"])
    );

    let one = dir.path().join("one");
    audio_set(&one, 1, &["a"]);
    let (code, report) = check_json(&one, &["--experiment", "binary_audio"]);
    assert_eq!(code, 1);
    assert!(
        has(&report, "too-few-conditions", "song_1"),
        "{:#?}",
        codes(&report)
    );
}

/// Regression (issue 9, item 4): `anchor.*` was not taken as the anchor without `--anchor`.
#[test]
fn default_anchor_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    audio_set(
        &root,
        3,
        &[
            "reference",
            "anchor",
            "lowpass_7k",
            "lp35",
            "lp70",
            "low",
            "codec_a",
        ],
    );
    let (code, report) = check_json(&root, &["--experiment", "mushra"]);
    assert_eq!(code, 0, "{report:#}");
    for (condition, role) in [
        ("anchor", "anchor"),
        ("lowpass_7k", "anchor"),
        ("lp35", "anchor"),
        ("lp70", "anchor"),
        ("low", "condition"),
        ("codec_a", "condition"),
        ("reference", "reference"),
    ] {
        assert_eq!(
            stimulus(&report, &format!("song_1/{condition}.mp3"))["role"],
            role,
            "{condition}"
        );
    }
    assert!(
        issues_with(&report, "missing-anchor").is_empty(),
        "default names are not required"
    );
    // --anchor replaces the list.
    let (_, report) = check_json(&root, &["--experiment", "mushra", "--anchor", "low"]);
    assert_eq!(stimulus(&report, "song_1/low.mp3")["role"], "anchor");
    assert_eq!(stimulus(&report, "song_1/anchor.mp3")["role"], "condition");
    // The readable grid puts anchors after the reference.
    let out = stimpack()
        .arg("check")
        .arg(&root)
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("source  reference  anchor  lowpass_7k  lp35  lp70"),
        "{text}"
    );
}

/// Regression (issue 9, item 5): `song_4/codec_ops.opus` only gave "lacks condition
/// 'codec_opus'", and the extra `song_3/codec_mp3_song2` was not flagged.
#[test]
fn near_misses_get_a_suggestion_and_lone_conditions_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("in");
    audio_set(&root, 4, &["reference", "codec_opus", "codec_mp3"]);
    fs::rename(
        root.join("song_4/codec_opus.mp3"),
        root.join("song_4/codec_ops.mp3"),
    )
    .unwrap();
    fs::copy(
        fixture("mp3/cbr_info.mp3"),
        root.join("song_3/codec_mp3_song2.mp3"),
    )
    .unwrap();
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 0, "warnings only");
    let missing = issues_with(&report, "missing-conditions");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["path"], "song_4");
    let message = missing[0]["message"].as_str().unwrap();
    assert!(message.contains("did you mean codec_opus?"), "{message}");
    assert!(message.contains("rename it to codec_opus.mp3"), "{message}");
    // The misspelt name is explained by the suggestion, not flagged again as lone.
    let lone = issues_with(&report, "lone-condition");
    assert_eq!(lone.len(), 1, "{lone:#?}");
    assert_eq!(lone[0]["path"], "song_3/codec_mp3_song2.mp3");
    assert_eq!(lone[0]["severity"], "warning");

    // With three sources an extra condition in one of them is a common design: not flagged.
    let three = dir.path().join("three");
    audio_set(&three, 3, &["reference", "codec_mp3"]);
    fs::copy(fixture("mp3/cbr_info.mp3"), three.join("song_1/codec_8bit.mp3")).unwrap();
    let (_, report) = check_json(&three, &[]);
    assert!(
        issues_with(&report, "lone-condition").is_empty(),
        "{:#?}",
        codes(&report)
    );
}

/// Regression (issue 9, item 7): frames lost in the middle of an MP3 (valid frames after the
/// damage) were `truncated-audio` ("cut short").
#[test]
fn damage_in_the_middle_of_an_mp3_is_corrupt_audio() {
    let mut bytes = fs::read(fixture("mp3/cbr_info.mp3")).unwrap();
    // ID3v2 (20 bytes) + Info frame (180) + 144-byte frames: frames 10 to 15 zeroed.
    let frame = |i: usize| 20 + 180 + i * 144;
    bytes[frame(10)..frame(16)].fill(0);
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(&dir.path().join("in"), &[("s1/ok.mp3", "mp3/cbr_info.mp3")]);
    fs::write(root.join("s1/damaged.mp3"), &bytes).unwrap();
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 1);
    let found: Vec<(String, String)> = codes(&report)
        .into_iter()
        .filter(|(_, p)| p == "s1/damaged.mp3")
        .collect();
    assert_eq!(
        found,
        [("corrupt-audio".to_string(), "s1/damaged.mp3".to_string())]
    );
    let issue = &issues_with(&report, "corrupt-audio")[0];
    assert_eq!(issue["severity"], "error");
    assert!(!issue["message"].as_str().unwrap().contains("cut short"));
    // A file really cut short is still truncated.
    assert!(has(
        &check_json(
            &dataset(&dir.path().join("cut"), &[("s1/a.mp3", "mp3/truncated.mp3")]),
            &[]
        )
        .1,
        "truncated-audio",
        "s1/a.mp3"
    ));
}
