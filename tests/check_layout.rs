//! `stimpack check` on folders, zips and URL lists: every layout, zip and URL-list finding,
//! exit codes and the readable output.

mod common;

use std::fs;

use common::*;

#[test]
fn folder_layout_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("loose.wav", "mp3/cbr_info.mp3"),
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
            ("s1/a.mp2", "mp3/layer2.mp2"),
            ("s1/B.mp3", "mp3/cbr_info.mp3"),
            ("s1/b.mp3", "mp3/cbr_info.mp3"),
            ("s1/deeper/x.mp3", "mp3/cbr_info.mp3"),
            ("s1/notes.docx", "=not media"),
            ("s1/.DS_Store", "=junk"),
            ("s2/a.mp3", "mp3/cbr_info.mp3"),
            ("s2/pic.png", "image/png.png"),
            ("s3/a.mp3", "mp3/cbr_info.mp3"),
            ("s3/b.mp3", "mp3/cbr_info.mp3"),
            ("s4/b.mp3", "mp3/cbr_info.mp3"),
            ("__MACOSX/s1/._a.mp3", "=appledouble"),
        ],
    );
    fs::create_dir_all(root.join("empty")).unwrap();
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 1);
    for (c, p) in [
        ("file-outside-source", "loose.wav"),
        ("duplicate-condition", "s1/a.mp3"),
        ("name-collision", "s1/b.mp3"),
        ("nested-folder", "s1/deeper"),
        ("unsupported-file", "s1/notes.docx"),
        ("junk-file", "s1/.DS_Store"),
        ("junk-file", "__MACOSX"),
        ("mixed-media", "s2"),
        ("empty-source", "empty"),
        ("missing-conditions", "s4"),
    ] {
        assert!(has(&report, c, p), "missing {c} at {p}: {:#?}", codes(&report));
    }
    let severities: Vec<(&str, &str)> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["code"].as_str().unwrap(), i["severity"].as_str().unwrap()))
        .collect();
    for (code, severity) in severities {
        let warning = ["junk-file", "empty-source", "missing-conditions"].contains(&code);
        assert_eq!(severity, if warning { "warning" } else { "error" }, "{code}");
    }
}

#[test]
#[cfg(unix)]
fn symlinks_inside_the_root_are_followed_and_outside_ones_reported() {
    let outside = tempfile::tempdir().unwrap();
    fs::copy(fixture("mp3/cbr_info.mp3"), outside.path().join("elsewhere.mp3")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), &[("s1/a.mp3", "mp3/cbr_info.mp3")]);
    std::os::unix::fs::symlink(root.join("s1/a.mp3"), root.join("s1/b.mp3")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("elsewhere.mp3"), root.join("s1/c.mp3")).unwrap();
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(stimulus(&report, "s1/b.mp3")["codec"], "mp3");
    assert!(
        has(&report, "symlink-outside-root", "s1/c.mp3"),
        "{:#?}",
        codes(&report)
    );
}

#[test]
fn finder_zip_is_read_in_place_through_its_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("My Study.zip");
    raw_zip(
        &zip,
        &[
            RawEntry {
                name: b"My Study/".to_vec(),
                data: vec![],
                flags: 0,
                mode: 0o40755,
            },
            RawEntry::fixture("My Study/s1/a.mp3", "mp3/cbr_info.mp3"),
            RawEntry::fixture("My Study/s1/b.png", "image/png.png"),
            RawEntry::file("My Study/.DS_Store", b"junk"),
            RawEntry::file("__MACOSX/My Study/s1/._a.mp3", b"appledouble"),
        ],
    );
    let (code, report) = check_json(&zip, &[]);
    // 1 for the mixed media; the wrapper is a warning, as for `pack`, which drops it.
    assert_eq!(code, 1);
    assert_eq!(report["input_kind"], "zip");
    assert!(has(&report, "wrapping-folder", "My Study"));
    assert!(has(&report, "junk-file", "__MACOSX"));
    assert!(has(&report, "junk-file", "My Study/.DS_Store"));
    // Findings name paths relative to the input (the folder is in the zip under "My Study/");
    // stimuli keep their paths inside the dataset, as `pack` writes them.
    assert!(
        has(&report, "mixed-media", "My Study/s1"),
        "{:#?}",
        codes(&report)
    );
    let a = stimulus(&report, "s1/a.mp3");
    assert_eq!(
        (a["sample_rate"].as_u64(), a["duration_s"].as_f64()),
        (Some(32000), Some(1.0))
    );
    assert_eq!(stimulus(&report, "s1/b.png")["width"], 33);
}

