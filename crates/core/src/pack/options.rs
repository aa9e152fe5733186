//! The options of a pack.

use std::path::PathBuf;

use crate::manifest;
use crate::options::CheckOptions;

/// Options of a pack. Build with [`PackOptions::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct PackOptions {
    /// The archive (`.zip`) or, for URL lists, the cleaned list (`.txt`) to write.
    pub output: PathBuf,
    /// Where the manifest goes; `None`: beside the output, `dataset.manifest.json`.
    pub manifest: Option<PathBuf>,
    /// Overwrite an existing output and manifest.
    pub force: bool,
    /// Deflate uncompressed PCM audio (WAV/AIFF); everything else is stored.
    pub compress: bool,
    /// The time of the pack, as Unix seconds (UTC): every entry's modification time (clamped
    /// to what a zip header holds, 1980 to 2107) and the manifest's `created`. Default `None`:
    /// entries dated 1980-01-01 00:00 and `created` null, so the same input always gives the
    /// same bytes. The library never reads the environment for it; the `stimpack` CLI sets it
    /// from `SOURCE_DATE_EPOCH` (the reproducible-builds.org convention), hence the name.
    pub source_date_epoch: Option<i64>,
    /// The check run first (`repack` is always turned on; `strict` refuses on warnings).
    pub check: CheckOptions,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            output: PathBuf::from("dataset.zip"),
            manifest: None,
            force: false,
            compress: false,
            source_date_epoch: None,
            check: CheckOptions::default(),
        }
    }
}

impl PackOptions {
    /// Options writing to `output`, with every other setting at its default.
    pub fn new(output: impl Into<PathBuf>) -> Self {
        PackOptions {
            output: output.into(),
            ..PackOptions::default()
        }
    }

    /// Sets where the manifest goes.
    pub fn with_manifest(mut self, path: Option<PathBuf>) -> Self {
        self.manifest = path;
        self
    }

    /// Overwrites an existing output.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Deflates uncompressed PCM audio.
    pub fn with_compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// Sets the time of the pack (Unix seconds; see [`PackOptions::source_date_epoch`]).
    pub fn with_source_date_epoch(mut self, secs: Option<i64>) -> Self {
        self.source_date_epoch = secs;
        self
    }

    /// Sets the check's options.
    pub fn with_check(mut self, check: CheckOptions) -> Self {
        self.check = check;
        self
    }

    /// The manifest's path: the chosen one or the default beside the output.
    pub fn manifest_path(&self) -> PathBuf {
        self.manifest
            .clone()
            .unwrap_or_else(|| manifest::default_manifest_path(&self.output))
    }
}
