//! `stimpack upload --platform prolific|datature|coactive`: check with the platform's rules,
//! write its export (kept with `--keep`), then create the dataset, upload, wait and verify
//! through `stimpack-client`. The dataset id goes to stdout; progress, retries and warnings
//! to stderr. Configuration comes from flags and each platform's environment variables.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use stimpack_client::{
    ApiKey, ClientError, ClientOptions, DatasetStatus, Reporter, RetryEvent, coactive, datature, prolific,
};
use stimpack_core::platform::role_name;
use stimpack_core::{ExportRow, MediaKind, Platform, Report};

use super::export::{self, Prepared};
use crate::Exit;
use crate::cli::{ColorChoice, UploadArgs, Verbosity};
use crate::platform::{Progress, explain};
use crate::render;
use crate::say;
use crate::term::{self, escape};

/// Flags only some platforms take.
#[derive(Debug, Args)]
pub struct PlatformUploadArgs {
    /// Prolific workspace id [env: PROLIFIC_WORKSPACE].
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,
    /// Coactive encoder for the new dataset [default: multimodal].
    #[arg(long, value_name = "NAME")]
    pub encoder: Option<String>,
}

/// `upload --json` for the URL platforms.
#[derive(Serialize)]
struct View<'a> {
    platform: &'static str,
    id: &'a str,
    name: &'a str,
    status: &'a str,
    rows: usize,
    items: Option<usize>,
    verified: bool,
}

/// Shows progress as `Progress` does, and warnings as lines on stderr (not with `-q`).
struct Shown {
    progress: Progress,
    quiet: bool,
    /// Coactive's "upload" is assets added by URL: counted in assets, not bytes.
    assets: bool,
}

impl Reporter for Shown {
    fn on_dataset_created(&self, id: &str) {
        self.progress.on_dataset_created(id);
    }
    fn on_upload_start(&self, total: u64) {
        if !self.assets {
            self.progress.on_upload_start(total);
        } else if !self.quiet {
            say!("adding {total} assets by URL (at most 100 per request)");
        }
    }
    fn on_upload_progress(&self, bytes: u64) {
        if !self.assets {
            self.progress.on_upload_progress(bytes);
        }
    }
    fn on_upload_complete(&self) {
        if !self.assets {
            self.progress.on_upload_complete();
        } else if !self.quiet {
            say!("assets added");
        }
    }
    fn on_retry(&self, retry: &RetryEvent) {
        self.progress.on_retry(retry);
    }
    fn on_status(&self, status: &DatasetStatus) {
        self.progress.on_status(status);
    }
    fn on_warning(&self, message: &str) {
        if !self.quiet {
            say!("warning: {message}");
        }
    }
}

fn fail(message: impl std::fmt::Display, exit: Exit) -> io::Result<Option<Exit>> {
    say!("stimpack: {message}");
    Ok(Some(exit))
}

/// The exit code a client failure stands for.
fn exit_for(e: &ClientError) -> Exit {
    match e {
        ClientError::PlatformFailed { .. }
        | ClientError::CountMismatch { .. }
        | ClientError::Invalid { .. } => Exit::Findings,
        ClientError::Config { .. } | ClientError::ReadFile { .. } | ClientError::InvalidApiKey { .. } => {
            Exit::Usage
        }
        _ => Exit::Platform,
    }
}

/// Everything the upload needs from flags and environment, checked before any work.
struct Config {
    token: ApiKey,
    options: ClientOptions,
    /// Prolific's workspace or Datature's project.
    scope: Option<String>,
    encoder: String,
}

fn env_or(flag: &Option<String>, var: &str) -> Option<String> {
    flag.clone()
        .or_else(|| std::env::var(var).ok())
        .filter(|v| !v.trim().is_empty())
}

