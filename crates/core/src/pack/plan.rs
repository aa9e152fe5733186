//! What goes into the output, in which order and under which names; and whether a report
//! given to `pack_checked` is one of the input as it is now.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use super::PackError;
use crate::layout;
use crate::report::{InputKind, Report, Stimulus};
use crate::scan::Scan;

/// A report given to [`pack_checked`] is one of this scan: the same kind of input, the same
/// stimuli at the same paths, with the same sizes.
pub(super) fn report_matches(scan: &Scan, report: &Report) -> Result<(), PackError> {
    let differs = |what: String| PackError::NotThisReport {
        path: scan.root.clone(),
        what,
    };
    if report.input_kind != scan.kind {
        let name = |kind| match kind {
            InputKind::Folder => "a folder",
            InputKind::Zip => "a zip archive",
            InputKind::UrlList => "a URL list",
        };
        return Err(differs(format!(
            "it is {}, the report is of {}",
            name(scan.kind),
            name(report.input_kind)
        )));
    }
    let layout = layout::analyze(scan, true);
    let mut found: BTreeMap<&str, Option<u64>> = layout
        .groups
        .values()
        .flatten()
        .map(|c| (c.path.as_str(), scan.entries[c.entry].bytes))
        .collect();
    for s in report.stimuli() {
        match found.remove(s.path.as_str()) {
            None => {
                return Err(differs(format!(
                    "'{}' is in the report, not in the input",
                    s.path
                )));
            }
            Some(bytes) if bytes != s.reading.bytes && scan.kind != InputKind::UrlList => {
                return Err(differs(format!(
                    "'{}' is {} bytes, the report says {}",
                    s.path,
                    bytes.map_or("?".to_string(), |b| b.to_string()),
                    s.reading.bytes.map_or("?".to_string(), |b| b.to_string())
                )));
            }
            Some(_) => {}
        }
    }
    match found.keys().next() {
        Some(path) => Err(differs(format!("'{path}' is in the input, not in the report"))),
        None => Ok(()),
    }
}

/// One file to copy into the archive.
pub(super) struct Item {
    /// NFC name inside the archive.
    pub(super) name: String,
    /// Index of its scan entry.
    pub(super) entry: usize,
    /// Size from the scan.
    pub(super) size: u64,
    pub(super) deflate: bool,
    /// `(group, stimulus)` indices in the report, for stimuli.
    pub(super) stimulus: Option<(usize, usize)>,
}

/// What goes into the output, in archive order.
pub(super) struct Plan {
    pub(super) items: Vec<Item>,
}

impl Plan {
    pub(super) fn new(scan: &Scan, report: &Report, compress: bool) -> Plan {
        let layout = layout::analyze(scan, true);
        let entry_of: BTreeMap<&str, usize> = layout
            .groups
            .values()
            .flatten()
            .map(|c| (c.path.as_str(), c.entry))
            .collect();
        let mut items = Vec::new();
        for (gi, group) in report.groups.iter().enumerate() {
            for (si, s) in group.stimuli.iter().enumerate() {
                let Some(&entry) = entry_of.get(s.path.as_str()) else {
                    continue;
                };
                items.push(Item {
                    name: nfc(&s.path),
                    entry,
                    size: scan.entries[entry].bytes.unwrap_or(0),
                    deflate: compress && is_pcm(s),
                    stimulus: Some((gi, si)),
                });
            }
            if let Some(&entry) = layout.configs.get(&group.id) {
                items.push(Item {
                    name: nfc(&format!("{}/{}", group.id, layout::CONFIG_FILE)),
                    entry,
                    size: scan.entries[entry].bytes.unwrap_or(0),
                    deflate: false,
                    stimulus: None,
                });
            }
        }
        if let Some(entry) = layout.providers {
            items.push(Item {
                name: layout::PROVIDERS_FILE.to_string(),
                entry,
                size: scan.entries[entry].bytes.unwrap_or(0),
                deflate: false,
                stimulus: None,
            });
        }
        if scan.kind == InputKind::UrlList {
            // The list keeps its input order.
            items.sort_by_key(|i| i.entry);
        } else {
            items.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Plan { items }
    }
}

pub(super) fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Uncompressed PCM audio, the only media that deflate shrinks noticeably.
pub(super) fn is_pcm(s: &Stimulus) -> bool {
    matches!(s.reading.format.as_str(), "wav" | "aiff" | "aifc")
        && s.reading.codec.as_deref().is_none_or(|c| c.starts_with("pcm_"))
}
