//! `check` and `pack` give the same verdict on the same input (issue 9, item 2), and every
//! file under the input ends up in the dataset or in a finding: wrapping folders at any depth,
//! documentation at the root (item 6), files at any depth (issue 8, item 3) and names that
//! are not UTF-8 (issue 8, item 6).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// `stimpack pack INPUT -o OUT` with extra arguments; the exit code.
fn pack(input: &Path, out: &Path, args: &[&str]) -> i32 {
    let run = stimpack()
        .arg("pack")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    run.status.code().unwrap()
}

/// The names inside a zip archive, sorted.
fn names(zip: &Path) -> Vec<String> {
    let mut names: Vec<String> = zip::ZipArchive::new(fs::File::open(zip).unwrap())
        .unwrap()
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under a folder, relative to it, `/`-separated.
fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap();
                out.push(rel.to_str().unwrap().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Whether a file (relative to the input) is accounted for: a stimulus, or named by a finding
/// (its own path, a folder above it, a grouped finding's paths, or its message).
fn accounted(report: &Value, file: &str) -> bool {
    let root = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "wrapping-folder")
        .and_then(|i| i["path"].as_str())
        .map(|p| format!("{p}/"))
        .unwrap_or_default();
    let is_stimulus = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["stimuli"].as_array().unwrap())
        .any(|s| format!("{root}{}", s["path"].as_str().unwrap()) == file);
    let config = file.ends_with("/config.json") || file.ends_with("providers.json");
    let covers = |p: &str| file == p || file.starts_with(&format!("{p}/"));
    let in_finding = report["issues"].as_array().unwrap().iter().any(|i| {
        i["code"] != "wrapping-folder"
            && (i["path"].as_str().is_some_and(covers)
                || i["paths"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| covers(p.as_str().unwrap())))
                || i["message"].as_str().unwrap().contains(file))
    });
    is_stimulus || config || in_finding
}

/// Paths that findings name must exist under the input.
fn assert_finding_paths_exist(input: &Path, report: &Value) {
    for issue in report["issues"].as_array().unwrap() {
        let mut paths: Vec<&str> = issue["path"].as_str().into_iter().collect();
        paths.extend(
            issue["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p.as_str().unwrap()),
        );
        for p in paths {
            assert!(
                input.join(p).exists(),
                "{p} does not exist under the input: {issue:#}"
            );
        }
    }
}

fn three_sources(root: &Path, prefix: &str) {
    for s in ["song_1", "song_2", "song_3"] {
        for c in ["reference", "codec_a"] {
            let p = root.join(format!("{prefix}{s}/{c}.mp3"));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::copy(fixture("mp3/cbr_info.mp3"), p).unwrap();
        }
    }
}

/// Regression (issue 9, item 2): `check wrap/inner` gave `wrapping-folder` as an error (exit
/// 1) while `pack wrap/inner` packed it (exit 0).
#[test]
fn check_and_pack_agree_on_a_wrapping_folder() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("wrap/inner");
    three_sources(&input, "study/");
    let (code, report) = check_json(&input, &[]);
    assert_eq!(code, 0, "{report:#}");
    let issue = &report["issues"][0];
    assert_eq!(
        (issue["code"].as_str(), issue["severity"].as_str()),
        (Some("wrapping-folder"), Some("warning"))
    );
    assert!(
        issue["message"]
            .as_str()
            .unwrap()
            .contains("`stimpack pack` fixes this"),
        "{issue}"
    );
    let out = dir.path().join("out.zip");
    assert_eq!(pack(&input, &out, &[]), 0);
    assert_eq!(names(&out)[0], "song_1/codec_a.mp3");
    // --strict refuses the warning in both.
    assert_eq!(check_json(&input, &["--strict"]).0, 1);
    assert_eq!(pack(&input, &dir.path().join("strict.zip"), &["--strict"]), 1);
}

