//! Scanning a folder tree. Symbolic links are followed only while they stay inside the root.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{Entry, Origin, Scan};
use crate::error::InputError;
use crate::report::{Code, InputKind, Issue};

/// How deep to look: a wrapping folder, a source, a nested folder and its files.
const MAX_DEPTH: usize = 4;

/// Lists the files and folders of a dataset folder, sorted by path.
pub fn scan(root: &Path) -> Result<Scan, InputError> {
    let canonical_root = std::fs::canonicalize(root).map_err(|e| InputError::Io {
        path: root.to_path_buf(),
        source: e,
    })?;
    let mut entries = Vec::new();
    let mut folders = Vec::new();
    let mut issues = Vec::new();
    let walker = WalkDir::new(root)
        .min_depth(1)
        .max_depth(MAX_DEPTH)
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
        .max_depth(MAX_DEPTH)
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

/// The path relative to the root, with `/` separators whatever the platform.
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}
