//! The manifest of a pack: the report's stimuli with the hashes of what was packed, and the
//! output file's size and hash.

use std::collections::BTreeMap;
use std::path::Path;

use super::pipeline::Hashes;
use super::plan::{Plan, nfc};
use crate::manifest::{self, ArchiveInfo, Manifest, ManifestFile, ManifestGroup, ManifestStimulus};
use crate::report::Report;

/// What the manifest says about the output file.
pub(super) fn archive_info(output: &Path, bytes: u64, sha256: &[u8; 32]) -> ArchiveInfo {
    ArchiveInfo {
        file: output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        sha256: manifest::hex(sha256),
    }
}

pub(super) fn build_manifest(
    report: &Report,
    plan: &Plan,
    hashes: &Hashes,
    archive: ArchiveInfo,
    epoch: Option<i64>,
) -> Manifest {
    let mut sha_of: BTreeMap<(usize, usize), String> = BTreeMap::new();
    let mut files = Vec::new();
    for (item, (sha, bytes)) in plan.items.iter().zip(hashes) {
        match item.stimulus {
            Some(key) => {
                sha_of.insert(key, manifest::hex(sha));
            }
            None => files.push(ManifestFile {
                path: item.name.clone(),
                bytes: *bytes,
                sha256: manifest::hex(sha),
            }),
        }
    }
    let mut groups: Vec<ManifestGroup> = report
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let mut stimuli: Vec<ManifestStimulus> = g
                .stimuli
                .iter()
                .enumerate()
                .map(|(si, s)| {
                    let mut stimulus = s.clone();
                    stimulus.path = nfc(&s.path);
                    stimulus.group = nfc(&s.group);
                    stimulus.condition = nfc(&s.condition);
                    ManifestStimulus {
                        stimulus,
                        sha256: sha_of.remove(&(gi, si)),
                    }
                })
                .collect();
            stimuli.sort_by(|a, b| a.stimulus.path.cmp(&b.stimulus.path));
            ManifestGroup {
                id: nfc(&g.id),
                config: g.config.clone(),
                stimuli,
            }
        })
        .collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    Manifest {
        schema_version: manifest::MANIFEST_SCHEMA_VERSION,
        tool: format!("stimpack {}", env!("CARGO_PKG_VERSION")),
        created: epoch.map(manifest::rfc3339),
        input_kind: report.input_kind,
        archive,
        summary: report.summary.clone(),
        groups,
        files,
        issues: report.issues.clone(),
    }
}
