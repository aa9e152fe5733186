//! `stimpack upload`, `status` and `datasets`: the platform commands. Upload checks (and packs
//! a folder or URL list) before touching the network, then hands the file to the client
//! library, which streams, retries, polls and verifies. Results go to stdout (the dataset id,
//! or JSON), progress and explanations to stderr.

use std::io::{self, Write};
use std::time::Instant;

use serde::Serialize;
use stimpack_client::mabyduck::validate_name;
use stimpack_client::{
    ClientError, DatasetDetail, DatasetStatus, DatasetSummary, ExpectedStimulus, UploadOutcome, UploadRequest,
};
use stimpack_core::{InputKind, PackOptions, PackOutcome, Report};

use crate::Exit;
use crate::cli::{ColorChoice, DatasetsArgs, StatusArgs, UploadArgs, Verbosity};
use crate::pack_cmd::source_date_epoch;
use crate::platform::{ConfigError, Progress, explain};
use crate::render;
use crate::say;
use crate::term::{self, escape};

/// `upload --json`: what was uploaded, in the words of the check report and the manifest.
#[derive(Serialize)]
struct UploadView<'a> {
    id: &'a str,
    name: &'a str,
    filename: &'a str,
    bytes: u64,
    status: &'a DatasetStatus,
    stimuli: Option<usize>,
    verified: bool,
}

impl<'a> From<&'a UploadOutcome> for UploadView<'a> {
    fn from(o: &'a UploadOutcome) -> Self {
        UploadView {
            id: &o.dataset_id,
            name: &o.name,
            filename: &o.filename,
            bytes: o.bytes,
            status: &o.status,
            stimuli: o.stimuli,
            verified: o.verified,
        }
    }
}

/// `status --json`: the dataset, its stimuli named `path` and `group` as in the report.
#[derive(Serialize)]
struct DatasetView<'a> {
    id: &'a str,
    name: Option<&'a str>,
    status: Option<&'a DatasetStatus>,
    error: Option<&'a str>,
    stimuli: Vec<StimulusView<'a>>,
}

#[derive(Serialize)]
struct StimulusView<'a> {
    path: &'a str,
    group: &'a str,
}

impl<'a> From<&'a DatasetDetail> for DatasetView<'a> {
    fn from(d: &'a DatasetDetail) -> Self {
        DatasetView {
            id: &d.id,
            name: d.name.as_deref(),
            status: d.status.as_ref(),
            error: d.error.as_deref(),
            stimuli: d
                .stimuli
                .iter()
                .map(|s| StimulusView {
                    path: &s.filepath,
                    group: &s.group_id,
                })
                .collect(),
        }
    }
}

/// One entry of `datasets --json`; `created` as in the manifest.
#[derive(Serialize)]
struct SummaryView<'a> {
    id: &'a str,
    name: &'a str,
    status: &'a DatasetStatus,
    created: Option<&'a str>,
    last_used: Option<&'a str>,
    deleted: bool,
}

impl<'a> From<&'a DatasetSummary> for SummaryView<'a> {
    fn from(d: &'a DatasetSummary) -> Self {
        SummaryView {
            id: &d.id,
            name: &d.name,
            status: &d.status,
            created: d.date_created.as_deref(),
            last_used: d.date_last_used.as_deref(),
            deleted: d.is_deleted,
        }
    }
}

/// The exit code a client failure stands for.
pub(crate) fn exit_for(e: &ClientError) -> Exit {
    match e {
        ClientError::ProcessingFailed { .. }
        | ClientError::StimuliMismatch { .. }
        | ClientError::DatasetNotFound { .. } => Exit::Findings,
        ClientError::InvalidApiKey { .. }
        | ClientError::InvalidProjectId { .. }
        | ClientError::InvalidName { .. }
        | ClientError::InvalidFilename { .. }
        | ClientError::InvalidBaseUrl { .. }
        | ClientError::ReadFile { .. } => Exit::Usage,
        _ => Exit::Platform,
    }
}

fn fail(message: impl std::fmt::Display, exit: Exit) -> io::Result<Exit> {
    say!("stimpack: {message}");
    Ok(exit)
}

