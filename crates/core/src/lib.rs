//! `stimpack-core`: scan, probe, check and pack media datasets for subjective-evaluation
//! platforms.
//!
//! A dataset is a folder tree (or a zip of one, or a `.txt` list of URLs) whose top-level
//! folders are *sources* and whose files are *conditions* of that source. The whole API is on
//! this page:
//!
//! - [`check`] reads any of the three and returns a [`Report`]: every stimulus with its
//!   readings (format, codec, duration, size) and every finding ([`Issue`]), sorted so that the
//!   same input always gives the same report. [`check_many`] checks several inputs one after
//!   another; [`check_url_list`] checks a URL list held in memory (read from stdin, say).
//! - [`pack`] checks and, when there are no errors, writes a clean, reproducible archive and
//!   its [`Manifest`]; [`pack_checked`] does the same with a report you already have, so a
//!   pipeline that checked first does not read every file twice.
//! - [`probe_file`] reads one media file on its own: a [`Stimulus`] and that file's findings.
//! - [`supported_formats`] lists what stimpack reads.
//! - [`stats`] summarises a subjective test's ratings (means with Student-t intervals, the MUSHRA
//!   post-screening of ITU-R BS.1534-3, win rates with Wilson intervals), and
//!   [`check_stimulus_names`] applies the dataset rules to stimuli known only by name (a
//!   dataset already on a platform).
//! - [`CheckOptions::with_online`] reads the files of a URL list through a [`UrlOpener`] you
//!   give it, with the same probers as local files (`stimpack check --online`; the crate
//!   `stimpack-online` implements the opener over HTTP range requests). Without it URLs are
//!   checked from their names, and nothing touches the network.
//! - [`ZipInput`] opens single entries of an input zip by name, in place (to serve or copy them).
//!
//! A problem with a file is never an `Err`: it is an [`Issue`] in the report, and the run goes
//! on. `Err` ([`InputError`], [`PackError`]) means the input or the output as a whole could not
//! be used; its `Display` is a full sentence that names the path and says what to do. Reports
//! and manifests are `Serialize` and `Deserialize`: their JSON is the contract that
//! `stimpack check --json` prints and `stimpack pack` writes.
//!
//! # Check a dataset
//!
//! ```
//! use stimpack_core::{check, CheckOptions, ExperimentType, Severity};
//! # let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo");
//! # let my_study = demo.as_path();
//!
//! let opts = CheckOptions::default().with_experiment(Some(ExperimentType::Mushra));
//! let report = check(my_study, &opts)?;
//! for issue in &report.issues {
//!     println!("{issue}"); // "speech_1/low.wav: warning[duration-mismatch] ..."
//! }
//! let seconds: f64 = report.stimuli().filter_map(|s| s.reading.duration_s).sum();
//! assert!(report.ok);
//! assert_eq!(report.summary.stimuli, 16);
//! assert!(seconds > 40.0);
//! assert!(report.issues.iter().all(|i| i.severity == Severity::Warning));
//! # Ok::<(), stimpack_core::InputError>(())
//! ```
//!
//! # Pack it
//!
//! ```
//! use stimpack_core::{check, pack_checked, CheckOptions, NoopReporter, PackOptions, PackOutcome};
//! # let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo");
//! # let my_study = demo.as_path();
//! # let out = tempfile::tempdir()?;
//!
//! let report = check(my_study, &CheckOptions::default())?;
//! // ... look at the report, then pack what was checked without probing it again:
//! let opts = PackOptions::new(out.path().join("dataset.zip"));
//! match pack_checked(my_study, report, &opts, &NoopReporter)? {
//!     PackOutcome::Written { manifest, archive_path, .. } => {
//!         println!("{}: {} stimuli, sha256 {}", archive_path.display(),
//!             manifest.summary.stimuli, manifest.archive.sha256);
//!         assert_eq!(manifest.stimuli().count(), 16);
//!     }
//!     PackOutcome::Refused(report) => panic!("{} errors", report.summary.errors),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`pack`] does both steps in one call.
//!
//! # Probe one file
//!
//! ```
//! use stimpack_core::{probe_file, MediaKind};
//! # let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
//! #     .join("../../testdata/demo/speech_1/reference.wav");
//!
//! let probed = probe_file(&path)?;
//! assert_eq!(probed.stimulus.media, MediaKind::Audio);
//! assert_eq!(probed.stimulus.reading.format, "wav");
//! println!("{:?} s, {:?} Hz", probed.stimulus.reading.duration_s, probed.stimulus.reading.sample_rate);
//! assert!(probed.ok(), "{:?}", probed.issues);
//! # Ok::<(), stimpack_core::InputError>(())
//! ```
//!
//! # Why the container parsers are not public
//!
//! The per-format parsers (WAV/AIFF, FLAC, MPEG audio/ADTS, Ogg, MP4, images) stay inside the
//! crate. What they return is shaped by the checks they serve (which bytes were skipped, where
//! a frame's CRC closed, why a chunk was cut) and changes whenever a check grows more exact;
//! pinning it as an API would freeze those internals. What another tool needs from one file is
//! [`probe_file`]: the same [`Reading`] (with [`ContainerFormat`] and [`Codec`]) and findings
//! the report holds, which are the contract and do not change without a schema version.
#![deny(missing_docs)]

