//! Errors that stop a whole run: the input itself cannot be read.
//!
//! Problems with single files are never errors of this kind; they are findings in the report.

use std::path::PathBuf;

/// The input could not be read at all (exit code 2 in the CLI).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The path does not exist.
    #[error("{}: no such file or folder. Check the path; `stimpack check` takes a folder, a .zip or a .txt URL list", .0.display())]
    NotFound(PathBuf),
    /// The path is a file of a kind stimpack does not read as a dataset.
    #[error("{}: not a dataset. Give a folder, a .zip archive or a .txt file with one URL per line", .0.display())]
    UnknownKind(PathBuf),
    /// The path (after following symbolic links) is neither a regular file nor a folder: a
    /// named pipe, a socket or a device, which could be read forever.
    #[error("{}: {what}, not a regular file or folder. stimpack reads only a folder, a .zip archive or a .txt URL list that is a regular file; give that file itself", .path.display())]
    NotRegular {
        /// The input.
        path: PathBuf,
        /// What it is instead ("a named pipe (FIFO)", ...).
        what: &'static str,
    },
    /// The URL list is larger than stimpack reads.
    #[error("{}: larger than {limit_mib} MiB, the most stimpack reads of a URL list. A list of URLs is far smaller: check that this is the right file, or split it", .path.display())]
    TooLarge {
        /// The URL list.
        path: PathBuf,
        /// The limit, in MiB.
        limit_mib: u64,
    },
    /// Reading the input failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The input.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The zip archive's directory could not be read.
    #[error("{}: not a readable zip archive ({source}). If it was downloaded or copied, it may be incomplete: make it again", .path.display())]
    Zip {
        /// The archive.
        path: PathBuf,
        /// What the zip reader said.
        #[source]
        source: zip::result::ZipError,
    },
    /// The URL list is not text.
    #[error("{}: line {line} is not UTF-8 text. Save the URL list as UTF-8", .path.display())]
    NotText {
        /// The URL list.
        path: PathBuf,
        /// 1-based line.
        line: u64,
    },
}
