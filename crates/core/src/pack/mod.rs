//! Packing a checked dataset into a clean, reproducible archive (or URL list) plus its
//! manifest. Nothing is written when the check finds errors; the output appears atomically.
//!
//! Each source file is read once, by one of two reader threads (items alternate between them),
//! which computes its CRC-32 and SHA-256 and hands the buffers to the calling thread; that one
//! writes the archive sequentially and hashes it as it goes (see [`zipwriter`]). The source
//! hashes and the archive hash thus run side by side on two cores. Each reader has a fixed pool
//! of buffers, so memory stays flat whatever the dataset's size. An entry of up to
//! [`WHOLE_CHUNKS`] chunks is held until its reader has the CRC, then written with its final
//! header; a larger one is streamed and its header patched. A third thread puts the archive on
//! disk, with direct I/O where the filesystem allows it (see `outfile`), so the page cache is
//! not filled with a copy of the archive and the final `fsync` is short.

mod outfile;
mod outpaths;
mod writeback;
pub mod zipwriter;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::checker::check_scan;
use crate::error::InputError;
use crate::layout;
use crate::manifest::{self, ArchiveInfo, Manifest, ManifestFile, ManifestGroup, ManifestStimulus};
use crate::options::CheckOptions;
use crate::report::{InputKind, Report, Stimulus};
use crate::scan::{self, Origin, Scan};
use zipwriter::{DosTime, ZipWriter};

/// Size of one read: large enough for few system calls, small enough to keep memory flat.
pub const CHUNK: usize = 1 << 20;
/// Buffers in each reader's pool, shared with the writer: peak memory is about this many chunks
/// per reader. More than [`WHOLE_CHUNKS`], so a reader can always go on while the writer holds
/// one of its entries, and enough to read part of the next entry meanwhile.
pub const POOL_CHUNKS: usize = 24;
const _: () = assert!(POOL_CHUNKS > WHOLE_CHUNKS + 1, "a reader could wait forever");
/// Entries of up to this many chunks are held whole until their CRC is known, then written with
/// their final header; larger ones are streamed and their header patched afterwards.
pub const WHOLE_CHUNKS: usize = 16;
/// What our temporary files are called after the output's name: `.dataset.zip.stimpack-tmp-XXXXXX`.
pub const TEMP_MARKER: &str = ".stimpack-tmp-";

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
    /// Entry timestamps as a Unix time (the CLI passes `SOURCE_DATE_EPOCH`, see
    /// [`source_date_epoch`]); `None`: 1980-01-01 00:00.
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

    /// Sets the entries' timestamp (Unix seconds).
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

/// Reads `SOURCE_DATE_EPOCH` from the environment (reproducible-builds.org convention).
pub fn source_date_epoch() -> Result<Option<i64>, PackError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| PackError::SourceDateEpoch(v)),
        Err(_) => Ok(None),
    }
}

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
    /// The report given to [`pack_checked`] is not a check of this input as it is now.
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
    /// `SOURCE_DATE_EPOCH` is not a number of seconds.
    #[error("SOURCE_DATE_EPOCH='{0}' is not a Unix time in seconds. Set it to an integer or unset it")]
    SourceDateEpoch(String),
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

/// Receives the progress of the writing phase of a pack, for a progress bar; every method has
/// an empty default. Called from the calling thread.
pub trait PackReporter {
    /// Writing starts: `total_bytes` of file data in `entries` entries.
    fn on_start(&self, total_bytes: u64, entries: usize) {
        let _ = (total_bytes, entries);
    }
    /// An entry starts (its path inside the archive).
    fn on_entry(&self, path: &str) {
        let _ = path;
    }
    /// `n` more bytes of file data were written.
    fn on_bytes(&self, n: u64) {
        let _ = n;
    }
    /// Everything is written and in place.
    fn on_finish(&self) {}
}

/// A [`PackReporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopReporter;

impl PackReporter for NoopReporter {}

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
/// made with [`CheckOptions::repack`] on (the default) and, like [`pack`], the strictness you
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

