//! Errors that stop a whole run: the input itself cannot be read.
//!
//! Problems with single files are never errors of this kind; they are findings in the report.
//! `Display` is the whole message for a person: what, where, and what to do.

use std::fmt;
use std::path::PathBuf;

use crate::options::UnknownExperiment;
use crate::pack::PackError;
use crate::report::UnknownCode;

/// The input could not be read at all (exit code 2 in the CLI).
///
/// `Debug` prints the same message as `Display`, so that `fn main() -> Result<(), _>` and
/// `unwrap` show the sentence a person can act on rather than the variant.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The path does not exist.
    #[error("{}: no such file or folder. Check the path", .0.display())]
    NotFound(PathBuf),
    /// One file was asked for ([`probe_file`](crate::probe_file)) and the path is something
    /// else, such as a folder.
    #[error("{}: not a file. Give the path of one media file, or check a folder as a dataset", .0.display())]
    NotAFile(PathBuf),
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

/// `Debug` as the message: `main` returning one of these errors prints what to do, not
/// `NotFound("/path")`.
macro_rules! debug_is_the_message {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}

debug_is_the_message!(InputError, PackError, UnknownExperiment, UnknownCode);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The bug: `fn main() -> Result<(), InputError>` printed `NotFound("/path")`.
    #[test]
    fn main_returning_an_error_prints_its_message_not_its_variant() {
        let e = crate::check(Path::new("/no/such/dataset"), &Default::default()).unwrap_err();
        assert_eq!(format!("{e:?}"), e.to_string());
        assert!(
            e.to_string()
                .starts_with("/no/such/dataset: no such file or folder. Check the path")
        );
        let p = PackError::OutputExists("out.zip".into());
        assert_eq!(format!("{p:?}"), p.to_string());
        let u: UnknownExperiment = "mushraa".parse::<crate::ExperimentType>().unwrap_err();
        assert_eq!(format!("{u:?}"), u.to_string());
        let c = "truncated".parse::<crate::Code>().unwrap_err();
        assert_eq!(format!("{c:?}"), c.to_string());
    }

    /// Library errors speak of the library; the CLI adds its flags.
    #[test]
    fn library_errors_name_no_cli_flag_or_command() {
        let errors = [
            InputError::NotFound("x".into()).to_string(),
            InputError::UnknownKind("x".into()).to_string(),
            InputError::NotAFile("x".into()).to_string(),
            PackError::OutputExists("x.zip".into()).to_string(),
        ];
        for e in errors {
            assert!(!e.contains("--") && !e.contains("stimpack "), "{e}");
        }
    }
}
