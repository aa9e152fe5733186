//! Why a pack stopped without writing its output.

use std::io;
use std::path::{Path, PathBuf};

use super::output::folder_of;
use crate::error::InputError;

/// Why a pack stopped without writing its output.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The input could not be read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The output (or manifest) exists and `force` was not given.
    #[error("{}: already exists. Overwrite it with the `force` option, or choose another output path", .0.display())]
    OutputExists(PathBuf),
    /// The output or the manifest would replace the input.
    #[error("{}: this is the input {} itself, and writing it would destroy the input. Write the archive and its manifest to other paths", .path.display(), .input.display())]
    OutputIsInput {
        /// The output or manifest path.
        path: PathBuf,
        /// The input.
        input: PathBuf,
    },
    /// The manifest would be written where the output goes.
    #[error("{}: the manifest and the output would be the same file, and one would replace the other. Give the manifest its own path", .0.display())]
    ManifestIsOutput(PathBuf),
    /// The output or the manifest would land inside the input folder.
    #[error("{}: inside the input folder {}, so it would become part of the dataset the next check reads. Write it outside the dataset folder", .path.display(), .input.display())]
    OutputInsideInput {
        /// The output or manifest path.
        path: PathBuf,
        /// The input folder.
        input: PathBuf,
    },
    /// The report given to [`pack_checked`](super::pack_checked) is not a check of this input as it is now.
    #[error("{}: {what}; the report is not of this input as it is now. Check it again, then pack", .path.display())]
    NotThisReport {
        /// The input.
        path: PathBuf,
        /// The first difference found.
        what: String,
    },
    /// The output's extension does not match the input's kind.
    #[error("{}: {what}. The platform decides how to read a dataset by its extension", .path.display())]
    OutputKind {
        /// The output.
        path: PathBuf,
        /// What it should be.
        what: &'static str,
    },
    /// Writing the output or the manifest failed.
    #[error("cannot write {}: {}", .path.display(), write_advice(.path, .source))]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// Reading a file of the dataset failed after the check.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// A file changed between the check and the copy.
    #[error("{}: {what} since it was checked. Make sure nothing is writing to the dataset, then run pack again", .path.display())]
    SourceChanged {
        /// The file (or input archive).
        path: PathBuf,
        /// What changed.
        what: String,
    },
    /// An entry of the input archive does not match its recorded CRC-32.
    #[error("{}: entry '{entry}' is damaged (its CRC-32 does not match). Re-make the zip from the original files", .archive.display())]
    DamagedEntry {
        /// The input archive.
        archive: PathBuf,
        /// The entry.
        entry: String,
    },
}

/// What to do about a failed write; a full disk is named by the folder it holds.
fn write_advice(path: &Path, e: &io::Error) -> String {
    // EDQUOT: the user's quota on that disk is used up, which is the same thing to them.
    let full = e.kind() == io::ErrorKind::StorageFull || e.kind() == io::ErrorKind::QuotaExceeded;
    if full {
        format!(
            "{e}: the disk holding {} is full. Free space there, or write the output to another disk",
            folder_of(path).display()
        )
    } else {
        format!("{e}. Check the folder exists, is writable and has free space")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full disk is named by the folder on it, not left to "check the folder exists".
    #[test]
    fn a_full_disk_is_named() {
        let e = PackError::Write {
            path: PathBuf::from("/data/out/dataset.zip"),
            source: io::Error::from(io::ErrorKind::StorageFull),
        };
        let msg = e.to_string();
        assert!(msg.contains("the disk holding /data/out is full"), "{msg}");
        assert!(!msg.contains("Check the folder exists"), "{msg}");
        let e = PackError::Write {
            path: PathBuf::from("/data/out/dataset.zip"),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        assert!(e.to_string().contains("Check the folder exists"), "{e}");
    }
}
