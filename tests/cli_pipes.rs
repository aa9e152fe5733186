//! Issue 9 item 1: the exit code is the verdict whatever stdout and stderr are. A pipe that
//! closes early (`check broken | head -1`) used to turn a failing check into exit 0 (or 1 on
//! one run in three). Each case runs several times: it was a race before.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

/// A failing dataset whose report is far larger than a pipe's buffer (64 KiB), so a reader
/// that stops early always leaves the writer facing a closed pipe.
fn broken_dataset(dir: &Path) -> PathBuf {
    let root = dir.join("broken");
    for i in 0..700 {
        let source = root.join(format!("source_{i:03}"));
        std::fs::create_dir_all(&source).unwrap();
        std::fs::write(source.join("reference.mp3"), b"this is not an mp3 at all").unwrap();
    }
    root
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stimpack"))
}

/// Runs a shell pipeline under bash with `pipefail`, so the pipeline's status is stimpack's
/// when `head`/`true` succeed.
fn pipeline(script: &str, dir: &Path) -> i32 {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail; {script}"))
        .current_dir(dir)
        .env("STIMPACK", bin())
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.code().expect("exit code")
}

#[test]
fn broken_pipe_keeps_the_failing_verdict_of_check_readable() {
    let dir = tempfile::tempdir().unwrap();
    broken_dataset(dir.path());
    for _ in 0..3 {
        assert_eq!(
            pipeline(r#""$STIMPACK" check broken | head -1 >/dev/null"#, dir.path()),
            1
        );
    }
}

#[test]
fn broken_pipe_keeps_the_failing_verdict_of_check_json() {
    let dir = tempfile::tempdir().unwrap();
    broken_dataset(dir.path());
    for _ in 0..3 {
        assert_eq!(
            pipeline(r#""$STIMPACK" check broken --json | true"#, dir.path()),
            1
        );
        assert_eq!(
            pipeline(
                r#""$STIMPACK" check broken --json | head -c 10 >/dev/null"#,
                dir.path()
            ),
            1
        );
    }
}

#[test]
fn broken_pipe_keeps_the_failing_verdict_of_pack_json() {
    let dir = tempfile::tempdir().unwrap();
    broken_dataset(dir.path());
    for _ in 0..3 {
        assert_eq!(
            pipeline(
                r#""$STIMPACK" pack broken -o out.zip --json | head -c 10 >/dev/null"#,
                dir.path()
            ),
            1
        );
        assert!(!dir.path().join("out.zip").exists());
    }
}

#[test]
fn broken_pipe_on_stderr_keeps_the_verdict_of_pack() {
    // The readable report of a refused pack goes to stderr: `2>&1 | head -1`.
    let dir = tempfile::tempdir().unwrap();
    broken_dataset(dir.path());
    for _ in 0..3 {
        assert_eq!(
            pipeline(
                r#""$STIMPACK" pack broken -o out.zip 2>&1 | head -1 >/dev/null"#,
                dir.path()
            ),
            1
        );
    }
}

#[test]
fn broken_pipe_keeps_the_passing_verdict_and_finishes_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let demo = testdata().join("demo");
    for _ in 0..3 {
        let out = dir.path().join("demo.zip");
        let _ = std::fs::remove_file(&out);
        let script = format!(
            r#""$STIMPACK" pack '{}' -o demo.zip --force --json | head -c 10 >/dev/null"#,
            demo.display()
        );
        assert_eq!(pipeline(&script, dir.path()), 0);
        assert!(out.exists(), "the archive is written although stdout closed");
        assert!(dir.path().join("demo.manifest.json").exists());
    }
}

/// Without a shell: stdout and stderr are pipes whose read ends are closed before stimpack
/// writes anything, so every write fails with EPIPE.
#[test]
fn closed_stdout_and_stderr_pipes_keep_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let broken = broken_dataset(dir.path());
    let cases: Vec<(Vec<String>, i32)> = vec![
        (vec!["check".into(), broken.display().to_string()], 1),
        (
            vec!["check".into(), broken.display().to_string(), "--json".into()],
            1,
        ),
        (
            vec![
                "pack".into(),
                broken.display().to_string(),
                "-o".into(),
                dir.path().join("x.zip").display().to_string(),
                "--json".into(),
            ],
            1,
        ),
        (vec!["check".into(), "/no/such/input".into()], 2),
        (
            vec!["check".into(), testdata().join("demo").display().to_string()],
            0,
        ),
    ];
    for (args, expected) in cases {
        for _ in 0..3 {
            let mut child = Command::new(bin())
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take());
            drop(child.stderr.take());
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(expected), "{args:?}");
        }
    }
}

#[test]
fn help_and_version_into_a_closed_pipe_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(pipeline(r#""$STIMPACK" --help | true"#, dir.path()), 0);
    assert_eq!(
        pipeline(r#""$STIMPACK" formats | head -1 >/dev/null"#, dir.path()),
        0
    );
    assert_eq!(pipeline(r#""$STIMPACK" man | head -1 >/dev/null"#, dir.path()), 0);
}