/// Regression (issue 9, item 2): a doubly wrapped tree gave seven errors whose paths
/// (`study/song_1`, relative to `wrap`) existed nowhere.
#[test]
fn a_doubly_wrapped_tree_is_one_finding_with_paths_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let wrap = dir.path().join("wrap");
    three_sources(&wrap, "inner/study/");
    fs::copy(
        fixture("mp3/truncated.mp3"),
        wrap.join("inner/study/song_2/codec_b.mp3"),
    )
    .unwrap();
    let (code, report) = check_json(&wrap, &[]);
    assert_eq!(code, 1, "the truncated file is an error");
    let wrapping: Vec<&Value> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "wrapping-folder")
        .collect();
    assert_eq!(wrapping.len(), 1, "{report:#}");
    assert_eq!(wrapping[0]["path"], "inner/study");
    let message = wrapping[0]["message"].as_str().unwrap();
    assert!(
        message.contains("the sources are two folders down, in inner/study/"),
        "{message}"
    );
    assert!(
        !report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "nested-folder")
    );
    assert!(
        has(&report, "truncated-audio", "inner/study/song_2/codec_b.mp3"),
        "{:#?}",
        codes(&report)
    );
    assert_finding_paths_exist(&wrap, &report);
    // Stimuli keep their paths inside the dataset, which is what pack writes.
    assert_eq!(stimulus(&report, "song_1/reference.mp3")["group"], "song_1");
    assert_eq!(pack(&wrap, &dir.path().join("refused.zip"), &[]), 1);
    // The readable grid still marks the file whose finding names it under the wrapper.
    let text = stimpack()
        .arg("check")
        .arg(&wrap)
        .env("COLUMNS", "100")
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("inner/study/song_2/codec_b.mp3\n  error[truncated-audio]"),
        "{text}"
    );
    assert!(text.contains("song_2         ok       ok      ERR"), "{text}");

    fs::remove_file(wrap.join("inner/study/song_2/codec_b.mp3")).unwrap();
    assert_eq!(check_json(&wrap, &[]).0, 0);
    let out = dir.path().join("out.zip");
    assert_eq!(pack(&wrap, &out, &[]), 0);
    assert_eq!(names(&out).len(), 6);
    assert!(
        names(&out).iter().all(|n| n.starts_with("song_")),
        "{:?}",
        names(&out)
    );
}

/// Regression (issue 9, item 2): zip names without the UTF-8 flag were an error in `check`
/// and in `pack`, although `pack` writes them as flagged UTF-8.
#[test]
fn zip_names_pack_repairs_are_warnings_in_both() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    raw_zip(
        &zip,
        &[
            RawEntry::fixture("s1/a.mp3", "mp3/cbr_info.mp3"),
            RawEntry {
                name: "s1/ü.mp3".as_bytes().to_vec(),
                data: fs::read(fixture("mp3/cbr_info.mp3")).unwrap(),
                flags: 0,
                mode: 0o100644,
            },
        ],
    );
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 0, "{report:#}");
    let issue = &report["issues"][0];
    assert_eq!(
        (issue["code"].as_str(), issue["severity"].as_str()),
        (Some("non-utf8-name"), Some("warning"))
    );
    assert!(
        issue["message"]
            .as_str()
            .unwrap()
            .contains("`stimpack pack` fixes this")
    );
    let out = dir.path().join("out.zip");
    assert_eq!(pack(&zip, &out, &[]), 0);
    assert_eq!(names(&out), ["s1/a.mp3", "s1/ü.mp3"]);
}

/// The same verdict from both commands over inputs that pack repairs, leaves out or refuses.
#[test]
fn check_and_pack_exit_with_the_same_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<PathBuf> = Vec::new();
    let mk = |name: &str, files: &[(&str, &str)]| dataset(&dir.path().join(name), files);
    inputs.push(mk(
        "junk",
        &[
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
            ("s1/.DS_Store", "=x"),
            ("__MACOSX/s1/._a.mp3", "=x"),
        ],
    ));
    inputs.push(mk(
        "docs",
        &[
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
            ("README.md", "=# hi"),
            ("paper.pdf", "=%PDF"),
        ],
    ));
    inputs.push(mk(
        "loose",
        &[
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
            ("loose.mp3", "mp3/cbr_info.mp3"),
        ],
    ));
    inputs.push(mk(
        "deep",
        &[
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
            ("s1/a/b/c/y.mp3", "mp3/cbr_info.mp3"),
        ],
    ));
    inputs.push(mk(
        "wrapped",
        &[
            ("w/s1/a.mp3", "mp3/cbr_info.mp3"),
            ("w/s2/a.mp3", "mp3/cbr_info.mp3"),
        ],
    ));
    inputs.push(mk(
        "wrapped_docs",
        &[
            ("w/x/s1/a.mp3", "mp3/cbr_info.mp3"),
            ("w/x/s2/a.mp3", "mp3/cbr_info.mp3"),
            ("w/README.txt", "=hi"),
        ],
    ));
    let finder = dir.path().join("finder.zip");
    raw_zip(
        &finder,
        &[
            RawEntry::fixture("Study/s1/a.mp3", "mp3/cbr_info.mp3"),
            RawEntry::file("Study/.DS_Store", b"junk"),
            RawEntry::file("__MACOSX/Study/s1/._a.mp3", b"x"),
        ],
    );
    inputs.push(finder);
    for (i, input) in inputs.iter().enumerate() {
        let (checked, report) = check_json(input, &[]);
        let packed = pack(input, &dir.path().join(format!("out{i}.zip")), &[]);
        assert_eq!(
            checked,
            packed,
            "{}: check {checked}, pack {packed}: {report:#}",
            input.display()
        );
        let checked = check_json(input, &["--strict"]).0;
        let packed = pack(input, &dir.path().join(format!("strict{i}.zip")), &["--strict"]);
        assert_eq!(checked, packed, "{} with --strict", input.display());
    }
}

