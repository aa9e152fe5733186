//! Zip archives that lie or would cost gigabytes: `check` and `pack` must agree on them, and
//! reading them must not use temporary disk space.

mod common;

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use common::{assert_exit, check_json, codes, fixture, has, stimpack, stimulus};

/// A zip of deflated entries.
fn deflated_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    fs::write(path, w.finish().unwrap().into_inner()).unwrap();
}

/// Rewrites the uncompressed size (and the CRC-32, when given) of the entries named `name`,
/// in the central directory and the local header both.
fn lie(path: &Path, name: &str, size: u32, crc: Option<u32>) {
    let mut zip = fs::read(path).unwrap();
    let eocd = (0..=zip.len() - 22)
        .rev()
        .find(|&i| zip[i..i + 4] == [0x50, 0x4b, 5, 6])
        .unwrap();
    let n = u16::from_le_bytes([zip[eocd + 10], zip[eocd + 11]]);
    let mut at = u32::from_le_bytes(zip[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    for _ in 0..n {
        let field = |i: usize| usize::from(u16::from_le_bytes([zip[at + i], zip[at + i + 1]]));
        let local = u32::from_le_bytes(zip[at + 42..at + 46].try_into().unwrap()) as usize;
        let this = &zip[at + 46..at + 46 + field(28)] == name.as_bytes();
        let next = at + 46 + field(28) + field(30) + field(32);
        if this {
            for (base, size_at, crc_at) in [(at, 24, 16), (local, 22, 14)] {
                zip[base + size_at..base + size_at + 4].copy_from_slice(&size.to_le_bytes());
                if let Some(crc) = crc {
                    zip[base + crc_at..base + crc_at + 4].copy_from_slice(&crc.to_le_bytes());
                }
            }
        }
        at = next;
    }
    fs::write(path, zip).unwrap();
}

fn wav() -> Vec<u8> {
    fs::read(fixture("audio/wav_s16le.wav")).unwrap()
}

/// A 16-bit mono 16 kHz WAV holding `seconds` of silence.
fn silent_wav(seconds: u32) -> Vec<u8> {
    let data = seconds * 32_000;
    let mut b = Vec::with_capacity(44 + data as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&32_000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    b.resize(44 + data as usize, 0);
    b
}

/// Runs `pack INPUT -o OUT --json`, returning the exit code and stdout as JSON.
fn pack_json(input: &Path, out: &Path) -> (std::process::Output, serde_json::Value) {
    let run = stimpack()
        .arg("pack")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--json")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&run.stdout).unwrap_or_default();
    (run, json)
}

/// Defect: a deflated entry that declares 0xFFFFFFF0 bytes (it holds 16044) passed `check` with
/// `bytes: 4294967280`, and `pack` then blamed a modification that never happened.
#[test]
fn zip_entry_that_lies_about_its_size_fails_check_and_pack() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    let data = wav();
    deflated_zip(&zip, &[("s1/a.wav", &data), ("s1/b.wav", &data)]);
    lie(&zip, "s1/a.wav", 0xFFFF_FFF0, None);
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    assert!(has(&report, "damaged-entry", "s1/a.wav"), "{:?}", codes(&report));
    assert!(!has(&report, "damaged-entry", "s1/b.wav"), "{:?}", codes(&report));
    assert_eq!(stimulus(&report, "s1/a.wav")["bytes"], data.len() as u64);
    assert_eq!(report["summary"]["bytes"], 2 * data.len() as u64);

    let out = dir.path().join("out.zip");
    let (run, refused) = pack_json(&zip, &out);
    assert_exit(&run, 1);
    assert!(
        has(&refused, "damaged-entry", "s1/a.wav"),
        "{:?}",
        codes(&refused)
    );
    assert!(!out.exists());

    // A size that lies down is damage too.
    deflated_zip(&zip, &[("s1/a.wav", &data), ("s1/b.wav", &data)]);
    lie(&zip, "s1/b.wav", 100, None);
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "damaged-entry", "s1/b.wav"), "{:?}", codes(&report));
    assert_eq!(stimulus(&report, "s1/b.wav")["bytes"], data.len() as u64);
}

/// A deflated entry whose CRC-32 does not match its data: `check` and `pack` both refuse it.
#[test]
fn zip_entry_crc_mismatch_fails_check_and_pack() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    let data = wav();
    deflated_zip(&zip, &[("s1/a.wav", &data), ("s1/b.wav", &data)]);
    lie(&zip, "s1/a.wav", data.len() as u32, Some(0xDEAD_BEEF));
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "damaged-entry", "s1/a.wav"), "{:?}", codes(&report));
    let (run, refused) = pack_json(&zip, &dir.path().join("out.zip"));
    assert_exit(&run, 1);
    assert!(
        has(&refused, "damaged-entry", "s1/a.wav"),
        "{:?}",
        codes(&refused)
    );
}

/// A deflate stream cut short (the archive truncated inside an entry's data): an error on that
/// entry, not a failure of the whole run.
#[test]
fn zip_entry_deflate_stream_cut_short_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    let data = silent_wav(1);
    deflated_zip(&zip, &[("s1/a.wav", &data), ("s1/b.wav", &wav())]);
    // Make the first entry's compressed data garbage after its first bytes.
    let mut bytes = fs::read(&zip).unwrap();
    let name_len = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
    let start = 30 + name_len;
    let csize = u32::from_le_bytes(bytes[18..22].try_into().unwrap()) as usize;
    for b in &mut bytes[start + 2..start + csize] {
        *b = 0xFF;
    }
    fs::write(&zip, bytes).unwrap();
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "damaged-entry", "s1/a.wav"), "{:?}", codes(&report));
    assert_eq!(stimulus(&report, "s1/b.wav")["duration_s"], 1.0);
}

