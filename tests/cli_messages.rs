//! The library's errors speak of the library; the CLI adds its own commands and flags to them.

mod common;

use common::{assert_exit, stimpack};

fn stderr_of(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = stimpack().current_dir(dir.path()).args(args).output().unwrap();
    assert_exit(&out, 2);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The hint on what a command takes moved out of the library's error into the CLI: each
/// command names itself.
#[test]
fn a_missing_input_names_the_command_that_was_run() {
    let check = stderr_of(&["check", "nope"]);
    assert_eq!(
        check.trim(),
        "stimpack: nope: no such file or folder. Check the path; `stimpack check` takes a folder, a .zip or a .txt URL list"
    );
    let pack = stderr_of(&["pack", "nope", "-o", "out.zip"]);
    assert!(
        pack.contains("nope: no such file or folder. Check the path; `stimpack pack` takes a folder"),
        "{pack}"
    );
}

/// The flag advice for an existing output is the CLI's, not the library's "`force` option".
#[test]
fn an_existing_output_is_answered_with_the_force_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out_zip = dir.path().join("out.zip");
    std::fs::write(&out_zip, b"precious").unwrap();
    let demo = common::testdata().join("demo");
    let out = stimpack()
        .arg("pack")
        .arg(&demo)
        .arg("-o")
        .arg(&out_zip)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already exists. Use --force to overwrite it, or choose another output path"),
        "{err}"
    );
    assert!(!err.contains("`force` option"), "{err}");
}
