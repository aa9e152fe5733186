//! Behaviour of `pack`: real files in temporary folders, read back with the zip crate.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};
use stimpack_core::Manifest;
use stimpack_core::{
    CheckOptions, NoopReporter, PackError, PackOptions, PackOutcome, PackReporter, Severity, check, pack,
};

fn png() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures/image/png.png");
    fs::read(p).expect("fixture png.png")
}

fn put(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, bytes).unwrap();
    p
}

/// Two sources of images, a config, an API-request stimulus and a name in NFD.
fn dataset(root: &Path) {
    let img = png();
    put(root, "s1/a.png", &img);
    put(root, "s1/b.png", &img);
    put(
        root,
        "s1/config.json",
        br#"{"title": "First", "question": "Which is better?"}"#,
    );
    put(root, "s2/a.png", &img);
    put(root, "s2/b.png", &img);
    put(root, "s2/cafe\u{301}.png", &img);
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn written(outcome: PackOutcome) -> (Manifest, PathBuf, PathBuf) {
    match outcome {
        PackOutcome::Written {
            manifest,
            archive_path,
            manifest_path,
            ..
        } => (manifest, archive_path, manifest_path),
        PackOutcome::Refused(r) => panic!("refused: {:#?}", r.issues),
    }
}

fn entries(zip_path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(File::open(zip_path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.insert(f.name().unwrap().into_owned(), bytes);
    }
    out
}

fn names_in_order(zip_path: &Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(File::open(zip_path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
        .collect()
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".stimpack-tmp-"))
        .collect()
}

#[test]
fn pack_round_trip_matches_sources_manifest_and_check() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let out = tmp.path().join("out/dataset.zip");
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    let (manifest, archive_path, manifest_path) =
        written(pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap());
    assert_eq!(archive_path, out);
    assert_eq!(manifest_path, tmp.path().join("out/dataset.manifest.json"));

    // Exactly the stimuli and the config, sorted, in NFC, nothing else.
    let names = names_in_order(&out);
    assert_eq!(
        names,
        [
            "s1/a.png",
            "s1/b.png",
            "s1/config.json",
            "s2/a.png",
            "s2/b.png",
            "s2/caf\u{e9}.png"
        ]
    );
    let files = entries(&out);
    let mut archive = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
    for i in 0..archive.len() {
        let f = archive.by_index(i).unwrap();
        assert_eq!(f.unix_mode(), Some(0o100644), "{:?}", f.name());
        assert_eq!(f.compression(), zip::CompressionMethod::Stored);
        let t = f.last_modified().unwrap();
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (1980, 1, 1, 0, 0)
        );
        assert!(f.extra_data().is_none_or(|e| e.is_empty()), "no extra fields");
    }

    // Every entry's bytes and SHA-256 match the source and the manifest.
    let mut seen = 0;
    for s in manifest.stimuli() {
        let bytes = &files[&s.stimulus.path];
        let source_name = s.stimulus.path.replace("caf\u{e9}", "cafe\u{301}");
        assert_eq!(bytes, &fs::read(input.join(&source_name)).unwrap());
        assert_eq!(s.sha256.as_deref(), Some(sha_hex(bytes).as_str()));
        assert_eq!(s.stimulus.reading.bytes, Some(bytes.len() as u64));
        seen += 1;
    }
    assert_eq!(seen, 5);
    assert_eq!(manifest.files.len(), 1);
    assert_eq!(manifest.files[0].path, "s1/config.json");
    assert_eq!(manifest.files[0].sha256, sha_hex(&files["s1/config.json"]));

    // The archive record describes the written file; the manifest on disk is the one returned.
    let zip_bytes = fs::read(&out).unwrap();
    assert_eq!(manifest.archive.file, "dataset.zip");
    assert_eq!(manifest.archive.bytes, zip_bytes.len() as u64);
    assert_eq!(manifest.archive.sha256, sha_hex(&zip_bytes));
    assert_eq!(fs::read(&manifest_path).unwrap(), manifest.to_json());
    assert!(manifest.tool.starts_with("stimpack "));
    assert_eq!(manifest.created, None);

    // `check` on the packed zip passes with the same stimuli and readings.
    let report = check(&out, &CheckOptions::default()).unwrap();
    assert!(report.ok, "{:#?}", report.issues);
    let from_zip: Vec<_> = report.stimuli().cloned().collect();
    let from_manifest: Vec<_> = manifest.stimuli().map(|s| s.stimulus.clone()).collect();
    assert_eq!(from_zip, from_manifest);
    assert!(temp_files(out.parent().unwrap()).is_empty());

    // Other readers agree the archive is sound.
    if Command::new("unzip").arg("-v").output().is_ok() {
        let t = Command::new("unzip").arg("-tq").arg(&out).output().unwrap();
        assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stdout));
    }
    python_testzip(&out);
}

