//! `stimpack-core`: scan, probe and check media datasets for subjective-evaluation platforms.
//!
//! A dataset is a folder tree (or a zip of one, or a list of URLs) whose top-level folders are
//! *sources* and whose files are *conditions* of that source. [`check`] reads any of the three
//! and returns a [`Report`]: every stimulus with its readings (format, codec, duration, size)
//! and every finding, sorted so that the same input always gives the same report.
//!
//! ```no_run
//! use stimpack_core::{check, CheckOptions, ExperimentType};
//!
//! let opts = CheckOptions::default().with_experiment(Some(ExperimentType::Mushra));
//! let report = check("my_study/".as_ref(), &opts)?;
//! for issue in &report.issues {
//!     println!("{:?} {} {:?}: {}", issue.severity, issue.code.as_str(), issue.path, issue.message);
//! }
//! # Ok::<(), stimpack_core::InputError>(())
//! ```
#![deny(missing_docs)]

pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod jsonfiles;
pub mod layout;
pub mod manifest;
pub mod options;
pub mod pack;
pub mod probe;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sniff;

mod checker;
#[cfg(test)]
mod test_fixtures;

pub use checker::{check, check_scan};
pub use error::InputError;
pub use manifest::Manifest;
pub use options::{CheckOptions, DEFAULT_REFERENCE, ExperimentType};
pub use pack::{NoProgress, PackError, PackOptions, PackOutcome, PackProgress, pack};
pub use report::{Code, Group, InputKind, Issue, MediaKind, Report, Role, Severity, Stimulus, Summary};
