//! Issue 9 items 11-16 and issue 8 items 5 (terminal part) and 7, end to end: the conventions
//! users bring from rg, fd and ls (`-q`, `-v`, `-j`, `-l`, several inputs, `-`), names that
//! cannot drive the terminal, help that lists what is valid, completions, a man page,
//! `formats`, `--version` with the commit, and the licence files Cargo.toml promises.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A dataset with one error (a truncated MP3) and one warning (Finder junk).
fn mixed(dir: &Path) -> PathBuf {
    dataset(
        &dir.join("mixed"),
        &[
            ("s1/reference.mp3", "mp3/cbr_info.mp3"),
            ("s1/.DS_Store", "=junk"),
            ("s2/reference.mp3", "mp3/cbr_info.mp3"),
            ("s2/a.mp3", "mp3/truncated.mp3"),
        ],
    )
}

fn good(dir: &Path) -> PathBuf {
    dataset(
        &dir.join("good"),
        &[
            ("s1/reference.mp3", "mp3/cbr_info.mp3"),
            ("s2/reference.mp3", "mp3/cbr_info.mp3"),
        ],
    )
}

// ---- item 13: several inputs, `-` ----

#[test]
fn several_inputs_get_one_report_each_and_the_worst_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let good = good(dir.path());
    let bad = mixed(dir.path());
    let out = stimpack().arg("check").arg(&good).arg(&bad).output().unwrap();
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches(" (folder)\n").count(), 2, "{stdout}");
    assert!(stdout.contains("\nok: 2 stimuli"), "{stdout}");
    assert!(stdout.contains("\nfailed: 3 stimuli"), "{stdout}");

    // An unreadable input is exit 2 (worse than findings) and does not stop the others.
    let out = stimpack()
        .arg("check")
        .arg(&good)
        .arg(dir.path().join("missing.zip"))
        .arg(&bad)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert_eq!(text(&out.stdout).matches(" (folder)\n").count(), 2);
    assert!(text(&out.stderr).contains("missing.zip"), "{}", text(&out.stderr));
}

#[test]
fn several_inputs_with_json_print_one_report_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = good(dir.path());
    let bad = mixed(dir.path());
    let out = stimpack()
        .arg("check")
        .arg(&good)
        .arg(&bad)
        .arg("--json")
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "JSON Lines: {stdout}");
    let reports: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(reports[0]["ok"], true);
    assert_eq!(reports[1]["ok"], false);
    assert!(reports[1]["input"].as_str().unwrap().ends_with("mixed"));
}

#[test]
fn a_url_list_on_stdin_is_checked_with_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stimpack"))
        .args(["check", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# two sources\nhttps://cdn.example.com/set/s1/reference.wav\nhttps://cdn.example.com/set/s2/reference.wav\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["input"], "-");
    assert_eq!(report["input_kind"], "url_list");
    assert_eq!(report["summary"]["stimuli"], 2);

    // Readable: named "stdin".
    let mut child = Command::new(env!("CARGO_BIN_EXE_stimpack"))
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"not a url\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 1);
    assert!(
        text(&out.stdout).starts_with("stdin (URL list)"),
        "{}",
        text(&out.stdout)
    );

    let out = stimpack().args(["check", "-", "-"]).output().unwrap();
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("only once"));
    let out = stimpack().args(["pack", "-", "-o", "x.txt"]).output().unwrap();
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("not stdin"), "{}", text(&out.stderr));
}

// ---- item 11: -q, -v ----

#[test]
fn quiet_shows_only_errors_and_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let bad = mixed(dir.path());
    let out = stimpack().args(["check", "-q"]).arg(&bad).output().unwrap();
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("error[truncated-audio]"), "{stdout}");
    assert!(!stdout.contains("warning[junk-file]"), "{stdout}");
    assert!(!stdout.contains("source  reference"), "no grid: {stdout}");
    assert!(stdout.contains("failed: 3 stimuli"), "{stdout}");

    // pack -q: no report of a written archive, only the line naming it.
    let good = good(dir.path());
    let out = stimpack()
        .args(["pack", "--quiet"])
        .arg(&good)
        .arg("-o")
        .arg(dir.path().join("good.zip"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("(folder)"), "{stderr}");
    assert!(stderr.contains("wrote "), "{stderr}");
}

