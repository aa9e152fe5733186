//! The `check --json` report against `schema/report.schema.json`: the pinned demo output,
//! the report of every committed fixture, and reports that hold every kind of finding (zip,
//! URL list, layout, experiment rules with grouped findings). Also keeps the report and
//! manifest schemas in step with each other and with `Code::ALL`.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use stimpack_core::{CheckOptions, Code, ExperimentType, check};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema(name: &str) -> Value {
    serde_json::from_slice(&fs::read(repo().join("schema").join(name)).unwrap()).unwrap()
}

fn assert_valid(schema: &Value, doc: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn report_json(input: &Path, opts: &CheckOptions) -> Value {
    serde_json::to_value(check(input, opts).unwrap()).unwrap()
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(repo().join("testdata/fixtures").join(name)).unwrap()
}

#[test]
fn the_pinned_demo_report_matches_the_schema() {
    let schema = schema("report.schema.json");
    let pinned: Value =
        serde_json::from_slice(&fs::read(repo().join("tests/expected/demo-check.json")).unwrap()).unwrap();
    assert_valid(&schema, &pinned, "tests/expected/demo-check.json");
    let opts = CheckOptions::default()
        .with_experiment(Some(ExperimentType::Mushra))
        .with_anchors(vec!["low".into()]);
    assert_valid(
        &schema,
        &report_json(&repo().join("testdata/demo"), &opts),
        "testdata/demo",
    );
}

#[test]
fn every_fixture_report_matches_the_schema() {
    let schema = schema("report.schema.json");
    let mut checked = 0;
    for kind in fs::read_dir(repo().join("testdata/fixtures")).unwrap() {
        let kind = kind.unwrap().path();
        for file in fs::read_dir(&kind).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_str().unwrap().to_string();
            if name == "make.sh" {
                continue;
            }
            let tmp = tempfile::tempdir().unwrap();
            put(tmp.path(), &format!("s1/{name}"), &fs::read(&file).unwrap());
            let report = report_json(tmp.path(), &CheckOptions::default());
            assert_valid(&schema, &report, &file.display().to_string());
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} fixtures found");
}

#[test]
fn reports_with_every_kind_of_finding_match_the_schema() {
    let schema = schema("report.schema.json");
    let mp3 = fixture("mp3/cbr_info.mp3");
    let png = fixture("image/png.png");
    // Layout findings under a wrapping folder, and experiment rules grouped over sources.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("in");
    for s in ["s1", "s2", "s3", "s4"] {
        put(&root, &format!("wrap/{s}/reference.mp3"), &mp3);
        put(&root, &format!("wrap/{s}/codec.mp3"), &mp3);
        put(&root, &format!("wrap/{s}/pic.png"), &png);
    }
    put(&root, "wrap/s4/codex.mp3", &mp3);
    put(&root, "wrap/s1/deep/er/x.mp3", &mp3);
    put(&root, "wrap/s1/.DS_Store", b"junk");
    put(&root, "wrap/README.md", b"# notes");
    put(&root, "wrap/s2/config.json", b"{\"title\": 3}");
    put(&root, "wrap/s3/cut.mp3", &mp3[..mp3.len() - 37]);
    let opts = CheckOptions::default().with_experiment(Some(ExperimentType::Mushra));
    let report = report_json(&root, &opts);
    let grouped = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i.get("paths").is_some())
        .count();
    assert!(grouped > 0, "{report:#}");
    assert_valid(&schema, &report, "folder with findings");
    let strict = report_json(&root, &opts.clone().with_strict(true));
    assert_valid(&schema, &strict, "strict");

    // A URL list: line numbers, URLs and no sizes.
    let list = tmp.path().join("urls.txt");
    fs::write(
        &list,
        "https://cdn.example.com/x/s1/a.wav\nnot a url\nhttp://10.0.0.1/x/s1/b.wav\nhttps://cdn.example.com/x/s2/a.mp4\n",
    )
    .unwrap();
    assert_valid(&schema, &report_json(&list, &CheckOptions::default()), "URL list");

    // A zip with a wrapper and junk.
    let zip_path = tmp.path().join("study.zip");
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
        let o = zip::write::SimpleFileOptions::default();
        for name in ["Study/s1/a.mp3", "Study/s1/b.mp3", "__MACOSX/Study/s1/._a.mp3"] {
            w.start_file(name, o).unwrap();
            w.write_all(&mp3).unwrap();
        }
        w.finish().unwrap();
    }
    assert_valid(&schema, &report_json(&zip_path, &CheckOptions::default()), "zip");
}

