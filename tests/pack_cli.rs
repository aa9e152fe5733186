//! `stimpack pack` from the command line: what it writes, prints and refuses. The archive
//! format itself is tested in crates/core/tests/pack.rs.

mod common;

use std::fs;

use common::*;

#[test]
fn pack_the_demo_then_check_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("demo.zip");
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["pack", "testdata/demo", "-o"])
        .arg(&zip)
        .arg("--json")
        .output()
        .unwrap();
    common::assert_exit(&out, 0);
    let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        manifest,
        serde_json::from_slice::<serde_json::Value>(
            &fs::read(dir.path().join("demo.manifest.json")).unwrap()
        )
        .unwrap()
    );
    assert_eq!(manifest["summary"]["stimuli"], 16);
    assert_eq!(manifest["archive"]["bytes"], fs::metadata(&zip).unwrap().len());
    // The packed archive passes the check with the same readings.
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 0);
    let (_, folder) = check_json(&testdata().join("demo"), &[]);
    assert_eq!(report["groups"], folder["groups"]);
}

#[test]
fn pack_refuses_errors_and_existing_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(&dir.path().join("in"), &[("s1/a.mp3", "mp3/truncated.mp3")]);
    let zip = dir.path().join("out.zip");
    let out = stimpack()
        .arg("pack")
        .arg(&root)
        .arg("-o")
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing written"));
    assert!(!zip.exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");

    let good = dataset(&dir.path().join("good"), &[("s1/a.mp3", "mp3/cbr_info.mp3")]);
    stimpack()
        .arg("pack")
        .arg(&good)
        .arg("-o")
        .arg(&zip)
        .assert()
        .code(0);
    let out = stimpack()
        .arg("pack")
        .arg(&good)
        .arg("-o")
        .arg(&zip)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    stimpack()
        .arg("pack")
        .arg(&good)
        .arg("-o")
        .arg(&zip)
        .arg("--force")
        .assert()
        .code(0);
}

#[test]
fn a_finder_zip_is_repacked_clean() {
    let dir = tempfile::tempdir().unwrap();
    let finder = dir.path().join("Study.zip");
    raw_zip(
        &finder,
        &[
            RawEntry::fixture("Study/s1/a.mp3", "mp3/cbr_info.mp3"),
            RawEntry::fixture("Study/s1/b.mp3", "mp3/vbr_xing.mp3"),
            RawEntry::file("Study/.DS_Store", b"junk"),
            RawEntry::file("__MACOSX/Study/s1/._a.mp3", b"appledouble"),
        ],
    );
    // As it is, the platform would see one source "Study"; `pack` repairs that, so `check`
    // (whose verdict is always `pack`'s) reports it as a warning and exits 0 (it used to be an
    // error here while `pack` accepted it: the two disagreed).
    let (code, report) = check_json(&finder, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["issues"][0]["code"], "wrapping-folder");
    assert_eq!(report["issues"][0]["severity"], "warning");
    let clean = dir.path().join("clean.zip");
    let out = stimpack()
        .arg("pack")
        .arg(&finder)
        .arg("-o")
        .arg(&clean)
        .output()
        .unwrap();
    common::assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning[wrapping-folder]") && stderr.contains("warning[junk-file]"),
        "{stderr}"
    );
    let names: Vec<String> = zip::ZipArchive::new(fs::File::open(&clean).unwrap())
        .unwrap()
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    assert_eq!(names, ["s1/a.mp3", "s1/b.mp3"]);
    assert_eq!(check_json(&clean, &[]).0, 0);
}