#[test]
fn verbose_says_what_is_done_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let good = good(dir.path());
    let out = stimpack()
        .args(["check", "-v", "-j", "1"])
        .arg(&good)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("with 1 thread"), "{stderr}");
    assert!(stderr.contains("checked ") && stderr.contains(" s"), "{stderr}");
    let out = stimpack()
        .args(["check", "-q", "-v"])
        .arg(&good)
        .output()
        .unwrap();
    assert_exit(&out, 2);
}

// ---- issue 8 item 7: --threads limits, -j ----

#[test]
fn threads_are_validated_and_zero_means_every_core() {
    let dir = tempfile::tempdir().unwrap();
    let good = good(dir.path());
    let out = stimpack()
        .args(["check", "--threads", "100000"])
        .arg(&good)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("more than the 256 allowed"),
        "{}",
        text(&out.stderr)
    );
    let out = stimpack()
        .args(["check", "-j", "many"])
        .arg(&good)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    for ok in ["0", "1", "256"] {
        let out = stimpack().args(["check", "-j", ok]).arg(&good).output().unwrap();
        assert_exit(&out, 0);
    }
    let out = stimpack()
        .args(["check", "-v", "-j", "0"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("(one per core)"),
        "{}",
        text(&out.stderr)
    );
    let help = text(&stimpack().args(["check", "--help"]).output().unwrap().stdout);
    assert!(help.contains("-j, --threads"), "{help}");
    assert!(help.contains("0 (the default) is one per core"), "{help}");
}

// ---- issue 8 item 5: nothing reaches the terminal raw ----

#[test]
fn control_characters_in_names_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(
        &dir.path().join("evil"),
        &[
            ("s1/reference.mp3", "mp3/cbr_info.mp3"),
            ("s1/\x1b]0;pwned\x07.mp3", "mp3/truncated.mp3"),
            ("s2\u{202e}3pm/reference.mp3", "mp3/cbr_info.mp3"),
            ("s3/a\rb.mp3", "mp3/truncated.mp3"),
        ],
    );
    for color in ["never", "always"] {
        let out = stimpack()
            .args(["check", "--color", color, "-l"])
            .arg(&root)
            .output()
            .unwrap();
        let stdout = text(&out.stdout);
        assert!(!stdout.contains('\x07') && !stdout.contains('\r'), "{stdout:?}");
        assert!(!stdout.contains("\x1b]"), "{stdout:?}");
        assert!(!stdout.contains('\u{202e}'), "{stdout:?}");
        assert!(stdout.contains("\\x1b]0;pwned\\x07"), "{stdout}");
        assert!(stdout.contains("s2\\u{202e}3pm"), "{stdout}");
        assert!(stdout.contains("a\\rb.mp3"), "{stdout}");
        if color == "never" {
            assert!(!stdout.contains('\x1b'), "{stdout:?}");
        }
    }
    // In error messages on stderr too.
    let out = stimpack()
        .arg("check")
        .arg(dir.path().join("no\x1b[2Jsuch.zip"))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(stderr.contains("no\\x1b[2Jsuch.zip"), "{stderr}");
}

#[test]
fn control_characters_in_url_names_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    fs::write(
        &list,
        "https://cdn.example.com/set/s1/%1B%5B2J%1B%5D0%3Bx%07.wav\nhttps://cdn.example.com/set/s1/a%0D%0Ab.wav\n",
    )
    .unwrap();
    let out = stimpack().arg("check").arg(&list).arg("-l").output().unwrap();
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\r') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(!stdout.contains("a\nb"), "{stdout:?}");
}

// ---- item 14: --long, wrapping, the grid note, one unit system ----

#[test]
fn long_lists_every_stimulus_with_its_readings() {
    let dir = tempfile::tempdir().unwrap();
    let good = good(dir.path());
    let out = stimpack().args(["check", "--long"]).arg(&good).output().unwrap();
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("s1/reference.mp3"))
        .unwrap_or_else(|| panic!("{stdout}"));
    for part in ["mp3", " s", "Hz", "1 ch", "kB"] {
        assert!(line.contains(part), "{part} in {line}");
    }
    let short = text(&stimpack().arg("check").arg(&good).output().unwrap().stdout);
    assert!(!short.contains("Hz"), "{short}");
}

