//! The public API as a user of the crate sees it: reports and manifests read back, packing a
//! report already made, probing one file, and the messages of findings and errors.

use std::fs;
use std::path::{Path, PathBuf};

use stimpack_core::{
    CheckOptions, Code, InputError, Issue, Manifest, MediaKind, NoopReporter, PackError, PackOptions,
    PackOutcome, Report, Severity, check, check_many, pack, pack_checked, probe_file,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> PathBuf {
    root().join("testdata/demo")
}

/// A small dataset of real files in a temporary folder (two sources of WAV files).
fn small(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    for source in ["speech_1", "speech_2"] {
        fs::create_dir_all(input.join(source)).unwrap();
        for file in ["reference.wav", "low.wav"] {
            fs::copy(demo().join(source).join(file), input.join(source).join(file)).unwrap();
        }
    }
    input
}

fn pretty(value: &impl serde::Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap();
    out.push(b'\n');
    out
}

#[test]
fn a_report_reads_back_to_the_same_bytes() {
    let report = check(&demo(), &CheckOptions::default()).unwrap();
    let first = pretty(&report);
    let back: Report = serde_json::from_slice(&first).unwrap();
    assert_eq!(back, report);
    assert_eq!(pretty(&back), first);
}

#[test]
fn the_expected_demo_report_reads_back_to_the_same_bytes() {
    let expected = fs::read(root().join("tests/expected/demo-check.json")).unwrap();
    let report: Report = serde_json::from_slice(&expected).unwrap();
    assert_eq!(report.stimuli().count(), 16);
    assert_eq!(pretty(&report), expected);
}

#[test]
fn a_report_with_grouped_findings_reads_back() {
    // Grouped findings (`paths`) and warnings: fields left out of the JSON when empty come back.
    let opts = CheckOptions::default().with_experiment(Some(stimpack_core::ExperimentType::AcrImage));
    let report = check(&demo(), &opts).unwrap();
    assert!(
        report.issues.iter().any(|i| !i.paths.is_empty()),
        "{:#?}",
        report.issues
    );
    let back: Report = serde_json::from_slice(&pretty(&report)).unwrap();
    assert_eq!(back, report);
}

#[test]
fn a_manifest_reads_back_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo.zip");
    let PackOutcome::Written { manifest_path, .. } =
        pack(&demo(), &PackOptions::new(&out), &NoopReporter).unwrap()
    else {
        panic!("the demo is refused");
    };
    let written = fs::read(manifest_path).unwrap();
    let manifest: Manifest = serde_json::from_slice(&written).unwrap();
    assert_eq!(manifest.to_json(), written);
    assert_eq!(manifest.stimuli().count(), 16);
}

#[test]
fn pack_checked_writes_what_pack_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = small(tmp.path());
    let (a, b) = (tmp.path().join("a.zip"), tmp.path().join("b.zip"));
    pack(&input, &PackOptions::new(&a), &NoopReporter).unwrap();
    let report = check(&input, &CheckOptions::default()).unwrap();
    let outcome = pack_checked(&input, report.clone(), &PackOptions::new(&b), &NoopReporter).unwrap();
    let PackOutcome::Written { report: used, .. } = outcome else {
        panic!("refused");
    };
    assert_eq!(used, report);
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    let manifest = |p: &str| {
        fs::read_to_string(tmp.path().join(p))
            .unwrap()
            .replace("b.zip", "a.zip")
    };
    assert_eq!(manifest("a.manifest.json"), manifest("b.manifest.json"));
}

#[test]
fn pack_checked_takes_a_report_read_back_from_json() {
    let tmp = tempfile::tempdir().unwrap();
    let input = small(tmp.path());
    let json = serde_json::to_vec(&check(&input, &CheckOptions::default()).unwrap()).unwrap();
    let report: Report = serde_json::from_slice(&json).unwrap();
    let out = tmp.path().join("out.zip");
    let outcome = pack_checked(&input, report, &PackOptions::new(&out), &NoopReporter).unwrap();
    assert!(matches!(outcome, PackOutcome::Written { .. }));
    assert!(out.exists());
}

#[test]
fn pack_checked_refuses_a_report_with_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let input = small(tmp.path());
    let mut report = check(&input, &CheckOptions::default()).unwrap();
    report.issues.push(Issue::error(
        Code::InvalidMedia,
        "speech_1/reference.wav".to_string(),
        "bad",
    ));
    report = Report::new(report.input, report.input_kind, report.groups, report.issues);
    let out = tmp.path().join("out.zip");
    let outcome = pack_checked(&input, report, &PackOptions::new(&out), &NoopReporter).unwrap();
    assert!(matches!(outcome, PackOutcome::Refused(r) if r.summary.errors == 1));
    assert!(!out.exists());
}