/// Regression (issue 9, item 6): documentation and stimpack's own output at the root were
/// "outside any source folder" errors.
#[test]
fn documentation_and_own_output_at_the_root_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let input = dataset(
        &dir.path().join("in"),
        &[
            ("s1/a.mp3", "mp3/cbr_info.mp3"),
            ("s2/a.mp3", "mp3/cbr_info.mp3"),
            ("README.md", "=# study"),
            ("LICENSE", "=CC-BY"),
            ("notes.md", "=notes"),
            ("paper.PDF", "=%PDF-1.4"),
            ("old.zip", "=PK"),
            ("old.manifest.json", "={}"),
        ],
    );
    let (code, report) = check_json(&input, &[]);
    assert_eq!(code, 0, "{report:#}");
    for file in [
        "README.md",
        "LICENSE",
        "notes.md",
        "paper.PDF",
        "old.zip",
        "old.manifest.json",
    ] {
        assert!(
            has(&report, "left-out-file", file),
            "{file}: {:#?}",
            codes(&report)
        );
    }
    let issue = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "README.md")
        .unwrap();
    assert_eq!(issue["severity"], "warning");
    assert!(
        issue["message"]
            .as_str()
            .unwrap()
            .contains("left out of the dataset")
    );
    // pack refuses to write into the input folder (issue 8 item 8); an output copied there by
    // hand is left out of the next check and pack.
    assert_eq!(pack(&input, &input.join("dataset.zip"), &[]), 2);
    let out = dir.path().join("dataset.zip");
    assert_eq!(pack(&input, &out, &[]), 0);
    assert_eq!(names(&out), ["s1/a.mp3", "s2/a.mp3"]);
    fs::copy(&out, input.join("dataset.zip")).unwrap();
    fs::copy(
        dir.path().join("dataset.manifest.json"),
        input.join("dataset.manifest.json"),
    )
    .unwrap();
    let (code, report) = check_json(&input, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        has(&report, "left-out-file", "dataset.zip")
            && has(&report, "left-out-file", "dataset.manifest.json")
    );
    let again = dir.path().join("again.zip");
    assert_eq!(pack(&input, &again, &[]), 0);
    assert_eq!(names(&again), ["s1/a.mp3", "s2/a.mp3"]);
    // Anything else at the root is still misplaced.
    fs::write(
        input.join("take2.mp3"),
        fs::read(fixture("mp3/cbr_info.mp3")).unwrap(),
    )
    .unwrap();
    let (code, report) = check_json(&input, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "file-outside-source", "take2.mp3"));
}

