//! The HTTP plumbing the Prolific, Datature and Coactive clients share: an authenticated JSON
//! call, a streamed `PUT` of a file to a signed URL, the retry loop (the same policy as
//! Mabyduck's: 408, 429 with `Retry-After`, 5xx and dropped connections) and the reading of
//! error bodies into messages. Secrets are scrubbed from everything that reaches an error.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::SendBody;

use crate::error::ClientError;
use crate::mabyduck::{
    Attempt, ClientOptions, DatasetStatus, PollOptions, excerpt, status_failure, transport_failure,
};
use crate::reporter::{Reporter, RetryEvent};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::{ApiKey, RedactedUrl, Scrubber, SecretUrl};

/// The largest JSON answer read.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How a platform wants its credentials sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Auth {
    /// The header, e.g. `Authorization` or `Secret-Key`.
    pub header: &'static str,
    /// What goes before the token: `Token `, `Bearer ` or nothing.
    pub prefix: &'static str,
}

/// One platform's API: base URL, credentials, retry policy.
pub(crate) struct Rest {
    agent: ureq::Agent,
    pub base_url: String,
    key: ApiKey,
    auth: Auth,
    pub platform: &'static str,
    pub key_env: &'static str,
    retry: RetryPolicy,
}

/// `scheme://authority` of an absolute http(s) URL, or `None`.
pub(crate) fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    Some(&url[..scheme.len() + 3 + end])
}