#[test]
fn the_report_and_manifest_schemas_share_their_definitions() {
    let report = schema("report.schema.json");
    let manifest = schema("manifest.schema.json");
    assert_eq!(report["$defs"]["group"], manifest["$defs"]["group"]);
    // A manifest's stimulus is a report's plus its sha256.
    let mut stimulus = manifest["$defs"]["stimulus"].clone();
    stimulus["properties"].as_object_mut().unwrap().remove("sha256");
    stimulus["required"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r != "sha256");
    let mut report_stimulus = report["$defs"]["stimulus"].clone();
    for s in [&mut stimulus, &mut report_stimulus] {
        s["properties"]["path"]
            .as_object_mut()
            .unwrap()
            .remove("description");
    }
    assert_eq!(report_stimulus, stimulus);
    // A manifest holds only accepted warnings; otherwise its findings are the report's.
    let mut issue = manifest["$defs"]["issue"].clone();
    let mut report_issue = report["$defs"]["issue"].clone();
    for i in [&mut issue, &mut report_issue] {
        i["properties"].as_object_mut().unwrap().remove("severity");
        i["properties"]["line"]
            .as_object_mut()
            .unwrap()
            .remove("description");
    }
    assert_eq!(report_issue, issue);
}

#[test]
fn both_schemas_list_every_finding_code() {
    let listed = |s: &Value| -> Vec<String> {
        let description = s["$defs"]["issue"]["properties"]["code"]["description"]
            .as_str()
            .unwrap();
        let (_, known) = description.split_once("Known: ").expect("a Known: list");
        known.split(", ").map(str::to_string).collect()
    };
    let codes: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
    for name in ["report.schema.json", "manifest.schema.json"] {
        let mut known = listed(&schema(name));
        known.sort();
        let mut all = codes.clone();
        all.sort();
        assert_eq!(known, all, "{name}'s Known: list and Code::ALL differ");
    }
}

#[test]
fn the_schema_refuses_what_the_contract_does_not_allow() {
    let schema = schema("report.schema.json");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    put(tmp.path(), "s1/a.mp3", &fixture("mp3/truncated.mp3"));
    let good = report_json(tmp.path(), &CheckOptions::default());
    assert!(validator.is_valid(&good));
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        f(&mut doc);
        validator.is_valid(&doc)
    };
    assert!(!broken(&|d| d["surprise"] = Value::Bool(true)), "unknown field");
    assert!(
        !broken(&|d| d["issues"][0]["severity"] = "fatal".into()),
        "severity"
    );
    assert!(!broken(&|d| d["issues"][0]["code"] = "Not A Code".into()), "code");
    assert!(
        !broken(&|d| d["issues"][0]["paths"] = serde_json::json!(["s1/a.mp3", "s1/b.mp3"])),
        "paths beside a path"
    );
    assert!(
        !broken(&|d| d["groups"][0]["stimuli"][0]["role"] = "star".into()),
        "role"
    );
    assert!(!broken(&|d| d["summary"]["errors"] = (-1).into()), "count");
}

/// A manifest records the accepted warnings, grouped ones included.
#[test]
fn a_manifest_with_grouped_warnings_matches_its_schema() {
    use stimpack_core::{NoopReporter, PackOptions, PackOutcome, pack};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("in");
    let mp3 = fixture("mp3/cbr_info.mp3");
    for s in ["s1", "s2"] {
        put(&root, &format!("w/{s}/reference.mp3"), &mp3);
        put(&root, &format!("w/{s}/a.mp3"), &mp3);
    }
    put(&root, "w/README.md", b"# notes");
    let out = tmp.path().join("dataset.zip");
    let check = CheckOptions::default()
        .with_experiment(Some(ExperimentType::Mushra))
        .with_anchors(vec!["lp35".into()]);
    let PackOutcome::Written {
        manifest_path,
        manifest,
        ..
    } = pack(&root, &PackOptions::new(&out).with_check(check), &NoopReporter).unwrap()
    else {
        panic!("refused");
    };
    assert!(
        manifest.issues.iter().any(|i| i.paths.len() == 2),
        "{:#?}",
        manifest.issues
    );
    let doc: Value = serde_json::from_slice(&fs::read(manifest_path).unwrap()).unwrap();
    assert_valid(&schema("manifest.schema.json"), &doc, "manifest");
}
