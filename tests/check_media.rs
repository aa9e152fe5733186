//! `stimpack check` readings for every supported format (compared with what the files
//! really hold: decoded sample counts and ffprobe, see testdata/fixtures/*/make.sh), media
//! findings, the JSON side files, and the experiment rules.

mod common;

use std::fs;

use common::*;
use serde_json::Value;

/// (fixture, media, format, codec, duration_s, sample_rate, channels, width, height, fps, finding)
type Expect = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<f64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<f64>,
    Option<&'static str>,
);

#[rustfmt::skip]
const EXPECTED: &[Expect] = &[
    // PCM: frames = bytes present / block align; the truncated WAV holds 4000 of its 8000 frames.
    ("audio/wav_s16le.wav", "audio", "wav", "pcm_s16le", Some(1.0), Some(8000), Some(1), None, None, None, None),
    ("audio/wav_s16le_trunc.wav", "audio", "wav", "pcm_s16le", Some(0.5), Some(8000), Some(1), None, None, None, Some("truncated-audio")),
    ("audio/wav_s16le_ffff.wav", "audio", "wav", "pcm_s16le", Some(1.0), Some(8000), Some(1), None, None, None, None),
    ("audio/wav_s24le_3ch_ext.wav", "audio", "wav", "pcm_s24le", Some(0.25), Some(8000), Some(3), None, None, None, None),
    ("audio/wav_f32le.wav", "audio", "wav", "pcm_f32le", Some(0.5), Some(8000), Some(1), None, None, None, None),
    ("audio/wav_rf64.wav", "audio", "wav", "pcm_s16le", Some(0.5), Some(8000), Some(1), None, None, None, None),
    ("audio/wav_mulaw.wav", "audio", "wav", "pcm_mulaw", Some(0.5), Some(8000), Some(1), None, None, None, None),
    ("audio/wav_ima_adpcm.wav", "audio", "wav", "adpcm_ima_wav", Some(0.51025), Some(8000), Some(1), None, None, None, Some("not-browser-playable")),
    ("audio/aiff_s16be.aiff", "audio", "aiff", "pcm_s16be", Some(1.0), Some(8000), Some(1), None, None, None, None),
    ("audio/aifc_sowt.aiff", "audio", "aiff", "pcm_s16le", Some(0.5), Some(8000), Some(1), None, None, None, None),
    // FLAC: to the sample; the truncated one decodes to 7168 samples.
    ("audio/flac_s16.flac", "audio", "flac", "flac", Some(1.0), Some(16000), Some(1), None, None, None, None),
    ("audio/flac_s16_trunc.flac", "audio", "flac", "flac", Some(0.448), Some(16000), Some(1), None, None, None, Some("truncated-audio")),
    // Ogg: last granule (Opus: minus pre-skip, at 48 kHz), as decoded.
    ("audio/vorbis.ogg", "audio", "ogg", "vorbis", Some(1.0), Some(8000), Some(1), None, None, None, None),
    ("audio/opus.opus", "audio", "ogg", "opus", Some(1.0), Some(48000), Some(1), None, None, None, None),
    ("audio/opus_trunc.opus", "audio", "ogg", "opus", Some(0.3935), Some(48000), Some(1), None, None, None, Some("truncated-audio")),
    ("audio/oggflac.oga", "audio", "ogg", "flac", Some(0.5), Some(8000), Some(1), None, None, None, None),
    // Two Opus streams back to back (mono 1.0 s + stereo 0.5 s): summed, and worth a warning.
    ("audio/opus_chained.opus", "audio", "ogg", "opus", Some(1.5), Some(48000), Some(1), None, None, None, Some("chained-ogg")),
    // libsndfile's IMA ADPCM with a wrong `fact` chunk: 1515 samples in whole blocks, as decoders play.
    ("audio/wav_ima_adpcm_sndfile.wav", "audio", "wav", "adpcm_ima_wav", Some(0.189375), Some(8000), Some(2), None, None, None, Some("not-browser-playable")),
    // MPEG audio: frames walked, LAME/Lavc gapless delay and padding trimmed as the decoder does.
    ("mp3/cbr_info.mp3", "audio", "mp3", "mp3", Some(1.0), Some(32000), Some(1), None, None, None, None),
    ("mp3/vbr_xing.mp3", "audio", "mp3", "mp3", Some(1.5), Some(32000), Some(1), None, None, None, None),
    // No Xing header: 43 frames x 1152 samples (ffprobe's estimate is a guess from the first frame).
    ("mp3/vbr_noxing.mp3", "audio", "mp3", "mp3", Some(1.548), Some(32000), Some(1), None, None, None, None),
    ("mp3/id3_tags.mp3", "audio", "mp3", "mp3", Some(1.0), Some(32000), Some(1), None, None, None, None),
    ("mp3/mpeg2_22k.mp3", "audio", "mp3", "mp3", Some(1.0), Some(22050), Some(1), None, None, None, None),
    ("mp3/mpeg25_8k.mp3", "audio", "mp3", "mp3", Some(1.0), Some(8000), Some(1), None, None, None, None),
    ("mp3/layer2.mp2", "audio", "mp2", "mp2", Some(1.008), Some(32000), Some(1), None, None, None, None),
    ("mp3/truncated.mp3", "audio", "mp3", "mp3", Some(0.99), Some(32000), Some(1), None, None, None, Some("truncated-audio")),
    ("mp3/garbage.mp3", "audio", "mp3", "mp3", Some(1.548), Some(32000), Some(1), None, None, None, Some("invalid-media")),
    ("mp3/adts.aac", "audio", "aac", "aac", Some(1.6), Some(16000), Some(1), None, None, None, None),
    ("mp3/adts_truncated.aac", "audio", "aac", "aac", Some(1.536), Some(16000), Some(1), None, None, None, Some("truncated-audio")),
    // ISO-BMFF: movie duration; fragmented files summed over their fragments.
    ("video/aac.m4a", "audio", "m4a", "aac", Some(0.5), Some(44100), Some(2), None, None, None, None),
    ("video/alac.m4a", "audio", "m4a", "alac", Some(0.5), Some(8000), Some(1), None, None, None, None),
    ("video/h264_aac.mp4", "video", "mp4", "h264", Some(1.0), Some(8000), Some(1), Some(64), Some(48), Some(10.0), None),
    ("video/h264_aac_faststart.mp4", "video", "mp4", "h264", Some(1.0), Some(8000), Some(1), Some(64), Some(48), Some(10.0), None),
    ("video/h264_frag_video.mp4", "video", "mp4", "h264", Some(1.0), None, None, Some(64), Some(48), Some(25.0), None),
    // fps is the nominal rate (ffprobe's r_frame_rate), not the average: ffmpeg stretches the
    // first sample of these fragmented files by the audio priming (avg_frame_rate 8.865, 22.162)
    ("video/h264_aac_frag.mp4", "video", "mp4", "h264", Some(1.128027), Some(8000), Some(1), Some(64), Some(48), Some(10.0), None),
    ("video/h264_aac_frag25.mp4", "video", "mp4", "h264", Some(1.128047), Some(8000), Some(1), Some(64), Some(48), Some(25.0), None),
    ("video/hevc_hvc1.mp4", "video", "mp4", "hevc", Some(0.5), None, None, Some(160), Some(120), Some(24.0), Some("not-browser-playable")),
    ("video/mov_h264_pcm.mov", "video", "mov", "h264", Some(1.0), Some(8000), Some(1), Some(64), Some(48), Some(10.0), None),
    ("video/trunc_mdat.mp4", "video", "mp4", "", None, None, None, None, None, None, Some("truncated-video")),
    ("video/no_moov.mp4", "video", "mp4", "", None, None, None, None, None, None, Some("truncated-video")),
    // Images: header only, plus the end-of-file structure.
    ("image/png.png", "image", "png", "png", None, None, None, Some(33), Some(17), None, None),
    ("image/baseline.jpg", "image", "jpeg", "jpeg", None, None, None, Some(33), Some(17), None, None),
    ("image/progressive.jpg", "image", "jpeg", "jpeg", None, None, None, Some(33), Some(17), None, None),
    ("image/gif.gif", "image", "gif", "gif", None, None, None, Some(33), Some(17), None, None),
    ("image/bmp.bmp", "image", "bmp", "bmp", None, None, None, Some(33), Some(17), None, None),
    ("image/lossy.webp", "image", "webp", "webp", None, None, None, Some(33), Some(17), None, None),
    ("image/lossless.webp", "image", "webp", "webp", None, None, None, Some(33), Some(17), None, None),
    ("image/be.tif", "image", "tiff", "tiff", None, None, None, Some(16), Some(12), None, None),
    ("image/trunc.png", "image", "png", "png", None, None, None, Some(33), Some(17), None, Some("truncated-image")),
    ("image/trunc.jpg", "image", "jpeg", "jpeg", None, None, None, Some(33), Some(17), None, Some("truncated-image")),
    ("image/trunc.gif", "image", "gif", "gif", None, None, None, Some(33), Some(17), None, Some("truncated-image")),
    ("image/trunc.webp", "image", "webp", "webp", None, None, None, Some(33), Some(17), None, Some("truncated-image")),
    // Multi-page TIFF: every page's directory, values and strips must lie inside the file.
    ("image/multi.tif", "image", "tiff", "tiff", None, None, None, Some(8), Some(6), None, None),
    ("image/trunc_multi.tif", "image", "tiff", "tiff", None, None, None, Some(8), Some(6), None, Some("truncated-image")),
];