/// A report given to [`pack_checked`] is one of this scan: the same kind of input, the same
/// stimuli at the same paths, with the same sizes.
fn report_matches(scan: &Scan, report: &Report) -> Result<(), PackError> {
    let differs = |what: String| PackError::NotThisReport {
        path: scan.root.clone(),
        what,
    };
    if report.input_kind != scan.kind {
        let name = |kind| match kind {
            InputKind::Folder => "a folder",
            InputKind::Zip => "a zip archive",
            InputKind::UrlList => "a URL list",
        };
        return Err(differs(format!(
            "it is {}, the report is of {}",
            name(scan.kind),
            name(report.input_kind)
        )));
    }
    let layout = layout::analyze(scan, true);
    let mut found: BTreeMap<&str, Option<u64>> = layout
        .groups
        .values()
        .flatten()
        .map(|c| (c.path.as_str(), scan.entries[c.entry].bytes))
        .collect();
    for s in report.stimuli() {
        match found.remove(s.path.as_str()) {
            None => {
                return Err(differs(format!(
                    "'{}' is in the report, not in the input",
                    s.path
                )));
            }
            Some(bytes) if bytes != s.reading.bytes && scan.kind != InputKind::UrlList => {
                return Err(differs(format!(
                    "'{}' is {} bytes, the report says {}",
                    s.path,
                    bytes.map_or("?".to_string(), |b| b.to_string()),
                    s.reading.bytes.map_or("?".to_string(), |b| b.to_string())
                )));
            }
            Some(_) => {}
        }
    }
    match found.keys().next() {
        Some(path) => Err(differs(format!("'{path}' is in the input, not in the report"))),
        None => Ok(()),
    }
}

/// One file to copy into the archive.
struct Item {
    /// NFC name inside the archive.
    name: String,
    /// Index of its scan entry.
    entry: usize,
    /// Size from the scan.
    size: u64,
    deflate: bool,
    /// `(group, stimulus)` indices in the report, for stimuli.
    stimulus: Option<(usize, usize)>,
}

/// What goes into the output, in archive order.
struct Plan {
    items: Vec<Item>,
}