/// `text` as one URL path segment: unreserved characters kept, every other byte
/// percent-encoded, so an id cannot reach another endpoint.
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Rest {
    pub(crate) fn new(
        platform: &'static str,
        key_env: &'static str,
        key: ApiKey,
        auth: Auth,
        options: &ClientOptions,
    ) -> Result<Self, ClientError> {
        let base_url = options.base_url.trim().trim_end_matches('/').to_owned();
        // `ClientOptions::default()` is Mabyduck's: this platform's key must never go there.
        if origin(&base_url) == origin(crate::mabyduck::DEFAULT_API_URL) {
            return Err(ClientError::Config {
                platform,
                message: format!(
                    "the API URL is Mabyduck's ({}), not {platform}'s: set ClientOptions::base_url to {platform}'s API",
                    crate::mabyduck::DEFAULT_API_URL
                ),
            });
        }
        if origin(&base_url).is_none() || base_url.contains(['?', '#', '@']) {
            return Err(ClientError::Config {
                platform,
                message: format!(
                    "API URL `{}` is not valid: use a full http:// or https:// URL",
                    RedactedUrl::new(&base_url)
                ),
            });
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_per_write(Some(options.write_timeout))
            .user_agent(options.user_agent.clone())
            .build();
        Ok(Self {
            agent: ureq::Agent::new_with_config(config),
            base_url,
            key,
            auth,
            platform,
            key_env,
            retry: options.retry,
        })
    }

    /// `base_url` + `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn retrying<T>(
        &self,
        url: &RedactedUrl,
        dataset_id: Option<&str>,
        reporter: &dyn Reporter,
        mut attempt: impl FnMut() -> Attempt<T>,
    ) -> Result<T, ClientError> {
        let max_attempts = self.retry.max_attempts.max(1);
        let mut number = 1;
        loop {
            match attempt() {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { reason, retry_after } => {
                    if number >= max_attempts {
                        return Err(ClientError::RetriesExhausted {
                            url: url.clone(),
                            attempts: number,
                            last: reason,
                            dataset_id: dataset_id.map(str::to_owned),
                        });
                    }
                    let wait = self.retry.wait(number, retry_after);
                    reporter.on_retry(&RetryEvent {
                        next_attempt: number + 1,
                        max_attempts,
                        wait,
                        reason,
                    });
                    thread::sleep(wait);
                    number += 1;
                }
            }
        }
    }

    /// An authenticated JSON call: `GET` without a body, `POST` with one.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        url: &str,
        body: Option<&Value>,
        dataset_id: Option<&str>,
        reporter: &dyn Reporter,
    ) -> Result<T, ClientError> {
        let redacted = RedactedUrl::new(url);
        let scrubber = Scrubber::new(&self.key);
        let auth = format!("{}{}", self.auth.prefix, self.key.expose());
        let dataset = dataset_id.map(str::to_owned);
        let body = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        self.retrying(&redacted, dataset_id, reporter, || {
            let sent = match &body {
                None => self
                    .agent
                    .get(url)
                    .header(self.auth.header, &auth)
                    .header("Accept", "application/json")
                    .call(),
                Some(body) => self
                    .agent
                    .post(url)
                    .header(self.auth.header, &auth)
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/json")
                    .send(body.as_slice()),
            };
            let mut response = match sent {
                Ok(r) => r,
                Err(e) => return transport_failure(e, &scrubber, &redacted, &dataset),
            };
            let status = response.status().as_u16();
            let retry_after = retry_after_of(&response);
            let text = match response
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE_BYTES)
                .read_to_vec()
            {
                Ok(t) => t,
                Err(e) => return transport_failure(e, &scrubber, &redacted, &dataset),
            };
            if (200..300).contains(&status) {
                return match serde_json::from_slice(&text) {
                    Ok(value) => Attempt::Done(value),
                    Err(e) => Attempt::Fail(ClientError::InvalidResponse {
                        url: redacted.clone(),
                        reason: scrubber.scrub(&e.to_string()),
                        dataset_id: dataset.clone(),
                    }),
                };
            }
            let text = scrubber.scrub(&String::from_utf8_lossy(&text));
            match status {
                401 | 403 => Attempt::Fail(ClientError::Rejected {
                    platform: self.platform,
                    env: self.key_env,
                    status,
                    url: redacted.clone(),
                    dataset_id: dataset.clone(),
                }),
                400 | 422 => Attempt::Fail(ClientError::Invalid {
                    platform: self.platform,
                    status,
                    url: redacted.clone(),
                    details: error_details(&text),
                    dataset_id: dataset.clone(),
                }),
                _ => status_failure(status, retry_after, excerpt(&text), &redacted, &dataset),
            }
        })
    }

    /// `PUT` the file at `path` to a signed URL with exactly `headers` (no credentials of
    /// ours: the URL's signature is the credential), streamed with its length, reopened
    /// for each attempt. A 403 is an expired or refused URL. Returns the bytes sent.
    pub(crate) fn put_file(
        &self,
        url: &SecretUrl,
        headers: &[(String, String)],
        path: &Path,
        dataset_id: &str,
        reporter: &dyn Reporter,
    ) -> Result<u64, ClientError> {
        let redacted = url.redacted();
        let scrubber = Scrubber::new(&self.key).with_url(url);
        let dataset = Some(dataset_id.to_owned());
        let read_error = |source| {
            Attempt::Fail(ClientError::ReadFile {
                path: path.to_owned(),
                source,
                dataset_id: dataset.clone(),
            })
        };
        self.retrying(&redacted, Some(dataset_id), reporter, || {
            let file = match File::open(path) {
                Ok(f) => f,
                Err(e) => return read_error(e),
            };
            let length = match file.metadata() {
                Ok(m) => m.len(),
                Err(e) => return read_error(e),
            };
            reporter.on_upload_start(length);
            let mut body = Progress {
                inner: file,
                reporter,
            };
            let mut request = self.agent.put(url.expose());
            let (mut has_length, mut has_expect) = (false, false);
            for (name, value) in headers {
                has_length |= name.eq_ignore_ascii_case("content-length");
                has_expect |= name.eq_ignore_ascii_case("expect");
                request = request.header(name.as_str(), value.as_str());
            }
            if !has_length {
                request = request.header("Content-Length", length);
            }
            if !has_expect {
                // As Mabyduck's upload: the store can refuse (an expired URL, 403) before the
                // body is sent; without it a large body meets a closed connection instead.
                request = request.header("Expect", "100-continue");
            }
            let sent = request.send(SendBody::from_reader(&mut body));
            let mut response = match sent {
                Ok(r) => r,
                Err(e) => return transport_failure(e, &scrubber, &redacted, &dataset),
            };
            let status = response.status().as_u16();
            let retry_after = retry_after_of(&response);
            let text = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_string()
                .unwrap_or_default();
            if (200..300).contains(&status) {
                reporter.on_upload_complete();
                return Attempt::Done(length);
            }
            let detail = excerpt(&scrubber.scrub(&store_error(&text)));
            if status == 403 || status == 400 && text.contains("xpired") {
                return Attempt::Fail(ClientError::UploadUrlRefused {
                    dataset_id: dataset_id.to_owned(),
                    url: redacted.clone(),
                    detail,
                });
            }
            status_failure(status, retry_after, detail, &redacted, &dataset)
        })
    }
}

/// Where a polled dataset stands.
pub(crate) enum Phase {
    /// Processing ended well.
    Done,
    /// Processing failed, with the platform's words.
    Failed(String),
    /// Not yet.
    Pending,
}

/// One poll's answer: the value, where it stands, the status in the platform's words and in
/// the common words.
pub(crate) type Polled<T> = (T, Phase, String, DatasetStatus);

