//! `stimpack preview` in a real browser: Debian's Chromium, headless, driven over WebDriver.
//! The browser is an independent decoder: every demo stimulus must play in it, at the duration
//! stimpack read. Skipped, with a loud line on stderr, where Chromium or chromedriver is missing.

mod common;
mod preview_support;

use std::fs;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use common::testdata;
use preview_support::Preview;
use preview_support::webdriver::{Browser, Session};
use serde_json::{Value, json};

/// One browser at a time: the tests share two cores with everything else.
static BROWSER: Mutex<()> = Mutex::new(());

/// Waits until the browser has settled every cell (played it, or failed), and returns the results.
fn settled(session: &Session) -> Vec<Value> {
    let done = session.wait_for(
        "return !!window.stimpackPreview && window.stimpackPreview.results().every(r => r.state !== 'pending');",
        Duration::from_secs(90),
    );
    let results = session.js("return window.stimpackPreview.results();", json!([]));
    assert!(done, "some cells never settled: {results:#}");
    results.as_array().unwrap().clone()
}

fn open(browser: &Browser, input: &Path, args: &[&str]) -> (Preview, Session) {
    let preview = Preview::start(input, args);
    let session = Session::start(browser);
    session.goto(&preview.url);
    (preview, session)
}

#[test]
fn demo_grid_has_sources_by_conditions_with_the_reference_first_and_anchors_last() {
    let Some(browser) = Browser::find("demo_grid_has_sources_by_conditions...") else {
        return;
    };
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let (_preview, session) = open(&browser, &testdata().join("demo"), &["--anchor", "codec_8bit"]);
    settled(&session);
    let shape = session.js(
        "const p = window.stimpackPreview;
         const rows = [...document.querySelectorAll('#grid tbody tr')];
         return {
           columns: p.columns,
           headers: [...document.querySelectorAll('#grid thead th')].slice(1).map(th => th.dataset.condition),
           sources: rows.map(r => r.dataset.source),
           cells: rows.map(r => r.querySelectorAll('td').length),
           missing: rows.map(r => [...r.querySelectorAll('td')].map((td, i) => td.classList.contains('missing') ? i : -1).filter(i => i >= 0)),
           players: document.querySelectorAll('#grid td audio').length,
         };",
        json!([]),
    );
    let order = json!([
        "reference",
        "codec_aac",
        "codec_mp3",
        "codec_opus",
        "low",
        "codec_8bit"
    ]);
    assert_eq!(shape["columns"], order, "{shape:#}");
    assert_eq!(shape["headers"], order);
    assert_eq!(shape["sources"], json!(["music_1", "speech_1", "speech_2"]));
    assert_eq!(shape["cells"], json!([6, 6, 6]));
    assert_eq!(
        shape["missing"],
        json!([[], [5], [5]]),
        "only music_1 has codec_8bit"
    );
    assert_eq!(shape["players"], 16);
}

#[test]
fn every_demo_stimulus_plays_in_the_browser_at_stimpacks_duration() {
    let Some(browser) = Browser::find("every_demo_stimulus_plays_in_the_browser...") else {
        return;
    };
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let (_preview, session) = open(&browser, &testdata().join("demo"), &[]);
    let results = settled(&session);
    assert_eq!(results.len(), 16);
    let mut worst = 0.0f64;
    for r in &results {
        assert_eq!(r["state"], "playable", "{r}");
        let browser_s = r["duration"]
            .as_f64()
            .unwrap_or_else(|| panic!("no duration: {r}"));
        let ours = r["stimpack_duration"].as_f64().unwrap();
        let diff = (browser_s - ours).abs();
        eprintln!(
            "{}: browser {browser_s:.6} s, stimpack {ours:.6} s, {:.1} ms apart",
            r["path"],
            diff * 1000.0
        );
        assert!(
            diff <= 0.05,
            "{}: the browser measures {browser_s} s, stimpack read {ours} s",
            r["path"]
        );
        worst = worst.max(diff);
    }
    eprintln!("largest difference: {:.1} ms", worst * 1000.0);
}

/// `{ row, col, paused, time }` of the current cell and of one other.
fn media_state(session: &Session, path: &str) -> Value {
    session.js(
        "const m = document.querySelector(`td[data-path=\"${arguments[0]}\"] audio`);
         return { paused: m.paused, time: m.currentTime };",
        json!([path]),
    )
}

