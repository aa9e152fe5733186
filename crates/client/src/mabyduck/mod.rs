//! The Mabyduck dataset API: create a dataset, upload its file to the signed URL, poll
//! until it is processed, fetch its stimuli and check them against the local manifest.
//!
//! Endpoints (base [`DEFAULT_API_URL`], header `Authorization: Api-Key <key>`):
//! `POST /projects/{project}/datasets/`, `PUT upload_url` (no API key: a signed
//! object-store URL), `GET status_url`, `GET /projects/{project}/datasets/{id}/` and
//! `GET /projects/{project}/datasets/`. Experiments, jobs, costs, launches and ratings are in
//! `experiments.rs` (see [`Client::launch_with_consent`]).

mod experiments;
mod poll;
mod types;
mod upload;
mod verify;

use std::fmt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use experiments::{
    ConfirmationToken, Consent, CreateExperimentRequest, CreateJobRequest, DatasetRef, Experiment,
    ExperimentDetail, Job, JobCost, LANGUAGES, LaunchOutcome, MAX_EXPERIMENT_NAME_CHARS,
    MAX_INTRODUCTION_CHARS, MAX_QUESTION_CHARS, MAX_TITLE_CHARS, MAX_TOKEN_FETCHES, Metric, PlacedRating,
    PlacedRatings, PlatformId, PlatformStimulus, PoolKind, RaterPool, Rating, Slate, SlateRating,
    StimulusIndex, Strategy, TOKEN_SAFETY_MARGIN, condition_of, is_token_refusal, place_rating,
};
pub use poll::{DEFAULT_POLL_INITIAL, DEFAULT_POLL_MAX_INTERVAL, DEFAULT_POLL_TIMEOUT, PollOptions};
pub use types::{
    CreateDatasetRequest, CreatedDataset, DatasetDetail, DatasetStatus, DatasetSummary, StatusResponse,
    Stimulus,
};
pub use verify::{ExpectedStimulus, Regrouped, StimulusMismatch, verify_stimuli};

use crate::error::ClientError;
use crate::reporter::{Reporter, RetryEvent};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::{ApiKey, RedactedUrl, Scrubber};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://api.mabyduck.com";
/// The environment variable front ends read the API key from.
pub const API_KEY_ENV: &str = "MABYDUCK_API_KEY";
/// The longest dataset name the API accepts, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Time allowed to open a TCP (and TLS) connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Time allowed for each read from the connection (not for the whole answer).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed for each write to the connection; a stalled upload fails after this
/// and is retried, while a slow but moving one goes on as long as it needs.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest JSON answer read (a detail of a very large dataset stays far below).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// How much of an error answer goes into an error message.
const DETAIL_CHARS: usize = 300;

/// How to reach the API.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The API's base URL, e.g. [`DEFAULT_API_URL`] or a local test server.
    pub base_url: String,
    /// See [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_READ_TIMEOUT`].
    pub read_timeout: Duration,
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// Retries of 408, 429, 5xx and dropped connections.
    pub retry: RetryPolicy,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_API_URL.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: concat!("stimpack/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// What [`Client::upload_and_wait`] should do.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    /// Dataset name, 1 to [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// The `.zip` or `.txt` file to upload.
    pub file_path: PathBuf,
    /// The filename to declare; the file's own name when `None`.
    pub filename: Option<String>,
    /// Days to keep the data (-1 = forever); the platform default when `None`.
    pub retention_days: Option<i64>,
    /// The stimuli the manifest lists; checked after `ready` when given and `wait` is set.
    pub expected: Option<Vec<ExpectedStimulus>>,
    /// Wait until the dataset is processed (else return right after the upload).
    pub wait: bool,
    /// How to poll while waiting.
    pub poll: PollOptions,
}

impl Default for UploadRequest {
    fn default() -> Self {
        Self {
            name: String::new(),
            file_path: PathBuf::new(),
            filename: None,
            retention_days: None,
            expected: None,
            wait: true,
            poll: PollOptions::default(),
        }
    }
}

/// What an upload achieved; serialisable for `--json` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadOutcome {
    /// The new dataset.
    pub dataset_id: String,
    /// Its name.
    pub name: String,
    /// The filename declared.
    pub filename: String,
    /// Bytes uploaded.
    pub bytes: u64,
    /// `processing` when not waited for, else `ready`.
    pub status: DatasetStatus,
    /// How many stimuli the platform reports (when waited for).
    pub stimuli: Option<usize>,
    /// Whether the stimuli were checked against the expected list (and matched).
    pub verified: bool,
}

