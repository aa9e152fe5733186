//! The check itself: scan the input, work out its layout, probe every stimulus in parallel,
//! apply the rules, and assemble the report.

use std::fs::File;
use std::io::{Read, Seek};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rayon::prelude::*;

use crate::error::InputError;
use crate::jsonfiles::{self, JsonProblem};
use crate::layout::{self, Candidate};
use crate::options::CheckOptions;
use crate::probe::{self, Probe};
use crate::report::{Code, Group, InputKind, Issue, MediaKind, Report, Severity, Stimulus};
use crate::rules;
use crate::scan::ziparchive::DamagedEntry;
use crate::scan::{self, Entry, Origin, Scan};
use crate::sniff::{self, ExtensionKind};

/// Buffer for reading one media file: headers are small, and frame walks read sequentially.
const READ_BUFFER: usize = 32 << 10;

/// Checks a folder, zip archive or URL list (`.txt`, one URL per line).
///
/// Fails only when the input itself cannot be read; every problem with its content is a
/// finding in the report.
pub fn check(input: &Path, opts: &CheckOptions) -> Result<Report, InputError> {
    let scan = scan::scan_with(input, opts.allow_private_urls())?;
    Ok(check_scan(&scan, opts))
}

/// Checks several inputs one after another, each only when the iterator reaches it, so a
/// caller can show each report as it comes and keep little in memory. Each item is the input
/// with its own result: an input that cannot be read does not stop the others.
///
/// ```
/// # let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/demo");
/// let inputs = [demo.join("speech_1"), demo.join("no_such_folder")];
/// let opts = stimpack_core::CheckOptions::default();
/// for (input, result) in stimpack_core::check_many(&inputs, &opts) {
///     match result {
///         Ok(report) => println!("{}: ok={}", input.display(), report.ok),
///         Err(e) => println!("{e}"), // "…/no_such_folder: no such file or folder. …"
///     }
/// }
/// ```
pub fn check_many<'i, P: AsRef<Path> + 'i>(
    inputs: impl IntoIterator<Item = &'i P>,
    opts: &CheckOptions,
) -> impl Iterator<Item = (&'i Path, Result<Report, InputError>)> {
    inputs.into_iter().map(move |input| {
        let input = input.as_ref();
        (input, check(input, opts))
    })
}

/// Checks a URL list held in memory (the bytes of a `.txt` list, read from stdin, say);
/// `name` stands for it in the report's `input`.
///
/// ```
/// let list = b"https://example.com/data/s1/reference.wav\nhttps://example.com/data/s1/a.wav\n";
/// let report = stimpack_core::check_url_list(list, "urls", &Default::default());
/// assert_eq!(report.summary.stimuli, 2);
/// ```
pub fn check_url_list(bytes: &[u8], name: &str, opts: &CheckOptions) -> Report {
    let (entries, issues) = scan::urls::parse_with(bytes, opts.allow_private_urls());
    let scan = Scan {
        kind: InputKind::UrlList,
        root: name.into(),
        entries,
        folders: Vec::new(),
        issues,
        zip: None,
    };
    check_scan(&scan, opts)
}

#[cfg(test)]
mod url_list_from_tests {
    use super::*;

    #[test]
    fn a_url_list_stream_past_the_limit_is_refused_with_a_message() {
        let data = [b'#'; 101];
        let err = scan::urls::read_limited(&data[..], "-".as_ref(), 100).unwrap_err();
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("larger than"), "{err}");
        assert_eq!(
            scan::urls::read_limited(&data[..100], "-".as_ref(), 100)
                .unwrap()
                .len(),
            100
        );
    }
}

/// Checks a URL list read from `input` (stdin, a socket, ...), named `name` in the report.
/// At most [`MAX_URL_LIST_BYTES`](crate::MAX_URL_LIST_BYTES) are read, as for a `.txt` file;
/// a longer list is an [`InputError::TooLarge`].
pub fn check_url_list_from(
    input: impl std::io::Read,
    name: &str,
    opts: &CheckOptions,
) -> Result<Report, InputError> {
    let bytes = scan::urls::read_limited(input, name.as_ref(), scan::urls::MAX_URL_LIST_BYTES)?;
    Ok(check_url_list(&bytes, name, opts))
}