/// Python's `zipfile` reads every entry and checks its CRC, when Python is there.
fn python_testzip(path: &Path) {
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
                  assert all(i.flag_bits & 0x800 for i in z.infolist())\nprint(len(z.infolist()))";
    if let Ok(out) = Command::new("python3").args(["-c", script]).arg(path).output() {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn pack_is_byte_reproducible_and_honours_source_date_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let a = tmp.path().join("a/dataset.zip");
    let b = tmp.path().join("b/dataset.zip");
    let c = tmp.path().join("c/dataset.zip");
    for p in [&a, &b, &c] {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
    }
    written(pack(&input, &PackOptions::new(&a), &NoopReporter).unwrap());
    // Touch every source: new mtimes must not change a byte.
    let later = SystemTime::now() + Duration::from_secs(3600);
    for entry in walk(&input) {
        File::options()
            .write(true)
            .open(&entry)
            .unwrap()
            .set_modified(later)
            .unwrap();
    }
    written(pack(&input, &PackOptions::new(&b), &NoopReporter).unwrap());
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    assert_eq!(
        fs::read(a.with_file_name("dataset.manifest.json")).unwrap(),
        fs::read(b.with_file_name("dataset.manifest.json")).unwrap()
    );

    let opts = PackOptions::new(&c).with_source_date_epoch(Some(1_700_000_000));
    let (manifest, ..) = written(pack(&input, &opts, &NoopReporter).unwrap());
    assert_ne!(fs::read(&a).unwrap(), fs::read(&c).unwrap());
    assert_eq!(manifest.created.as_deref(), Some("2023-11-14T22:13:20Z"));
    let mut archive = zip::ZipArchive::new(File::open(&c).unwrap()).unwrap();
    let t = archive.by_index(0).unwrap().last_modified().unwrap();
    assert_eq!(
        (t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()),
        (2023, 11, 14, 22, 13, 20)
    );
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(root).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn repack_of_a_finder_zip_drops_wrapper_and_junk_with_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let finder = tmp.path().join("My Study.zip");
    {
        let mut w = zip::ZipWriter::new(File::create(&finder).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        w.add_directory("My Study/", opts).unwrap();
        w.add_directory("My Study/s1/", opts).unwrap();
        for name in ["My Study/s1/a.png", "My Study/s1/b.png"] {
            w.start_file(name, opts).unwrap();
            w.write_all(&png()).unwrap();
        }
        w.start_file("My Study/.DS_Store", opts).unwrap();
        w.write_all(b"\0\0\0\x01Bud1").unwrap();
        w.start_file("__MACOSX/My Study/s1/._a.png", opts).unwrap();
        w.write_all(b"\x00\x05\x16\x07").unwrap();
        w.finish().unwrap();
    }
    let out = tmp.path().join("dataset.zip");
    let (manifest, ..) = written(pack(&finder, &PackOptions::new(&out), &NoopReporter).unwrap());
    assert_eq!(names_in_order(&out), ["s1/a.png", "s1/b.png"]);
    assert_eq!(entries(&out)["s1/a.png"], png());
    let warnings: Vec<(&str, Option<&str>)> = manifest
        .issues
        .iter()
        .map(|i| {
            assert_eq!(i.severity, Severity::Warning);
            (i.code.as_str(), i.path.as_deref())
        })
        .collect();
    assert_eq!(
        warnings,
        [
            ("wrapping-folder", Some("My Study")),
            ("junk-file", Some("My Study/.DS_Store")),
            ("junk-file", Some("__MACOSX")),
        ]
    );
    let report = check(&out, &CheckOptions::default()).unwrap();
    assert!(report.ok && report.issues.is_empty(), "{:#?}", report.issues);
}

#[test]
fn errors_refuse_to_write_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    put(&input, "loose.png", &png());
    let out = tmp.path().join("out.zip");
    match pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap() {
        PackOutcome::Refused(report) => {
            assert!(!report.ok);
            assert!(
                report
                    .issues
                    .iter()
                    .any(|i| i.code.as_str() == "file-outside-source")
            );
        }
        PackOutcome::Written { .. } => panic!("packed a dataset with errors"),
    }
    assert!(!out.exists());
    assert!(!tmp.path().join("out.manifest.json").exists());
    assert!(temp_files(tmp.path()).is_empty());

    // Strict refuses on warnings too (an empty source folder is a warning).
    let clean = tmp.path().join("clean");
    dataset(&clean);
    fs::create_dir_all(clean.join("s3")).unwrap();
    let opts = PackOptions::new(&out).with_check(CheckOptions::default().with_strict(true));
    assert!(matches!(
        pack(&clean, &opts, &NoopReporter).unwrap(),
        PackOutcome::Refused(_)
    ));
    assert!(!out.exists());
    written(pack(&clean, &PackOptions::new(&out), &NoopReporter).unwrap());
}

/// An output in a folder that does not exist is refused before anything is checked, with a
/// message naming the folder (not a temporary file's name).
#[test]
fn an_output_folder_that_does_not_exist_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let out = tmp.path().join("missing/dataset.zip");
    let err = pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, PackError::Write { path, .. } if path == &out),
        "{err:?}"
    );
    assert!(
        msg.contains("missing does not exist") && !msg.contains("stimpack-tmp"),
        "{msg}"
    );
}

