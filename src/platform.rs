//! Talking to Mabyduck from the command line: configuration from flags and environment,
//! the progress reporter (a bar on a terminal, plain lines otherwise), and the `status` and
//! `datasets` commands. `upload` lives in `upload.rs`.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use stimpack_client::mabyduck::PollOptions;
use stimpack_client::{
    API_KEY_ENV, ApiKey, Client, ClientError, ClientOptions, DEFAULT_API_URL, DatasetStatus, Reporter,
    RetryEvent,
};

use crate::cli::Verbosity;
use crate::term;

/// Environment variable naming the project.
pub const PROJECT_ENV: &str = "MABYDUCK_PROJECT";
/// Environment variable overriding the API base URL.
pub const API_URL_ENV: &str = "MABYDUCK_API_URL";

/// Flags shared by every command that talks to the platform.
#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// Mabyduck project id [env: MABYDUCK_PROJECT].
    #[arg(long, value_name = "ID")]
    pub project: Option<String>,
    /// Read the API key from this file instead of MABYDUCK_API_KEY.
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// API base URL [env: MABYDUCK_API_URL] [default: https://api.mabyduck.com].
    // The doc comment is the flag's help text, where a URL is plain text, not a link.
    #[allow(rustdoc::bare_urls)]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}

/// Flags of commands that wait for processing.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Give up waiting after this long (e.g. 90s, 20m, 1h) [default: 30m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

impl WaitArgs {
    /// Poll settings: the library's defaults with the user's time-out.
    pub fn poll(&self) -> PollOptions {
        let mut poll = PollOptions::default();
        if let Some(t) = self.timeout {
            poll.timeout = t;
        }
        poll
    }
}

/// Parses a duration as every flag takes one: `90s`, `20m`, `36h`, `7d`, `2w`, sums of them
/// (`1h30m`), or a plain number of seconds. Units are case-insensitive; `min` is minutes.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("'{s}' is not a duration; write it like 90s, 20m, 1h30m, 36h or 7d");
    let t = s.trim().to_ascii_lowercase();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut rest = t.as_str();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match rest[..unit_len].trim() {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| format!("'{s}' is too long a duration"))?;
    }
    if total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// A configuration problem, before any request is sent (exit code 2).
#[derive(Debug)]
pub struct ConfigError(pub String);

impl PlatformArgs {
    /// A client from flags and environment, or a message naming what is missing.
    pub fn client(&self) -> Result<Client, ConfigError> {
        let key = match &self.api_key_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|k| k.trim().to_string())
                .map_err(|e| ConfigError(format!("cannot read the API key file {}: {e}", path.display())))?,
            None => std::env::var(API_KEY_ENV).map_err(|_| {
                ConfigError(format!(
                    "no API key: set {API_KEY_ENV} (from your Mabyduck project settings) or pass --api-key-file PATH"
                ))
            })?,
        };
        let key = ApiKey::new(key).map_err(|e| ConfigError(e.to_string()))?;
        let project = self
            .project
            .clone()
            .or_else(|| std::env::var(PROJECT_ENV).ok())
            .ok_or_else(|| ConfigError(format!("no project: set {PROJECT_ENV} or pass --project ID")))?;
        let base_url = self
            .api_url
            .clone()
            .or_else(|| std::env::var(API_URL_ENV).ok())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let options = ClientOptions {
            base_url,
            ..ClientOptions::default()
        };
        Client::new(key, project, options).map_err(|e| ConfigError(e.to_string()))
    }
}

/// Shows upload progress, retries and processing status on stderr: a bar and a spinner on
/// a terminal, one line per event otherwise; nothing with `-q`. Stdout stays free for
/// results.
pub struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    terminal: bool,
    quiet: bool,
    last_status: Mutex<Option<DatasetStatus>>,
}

impl Progress {
    /// A reporter for this process's stderr.
    pub fn new(verbosity: Verbosity) -> Self {
        let quiet = verbosity == Verbosity::Quiet;
        Progress {
            bar: Mutex::new(None),
            terminal: !quiet && io::stderr().is_terminal(),
            quiet,
            last_status: Mutex::new(None),
        }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let text = term::escape(text);
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(bar) => bar.println(text),
            None => {
                let _ = writeln!(term::stderr(), "{text}");
            }
        }
    }

    fn finish_bar(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

impl Reporter for Progress {
    fn on_dataset_created(&self, dataset_id: &str) {
        self.line(&format!("created dataset {dataset_id}"));
    }

    fn on_upload_start(&self, total_bytes: u64) {
        if self.terminal {
            let bar = ProgressBar::new(total_bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "uploading {bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            if let Ok(mut slot) = self.bar.lock() {
                if let Some(old) = slot.replace(bar) {
                    old.finish_and_clear();
                }
            }
        } else {
            self.line(&format!(
                "uploading {} ({total_bytes} bytes)",
                crate::render::human_bytes(total_bytes)
            ));
        }
    }

    fn on_upload_progress(&self, bytes: u64) {
        if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
            bar.inc(bytes);
        }
    }

    fn on_upload_complete(&self) {
        self.finish_bar();
        self.line("upload complete");
    }

    fn on_retry(&self, retry: &RetryEvent) {
        self.line(&retry.to_string());
    }

    fn on_status(&self, status: &DatasetStatus) {
        let mut last = match self.last_status.lock() {
            Ok(l) => l,
            Err(_) => return,
        };
        if last.as_ref() == Some(status) {
            if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
                bar.tick();
            }
            return;
        }
        *last = Some(status.clone());
        drop(last);
        self.finish_bar();
        let text = format!("status: {status}");
        if self.terminal && *status == DatasetStatus::Processing {
            let spinner = ProgressBar::new_spinner();
            spinner.set_message("processing on the platform");
            spinner.enable_steady_tick(Duration::from_millis(120));
            if let Ok(mut slot) = self.bar.lock() {
                *slot = Some(spinner);
            }
        } else {
            self.line(&text);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish_bar();
    }
}

/// Tells a client error in full, and how to resume when the dataset exists.
pub fn explain(e: &ClientError) -> String {
    match e.dataset_id() {
        Some(id) if !e.to_string().contains(id) => format!("{e} (dataset {id})"),
        _ => e.to_string(),
    }
}