/// A blocking client for one Mabyduck project.
pub struct Client {
    agent: ureq::Agent,
    base_url: String,
    project_id: String,
    key: ApiKey,
    options: ClientOptions,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &RedactedUrl::new(&self.base_url))
            .field("project_id", &self.project_id)
            .field("key", &self.key)
            .field("retry", &self.options.retry)
            .finish_non_exhaustive()
    }
}

/// One attempt's result, for the retry loop.
pub(crate) enum Attempt<T> {
    Done(T),
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fail(ClientError),
}

/// Check a project id: ASCII letters and digits only.
pub fn validate_project_id(project_id: &str) -> Result<(), ClientError> {
    if project_id.is_empty() || !project_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ClientError::InvalidProjectId {
            project_id: project_id.to_owned(),
        });
    }
    Ok(())
}

/// Check a dataset name: 1 to [`MAX_NAME_CHARS`] characters.
pub fn validate_name(name: &str) -> Result<(), ClientError> {
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS {
        return Err(ClientError::InvalidName {
            name: name.to_owned(),
            length,
            max: MAX_NAME_CHARS,
        });
    }
    Ok(())
}

/// Check an upload filename: it must end in `.zip` or `.txt`.
pub fn validate_filename(filename: &str) -> Result<(), ClientError> {
    if !(filename.ends_with(".zip") || filename.ends_with(".txt")) || filename.contains('/') {
        return Err(ClientError::InvalidFilename {
            filename: filename.to_owned(),
        });
    }
    Ok(())
}