/// Each fixture becomes `<kind>/<file name with dots as underscores>.<ext>`, so names never collide.
fn place(fixture: &str) -> String {
    let (kind, file) = fixture.split_once('/').unwrap();
    let ext = file.rsplit('.').next().unwrap();
    format!("{kind}/{}.{ext}", file.replace('.', "_"))
}

#[test]
fn every_format_reads_what_the_file_really_holds() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, &str)> = EXPECTED.iter().map(|e| (place(e.0), e.0)).collect();
    let pairs: Vec<(&str, &str)> = files.iter().map(|(p, f)| (p.as_str(), *f)).collect();
    let root = dataset(dir.path(), &pairs);
    let (_, report) = check_json(&root, &["--threads", "2"]);
    for &(fx, media, format, codec, dur, rate, ch, w, h, fps, finding) in EXPECTED {
        let path = place(fx);
        let s = stimulus(&report, &path);
        let num = |k: &str| s[k].as_f64();
        let int = |k: &str| s[k].as_u64();
        assert_eq!(s["media"], media, "{fx}");
        assert_eq!(s["format"], format, "{fx}");
        assert_eq!(s["codec"].as_str().unwrap_or(""), codec, "{fx}");
        assert_eq!(num("duration_s"), dur, "{fx} duration");
        assert_eq!(
            (int("sample_rate"), int("channels")),
            (rate, ch),
            "{fx} rate/channels"
        );
        assert_eq!((int("width"), int("height")), (w, h), "{fx} size");
        assert_eq!(num("fps"), fps, "{fx} fps");
        let found: Vec<&str> = report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["path"] == path.as_str())
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        assert_eq!(found, finding.into_iter().collect::<Vec<_>>(), "{fx} findings");
        if media == "video" && finding.is_none() {
            let fragmented = fx.contains("frag");
            assert_eq!(s["fragmented"], fragmented, "{fx}");
            assert_eq!(s["has_audio"], rate.is_some(), "{fx}");
        }
    }
}

