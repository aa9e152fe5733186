//! `check --analyze` (loudness, peaks, clipping, silence, DC, dual mono from the decoded audio)
//! and the header-only browser-playability findings, on the fixtures of
//! testdata/fixtures/analyze/make-analyze.sh, each asserting the reading and the finding.

mod common;

use std::fs;

use common::*;
use serde_json::Value;

fn issues_at<'a>(report: &'a Value, path: &str) -> Vec<(&'a str, &'a str, &'a str)> {
    report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["path"] == path)
        .map(|i| {
            (
                i["severity"].as_str().unwrap(),
                i["code"].as_str().unwrap(),
                i["message"].as_str().unwrap(),
            )
        })
        .collect()
}

fn codes_at(report: &Value, path: &str) -> Vec<String> {
    issues_at(report, path)
        .iter()
        .map(|(s, c, _)| format!("{s}:{c}"))
        .collect()
}

fn num(s: &Value, k: &str) -> f64 {
    s[k].as_f64().unwrap_or_else(|| panic!("{k} in {s}"))
}

/// What ffmpeg's `ebur128=peak=true` measured in each fixture (make-analyze.sh writes it).
fn ffmpeg_measured() -> Vec<(String, f64, f64)> {
    fs::read_to_string(fixture("analyze/ffmpeg.tsv"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn loudness_and_true_peak_agree_with_ffmpeg_ebur128() {
    let dir = tempfile::tempdir().unwrap();
    let measured = ffmpeg_measured();
    assert_eq!(measured.len(), 6);
    let files: Vec<(String, String)> = measured
        .iter()
        .map(|(f, ..)| (format!("s/{f}"), format!("analyze/{f}")))
        .collect();
    let pairs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let root = dataset(dir.path(), &pairs);
    let (_, report) = check_json(&root, &["--analyze"]);
    for (f, lufs, tp) in &measured {
        let s = stimulus(&report, &format!("s/{f}"));
        // ffmpeg prints one decimal: its own rounding adds up to 0.05 to the tolerance.
        assert!((num(s, "loudness_lufs") - lufs).abs() <= 0.1 + 0.05, "{f}: {s}");
        assert!((num(s, "true_peak_dbtp") - tp).abs() <= 0.2 + 0.05, "{f}: {s}");
    }
}

#[test]
fn a_3_lu_louder_condition_is_a_loudness_mismatch_with_the_gains_to_align() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/reference.wav", "analyze/minus23.wav"),
            ("s1/noise.wav", "analyze/minus20_noise.wav"),
        ],
    );
    let (code, report) = check_json(&root, &["--analyze"]);
    assert_eq!(code, 0, "{report}");
    let r = stimulus(&report, "s1/reference.wav");
    assert!((num(r, "loudness_lufs") + 23.0).abs() < 0.1, "{r}");
    assert!((num(stimulus(&report, "s1/noise.wav"), "loudness_lufs") + 20.0).abs() < 0.1);
    let found = issues_at(&report, "s1");
    assert_eq!(found.len(), 1, "{found:?}");
    let (severity, code, message) = found[0];
    assert_eq!((severity, code), ("warning", "loudness-mismatch"));
    assert!(message.contains("loudest noise.wav (-20.0 LUFS)"), "{message}");
    assert!(
        message.contains("quietest reference.wav (-23.0 LUFS)"),
        "{message}"
    );
    assert!(message.contains("noise.wav -3.0 dB"), "{message}");
    // Within the tolerance, no finding; a wider tolerance flag takes it away.
    let (_, report) = check_json(&root, &["--analyze", "--loudness-tolerance", "3.5"]);
    assert!(issues_at(&report, "s1").is_empty());
}

/// Opus is not decoded (Symphonia has no Opus decoder): its loudness is null, and the
/// mismatch says it was not measured rather than leave it out without a word.
#[test]
fn a_loudness_mismatch_names_what_could_not_be_measured() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/reference.wav", "analyze/minus23.wav"),
            ("s1/noise.wav", "analyze/minus20_noise.wav"),
            ("s1/codec.opus", "audio/opus.opus"),
        ],
    );
    let (_, report) = check_json(&root, &["--analyze"]);
    assert_eq!(stimulus(&report, "s1/codec.opus")["loudness_lufs"], Value::Null);
    let found = issues_at(&report, "s1");
    let (_, _, m) = found
        .iter()
        .find(|(_, c, _)| *c == "loudness-mismatch")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(m.ends_with("(not measured: codec.opus)"), "{m}");
}

