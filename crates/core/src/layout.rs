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
    /// The folder (one or more levels, `a/b`) wrapping the sources that was looked through,
    /// if any.
    pub wrapper: Option<String>,
    /// Entries left out as junk.
    pub junk: Vec<usize>,
    /// Entries at the root left out as documentation or stimpack's own output.
    pub left_out: Vec<usize>,
    /// Findings about the layout, with paths relative to the input.
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

    /// Where a path inside the dataset is, relative to the input: under the wrapping folder.
    pub fn input_path(&self, inner: &str) -> String {
        match &self.wrapper {
            Some(w) if inner.is_empty() => w.clone(),
            Some(w) => format!("{w}/{inner}"),
            None => inner.to_string(),
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

/// What a file at the dataset root is, when it is documentation or stimpack's own output
/// that is left out of the dataset rather than misplaced: `README*`, `LICENSE*`/`LICENCE*`,
/// `COPYING*`, `CITATION*`, `*.md`, `*.pdf`, `dataset.zip` and `*.manifest.json` (and the
/// archive `NAME.zip` beside a `NAME.manifest.json`). `siblings` are the other file names in
/// the same folder.
pub fn left_out_reason(file: &str, siblings: &[&str]) -> Option<&'static str> {
    let lower = file.to_lowercase();
    let (stem, ext) = match lower.rfind('.') {
        Some(dot) if dot > 0 => (&lower[..dot], &lower[dot + 1..]),
        _ => (lower.as_str(), ""),
    };
    if lower == "dataset.zip" || lower.ends_with(".manifest.json") {
        return Some("stimpack's own output");
    }
    if ext == "zip" {
        let manifest = format!("{stem}.manifest.json");
        if siblings.iter().any(|s| s.to_lowercase() == manifest) {
            return Some("stimpack's own output (it has its manifest beside it)");
        }
    }
    let doc_names = ["readme", "license", "licence", "copying", "citation"];
    if doc_names.iter().any(|d| lower.starts_with(d)) || matches!(ext, "md" | "pdf") {
        return Some("documentation");
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

/// The folder part of a path (`""` at the root) and the file name.
fn parent_and_name(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => ("", path),
    }
}

/// The chain of folders that wraps every source, if any (`a` or `a/b`): while the current
/// folder holds exactly one folder and, beside it, nothing but files that are left out anyway,
/// and that folder holds folders with files (not only files: then it is a source), look
/// inside it.
fn find_wrapper(files: &[&str], folders: &[&str]) -> Option<String> {
    let mut prefix = String::new();
    loop {
        let under = |p: &str| -> Option<String> {
            if prefix.is_empty() {
                Some(p.to_string())
            } else {
                p.strip_prefix(prefix.as_str())
                    .and_then(|r| r.strip_prefix('/'))
                    .map(str::to_string)
            }
        };
        let rel_files: Vec<String> = files.iter().filter_map(|f| under(f)).collect();
        let loose: Vec<&str> = rel_files
            .iter()
            .filter(|f| !f.contains('/'))
            .map(String::as_str)
            .collect();
        if loose.iter().any(|f| left_out_reason(f, &loose).is_none()) {
            break;
        }
        let tops: BTreeSet<&str> = rel_files
            .iter()
            .filter(|f| f.contains('/'))
            .map(String::as_str)
            .chain(folders.iter().filter_map(|f| {
                let f = if prefix.is_empty() {
                    Some(*f)
                } else {
                    f.strip_prefix(prefix.as_str()).and_then(|r| r.strip_prefix('/'))
                };
                f.filter(|f| !f.is_empty())
            }))
            .map(|p| p.split('/').next().unwrap_or(p))
            .collect();
        let [top] = tops.into_iter().collect::<Vec<_>>()[..] else {
            break;
        };
        if top.is_empty() {
            break;
        }
        // Inside the one folder: files in sub-folders, and at its own level only left-out ones.
        let inside: Vec<&str> = rel_files
            .iter()
            .filter_map(|f| f.strip_prefix(top).and_then(|r| r.strip_prefix('/')))
            .collect();
        let own: Vec<&str> = inside.iter().copied().filter(|f| !f.contains('/')).collect();
        let deep = inside.iter().any(|f| f.contains('/'));
        if !deep || own.iter().any(|f| left_out_reason(f, &own).is_none()) {
            break;
        }
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(top);
    }
    (!prefix.is_empty()).then_some(prefix)
}

/// "one", "two", ... for the wrapping-folder message.
fn levels(n: usize) -> String {
    match n {
        1 => "one folder".to_string(),
        2 => "two folders".to_string(),
        3 => "three folders".to_string(),
        n => format!("{n} folders"),
    }
}

/// A list of paths for a message: the first few, and how many more.
pub(crate) fn list_paths<S: AsRef<str>>(paths: &[S], shown: usize) -> String {
    let out: Vec<&str> = paths.iter().take(shown).map(AsRef::as_ref).collect();
    let more = paths.len().saturating_sub(shown);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{}{tail}", out.join(", "))
}

/// Works out the dataset's shape from a scan. `repack`: the verdict is `pack`'s, so what
/// packing repairs (a wrapping folder) is a warning; else an error.
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
                        format!(
                            "{why} {what}, not part of the dataset: `stimpack pack` fixes this by leaving it out. \
                             Nothing to do unless you need it"
                        ),
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

    // 2. Folders wrapping the whole dataset (Finder zips "My Study/src_1/a.wav"), at any depth.
    if scan.kind != InputKind::UrlList {
        let files: Vec<&str> = kept.iter().map(|&i| scan.entries[i].path.as_str()).collect();
        if let Some(wrapper) = find_wrapper(&files, &folders) {
            let depth = wrapper.split('/').count();
            let first = wrapper.split('/').next().unwrap_or_default();
            let as_is = match scan.kind {
                InputKind::Folder => format!("run stimpack on the folder '{wrapper}' itself"),
                _ => "zip the source folders themselves".to_string(),
            };
            layout.issues.push(Issue::new(
                repairable,
                Code::WrappingFolder,
                wrapper.clone(),
                format!(
                    "the sources are {} down, in {wrapper}/: as it is, the platform would see one source \
                     '{first}' with folders nested in it. The sources inside were checked; `stimpack pack` \
                     fixes this (it writes them at the top of the archive), or {as_is}",
                    levels(depth)
                ),
            ));
            layout.wrapper = Some(wrapper);
        }
    }

    // 3. Sources, stimuli, configs, and what is in the wrong place.
    let mut sources: BTreeSet<String> = BTreeSet::new();
    let mut nested: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for folder in &folders {
        // The wrapper chain's own folders are not sources; every other folder is inside it.
        if is_root_level(folder, layout.wrapper.as_deref()) {
            continue;
        }
        let inner = layout.inner_path(folder);
        if !inner.contains('/') {
            sources.insert(inner.to_string());
        }
    }
    // Files in the folders of the wrapper chain (the root included), by folder.
    let mut at_level: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &i in &kept {
        let (parent, name) = parent_and_name(&scan.entries[i].path);
        if is_root_level(parent, layout.wrapper.as_deref()) {
            at_level.entry(parent).or_default().push(name);
        }
    }
    for &i in &kept {
        let entry = &scan.entries[i];
        let (parent, name) = parent_and_name(&entry.path);
        if let Some(siblings) = at_level.get(parent) {
            if let Some(what) = left_out_reason(name, siblings) {
                layout.left_out.push(i);
                let mut issue = Issue::warning(
                    Code::LeftOutFile,
                    entry.path.clone(),
                    format!(
                        "{what}, not a stimulus: left out of the dataset (`stimpack pack` leaves it out). \
                         Nothing to do"
                    ),
                );
                issue.line = entry.line();
                layout.issues.push(issue);
                continue;
            }
        }
        let inner = layout.inner_path(&entry.path).to_string();
        let parts: Vec<&str> = inner.split('/').collect();
        match parts.as_slice() {
            [file] if *file == PROVIDERS_FILE => layout.providers = Some(i),
            [file] => {
                let mut issue = Issue::error(
                    Code::FileOutsideSource,
                    entry.path.clone(),
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
                nested
                    .entry(format!("{source}/{sub}"))
                    .or_default()
                    .push(entry.path.clone());
            }
            [] => {}
        }
    }
    for (folder, files) in nested {
        let n = files.len();
        layout.issues.push(Issue::error(
            Code::NestedFolder,
            layout.input_path(&folder),
            format!(
                "a folder inside a source, left out of the dataset with the {n} file{s} in it ({list}): the \
                 platform reads only files directly inside a source folder. Move its files up into the source, \
                 or make it a source of its own",
                s = if n == 1 { "" } else { "s" },
                list = list_paths(&files, 5),
            ),
        ));
    }
    for source in &sources {
        if !layout.groups.contains_key(source) {
            layout.issues.push(Issue::warning(
                Code::EmptySource,
                layout.input_path(source),
                "an empty source folder: it has no stimuli and will be ignored. Add its files or remove it",
            ));
        }
    }

    // 4. Names that collide: within a source, and between sources.
    collisions(&mut layout);
    layout
}

/// True for the input's root folder and the folders of the wrapper chain: where files are
/// outside the dataset's sources.
fn is_root_level(parent: &str, wrapper: Option<&str>) -> bool {
    parent.is_empty() || wrapper.is_some_and(|w| w == parent || w.starts_with(&format!("{parent}/")))
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
    let mut found = Vec::new();
    let mut group_keys: HashMap<String, &str> = HashMap::new();
    for id in layout.groups.keys() {
        if let Some(other) = group_keys.insert(fold(id), id) {
            found.push(Issue::error(
                Code::NameCollision,
                layout.input_path(id),
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
                found.push(Issue {
                    line: c.line,
                    ..Issue::error(
                        Code::DuplicateCondition,
                        layout.input_path(&c.path),
                        format!(
                            "'{}' and '{}' are the same condition '{}' of source '{}'. Keep one of them",
                            layout.input_path(&first.path),
                            layout.input_path(&c.path),
                            c.condition,
                            c.group
                        ),
                    )
                });
                continue;
            }
            if let Some(first) = by_folded.insert(fold(&c.condition), c) {
                found.push(Issue {
                    line: c.line,
                    ..Issue::error(
                        Code::NameCollision,
                        layout.input_path(&c.path),
                        format!(
                            "'{}' and '{}' differ only by letter case or Unicode normalisation; they collide on \
                             many systems and confuse the platform. Rename one",
                            layout.input_path(&first.path),
                            layout.input_path(&c.path)
                        ),
                    )
                });
            }
        }
    }
    layout.issues.extend(found);
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

    #[test]
    fn wrappers_are_looked_through_at_any_depth() {
        let scan = scan_of(
            InputKind::Folder,
            &[
                "inner/study/s1/a.wav",
                "inner/study/s2/a.wav",
                "inner/README.md",
                "inner/study/notes.pdf",
            ],
        );
        let layout = analyze(&scan, true);
        assert_eq!(layout.wrapper.as_deref(), Some("inner/study"));
        assert_eq!(layout.groups["s1"][0].path, "s1/a.wav");
        assert_eq!(layout.input_path("s1"), "inner/study/s1");
        let mut found = codes(&layout);
        found.sort();
        assert_eq!(
            found,
            [
                (Code::WrappingFolder, Some("inner/study")),
                (Code::LeftOutFile, Some("inner/README.md")),
                (Code::LeftOutFile, Some("inner/study/notes.pdf")),
            ]
        );
        let wrapping = layout
            .issues
            .iter()
            .find(|i| i.code == Code::WrappingFolder)
            .unwrap();
        assert!(
            wrapping
                .message
                .starts_with("the sources are two folders down, in inner/study/")
        );
        assert_eq!(wrapping.severity, Severity::Warning);
    }

    #[test]
    fn what_is_not_a_wrapper() {
        // One source with its files: a source, not a wrapper.
        assert_eq!(
            analyze(&scan_of(InputKind::Folder, &["s1/a.wav", "s1/b.wav"]), true).wrapper,
            None
        );
        // A loose file that is not documentation beside the folder stops the search there.
        let scan = scan_of(InputKind::Folder, &["w/s1/a.wav", "take2.wav"]);
        let layout = analyze(&scan, true);
        assert_eq!(layout.wrapper, None);
        assert!(codes(&layout).contains(&(Code::FileOutsideSource, Some("take2.wav"))));
        // ... and so does one inside the folder (it would be a file of a source).
        let scan = scan_of(
            InputKind::Folder,
            &["w/x/s1/a.wav", "w/x/s2/a.wav", "w/loose.wav"],
        );
        assert_eq!(analyze(&scan, true).wrapper.as_deref(), None);
        // Documentation beside it does not.
        let scan = scan_of(
            InputKind::Folder,
            &["w/x/s1/a.wav", "w/x/s2/a.wav", "w/README.txt"],
        );
        assert_eq!(analyze(&scan, true).wrapper.as_deref(), Some("w/x"));
        // A folder holding one source wraps it: one level.
        let scan = scan_of(InputKind::Zip, &["w/s1/a.wav", "w/s1/b.wav"]);
        assert_eq!(analyze(&scan, true).wrapper.as_deref(), Some("w"));
        // URL lists never have one.
        assert_eq!(
            analyze(&scan_of(InputKind::UrlList, &["w/s1/a.wav"]), true).wrapper,
            None
        );
    }

    #[test]
    fn left_out_names() {
        for name in [
            "README",
            "readme.txt",
            "README.md",
            "LICENSE",
            "Licence.txt",
            "COPYING",
            "CITATION.cff",
        ] {
            assert_eq!(left_out_reason(name, &[]), Some("documentation"), "{name}");
        }
        for name in ["notes.md", "paper.PDF"] {
            assert_eq!(left_out_reason(name, &[]), Some("documentation"), "{name}");
        }
        for name in [
            "dataset.zip",
            "Dataset.ZIP",
            "dataset.manifest.json",
            "study.manifest.json",
        ] {
            assert_eq!(
                left_out_reason(name, &[]),
                Some("stimpack's own output"),
                "{name}"
            );
        }
        assert!(left_out_reason("study.zip", &["study.zip", "study.manifest.json"]).is_some());
        for name in [
            "study.zip",
            "notes.txt",
            "a.wav",
            "providers.json",
            "config.json",
            "mdfile",
            "read.me",
        ] {
            assert_eq!(left_out_reason(name, &["other.manifest.json"]), None, "{name}");
        }
    }

    #[test]
    fn files_deep_in_a_source_are_listed_in_its_nested_folder_finding() {
        let mut paths = vec!["src1/ok.wav".to_string()];
        paths.extend((0..7).map(|i| format!("src1/a/b/c/d/f{i}.wav")));
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let layout = analyze(&scan_of(InputKind::Folder, &refs), true);
        let nested = &layout.issues[0];
        assert_eq!(
            (nested.code, nested.path.as_deref()),
            (Code::NestedFolder, Some("src1/a"))
        );
        assert!(
            nested.message.contains("the 7 files in it (src1/a/b/c/d/f0.wav"),
            "{}",
            nested.message
        );
        assert!(nested.message.contains("and 2 more"), "{}", nested.message);
    }

    #[test]
    fn documentation_is_left_out_only_at_the_root() {
        let scan = scan_of(InputKind::Folder, &["README.md", "s1/a.wav", "s1/README.md"]);
        let layout = analyze(&scan, true);
        assert_eq!(layout.left_out.len(), 1);
        assert!(codes(&layout).contains(&(Code::LeftOutFile, Some("README.md"))));
        // Inside a source it is a file of that source (the probe calls it unsupported).
        assert_eq!(layout.groups["s1"].len(), 2);
    }

    /// The edges of `split_name`: a name that is all extension keeps it as its name, and
    /// `.req.json` needs a name before it.
    #[test]
    fn split_name_at_the_edges() {
        assert_eq!(
            split_name(".wav"),
            (".wav", String::new()),
            "a dot first is a hidden name"
        );
        assert_eq!(split_name("a.wav"), ("a", "wav".to_string()));
        assert_eq!(split_name(".req.json"), (".req", "json".to_string()));
        assert_eq!(split_name("a.req.json"), ("a", "req.json".to_string()));
    }

    #[test]
    fn a_dot_first_is_no_extension_for_left_out_names() {
        assert_eq!(left_out_reason(".md", &[]), None);
        assert_eq!(left_out_reason("a.md", &[]), Some("documentation"));
    }

    #[test]
    fn junk_is_called_a_folder_when_it_holds_the_file_and_a_file_when_it_is_one() {
        let scan = scan_of(
            InputKind::Folder,
            &["s1/a.wav", ".DS_Store", "__MACOSX/s1/._a.wav"],
        );
        let layout = analyze(&scan, false);
        let message = |path: &str| {
            let issue = layout
                .issues
                .iter()
                .find(|i| i.path.as_deref() == Some(path))
                .unwrap();
            issue.message.clone()
        };
        assert!(
            message(".DS_Store").contains(" file, not part"),
            "{}",
            message(".DS_Store")
        );
        assert!(
            message("__MACOSX").contains(" folder, not part"),
            "{}",
            message("__MACOSX")
        );
    }

    #[test]
    fn path_lists_show_exactly_the_limit_without_a_count() {
        assert_eq!(list_paths(&["a", "b"], 2), "a, b");
        assert_eq!(list_paths(&["a", "b", "c"], 2), "a, b and 1 more");
    }
}