#[test]
fn zip_entry_problems() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("bad.zip");
    let mp3 = fs::read(fixture("mp3/cbr_info.mp3")).unwrap();
    raw_zip(
        &zip,
        &[
            RawEntry::file("s1/a.mp3", &mp3),
            RawEntry::file("s1/a.mp3", &mp3),
            RawEntry::file("../evil/x.mp3", &mp3),
            RawEntry::file("/abs/x.mp3", &mp3),
            // "é" in CP437 (0x82), no UTF-8 flag.
            RawEntry {
                name: b"s1/caf\x82.mp3".to_vec(),
                data: mp3.clone(),
                flags: 0,
                mode: 0o100644,
            },
            // UTF-8 bytes without the flag, as Finder writes them.
            RawEntry {
                name: "s1/ü.mp3".as_bytes().to_vec(),
                data: mp3.clone(),
                flags: 0,
                mode: 0o100644,
            },
            RawEntry {
                name: b"s1/link.mp3".to_vec(),
                data: b"a.mp3".to_vec(),
                flags: 1 << 11,
                mode: 0o120777,
            },
            RawEntry {
                name: b"s1/secret.mp3".to_vec(),
                data: mp3.clone(),
                flags: 1 << 11 | 1,
                mode: 0o100644,
            },
        ],
    );
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    for (c, p) in [
        ("duplicate-entry", "s1/a.mp3"),
        ("unsafe-path", "../evil/x.mp3"),
        ("unsafe-path", "/abs/x.mp3"),
        ("non-utf8-name", "s1/café.mp3"),
        ("non-utf8-name", "s1/ü.mp3"),
        ("unreadable-entry", "s1/link.mp3"),
        ("unreadable-entry", "s1/secret.mp3"),
    ] {
        assert!(has(&report, c, p), "missing {c} at {p}: {:#?}", codes(&report));
    }
    assert_eq!(stimulus(&report, "s1/ü.mp3")["codec"], "mp3");
}

#[test]
fn deflated_zip_entries_are_probed_too() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deflated.zip");
    let mut w = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, fx) in [
        ("s1/a.mp3", "mp3/vbr_noxing.mp3"),
        ("s1/b.png", "image/trunc.png"),
    ] {
        w.start_file(name, opts).unwrap();
        w.write_all(&fs::read(fixture(fx)).unwrap()).unwrap();
    }
    w.finish().unwrap();
    let (_, report) = check_json(&path, &[]);
    assert_eq!(
        stimulus(&report, "s1/a.mp3")["duration_s"].as_f64(),
        Some(49536.0 / 32000.0)
    );
    assert!(has(&report, "truncated-image", "s1/b.png"));
}

