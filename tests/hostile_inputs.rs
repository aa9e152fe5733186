//! Inputs and outputs chosen as an attacker (or an unlucky user) would (issue 8): special files
//! given as inputs or found inside a dataset, oversized URL lists, URL names that are not safe
//! paths, outputs that would destroy the input, and a file-size limit while packing.
//! Unix only: pipes, sockets, devices and `ulimit` are what is tried.
#![cfg(unix)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

/// Long enough for a slow machine, short enough that a run blocked on a pipe fails the test.
const NO_BLOCKING: Duration = Duration::from_secs(60);

fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    stimpack().args(args).timeout(NO_BLOCKING).output().expect("runs")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A dataset that passes the check, in `dir/name`.
fn good_dataset(dir: &Path, name: &str) -> PathBuf {
    dataset(&dir.join(name), &[("s1/a.wav", "audio/wav_s16le.wav")])
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// Item 4: inputs that never end.

#[test]
fn a_fifo_named_like_a_url_list_or_zip_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["in.txt", "in.zip"] {
        let fifo = dir.path().join(name);
        mkfifo(&fifo);
        let out = run(&["check".as_ref(), fifo.as_os_str()]);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("a named pipe (FIFO), not a regular file"),
            "{}",
            stderr(&out)
        );
        let zip = dir.path().join("out.zip");
        let txt = dir.path().join("out.txt");
        let dest = if name.ends_with(".txt") { &txt } else { &zip };
        let out = run(&["pack".as_ref(), fifo.as_os_str(), "-o".as_ref(), dest.as_os_str()]);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains("named pipe"), "{}", stderr(&out));
        assert!(!dest.exists());
    }
}

#[test]
fn a_url_list_linked_to_dev_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::os::unix::fs::symlink("/dev/zero", &list).unwrap();
    let out = run(&["check".as_ref(), list.as_os_str()]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("a device, not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_socket_as_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("in.zip");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let out = run(&["check".as_ref(), sock.as_os_str()]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("a socket, not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_url_list_over_the_size_limit_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    // Sparse: takes no disk, and would take 256 MiB of memory if it were read.
    fs::File::create(&list)
        .unwrap()
        .set_len(stimpack_core::MAX_URL_LIST_BYTES + 1)
        .unwrap();
    let out = run(&["check".as_ref(), list.as_os_str()]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("larger than 256 MiB"), "{}", stderr(&out));
}

#[test]
fn special_files_inside_a_folder_are_findings_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let root = good_dataset(dir.path(), "in");
    mkfifo(&root.join("s1/pipe.wav"));
    mkfifo(&root.join("s1/config.json"));
    let _listener = std::os::unix::net::UnixListener::bind(root.join("s1/sock.wav")).unwrap();
    std::os::unix::fs::symlink("pipe.wav", root.join("s1/link.wav")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("s1/zero.wav")).unwrap();
    let out = run(&["check".as_ref(), root.as_os_str(), "--json".as_ref()]);
    assert_exit(&out, 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for name in ["s1/pipe.wav", "s1/config.json", "s1/sock.wav", "s1/link.wav"] {
        assert!(
            has(&report, "unsupported-file", name),
            "{name}: {:?}",
            codes(&report)
        );
    }
    assert!(
        has(&report, "symlink-outside-root", "s1/zero.wav"),
        "{:?}",
        codes(&report)
    );
    // pack refuses the same dataset, without opening the pipes either.
    let zip = dir.path().join("out.zip");
    let out = run(&["pack".as_ref(), root.as_os_str(), "-o".as_ref(), zip.as_os_str()]);
    assert_exit(&out, 1);
    assert!(!zip.exists());
}

// Item 5: URL names that are not safe paths.

#[test]
fn url_names_with_control_characters_or_backslashes_are_unsafe_paths() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    fs::write(
        &list,
        "https://cdn.example.com/x/source_1/reference.wav\n\
         https://cdn.example.com/x/source_1/%1B%5B2J.wav\n\
         https://cdn.example.com/x/source_1/a%00.wav\n\
         https://cdn.example.com/x/source_1/a%0D%0Ab.wav\n\
         https://cdn.example.com/x/sour%5Cce_1/c.wav\n\
         https://cdn.example.com/x//d.wav\n",
    )
    .unwrap();
    let (code, report) = check_json(&list, &[]);
    assert_eq!(code, 1);
    let unsafe_lines: Vec<u64> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "unsafe-path")
        .map(|i| i["line"].as_u64().unwrap())
        .collect();
    assert_eq!(unsafe_lines, [2, 3, 4, 5, 6], "{report:#}");
    let stimuli: Vec<&serde_json::Value> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["stimuli"].as_array().unwrap())
        .collect();
    assert_eq!(stimuli.len(), 1, "{report:#}");
}

