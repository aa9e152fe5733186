//! One HTTP GET, retried with the platform client's policy on 408, 429, 5xx and dropped
//! connections, and the words for what went wrong.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, SystemTime};

use stimpack_client::retry::{RetryPolicy, parse_retry_after};
use ureq::Body;
use ureq::http::Response;

use crate::Stats;

/// Why a request gave no usable answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server kept answering with this status (after the retries, for retried ones).
    Status(u16),
    /// No answer: DNS, TLS, a refused or dropped connection, a time-out. In words.
    Transport(String),
}

/// The HTTP side shared by every reader of one run.
#[derive(Debug)]
pub(crate) struct Http {
    pub agent: ureq::Agent,
    pub retry: RetryPolicy,
    pub origin: Option<String>,
    pub read_timeout: Duration,
    pub min_rate: u64,
    pub stats: Arc<Stats>,
}

impl Http {
    /// GETs `url`, with `range` as its `Range` header when given, and up to `expect` bytes of
    /// body to be read: the body must come within the read time-out plus the time those bytes
    /// take at the minimum rate. Answers with a status
    /// below 400 (redirects included: they are not followed here) or a final 4xx; a status
    /// that is still 408, 429 or 5xx after the retries is [`Failure::Status`].
    pub(crate) fn get(&self, url: &str, range: Option<&str>, expect: u64) -> Result<Response<Body>, Failure> {
        let at_rate =
            Duration::try_from_secs_f64(expect as f64 / self.min_rate as f64).unwrap_or(Duration::MAX);
        let body_time = self.read_timeout.saturating_add(at_rate);
        let attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .agent
                .get(url)
                .config()
                .timeout_recv_body(Some(body_time))
                .build();
            if let Some(range) = range {
                request = request.header("Range", range);
            }
            if let Some(origin) = &self.origin {
                request = request.header("Origin", origin);
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let (retry_after, failure) = match request.call() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if !(status == 408 || status == 429 || (500..600).contains(&status)) {
                        return Ok(response);
                    }
                    let after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    (after, Failure::Status(status))
                }
                Err(e) => {
                    let retried = matches!(
                        e,
                        ureq::Error::Io(_)
                            | ureq::Error::Timeout(_)
                            | ureq::Error::ConnectionFailed
                            | ureq::Error::Protocol(_)
                    );
                    let failure = Failure::Transport(transport_words(&e));
                    if !retried {
                        return Err(failure);
                    }
                    (None, failure)
                }
            };
            if attempt >= attempts {
                return Err(failure);
            }
            thread::sleep(self.retry.wait(attempt, retry_after));
        }
    }
}

/// The `Range` value for bytes `start..end`.
pub(crate) fn bytes(start: u64, end: u64) -> String {
    format!("bytes={start}-{}", end.saturating_sub(1))
}

/// What a transport error was, in words a user can act on (never the URL: its query string
/// may hold a signature).
pub(crate) fn transport_words(e: &ureq::Error) -> String {
    match e {
        ureq::Error::HostNotFound => "DNS: the host name does not resolve".to_string(),
        ureq::Error::ConnectionFailed => "the connection was refused or could not be made".to_string(),
        ureq::Error::Timeout(ureq::Timeout::RecvBody) => {
            "the server sends too slowly (below the minimum rate, --min-rate: slower than the stimuli play)"
                .to_string()
        }
        ureq::Error::Timeout(which) => format!("time-out ({which})"),
        ureq::Error::Tls(why) => format!("TLS: {why}"),
        ureq::Error::Rustls(why) => format!("TLS: {why}"),
        ureq::Error::Pem(why) => format!("TLS: {why}"),
        ureq::Error::Io(io) => format!("connection error: {io}"),
        ureq::Error::Protocol(p) => format!("the answer is not valid HTTP: {p}"),
        ureq::Error::BadUri(_) => "the URL is not valid for an HTTP request".to_string(),
        ureq::Error::BodyExceedsLimit(n) => format!("the answer is longer than the {n} bytes expected"),
        other => other.to_string(),
    }
}

/// What an error reading a body was: a ureq error's words when it is one (a time-out, a cut
/// connection), else the I/O error's.
pub(crate) fn io_words(e: &std::io::Error) -> String {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .map_or_else(|| e.to_string(), transport_words)
}