/// What kind of input a path is, by the rules [`check`] uses: a folder, a `.zip` archive or a
/// `.txt` URL list. Errors as [`check`] would (missing path, another kind of file).
pub fn input_kind(input: &Path) -> Result<InputKind, InputError> {
    scan::detect(input)
}

/// One file probed on its own: what [`probe_file`] returns.
///
/// The stimulus record is the one [`check`] makes for a file in a dataset, read as if the
/// file's folder were its source: `path` is the path as given, `group` the folder's name,
/// `condition` the file name without its extension, and `role` follows the default names
/// ([`DEFAULT_REFERENCE`](crate::DEFAULT_REFERENCE), [`DEFAULT_ANCHORS`](crate::DEFAULT_ANCHORS)).
/// Rules across files (durations of one source, experiment rules) need a dataset: use
/// [`check`] for them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Probed {
    /// The readings: media kind, format, codec, duration, size, picture size, ...
    pub stimulus: Stimulus,
    /// The file's own findings (damaged, cut short, wrong extension, unreadable, ...), each
    /// with `path` set to the path as given; sorted like a report's.
    pub issues: Vec<Issue>,
}

impl Probed {
    /// True when no finding is an error.
    pub fn ok(&self) -> bool {
        self.issues.iter().all(|i| i.severity != Severity::Error)
    }
}

/// Probes one media file (or `.req.json` / `.js` stimulus): its readings and its findings.
///
/// A damaged or unreadable file is not an `Err`: it is a [`Probed`] with error findings, as
/// in a report. `Err` only when `path` does not exist or is not a file.
pub fn probe_file(path: &Path) -> Result<Probed, InputError> {
    let meta = scan::metadata(path)?;
    if !meta.is_file() {
        return Err(InputError::NotAFile(path.to_path_buf()));
    }
    let shown = path.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/");
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    let (condition, extension) = layout::split_name(&file);
    let group = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let scan = Scan {
        kind: InputKind::Folder,
        root: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        entries: vec![Entry {
            path: shown.clone(),
            origin: Origin::File(path.to_path_buf()),
            bytes: Some(meta.len()),
        }],
        folders: Vec::new(),
        issues: Vec::new(),
        zip: None,
    };
    let candidate = Candidate {
        entry: 0,
        path: shown.clone(),
        group,
        condition: condition.to_string(),
        extension,
        line: None,
    };
    let (stimulus, mut issues) = stimulus(&scan, &candidate, &shown, &CheckOptions::default());
    crate::report::sort_issues(&mut issues);
    Ok(Probed { stimulus, issues })
}

/// Checks an input that has already been scanned (the `pack` step reuses the scan).
pub(crate) fn check_scan(scan: &Scan, opts: &CheckOptions) -> Report {
    let layout = layout::analyze(scan, opts.repack);
    let mut issues = scan.issues.clone();
    if opts.repack && scan.kind == InputKind::Zip {
        // `pack` writes every name as flagged UTF-8.
        for issue in issues.iter_mut().filter(|i| i.code == Code::NonUtf8Name) {
            issue.severity = Severity::Warning;
        }
    }
    issues.extend(layout.issues.iter().cloned());

    let candidates: Vec<&Candidate> = layout.groups.values().flatten().collect();
    let probe_all = || -> Vec<(Stimulus, Vec<Issue>)> {
        candidates
            .par_iter()
            .map(|c| stimulus(scan, c, &layout.input_path(&c.path), opts))
            .collect()
    };
    // Hosted files are probed many at once: the time goes into waiting for servers.
    let threads = match &opts.online {
        Some(online) if scan.kind == InputKind::UrlList => online.concurrency(),
        _ => opts.threads,
    };
    let probed = match threads {
        0 => probe_all(),
        n => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(probe_all),
            Err(_) => probe_all(),
        },
    };

    let mut groups: Vec<Group> = Vec::with_capacity(layout.groups.len());
    let mut probed = probed.into_iter();
    for (id, members) in &layout.groups {
        let mut stimuli = Vec::with_capacity(members.len());
        for _ in members {
            let Some((stimulus, found)) = probed.next() else {
                break;
            };
            issues.extend(found);
            stimuli.push(stimulus);
        }
        // In path order, as the report lists them, so the rules name files in the same order
        // whatever the order of a URL list's lines.
        stimuli.sort_by(|a, b| a.path.cmp(&b.path));
        let config = layout.configs.get(id).and_then(|&i| config(scan, i, &mut issues));
        groups.push(Group {
            id: id.clone(),
            config,
            stimuli,
        });
    }
    for (id, &i) in &layout.configs {
        if !layout.groups.contains_key(id) {
            config(scan, i, &mut issues);
        }
    }
    if let Some(i) = layout.providers {
        providers(scan, i, &mut issues);
    }
    issues.extend(rules::check_groups_in(&groups, opts, &|p: &str| {
        layout.input_path(p)
    }));
    issues.extend(crate::analyze::group::check_groups(&groups, opts, &|p: &str| {
        layout.input_path(p)
    }));

    let mut report = Report::new(scan.root.display().to_string(), scan.kind, groups, issues);
    if opts.strict {
        report.make_strict();
    }
    // The platform's own rules, on the finished report (they read its stimuli).
    opts.platform.apply_rules(report, opts.strict)
}