/// `scheme://authority` of an absolute http(s) URL.
fn origin(url: &str) -> Option<&str> {
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

impl Client {
    /// A client for `project_id`, authenticating with `key`.
    pub fn new(
        key: ApiKey,
        project_id: impl Into<String>,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let project_id = project_id.into();
        validate_project_id(&project_id)?;
        let base_url = options.base_url.trim().trim_end_matches('/').to_owned();
        if origin(&base_url).is_none() || base_url.contains(['?', '#', '@']) {
            return Err(ClientError::InvalidBaseUrl {
                url: RedactedUrl::new(&base_url),
            });
        }
        let config = ureq::Agent::config_builder()
            // Statuses are classified here (retry, key rejected, ...), not by ureq.
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_per_write(Some(options.write_timeout))
            .user_agent(options.user_agent.clone())
            .build();
        Ok(Self {
            agent: ureq::Agent::new_with_config(config),
            base_url,
            project_id,
            key,
            options,
        })
    }

    /// The API base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The project this client works on.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    fn datasets_url(&self) -> String {
        format!("{}/projects/{}/datasets/", self.base_url, self.project_id)
    }

    fn dataset_url(&self, dataset_id: &str) -> String {
        format!("{}{}/", self.datasets_url(), path_segment(dataset_id))
    }

    /// `POST /projects/{project}/datasets/`: a new draft dataset with its upload URL.
    pub fn create_dataset(
        &self,
        request: &CreateDatasetRequest,
        reporter: &dyn Reporter,
    ) -> Result<CreatedDataset, ClientError> {
        validate_name(&request.name)?;
        validate_filename(&request.filename)?;
        let body = serde_json::to_vec(request).expect("a struct of strings serialises");
        let url = self.datasets_url();
        let created: CreatedDataset = self.api_json(&url, Some(&body), None, reporter)?;
        reporter.on_dataset_created(&created.id);
        Ok(created)
    }

    /// One `GET status_url`. The API key is sent only if the URL is on the API's own
    /// host, so a tampered answer cannot make the client hand the key elsewhere.
    pub fn status(
        &self,
        created: &CreatedDataset,
        reporter: &dyn Reporter,
    ) -> Result<StatusResponse, ClientError> {
        let url = self.checked_status_url(created)?;
        self.api_json(&url, None, Some(&created.id), reporter)
    }

    fn checked_status_url(&self, created: &CreatedDataset) -> Result<String, ClientError> {
        let url = created.status_url.expose();
        if url.starts_with('/') {
            let base_origin = origin(&self.base_url).unwrap_or_default();
            return Ok(format!("{base_origin}{url}"));
        }
        if origin(url) != origin(&self.base_url) {
            return Err(ClientError::InvalidResponse {
                url: created.status_url.redacted(),
                reason: format!(
                    "the status URL is not on the API host {}, so the API key is not sent there",
                    RedactedUrl::new(&self.base_url)
                ),
                dataset_id: Some(created.id.clone()),
            });
        }
        Ok(url.to_owned())
    }

    /// `GET /projects/{project}/datasets/{id}/`: the dataset with its stimuli. A 404 is
    /// [`ClientError::DatasetNotFound`].
    pub fn dataset_detail(
        &self,
        dataset_id: &str,
        reporter: &dyn Reporter,
    ) -> Result<DatasetDetail, ClientError> {
        let url = self.dataset_url(dataset_id);
        self.api_json(&url, None, Some(dataset_id), reporter)
            .map_err(|e| match e {
                ClientError::Http { status: 404, .. } => ClientError::DatasetNotFound {
                    dataset_id: dataset_id.to_owned(),
                    project_id: self.project_id.clone(),
                },
                other => other,
            })
    }

    /// `GET /projects/{project}/datasets/`: every dataset of the project.
    pub fn list_datasets(&self, reporter: &dyn Reporter) -> Result<Vec<DatasetSummary>, ClientError> {
        let url = self.datasets_url();
        self.api_json(&url, None, None, reporter)
    }

    /// Create, upload, and (if `request.wait`) poll until ready and verify the stimuli.
    ///
    /// Errors after the dataset was created carry its id ([`ClientError::dataset_id`]).
    pub fn upload_and_wait(
        &self,
        request: &UploadRequest,
        reporter: &dyn Reporter,
    ) -> Result<UploadOutcome, ClientError> {
        validate_name(&request.name)?;
        let filename = match &request.filename {
            Some(name) => name.clone(),
            None => file_name_of(&request.file_path),
        };
        validate_filename(&filename)?;
        // Fail before creating a dataset that would stay an empty draft.
        if let Err(source) = std::fs::File::open(&request.file_path) {
            return Err(ClientError::ReadFile {
                path: request.file_path.clone(),
                source,
                dataset_id: None,
            });
        }
        let created = self.create_dataset(
            &CreateDatasetRequest {
                name: request.name.clone(),
                filename: filename.clone(),
                retention_days: request.retention_days,
            },
            reporter,
        )?;
        let bytes = self.upload_file(&created, &request.file_path, reporter)?;
        let mut outcome = UploadOutcome {
            dataset_id: created.id.clone(),
            name: request.name.clone(),
            filename,
            bytes,
            status: DatasetStatus::Processing,
            stimuli: None,
            verified: false,
        };
        if !request.wait {
            return Ok(outcome);
        }
        self.wait_until_ready(&created, &request.poll, reporter)?;
        outcome.status = DatasetStatus::Ready;
        let detail = self.dataset_detail(&created.id, reporter)?;
        outcome.stimuli = Some(detail.stimuli.len());
        if let Some(expected) = &request.expected {
            verify_stimuli(expected, &detail.stimuli).map_err(|mismatch| ClientError::StimuliMismatch {
                dataset_id: created.id.clone(),
                mismatch,
            })?;
            outcome.verified = true;
        }
        Ok(outcome)
    }

    /// Run `attempt` until it is done, fails for good, or the retry policy runs out.
    pub(crate) fn retrying<T>(
        &self,
        url: &RedactedUrl,
        dataset_id: Option<&str>,
        reporter: &dyn Reporter,
        mut attempt: impl FnMut() -> Attempt<T>,
    ) -> Result<T, ClientError> {
        let policy = &self.options.retry;
        let max_attempts = policy.max_attempts.max(1);
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
                    let wait = policy.wait(number, retry_after);
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

    /// An authenticated JSON call: `GET`, or `POST` of `body`.
    fn api_json<T: DeserializeOwned>(
        &self,
        url: &str,
        body: Option<&[u8]>,
        dataset_id: Option<&str>,
        reporter: &dyn Reporter,
    ) -> Result<T, ClientError> {
        self.api_json_hiding(url, body, dataset_id, None, reporter)
    }

    /// [`Client::api_json`] whose error messages also never show `secret` (a confirmation token
    /// the body carries, which a server may echo in its error).
    pub(crate) fn api_json_hiding<T: DeserializeOwned>(
        &self,
        url: &str,
        body: Option<&[u8]>,
        dataset_id: Option<&str>,
        secret: Option<&str>,
        reporter: &dyn Reporter,
    ) -> Result<T, ClientError> {
        let redacted = RedactedUrl::new(url);
        let scrubber = Scrubber::new(&self.key).with_secret(secret);
        let auth = format!("Api-Key {}", self.key.expose());
        let dataset = dataset_id.map(str::to_owned);
        self.retrying(&redacted, dataset_id, reporter, || {
            let sent = match body {
                None => self
                    .agent
                    .get(url)
                    .header("Authorization", &auth)
                    .header("Accept", "application/json")
                    .call(),
                Some(body) => self
                    .agent
                    .post(url)
                    .header("Authorization", &auth)
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/json")
                    .send(body),
            };
            let mut response = match sent {
                Ok(response) => response,
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
                Ok(text) => text,
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
            let detail = excerpt(&scrubber.scrub(&String::from_utf8_lossy(&text)));
            match status {
                401 | 403 => Attempt::Fail(ClientError::Unauthorized {
                    status,
                    url: redacted.clone(),
                    dataset_id: dataset.clone(),
                }),
                _ => status_failure(status, retry_after, detail, &redacted, &dataset),
            }
        })
    }
}

/// `text` as one URL path segment: ASCII letters, digits, `-`, `_` and `~` kept, every other
/// byte percent-encoded (dots too, so `..` cannot climb), so an id typed by a user cannot
/// reach another endpoint.
fn path_segment(text: &str) -> String {
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

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn retry_after_of(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// 408, 429 and 5xx are retried; any other status is final.
pub(crate) fn status_failure<T>(
    status: u16,
    retry_after: Option<Duration>,
    detail: String,
    url: &RedactedUrl,
    dataset_id: &Option<String>,
) -> Attempt<T> {
    if status == 408 || status == 429 || (500..600).contains(&status) {
        // The wait (the server's Retry-After, when given) is told with the retry itself.
        let reason = format!("HTTP {status}");
        return Attempt::Retry { reason, retry_after };
    }
    Attempt::Fail(ClientError::Http {
        status,
        url: url.clone(),
        detail,
        dataset_id: dataset_id.clone(),
    })
}

/// Dropped, reset and timed-out connections are retried; DNS, TLS and URL errors are not.
pub(crate) fn transport_failure<T>(
    error: ureq::Error,
    scrubber: &Scrubber<'_>,
    url: &RedactedUrl,
    dataset_id: &Option<String>,
) -> Attempt<T> {
    let reason = match &error {
        // Its text is the whole URL, query string included.
        ureq::Error::BadUri(_) => "the URL is not valid".to_owned(),
        other => scrubber.scrub(&other.to_string()),
    };
    match error {
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::Protocol(_)
        | ureq::Error::ConnectionFailed => Attempt::Retry {
            reason,
            retry_after: None,
        },
        _ => Attempt::Fail(ClientError::Transport {
            url: url.clone(),
            reason,
            dataset_id: dataset_id.clone(),
        }),
    }
}

/// The start of a server's answer, on one line.
pub(crate) fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty answer)".to_owned();
    }
    let mut out: String = one_line.chars().take(DETAIL_CHARS).collect();
    if out.len() < one_line.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_inputs() {
        assert!(validate_project_id("abc123").is_ok());
        for bad in ["", "abc-123", "a/b", "ä"] {
            assert!(validate_project_id(bad).is_err(), "{bad}");
        }
        assert!(validate_name(&"x".repeat(64)).is_ok());
        assert!(validate_name(&"é".repeat(64)).is_ok(), "characters, not bytes");
        assert!(validate_name(&"x".repeat(65)).is_err());
        assert!(validate_name("").is_err());
        assert!(validate_filename("a.zip").is_ok());
        assert!(validate_filename("urls.txt").is_ok());
        assert!(validate_filename("a.tar").is_err());
        assert!(validate_filename("dir/a.zip").is_err());
    }

    #[test]
    fn base_url_must_be_http() {
        let key = ApiKey::new("k").unwrap();
        for bad in ["api.mabyduck.com", "ftp://x", "https://", "https://h/?x=1"] {
            let options = ClientOptions {
                base_url: bad.into(),
                ..ClientOptions::default()
            };
            assert!(Client::new(key.clone(), "p1", options).is_err(), "{bad}");
        }
        let options = ClientOptions {
            base_url: "https://api.example.com/".into(),
            ..ClientOptions::default()
        };
        let client = Client::new(key, "p1", options).unwrap();
        assert_eq!(client.base_url(), "https://api.example.com");
        assert!(!format!("{client:?}").contains("\"k\""));
    }

    #[test]
    fn dataset_ids_stay_one_path_segment() {
        assert_eq!(path_segment("ab12-_~"), "ab12-_~");
        assert_eq!(path_segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }

    #[test]
    fn origin_of_urls() {
        assert_eq!(origin("https://a.b:8/x?y"), Some("https://a.b:8"));
        assert_eq!(origin("http://a"), Some("http://a"));
        assert_eq!(origin("https:///x"), None);
    }
}