/// A dataset with errors: the report on stderr (and with `--json` on stdout too, as `pack
/// --json` does), and nothing sent.
fn refused(report: &Report, hint: &str, args: &UploadArgs, verbosity: Verbosity) -> io::Result<Exit> {
    if args.json {
        let mut out = term::stdout();
        serde_json::to_writer_pretty(&mut out, report).map_err(io::Error::from)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        let style = render::Style::new(ColorChoice::Auto, true).with_verbosity(verbosity);
        render::report(&mut term::stderr(), report, &style)?;
    }
    say!("nothing uploaded: {hint}");
    Ok(Exit::Findings)
}

/// A file name for the packed dataset, from its name: what the platform will show.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.trim_matches('_').is_empty() {
        "dataset".to_string()
    } else {
        stem
    }
}

/// Runs `stimpack upload`.
pub fn upload(args: &UploadArgs, verbosity: Verbosity) -> io::Result<Exit> {
    if let Some(exit) = crate::platforms::upload::run(args, verbosity)? {
        return Ok(exit);
    }
    if args.input.as_os_str() == crate::check_cmd::STDIN {
        return fail(
            "upload reads files, not stdin: save the URL list as a .txt file and upload that",
            Exit::Usage,
        );
    }
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    if let Err(e) = validate_name(&args.name) {
        return fail(e, Exit::Usage);
    }
    let kind = match stimpack_core::input_kind(&args.input) {
        Ok(k) => k,
        Err(e) => return fail(crate::check_cmd::input_message(&e, "upload"), Exit::Usage),
    };
    // Folders and URL lists are packed (a clean zip, a list without comments); a zip is sent
    // as it is, once it passes the check. The packed file lives in a temporary folder (made
    // only when needed) until the upload is done.
    let mut temp = None;
    let (file, stimuli, report) = if kind == InputKind::Zip {
        // Sent as it is, so what only `pack` would repair is an error here.
        let report = match stimpack_core::check(&args.input, &args.rules.to_options().with_repack(false)) {
            Ok(r) => r,
            Err(e) => return fail(e, Exit::Usage),
        };
        if !report.ok {
            let hint = format!(
                "`stimpack pack {} -o clean.zip` repairs what packing can (wrapping folder, junk, names); \
                 fix the rest at the source",
                args.input.display()
            );
            return refused(&report, &hint, args, verbosity);
        }
        let stimuli = expected(report.stimuli().map(|s| (s.path.as_str(), s.group.as_str())));
        (args.input.clone(), stimuli, report)
    } else {
        let ext = if kind == InputKind::UrlList { "txt" } else { "zip" };
        let output = match &args.keep {
            Some(path) => path.clone(),
            None => temp
                .insert(tempfile::tempdir()?)
                .path()
                .join(format!("{}.{ext}", file_stem(&args.name))),
        };
        let epoch = match source_date_epoch() {
            Ok(e) => e,
            Err(e) => return fail(e, Exit::Usage),
        };
        let opts = PackOptions::new(&output)
            .with_force(args.keep.is_none())
            .with_source_date_epoch(epoch)
            .with_check(args.rules.to_options());
        // Reading a URL list with --online: the same progress line and summary as `pack`.
        let progress = crate::online::Progress::start(args.rules.online.online, verbosity);
        let packed = stimpack_core::pack(&args.input, &opts, &stimpack_core::NoopReporter);
        if let Some(line) = progress.and_then(crate::online::Progress::finish) {
            say!("{line}");
        }
        match packed {
            Err(stimpack_core::PackError::OutputExists(path)) => {
                let message = format!(
                    "{}: already exists. Give --keep a path that does not exist yet",
                    path.display()
                );
                return fail(message, Exit::Usage);
            }
            Err(e) => return fail(e, Exit::Usage),
            Ok(PackOutcome::Refused(report)) => {
                return refused(
                    &report,
                    "fix the errors above, then upload again",
                    args,
                    verbosity,
                );
            }
            Ok(PackOutcome::Written {
                report,
                manifest,
                archive_path,
                ..
            }) => {
                let stimuli = expected(
                    manifest
                        .stimuli()
                        .map(|s| (s.stimulus.path.as_str(), s.stimulus.group.as_str())),
                );
                (archive_path, stimuli, report)
            }
        }
    };
    // The warnings accepted, shown as `pack` shows them (the full report, on stderr).
    if report.summary.warnings > 0 && verbosity != Verbosity::Quiet {
        let style = render::Style::new(ColorChoice::Auto, true).with_verbosity(verbosity);
        render::report(&mut term::stderr(), &report, &style)?;
    }
    let started = Instant::now();
    let request = UploadRequest {
        name: args.name.clone(),
        file_path: file,
        expected: Some(stimuli),
        wait: !args.no_wait,
        poll: args.wait.poll(),
        ..UploadRequest::default()
    };
    let progress = Progress::new(verbosity);
    let result = client.upload_and_wait(&request, &progress);
    drop(progress);
    match result {
        Ok(outcome) => {
            let mut out = term::stdout();
            if args.json {
                serde_json::to_writer_pretty(&mut out, &UploadView::from(&outcome))
                    .map_err(io::Error::from)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", escape(&outcome.dataset_id))?;
            }
            out.flush()?;
            let verified = if outcome.verified {
                ", stimuli verified"
            } else {
                ""
            };
            say!(
                "dataset {} '{}' is {} ({} stimuli in {} sources{verified})",
                outcome.dataset_id,
                outcome.name,
                outcome.status,
                report.summary.stimuli,
                report.summary.groups
            );
            if let Some(kept) = &args.keep {
                say!("the uploaded file is kept at {}", kept.display());
            }
            if verbosity == Verbosity::Verbose {
                say!("uploaded in {:.1} s", started.elapsed().as_secs_f64());
            }
            Ok(Exit::Ok)
        }
        Err(e) => fail(explain(&e), exit_for(&e)),
    }
}

