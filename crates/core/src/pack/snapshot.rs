//! The sizes and times of the source files as the check saw them, so that a file that
//! changes before it is copied stops the pack instead of landing unchecked in the archive.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::PackError;
use crate::report::InputKind;
use crate::scan::{Origin, Scan};

/// A file's size and modification time.
type Seen = (u64, Option<SystemTime>);

/// Sizes and times of the files as the check saw them.
pub(super) struct Snapshot {
    /// By scan entry, for the entries that are files of a folder.
    files: BTreeMap<usize, Seen>,
    /// The input archive, for a zip input.
    archive: Option<(PathBuf, Seen)>,
}

impl Snapshot {
    pub(super) fn take(scan: &Scan) -> Snapshot {
        let seen = |m: fs::Metadata| (m.len(), m.modified().ok());
        let mut files = BTreeMap::new();
        for (i, e) in scan.entries.iter().enumerate() {
            if let Origin::File(p) = &e.origin {
                if let Ok(m) = fs::metadata(p) {
                    files.insert(i, seen(m));
                }
            }
        }
        let archive = (scan.kind == InputKind::Zip)
            .then(|| fs::metadata(&scan.root).ok())
            .flatten()
            .map(|m| (scan.root.clone(), seen(m)));
        Snapshot { files, archive }
    }

    /// For a zip input: the archive is still as the check saw it.
    pub(super) fn check_archive(&self) -> Result<(), PackError> {
        match &self.archive {
            Some((path, seen)) => compare(path, None, *seen),
            None => Ok(()),
        }
    }

    /// The file of scan entry `entry`, at `path`, is still as the check saw it; `meta` is its
    /// metadata if the caller has it (from the open file), else it is looked up by path.
    pub(super) fn check_file(
        &self,
        entry: usize,
        path: &Path,
        meta: Option<fs::Metadata>,
    ) -> Result<(), PackError> {
        match self.files.get(&entry) {
            Some(seen) => compare(path, meta, *seen),
            None => Ok(()),
        }
    }
}

fn compare(path: &Path, meta: Option<fs::Metadata>, (len, mtime): Seen) -> Result<(), PackError> {
    let meta = match meta {
        Some(m) => m,
        None => fs::metadata(path).map_err(|source| PackError::Read {
            path: path.to_path_buf(),
            source,
        })?,
    };
    let changed = |what: String| PackError::SourceChanged {
        path: path.to_path_buf(),
        what,
    };
    if meta.len() != len {
        return Err(changed(format!(
            "its size changed from {len} to {} bytes",
            meta.len()
        )));
    }
    if meta.modified().ok() != mtime {
        return Err(changed("it was modified".to_string()));
    }
    Ok(())
}