#[test]
fn existing_output_needs_force() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let out = tmp.path().join("dataset.zip");
    fs::write(&out, b"precious").unwrap();
    let err = pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap_err();
    assert!(matches!(err, PackError::OutputExists(ref p) if *p == out));
    assert!(err.to_string().contains("`force` option"));
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    written(pack(&input, &PackOptions::new(&out).with_force(true), &NoopReporter).unwrap());
    assert_eq!(names_in_order(&out).len(), 6);

    let wrong = pack(&input, &PackOptions::new(tmp.path().join("x.txt")), &NoopReporter).unwrap_err();
    assert!(matches!(wrong, PackError::OutputKind { .. }));
}

#[test]
fn url_list_is_written_clean_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("urls.txt");
    fs::write(
        &input,
        "# study 1\n\nhttps://cdn.example.com/x/s2/b.wav\r\n  https://cdn.example.com/x/s1/a.wav?sig=1  \n# end\nhttps://cdn.example.com/x/s1/b.wav\n",
    )
    .unwrap();
    let out = tmp.path().join("dataset.txt");
    let (manifest, _, manifest_path) = written(pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap());
    let text = fs::read_to_string(&out).unwrap();
    assert_eq!(
        text,
        "https://cdn.example.com/x/s2/b.wav\nhttps://cdn.example.com/x/s1/a.wav?sig=1\nhttps://cdn.example.com/x/s1/b.wav\n"
    );
    assert_eq!(manifest_path, tmp.path().join("dataset.manifest.json"));
    assert_eq!(manifest.archive.sha256, sha_hex(text.as_bytes()));
    assert_eq!(manifest.stimuli().count(), 3);
    assert!(
        manifest
            .stimuli()
            .all(|s| s.sha256.is_none() && s.stimulus.url.is_some())
    );
    validate_against_schema(&manifest_path);
}

/// Changes a file when writing starts, i.e. after the check saw it.
struct ChangeOnStart(PathBuf);

impl PackReporter for ChangeOnStart {
    fn on_start(&self, _: u64, _: usize) {
        let mut f = File::options().append(true).open(&self.0).unwrap();
        f.write_all(b"more").unwrap();
    }
}

#[test]
fn a_file_changed_after_the_check_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let out = tmp.path().join("dataset.zip");
    let changed = input.join("s2/b.png");
    let err = pack(&input, &PackOptions::new(&out), &ChangeOnStart(changed.clone())).unwrap_err();
    match &err {
        PackError::SourceChanged { path, .. } => assert_eq!(path, &changed),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!out.exists());
    assert!(!tmp.path().join("dataset.manifest.json").exists());
    assert!(temp_files(tmp.path()).is_empty());
}