fn expected<'a>(stimuli: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<ExpectedStimulus> {
    stimuli
        .map(|(path, group)| ExpectedStimulus::new(path, group))
        .collect()
}

/// Runs `stimpack status`.
pub fn status(args: &StatusArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    let progress = Progress::new(verbosity);
    let result = if args.wait {
        client.wait_for_dataset(&args.id, &args.timeout.poll(), &progress)
    } else {
        client.dataset_detail(&args.id, &progress)
    };
    drop(progress);
    let detail = match result {
        Ok(d) => d,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    let mut out = term::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &DatasetView::from(&detail)).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let status = detail
            .status
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".into());
        writeln!(
            out,
            "{} {status} ({} stimuli)",
            escape(&detail.id),
            detail.stimuli.len()
        )?;
        if let Some(error) = &detail.error {
            writeln!(out, "error: {}", escape(error))?;
        }
    }
    out.flush()?;
    Ok(match detail.status {
        Some(stimpack_client::DatasetStatus::Error) => Exit::Findings,
        _ => Exit::Ok,
    })
}

/// Runs `stimpack datasets`.
pub fn datasets(args: &DatasetsArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    let progress = Progress::new(verbosity);
    let list = match client.list_datasets(&progress) {
        Ok(l) => l,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    drop(progress);
    let mut out = term::stdout();
    if args.json {
        let views: Vec<SummaryView> = list.iter().map(SummaryView::from).collect();
        serde_json::to_writer_pretty(&mut out, &views).map_err(io::Error::from)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(Exit::Ok);
    }
    let rows: Vec<[String; 4]> = list
        .iter()
        .filter(|d| !d.is_deleted)
        .map(|d| {
            [
                escape(&d.id).into_owned(),
                d.status.to_string(),
                escape(d.date_created.as_deref().unwrap_or("-")).into_owned(),
                escape(&d.name).into_owned(),
            ]
        })
        .collect();
    let width = rows
        .iter()
        .map(|r| r[0].chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(out, "{:width$}  {:10}  {:25}  name", "id", "status", "created")?;
    for [id, status, created, name] in &rows {
        writeln!(out, "{id:width$}  {status:10}  {created:25}  {name}")?;
    }
    out.flush()?;
    Ok(Exit::Ok)
}
