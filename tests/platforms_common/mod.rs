//! Helpers for the `--platform` end-to-end tests: reading exports back with a reader that is
//! not ours (Python's `csv` and `json` when python3 is there, else the `csv` crate and
//! serde_json), and checking that no secret was printed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// True when `python3` runs here.
pub fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn python(script: &str, path: &Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// Every record of a CSV file, header first.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    if have_python() {
        let v = python(
            "import csv, json, sys\n\
             with open(sys.argv[1], newline='', encoding='utf-8') as f:\n    \
             print(json.dumps(list(csv.reader(f, strict=True))))",
            path,
        );
        return serde_json::from_value(v).unwrap();
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// A JSON file.
pub fn read_json(path: &Path) -> Value {
    if have_python() {
        return python(
            "import json, sys\nprint(json.dumps(json.load(open(sys.argv[1], encoding='utf-8'))))",
            path,
        );
    }
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// An NDJSON file, one value per line (every line must be one JSON document).
pub fn read_ndjson(path: &Path) -> Vec<Value> {
    if have_python() {
        let v = python(
            "import json, sys\n\
             data = open(sys.argv[1], encoding='utf-8').read()\n\
             assert data.endswith('\\n')\n\
             print(json.dumps([json.loads(l) for l in data.split('\\n')[:-1]]))",
            path,
        );
        return serde_json::from_value(v).unwrap();
    }
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The manifest's stimuli, in order.
pub fn manifest_stimuli(manifest: &Value) -> Vec<Value> {
    manifest["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["stimuli"].as_array().unwrap().clone())
        .collect()
}

/// Neither stdout nor stderr holds any of `secrets`.
pub fn assert_no_secrets(out: &Output, secrets: &[String]) {
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for s in secrets {
        assert!(!s.is_empty());
        assert!(!all.contains(s.as_str()), "secret {s} was printed: {all}");
    }
    assert!(!all.contains("Signature="), "a signed URL was printed: {all}");
}

/// The text of an output's stream.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
