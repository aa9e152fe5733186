//! The dataset's shape: which entries are sources, stimuli, per-source `config.json` and the
//! root `providers.json`; what is junk, nested, wrapped or named twice.
//!
//! Works on paths only, identically for folders, zips and URL lists.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use unicode_normalization::UnicodeNormalization;

use crate::report::{Code, InputKind, Issue, Severity};
use crate::scan::Scan;

/// Name of a source folder's UI configuration file.
pub const CONFIG_FILE: &str = "config.json";
/// Name of the optional root file that configures API-request stimuli.
pub const PROVIDERS_FILE: &str = "providers.json";

/// A file that will be a stimulus, once its content is probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index into the scan's entries.
    pub entry: usize,
    /// Path inside the dataset, `source/file.ext` (a wrapping folder removed).
    pub path: String,
    /// The source folder.
    pub group: String,
    /// The file name without its extension.
    pub condition: String,
    /// The extension, lower-case, without the dot (`req.json` for API requests).
    pub extension: String,
    /// The URL-list line it came from.
    pub line: Option<u64>,
}

/// The dataset's shape.
#[derive(Debug, Default)]
pub struct Layout {
    /// Sources, each with its candidate stimuli in path order.
    pub groups: BTreeMap<String, Vec<Candidate>>,
    /// Index of each source's `config.json` entry.
    pub configs: BTreeMap<String, usize>,
    /// Index of the root `providers.json` entry.
    pub providers: Option<usize>,
    /// The wrapping folder that was looked through, if any.
    pub wrapper: Option<String>,
    /// Entries left out as junk.
    pub junk: Vec<usize>,
    /// Findings about the layout.
    pub issues: Vec<Issue>,
}

impl Layout {
    /// The path an entry has inside the dataset, with the wrapping folder removed.
    pub fn inner_path<'a>(&self, path: &'a str) -> &'a str {
        match &self.wrapper {
            Some(w) => path
                .strip_prefix(w.as_str())
                .and_then(|p| p.strip_prefix('/'))
                .unwrap_or(path),
            None => path,
        }
    }
}

/// Why a path is junk that will be left out, if it is.
pub fn junk_reason(path: &str) -> Option<&'static str> {
    for part in path.split('/') {
        if part == "__MACOSX" {
            return Some("macOS resource-fork folder");
        }
        if part.starts_with("._") {
            return Some("macOS AppleDouble file");
        }
        if part == ".DS_Store" {
            return Some("macOS Finder metadata");
        }
        if part.eq_ignore_ascii_case("Thumbs.db") || part.eq_ignore_ascii_case("desktop.ini") {
            return Some("Windows Explorer metadata");
        }
        if part.starts_with('.') {
            return Some("hidden file or folder");
        }
        if part == "Icon\r" {
            return Some("macOS folder icon");
        }
    }
    None
}

/// Splits `name.ext` into the condition and the lower-case extension; `x.req.json` has the
/// extension `req.json`.
pub fn split_name(file: &str) -> (&str, String) {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".req.json") && file.len() > ".req.json".len() {
        let cut = file.len() - ".req.json".len();
        return (&file[..cut], "req.json".to_string());
    }
    match file.rfind('.') {
        Some(dot) if dot > 0 => (&file[..dot], file[dot + 1..].to_ascii_lowercase()),
        _ => (file, String::new()),
    }
}

/// Case- and normalisation-insensitive key of a name, for collision checks.
fn fold(name: &str) -> String {
    name.nfc().collect::<String>().to_lowercase()
}

