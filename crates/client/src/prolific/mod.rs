//! Prolific AI Task Builder datasets: create a dataset in a workspace, ask for a signed upload
//! URL, `PUT` the CSV there, poll until `READY` (or `ERROR`), and check the datapoint count.
//!
//! Endpoints (base [`DEFAULT_API_URL`], header `Authorization: Token <token>`):
//! `POST /api/v1/data-collection/datasets`, `GET .../datasets/{id}/upload-url/{filename}`,
//! `PUT upload_url` (`Content-Type: text/csv`, no token), `GET .../datasets/{id}`.
//!
//! Where the public docs are silent, the guesses are here: the failure text of an `ERROR`
//! dataset is read from `error` (a string, or an object with `detail`/`title`/`message`) or
//! `status_message`; the datapoint count from `total_datapoint_count` or `datapoint_count`
//! (not verified when neither is sent).

mod types;

use std::path::{Path, PathBuf};

use serde_json::json;

pub use types::{ProlificDataset, UploadUrl};

use crate::error::ClientError;
use crate::mabyduck::{ClientOptions, DatasetStatus, PollOptions};
use crate::reporter::Reporter;
use crate::rest::{Auth, Phase, Rest, poll_until, segment};
use crate::secret::{ApiKey, RedactedUrl};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://api.prolific.com";
/// The environment variable front ends read the token from.
pub const TOKEN_ENV: &str = "PROLIFIC_API_TOKEN";
/// The environment variable naming the workspace.
pub const WORKSPACE_ENV: &str = "PROLIFIC_WORKSPACE";
/// The environment variable overriding the API base URL.
pub const API_URL_ENV: &str = "PROLIFIC_API_URL";

const PLATFORM: &str = "Prolific";

/// What [`Client::upload_and_wait`] should do.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    /// The dataset's name.
    pub name: String,
    /// The CSV to upload.
    pub file_path: PathBuf,
    /// Rows in the CSV (datapoints), checked against the platform's count when it sends one.
    pub rows: usize,
    /// Wait until processed.
    pub wait: bool,
    /// How to poll.
    pub poll: PollOptions,
}

/// What an upload achieved.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UploadOutcome {
    /// The new dataset.
    pub dataset_id: String,
    /// Its name.
    pub name: String,
    /// Bytes uploaded.
    pub bytes: u64,
    /// The last status, in Prolific's words (`READY`, or `PROCESSING` when not waited for).
    pub status: String,
    /// Datapoints the platform reports, when it does.
    pub items: Option<usize>,
    /// Whether that count was checked against the rows sent (and matched).
    pub verified: bool,
}

