//! Datature Nexus batch datasets: create a dataset with the NDJSON file's size and CRC32C,
//! `PUT` the file to the signed URL with exactly the headers the answer lists, poll
//! `status.overview` until `Uploaded` or `Processed` (or a `Failed*` state), and check the
//! item count. A dataset that expires within [`EXPIRY_WARNING`] is told through
//! [`Reporter::on_warning`].
//!
//! Endpoints (base [`DEFAULT_API_URL`], the Python SDK's; header `Secret-Key: <key>`, as the
//! SDK sends it): `POST /projects/{project}/batch/datasets`,
//! `GET /projects/{project}/batch/datasets/{id}`.
//!
//! Guesses where the public docs are silent, all here: the upload URL's `headers` is read as
//! an object of header names to values (the SDK hands it to `requests` as such; the docs show
//! only the names); the `crc32c` sent is base64 of the big-endian CRC32C, as the SDK computes.

mod types;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::json;

pub use types::{DatatureDataset, DatatureStatus, UploadTarget};

use crate::error::ClientError;
use crate::mabyduck::{ClientOptions, DatasetStatus, PollOptions};
use crate::reporter::Reporter;
use crate::rest::{Auth, Phase, Rest, poll_until, segment};
use crate::secret::{ApiKey, RedactedUrl};

/// The production API (the Python SDK's default).
pub const DEFAULT_API_URL: &str = "https://api.datature.io";
/// The environment variable front ends read the secret key from.
pub const SECRET_KEY_ENV: &str = "DATATURE_SECRET_KEY";
/// The environment variable naming the project.
pub const PROJECT_ENV: &str = "DATATURE_PROJECT";
/// The environment variable overriding the API base URL.
pub const API_URL_ENV: &str = "DATATURE_API_URL";
/// A dataset that expires sooner than this after upload gets a warning.
pub const EXPIRY_WARNING: Duration = Duration::from_secs(24 * 3600);
/// The source kind of an uploaded NDJSON file.
pub const SOURCE_KIND: &str = "UploadedNewlineDelimitedJsonFile";

const PLATFORM: &str = "Datature";

/// What [`Client::upload_and_wait`] should do.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    /// The dataset's name.
    pub name: String,
    /// The `.ndjson` file.
    pub file_path: PathBuf,
    /// Lines in the file (items), checked against `item_count` when the platform sends it.
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
    /// The last `overview`, in Datature's words.
    pub status: String,
    /// Items the platform reports, when it does.
    pub items: Option<usize>,
    /// Whether that count was checked against the lines sent (and matched).
    pub verified: bool,
    /// When the dataset expires, in milliseconds since 1970.
    pub expiry_time: Option<u64>,
}

/// Size and base64 of the big-endian CRC32C of a file, read once in blocks.
pub fn size_and_crc32c(path: &Path) -> io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut crc = 0u32;
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        crc = crc32c::crc32c_append(crc, &buf[..n]);
        size += n as u64;
    }
    Ok((
        size,
        base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes()),
    ))
}