/// Works out the dataset's shape from a scan.
pub fn analyze(scan: &Scan, repack: bool) -> Layout {
    let mut layout = Layout::default();
    let repairable = if repack {
        Severity::Warning
    } else {
        Severity::Error
    };

    // 1. Junk, reported once per junk folder or file.
    let mut junk_reported = BTreeSet::new();
    let mut kept = Vec::new();
    for (i, entry) in scan.entries.iter().enumerate() {
        match junk_reason(&entry.path) {
            Some(why) => {
                layout.junk.push(i);
                let top = junk_top(&entry.path);
                if junk_reported.insert(top.clone()) {
                    let what = if top.len() < entry.path.len() {
                        "folder"
                    } else {
                        "file"
                    };
                    let mut issue = Issue::warning(
                        Code::JunkFile,
                        top,
                        format!("{why} {what}: left out of the dataset. Nothing to do unless you need it"),
                    );
                    issue.line = entry.line();
                    layout.issues.push(issue);
                }
            }
            None => kept.push(i),
        }
    }
    let folders: Vec<&str> = scan
        .folders
        .iter()
        .map(String::as_str)
        .filter(|f| junk_reason(f).is_none())
        .collect();

    // 2. A single folder wrapping the whole dataset (Finder zips "My Study/src_1/a.wav").
    if scan.kind != InputKind::UrlList {
        let tops: BTreeSet<&str> = kept
            .iter()
            .map(|&i| scan.entries[i].path.as_str())
            .chain(folders.iter().copied())
            .map(|p| p.split('/').next().unwrap_or(p))
            .collect();
        let all_deep = kept
            .iter()
            .all(|&i| scan.entries[i].path.matches('/').count() >= 2);
        if let (1, true, false) = (tops.len(), all_deep, kept.is_empty()) {
            let wrapper = tops.into_iter().next().unwrap_or_default().to_string();
            let hint = match scan.kind {
                InputKind::Folder => format!("run stimpack on the folder '{wrapper}' itself"),
                _ => "zip the source folders themselves, or run `stimpack pack` on this zip, which drops the wrapper"
                    .to_string(),
            };
            layout.issues.push(Issue {
                severity: repairable,
                code: Code::WrappingFolder,
                path: Some(wrapper.clone()),
                line: None,
                message: format!(
                    "the whole dataset is inside the folder '{wrapper}': the platform would see one source \
                     '{wrapper}' with folders nested in it. The sources inside it were checked; {hint}"
                ),
            });
            layout.wrapper = Some(wrapper);
        }
    }

    // 3. Sources, stimuli, configs, and what is in the wrong place.
    let mut sources: BTreeSet<String> = BTreeSet::new();
    let mut nested: BTreeMap<String, usize> = BTreeMap::new();
    for folder in &folders {
        let inner = layout.inner_path(folder);
        if layout.wrapper.as_deref() == Some(*folder) {
            continue;
        }
        if !inner.is_empty() && !inner.contains('/') {
            sources.insert(inner.to_string());
        }
    }
    for &i in &kept {
        let entry = &scan.entries[i];
        let inner = layout.inner_path(&entry.path).to_string();
        let parts: Vec<&str> = inner.split('/').collect();
        match parts.as_slice() {
            [file] if *file == PROVIDERS_FILE => layout.providers = Some(i),
            [file] => {
                let mut issue = Issue::error(
                    Code::FileOutsideSource,
                    inner.clone(),
                    format!(
                        "'{file}' is outside any source folder; the platform reads only files inside the top-level \
                         folders. Move it into a source folder (or remove it)"
                    ),
                );
                issue.line = entry.line();
                layout.issues.push(issue);
            }
            [source, file] => {
                sources.insert(source.to_string());
                if *file == CONFIG_FILE {
                    layout.configs.insert(source.to_string(), i);
                    continue;
                }
                let (condition, extension) = split_name(file);
                layout
                    .groups
                    .entry(source.to_string())
                    .or_default()
                    .push(Candidate {
                        entry: i,
                        path: inner.clone(),
                        group: source.to_string(),
                        condition: condition.to_string(),
                        extension,
                        line: entry.line(),
                    });
            }
            [source, sub, ..] => {
                sources.insert(source.to_string());
                *nested.entry(format!("{source}/{sub}")).or_default() += 1;
            }
            [] => {}
        }
    }
    for (folder, files) in nested {
        layout.issues.push(Issue::error(
            Code::NestedFolder,
            folder.clone(),
            format!(
                "a folder inside a source ({files} file{s} in it): the platform reads only files directly inside a \
                 source folder. Move its files up into the source, or make it a source of its own",
                s = if files == 1 { "" } else { "s" }
            ),
        ));
    }
    for source in &sources {
        if !layout.groups.contains_key(source) {
            layout.issues.push(Issue::warning(
                Code::EmptySource,
                source.clone(),
                "an empty source folder: it has no stimuli and will be ignored. Add its files or remove it",
            ));
        }
    }

    // 4. Names that collide: within a source, and between sources.
    collisions(&mut layout);
    layout
}

/// The folder to name in a junk finding: the topmost junk component of the path.
fn junk_top(path: &str) -> String {
    let mut out = Vec::new();
    for part in path.split('/') {
        out.push(part);
        if junk_reason(part).is_some() {
            break;
        }
    }
    out.join("/")
}