// Item 8: outputs that destroy inputs.

fn pack_args<'a>(input: &'a Path, output: &'a Path, more: &[&'a str]) -> Vec<&'a std::ffi::OsStr> {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "pack".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
    ];
    args.extend(more.iter().map(|s| std::ffi::OsStr::new(*s)));
    args
}

#[test]
fn pack_onto_its_own_zip_input_is_refused_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let root = good_dataset(dir.path(), "in");
    let good = dir.path().join("good.zip");
    assert_exit(&run(&pack_args(&root, &good, &[])), 0);
    let before = fs::read(&good).unwrap();
    let link = dir.path().join("link.zip");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let dotted = dir.path().join("in/../good.zip");
    for output in [&good, &link, &dotted] {
        let out = run(&pack_args(&good, output, &["--force"]));
        assert_exit(&out, 2);
        assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    }
    // From the zip's own folder, in the `./x` spelling.
    let out = stimpack()
        .current_dir(dir.path())
        .args(["pack", "good.zip", "-o", "./good.zip", "--force"])
        .timeout(NO_BLOCKING)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert_eq!(fs::read(&good).unwrap(), before, "the input is intact");
    // The manifest may not replace the input either.
    let out = run(&pack_args(
        &good,
        &dir.path().join("new.zip"),
        &["--force", "--manifest", good.to_str().unwrap()],
    ));
    assert_exit(&out, 2);
    assert_eq!(fs::read(&good).unwrap(), before);
}

#[test]
fn pack_onto_its_own_url_list_is_refused_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let text = "https://cdn.example.com/x/source_1/reference.wav\nhttps://cdn.example.com/x/source_1/b.wav\n";
    fs::write(&list, text).unwrap();
    let out = run(&pack_args(&list, &list, &["--force"]));
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&list).unwrap(), text);
    assert_eq!(files_in(dir.path()), ["list.txt"]);
}

#[test]
fn a_manifest_at_the_output_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = good_dataset(dir.path(), "in");
    let zip = dir.path().join("out.zip");
    let out = run(&pack_args(&root, &zip, &["--manifest", zip.to_str().unwrap()]));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("the manifest and the output would be the same file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(dir.path()), ["in"]);
}

#[test]
fn an_output_inside_the_input_folder_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let root = good_dataset(dir.path(), "in");
    let inside = root.join("dataset.zip");
    let out = run(&pack_args(&root, &inside, &[]));
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("inside the input folder"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(&root), ["s1"]);
    // The manifest alone inside the folder is refused too.
    let outside = dir.path().join("out.zip");
    let manifest = root.join("s1/m.json");
    let out = run(&pack_args(
        &root,
        &outside,
        &["--manifest", manifest.to_str().unwrap()],
    ));
    assert_exit(&out, 2);
    assert_eq!(files_in(dir.path()), ["in"]);
    // The same dataset packs fine beside the folder, and the folder still checks clean.
    assert_exit(&run(&pack_args(&root, &outside, &[])), 0);
    let (code, report) = check_json(&root, &[]);
    assert_eq!(code, 0, "{report:#}");
}

// Item 9: a file-size limit while packing.

#[test]
fn a_file_size_limit_is_a_write_error_naming_the_output_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = good_dataset(dir.path(), "in");
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let zip = out_dir.join("dataset.zip");
    // 8 blocks (4 or 8 KiB depending on the shell) is less than the 16 KiB WAV.
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -f 8 && exec \"$0\" pack \"$1\" -o \"$2\""])
        .arg(assert_cmd::cargo::cargo_bin("stimpack"))
        .arg(&root)
        .arg(&zip)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(zip.to_str().unwrap()), "{err}");
    assert!(err.to_lowercase().contains("too large"), "{err}");
    assert_eq!(files_in(&out_dir), Vec::<String>::new(), "nothing left behind");
}