#[test]
fn content_is_sniffed_not_trusted_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/mp3_named_wav.wav", "mp3/cbr_info.mp3"),
            ("s1/empty.wav", "="),
            ("s1/noise.flac", "=this is not audio at all, just text"),
            ("s1/wave.dat", "audio/wav_s16le.wav"),
            ("s1/m4a_named_mp4.mp4", "video/aac.m4a"),
        ],
    );
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "extension-mismatch", "s1/mp3_named_wav.wav"));
    // Read as what it really is.
    assert_eq!(stimulus(&report, "s1/mp3_named_wav.wav")["format"], "mp3");
    assert!(has(&report, "empty-file", "s1/empty.wav"));
    assert!(has(&report, "invalid-media", "s1/noise.flac"));
    let unsupported = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "s1/wave.dat")
        .unwrap();
    assert_eq!(unsupported["code"], "unsupported-file");
    assert!(
        unsupported["message"]
            .as_str()
            .unwrap()
            .contains("rename it to .wav"),
        "{unsupported}"
    );
    // An .mp4 holding only audio is not a mismatch: MP4 and M4A are the same container.
    assert!(!has(&report, "extension-mismatch", "s1/m4a_named_mp4.mp4"));
    assert_eq!(stimulus(&report, "s1/m4a_named_mp4.mp4")["media"], "audio");
}