#[test]
fn url_list_findings_carry_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    fs::write(
        &list,
        "# stimuli\n\
         https://cdn.example.com/x/source_1/a.wav?X-Amz-Signature=SECRET\n\
         https://cdn.example.com/x/source_1/b.mp3\n\
         https://cdn.example.com/x/source_2/a.wav\n\
         \n\
         not a url\n\
         ftp://cdn.example.com/x/source_2/b.wav\n\
         https://cdn.example.com/a.wav\n\
         https://cdn.example.com/x/source_1/b.mp3\n\
         https://cdn.example.com/y/source_1/a.flac\n\
         http://10.0.0.3/x/source_3/a.wav\n\
         http://cdn.example.com/x/source_3/b.wav\n\
         https://cdn.example.com/x/source_3/c.doc\n",
    )
    .unwrap();
    let (code, report) = check_json(&list, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["input_kind"], "url_list");
    let found: Vec<(String, u64)> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| Some((i["code"].as_str().unwrap().to_string(), i["line"].as_u64()?)))
        .collect();
    for expected in [
        ("invalid-url", 6),
        ("unsupported-scheme", 7),
        ("url-path-too-short", 8),
        ("duplicate-url", 9),
        ("duplicate-condition", 10),
        ("private-url", 11),
        ("insecure-url", 12),
        ("unsupported-file", 13),
    ] {
        assert!(
            found.contains(&(expected.0.to_string(), expected.1)),
            "missing {expected:?} in {found:?}"
        );
    }
    let a = stimulus(&report, "source_1/a.wav");
    assert_eq!(a["media"], "audio");
    assert_eq!(
        a["url"],
        "https://cdn.example.com/x/source_1/a.wav?X-Amz-Signature=SECRET"
    );
    assert!(a["bytes"].is_null() && a["duration_s"].is_null());
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    // Warnings only: 0, and 1 with --strict.
    let root = dataset(
        dir.path(),
        &[("s1/a.mp3", "mp3/cbr_info.mp3"), ("s1/.DS_Store", "=x")],
    );
    stimpack().args(["check"]).arg(&root).assert().code(0);
    stimpack().args(["check", "--strict"]).arg(&root).assert().code(1);
    // Unreadable input and wrong arguments: 2, with a message naming the path.
    let missing = dir.path().join("nope");
    let out = stimpack().arg("check").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope: no such file or folder"));
    stimpack()
        .args(["check", "--experiment", "mushraa"])
        .arg(&root)
        .assert()
        .code(2);
    let not_zip = dir.path().join("broken.zip");
    fs::write(&not_zip, b"PK\x03\x04 not really").unwrap();
    let out = stimpack().arg("check").arg(&not_zip).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a readable zip archive"));
    let help = stimpack().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes"));
}

#[test]
fn readable_report_groups_findings_and_draws_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        dir.path(),
        &[
            ("s1/reference.mp3", "mp3/cbr_info.mp3"),
            ("s1/a.mp3", "mp3/truncated.mp3"),
            ("s2/reference.mp3", "mp3/cbr_info.mp3"),
        ],
    );
    let out = stimpack()
        .arg("check")
        .arg(&root)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("s1/a.mp3\n  error[truncated-audio]"), "{text}");
    assert!(text.contains("source  reference    a"), "{text}");
    assert!(text.contains("s2             ok    -"), "{text}");
    assert!(text.contains("failed: 3 stimuli in 2 sources"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn an_empty_dataset_and_an_unreadable_entry() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("empty/s1")).unwrap();
    let (code, report) = check_json(&dir.path().join("empty"), &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "no-stimuli", ""), "{:#?}", codes(&report));

    // A zip whose second entry's local header is damaged: that entry is damaged, the first
    // one is still read.
    let zip = dir.path().join("damaged.zip");
    let mp3 = fs::read(fixture("mp3/cbr_info.mp3")).unwrap();
    raw_zip(
        &zip,
        &[RawEntry::file("s1/a.mp3", &mp3), RawEntry::file("s1/b.mp3", &mp3)],
    );
    let mut bytes = fs::read(&zip).unwrap();
    let second = 30 + "s1/a.mp3".len() + mp3.len();
    bytes[second..second + 4].copy_from_slice(b"XXXX");
    fs::write(&zip, bytes).unwrap();
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "damaged-entry", "s1/b.mp3"), "{:#?}", codes(&report));
    assert_eq!(stimulus(&report, "s1/a.mp3")["codec"], "mp3");
}