fn config(args: &UploadArgs, platform: Platform) -> Result<Config, String> {
    let (token_env, url_env, default_url) = match platform {
        Platform::Prolific => (
            prolific::TOKEN_ENV,
            prolific::API_URL_ENV,
            prolific::DEFAULT_API_URL,
        ),
        Platform::Datature => (
            datature::SECRET_KEY_ENV,
            datature::API_URL_ENV,
            datature::DEFAULT_API_URL,
        ),
        _ => (
            coactive::TOKEN_ENV,
            coactive::API_URL_ENV,
            coactive::DEFAULT_API_URL,
        ),
    };
    let extra = &args.targets;
    if extra.workspace.is_some() && platform != Platform::Prolific {
        return Err("--workspace is for --platform prolific".into());
    }
    if extra.encoder.is_some() && platform != Platform::Coactive {
        return Err("--encoder is for --platform coactive".into());
    }
    if args.platform.project.is_some() && platform != Platform::Datature {
        return Err(format!(
            "--project is for Mabyduck and Datature; {} does not take one",
            platform.title()
        ));
    }
    let token = match &args.platform.api_key_file {
        Some(path) => std::fs::read_to_string(path)
            .map(|k| k.trim().to_string())
            .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?,
        None => std::env::var(token_env).map_err(|_| {
            format!(
                "no {} credentials: set {token_env} (from your {} account settings) or pass --api-key-file PATH",
                platform.title(),
                platform.title()
            )
        })?,
    };
    let token = ApiKey::new(token).map_err(|e| match e {
        ClientError::InvalidApiKey { reason } => format!("{token_env} is not usable: {reason}"),
        other => other.to_string(),
    })?;
    let scope = match platform {
        Platform::Prolific => Some(env_or(&extra.workspace, prolific::WORKSPACE_ENV).ok_or_else(|| {
            format!(
                "no workspace: set {} or pass --workspace ID",
                prolific::WORKSPACE_ENV
            )
        })?),
        Platform::Datature => Some(
            env_or(&args.platform.project, datature::PROJECT_ENV)
                .ok_or_else(|| format!("no project: set {} or pass --project ID", datature::PROJECT_ENV))?,
        ),
        _ => None,
    };
    let base_url = env_or(&args.platform.api_url, url_env).unwrap_or_else(|| default_url.to_string());
    Ok(Config {
        token,
        options: ClientOptions {
            base_url,
            ..ClientOptions::default()
        },
        scope,
        encoder: extra
            .encoder
            .clone()
            .unwrap_or_else(|| coactive::DEFAULT_ENCODER.to_string()),
    })
}

