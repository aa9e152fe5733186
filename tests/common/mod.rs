//! Helpers shared by the end-to-end tests: running the binary, building datasets from the
//! committed fixtures in temp dirs, and writing hand-made zip archives byte by byte.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// A committed fixture, e.g. `fixture("audio/wav_s16le.wav")`.
pub fn fixture(name: &str) -> PathBuf {
    testdata().join("fixtures").join(name)
}

/// The `stimpack` binary.
pub fn stimpack() -> Command {
    let mut cmd = Command::cargo_bin("stimpack").expect("binary built");
    cmd.env_remove("SOURCE_DATE_EPOCH").env("NO_COLOR", "1");
    cmd
}

/// Asserts a finished run's exit code, showing its stderr when it differs.
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `stimpack check INPUT --json ARGS...`, returning the exit code and the parsed report.
pub fn check_json(input: &Path, args: &[&str]) -> (i32, Value) {
    let out = stimpack()
        .arg("check")
        .arg(input)
        .arg("--json")
        .args(args)
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().expect("exit code"), report)
}

/// The (code, path) pairs of a report's issues.
pub fn codes(report: &Value) -> Vec<(String, String)> {
    report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            (
                i["code"].as_str().unwrap().to_string(),
                i["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// True when the report has an issue with this code at this path.
pub fn has(report: &Value, code: &str, path: &str) -> bool {
    codes(report).iter().any(|(c, p)| c == code && p == path)
}

/// The stimulus record at a path.
pub fn stimulus<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["stimuli"].as_array().unwrap())
        .find(|s| s["path"] == path)
        .unwrap_or_else(|| panic!("no stimulus {path} in {report:#}"))
}

/// Builds a dataset folder: each pair is (path inside the dataset, fixture name or literal
/// content prefixed with `=`).
pub fn dataset(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    for (path, what) in files {
        let dest = dir.join(path);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        match what.strip_prefix('=') {
            Some(text) => fs::write(&dest, text).unwrap(),
            None => {
                fs::copy(fixture(what), &dest).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
    }
    dir.to_path_buf()
}

/// One entry of a hand-made zip.
pub struct RawEntry {
    /// The name exactly as stored.
    pub name: Vec<u8>,
    /// The data (stored, not compressed).
    pub data: Vec<u8>,
    /// General-purpose flags (bit 11: UTF-8 name; bit 0: encrypted).
    pub flags: u16,
    /// Unix mode (0o100644 for a file, 0o120777 for a symlink, 0o40755 for a folder).
    pub mode: u32,
}

impl RawEntry {
    /// A plain file with a UTF-8-flagged name.
    pub fn file(name: &str, data: &[u8]) -> Self {
        RawEntry {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            flags: 1 << 11,
            mode: 0o100644,
        }
    }

    /// A file whose content is a committed fixture.
    pub fn fixture(name: &str, fixture_name: &str) -> Self {
        Self::file(name, &fs::read(fixture(fixture_name)).unwrap())
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Writes a zip archive exactly as described: stored entries, names and flags as given, so
/// tests can make what real tools make (Finder zips, CP437 names, duplicates, symlinks).
pub fn raw_zip(path: &Path, entries: &[RawEntry]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let crc = crc32(&e.data);
        let size = e.data.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&e.flags.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // stored
        common.extend_from_slice(&0u16.to_le_bytes()); // time
        common.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
        common.extend_from_slice(&crc.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0]);
        out.extend_from_slice(&common);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 3, 20, 0]);
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // comment, disk, internal attributes
        central.extend_from_slice(&(e.mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    fs::write(path, out).unwrap();
}