/// Polls with `fetch` until [`Phase::Done`] (the value) or [`Phase::Failed`]
/// ([`ClientError::PlatformFailed`]), fast at first then backing off, within `poll.timeout`
/// ([`ClientError::PlatformTimeout`]).
pub(crate) fn poll_until<T>(
    platform: &'static str,
    dataset_id: &str,
    poll: &PollOptions,
    reporter: &dyn Reporter,
    mut fetch: impl FnMut() -> Result<Polled<T>, ClientError>,
) -> Result<T, ClientError> {
    let start = Instant::now();
    let mut interval = poll.initial_interval;
    loop {
        let (value, phase, raw, common) = fetch()?;
        reporter.on_status(&common);
        match phase {
            Phase::Done => return Ok(value),
            Phase::Failed(message) => {
                return Err(ClientError::PlatformFailed {
                    platform,
                    dataset_id: dataset_id.to_owned(),
                    // the platform's own words, cut to an excerpt: they may be any length
                    message: excerpt(&message),
                });
            }
            Phase::Pending => {}
        }
        let waited = start.elapsed();
        if waited >= poll.timeout {
            return Err(ClientError::PlatformTimeout {
                platform,
                dataset_id: dataset_id.to_owned(),
                waited,
                last_status: raw,
            });
        }
        thread::sleep(interval.min(poll.timeout - waited));
        interval = interval.saturating_mul(2).min(poll.max_interval);
    }
}

/// Counts bytes as ureq pulls them from the file.
struct Progress<'a, R> {
    inner: R,
    reporter: &'a dyn Reporter,
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.reporter.on_upload_progress(n as u64);
        }
        Ok(n)
    }
}

fn retry_after_of(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// `Code: Message` of an S3 or GCS XML error, else the text.
fn store_error(text: &str) -> String {
    let element = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].trim().to_owned())
    };
    match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => text.to_owned(),
    }
}

/// The problems an error body names, one string each. Understood: FastAPI's
/// `{"detail": [{"loc": [...], "msg": ...}]}` (Coactive), `{"detail": "..."}`,
/// `{"error": {"detail": ..., "title": ...}}` and `{"error": "..."}` (Prolific),
/// `{"message": "..."}` (Datature). Anything else: the start of the body.
pub(crate) fn error_details(body: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return vec![excerpt(body)];
    };
    let mut out = Vec::new();
    match value.get("detail") {
        Some(Value::Array(items)) => {
            for item in items {
                let loc: Vec<String> = item
                    .get("loc")
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .filter(|p| p.as_str() != Some("body"))
                            .map(|p| match p {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                out.push(if loc.is_empty() {
                    msg.to_owned()
                } else {
                    format!("{}: {msg}", loc.join("."))
                });
            }
        }
        Some(Value::String(s)) => out.push(s.clone()),
        _ => {}
    }
    match value.get("error") {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Object(map)) => {
            for key in ["title", "detail", "message"] {
                match map.get(key) {
                    Some(Value::String(s)) => out.push(s.clone()),
                    Some(Value::Object(fields)) => {
                        for (field, problem) in fields {
                            out.push(format!("{field}: {}", flat(problem)));
                        }
                    }
                    Some(other @ Value::Array(_)) => out.push(flat(other)),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(Value::String(s)) = value.get("message") {
        out.push(s.clone());
    }
    if out.is_empty() {
        out.push(excerpt(body));
    }
    // Each problem cut to an excerpt, and no more than a screenful of them.
    let more = out.len().saturating_sub(MAX_DETAILS);
    let mut shown: Vec<String> = out.into_iter().take(MAX_DETAILS).map(|s| excerpt(&s)).collect();
    if more > 0 {
        shown.push(format!("(and {more} more)"));
    }
    shown
}

/// The most problems of one error answer that a message lists.
const MAX_DETAILS: usize = 10;

fn flat(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(flat).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_bodies_become_one_line_per_problem() {
        assert_eq!(
            error_details(
                r#"{"detail":[{"loc":["body","name"],"msg":"string does not match regex","type":"value_error"},{"loc":["body","encoder_name"],"msg":"field required","type":"missing"}]}"#
            ),
            [
                "name: string does not match regex",
                "encoder_name: field required"
            ]
        );
        assert_eq!(
            error_details(r#"{"error":{"title":"Bad request","detail":{"workspace_id":["not found"]}}}"#),
            ["Bad request", "workspace_id: not found"]
        );
        assert_eq!(error_details("<html>oops</html>"), ["<html>oops</html>"]);
        // A long list of problems is cut to a screenful.
        let many: Vec<String> = (0..15)
            .map(|i| format!(r#"{{"loc":["body","f{i}"],"msg":"bad"}}"#))
            .collect();
        let details = error_details(&format!(r#"{{"detail":[{}]}}"#, many.join(",")));
        assert_eq!(details.len(), 11, "{details:?}");
        assert_eq!(details[10], "(and 5 more)");
    }

    #[test]
    fn ids_stay_one_segment() {
        assert_eq!(segment("proj_ab-1"), "proj_ab-1");
        assert_eq!(segment("../x"), "%2E%2E%2Fx");
    }
}
