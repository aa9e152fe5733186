//! Entry points for the fuzzing harness in `fuzz/` and for the replay of its seeds and
//! regression inputs in `cargo test`: one function per untrusted input, each taking raw bytes.
//! Not a supported API: the harness depends on this module alone, so that the rest of the
//! library's surface can change without touching it.

use std::io::Cursor;
use std::path::Path;

use crate::options::CheckOptions;
use crate::probe::{self, Probe};
use crate::report::{MediaKind, Severity};
use crate::scan::{urls, ziparchive};
use crate::{checker, jsonfiles};

/// A fuzz target: its name (as in `fuzz/fuzz_targets/`) and the function it calls.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, for the seed and regression replay.
pub const TARGETS: &[Target] = &[
    ("wav_aiff", wav_aiff),
    ("flac", flac),
    ("ogg", ogg),
    ("mpeg_audio", mpeg_audio),
    ("mp4", mp4),
    ("image", image),
    ("zip", zip),
    ("url_list", url_list),
    ("json_files", json_files),
];

/// Probes `data` as a file with `extension` does in `check --decode`: the header probe, then,
/// for audio that probes healthy, a full decode.
pub fn probe_bytes(extension: &str, data: &[u8]) -> Probe {
    let len = data.len() as u64;
    let mut probe = probe::probe(&mut Cursor::new(data), len, extension);
    let healthy = probe.findings.iter().all(|f| f.severity != Severity::Error);
    let expected_s = probe.reading.as_ref().and_then(|r| r.duration_s);
    if probe.media == Some(MediaKind::Audio) && healthy && expected_s.is_some() {
        let found = probe::decode::findings(Cursor::new(data), len, extension, expected_s);
        probe.findings.extend(found);
    }
    probe
}

fn probe_as(extensions: &[&str], data: &[u8]) {
    for ext in extensions {
        probe_bytes(ext, data);
    }
}

/// WAV (RIFF, RF64) and AIFF/AIFC.
pub fn wav_aiff(data: &[u8]) {
    probe_as(&["wav", "aiff"], data);
}

/// FLAC.
pub fn flac(data: &[u8]) {
    probe_as(&["flac"], data);
}

/// Ogg (Vorbis, Opus, Ogg FLAC).
pub fn ogg(data: &[u8]) {
    probe_as(&["ogg", "opus"], data);
}

/// MPEG audio (MP3, MP2) and ADTS AAC: formats without a file signature.
pub fn mpeg_audio(data: &[u8]) {
    probe_as(&["mp3", "aac"], data);
    // as a hosted file, measured from its Xing/Info header
    let options = probe::ProbeOptions { costly_reads: true };
    probe::probe_with(&mut Cursor::new(data), data.len() as u64, "mp3", options);
}

/// ISO base media (MP4, M4A, MOV).
pub fn mp4(data: &[u8]) {
    probe_as(&["mp4", "m4a"], data);
}

/// Image headers (PNG, JPEG, GIF, BMP, WebP, TIFF).
pub fn image(data: &[u8]) {
    probe_as(&["png"], data);
}

/// A zip archive as an input: its directory, then a full check of what it holds.
pub fn zip(data: &[u8]) {
    let name = Path::new("fuzz.zip");
    if let Ok(scan) = ziparchive::scan_bytes(name, data.to_vec()) {
        checker::check_scan(&scan, &CheckOptions::default().with_decode(true));
    }
}

/// A URL list.
pub fn url_list(data: &[u8]) {
    urls::parse(data);
}

/// A source's `config.json`, the root `providers.json` and `.req.json` API requests.
pub fn json_files(data: &[u8]) {
    jsonfiles::validate_config(data);
    let _ = jsonfiles::validate_providers(data);
    let _ = jsonfiles::validate_request(data);
}