#[test]
fn number_keys_switch_conditions_at_the_same_playback_position() {
    let Some(browser) = Browser::find("number_keys_switch_conditions...") else {
        return;
    };
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let (_preview, session) = open(&browser, &testdata().join("demo"), &[]);
    settled(&session);
    session.click(r#"td[data-path="music_1/reference.wav"] .readings"#);
    assert_eq!(
        session.js("return window.stimpackPreview.current().path;", json!([])),
        "music_1/reference.wav"
    );
    session.js(
        "document.querySelector('td[data-path=\"music_1/reference.wav\"] audio').currentTime = 1.2;",
        json!([]),
    );

    // Paused: the position moves over, nothing starts playing.
    session.key("3");
    assert_eq!(
        session.js("return window.stimpackPreview.current().path;", json!([])),
        "music_1/codec_aac.m4a"
    );
    let aac = media_state(&session, "music_1/codec_aac.m4a");
    assert!(aac["paused"] == true, "{aac}");
    assert!((aac["time"].as_f64().unwrap() - 1.2).abs() < 0.05, "{aac}");

    // Playing: space starts it, a number key carries on from where it is in the other file.
    session.key(" ");
    assert!(
        session.wait_for(
            "const m = document.querySelector('td[data-path=\"music_1/codec_aac.m4a\"] audio'); return !m.paused && m.currentTime > 1.35;",
            Duration::from_secs(20),
        ),
        "space did not start playback: {}",
        media_state(&session, "music_1/codec_aac.m4a")
    );
    session.key("5");
    let left = media_state(&session, "music_1/codec_aac.m4a");
    let opus = media_state(&session, "music_1/codec_opus.opus");
    assert_eq!(
        session.js("return window.stimpackPreview.current().path;", json!([])),
        "music_1/codec_opus.opus"
    );
    assert!(
        left["paused"] == true,
        "the condition switched from keeps playing: {left}"
    );
    assert!(
        opus["paused"] == false,
        "the condition switched to does not play: {opus}"
    );
    let (from, to) = (left["time"].as_f64().unwrap(), opus["time"].as_f64().unwrap());
    assert!(from > 1.35, "{left}");
    assert!(
        (to - from).abs() < 0.15,
        "switched at {from} s, the new condition is at {to} s"
    );

    // Space pauses; the row below keeps the column.
    session.key(" ");
    assert!(session.wait_for(
        "return document.querySelector('td[data-path=\"music_1/codec_opus.opus\"] audio').paused;",
        Duration::from_secs(5)
    ));
    session.key("\u{E015}"); // arrow down
    assert_eq!(
        session.js("return window.stimpackPreview.current().path;", json!([])),
        "speech_1/codec_opus.opus"
    );

    // With the player itself focused (after a click on its controls), space still toggles once.
    session.js(
        "document.querySelector('td[data-path=\"speech_1/codec_opus.opus\"] audio').focus();",
        json!([]),
    );
    session.key(" ");
    assert!(
        session.wait_for(
            "const m = document.querySelector('td[data-path=\"speech_1/codec_opus.opus\"] audio'); return !m.paused && m.currentTime > 0.2;",
            Duration::from_secs(20),
        ),
        "space on a focused player did not play it: {}",
        media_state(&session, "speech_1/codec_opus.opus")
    );
    session.key(" ");
    assert!(
        session.wait_for(
            "return document.querySelector('td[data-path=\"speech_1/codec_opus.opus\"] audio').paused;",
            Duration::from_secs(5)
        ),
        "the second space did not pause it"
    );
}

#[test]
fn a_file_the_browser_cannot_play_shows_as_unplayable() {
    let Some(browser) = Browser::find("a_file_the_browser_cannot_play...") else {
        return;
    };
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("study");
    for s in ["s1", "s2"] {
        fs::create_dir_all(root.join(s)).unwrap();
        fs::copy(
            testdata().join("demo/music_1/reference.wav"),
            root.join(s).join("reference.wav"),
        )
        .unwrap();
    }
    // Valid AIFF, which stimpack reads without a finding and Chromium has no demuxer for.
    fs::write(root.join("s1/codec.aiff"), preview_support::aiff(24_000)).unwrap();
    fs::copy(testdata().join("demo/music_1/low.wav"), root.join("s2/codec.wav")).unwrap();
    // And a file stimpack itself finds cut short: its finding is shown in its cell.
    fs::copy(
        testdata().join("fixtures/audio/wav_s16le_trunc.wav"),
        root.join("s1/cut.wav"),
    )
    .unwrap();
    let (_preview, session) = open(&browser, &root, &[]);
    let results = settled(&session);
    let state = |path: &str| {
        results
            .iter()
            .find(|r| r["path"] == path)
            .unwrap_or_else(|| panic!("no {path} in {results:#?}"))
            .clone()
    };
    let aiff = state("s1/codec.aiff");
    assert_eq!(aiff["state"], "unplayable", "{aiff}");
    assert!(aiff["error"].as_str().is_some_and(|e| !e.is_empty()), "{aiff}");
    assert_eq!(state("s1/reference.wav")["state"], "playable");
    assert_eq!(state("s2/codec.wav")["state"], "playable");
    let shown = session.js(
        "const td = document.querySelector('td[data-path=\"s1/codec.aiff\"]');
         return { text: td.querySelector('.browser').textContent, bad: td.querySelector('.browser').classList.contains('bad') };",
        json!([]),
    );
    assert!(shown["text"].as_str().unwrap().contains("browser:"), "{shown}");
    assert_eq!(shown["bad"], true);
    let finding = session.js(
        "return [...document.querySelectorAll('td[data-path=\"s1/cut.wav\"] ul.findings li.error .code')].map(e => e.textContent);",
        json!([]),
    );
    assert_eq!(finding, json!(["truncated-audio"]));
    // The filter keeps the source the browser found a problem in, and hides the other.
    session.click("#only-findings");
    let visible = session.js(
        "return [...document.querySelectorAll('#grid tbody tr')].filter(r => r.offsetParent !== null).map(r => r.dataset.source);",
        json!([]),
    );
    assert_eq!(visible, json!(["s1"]));
}

#[test]
fn videos_and_images_play_at_stimpacks_duration_and_size() {
    let Some(browser) = Browser::find("videos_and_images_play...") else {
        return;
    };
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("study");
    let fixture = |name: &str| testdata().join("fixtures").join(name);
    for (to, from) in [
        ("clip/reference.mp4", "video/h264_aac.mp4"),
        ("clip/fragmented.mp4", "video/h264_aac_frag.mp4"),
        ("picture/reference.png", "image/png.png"),
        ("picture/baseline.jpg", "image/baseline.jpg"),
        ("picture/lossy.webp", "image/lossy.webp"),
    ] {
        fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
        fs::copy(fixture(from), root.join(to)).unwrap();
    }
    let (_preview, session) = open(&browser, &root, &[]);
    let results = settled(&session);
    assert_eq!(results.len(), 5);
    for r in &results {
        assert_eq!(r["state"], "playable", "{r}");
        if r["media"] == "video" {
            let (theirs, ours) = (
                r["duration"].as_f64().unwrap(),
                r["stimpack_duration"].as_f64().unwrap(),
            );
            eprintln!("{}: browser {theirs:.6} s, stimpack {ours:.6} s", r["path"]);
            assert!((theirs - ours).abs() <= 0.1, "{r}");
        }
    }
    let players = session.js(
        "return [...document.querySelectorAll('#grid td')].map(td => td.querySelector('video, img, audio')?.tagName ?? null);",
        json!([]),
    );
    let players: Vec<Value> = players
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p.is_null())
        .cloned()
        .collect();
    assert_eq!(players.iter().filter(|p| *p == "VIDEO").count(), 2);
    assert_eq!(players.iter().filter(|p| *p == "IMG").count(), 3);
}

#[test]
fn the_static_page_of_a_folder_plays_from_disk() {
    let Some(browser) = Browser::find("the_static_page_of_a_folder_plays...") else {
        return;
    };
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page");
    let out = common::stimpack()
        .arg("preview")
        .arg(testdata().join("demo"))
        .arg("-o")
        .arg(&page)
        .output()
        .unwrap();
    common::assert_exit(&out, 0);
    let session = Session::start(&browser);
    session.goto(&format!("file://{}", page.join("index.html").display()));
    let results = settled(&session);
    assert_eq!(results.len(), 16);
    for r in &results {
        assert_eq!(r["state"], "playable", "{r}");
    }
}