#[test]
fn long_messages_wrap_at_word_boundaries_to_the_width() {
    let dir = tempfile::tempdir().unwrap();
    let bad = mixed(dir.path());
    let out = stimpack()
        .arg("check")
        .arg(&bad)
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    // Finding lines (indented) fit; the summary line stays whole for grep.
    for line in stdout.lines().filter(|l| l.starts_with("  ")) {
        assert!(line.chars().count() <= 60, "too wide: {line:?}");
    }
    assert!(
        stdout.contains("\n    "),
        "continuation lines are indented: {stdout}"
    );
    // Not a terminal and no COLUMNS: one line per finding, for grep.
    let out = stimpack()
        .arg("check")
        .arg(&bad)
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let finding = stdout
        .lines()
        .find(|l| l.contains("error[truncated-audio]"))
        .unwrap();
    assert!(finding.contains("cut short"), "{finding}");
}

#[test]
fn the_grid_left_out_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let names: Vec<String> = (0..12)
        .map(|i| format!("s1/a_rather_long_condition_name_{i}.mp3"))
        .collect();
    for n in &names {
        files.push((n.as_str(), "mp3/cbr_info.mp3"));
    }
    let root = dataset(&dir.path().join("wide"), &files);
    let out = stimpack()
        .arg("check")
        .arg(&root)
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("no sources x conditions grid"), "{stdout}");
    assert!(stdout.contains("the terminal has 80"), "{stdout}");

    let many: Vec<String> = (0..41).map(|i| format!("s{i:02}/reference.mp3")).collect();
    let files: Vec<(&str, &str)> = many.iter().map(|n| (n.as_str(), "mp3/cbr_info.mp3")).collect();
    let root = dataset(&dir.path().join("tall"), &files);
    let stdout = text(&stimpack().arg("check").arg(&root).output().unwrap().stdout);
    assert!(stdout.contains("41 sources are more than the 40"), "{stdout}");
}

#[test]
fn sizes_use_decimal_units_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "testdata/demo"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains(", 1.1 MB;"), "{stdout}");
    let out = stimpack()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["pack", "testdata/demo", "-o"])
        .arg(dir.path().join("demo.zip"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let stderr = text(&out.stderr);
    assert!(stderr.contains(" MB, ") && !stderr.contains("MiB"), "{stderr}");
}

// ---- item 12: completions and man page ----

#[test]
fn completions_and_man_page_are_generated() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef stimpack"),
        ("fish", "complete -c stimpack"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = stimpack().args(["completions", shell]).output().unwrap();
        assert_exit(&out, 0);
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("experiment"), "{shell}");
    }
    let out = stimpack().args(["completions", "tcsh"]).output().unwrap();
    assert_exit(&out, 2);
    let out = stimpack().arg("man").output().unwrap();
    assert_exit(&out, 0);
    let page = text(&out.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH stimpack"), "{page}");
    assert!(page.contains("check"), "{page}");
    let out = stimpack().args(["man", "check"]).output().unwrap();
    assert_exit(&out, 0);
    let page = text(&out.stdout);
    assert!(page.contains(".TH stimpack-check 1"), "{page}");
    assert!(page.contains("\\-\\-threads"), "{page}");
    let out = stimpack().args(["man", "nope"]).output().unwrap();
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("man pages exist for: check, pack"));
}

// ---- item 15: help text, formats, version ----

#[test]
fn help_lists_experiments_pack_json_and_datasets_exit_codes() {
    let help = text(&stimpack().args(["check", "--help"]).output().unwrap().stdout);
    assert!(
        help.contains("mushra") && help.contains("binary_image") && help.contains("acr_video"),
        "{help}"
    );
    let help = text(&stimpack().args(["pack", "--help"]).output().unwrap().stdout);
    assert!(help.contains("manifest as JSON on stdout"), "{help}");
    let help = text(&stimpack().args(["datasets", "--help"]).output().unwrap().stdout);
    assert!(
        help.contains("Exit codes:") && help.contains("the list was printed"),
        "{help}"
    );
}