impl Plan {
    fn new(scan: &Scan, report: &Report, compress: bool) -> Plan {
        let layout = layout::analyze(scan, true);
        let entry_of: BTreeMap<&str, usize> = layout
            .groups
            .values()
            .flatten()
            .map(|c| (c.path.as_str(), c.entry))
            .collect();
        let mut items = Vec::new();
        for (gi, group) in report.groups.iter().enumerate() {
            for (si, s) in group.stimuli.iter().enumerate() {
                let Some(&entry) = entry_of.get(s.path.as_str()) else {
                    continue;
                };
                items.push(Item {
                    name: nfc(&s.path),
                    entry,
                    size: scan.entries[entry].bytes.unwrap_or(0),
                    deflate: compress && is_pcm(s),
                    stimulus: Some((gi, si)),
                });
            }
            if let Some(&entry) = layout.configs.get(&group.id) {
                items.push(Item {
                    name: nfc(&format!("{}/{}", group.id, layout::CONFIG_FILE)),
                    entry,
                    size: scan.entries[entry].bytes.unwrap_or(0),
                    deflate: false,
                    stimulus: None,
                });
            }
        }
        if let Some(entry) = layout.providers {
            items.push(Item {
                name: layout::PROVIDERS_FILE.to_string(),
                entry,
                size: scan.entries[entry].bytes.unwrap_or(0),
                deflate: false,
                stimulus: None,
            });
        }
        if scan.kind == InputKind::UrlList {
            // The list keeps its input order.
            items.sort_by_key(|i| i.entry);
        } else {
            items.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Plan { items }
    }
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Uncompressed PCM audio, the only media that deflate shrinks noticeably.
fn is_pcm(s: &Stimulus) -> bool {
    matches!(s.reading.format.as_str(), "wav" | "aiff" | "aifc")
        && s.reading.codec.as_deref().is_none_or(|c| c.starts_with("pcm_"))
}

/// Sizes and times of the files as the check saw them.
struct Snapshot {
    files: BTreeMap<usize, (u64, Option<SystemTime>)>,
    archive: Option<(PathBuf, u64, Option<SystemTime>)>,
}

impl Snapshot {
    fn take(scan: &Scan) -> Snapshot {
        let mut files = BTreeMap::new();
        for (i, e) in scan.entries.iter().enumerate() {
            if let Origin::File(p) = &e.origin {
                if let Ok(m) = fs::metadata(p) {
                    files.insert(i, (m.len(), m.modified().ok()));
                }
            }
        }
        let archive = (scan.kind == InputKind::Zip)
            .then(|| fs::metadata(&scan.root).ok())
            .flatten()
            .map(|m| (scan.root.clone(), m.len(), m.modified().ok()));
        Snapshot { files, archive }
    }

    /// For a zip input: the archive is still as the check saw it.
    fn check_archive(&self) -> Result<(), PackError> {
        if let Some((path, len, mtime)) = &self.archive {
            let meta = fs::metadata(path).map_err(|source| PackError::Read {
                path: path.clone(),
                source,
            })?;
            compare(path, &meta, *len, *mtime)?;
        }
        Ok(())
    }
}

fn compare(path: &Path, meta: &fs::Metadata, len: u64, mtime: Option<SystemTime>) -> Result<(), PackError> {
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

/// What the reader sends the writer.
enum Msg {
    /// The next piece of the current file: a full-size buffer and how much of it is data
    /// (buffers keep their length so that reusing one never zeroes it again).
    Chunk(Vec<u8>, usize),
    /// The current file is done.
    End { crc: u32, sha256: [u8; 32], bytes: u64 },
    /// Reading failed; the writer stops.
    Failed(PackError),
}

/// Per item: SHA-256 and size of what was packed.
type Hashes = Vec<([u8; 32], u64)>;

fn write_zip(
    scan: &Scan,
    snapshot: &Snapshot,
    plan: &Plan,
    output: &Path,
    time: DosTime,
    threads: usize,
    progress: &dyn PackReporter,
) -> Result<(tempfile::NamedTempFile, Hashes, ArchiveInfo), PackError> {
    let tmp = temp_beside(output)?;
    let file = tmp.as_file().try_clone().map_err(|source| PackError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    let total: u64 = plan.items.iter().map(|i| i.size).sum();
    progress.on_start(total, plan.items.len());

    snapshot.check_archive()?;
    let readers = reader_count(threads, plan.items.len());
    let (hashes, archive) = std::thread::scope(|s| {
        let mut inboxes = Vec::with_capacity(readers);
        for first in 0..readers {
            let (tx, rx) = sync_channel::<Msg>(POOL_CHUNKS);
            // Room for every buffer, so giving one back never blocks.
            let (give_back, spare) = sync_channel::<Vec<u8>>(POOL_CHUNKS);
            let mine = plan.items.iter().skip(first).step_by(readers);
            s.spawn(move || read_all(scan, snapshot, mine, tx, Pool::new(spare)));
            inboxes.push(Inbox { rx, give_back });
        }
        write_entries(file, plan, time, &inboxes, output, progress)
    })?;
    // Every read is done: the writer has had the end of every item.
    snapshot.check_archive()?;
    Ok((tmp, hashes, archive))
}

/// Reader threads: two where there are two cores to share (hashing a file costs about as much
/// as hashing the archive, and reading it comes on top), else one. Reader `r` reads items `r`,
/// `r + n`, `r + 2n`, ..., each with its own buffer pool, so one reader running ahead can never
/// take the buffers another one needs for the item the writer is waiting for.
fn reader_count(threads: usize, items: usize) -> usize {
    let cores = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    cores.clamp(1, 2).min(items.max(1))
}

/// The writer's side of one reader: its chunks, and where its buffers go back to.
struct Inbox {
    rx: Receiver<Msg>,
    give_back: SyncSender<Vec<u8>>,
}

/// The reader's side of the buffer pool: at most [`POOL_CHUNKS`] buffers ever exist.
struct Pool {
    spare: Receiver<Vec<u8>>,
    made: usize,
    /// A buffer taken but not sent (the read found the end of the file).
    kept: Option<Vec<u8>>,
}

impl Pool {
    fn new(spare: Receiver<Vec<u8>>) -> Pool {
        Pool {
            spare,
            made: 0,
            kept: None,
        }
    }

    /// A buffer of [`CHUNK`] bytes; `None` if the writer has gone.
    fn take(&mut self) -> Option<Vec<u8>> {
        if let Some(b) = self.kept.take() {
            return Some(b);
        }
        if let Ok(b) = self.spare.try_recv() {
            return Some(b);
        }
        if self.made < POOL_CHUNKS {
            self.made += 1;
            return Some(vec![0; CHUNK]);
        }
        self.spare.recv().ok()
    }
}

/// A reader thread: reads each of its items once, hashing as it goes.
fn read_all<'a>(
    scan: &Scan,
    snapshot: &Snapshot,
    items: impl Iterator<Item = &'a Item>,
    tx: SyncSender<Msg>,
    mut pool: Pool,
) {
    for item in items {
        match read_one(scan, snapshot, item, &tx, &mut pool) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        }
    }
}

/// Reads one item into the queue. `Ok(false)`: the writer has gone.
fn read_one(
    scan: &Scan,
    snapshot: &Snapshot,
    item: &Item,
    tx: &SyncSender<Msg>,
    pool: &mut Pool,
) -> Result<bool, PackError> {
    let entry = &scan.entries[item.entry];
    let (mut reader, path): (Box<dyn Read + Send>, PathBuf) = match &entry.origin {
        Origin::File(p) => {
            let read_err = |source| PackError::Read {
                path: p.clone(),
                source,
            };
            let f = File::open(p).map_err(read_err)?;
            advise_sequential(&f);
            if let Some(&(len, mtime)) = snapshot.files.get(&item.entry) {
                compare(p, &f.metadata().map_err(read_err)?, len, mtime)?;
            }
            (Box::new(f), p.clone())
        }
        Origin::Zip(z) => {
            let path = scan.root.join(&entry.path);
            let source = scan.zip.as_ref().ok_or_else(|| PackError::Read {
                path: scan.root.clone(),
                source: io::Error::other("the archive is not open"),
            })?;
            // Inflated as it is copied, in constant memory; a mismatch with the declared size
            // or CRC-32 ends the read with the entry's damage.
            let r = source.stream(z).map_err(|source| PackError::Read {
                path: path.clone(),
                source,
            })?;
            (r, path)
        }
        Origin::Url { .. } => return Ok(true),
    };
    let mut crc = crc32fast::Hasher::new();
    let mut sha = Sha256::new();
    let mut bytes = 0u64;
    loop {
        let Some(mut buf) = pool.take() else {
            return Ok(false);
        };
        // Whole chunks, so chunk boundaries do not depend on the OS.
        let n = crate::probe::read_up_to(&mut reader, &mut buf).map_err(|source| PackError::Read {
            path: path.clone(),
            source,
        })?;
        if n == 0 {
            pool.kept = Some(buf);
            break;
        }
        crc.update(&buf[..n]);
        sha.update(&buf[..n]);
        bytes += n as u64;
        if tx.send(Msg::Chunk(buf, n)).is_err() {
            return Ok(false);
        }
        if n < CHUNK {
            break;
        }
    }
    let crc = crc.finalize();
    if bytes != item.size {
        return Err(PackError::SourceChanged {
            path,
            what: format!("it now has {bytes} bytes instead of {}", item.size),
        });
    }
    match &entry.origin {
        Origin::File(p) => {
            if let Some(&(len, mtime)) = snapshot.files.get(&item.entry) {
                let meta = fs::metadata(p).map_err(|source| PackError::Read {
                    path: p.clone(),
                    source,
                })?;
                compare(p, &meta, len, mtime)?;
            }
        }
        Origin::Zip(z) if z.crc32 != crc => {
            return Err(PackError::DamagedEntry {
                archive: scan.root.clone(),
                entry: entry.path.clone(),
            });
        }
        _ => {}
    }
    let sha256: [u8; 32] = sha.finalize().into();
    Ok(tx.send(Msg::End { crc, sha256, bytes }).is_ok())
}

/// Tells the kernel the file is read once from start to end (larger read-ahead when it is not
/// cached yet). A hint: errors are ignored.
fn advise_sequential(f: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain system call on a file descriptor we own; no memory is passed.
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_SEQUENTIAL);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = f;
}

/// The writer: lays entries down in plan order as the reader's chunks arrive.
fn write_entries(
    file: File,
    plan: &Plan,
    time: DosTime,
    inboxes: &[Inbox],
    output: &Path,
    progress: &dyn PackReporter,
) -> Result<(Hashes, ArchiveInfo), PackError> {
    let werr = |source| PackError::Write {
        path: output.to_path_buf(),
        source,
    };
    let gone = || PackError::Read {
        path: output.to_path_buf(),
        source: io::Error::other("the reading thread stopped unexpectedly"),
    };
    let mut zip = ZipWriter::new(file, time).map_err(werr)?;
    let mut hashes = Vec::with_capacity(plan.items.len());
    // Chunks of the current entry waiting for its CRC.
    let mut held: Vec<(Vec<u8>, usize)> = Vec::with_capacity(WHOLE_CHUNKS + 1);
    let whole_max = (WHOLE_CHUNKS * CHUNK) as u64;
    for (i, item) in plan.items.iter().enumerate() {
        progress.on_entry(&item.name);
        let Inbox { rx, give_back } = &inboxes[i % inboxes.len()];
        let mut streaming = false;
        loop {
            match rx.recv().map_err(|_| gone())? {
                Msg::Failed(e) => return Err(e),
                Msg::Chunk(buf, n) => {
                    if streaming {
                        zip.data(&buf[..n]).map_err(werr)?;
                        progress.on_bytes(n as u64);
                        let _ = give_back.try_send(buf);
                        continue;
                    }
                    held.push((buf, n));
                    // Too big to hold (by its size, or because it grew): stream it.
                    if item.size > whole_max || held.len() > WHOLE_CHUNKS {
                        zip.begin(&item.name, item.size, item.deflate).map_err(werr)?;
                        for (buf, n) in held.drain(..) {
                            zip.data(&buf[..n]).map_err(werr)?;
                            progress.on_bytes(n as u64);
                            let _ = give_back.try_send(buf);
                        }
                        streaming = true;
                    }
                }
                Msg::End { crc, sha256, bytes } => {
                    if streaming {
                        zip.end(crc).map_err(werr)?;
                    } else {
                        let pieces: Vec<&[u8]> = held.iter().map(|(b, n)| &b[..*n]).collect();
                        zip.write_whole(&item.name, &pieces, crc, item.deflate)
                            .map_err(werr)?;
                        drop(pieces);
                        for (buf, n) in held.drain(..) {
                            progress.on_bytes(n as u64);
                            let _ = give_back.try_send(buf);
                        }
                    }
                    hashes.push((sha256, bytes));
                    break;
                }
            }
        }
    }
    let done = zip.finish().map_err(werr)?;
    done.file.sync_all().map_err(werr)?;
    Ok((hashes, archive_info(output, done.len, &done.sha256)))
}

fn write_url_list(
    scan: &Scan,
    plan: &Plan,
    output: &Path,
) -> Result<(tempfile::NamedTempFile, ArchiveInfo), PackError> {
    let tmp = temp_beside(output)?;
    let mut text = String::new();
    for item in &plan.items {
        if let Origin::Url { url, .. } = &scan.entries[item.entry].origin {
            text.push_str(url);
            text.push('\n');
        }
    }
    (|| {
        let mut f = tmp.as_file();
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })()
    .map_err(|source| PackError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    let sha: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    let info = archive_info(output, text.len() as u64, &sha);
    Ok((tmp, info))
}

/// What the manifest says about the output file.
fn archive_info(output: &Path, bytes: u64, sha256: &[u8; 32]) -> ArchiveInfo {
    ArchiveInfo {
        file: output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        sha256: manifest::hex(sha256),
    }
}

fn build_manifest(
    report: &Report,
    plan: &Plan,
    hashes: &Hashes,
    archive: ArchiveInfo,
    epoch: Option<i64>,
) -> Manifest {
    let mut sha_of: BTreeMap<(usize, usize), String> = BTreeMap::new();
    let mut files = Vec::new();
    for (item, (sha, bytes)) in plan.items.iter().zip(hashes) {
        match item.stimulus {
            Some(key) => {
                sha_of.insert(key, manifest::hex(sha));
            }
            None => files.push(ManifestFile {
                path: item.name.clone(),
                bytes: *bytes,
                sha256: manifest::hex(sha),
            }),
        }
    }
    let mut groups: Vec<ManifestGroup> = report
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| {
            let mut stimuli: Vec<ManifestStimulus> = g
                .stimuli
                .iter()
                .enumerate()
                .map(|(si, s)| {
                    let mut stimulus = s.clone();
                    stimulus.path = nfc(&s.path);
                    stimulus.group = nfc(&s.group);
                    stimulus.condition = nfc(&s.condition);
                    ManifestStimulus {
                        stimulus,
                        sha256: sha_of.remove(&(gi, si)),
                    }
                })
                .collect();
            stimuli.sort_by(|a, b| a.stimulus.path.cmp(&b.stimulus.path));
            ManifestGroup {
                id: nfc(&g.id),
                config: g.config.clone(),
                stimuli,
            }
        })
        .collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    Manifest {
        schema_version: manifest::MANIFEST_SCHEMA_VERSION,
        tool: format!("stimpack {}", env!("CARGO_PKG_VERSION")),
        created: epoch.map(manifest::rfc3339),
        input_kind: report.input_kind,
        archive,
        summary: report.summary.clone(),
        groups,
        files,
        issues: report.issues.clone(),
    }
}

/// The folder a path is in (`.` for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}{TEMP_MARKER}")
}

