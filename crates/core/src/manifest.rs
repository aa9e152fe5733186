//! The manifest `stimpack pack` writes beside the archive: what is in it, with checksums.
//!
//! A public contract like the report (its JSON Schema is `schema/manifest.schema.json`): the
//! same group and stimulus records as `check --json`, plus each file's SHA-256 and the archive's.
//! Deterministic: the same input gives the same bytes, with no wall-clock time in it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::{InputKind, Issue, Stimulus, Summary};

/// Version of the manifest's layout; raised only when a field changes meaning or goes away.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

/// Everything a packed dataset holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The writer, `stimpack x.y.z`.
    pub tool: String,
    /// `SOURCE_DATE_EPOCH` as an RFC 3339 UTC time when it was set; otherwise null, so that
    /// the manifest does not depend on when it was made.
    pub created: Option<String>,
    /// What was packed: a folder, a zip or a URL list.
    pub input_kind: InputKind,
    /// The written archive (or URL list).
    pub archive: ArchiveInfo,
    /// Counts, as in the report.
    pub summary: Summary,
    /// Sources with their stimuli, sorted by id then path.
    pub groups: Vec<ManifestGroup>,
    /// Files in the archive that are not stimuli (`config.json`, `providers.json`), by path.
    pub files: Vec<ManifestFile>,
    /// The findings (warnings) that were accepted when packing.
    pub issues: Vec<Issue>,
}

/// The written archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    /// File name, without its folder.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
}

/// One source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestGroup {
    /// The folder name; the platform's `group_id`.
    pub id: String,
    /// The folder's `config.json`, when it has one.
    pub config: Option<serde_json::Value>,
    /// Stimuli sorted by path.
    pub stimuli: Vec<ManifestStimulus>,
}

/// A stimulus as `check` reports it, with the checksum of the bytes packed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestStimulus {
    /// The report's record (`bytes` is the uncompressed size).
    #[serde(flatten)]
    pub stimulus: Stimulus,
    /// SHA-256 of the file's bytes, lower-case hex; null for URL lists (nothing is downloaded).
    pub sha256: Option<String>,
}

/// A packed file that is not a stimulus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path inside the archive.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

impl Manifest {
    /// All stimuli, in group then path order.
    pub fn stimuli(&self) -> impl Iterator<Item = &ManifestStimulus> {
        self.groups.iter().flat_map(|g| g.stimuli.iter())
    }

    /// The manifest as pretty JSON with a final newline, the bytes `pack` writes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Where the manifest of an archive goes by default: `dataset.zip` -> `dataset.manifest.json`.
pub fn default_manifest_path(archive: &Path) -> PathBuf {
    let stem = archive
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".to_string());
    archive.with_file_name(format!("{stem}.manifest.json"))
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// RFC 3339 UTC time of a Unix timestamp.
pub(crate) fn rfc3339(secs: i64) -> String {
    let (y, m, d) = crate::pack::zipwriter::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_path_beside_the_archive() {
        assert_eq!(
            default_manifest_path(Path::new("out/dataset.zip")),
            Path::new("out/dataset.manifest.json")
        );
        assert_eq!(
            default_manifest_path(Path::new("urls.txt")),
            Path::new("urls.manifest.json")
        );
    }

    #[test]
    fn times_and_hex() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_214_358), "2024-02-29T13:45:58Z");
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
