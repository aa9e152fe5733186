//! `SOURCE_DATE_EPOCH` is read by the CLI and passed to the library as
//! `PackOptions::source_date_epoch`; the library itself never reads the environment.
//!
//! One test in this binary on purpose: it sets the variable in its own process, which must not
//! happen while another thread reads the environment.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use stimpack_core::{NoopReporter, PackOptions, PackOutcome};

/// `stimpack pack` with `epoch` (or without the variable), writing `out`; returns the zip bytes.
fn cli_pack(out: &Path, epoch: Option<&str>) -> Vec<u8> {
    let mut cmd = stimpack();
    if let Some(e) = epoch {
        cmd.env("SOURCE_DATE_EPOCH", e);
    }
    let run = cmd
        .arg("pack")
        .arg(testdata().join("demo"))
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    fs::read(out).unwrap()
}

/// The library's pack of the demo with `epoch` as the option; returns the zip bytes.
fn lib_pack(out: &Path, epoch: Option<i64>) -> Vec<u8> {
    let opts = PackOptions::new(out).with_source_date_epoch(epoch);
    match stimpack_core::pack(&testdata().join("demo"), &opts, &NoopReporter).unwrap() {
        PackOutcome::Written { .. } => fs::read(out).unwrap(),
        PackOutcome::Refused(r) => panic!("refused: {:?}", r.issues),
    }
}

#[test]
fn the_cli_passes_source_date_epoch_and_the_library_reads_no_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);

    // The CLI honours the variable: the same epoch gives the same bytes, another one others.
    let a = cli_pack(&path("a.zip"), Some("1700000000"));
    let b = cli_pack(&path("b.zip"), Some("1700000000"));
    let c = cli_pack(&path("c.zip"), Some("1800000000"));
    let unset = cli_pack(&path("unset.zip"), None);
    let empty = cli_pack(&path("empty.zip"), Some(""));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, unset);
    assert_eq!(unset, empty, "an empty SOURCE_DATE_EPOCH is the same as none");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(path("a.manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["created"], "2023-11-14T22:13:20Z");

    // A value that is not a number of seconds is refused before anything is written.
    let run = stimpack()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .arg("pack")
        .arg(testdata().join("demo"))
        .arg("-o")
        .arg(path("bad.zip"))
        .output()
        .unwrap();
    assert_exit(&run, 2);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("SOURCE_DATE_EPOCH='yesterday' is not a Unix time"),
        "{err}"
    );
    assert!(!path("bad.zip").exists());

    // The library takes the time from its option only: with the variable set in this process,
    // the option decides, and each result is the CLI's byte for byte.
    // SAFETY: the only test of this binary, and no other thread of it runs yet.
    unsafe { std::env::set_var("SOURCE_DATE_EPOCH", "1800000000") };
    assert_eq!(lib_pack(&path("lib-a.zip"), Some(1_700_000_000)), a);
    assert_eq!(lib_pack(&path("lib-none.zip"), None), unset);
}