#[test]
fn pack_checked_refuses_a_report_of_another_state_of_the_input() {
    let tmp = tempfile::tempdir().unwrap();
    let input = small(tmp.path());
    let report = check(&input, &CheckOptions::default()).unwrap();
    let out = tmp.path().join("out.zip");
    let try_pack = |report: Report| pack_checked(&input, report, &PackOptions::new(&out), &NoopReporter);

    // A file added after the check.
    fs::copy(
        input.join("speech_1/reference.wav"),
        input.join("speech_1/extra.wav"),
    )
    .unwrap();
    let err = try_pack(report.clone()).unwrap_err();
    assert!(matches!(err, PackError::NotThisReport { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("'speech_1/extra.wav' is in the input, not in the report"),
        "{err}"
    );
    fs::remove_file(input.join("speech_1/extra.wav")).unwrap();

    // A file that changed size.
    let grown = input.join("speech_2/low.wav");
    let mut bytes = fs::read(&grown).unwrap();
    bytes.extend_from_slice(&[0; 10]);
    fs::write(&grown, &bytes).unwrap();
    let err = try_pack(report.clone()).unwrap_err();
    assert!(err.to_string().contains("'speech_2/low.wav' is"), "{err}");

    // A report of another kind of input.
    let as_zip = Report::new(
        report.input.clone(),
        stimpack_core::InputKind::Zip,
        report.groups.clone(),
        report.issues.clone(),
    );
    let err = try_pack(as_zip).unwrap_err();
    assert!(
        err.to_string()
            .contains("it is a folder, the report is of a zip archive"),
        "{err}"
    );

    // A file removed.
    fs::remove_file(&grown).unwrap();
    let err = try_pack(report).unwrap_err();
    assert!(
        err.to_string().contains("is in the report, not in the input"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn probe_file_reads_one_file_with_its_findings() {
    let wav = demo().join("speech_1/reference.wav");
    let probed = probe_file(&wav).unwrap();
    assert!(probed.ok(), "{:?}", probed.issues);
    assert_eq!(probed.stimulus.media, MediaKind::Audio);
    assert_eq!(probed.stimulus.group, "speech_1");
    assert_eq!(probed.stimulus.condition, "reference");
    assert_eq!(probed.stimulus.role, stimpack_core::Role::Reference);
    assert_eq!(
        probed.stimulus.reading.bytes,
        Some(fs::metadata(&wav).unwrap().len())
    );

    // The same readings as in a check of the dataset.
    let report = check(&demo(), &CheckOptions::default()).unwrap();
    let in_report = report
        .stimuli()
        .find(|s| s.path == "speech_1/reference.wav")
        .unwrap();
    assert_eq!(probed.stimulus.reading.duration_s, in_report.reading.duration_s);
    assert_eq!(probed.stimulus.reading.codec, in_report.reading.codec);

    // A file cut short: its finding, with the path as given.
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("cut.wav");
    let bytes = fs::read(&wav).unwrap();
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let probed = probe_file(&cut).unwrap();
    assert!(!probed.ok());
    let issue = &probed.issues[0];
    assert_eq!(issue.code, Code::TruncatedAudio);
    assert_eq!(issue.path.as_deref(), Some(probed.stimulus.path.as_str()));
    assert!(probed.stimulus.path.ends_with("/cut.wav"));
}

#[test]
fn probe_file_errs_only_when_there_is_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = probe_file(&tmp.path().join("nope.wav")).unwrap_err();
    assert!(matches!(missing, InputError::NotFound(_)));
    let folder = probe_file(tmp.path()).unwrap_err();
    assert!(matches!(folder, InputError::NotAFile(_)));
    assert!(
        folder
            .to_string()
            .ends_with(": not a file. Give the path of one media file, or check a folder as a dataset")
    );
}

#[test]
fn check_many_gives_each_input_its_own_result_in_order() {
    let inputs = [demo().join("speech_1"), demo().join("missing"), demo()];
    let results: Vec<_> = check_many(&inputs, &CheckOptions::default()).collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[1].0, inputs[1].as_path());
    assert!(matches!(results[1].1, Err(InputError::NotFound(_))));
    assert_eq!(results[2].1.as_ref().unwrap().summary.stimuli, 16);
}

#[test]
fn findings_and_their_parts_display_as_in_reports() {
    assert_eq!(Severity::Error.to_string(), "error");
    assert_eq!(Severity::Warning.to_string(), "warning");
    for &code in Code::ALL {
        assert_eq!(code.to_string(), code.as_str());
        assert_eq!(code.as_str().parse::<Code>().unwrap(), code);
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{code}\""));
        assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), code);
    }
    assert!("no-such-code".parse::<Code>().is_err());

    let one = Issue::error(Code::EmptyFile, "s1/a.wav".to_string(), "the file is empty");
    assert_eq!(one.to_string(), "s1/a.wav: error[empty-file] the file is empty");
    let line = Issue::warning(Code::InsecureUrl, "http://x/s/a.wav".to_string(), "use https").at_line(3);
    assert_eq!(
        line.to_string(),
        "line 3: http://x/s/a.wav: warning[insecure-url] use https"
    );
    let whole = Issue::error(Code::NoStimuli, None, "no stimuli");
    assert_eq!(whole.to_string(), "(dataset): error[no-stimuli] no stimuli");
    let grouped = Issue {
        paths: (1..=5).map(|i| format!("s{i}/a.png")).collect(),
        ..Issue::error(Code::WrongMediaForExperiment, None, "wrong media")
    };
    assert_eq!(
        grouped.to_string(),
        "s1/a.png, s2/a.png, s3/a.png and 2 more: error[wrong-media-for-experiment] wrong media"
    );
}

/// A platform's rules come with the check itself (`CheckOptions::with_platform`), for every
/// caller alike: Datature takes images only, so the demo's audio is refused.
#[test]
fn a_platform_s_rules_are_part_of_the_check() {
    let plain = check(&demo(), &CheckOptions::default()).unwrap();
    assert!(plain.ok);
    let datature = check(
        &demo(),
        &CheckOptions::default().with_platform(stimpack_core::Platform::Datature),
    )
    .unwrap();
    assert!(!datature.ok);
    assert!(
        datature
            .issues
            .iter()
            .any(|i| i.code.as_str() == "format-not-accepted")
    );
}