/// Defect: each deflated entry was inflated whole into a temporary file just to read its
/// header (a 1 MB zip put 1 GiB in $TMPDIR). With $TMPDIR unusable, a 64 MiB entry is still
/// checked and packed.
#[test]
fn deflated_zip_entries_need_no_temp_disk() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    let big = silent_wav(2100); // 67 MB of silence, a few hundred kB deflated
    deflated_zip(&zip, &[("s1/a.wav", &big), ("s1/b.wav", &big)]);
    assert!(fs::metadata(&zip).unwrap().len() < 1 << 20);
    let no_tmp = dir.path().join("no-such-folder");
    let out = stimpack()
        .env("TMPDIR", &no_tmp)
        .args(["check", "--json"])
        .arg(&zip)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stimulus(&report, "s1/a.wav")["duration_s"], 2100.0);
    assert_eq!(stimulus(&report, "s1/a.wav")["bytes"], big.len() as u64);

    let packed = dir.path().join("out.zip");
    let run = stimpack()
        .env("TMPDIR", &no_tmp)
        .arg("pack")
        .arg(&zip)
        .arg("-o")
        .arg(&packed)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    let mut z = zip::ZipArchive::new(fs::File::open(&packed).unwrap()).unwrap();
    let mut input = zip::ZipArchive::new(fs::File::open(&zip).unwrap()).unwrap();
    for name in ["s1/a.wav", "s1/b.wav"] {
        let entry = z.by_name(name).unwrap();
        assert_eq!(entry.size(), big.len() as u64, "{name}");
        assert_eq!(entry.crc32(), input.by_name(name).unwrap().crc32(), "{name}");
    }
}

/// Defect: 1 s of audio followed by megabytes of zeros passed without a word, from a folder or
/// a zip alike (a few kB of zip can hold gigabytes of them). It is a `trailing-data` warning.
#[test]
fn trailing_data_is_a_warning_from_folders_and_zips() {
    let dir = tempfile::tempdir().unwrap();
    let mut padded = silent_wav(1);
    padded.resize(padded.len() + (8 << 20), 0);
    let folder = dir.path().join("in");
    fs::create_dir_all(folder.join("s1")).unwrap();
    fs::write(folder.join("s1/a.wav"), &padded).unwrap();
    fs::write(folder.join("s1/b.wav"), silent_wav(1)).unwrap();
    let zip = dir.path().join("in.zip");
    deflated_zip(&zip, &[("s1/a.wav", &padded), ("s1/b.wav", &silent_wav(1))]);
    for input in [&folder, &zip] {
        let (code, report) = check_json(input, &[]);
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(
            codes(&report),
            vec![("trailing-data".to_string(), "s1/a.wav".to_string())],
            "{}",
            input.display()
        );
        assert_eq!(stimulus(&report, "s1/a.wav")["duration_s"], 1.0);
        let (code, _) = check_json(input, &["--strict"]);
        assert_eq!(code, 1);
    }
}

/// A stored entry whose CRC-32 does not match: `pack` refused it ("damaged") after `check` had
/// passed it. Both refuse it now.
#[test]
fn stored_zip_entry_crc_mismatch_fails_check_and_pack() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    let data = wav();
    common::raw_zip(
        &zip,
        &[
            common::RawEntry::file("s1/a.wav", &data),
            common::RawEntry::file("s1/b.wav", &data),
        ],
    );
    lie(&zip, "s1/a.wav", data.len() as u32, Some(0x0BAD_C0DE));
    let (code, report) = check_json(&zip, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&report),
        vec![("damaged-entry".to_string(), "s1/a.wav".to_string())]
    );
    let (run, refused) = pack_json(&zip, &dir.path().join("out.zip"));
    assert_exit(&run, 1);
    assert!(
        has(&refused, "damaged-entry", "s1/a.wav"),
        "{:?}",
        codes(&refused)
    );
}

/// A stored entry whose size lies (in both headers): down, the CRC-32 no longer matches; up,
/// the data overlaps what follows or runs past the end. Both are `damaged-entry`, in `check`
/// and `pack` alike.
#[test]
fn stored_zip_entry_that_lies_about_its_size_fails_check_and_pack() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("in.zip");
    let data = wav();
    for size in [data.len() as u32 - 1000, data.len() as u32 + 1000, 0xFFFF_FFF0] {
        common::raw_zip(
            &zip,
            &[
                common::RawEntry::file("s1/a.wav", &data),
                common::RawEntry::file("s1/b.wav", &data),
            ],
        );
        lie(&zip, "s1/a.wav", size, None);
        let (code, report) = check_json(&zip, &[]);
        assert_eq!(code, 1, "{size}");
        assert_eq!(
            codes(&report),
            vec![("damaged-entry".to_string(), "s1/a.wav".to_string())],
            "{size}"
        );
        let (run, refused) = pack_json(&zip, &dir.path().join("out.zip"));
        assert_exit(&run, 1);
        assert!(
            has(&refused, "damaged-entry", "s1/a.wav"),
            "{:?}",
            codes(&refused)
        );
    }
}