#[test]
fn config_requests_providers_and_embedded_stimuli() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("providers.json", "={\"openai\": {}}"),
            (
                "good/config.json",
                r#"={"title": "T", "question": "Q?", "description": ["a", {"lang": "en"}], "colour": 1}"#,
            ),
            ("good/a.req.json", r#"={"provider": "openai", "prompt": "hi"}"#),
            ("good/b.req.json", "={not json"),
            ("bad/config.json", r#"={"title": ["not", "a", "string"]}"#),
            ("bad/x.js", "=  \n"),
            ("bad/y.js", "=export default () => 1;"),
        ],
    );
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 1);
    let good = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "good")
        .unwrap();
    assert_eq!(good["config"]["title"], "T");
    assert!(has(&report, "unknown-config-key", "good/config.json"));
    assert!(has(&report, "invalid-request", "good/b.req.json"));
    assert!(has(&report, "invalid-config", "bad/config.json"));
    assert!(has(&report, "invalid-embedded", "bad/x.js"));
    assert_eq!(stimulus(&report, "good/a.req.json")["media"], "api_request");
    assert_eq!(stimulus(&report, "bad/y.js")["media"], "embedded");
    assert!(!codes(&report).iter().any(|(c, _)| c == "invalid-providers"));

    fs::write(root.join("providers.json"), "[1, 2]").unwrap();
    let (_, report) = check_json(&root, &[]);
    assert!(has(&report, "invalid-providers", "providers.json"));
}

#[test]
fn consistency_warnings_inside_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/a.wav", "audio/wav_s16le.wav"),
            ("s1/b.flac", "audio/flac_s16.flac"),
            ("s1/c.wav", "audio/wav_s24le_3ch_ext.wav"),
            ("s2/a.png", "image/png.png"),
            ("s2/b.tif", "image/be.tif"),
        ],
    );
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 0, "warnings only: {:#?}", codes(&report));
    for (c, p) in [
        ("mixed-sample-rates", "s1"),
        ("mixed-channels", "s1"),
        ("duration-mismatch", "s1"),
        ("mixed-image-sizes", "s2"),
    ] {
        assert!(has(&report, c, p), "missing {c}: {:#?}", codes(&report));
    }
}

fn experiment(files: &[(&str, &str)], args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), files);
    check_json(&root, args).1
}

#[test]
fn mushra_rules() {
    let mut files = vec![
        ("s1/reference.mp3", "mp3/cbr_info.mp3"),
        ("s1/low.mp3", "mp3/cbr_info.mp3"),
    ];
    let names: Vec<String> = (0..9).map(|i| format!("s1/c{i}.mp3")).collect();
    files.extend(names.iter().map(|n| (n.as_str(), "mp3/cbr_info.mp3")));
    files.push(("s2/a.mp3", "mp3/cbr_info.mp3"));
    files.push(("s2/pic.png", "image/png.png"));
    let report = experiment(
        &files,
        &["--experiment", "mushra", "--anchor", "low", "--anchor", "mid"],
    );
    for (c, p) in [
        ("conditions-subsampled", "s1"),
        ("missing-reference", "s2"),
        ("wrong-media-for-experiment", "s2/pic.png"),
    ] {
        assert!(has(&report, c, p), "missing {c} at {p}: {:#?}", codes(&report));
    }
    // Both sources lack the anchor 'mid': one finding listing both (it used to be one finding
    // per source; repeated findings of one kind are grouped now).
    let mid: Vec<&Value> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "missing-anchor" && i["message"].as_str().unwrap().contains("'mid.*'"))
        .collect();
    assert_eq!(mid.len(), 1, "{mid:#?}");
    assert!(mid[0]["path"].is_null());
    assert_eq!(mid[0]["paths"], serde_json::json!(["s1", "s2"]));
    assert!(
        has(&report, "missing-anchor", "s2"),
        "'low' is missing from s2 alone"
    );
    assert_eq!(stimulus(&report, "s1/reference.mp3")["role"], "reference");
    assert_eq!(stimulus(&report, "s1/low.mp3")["role"], "anchor");
    // A custom reference name.
    let report = experiment(
        &[
            ("s1/orig.mp3", "mp3/cbr_info.mp3"),
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
        ],
        &["--experiment", "mushra", "--reference", "orig"],
    );
    assert!(codes(&report).is_empty(), "{:#?}", codes(&report));
}