/// A parser panicked on a file: one finding for that file, never a crash of the run.
fn crashed(panic: Box<dyn std::any::Any + Send>) -> Probe {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let message = format!(
        "the file's structure crashed the reader ({what}); it is almost certainly damaged. \
         Export it again (and please report this file to stimpack)"
    );
    Probe::failed(None, probe::Finding::error(Code::InvalidMedia, message))
}

/// Probes one candidate and turns it into a stimulus plus findings (at `place`, its path
/// relative to the input).
fn stimulus(scan: &Scan, c: &Candidate, place: &str, opts: &CheckOptions) -> (Stimulus, Vec<Issue>) {
    let entry = &scan.entries[c.entry];
    let mut remote_details = None;
    let (mut probe, bytes) = match &entry.origin {
        Origin::Url { url, .. } => match &opts.online {
            Some(online) => catch_unwind(AssertUnwindSafe(|| {
                let (probe, bytes, details) = crate::remote::probe_url(online, url, &c.extension);
                remote_details = Some(details);
                (probe, bytes)
            }))
            .unwrap_or_else(|panic| (crashed(panic), entry.bytes)),
            None => (probe::from_extension(&c.extension), entry.bytes),
        },
        _ => catch_unwind(AssertUnwindSafe(|| probe_entry(scan, entry, &c.extension)))
            .unwrap_or_else(|panic| (crashed(panic), entry.bytes)),
    };
    // Decoding proves the stream of a file that otherwise looks healthy; a file already found
    // damaged would only fail again for the same reason.
    let healthy = probe.findings.iter().all(|f| f.severity != Severity::Error);
    let expected_s = probe.reading.as_ref().and_then(|r| r.duration_s);
    let decodable = probe.media == Some(MediaKind::Audio) && healthy && expected_s.is_some();
    let local = !matches!(entry.origin, Origin::Url { .. });
    let mut levels = crate::analyze::AudioLevels::default();
    if (opts.decode || opts.analyze.is_some()) && decodable && local {
        probe.findings.extend(match open_entry(scan, entry) {
            Ok((reader, len)) => match &opts.analyze {
                // One decode serves both the stream check and the measurements.
                Some(a) => {
                    let (found, measured) =
                        crate::analyze::decode_and_measure(reader, len, &c.extension, expected_s, a);
                    levels = measured;
                    found
                }
                None => probe::decode::findings(reader, len, &c.extension, expected_s),
            },
            Err(_) => Vec::new(), // already reported by the probe
        });
    }
    let mut details = remote_details.unwrap_or_default();
    if let (Some(media), Some(reading), true) = (probe.media, &probe.reading, local) {
        // Header reads beyond the probe's: a bug in them costs the details, never the run.
        let inspect = || crate::analyze::playability::inspect(media, reading, || open_entry(scan, entry));
        if let Ok((d, found)) = catch_unwind(AssertUnwindSafe(inspect)) {
            details = d;
            probe.findings.extend(found);
        }
    }
    let role = opts.role_of(&c.condition);
    let mut reading = probe.reading.unwrap_or_default();
    let url = match &entry.origin {
        Origin::Url { url, .. } => Some(url.clone()),
        _ => None,
    };
    if reading.format.is_empty() {
        reading.format = c.extension.as_str().into();
    }
    reading.bytes = bytes;
    reading.duration_s = reading.duration_s.map(crate::report::round_seconds);
    reading.fps = reading.fps.map(|f| (f * 1000.0).round() / 1000.0);
    let stimulus = Stimulus {
        path: c.path.clone(),
        group: c.group.clone(),
        condition: c.condition.clone(),
        role,
        media: probe.media.unwrap_or(MediaKind::Audio),
        reading,
        details,
        levels,
        url,
    };
    let line = entry.line();
    let issues = probe
        .findings
        .into_iter()
        .map(|f| Issue {
            line,
            ..Issue::new(f.severity, f.code, place.to_string(), f.message)
        })
        .collect();
    (stimulus, issues)
}