/// A temporary file in the output's folder, removed on drop unless persisted. It is locked
/// while this run lives, so another run's clean-up (see [`remove_stale_temps`]) leaves it alone.
fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, PackError> {
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .rand_bytes(6)
        .tempfile_in(folder_of(path))
        .map_err(|source| PackError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    lock_exclusive(tmp.as_file());
    Ok(tmp)
}

/// Removes temporary files a killed earlier run left beside `path`: those nobody holds a lock
/// on (the kernel drops a process's locks when it ends, even by `kill -9`). A temporary file of
/// a pack running at the same time is locked, and kept.
fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(dir) = fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(&prefix)
            && entry.file_type().is_ok_and(|t| t.is_file())
            && File::open(entry.path()).is_ok_and(|f| lock_exclusive(&f))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Takes an exclusive advisory lock (`flock`) without waiting; whether it was taken, or
/// locks are not available here (then nothing can be known to be in use). Every Unix has
/// `flock` but Solaris (illumos has it).
#[cfg(all(unix, not(target_os = "solaris")))]
fn lock_exclusive(f: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own, with integer arguments only.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EWOULDBLOCK)
}

#[cfg(any(not(unix), target_os = "solaris"))]
fn lock_exclusive(_f: &File) -> bool {
    true
}

/// Renames a finished temporary file into place and makes the rename durable. Without
/// `force`, the rename itself refuses to replace a file that appeared since the first check.
fn persist(tmp: tempfile::NamedTempFile, path: &Path, force: bool) -> Result<(), PackError> {
    let werr = |source| PackError::Write {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644)).map_err(werr)?;
    }
    if force {
        tmp.persist(path).map_err(|e| werr(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => PackError::OutputExists(path.to_path_buf()),
            _ => werr(e.error),
        })?;
    }
    #[cfg(unix)]
    File::open(folder_of(path))
        .and_then(|d| d.sync_all())
        .map_err(werr)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entry sizes around the buffering limits, through the whole path: held whole, exactly
    /// `WHOLE_CHUNKS` chunks, one byte more (streamed and read back for the archive hash), and a
    /// file ending exactly on a chunk boundary, in both orders, so each reader meets a largest
    /// whole entry next to a streamed one. The archive's SHA-256 must match its bytes.
    #[test]
    fn archive_hash_is_exact_around_the_buffering_limits() {
        let png = crate::test_fixtures::fixture("image/png.png");
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in");
        fs::create_dir_all(input.join("s1")).unwrap();
        let sizes = [
            ("a.png", 0),
            ("b.png", CHUNK as u64),
            ("c.png", (WHOLE_CHUNKS * CHUNK) as u64),
            ("d.png", (WHOLE_CHUNKS * CHUNK) as u64 + 1),
            ("e.png", (WHOLE_CHUNKS * CHUNK) as u64 + 1),
            ("f.png", (WHOLE_CHUNKS * CHUNK) as u64),
            ("g.png", 3 * CHUNK as u64 + 17),
        ];
        for (name, size) in sizes {
            // A real PNG, then bytes up to the size (not zeros, so a misplaced chunk shows).
            let mut bytes = png.clone();
            let pad = (size as usize).saturating_sub(png.len());
            bytes.extend((0..pad).map(|i| (i % 253) as u8));
            fs::write(input.join("s1").join(name), bytes).unwrap();
        }
        let out = tmp.path().join("dataset.zip");
        let outcome = pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap();
        let PackOutcome::Written { manifest, .. } = outcome else {
            panic!("refused");
        };
        let bytes = fs::read(&out).unwrap();
        assert_eq!(manifest.archive.bytes, bytes.len() as u64);
        assert_eq!(manifest.archive.sha256, manifest::hex(&Sha256::digest(&bytes)));
        let mut archive = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
        for (name, _) in sizes {
            let mut back = Vec::new();
            archive
                .by_name(&format!("s1/{name}"))
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, fs::read(input.join("s1").join(name)).unwrap(), "{name}");
        }
    }

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

    /// A temporary file of a pack still running (locked) survives another run's clean-up; one
    /// left by a killed run (no lock) does not.
    #[test]
    fn clean_up_keeps_temp_files_in_use() {
        let tmp = tempfile::tempdir().unwrap();
        let output = tmp.path().join("dataset.zip");
        let running = temp_beside(&output).unwrap();
        let stale = tmp.path().join(format!("{}abcdef", temp_prefix(&output)));
        fs::write(&stale, b"half an archive").unwrap();
        remove_stale_temps(&output);
        assert!(running.path().exists());
        assert!(!stale.exists());
        drop(running);
    }
}