/// A blocking client for one Prolific workspace.
pub struct Client {
    rest: Rest,
    workspace_id: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("prolific::Client")
            .field("base_url", &RedactedUrl::new(&self.rest.base_url))
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `workspace_id`, authenticating with `token`.
    pub fn new(
        token: ApiKey,
        workspace_id: impl Into<String>,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let workspace_id = workspace_id.into();
        if workspace_id.trim().is_empty() || !workspace_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ClientError::Config {
                platform: PLATFORM,
                message: format!(
                    "workspace id `{workspace_id}` is not valid: Prolific workspace ids are letters and digits (copy it from the workspace's URL)"
                ),
            });
        }
        let auth = Auth {
            header: "Authorization",
            prefix: "Token ",
        };
        Ok(Self {
            rest: Rest::new(PLATFORM, TOKEN_ENV, token, auth, &options)?,
            workspace_id,
        })
    }

    fn datasets_url(&self) -> String {
        self.rest.url("/api/v1/data-collection/datasets")
    }

    /// `POST /api/v1/data-collection/datasets`: a new, empty (`UNINITIALISED`) dataset.
    pub fn create_dataset(
        &self,
        name: &str,
        reporter: &dyn Reporter,
    ) -> Result<ProlificDataset, ClientError> {
        let body = json!({"name": name, "workspace_id": self.workspace_id});
        let created: ProlificDataset = self
            .rest
            .json(&self.datasets_url(), Some(&body), None, reporter)?;
        reporter.on_dataset_created(&created.id);
        Ok(created)
    }

    /// `GET .../datasets/{id}/upload-url/{filename}`: where to `PUT` the CSV.
    pub fn upload_url(
        &self,
        dataset_id: &str,
        filename: &str,
        reporter: &dyn Reporter,
    ) -> Result<UploadUrl, ClientError> {
        let url = format!(
            "{}/{}/upload-url/{}",
            self.datasets_url(),
            segment(dataset_id),
            segment(filename)
        );
        self.rest.json(&url, None, Some(dataset_id), reporter)
    }

    /// `PUT` the CSV to the signed URL, with `Content-Type: text/csv`.
    pub fn upload_file(
        &self,
        dataset_id: &str,
        url: &UploadUrl,
        path: &Path,
        reporter: &dyn Reporter,
    ) -> Result<u64, ClientError> {
        let headers = [("Content-Type".to_owned(), "text/csv".to_owned())];
        self.rest
            .put_file(&url.upload_url, &headers, path, dataset_id, reporter)
    }

    /// `GET .../datasets/{id}`.
    pub fn dataset(&self, dataset_id: &str, reporter: &dyn Reporter) -> Result<ProlificDataset, ClientError> {
        let url = format!("{}/{}", self.datasets_url(), segment(dataset_id));
        self.rest.json(&url, None, Some(dataset_id), reporter)
    }

    /// Poll until `READY`; `ERROR` is [`ClientError::PlatformFailed`] with Prolific's text.
    pub fn wait_until_ready(
        &self,
        dataset_id: &str,
        poll: &PollOptions,
        reporter: &dyn Reporter,
    ) -> Result<ProlificDataset, ClientError> {
        poll_until(PLATFORM, dataset_id, poll, reporter, || {
            let dataset = self.dataset(dataset_id, reporter)?;
            let phase = match dataset.status.as_str() {
                "READY" => Phase::Done,
                "ERROR" => Phase::Failed(dataset.error_text()),
                _ => Phase::Pending,
            };
            let (raw, common) = (dataset.status.clone(), dataset.common_status());
            Ok((dataset, phase, raw, common))
        })
    }

    /// Create, get the upload URL, upload, and (if `request.wait`) wait and verify the count.
    pub fn upload_and_wait(
        &self,
        request: &UploadRequest,
        reporter: &dyn Reporter,
    ) -> Result<UploadOutcome, ClientError> {
        if let Err(source) = std::fs::File::open(&request.file_path) {
            return Err(ClientError::ReadFile {
                path: request.file_path.clone(),
                source,
                dataset_id: None,
            });
        }
        let filename = request
            .file_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dataset.csv".into());
        let created = self.create_dataset(&request.name, reporter)?;
        let url = self.upload_url(&created.id, &filename, reporter)?;
        let bytes = self.upload_file(&created.id, &url, &request.file_path, reporter)?;
        let mut outcome = UploadOutcome {
            dataset_id: created.id.clone(),
            name: request.name.clone(),
            bytes,
            status: "PROCESSING".into(),
            items: None,
            verified: false,
        };
        if !request.wait {
            return Ok(outcome);
        }
        let ready = self.wait_until_ready(&created.id, &request.poll, reporter)?;
        outcome.status = ready.status.clone();
        outcome.items = ready.datapoints();
        if let Some(actual) = outcome.items {
            if actual != request.rows {
                return Err(ClientError::CountMismatch {
                    platform: PLATFORM,
                    dataset_id: created.id,
                    expected: request.rows,
                    actual,
                });
            }
            outcome.verified = true;
        }
        Ok(outcome)
    }
}

impl ProlificDataset {
    /// The status in the words every front end shows.
    pub fn common_status(&self) -> DatasetStatus {
        match self.status.as_str() {
            "UNINITIALISED" => DatasetStatus::Draft,
            "PROCESSING" => DatasetStatus::Processing,
            "READY" => DatasetStatus::Ready,
            "ERROR" => DatasetStatus::Error,
            _ => DatasetStatus::Unknown,
        }
    }
}
