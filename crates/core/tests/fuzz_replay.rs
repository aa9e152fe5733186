//! Replays the fuzzing harness's committed inputs through each target's function on stable
//! Rust: the seed corpora (`fuzz/seeds/TARGET/`) and every crash the fuzzers found, minimised
//! (`fuzz/regressions/TARGET/`). A panic here is a regression of a fixed fuzz finding.

use std::path::{Path, PathBuf};

use stimpack_core::fuzzing::TARGETS;

fn fuzz_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
}

/// The files of `fuzz/KIND/TARGET/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir(kind).join(target);
    let Ok(read) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let mut count = 0;
    for (target, run) in TARGETS {
        for path in inputs(kind, target) {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("{kind}/{target}: {}", path.display());
            run(&bytes);
            count += 1;
        }
    }
    count
}

#[test]
fn every_target_has_seeds_and_they_replay_without_panic() {
    for (target, _) in TARGETS {
        assert!(
            !inputs("seeds", target).is_empty(),
            "fuzz/seeds/{target}/ has no seed inputs"
        );
    }
    assert!(replay("seeds") >= TARGETS.len());
}

#[test]
fn fuzz_regressions_replay_without_panic() {
    replay("regressions");
}

#[test]
fn seed_and_regression_folders_name_known_targets() {
    for kind in ["seeds", "regressions"] {
        let Ok(read) = std::fs::read_dir(fuzz_dir(kind)) else {
            continue;
        };
        for entry in read {
            let name = entry.expect("a readable directory entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/{kind}/{name} is not a fuzz target: rename it to one of {:?}",
                TARGETS.iter().map(|(t, _)| *t).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn every_target_has_a_fuzz_binary() {
    let targets_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    for (target, _) in TARGETS {
        let file = targets_dir.join(format!("{target}.rs"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("stimpack_core::fuzzing::{target}(")),
            "{} does not call stimpack_core::fuzzing::{target}",
            file.display()
        );
    }
}
