//! `stimpack upload`, `status` and `datasets`: the platform commands. Upload checks (and packs
//! a folder or URL list) before touching the network, then hands the file to the client
//! library, which streams, retries, polls and verifies. Results go to stdout (the dataset id,
//! or JSON), progress and explanations to stderr.

use std::io::{self, Write};

use stimpack_client::mabyduck::validate_name;
use stimpack_client::{ClientError, ExpectedStimulus, UploadRequest};
use stimpack_core::{InputKind, PackOptions, PackOutcome, Report, pack::source_date_epoch};

use crate::Exit;
use crate::cli::{ColorChoice, DatasetsArgs, StatusArgs, UploadArgs};
use crate::platform::{ConfigError, Progress, explain};
use crate::render;

/// The exit code a client failure stands for.
fn exit_for(e: &ClientError) -> Exit {
    match e {
        ClientError::ProcessingFailed { .. } | ClientError::StimuliMismatch { .. } => Exit::Findings,
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
    eprintln!("stimpack: {message}");
    Ok(exit)
}

fn refused(report: &Report, hint: &str) -> io::Result<Exit> {
    let style = render::Style::new(ColorChoice::Auto, true);
    render::report(&mut io::stderr().lock(), report, &style)?;
    eprintln!("nothing uploaded: {hint}");
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
pub fn upload(args: &UploadArgs) -> io::Result<Exit> {
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    if let Err(e) = validate_name(&args.name) {
        return fail(e, Exit::Usage);
    }
    let kind = match stimpack_core::scan::detect(&args.input) {
        Ok(k) => k,
        Err(e) => return fail(e, Exit::Usage),
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
            return refused(&report, &hint);
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
        match stimpack_core::pack(&args.input, &opts, &stimpack_core::NoProgress) {
            Err(e) => return fail(e, Exit::Usage),
            Ok(PackOutcome::Refused(report)) => {
                return refused(&report, "fix the errors above, then upload again");
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
    if report.summary.warnings > 0 {
        eprintln!(
            "{} warning(s); see `stimpack check {}`",
            report.summary.warnings,
            args.input.display()
        );
    }
    let request = UploadRequest {
        name: args.name.clone(),
        file_path: file,
        expected: Some(stimuli),
        wait: !args.no_wait,
        poll: args.wait.poll(),
        ..UploadRequest::default()
    };
    let progress = Progress::new();
    let result = client.upload_and_wait(&request, &progress);
    drop(progress);
    match result {
        Ok(outcome) => {
            let mut out = io::stdout().lock();
            if args.json {
                serde_json::to_writer_pretty(&mut out, &outcome).map_err(io::Error::from)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", outcome.dataset_id)?;
            }
            let verified = if outcome.verified {
                ", stimuli verified"
            } else {
                ""
            };
            eprintln!(
                "dataset {} '{}' is {} ({} stimuli in {} sources{verified})",
                outcome.dataset_id,
                outcome.name,
                outcome.status,
                report.summary.stimuli,
                report.summary.groups
            );
            if let Some(kept) = &args.keep {
                eprintln!("the uploaded file is kept at {}", kept.display());
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
pub fn status(args: &StatusArgs) -> io::Result<Exit> {
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    let progress = Progress::new();
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
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &detail).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let status = detail
            .status
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".into());
        writeln!(out, "{} {status} ({} stimuli)", detail.id, detail.stimuli.len())?;
        if let Some(error) = &detail.error {
            writeln!(out, "error: {error}")?;
        }
    }
    Ok(match detail.status {
        Some(stimpack_client::DatasetStatus::Error) => Exit::Findings,
        _ => Exit::Ok,
    })
}

/// Runs `stimpack datasets`.
pub fn datasets(args: &DatasetsArgs) -> io::Result<Exit> {
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    let list = match client.list_datasets(&stimpack_client::NoopReporter) {
        Ok(l) => l,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &list).map_err(io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    let width = list.iter().map(|d| d.id.len()).max().unwrap_or(2).max(2);
    writeln!(out, "{:width$}  {:10}  {:25}  name", "id", "status", "created")?;
    for d in list.iter().filter(|d| !d.is_deleted) {
        let created = d.date_created.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{:width$}  {:10}  {created:25}  {}",
            d.id,
            d.status.to_string(),
            d.name
        )?;
    }
    Ok(Exit::Ok)
}