fn collisions(layout: &mut Layout) {
    let mut group_keys: HashMap<String, &str> = HashMap::new();
    for id in layout.groups.keys() {
        if let Some(other) = group_keys.insert(fold(id), id) {
            layout.issues.push(Issue::error(
                Code::NameCollision,
                id.clone(),
                format!(
                    "the source names '{other}' and '{id}' differ only by letter case or Unicode normalisation; \
                     they merge on many systems. Rename one"
                ),
            ));
        }
    }
    for candidates in layout.groups.values() {
        let mut by_condition: HashMap<&str, &Candidate> = HashMap::new();
        let mut by_folded: HashMap<String, &Candidate> = HashMap::new();
        for c in candidates {
            if let Some(first) = by_condition.insert(&c.condition, c) {
                layout.issues.push(Issue {
                    line: c.line,
                    ..Issue::error(
                        Code::DuplicateCondition,
                        c.path.clone(),
                        format!(
                            "'{}' and '{}' are the same condition '{}' of source '{}'. Keep one of them",
                            first.path, c.path, c.condition, c.group
                        ),
                    )
                });
                continue;
            }
            if let Some(first) = by_folded.insert(fold(&c.condition), c) {
                layout.issues.push(Issue {
                    line: c.line,
                    ..Issue::error(
                        Code::NameCollision,
                        c.path.clone(),
                        format!(
                            "'{}' and '{}' differ only by letter case or Unicode normalisation; they collide on \
                             many systems and confuse the platform. Rename one",
                            first.path, c.path
                        ),
                    )
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Entry, Origin};

    fn scan_of(kind: InputKind, paths: &[&str]) -> Scan {
        let mut paths = paths.to_vec();
        paths.sort();
        let entries = paths
            .iter()
            .map(|p| Entry {
                path: p.to_string(),
                origin: Origin::File(p.into()),
                bytes: Some(1),
            })
            .collect();
        Scan {
            kind,
            root: "in".into(),
            entries,
            folders: Vec::new(),
            issues: Vec::new(),
            zip: None,
        }
    }

    fn codes(layout: &Layout) -> Vec<(Code, Option<&str>)> {
        layout
            .issues
            .iter()
            .map(|i| (i.code, i.path.as_deref()))
            .collect()
    }

    #[test]
    fn split_name_handles_double_extensions() {
        assert_eq!(split_name("a.WAV"), ("a", "wav".to_string()));
        assert_eq!(split_name("q.req.json"), ("q", "req.json".to_string()));
        assert_eq!(split_name("noext"), ("noext", String::new()));
        assert_eq!(split_name("v1.2.mp3"), ("v1.2", "mp3".to_string()));
    }

    #[test]
    fn finder_zip_is_unwrapped_and_junk_reported_once() {
        let scan = scan_of(
            InputKind::Zip,
            &[
                "My Study/s1/a.wav",
                "My Study/s1/b.wav",
                "My Study/.DS_Store",
                "__MACOSX/My Study/s1/._a.wav",
                "__MACOSX/My Study/s1/._b.wav",
            ],
        );
        let layout = analyze(&scan, false);
        assert_eq!(layout.wrapper.as_deref(), Some("My Study"));
        assert_eq!(layout.groups["s1"].len(), 2);
        assert_eq!(layout.groups["s1"][0].path, "s1/a.wav");
        assert_eq!(
            codes(&layout),
            [
                (Code::JunkFile, Some("My Study/.DS_Store")),
                (Code::JunkFile, Some("__MACOSX")),
                (Code::WrappingFolder, Some("My Study")),
            ]
        );
        assert_eq!(layout.issues[2].severity, Severity::Error);
        assert_eq!(analyze(&scan, true).issues[2].severity, Severity::Warning);
    }

    #[test]
    fn misplaced_files_and_collisions() {
        let scan = scan_of(
            InputKind::Folder,
            &[
                "loose.wav",
                "providers.json",
                "s1/config.json",
                "s1/x.wav",
                "s1/x.flac",
                "s1/Y.wav",
                "s1/y.wav",
                "s1/deeper/z.wav",
                "s2/caf\u{e9}.wav",
                "s2/cafe\u{301}.wav",
            ],
        );
        let layout = analyze(&scan, false);
        assert!(layout.wrapper.is_none());
        assert!(layout.providers.is_some());
        assert!(layout.configs.contains_key("s1"));
        let mut found = codes(&layout);
        found.sort();
        assert_eq!(
            found,
            [
                (Code::FileOutsideSource, Some("loose.wav")),
                (Code::NestedFolder, Some("s1/deeper")),
                (Code::DuplicateCondition, Some("s1/x.wav")),
                (Code::NameCollision, Some("s1/y.wav")),
                (Code::NameCollision, Some("s2/caf\u{e9}.wav")),
            ]
        );
    }
}