/// Runs `upload` for a URL platform; `None` for Mabyduck, which `upload` serves.
pub fn run(args: &UploadArgs, verbosity: Verbosity) -> io::Result<Option<Exit>> {
    let platform = match args.rules.target.platform() {
        Ok(p) => p,
        Err(m) => return fail(m, Exit::Usage),
    };
    if platform == Platform::Mabyduck {
        if args.targets.workspace.is_some() || args.targets.encoder.is_some() {
            return fail(
                "--workspace is for --platform prolific and --encoder for --platform coactive",
                Exit::Usage,
            );
        }
        return Ok(None);
    }
    if args.input.as_os_str() == crate::check_cmd::STDIN {
        return fail(
            "upload reads files, not stdin: save the URL list as a .txt file and upload that",
            Exit::Usage,
        );
    }
    let cfg = match config(args, platform) {
        Ok(c) => c,
        Err(m) => return fail(m, Exit::Usage),
    };
    if platform == Platform::Coactive {
        if let Err(e) = coactive::validate_name(&args.name) {
            return fail(e, Exit::Usage);
        }
    }
    let ext = platform.export_extension().unwrap_or("csv");
    let mut temp = None;
    let output = match &args.keep {
        Some(path) => path.clone(),
        None => temp
            .insert(tempfile::tempdir()?)
            .path()
            .join(format!("{}.{ext}", file_stem(&args.name))),
    };
    if let Err(m) = export::check_output(&args.input, &output, platform) {
        return fail(format!("{m} (--keep)"), Exit::Usage);
    }
    let opts = args.rules.to_options();
    let base_url = args.rules.target.base_url.as_deref();
    let (report, manifest, rows) = match export::prepare(&args.input, platform, &opts, base_url, "upload") {
        Err(m) => return fail(m, Exit::Usage),
        Ok(Prepared::Refused(report)) => return refused(&report, args, verbosity, platform),
        Ok(Prepared::Ready {
            report,
            manifest,
            rows,
        }) => (report, manifest, rows),
    };
    if report.summary.warnings > 0 && verbosity != Verbosity::Quiet {
        let style = render::Style::new(ColorChoice::Auto, true).with_verbosity(verbosity);
        render::report(&mut term::stderr(), &report, &style)?;
    }
    let manifest_path = stimpack_core::default_manifest_path(&output);
    let paths = match export::write(
        platform,
        &rows,
        &manifest,
        &output,
        &manifest_path,
        args.keep.is_none(),
    ) {
        Ok((paths, _)) => paths,
        Err(e) => {
            return fail(
                format!("{e} (give --keep a path that does not exist yet)"),
                Exit::Usage,
            );
        }
    };
    let shown = Shown {
        progress: Progress::new(verbosity),
        quiet: verbosity == Verbosity::Quiet,
        assets: platform == Platform::Coactive,
    };
    let poll = args.wait.poll();
    let result = send(platform, cfg, args, &paths, &rows, poll, &shown);
    drop(shown);
    let (id, status, items, verified) = match result {
        Ok(r) => r,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    let mut out = term::stdout();
    if args.json {
        let view = View {
            platform: platform.as_str(),
            id: &id,
            name: &args.name,
            status: &status,
            rows: rows.len(),
            items,
            verified,
        };
        serde_json::to_writer_pretty(&mut out, &view).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", escape(&id))?;
    }
    out.flush()?;
    let checked = if verified { ", count verified" } else { "" };
    say!(
        "{} dataset {id} '{}' is {status} ({} rows from {} sources{checked})",
        platform.title(),
        args.name,
        rows.len(),
        report.summary.groups
    );
    if let Some(kept) = &args.keep {
        say!("the export is kept at {}", kept.display());
    }
    Ok(Some(Exit::Ok))
}

type Sent = (String, String, Option<usize>, bool);

fn send(
    platform: Platform,
    cfg: Config,
    args: &UploadArgs,
    paths: &[PathBuf],
    rows: &[ExportRow],
    poll: stimpack_client::PollOptions,
    reporter: &dyn Reporter,
) -> Result<Sent, ClientError> {
    let wait = !args.no_wait;
    let file = paths.first().cloned().unwrap_or_default();
    match platform {
        Platform::Prolific => {
            let client = prolific::Client::new(cfg.token, cfg.scope.unwrap_or_default(), cfg.options)?;
            let request = prolific::UploadRequest {
                name: args.name.clone(),
                file_path: file,
                rows: rows.len(),
                wait,
                poll,
            };
            let o = client.upload_and_wait(&request, reporter)?;
            Ok((o.dataset_id, o.status, o.items, o.verified))
        }
        Platform::Datature => {
            let client = datature::Client::new(cfg.token, cfg.scope.unwrap_or_default(), cfg.options)?;
            let request = datature::UploadRequest {
                name: args.name.clone(),
                file_path: file,
                rows: rows.len(),
                wait,
                poll,
            };
            let o = client.upload_and_wait(&request, reporter)?;
            Ok((o.dataset_id, o.status, o.items, o.verified))
        }
        _ => {
            let client = coactive::Client::new(cfg.token, cfg.options)?;
            let request = coactive::UploadRequest {
                name: args.name.clone(),
                encoder_name: cfg.encoder,
                assets: rows.iter().filter_map(asset).collect(),
                wait,
                poll,
            };
            let o = client.upload_and_wait(&request, reporter)?;
            Ok((o.dataset_id, o.status, o.items, o.verified))
        }
    }
}

/// A row as a Coactive asset (images and videos only: the rules refused the rest).
fn asset(row: &ExportRow) -> Option<coactive::Asset> {
    let kind = match row.media {
        MediaKind::Image => coactive::AssetKind::Image,
        MediaKind::Video => coactive::AssetKind::Video,
        _ => return None,
    };
    let metadata = [
        ("source", row.source.clone()),
        ("condition", row.condition.clone()),
        ("role", role_name(row.role).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Some(coactive::Asset {
        kind,
        path: row.url.clone(),
        metadata,
    })
}

fn refused(
    report: &Report,
    args: &UploadArgs,
    verbosity: Verbosity,
    platform: Platform,
) -> io::Result<Option<Exit>> {
    if args.json {
        let mut out = term::stdout();
        serde_json::to_writer_pretty(&mut out, report).map_err(io::Error::from)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        let style = render::Style::new(ColorChoice::Auto, true).with_verbosity(verbosity);
        render::report(&mut term::stderr(), report, &style)?;
    }
    say!(
        "nothing uploaded: fix the errors above (see `stimpack check --platform {platform}`), then upload again"
    );
    Ok(Some(Exit::Findings))
}

/// A file name from the dataset's name.
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
        "dataset".into()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_plain() {
        assert_eq!(file_stem("Codec test 3"), "Codec_test_3");
        assert_eq!(file_stem("///"), "dataset");
        assert!(!file_stem("a/b").contains('/'));
    }
}