/// Appends to a file when the writer reaches a given entry, i.e. while packing.
struct ChangeOnEntry(PathBuf, &'static str);

impl PackReporter for ChangeOnEntry {
    fn on_entry(&self, path: &str) {
        if path == self.1 {
            let mut f = File::options().append(true).open(&self.0).unwrap();
            f.write_all(b"more").unwrap();
        }
    }
}

/// Regression: a zip input's final "unchanged?" check was sent after the last entry, where
/// the writer no longer listened, so a zip changed late in a pack went unnoticed.
#[test]
fn a_zip_input_changed_while_packing_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let first = tmp.path().join("first.zip");
    written(pack(&input, &PackOptions::new(&first), &NoopReporter).unwrap());
    let last = names_in_order(&first).pop().unwrap();
    let out = tmp.path().join("second.zip");
    let leaked: &'static str = Box::leak(last.into_boxed_str());
    let err = pack(
        &first,
        &PackOptions::new(&out),
        &ChangeOnEntry(first.clone(), leaked),
    )
    .unwrap_err();
    match &err {
        PackError::SourceChanged { path, .. } => assert_eq!(path, &first),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!out.exists());
    assert!(temp_files(tmp.path()).iter().all(|f| !f.contains("second")));
}

/// Creates the output when writing starts, as another program might.
struct CreateOnStart(PathBuf);

impl PackReporter for CreateOnStart {
    fn on_start(&self, _: u64, _: usize) {
        fs::write(&self.0, b"theirs").unwrap();
    }
}

/// Without --force, an output that appears while packing is not replaced (the final rename
/// refuses), and no manifest is left without its archive.
#[test]
fn an_output_created_meanwhile_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    let out = tmp.path().join("dataset.zip");
    let err = pack(&input, &PackOptions::new(&out), &CreateOnStart(out.clone())).unwrap_err();
    assert!(matches!(&err, PackError::OutputExists(p) if p == &out), "{err:?}");
    assert_eq!(fs::read(&out).unwrap(), b"theirs");
    assert!(!tmp.path().join("dataset.manifest.json").exists());
    assert!(temp_files(tmp.path()).is_empty());
}

fn validate_against_schema(manifest_path: &Path) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/manifest.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&fs::read(schema_path).unwrap()).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(manifest_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn manifest_matches_its_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    dataset(&input);
    put(&input, "providers.json", br#"{}"#);
    put(
        &input,
        "s3/q.req.json",
        br#"{"url": "https://example.com/api", "method": "POST"}"#,
    );
    fs::write(input.join("s3/.DS_Store"), b"junk").unwrap();
    let out = tmp.path().join("dataset.zip");
    let opts = PackOptions::new(&out).with_source_date_epoch(Some(0));
    match pack(&input, &opts, &NoopReporter).unwrap() {
        PackOutcome::Written {
            manifest,
            manifest_path,
            ..
        } => {
            assert!(!manifest.issues.is_empty());
            validate_against_schema(&manifest_path);
        }
        // If providers/request formats are stricter than assumed, still validate a clean pack.
        PackOutcome::Refused(r) => panic!("refused: {:#?}", r.issues),
    }
}

#[test]
fn compress_deflates_pcm_audio_only() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let wav = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures/audio/wav_s16le.wav");
    let wav = fs::read(wav).unwrap();
    put(&input, "s1/a.wav", &wav);
    put(&input, "s2/b.png", &png());
    let out = tmp.path().join("dataset.zip");
    let outcome = pack(&input, &PackOptions::new(&out).with_compress(true), &NoopReporter).unwrap();
    let (manifest, ..) = written(outcome);
    let mut archive = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
    let method = |a: &mut zip::ZipArchive<File>, n: &str| a.by_name(n).unwrap().compression();
    assert_eq!(method(&mut archive, "s1/a.wav"), zip::CompressionMethod::Deflated);
    assert_eq!(method(&mut archive, "s2/b.png"), zip::CompressionMethod::Stored);
    assert_eq!(entries(&out)["s1/a.wav"], wav);
    let a = manifest
        .stimuli()
        .find(|s| s.stimulus.path == "s1/a.wav")
        .unwrap();
    assert_eq!(a.stimulus.reading.bytes, Some(wav.len() as u64));
    assert_eq!(a.sha256.as_deref(), Some(sha_hex(&wav).as_str()));
    python_testzip(&out);
}