/// A blocking client for one Datature project.
pub struct Client {
    rest: Rest,
    project_id: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("datature::Client")
            .field("base_url", &RedactedUrl::new(&self.rest.base_url))
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `project_id` (`proj_...`), authenticating with `secret_key`.
    pub fn new(
        secret_key: ApiKey,
        project_id: impl Into<String>,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let project_id = project_id.into();
        if project_id.is_empty()
            || !project_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ClientError::Config {
                platform: PLATFORM,
                message: format!(
                    "project id `{project_id}` is not valid: Datature project ids look like proj_0123abcd (copy it from the project's settings)"
                ),
            });
        }
        let auth = Auth {
            header: "Secret-Key",
            prefix: "",
        };
        Ok(Self {
            rest: Rest::new(PLATFORM, SECRET_KEY_ENV, secret_key, auth, &options)?,
            project_id,
        })
    }

    fn datasets_url(&self) -> String {
        self.rest
            .url(&format!("/projects/{}/batch/datasets", segment(&self.project_id)))
    }

    /// `POST /projects/{project}/batch/datasets` with the file's size and CRC32C: the dataset
    /// and where to upload the file.
    pub fn create_dataset(
        &self,
        name: &str,
        size_bytes: u64,
        crc32c: &str,
        reporter: &dyn Reporter,
    ) -> Result<DatatureDataset, ClientError> {
        let body = json!({
            "name": name,
            "spec": {"source": {"kind": SOURCE_KIND, "sizeBytes": size_bytes, "crc32c": crc32c}},
        });
        let created: DatatureDataset = self
            .rest
            .json(&self.datasets_url(), Some(&body), None, reporter)?;
        reporter.on_dataset_created(&created.id);
        Ok(created)
    }

    /// `PUT` the file to the dataset's upload URL with exactly the headers listed.
    pub fn upload_file(
        &self,
        dataset: &DatatureDataset,
        path: &Path,
        reporter: &dyn Reporter,
    ) -> Result<u64, ClientError> {
        let target = dataset
            .upload_target()
            .ok_or_else(|| ClientError::InvalidResponse {
                url: RedactedUrl::new(&self.datasets_url()),
                reason: "the new dataset has no status.source.upload_url to upload the file to".into(),
                dataset_id: Some(dataset.id.clone()),
            })?;
        if !target.method.eq_ignore_ascii_case("PUT") {
            return Err(ClientError::InvalidResponse {
                url: target.url.redacted(),
                reason: format!(
                    "the upload method is {}, and only PUT is supported",
                    target.method
                ),
                dataset_id: Some(dataset.id.clone()),
            });
        }
        let headers: Vec<(String, String)> = target.headers.clone().into_iter().collect();
        self.rest
            .put_file(&target.url, &headers, path, &dataset.id, reporter)
    }

    /// `GET /projects/{project}/batch/datasets/{id}`.
    pub fn dataset(&self, dataset_id: &str, reporter: &dyn Reporter) -> Result<DatatureDataset, ClientError> {
        let url = format!("{}/{}", self.datasets_url(), segment(dataset_id));
        self.rest.json(&url, None, Some(dataset_id), reporter)
    }

    /// Poll until `Uploaded` or `Processed`; a `Failed*` overview is
    /// [`ClientError::PlatformFailed`] with the status message.
    pub fn wait_until_ready(
        &self,
        dataset_id: &str,
        poll: &PollOptions,
        reporter: &dyn Reporter,
    ) -> Result<DatatureDataset, ClientError> {
        poll_until(PLATFORM, dataset_id, poll, reporter, || {
            let dataset = self.dataset(dataset_id, reporter)?;
            let overview = dataset.status.overview.clone();
            let phase = match overview.as_str() {
                "Uploaded" | "Processed" => Phase::Done,
                o if o.starts_with("Failed") => Phase::Failed(format!(
                    "{o}: {}",
                    dataset
                        .status
                        .message
                        .clone()
                        .unwrap_or_else(|| "no reason given".into())
                )),
                _ => Phase::Pending,
            };
            let common = match overview.as_str() {
                "Uploaded" | "Processed" => DatasetStatus::Ready,
                "Waiting" => DatasetStatus::Draft,
                o if o.starts_with("Failed") => DatasetStatus::Error,
                _ => DatasetStatus::Processing,
            };
            Ok((dataset, phase, overview, common))
        })
    }

    /// Create, upload, and (if `request.wait`) wait and verify the item count.
    pub fn upload_and_wait(
        &self,
        request: &UploadRequest,
        reporter: &dyn Reporter,
    ) -> Result<UploadOutcome, ClientError> {
        let (size, crc) = size_and_crc32c(&request.file_path).map_err(|source| ClientError::ReadFile {
            path: request.file_path.clone(),
            source,
            dataset_id: None,
        })?;
        let created = self.create_dataset(&request.name, size, &crc, reporter)?;
        if let Some(expiry) = created.expiry_time {
            warn_if_expiring(&created.id, expiry, reporter);
        }
        let bytes = self.upload_file(&created, &request.file_path, reporter)?;
        let mut outcome = UploadOutcome {
            dataset_id: created.id.clone(),
            name: request.name.clone(),
            bytes,
            status: "Uploading".into(),
            items: None,
            verified: false,
            expiry_time: created.expiry_time,
        };
        if !request.wait {
            return Ok(outcome);
        }
        let done = self.wait_until_ready(&created.id, &request.poll, reporter)?;
        outcome.status = done.status.overview.clone();
        outcome.items = done.status.item_count;
        outcome.expiry_time = done.expiry_time.or(outcome.expiry_time);
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

fn warn_if_expiring(dataset_id: &str, expiry_ms: u64, reporter: &dyn Reporter) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let left = Duration::from_millis(expiry_ms.saturating_sub(now_ms));
    if left < EXPIRY_WARNING {
        let hours = left.as_secs_f64() / 3600.0;
        reporter.on_warning(&format!(
            "Datature dataset {dataset_id} expires in {hours:.1} h: run the batch prediction before then, or upload it again later"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_is_base64_of_big_endian() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ndjson");
        // The CRC32C check value of "123456789" is 0xE3069283.
        std::fs::write(&path, b"123456789").unwrap();
        let (size, crc) = size_and_crc32c(&path).unwrap();
        assert_eq!(size, 9);
        assert_eq!(
            crc,
            base64::engine::general_purpose::STANDARD.encode([0xE3, 0x06, 0x92, 0x83])
        );
        assert_eq!(crc, "4waSgw==");
    }
}