#[test]
fn formats_lists_every_extension_from_the_library_table() {
    let out = stimpack().args(["formats", "--json"]).output().unwrap();
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut listed = BTreeSet::new();
    for c in doc["containers"].as_array().unwrap() {
        for e in c["extensions"].as_array().unwrap() {
            listed.insert(e.as_str().unwrap().to_string());
        }
    }
    for o in doc["other"].as_array().unwrap() {
        listed.insert(o["extension"].as_str().unwrap().to_string());
    }
    assert_eq!(listed, stimpack_core_extensions());
    assert!(listed.len() > 20);
    let readable = text(&stimpack().arg("formats").output().unwrap().stdout);
    for ext in ["wav", "opus", "m4a", "mov", "tiff", "req.json"] {
        assert!(readable.contains(&format!(".{ext}")), "{ext}: {readable}");
    }
}

/// The library's own table.
fn stimpack_core_extensions() -> BTreeSet<String> {
    stimpack_core::supported_formats()
        .extensions()
        .map(str::to_string)
        .collect()
}

#[test]
fn formats_names_every_codec_the_probers_report() {
    // Every codec measured in the demo and the committed fixtures is in `formats`.
    let out = stimpack().args(["formats", "--json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let patterns: Vec<String> = doc["containers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["codecs"].as_array().unwrap().iter())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let known = |codec: &str| {
        patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => codec.starts_with(prefix),
            None => p == codec,
        })
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut inputs = vec![testdata().join("demo")];
    for kind in ["audio", "mp3", "image", "video"] {
        let dir = tmp.path().join(kind);
        let mut n = 0;
        for entry in fs::read_dir(testdata().join("fixtures").join(kind)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e != "sh" && e != "md") {
                let dest = dir.join(format!("s{n}")).join(path.file_name().unwrap());
                fs::create_dir_all(dest.parent().unwrap()).unwrap();
                fs::copy(&path, dest).unwrap();
                n += 1;
            }
        }
        inputs.push(dir);
    }
    let mut seen = BTreeSet::new();
    for input in inputs {
        let (_, report) = check_json(&input, &[]);
        for g in report["groups"].as_array().unwrap() {
            for s in g["stimuli"].as_array().unwrap() {
                if let Some(codec) = s["codec"].as_str() {
                    seen.insert(codec.to_string());
                }
            }
        }
    }
    assert!(seen.len() > 5, "{seen:?}");
    let missing: Vec<&String> = seen.iter().filter(|c| !known(c)).collect();
    assert!(missing.is_empty(), "codecs measured but not listed: {missing:?}");
}

#[test]
fn version_names_the_commit() {
    let out = stimpack().arg("--version").output().unwrap();
    assert_exit(&out, 0);
    let version = text(&out.stdout);
    assert!(
        version.starts_with(&format!("stimpack {} (", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let inside_git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(git) = inside_git {
        // The binary was built from this checkout, possibly a commit or two ago in a
        // running edit session: a 12-digit hash, not "unknown".
        let hash = text(&git.stdout).trim().to_string();
        assert_eq!(hash.len(), 12);
        let shown = version.split(['(', ')']).nth(1).unwrap();
        assert!(
            shown.len() == 12 && shown.chars().all(|c| c.is_ascii_hexdigit()),
            "{version}"
        );
    }
    assert!(version.contains("stimpack formats"), "{version}");
    let short = text(&stimpack().arg("-V").output().unwrap().stdout);
    assert_eq!(short.lines().count(), 1, "{short}");
}

// ---- item 16: licences ----

#[test]
fn the_licence_files_cargo_toml_promises_exist() {
    let root = testdata().parent().unwrap().to_path_buf();
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    let mit = fs::read_to_string(root.join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    assert!(mit.contains("stimpack contributors"));
    let apache = fs::read_to_string(root.join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains("cargo install --path . --locked"),
        "README install section"
    );
}
