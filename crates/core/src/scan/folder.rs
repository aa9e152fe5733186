//! Scanning a folder tree, at any depth: every file ends up an entry or a finding. Symbolic
//! links are followed only while they stay inside the root.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Component, Path};

use walkdir::WalkDir;

use super::{Entry, Origin, Scan};
use crate::error::InputError;
use crate::layout;
use crate::report::{Code, InputKind, Issue};

/// Lists the files and folders of a dataset folder, sorted by path.
pub fn scan(root: &Path) -> Result<Scan, InputError> {
    let canonical_root = std::fs::canonicalize(root).map_err(|e| InputError::Io {
        path: root.to_path_buf(),
        source: e,
    })?;
    let mut entries = Vec::new();
    let mut folders = Vec::new();
    let mut issues = Vec::new();
    // Files under a name that is not UTF-8, by the first such name on their path.
    let mut non_utf8: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let walker = WalkDir::new(root)
        .min_depth(1)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.path_is_symlink() && escapes(&canonical_root, e.path())));
    for item in walker {
        let item = match item {
            Ok(item) => item,
            Err(err) => {
                let path = err.path().map(|p| relative(root, p));
                let message = if err.loop_ancestor().is_some() {
                    "symbolic link loop: this link points at a folder that contains it. Remove the link"
                        .to_string()
                } else {
                    format!("cannot read: {}. Check its permissions", io_message(&err))
                };
                let code = if err.loop_ancestor().is_some() {
                    Code::SymlinkOutsideRoot
                } else {
                    Code::UnreadableFile
                };
                issues.push(Issue::error(code, path, message));
                continue;
            }
        };
        let rel = relative(root, item.path());
        // A name that is not UTF-8 cannot be written into the archive (zip names are UTF-8)
        // nor shown by the platform; guessing its encoding would rename it behind the user's
        // back. Junk is left out whatever its name.
        if let Some(first) = first_non_utf8(root, item.path()) {
            if layout::junk_reason(&rel).is_none() {
                if !item.file_type().is_dir() {
                    non_utf8.entry(first).or_default().push(rel);
                }
                continue;
            }
        }
        if item.file_type().is_dir() {
            folders.push(rel);
        } else if item.file_type().is_file() {
            let bytes = item.metadata().ok().map(|m| m.len());
            entries.push(Entry {
                path: rel,
                origin: Origin::File(item.path().to_path_buf()),
                bytes,
            });
        } else {
            issues.push(Issue::error(
                Code::UnsupportedFile,
                rel,
                "not a regular file (a device, socket or pipe). Remove it from the dataset folder",
            ));
        }
    }
    for (name, files) in non_utf8 {
        issues.push(non_utf8_issue(name, &files));
    }
    // Symlinks that escape the root were filtered out of the walk; report each of them.
    report_escaping_links(root, &canonical_root, &mut issues);
    Ok(Scan {
        kind: InputKind::Folder,
        root: root.to_path_buf(),
        entries,
        folders,
        issues,
        zip: None,
    })
}

fn report_escaping_links(root: &Path, canonical_root: &Path, issues: &mut Vec<Issue>) {
    let links = WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path_is_symlink() && escapes(canonical_root, e.path()));
    for link in links {
        let target = std::fs::read_link(link.path())
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        issues.push(Issue::error(
            Code::SymlinkOutsideRoot,
            relative(root, link.path()),
            format!(
                "symbolic link to '{target}', which is outside the dataset folder or does not exist. \
                 Copy the file into the dataset instead of linking it"
            ),
        ));
    }
}

/// True when a symlink's target is missing or lies outside the root.
fn escapes(canonical_root: &Path, path: &Path) -> bool {
    match std::fs::canonicalize(path) {
        Ok(target) => !target.starts_with(canonical_root),
        Err(_) => true,
    }
}

fn io_message(err: &walkdir::Error) -> String {
    err.io_error()
        .map(|e| e.to_string())
        .unwrap_or_else(|| err.to_string())
}

