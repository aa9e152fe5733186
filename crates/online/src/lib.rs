//! `stimpack-online`: reads hosted media the way a browser would, for `stimpack check --online`.
//!
//! [`HttpOpener`] implements stimpack-core's [`UrlOpener`]: it checks a URL's signature
//! expiry, follows its redirects by hand (refusing private addresses at every hop, after DNS,
//! and again on the lookup each connection makes: `resolve.rs`),
//! asks for the first 64 KiB with a `Range` request and an `Origin` header (and for the last
//! 64 KiB in the same request, where the probe will read the end: `multirange.rs`), and judges
//! the answer (status, `Content-Type`, CORS, range support). The probers then read the file
//! through an HTTP range reader (`file.rs`), which fetches only the ranges they ask for.

#![deny(missing_docs)]

mod fetch;
mod file;
mod hosts;
mod multirange;
mod open;
mod resolve;
pub mod signed;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use stimpack_client::RetryPolicy;
use stimpack_core::{MediaKind, Opened, UrlOpener};

use crate::fetch::Http;
use crate::hosts::HostLimits;

/// How many files are read from one host at once, unless told otherwise (as browsers do).
pub const DEFAULT_PER_HOST: usize = 6;
/// Time to set up a connection (DNS, TCP, TLS) before giving up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time to wait for the server's next bytes before giving up.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The most read of one file (200 MB): past it the reading is estimated from what was read.
pub const DEFAULT_MAX_DOWNLOAD: u64 = 200_000_000;
/// How long signed URLs must keep working (7 days): the length of a typical test.
pub const DEFAULT_VALID_FOR: Duration = Duration::from_secs(7 * 86_400);
/// The origin the platform's players run on, sent as `Origin` to test CORS.
pub const DEFAULT_ORIGIN: &str = "https://app.mabyduck.com";
/// Answers that come slower than this many bytes per second (after the read time-out's grace)
/// are given up on: 16 kB/s is a 128 kbit/s stream, so a host slower than that cannot serve
/// the stimuli as fast as they play, and a host that trickles cannot hold up the run.
pub const DEFAULT_MIN_RATE: u64 = 16_000;
/// The first request asks for this much of a file: enough for every header stimpack reads.
pub const HEAD_BYTES: u64 = 64 << 10;

/// How hosted files are read. `OnlineOptions::default()` is what `check --online` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct OnlineOptions {
    /// Sent as `Origin`; an answer without a matching `Access-Control-Allow-Origin` is
    /// `no-cors`. `None` sends no `Origin` and skips the CORS check.
    pub origin: Option<String>,
    /// Signed URLs that expire sooner than this are `url-expires` errors.
    pub valid_for: Duration,
    /// The most read of one file.
    pub max_download: u64,
    /// Files read from one host at once.
    pub per_host: usize,
    /// See [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_READ_TIMEOUT`].
    pub read_timeout: Duration,
    /// See [`DEFAULT_MIN_RATE`] (bytes per second; at least 1).
    pub min_rate: u64,
    /// When to retry 408, 429, 5xx and dropped connections.
    pub retry: RetryPolicy,
    /// Accept loopback and private addresses (local test servers).
    pub allow_private: bool,
}

impl Default for OnlineOptions {
    fn default() -> Self {
        OnlineOptions {
            origin: Some(DEFAULT_ORIGIN.to_string()),
            valid_for: DEFAULT_VALID_FOR,
            max_download: DEFAULT_MAX_DOWNLOAD,
            per_host: DEFAULT_PER_HOST,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            min_rate: DEFAULT_MIN_RATE,
            retry: RetryPolicy::default(),
            allow_private: false,
        }
    }
}

/// Counters of one run, for progress lines and the summary (read them while it runs).
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    bytes: AtomicU64,
    files_done: AtomicU64,
    file_bytes: AtomicU64,
    whole_reads: AtomicU64,
}

impl Stats {
    /// HTTP requests sent (retries and redirects included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    /// Body bytes received.
    pub fn bytes_fetched(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// URLs finished (read, or failed).
    pub fn files_done(&self) -> u64 {
        self.files_done.load(Ordering::Relaxed)
    }
    /// The summed length of the files opened, as their servers gave it.
    pub fn file_bytes(&self) -> u64 {
        self.file_bytes.load(Ordering::Relaxed)
    }
    /// Files of which more than 1 MiB is being read right now (an MP3 without a length header
    /// read through, an Ogg file's page walk, ...).
    pub fn whole_reads(&self) -> u64 {
        self.whole_reads.load(Ordering::Relaxed)
    }
}

/// Opens URLs over HTTP(S) for [`stimpack_core::Online`].
#[derive(Debug)]
pub struct HttpOpener {
    http: Arc<Http>,
    hosts: Arc<HostLimits>,
    options: OnlineOptions,
}

impl HttpOpener {
    /// An opener with these options; `concurrency` is the most files read at once (connections
    /// kept open for reuse are sized to it).
    pub fn new(options: OnlineOptions, concurrency: usize) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed by hand: each hop is checked and counted.
            .max_redirects(0)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_recv_response(Some(options.read_timeout))
            .max_idle_connections(concurrency.max(1) * 2)
            .max_idle_connections_per_host(options.per_host.max(1))
            .user_agent(concat!("stimpack/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpOpener {
            http: Arc::new(Http {
                agent: ureq::Agent::with_parts(
                    config,
                    ureq::unversioned::transport::DefaultConnector::default(),
                    resolve::PublicOnly::new(options.allow_private),
                ),
                retry: options.retry,
                origin: options.origin.clone(),
                read_timeout: options.read_timeout,
                min_rate: options.min_rate.max(1),
                stats: Arc::new(Stats::default()),
            }),
            hosts: HostLimits::new(options.per_host),
            options,
        }
    }

    /// The run's counters.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.http.stats)
    }
}

impl UrlOpener for HttpOpener {
    fn open(&self, url: &str, extension: &str, media: Option<MediaKind>) -> Opened {
        let opened = open::open(self, url, extension, media);
        if let Opened::Failed(_) = opened {
            self.http.stats.files_done.fetch_add(1, Ordering::Relaxed);
        }
        opened
    }
}
