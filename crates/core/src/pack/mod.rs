//! Packing a checked dataset into a clean, reproducible archive (or URL list) plus its
//! manifest. Nothing is written when the check finds errors; the output appears atomically.
//!
//! Each source file is read once, by one of two reader threads (items alternate between them),
//! which computes its CRC-32 and SHA-256 and hands the buffers to the calling thread; that one
//! writes the archive sequentially and hashes it as it goes (see [`zipwriter`]). The source
//! hashes and the archive hash thus run side by side on two cores. Each reader has a fixed pool
//! of buffers, so memory stays flat whatever the dataset's size. An entry of up to
//! `WHOLE_CHUNKS` chunks is held until its reader has the CRC, then written with its final
//! header; a larger one is streamed and its header patched. A third thread puts the archive on
//! disk, with direct I/O where the filesystem allows it (see `outfile`), so the page cache is
//! not filled with a copy of the archive and the final `fsync` is short.

//! The files of this module, one idea each: [`options`] (what the caller asks for),
//! [`error`] (why a pack stops), [`progress`] (the reporter trait), `plan` (what goes into the
//! output, in which order, under which names), `snapshot` (the sources as the check saw
//! them), `pipeline` (the reader pool, the writer and the hashing), [`zipwriter`] (the zip
//! format), `outfile` and `writeback` (getting the archive's bytes to disk), `output`
//! (temporary files, their locks, putting them in place), `outpaths` (refusing outputs that
//! would destroy the input), `url_list` (the output of a URL list) and `record` (the
//! manifest).

pub mod error;
pub mod options;
mod outfile;
mod outpaths;
mod output;
mod pipeline;
mod plan;
pub mod progress;
mod record;
mod snapshot;
mod url_list;
mod writeback;
pub mod zipwriter;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::checker::check_scan;
use crate::manifest::Manifest;
use crate::report::{InputKind, Report};
use crate::scan;

pub use error::PackError;
pub use options::PackOptions;
use output::{folder_of, persist, remove_stale_temps, temp_beside};
use pipeline::write_zip;
use plan::{Plan, report_matches};
pub use progress::{NoopReporter, PackReporter};
use record::build_manifest;
use snapshot::Snapshot;
use url_list::write_url_list;
use zipwriter::DosTime;

/// What a pack did.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum PackOutcome {
    /// The check found errors: nothing was written. The report says why.
    Refused(Report),
    /// The archive and its manifest were written.
    Written {
        /// The check's report (warnings only).
        report: Report,
        /// The manifest that was written.
        manifest: Manifest,
        /// Where the archive is.
        archive_path: PathBuf,
        /// Where the manifest is.
        manifest_path: PathBuf,
    },
}

/// Checks the input and, if it has no errors, writes the archive (or URL list) and manifest.
pub fn pack(input: &Path, opts: &PackOptions, progress: &dyn PackReporter) -> Result<PackOutcome, PackError> {
    pack_inner(input, None, opts, progress)
}

/// Packs an input already checked: `report` stands for the check, so no file is probed
/// again. `opts.check` is not used.
///
/// The input is listed again (no media is read for that) and must hold exactly the stimuli
/// of the report, with the same sizes: otherwise [`PackError::NotThisReport`]. A report with
/// errors gives [`PackOutcome::Refused`] with that report, as [`pack`] would. Use a report
/// made with [`CheckOptions::repack`](crate::CheckOptions::repack) on (the default) and, like [`pack`], the strictness you
/// want; a report made with `repack` off is stricter, never more lenient.
pub fn pack_checked(
    input: &Path,
    report: Report,
    opts: &PackOptions,
    progress: &dyn PackReporter,
) -> Result<PackOutcome, PackError> {
    pack_inner(input, Some(report), opts, progress)
}

fn pack_inner(
    input: &Path,
    checked: Option<Report>,
    opts: &PackOptions,
    progress: &dyn PackReporter,
) -> Result<PackOutcome, PackError> {
    let kind = scan::detect(input)?;
    let output = &opts.output;
    let manifest_path = opts.manifest_path();
    let want = if kind == InputKind::UrlList { "txt" } else { "zip" };
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() != Some(want) {
        return Err(PackError::OutputKind {
            path: output.clone(),
            what: if want == "txt" {
                "a URL list packs to a .txt file"
            } else {
                "a dataset packs to a .zip file"
            },
        });
    }
    // A missing folder is found before the check, not after it with a temp file's name.
    for p in [output, &manifest_path] {
        let folder = folder_of(p);
        if !folder.is_dir() {
            return Err(PackError::Write {
                path: p.clone(),
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("the folder {} does not exist", folder.display()),
                ),
            });
        }
    }
    outpaths::check(input, kind, output, &manifest_path)?;
    remove_stale_temps(output);
    remove_stale_temps(&manifest_path);
    if !opts.force {
        for p in [output, &manifest_path] {
            if fs::symlink_metadata(p).is_ok() {
                return Err(PackError::OutputExists(p.clone()));
            }
        }
    }

    let scan = scan::scan_with(input, opts.check.allow_private_urls())?;
    let snapshot = Snapshot::take(&scan);
    let report = match checked {
        Some(report) => {
            report_matches(&scan, &report)?;
            report
        }
        None => check_scan(&scan, &opts.check.clone().with_repack(true)),
    };
    if !report.ok {
        return Ok(PackOutcome::Refused(report));
    }

    let plan = Plan::new(&scan, &report, opts.compress);
    let time = opts.source_date_epoch.map_or(DosTime::EPOCH, DosTime::from_unix);
    let (tmp, hashes, archive) = if kind == InputKind::UrlList {
        let (tmp, archive) = write_url_list(&scan, &plan, output)?;
        (tmp, Vec::new(), archive)
    } else {
        write_zip(
            &scan,
            &snapshot,
            &plan,
            output,
            time,
            opts.check.threads,
            progress,
        )?
    };
    let manifest = build_manifest(&report, &plan, &hashes, archive, opts.source_date_epoch);

    let manifest_tmp = temp_beside(&manifest_path)?;
    let write_err = |source| PackError::Write {
        path: manifest_path.clone(),
        source,
    };
    (|| {
        let mut f = manifest_tmp.as_file();
        f.write_all(&manifest.to_json())?;
        f.sync_all()
    })()
    .map_err(write_err)?;
    // The manifest first, the archive last: an archive at the output path is always complete.
    persist(manifest_tmp, &manifest_path, opts.force)?;
    if let Err(e) = persist(tmp, output, opts.force) {
        // Not a manifest without its archive.
        let _ = fs::remove_file(&manifest_path);
        return Err(e);
    }
    progress.on_finish();
    Ok(PackOutcome::Written {
        report,
        manifest,
        archive_path: output.clone(),
        manifest_path,
    })
}
