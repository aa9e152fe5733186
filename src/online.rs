//! `--online` and its flags: the HTTP opener of `stimpack-online` wired into the check's
//! options, a progress line on a terminal, and the bytes fetched in the summary.

use std::io::{self, IsTerminal};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use stimpack_core::{DEFAULT_ONLINE_CONCURRENCY, Online};
use stimpack_online::{DEFAULT_ORIGIN, DEFAULT_PER_HOST, HttpOpener, OnlineOptions, Stats};

use crate::cli::Verbosity;
use crate::render::human_bytes;

/// Flags of `check`, `pack` and `upload` that read hosted files.
#[derive(Debug, Args)]
pub struct OnlineArgs {
    /// Read the files of a URL list over HTTP (Range requests: the least that answers), with
    /// the same readings and findings as local files, plus what breaks a hosted test (404,
    /// 403, redirects, no ranges, no CORS, expiring signatures).
    #[arg(long)]
    pub online: bool,
    /// The origin the players run on, sent as `Origin` to test CORS [default: the platform's
    /// app, https://app.mabyduck.com].
    // The doc comment is the flag's help text, where a URL is plain text, not a link.
    #[allow(rustdoc::bare_urls)]
    #[arg(long, value_name = "URL", requires = "online")]
    pub origin: Option<String>,
    /// Signed URLs must keep working this long (the test's length): `7d`, `36h`, `90m`.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = crate::platform::parse_duration)]
    pub valid_for: Duration,
    /// The most read of one file (an MP3 without a length header is read through): `200MB`,
    /// `1GB`, `500kB`; past it the duration is estimated, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "200MB", value_parser = parse_size)]
    pub max_download: u64,
    /// Give up on a file whose server sends slower than this per second (after the 30 s read
    /// time-out's grace): `16kB` (a 128 kbit/s stream, the default), `4kB`, `1MB`.
    #[arg(long, value_name = "SIZE", default_value = "16kB", value_parser = parse_rate)]
    pub min_rate: u64,
    /// Accept URLs on loopback and private networks (a local test server).
    #[arg(long, requires = "online")]
    pub allow_private: bool,
    /// Files read at once, in all.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ONLINE_CONCURRENCY, value_parser = parse_count)]
    pub connections: usize,
    /// Files read at once from one host (browsers use 6).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PER_HOST, value_parser = parse_count)]
    pub per_host: usize,
}

/// The counters of the last opener made, for the progress line and the summary.
static STATS: Mutex<Option<Arc<Stats>>> = Mutex::new(None);

impl OnlineArgs {
    /// The check's `online` option these flags stand for (`None` without `--online`).
    pub fn to_online(&self) -> Option<Online> {
        if !self.online {
            return None;
        }
        let options = OnlineOptions {
            origin: Some(self.origin.clone().unwrap_or_else(|| DEFAULT_ORIGIN.to_string())),
            valid_for: self.valid_for,
            max_download: self.max_download,
            min_rate: self.min_rate,
            per_host: self.per_host,
            allow_private: self.allow_private,
            ..OnlineOptions::default()
        };
        let opener = HttpOpener::new(options, self.connections);
        if let Ok(mut slot) = STATS.lock() {
            *slot = Some(opener.stats());
        }
        Some(
            Online::new(Arc::new(opener))
                .with_concurrency(self.connections)
                .with_allow_private(self.allow_private),
        )
    }
}

fn stats() -> Option<Arc<Stats>> {
    STATS.lock().ok().and_then(|s| s.clone())
}

/// The progress line of an online check, drawn on a terminal while it runs.
pub struct Progress {
    stop: Arc<std::sync::atomic::AtomicBool>,
    drawer: Option<JoinHandle<()>>,
    quiet: bool,
}

impl Progress {
    /// Starts the line (only on a terminal, and not with `-q`) when hosted files are read.
    pub fn start(online: bool, verbosity: Verbosity) -> Option<Progress> {
        let stats = stats().filter(|_| online)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let quiet = verbosity == Verbosity::Quiet;
        let drawer = (!quiet && io::stderr().is_terminal()).then(|| {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} reading hosted files: {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let whole = match stats.whole_reads() {
                        0 => String::new(),
                        n => format!(
                            ", {n} read through (past 1 MB: an MP3 without a length header, an Ogg walk, ...)"
                        ),
                    };
                    bar.set_message(format!(
                        "{} done, {} fetched in {} requests{whole}",
                        stats.files_done(),
                        human_bytes(stats.bytes_fetched()),
                        stats.requests()
                    ));
                    bar.tick();
                    thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            })
        });
        Some(Progress { stop, drawer, quiet })
    }

    /// Clears the line; gives what to say of the bytes fetched, after the report (nothing
    /// with `-q`).
    pub fn finish(mut self) -> Option<String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
        stats().filter(|_| !self.quiet).map(|s| summary(&s))
    }
}

/// `online: 1000 files, 3.2 MB fetched of 412.0 MB (0.8%) in 1012 requests`.
pub fn summary(stats: &Stats) -> String {
    let (fetched, total) = (stats.bytes_fetched(), stats.file_bytes());
    let share = if total > 0 {
        format!(" ({:.1}%)", fetched as f64 * 100.0 / total as f64)
    } else {
        String::new()
    };
    format!(
        "online: {} {}, {} fetched of {}{share} in {} {}",
        stats.files_done(),
        if stats.files_done() == 1 { "file" } else { "files" },
        human_bytes(fetched),
        human_bytes(total),
        stats.requests(),
        if stats.requests() == 1 {
            "request"
        } else {
            "requests"
        }
    )
}

/// A size per second: `16kB`, `16kB/s`.
fn parse_rate(s: &str) -> Result<u64, String> {
    parse_size(s.trim().trim_end_matches("/s"))
}

fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a count from 1 to 1024")),
    }
}

/// `200MB`, `1GB`, `500kB`, `1MiB` (a bare number is bytes; units are decimal unless `i`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a size; write it like 200MB, 1GB or 500kB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "'{s}': the unit must be B, kB, MB, GB (or KiB, MiB, GiB)"
            ));
        }
    };
    let bytes = n
        .checked_mul(factor)
        .ok_or_else(|| format!("'{s}' is too large"))?;
    if bytes == 0 {
        return Err(format!("'{s}': the size must be more than 0 bytes"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::parse_duration;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("36h"), Ok(Duration::from_secs(36 * 3600)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3y").is_err());
        // one parser for every flag: sums, and the units of --timeout and --valid-for alike
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2W"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("90min"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("99999999999999999999w").is_err());
        assert_eq!(parse_size("200MB"), Ok(200_000_000));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
    }
}