#[test]
fn pairwise_and_video_rules() {
    let report = experiment(
        &[("s1/a.png", "image/png.png")],
        &["--experiment", "binary_image"],
    );
    assert!(has(&report, "too-few-conditions", "s1"));
    let report = experiment(
        &[
            ("s1/a.mov", "video/mov_h264_pcm.mov"),
            ("s1/b.mp4", "video/h264_aac.mp4"),
        ],
        &["--experiment", "acr_video"],
    );
    assert!(has(&report, "video-not-mp4", "s1/a.mov"));
    assert!(!has(&report, "video-not-mp4", "s1/b.mp4"));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, &str)> = EXPECTED.iter().map(|e| (place(e.0), e.0)).collect();
    let pairs: Vec<(&str, &str)> = files.iter().map(|(p, f)| (p.as_str(), *f)).collect();
    let root = dataset(dir.path(), &pairs);
    let run = |threads: &str| {
        stimpack()
            .arg("check")
            .arg(&root)
            .args(["--json", "--threads", threads])
            .output()
            .unwrap()
            .stdout
    };
    let first = run("1");
    assert_eq!(first, run("2"));
    assert_eq!(first, run("2"));
}

#[test]
fn decode_finds_damage_that_headers_cannot_show() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/a.flac", "audio/flac_s16.flac"),
            ("s1/b.mp3", "mp3/cbr_info.mp3"),
        ],
    );
    // Damage the FLAC audio (past its 8 KiB padding): headers stay intact, frame CRCs and MD5 fail.
    let path = root.join("s1/a.flac");
    let mut bytes = fs::read(&path).unwrap();
    let mid = bytes.len() * 3 / 4;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    fs::write(&path, bytes).unwrap();
    let (code, report) = check_json(&root, &[]);
    assert_eq!(
        report["summary"]["errors"],
        0,
        "headers alone cannot see it: {:#?}",
        codes(&report)
    );
    assert_eq!(code, 0);
    let (code, report) = check_json(&root, &["--decode"]);
    assert_eq!(code, 1);
    assert!(
        has(&report, "undecodable-audio", "s1/a.flac"),
        "{:#?}",
        codes(&report)
    );
    assert_eq!(report["summary"]["errors"], 1);
    // The healthy demo decodes cleanly (its Opus files are skipped: Symphonia has no Opus decoder).
    let demo = testdata().join("demo");
    let (code, report) = check_json(&demo, &["--decode"]);
    assert_eq!(code, 0, "{:#?}", codes(&report));
}

/// Regression (real-file sweep): a cut-short .m4a was reported as `truncated-video`; Vorbis in
/// `.opus`, video in `.m4a` and MP2 in `.mp3` passed although players pick decoders by extension.
#[test]
fn codec_must_match_the_extension_too() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/vorbis.opus", "audio/vorbis.ogg"),
            ("s1/movie.m4a", "video/h264_aac.mp4"),
            ("s1/layer2.mp3", "mp3/layer2.mp2"),
            ("s1/cut.m4a", "video/trunc_mdat.mp4"),
            ("s1/fine.opus", "audio/opus.opus"),
        ],
    );
    let (_, report) = check_json(&root, &[]);
    for p in ["s1/vorbis.opus", "s1/movie.m4a", "s1/layer2.mp3"] {
        assert!(
            has(&report, "extension-mismatch", p),
            "{p}: {:#?}",
            codes(&report)
        );
    }
    assert!(
        has(&report, "truncated-audio", "s1/cut.m4a"),
        "{:#?}",
        codes(&report)
    );
    assert!(!codes(&report).iter().any(|(_, p)| p == "s1/fine.opus"));
}

/// MP3 and ADTS have no file signature: padding before the first frame must not make a
/// healthy file "invalid", while text named .mp3 still is.
#[test]
fn mpeg_audio_after_leading_padding_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/text.mp3", "=just some text, not audio")]);
    let mut padded = vec![0u8; 300];
    padded.extend_from_slice(&fs::read(fixture("mp3/cbr_info.mp3")).unwrap()[20..]);
    fs::write(root.join("s1/padded.mp3"), padded).unwrap();
    let (_, report) = check_json(&root, &[]);
    assert_eq!(
        stimulus(&report, "s1/padded.mp3")["duration_s"].as_f64(),
        Some(1.0)
    );
    assert!(
        !codes(&report).iter().any(|(_, p)| p == "s1/padded.mp3"),
        "{:#?}",
        codes(&report)
    );
    assert!(has(&report, "invalid-media", "s1/text.mp3"));
}