/// The finding for the files under one name that is not UTF-8 (a file's, or a folder's).
fn non_utf8_issue(name: String, files: &[String]) -> Issue {
    let rename = "Rename it in UTF-8 (e.g. `convmv -f latin1 -t utf8 -r --notest`)";
    let message = if files.len() == 1 && files[0] == name {
        format!(
            "the file name is not valid UTF-8 (the bytes that are not are shown as \\xNN): it cannot be written \
             into the dataset's archive or shown by the platform, so the file is left out of the dataset. {rename}"
        )
    } else {
        format!(
            "the folder name is not valid UTF-8 (the bytes that are not are shown as \\xNN): the {n} file{s} in it \
             cannot be written into the dataset's archive or shown by the platform, so they are left out of the \
             dataset ({list}). {rename}",
            n = files.len(),
            s = if files.len() == 1 { "" } else { "s" },
            list = layout::list_paths(files, 5),
        )
    };
    Issue::error(Code::NonUtf8Name, name, message)
}

/// The path relative to the root, with `/` separators whatever the platform; bytes of a name
/// that are not UTF-8 are shown as `\xNN`.
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel.components().map(|c| escape_name(c.as_os_str())).collect();
    parts.join("/")
}

/// The relative path up to and including its first name that is not UTF-8, if it has one.
fn first_non_utf8(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut parts = Vec::new();
    for c in rel.components() {
        let name = c.as_os_str();
        parts.push(escape_name(name));
        if matches!(c, Component::Normal(_)) && name.to_str().is_none() {
            return Some(parts.join("/"));
        }
    }
    None
}

/// A file name as text: valid UTF-8 as it is, every other byte as `\xNN`.
#[cfg(unix)]
pub(crate) fn escape_name(name: &OsStr) -> String {
    use std::fmt::Write;
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A file name as text: valid UTF-16 as it is, unpaired surrogates as `\u{XXXX}`.
#[cfg(windows)]
pub(crate) fn escape_name(name: &OsStr) -> String {
    use std::os::windows::ffi::OsStrExt;
    char::decode_utf16(name.encode_wide())
        .map(|c| match c {
            Ok(c) => c.to_string(),
            Err(e) => format!("\\u{{{:04x}}}", e.unpaired_surrogate()),
        })
        .collect()
}

/// A file name as text (platforms without a way to see the raw name: lossy).
#[cfg(not(any(unix, windows)))]
pub(crate) fn escape_name(name: &OsStr) -> String {
    name.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_scanned_at_any_depth() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("s1/a/b/c/d/e/f/g/h/i/j");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.wav"), b"x").unwrap();
        std::fs::write(tmp.path().join("s1/y.wav"), b"y").unwrap();
        let scan = scan(tmp.path()).unwrap();
        let paths: Vec<&str> = scan.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["s1/a/b/c/d/e/f/g/h/i/j/x.wav", "s1/y.wav"]);
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_show_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(escape_name(OsStr::from_bytes(b"caf\xe9.wav")), "caf\\xe9.wav");
        assert_eq!(escape_name(OsStr::from_bytes(b"\xff\xfe")), "\\xff\\xfe");
        assert_eq!(escape_name(OsStr::from_bytes("café".as_bytes())), "café");
        // Valid UTF-8 after an invalid byte is kept as text.
        assert_eq!(escape_name(OsStr::from_bytes(b"\xc3\xa9\xe9\xc3\xa9")), "é\\xe9é");

        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("s1")).unwrap();
        std::fs::write(root.join("s1/ok.wav"), b"x").unwrap();
        std::fs::write(root.join("s1").join(OsStr::from_bytes(b"n\xe9.wav")), b"x").unwrap();
        let bad = root.join(OsStr::from_bytes(b"s\xff"));
        std::fs::create_dir_all(bad.join("sub")).unwrap();
        std::fs::write(bad.join("sub/a.wav"), b"x").unwrap();
        let scan = scan(root).unwrap();
        let paths: Vec<&str> = scan.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["s1/ok.wav"]);
        assert_eq!(scan.folders, ["s1"]);
        let found: Vec<(Code, Option<&str>)> =
            scan.issues.iter().map(|i| (i.code, i.path.as_deref())).collect();
        assert_eq!(
            found,
            [
                (Code::NonUtf8Name, Some("s1/n\\xe9.wav")),
                (Code::NonUtf8Name, Some("s\\xff")),
            ]
        );
        assert!(
            scan.issues[1].message.contains("the 1 file in it"),
            "{}",
            scan.issues[1].message
        );
        assert!(
            scan.issues[1].message.contains("s\\xff/sub/a.wav"),
            "{}",
            scan.issues[1].message
        );
    }
}