/// A PNG followed by a hole of `extra` bytes: cheap to make, slow to copy.
fn sparse_png(path: &Path, extra: u64) {
    let img = png();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = File::create(path).unwrap();
    (&f).write_all(&img).unwrap();
    f.set_len(img.len() as u64 + extra).unwrap();
}

/// The real path end to end: reads, hashes and writes 4 GiB twice over, which takes minutes
/// in a debug build (SHA-256 unoptimised) and ~15 s in release. The ZIP64 layout itself is
/// covered quickly by `pack::zipwriter::tests::zip64_sizes_and_offsets_in_a_sparse_archive`.
/// Run: `cargo test --release -p stimpack-core --test pack -- --ignored`.
#[test]
#[ignore = "moves 4 GiB; run with --release -- --ignored"]
fn zip64_for_an_entry_over_4_gib() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let big = (4u64 << 30) + 4096;
    sparse_png(&input.join("s1/big.png"), big);
    put(&input, "s1/small.png", &png());
    let out = tmp.path().join("dataset.zip");
    let start = Instant::now();
    let (manifest, ..) = written(pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap());
    eprintln!("packed 4 GiB in {:?}", start.elapsed());
    let size = png().len() as u64 + big;
    let big_entry = manifest
        .stimuli()
        .find(|s| s.stimulus.path == "s1/big.png")
        .unwrap();
    assert_eq!(big_entry.stimulus.reading.bytes, Some(size));
    let archive = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
    let mut archive = archive;
    assert_eq!(archive.by_name("s1/big.png").unwrap().size(), size);
    // The small entry lies past 4 GiB: its offset needs ZIP64 too; read it back whole.
    let mut small = Vec::new();
    archive
        .by_name("s1/small.png")
        .unwrap()
        .read_to_end(&mut small)
        .unwrap();
    assert_eq!(small, png());
    if Command::new("unzip").arg("-v").output().is_ok() {
        let t = Command::new("unzip").arg("-tq").arg(&out).output().unwrap();
        assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stdout));
    }
}

#[test]
fn zip64_for_more_than_65535_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let count = 65_536 + 10;
    for i in 0..count {
        put(&input, &format!("s{:03}/c{:05}.js", i % 256, i), b"x");
    }
    let out = tmp.path().join("dataset.zip");
    let (manifest, ..) = written(pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap());
    assert_eq!(manifest.summary.stimuli, count);
    let archive = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
    assert_eq!(archive.len(), count);
    python_testzip(&out);
}

/// Run in a child process by `a_killed_pack_leaves_no_output`: packs and never returns early.
#[test]
fn child_pack_helper() {
    let (Ok(input), Ok(output)) = (
        std::env::var("STIMPACK_TEST_CHILD_INPUT"),
        std::env::var("STIMPACK_TEST_CHILD_OUTPUT"),
    ) else {
        return;
    };
    let _ = pack(Path::new(&input), &PackOptions::new(output), &NoopReporter);
}

#[test]
fn a_killed_pack_leaves_no_output_and_the_next_run_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    sparse_png(&input.join("s1/big.png"), 8 << 30);
    let out_dir = tmp.path().join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("dataset.zip");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_pack_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env("STIMPACK_TEST_CHILD_INPUT", &input)
        .env("STIMPACK_TEST_CHILD_OUTPUT", &out)
        .spawn()
        .unwrap();
    // Wait until the archive is being written, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let writing = fs::read_dir(&out_dir).unwrap().flatten().any(|e| {
            e.file_name().to_string_lossy().contains(".stimpack-tmp-")
                && e.metadata().is_ok_and(|m| m.len() > 8 << 20)
        });
        if writing {
            break;
        }
        assert!(Instant::now() < deadline, "the child never started writing");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists());
    assert!(!out_dir.join("dataset.manifest.json").exists());
    assert_eq!(
        temp_files(&out_dir).len(),
        1,
        "the killed run's temporary file is left"
    );

    let small = tmp.path().join("small");
    dataset(&small);
    written(pack(&small, &PackOptions::new(&out), &NoopReporter).unwrap());
    assert!(
        temp_files(&out_dir).is_empty(),
        "the stale temporary file is removed"
    );
    assert!(out.exists());
}