#[test]
fn target_lufs_warns_per_stimulus_and_aligns_to_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/reference.wav", "analyze/minus23.wav"),
            ("s1/noise.wav", "analyze/minus20_noise.wav"),
        ],
    );
    let (_, report) = check_json(&root, &["--analyze", "--target-lufs", "-23"]);
    assert_eq!(codes_at(&report, "s1/noise.wav"), ["warning:loudness-off-target"]);
    assert!(codes_at(&report, "s1/reference.wav").is_empty());
    let (_, _, m) = issues_at(&report, "s1")[0];
    assert!(
        m.contains("the target (-23.0 LUFS)") && m.contains("noise.wav -3.0 dB"),
        "{m}"
    );
}

#[test]
fn clipped_audio_is_clipping_and_true_peak_over_and_an_error_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/clipped.wav", "analyze/clipped.wav")]);
    let (code, report) = check_json(&root, &["--analyze"]);
    assert_eq!(code, 0);
    let s = stimulus(&report, "s1/clipped.wav");
    assert!(s["clipped_samples"].as_u64().unwrap() > 1000, "{s}");
    assert_eq!(num(s, "sample_peak_dbfs"), 0.0);
    assert!(num(s, "true_peak_dbtp") > -1.0);
    assert_eq!(
        codes_at(&report, "s1/clipped.wav"),
        ["warning:clipping", "warning:true-peak-over"]
    );
    let (code, report) = check_json(&root, &["--analyze", "--strict"]);
    assert_eq!(code, 1);
    assert_eq!(
        codes_at(&report, "s1/clipped.wav"),
        ["error:clipping", "error:true-peak-over"]
    );
    // A higher ceiling takes the true-peak finding away, not the clipping.
    let (_, report) = check_json(&root, &["--analyze", "--max-true-peak", "0.5"]);
    assert_eq!(codes_at(&report, "s1/clipped.wav"), ["warning:clipping"]);
}

#[test]
fn leading_silence_that_differs_within_a_source_is_a_silence_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/reference.wav", "analyze/minus23.wav"),
            ("s1/padded.wav", "analyze/padded.wav"),
        ],
    );
    let (_, report) = check_json(&root, &["--analyze"]);
    let s = stimulus(&report, "s1/padded.wav");
    assert!((num(s, "leading_silence_s") - 0.8).abs() < 0.001, "{s}");
    assert_eq!(num(s, "trailing_silence_s"), 0.0);
    assert!(num(stimulus(&report, "s1/reference.wav"), "leading_silence_s") < 0.001);
    let found = issues_at(&report, "s1");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "silence-mismatch");
    assert!(found[0].2.contains("padded.wav after 800 ms"), "{}", found[0].2);
    let (_, report) = check_json(&root, &["--analyze", "--silence-tolerance", "1"]);
    assert!(issues_at(&report, "s1").is_empty());
}

#[test]
fn a_mostly_silent_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/quiet.wav", "analyze/mostly_silent.wav")]);
    let (code, report) = check_json(&root, &["--analyze"]);
    assert_eq!(code, 1);
    assert!((num(stimulus(&report, "s1/quiet.wav"), "trailing_silence_s") - 1.9).abs() < 0.001);
    assert_eq!(codes_at(&report, "s1/quiet.wav"), ["error:mostly-silent"]);
}

