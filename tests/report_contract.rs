//! The JSON report is a public contract: the demo dataset's report is pinned byte for byte
//! in `tests/expected/demo-check.json`. After a deliberate change, regenerate it with
//! `STIMPACK_BLESS=1 cargo test --test report_contract` and review the diff.

mod common;

use std::fs;
use std::path::Path;

use common::stimpack;

#[test]
fn demo_report_matches_the_pinned_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = stimpack()
        .current_dir(root)
        .args([
            "check",
            "testdata/demo",
            "--json",
            "--experiment",
            "mushra",
            "--anchor",
            "low",
        ])
        .output()
        .unwrap();
    common::assert_exit(&out, 0);
    let expected_path = root.join("tests/expected/demo-check.json");
    if std::env::var_os("STIMPACK_BLESS").is_some() {
        fs::write(&expected_path, &out.stdout).unwrap();
    }
    let expected = fs::read_to_string(&expected_path).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn json_goes_to_stdout_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::dataset(dir.path(), &[("s1/a.mp3", "mp3/truncated.mp3")]);
    let out = stimpack().arg("check").arg(&root).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["summary"]["errors"], 1);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