pub(crate) mod analyze;
mod checker;
mod error;
mod formats;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod jsonfiles;
pub(crate) mod layout;
mod manifest;
mod named;
mod options;
pub(crate) mod pack;
pub mod platform;
pub(crate) mod probe;
mod remote;
mod report;
pub(crate) mod rules;
pub(crate) mod scan;
pub(crate) mod sniff;
pub mod stats;
mod zip_input;

#[cfg(test)]
mod test_fixtures;

/// The archive writer, for `examples/zip_writers.rs` (`bench/pack-writers.sh`) only: not part
/// of the API, no stability.
#[doc(hidden)]
pub mod bench_internals {
    pub use crate::pack::zipwriter::{DosTime, Finished, ZipWriter};
}

pub use analyze::{
    AnalyzeOptions, AudioLevels, DEFAULT_LOUDNESS_TOLERANCE_LU, DEFAULT_MAX_DC_OFFSET,
    DEFAULT_MAX_TRUE_PEAK_DBTP, DEFAULT_SILENCE_TOLERANCE_S, MOSTLY_SILENT_PERCENT, MediaDetails,
    TARGET_TOLERANCE_LU,
};
pub use checker::{Probed, check, check_many, check_url_list, check_url_list_from, input_kind, probe_file};
pub use error::InputError;
pub use formats::{Format, SupportedFormats, supported_formats};
pub use manifest::{
    ArchiveInfo, MANIFEST_SCHEMA_VERSION, Manifest, ManifestFile, ManifestGroup, ManifestStimulus,
    default_manifest_path,
};
pub use named::check_stimulus_names;
pub use options::{
    CheckOptions, DEFAULT_ANCHORS, DEFAULT_DURATION_TOLERANCE, DEFAULT_REFERENCE, ExperimentType,
    MUSHRA_MAX_RATED, UnknownExperiment,
};
pub use pack::{NoopReporter, PackError, PackOptions, PackOutcome, PackReporter, pack, pack_checked};
pub use platform::{ExportError, ExportRow, Platform, UnknownPlatform};
pub use probe::{Codec, ContainerFormat, Reading};
pub use remote::{
    DEFAULT_ONLINE_CONCURRENCY, Online, Opened, RemoteFile, UrlFinding, UrlOpener, probe_reads_end,
};
pub use report::{
    Code, Group, InputKind, Issue, MediaKind, Report, Role, Severity, Stimulus, Summary, UnknownCode,
};
pub use scan::urls::{MAX_URL_LIST_BYTES, private_ip};
pub use zip_input::{ZipEntryReader, ZipInput};