#[test]
fn dc_offset_and_dual_mono_are_measured_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/dc.wav", "analyze/dc_offset.wav"),
            ("s2/stereo.wav", "analyze/dual_mono.wav"),
            ("s3/mono.wav", "analyze/minus23.wav"),
        ],
    );
    let (_, report) = check_json(&root, &["--analyze"]);
    let dc = stimulus(&report, "s1/dc.wav");
    assert!((num(dc, "dc_offset") - 0.05).abs() < 0.001, "{dc}");
    assert_eq!(dc["dual_mono"], Value::Null, "mono has no dual_mono");
    assert_eq!(codes_at(&report, "s1/dc.wav"), ["warning:dc-offset"]);
    assert_eq!(stimulus(&report, "s2/stereo.wav")["dual_mono"], true);
    assert_eq!(codes_at(&report, "s2/stereo.wav"), ["warning:dual-mono"]);
    assert!(codes_at(&report, "s3/mono.wav").is_empty());
    let (_, report) = check_json(&root, &["--analyze", "--max-dc-offset", "0.1"]);
    assert!(codes_at(&report, "s1/dc.wav").is_empty());
}

#[test]
fn without_analyze_the_measurements_are_null_and_nothing_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/clipped.wav", "analyze/clipped.wav")]);
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 0);
    let s = stimulus(&report, "s1/clipped.wav");
    for k in [
        "loudness_lufs",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "clipped_samples",
        "leading_silence_s",
        "trailing_silence_s",
        "dc_offset",
        "dual_mono",
    ] {
        assert_eq!(s[k], Value::Null, "{k}");
    }
    assert!(report["issues"].as_array().unwrap().is_empty());
}

#[test]
fn target_lufs_needs_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/a.wav", "analyze/minus23.wav")]);
    let out = stimpack()
        .args(["check", "--target-lufs", "-23"])
        .arg(&root)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--analyze"));
}

#[test]
fn the_readable_report_shows_loudness_in_the_grid_with_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/reference.wav", "analyze/minus23.wav"),
            ("s1/noise.wav", "analyze/minus20_noise.wav"),
        ],
    );
    let out = stimpack()
        .args(["check", "--analyze", "--color", "never"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(integrated loudness in LUFS)"), "{text}");
    assert!(text.contains("-23.0 ok") && text.contains("-20.0 ok"), "{text}");
    let out = stimpack()
        .args(["check", "--color", "never"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("LUFS"));
}

#[test]
fn ima_adpcm_wav_is_not_browser_playable_in_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/adpcm.wav", "analyze/ima_adpcm.wav"),
            ("s1/pcm.wav", "analyze/minus23.wav"),
            ("s1/mulaw.wav", "audio/wav_mulaw.wav"),
        ],
    );
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(stimulus(&report, "s1/adpcm.wav")["codec"], "adpcm_ima_wav");
    let found = issues_at(&report, "s1/adpcm.wav");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].1), ("error", "not-browser-playable"));
    assert!(found[0].2.contains("Chromium"), "{}", found[0].2);
    assert!(issues_at(&report, "s1/pcm.wav").is_empty());
    assert!(issues_at(&report, "s1/mulaw.wav").is_empty());
}