/// Regression (issue 8, item 3): files more than four levels down were neither packed nor
/// reported.
#[test]
fn files_at_any_depth_are_in_the_dataset_or_in_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let input = dataset(
        &dir.path().join("in"),
        &[
            ("src1/ok.mp3", "mp3/cbr_info.mp3"),
            ("src1/a/b/c/y.mp3", "mp3/cbr_info.mp3"),
            ("src1/a/b/c/d/e/f/g/h/z.mp3", "mp3/cbr_info.mp3"),
            ("src2/ok.mp3", "mp3/cbr_info.mp3"),
            ("src2/x/y.mp3", "mp3/cbr_info.mp3"),
        ],
    );
    let (code, report) = check_json(&input, &[]);
    assert_eq!(code, 1);
    for file in files_under(&input) {
        assert!(
            accounted(&report, &file),
            "{file} is in neither the dataset nor a finding: {report:#}"
        );
    }
    let nested = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "src1/a")
        .unwrap();
    let message = nested["message"].as_str().unwrap();
    assert!(
        message.contains("2 files") && message.contains("src1/a/b/c/y.mp3"),
        "{message}"
    );
    assert_eq!(pack(&input, &dir.path().join("out.zip"), &[]), 1);

    // The same tree inside a wrapping folder, and as a zip.
    let zip = dir.path().join("deep.zip");
    raw_zip(
        &zip,
        &[
            RawEntry::fixture("w/src1/ok.mp3", "mp3/cbr_info.mp3"),
            RawEntry::fixture("w/src1/a/b/c/d/e/y.mp3", "mp3/cbr_info.mp3"),
            RawEntry::fixture("w/src2/ok.mp3", "mp3/cbr_info.mp3"),
        ],
    );
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "nested-folder", "w/src1/a"), "{:#?}", codes(&report));
    assert!(accounted(&report, "w/src1/a/b/c/d/e/y.mp3"));
}

#[cfg(unix)]
mod non_utf8 {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    /// Regression (issue 8, item 6): names that are not UTF-8 were renamed to U+FFFD in the
    /// archive, and two of them collided with a message showing the same name twice.
    #[test]
    fn names_that_are_not_utf8_are_reported_with_their_bytes_and_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let input = dataset(
            &dir.path().join("in"),
            &[("s1/a.mp3", "mp3/cbr_info.mp3"), ("s2/a.mp3", "mp3/cbr_info.mp3")],
        );
        let mp3 = fs::read(fixture("mp3/cbr_info.mp3")).unwrap();
        let s1 = input.join("s1");
        // Latin-1 "café" and "cafë": both would be "caf\u{fffd}.mp3" if decoded lossily.
        fs::write(s1.join(OsStr::from_bytes(b"caf\xe9.mp3")), &mp3).unwrap();
        fs::write(s1.join(OsStr::from_bytes(b"caf\xeb.mp3")), &mp3).unwrap();
        let bad_dir = input.join(OsStr::from_bytes(b"s\xff3"));
        fs::create_dir_all(&bad_dir).unwrap();
        fs::write(bad_dir.join("a.mp3"), &mp3).unwrap();
        fs::write(bad_dir.join("b.mp3"), &mp3).unwrap();

        let (code, report) = check_json(&input, &[]);
        assert_eq!(code, 1);
        for path in ["s1/caf\\xe9.mp3", "s1/caf\\xeb.mp3", "s\\xff3"] {
            assert!(
                has(&report, "non-utf8-name", path),
                "{path}: {:#?}",
                codes(&report)
            );
        }
        let folder = report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == "s\\xff3")
            .unwrap();
        assert!(
            folder["message"].as_str().unwrap().contains("the 2 files in it"),
            "{folder}"
        );
        assert!(
            !report.to_string().contains('\u{fffd}'),
            "no replacement characters: {report:#}"
        );
        // Not stimuli, not sources.
        assert_eq!(report["summary"]["stimuli"], 2);
        assert_eq!(report["summary"]["groups"], 2);
        // The readable report shows the bytes escaped too.
        let text = stimpack().arg("check").arg(&input).output().unwrap().stdout;
        assert!(String::from_utf8(text).unwrap().contains("s1/caf\\xe9.mp3"));
        // pack agrees and writes nothing.
        let out = dir.path().join("out.zip");
        assert_eq!(pack(&input, &out, &[]), 1);
        assert!(!out.exists());
    }

    /// Junk is left out whatever its name: no error for a hidden file with a Latin-1 name.
    #[test]
    fn junk_with_a_name_that_is_not_utf8_is_still_junk() {
        let dir = tempfile::tempdir().unwrap();
        let input = dataset(&dir.path().join("in"), &[("s1/a.mp3", "mp3/cbr_info.mp3")]);
        fs::write(input.join("s1").join(OsStr::from_bytes(b"._caf\xe9.mp3")), b"x").unwrap();
        let (code, report) = check_json(&input, &[]);
        assert_eq!(code, 0, "{report:#}");
        assert!(
            has(&report, "junk-file", "s1/._caf\\xe9.mp3"),
            "{:#?}",
            codes(&report)
        );
    }
}