/// Opens an entry's bytes for reading with seeking, with its length.
pub(crate) fn open_entry(scan: &Scan, entry: &Entry) -> std::io::Result<(Box<dyn ReadSeekSend>, u64)> {
    match &entry.origin {
        Origin::File(path) => {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            Ok((Box::new(probe::SeekBuf::with_capacity(READ_BUFFER, file)), len))
        }
        Origin::Zip(z) => {
            let source = scan
                .zip
                .as_ref()
                .ok_or_else(|| std::io::Error::other("the archive is not open"))?;
            let (reader, len) = source.open(z)?;
            Ok((Box::new(probe::SeekBuf::with_capacity(READ_BUFFER, reader)), len))
        }
        Origin::Url { .. } => Err(std::io::Error::other("a URL is not read from disk")),
    }
}

/// `Read + Seek + Send + Sync`, as a trait object.
pub(crate) trait ReadSeekSend: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> ReadSeekSend for T {}

/// Probes a file or zip entry; with the size it really has (a zip entry's declared size may lie).
fn probe_entry(scan: &Scan, entry: &Entry, extension: &str) -> (Probe, Option<u64>) {
    let media = sniff::extension_kind(extension).map(ExtensionKind::media);
    match open_entry(scan, entry) {
        Ok((mut reader, len)) => (probe::probe(&mut reader, len, extension), Some(len)),
        Err(e) => match DamagedEntry::of(&e) {
            // The data is not what the archive says: probing it would measure something else
            // than what a tool that trusts the headers unpacks.
            Some(damage) => (
                Probe::failed(
                    media,
                    probe::Finding::error(Code::DamagedEntry, damage.message.clone()),
                ),
                damage.actual_size.or(entry.bytes),
            ),
            None => {
                let hint = match entry.origin {
                    Origin::Zip(_) => "Check that the archive is complete and readable",
                    _ => "Check that it exists and that you may read it",
                };
                let finding =
                    probe::Finding::error(Code::UnreadableFile, format!("cannot be read: {e}. {hint}"));
                (Probe::failed(media, finding), entry.bytes)
            }
        },
    }
}

fn read_json(scan: &Scan, entry: &Entry) -> Result<Vec<u8>, String> {
    let (reader, len) = open_entry(scan, entry).map_err(|e| format!("cannot be read: {e}"))?;
    if len > jsonfiles::MAX_JSON_BYTES {
        return Err(format!("is {len} bytes, too large for a configuration file"));
    }
    let mut bytes = Vec::new();
    reader
        .take(jsonfiles::MAX_JSON_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    Ok(bytes)
}

fn config(scan: &Scan, i: usize, issues: &mut Vec<Issue>) -> Option<serde_json::Value> {
    let entry = &scan.entries[i];
    let path = entry.path.clone();
    let bytes = match read_json(scan, entry) {
        Ok(b) => b,
        Err(why) => {
            issues.push(Issue::error(
                Code::InvalidConfig,
                path,
                format!("the source's config.json {why}"),
            ));
            return None;
        }
    };
    let (value, problems) = jsonfiles::validate_config(&bytes);
    for p in problems {
        issues.push(match p {
            JsonProblem::Error(m) => {
                Issue::error(Code::InvalidConfig, path.clone(), format!("config.json: {m}"))
            }
            JsonProblem::Warning(m) => {
                Issue::warning(Code::UnknownConfigKey, path.clone(), format!("config.json: {m}"))
            }
        });
    }
    value
}

fn providers(scan: &Scan, i: usize, issues: &mut Vec<Issue>) {
    let entry = &scan.entries[i];
    if let Err(why) = read_json(scan, entry).and_then(|b| jsonfiles::validate_providers(&b)) {
        issues.push(Issue::error(
            Code::InvalidProviders,
            entry.path.clone(),
            format!("providers.json {why}"),
        ));
    }
}