#[test]
fn h264_10_bit_and_444_are_not_browser_playable_and_hevc_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("v1/ten.mp4", "analyze/h264_10bit.mp4"),
            ("v2/full.mp4", "analyze/h264_444.mp4"),
            ("v3/plain.mp4", "analyze/h264_420.mp4"),
            ("v4/hevc.mp4", "analyze/hevc.mp4"),
            ("v5/with_audio.mp4", "video/h264_aac.mp4"),
            ("v6/vfr.mp4", "analyze/vfr.mp4"),
        ],
    );
    let (_, report) = check_json(&root, &[]);
    let read = |p: &str| {
        let s = stimulus(&report, p);
        (
            s["profile"].as_str().unwrap().to_string(),
            s["pixel_format"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(read("v1/ten.mp4"), ("High 10".into(), "yuv420p10le".into()));
    assert_eq!(
        read("v2/full.mp4"),
        ("High 4:4:4 Predictive".into(), "yuv444p".into())
    );
    assert_eq!(
        read("v3/plain.mp4"),
        ("Constrained Baseline".into(), "yuv420p".into())
    );
    assert_eq!(read("v4/hevc.mp4"), ("Main".into(), "yuv420p".into()));
    assert_eq!(codes_at(&report, "v1/ten.mp4"), ["error:not-browser-playable"]);
    assert_eq!(codes_at(&report, "v2/full.mp4"), ["error:not-browser-playable"]);
    assert!(codes_at(&report, "v3/plain.mp4").is_empty());
    assert_eq!(codes_at(&report, "v4/hevc.mp4"), ["warning:not-browser-playable"]);
    // The audio track of a video: its codec and rate.
    let v = stimulus(&report, "v5/with_audio.mp4");
    assert_eq!(
        (v["audio_codec"].as_str(), v["sample_rate"].as_u64()),
        (Some("aac"), Some(8000))
    );
    assert_eq!(stimulus(&report, "v3/plain.mp4")["audio_codec"], Value::Null);
    // Variable frame rate, where the sample table shows it.
    assert_eq!(stimulus(&report, "v6/vfr.mp4")["variable_frame_rate"], true);
    assert_eq!(stimulus(&report, "v3/plain.mp4")["variable_frame_rate"], false);
    assert!(codes_at(&report, "v6/vfr.mp4").is_empty());
}

#[test]
fn cmyk_rotated_and_non_srgb_jpegs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("i1/cmyk.jpg", "analyze/cmyk.jpg"),
            ("i2/rotated.jpg", "analyze/rotated.jpg"),
            ("i3/p3.jpg", "analyze/display_p3.jpg"),
            ("i4/srgb.jpg", "analyze/srgb_profile.jpg"),
            ("i5/plain.png", "image/png.png"),
        ],
    );
    let (_, report) = check_json(&root, &[]);
    let c = stimulus(&report, "i1/cmyk.jpg");
    assert_eq!(
        (c["color"].as_str(), c["bit_depth"].as_u64()),
        (Some("cmyk"), Some(8))
    );
    assert_eq!(codes_at(&report, "i1/cmyk.jpg"), ["error:not-browser-playable"]);
    assert_eq!(stimulus(&report, "i2/rotated.jpg")["orientation"], 6);
    assert_eq!(codes_at(&report, "i2/rotated.jpg"), ["warning:rotated-image"]);
    assert_eq!(stimulus(&report, "i3/p3.jpg")["icc_profile"], "Display P3");
    assert_eq!(codes_at(&report, "i3/p3.jpg"), ["warning:non-srgb-profile"]);
    assert_eq!(
        stimulus(&report, "i4/srgb.jpg")["icc_profile"],
        "sRGB IEC61966-2.1"
    );
    assert!(codes_at(&report, "i4/srgb.jpg").is_empty());
    let p = stimulus(&report, "i5/plain.png");
    assert_eq!(p["color"].as_str().map(|c| !c.is_empty()), Some(true), "{p}");
    assert!(p["bit_depth"].as_u64().is_some());
    assert!(codes_at(&report, "i5/plain.png").is_empty());
}

#[test]
fn images_of_one_source_with_different_aspect_ratios_get_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/a.jpg", "analyze/srgb_profile.jpg"),
            ("s1/b.jpg", "analyze/wide.jpg"),
            ("s2/a.jpg", "analyze/srgb_profile.jpg"),
            ("s2/b.jpg", "analyze/display_p3.jpg"),
        ],
    );
    let (_, report) = check_json(&root, &[]);
    let s1 = codes_at(&report, "s1");
    assert!(s1.contains(&"warning:mixed-aspect-ratios".to_string()), "{s1:?}");
    assert!(!codes_at(&report, "s2").contains(&"warning:mixed-aspect-ratios".to_string()));
}

#[test]
fn analyze_thresholds_must_be_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/a.wav", "analyze/minus23.wav")]);
    for args in [
        ["--target-lufs", "nan"],
        ["--max-true-peak", "inf"],
        ["--loudness-tolerance", "-1"],
        ["--silence-tolerance", "x"],
    ] {
        let out = stimpack()
            .args(["check", "--analyze"])
            .args(args)
            .arg(&root)
            .output()
            .unwrap();
        assert_exit(&out, 2);
        assert!(String::from_utf8_lossy(&out.stderr).contains(args[1]), "{args:?}");
    }
}
