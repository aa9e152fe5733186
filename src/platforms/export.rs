//! From an input to a platform's export: check with the platform's rules, pack what passes
//! (into a temporary folder: the manifest's checksums come from it), make one row per
//! stimulus, and write the export file(s) with their manifest, atomically.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use stimpack_core::platform::{coactive, datature, export_rows, prolific};
use stimpack_core::{
    ArchiveInfo, CheckOptions, ExportRow, InputKind, Manifest, ManifestFile, NoopReporter, PackOptions,
    PackOutcome, Platform, Report,
};

/// What came of preparing an export.
pub enum Prepared {
    /// The dataset has errors (the platform's included): nothing to write.
    Refused(Report),
    /// Checked and packed: the report, the manifest and the rows.
    Ready {
        /// The check's report with the platform's findings.
        report: Report,
        /// The manifest of what was packed (boxed: it is large, and made once).
        manifest: Box<Manifest>,
        /// One row per stimulus, in manifest order.
        rows: Vec<ExportRow>,
    },
}

/// Checks `input` with the platform's rules and, when it passes, makes its rows. `Err` is a
/// message for the user (exit 2): the input cannot be read, or a folder has no base URL.
pub fn prepare(
    input: &Path,
    platform: Platform,
    opts: &CheckOptions,
    base_url: Option<&str>,
    command: &str,
) -> Result<Prepared, String> {
    let kind = stimpack_core::input_kind(input).map_err(|e| crate::check_cmd::input_message(&e, command))?;
    if kind == InputKind::UrlList && base_url.is_some() {
        return Err(format!(
            "{} is a URL list, which carries its own URLs; --base-url is for a folder or zip",
            input.display()
        ));
    }
    if kind != InputKind::UrlList && base_url.is_none() {
        return Err(format!(
            "{} shows media by URL: give --base-url URL (where the folder {} will be served; each file is then BASE/source/condition.ext), or a .txt URL list",
            platform.title(),
            input.display()
        ));
    }
    let opts = &opts.clone().with_platform(platform);
    let report =
        stimpack_core::check(input, opts).map_err(|e| crate::check_cmd::input_message(&e, command))?;
    if !report.ok {
        return Ok(Prepared::Refused(report));
    }
    let temp = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let ext = if kind == InputKind::UrlList { "txt" } else { "zip" };
    let epoch = crate::pack_cmd::source_date_epoch()?;
    let pack_opts = PackOptions::new(temp.path().join(format!("dataset.{ext}")))
        .with_source_date_epoch(epoch)
        .with_check(opts.clone());
    let (report, manifest) = match stimpack_core::pack_checked(input, report, &pack_opts, &NoopReporter) {
        Ok(PackOutcome::Written { report, manifest, .. }) => (report, manifest),
        Ok(PackOutcome::Refused(report)) => return Ok(Prepared::Refused(report)),
        Err(e) => return Err(e.to_string()),
    };
    let rows = export_rows(platform, &manifest, base_url).map_err(|e| e.to_string())?;
    Ok(Prepared::Ready {
        report,
        manifest: Box::new(manifest),
        rows,
    })
}

/// Refuses an output that would land in the input folder (the next check would read it as part
/// of the dataset) or is the input itself, and one of the wrong kind for the platform.
pub fn check_output(input: &Path, output: &Path, platform: Platform) -> Result<(), String> {
    let want = platform.export_extension().unwrap_or("zip");
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() != Some(want) {
        return Err(format!(
            "{}: {}'s export is a .{want} file; give -o a path ending in .{want}",
            output.display(),
            platform.title()
        ));
    }
    let resolve = |p: &Path| -> Option<PathBuf> {
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Some(fs::canonicalize(parent).ok()?.join(p.file_name()?))
    };
    if let (Ok(input), Some(out)) = (fs::canonicalize(input), resolve(output)) {
        if out == input || (input.is_dir() && out.starts_with(&input)) {
            return Err(format!(
                "{}: the output would be written into the input {} (or over it); write it beside the dataset",
                output.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// The files one export writes: for Coactive several when the rows do not fit in one.
pub fn export_paths(platform: Platform, output: &Path, rows: usize) -> Vec<PathBuf> {
    match platform {
        Platform::Coactive => coactive::asset_file_paths(output, rows, coactive::MAX_ROWS_PER_FILE),
        _ => vec![output.to_path_buf()],
    }
}

/// Writes the export's files and the manifest (whose `archive` is the first export file, and
/// whose `files` list the others), each to a temporary file beside it, renamed into place.
/// Without `force`, an existing file is never replaced. Returns the export files.
pub fn write(
    platform: Platform,
    rows: &[ExportRow],
    manifest: &Manifest,
    output: &Path,
    manifest_path: &Path,
    force: bool,
) -> io::Result<(Vec<PathBuf>, Manifest)> {
    let paths = export_paths(platform, output, rows.len());
    if !force {
        for p in paths.iter().chain([&manifest_path.to_path_buf()]) {
            if p.exists() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{}: already exists. Use --force to overwrite it, or choose another output path",
                        p.display()
                    ),
                ));
            }
        }
    }
    let chunk = match platform {
        Platform::Coactive => coactive::MAX_ROWS_PER_FILE,
        _ => rows.len().max(1),
    };
    let mut infos = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let part = rows.chunks(chunk).nth(i).unwrap_or(&[]);
        let bytes = atomic_write(path, force, |w| match platform {
            Platform::Prolific => prolific::write_csv(part, w),
            Platform::Datature => datature::write_ndjson(part, w),
            _ => coactive::write_assets(part, w),
        })?;
        infos.push((path, bytes));
    }
    let mut manifest = manifest.clone();
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut files = Vec::new();
    for (i, (path, bytes)) in infos.iter().enumerate() {
        let sha256 = sha256_of(path)?;
        if i == 0 {
            manifest.archive = ArchiveInfo {
                file: name(path),
                bytes: *bytes,
                sha256,
            };
        } else {
            files.push(ManifestFile {
                path: name(path),
                bytes: *bytes,
                sha256,
            });
        }
    }
    // The packed zip's side files are not part of a URL export.
    manifest.files = files;
    let json = manifest.to_json();
    atomic_write(manifest_path, force, |w| w.write_all(&json))?;
    Ok((paths, manifest))
}

/// Writes `path` through a temporary file beside it, renamed into place once whole (so a failed
/// write leaves no half file), readable as any new file; gives its length.
pub(crate) fn atomic_write(
    path: &Path,
    force: bool,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u64> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".stimpack-tmp-");
    // As any new file, not tempfile's private 0600: the export is meant to be shared.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let temp = builder
        .tempfile_in(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    {
        let mut w = BufWriter::new(temp.as_file());
        fill(&mut w).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        w.flush()?;
    }
    temp.as_file().sync_all()?;
    let bytes = temp.as_file().metadata()?.len();
    let persisted = if force {
        temp.persist(path).map(|_| ())
    } else {
        temp.persist_noclobber(path).map(|_| ())
    };
    persisted.map_err(|e| io::Error::new(e.error.kind(), format!("{}: {}", path.display(), e.error)))?;
    Ok(bytes)
}

fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
