//! Coactive visual datasets: create a dataset (name, encoder, asset types), add the assets
//! by URL at most [`MAX_ASSETS_PER_REQUEST`] per request, poll the dataset until it is ready,
//! and check its asset count. A 422 answer's `detail` list is shown in full.
//!
//! Endpoints (base [`DEFAULT_API_URL`], header `Authorization: Bearer <token>`):
//! `POST /api/v1/datasets`, `POST /api/v1/datasets/{id}/assets`, `GET /api/v1/datasets/{id}`.
//!
//! Guesses where the public docs are silent, all here: the assets endpoint and its body
//! (`{"images": [{path, metadata}], "videos": [...]}`); the created dataset's id in `id` or
//! `dataset_id`; the statuses [`READY_STATUSES`] and [`FAILED_STATUSES`] (any other is still
//! processing); the asset count in `asset_count` (not verified when absent); the default
//! encoder [`DEFAULT_ENCODER`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ClientError;
use crate::mabyduck::{ClientOptions, DatasetStatus, PollOptions};
use crate::reporter::Reporter;
use crate::rest::{Auth, Phase, Rest, poll_until, segment};
use crate::secret::{ApiKey, RedactedUrl};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://app.coactive.ai";
/// The environment variable front ends read the token from.
pub const TOKEN_ENV: &str = "COACTIVE_API_TOKEN";
/// The environment variable overriding the API base URL.
pub const API_URL_ENV: &str = "COACTIVE_API_URL";
/// The encoder asked for when none is given (a guess: see the module's docs).
pub const DEFAULT_ENCODER: &str = "multimodal";
/// The most assets one request adds.
pub const MAX_ASSETS_PER_REQUEST: usize = 100;
/// Statuses (lower-cased) that mean the dataset is usable.
pub const READY_STATUSES: &[&str] = &["ready", "active", "completed", "complete", "indexed"];
/// Statuses (lower-cased) that mean processing failed.
pub const FAILED_STATUSES: &[&str] = &["error", "failed", "errored"];

const PLATFORM: &str = "Coactive";

/// Image or video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    /// A still image.
    Image,
    /// A video.
    Video,
}

/// One asset to add.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// Image or video (decides the list it goes in).
    #[serde(skip)]
    pub kind: AssetKind,
    /// The URL Coactive fetches.
    pub path: String,
    /// Metadata stored with it.
    pub metadata: BTreeMap<String, String>,
}

/// Check a dataset name: letters, digits and `_` only, at least one.
pub fn validate_name(name: &str) -> Result<(), ClientError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ClientError::Config {
            platform: PLATFORM,
            message: format!(
                "dataset name `{name}` is not valid for Coactive: use only letters, digits and _ (e.g. {})",
                suggest_name(name)
            ),
        });
    }
    Ok(())
}

fn suggest_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.trim_matches('_').is_empty() {
        "my_dataset".into()
    } else {
        s
    }
}

/// What [`Client::upload_and_wait`] should do.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    /// The dataset's name (see [`validate_name`]).
    pub name: String,
    /// The encoder.
    pub encoder_name: String,
    /// The assets.
    pub assets: Vec<Asset>,
    /// Wait until processed.
    pub wait: bool,
    /// How to poll.
    pub poll: PollOptions,
}

/// What an upload achieved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadOutcome {
    /// The new dataset.
    pub dataset_id: String,
    /// Its name.
    pub name: String,
    /// Assets sent.
    pub assets: usize,
    /// Requests it took.
    pub requests: usize,
    /// The last status, in Coactive's words.
    pub status: String,
    /// Assets the platform reports, when it does.
    pub items: Option<usize>,
    /// Whether that count was checked against the assets sent (and matched).
    pub verified: bool,
}

/// A dataset as the API describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct CoactiveDataset {
    /// The id (`id`, or `dataset_id`).
    #[serde(alias = "dataset_id")]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its status.
    #[serde(default)]
    pub status: Option<String>,
    /// Why it failed, when it did (guess).
    #[serde(default)]
    pub error: Option<Value>,
    /// Assets in it (guess).
    #[serde(default)]
    pub asset_count: Option<usize>,
}

/// A blocking client for Coactive.
pub struct Client {
    rest: Rest,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("coactive::Client")
            .field("base_url", &RedactedUrl::new(&self.rest.base_url))
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client authenticating with `token`.
    pub fn new(token: ApiKey, options: ClientOptions) -> Result<Self, ClientError> {
        let auth = Auth {
            header: "Authorization",
            prefix: "Bearer ",
        };
        Ok(Self {
            rest: Rest::new(PLATFORM, TOKEN_ENV, token, auth, &options)?,
        })
    }

    /// `POST /api/v1/datasets`.
    pub fn create_dataset(
        &self,
        name: &str,
        encoder_name: &str,
        asset_types: &[AssetKind],
        reporter: &dyn Reporter,
    ) -> Result<CoactiveDataset, ClientError> {
        validate_name(name)?;
        let body = json!({
            "name": name,
            "encoder_name": encoder_name,
            "allowed_asset_types": asset_types,
            "description": "made by stimpack",
        });
        let created: CoactiveDataset =
            self.rest
                .json(&self.rest.url("/api/v1/datasets"), Some(&body), None, reporter)?;
        reporter.on_dataset_created(&created.id);
        Ok(created)
    }

    /// `POST /api/v1/datasets/{id}/assets`, [`MAX_ASSETS_PER_REQUEST`] at a time; returns
    /// the number of requests made. Progress is told in assets, as bytes are for files.
    pub fn add_assets(
        &self,
        dataset_id: &str,
        assets: &[Asset],
        reporter: &dyn Reporter,
    ) -> Result<usize, ClientError> {
        let url = self
            .rest
            .url(&format!("/api/v1/datasets/{}/assets", segment(dataset_id)));
        reporter.on_upload_start(assets.len() as u64);
        let mut requests = 0;
        for chunk in assets.chunks(MAX_ASSETS_PER_REQUEST) {
            let pick = |kind| chunk.iter().filter(|a| a.kind == kind).collect::<Vec<_>>();
            let body = json!({"images": pick(AssetKind::Image), "videos": pick(AssetKind::Video)});
            let _: Value = self.rest.json(&url, Some(&body), Some(dataset_id), reporter)?;
            requests += 1;
            reporter.on_upload_progress(chunk.len() as u64);
        }
        reporter.on_upload_complete();
        Ok(requests)
    }

    /// `GET /api/v1/datasets/{id}`.
    pub fn dataset(&self, dataset_id: &str, reporter: &dyn Reporter) -> Result<CoactiveDataset, ClientError> {
        let url = self
            .rest
            .url(&format!("/api/v1/datasets/{}", segment(dataset_id)));
        self.rest.json(&url, None, Some(dataset_id), reporter)
    }

    /// Poll until one of [`READY_STATUSES`]; one of [`FAILED_STATUSES`] is
    /// [`ClientError::PlatformFailed`].
    pub fn wait_until_ready(
        &self,
        dataset_id: &str,
        poll: &PollOptions,
        reporter: &dyn Reporter,
    ) -> Result<CoactiveDataset, ClientError> {
        poll_until(PLATFORM, dataset_id, poll, reporter, || {
            let dataset = self.dataset(dataset_id, reporter)?;
            let raw = dataset.status.clone().unwrap_or_else(|| "unknown".into());
            let lower = raw.to_ascii_lowercase();
            let (phase, common) = if READY_STATUSES.contains(&lower.as_str()) {
                (Phase::Done, DatasetStatus::Ready)
            } else if FAILED_STATUSES.contains(&lower.as_str()) {
                let message = match &dataset.error {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) if !v.is_null() => v.to_string(),
                    _ => "no reason given".into(),
                };
                (Phase::Failed(message), DatasetStatus::Error)
            } else {
                (Phase::Pending, DatasetStatus::Processing)
            };
            Ok((dataset, phase, raw, common))
        })
    }

    /// Create, add every asset, and (if `request.wait`) wait and verify the asset count.
    pub fn upload_and_wait(
        &self,
        request: &UploadRequest,
        reporter: &dyn Reporter,
    ) -> Result<UploadOutcome, ClientError> {
        validate_name(&request.name)?;
        let mut types = Vec::new();
        for kind in [AssetKind::Image, AssetKind::Video] {
            if request.assets.iter().any(|a| a.kind == kind) {
                types.push(kind);
            }
        }
        let created = self.create_dataset(&request.name, &request.encoder_name, &types, reporter)?;
        let requests = self.add_assets(&created.id, &request.assets, reporter)?;
        let mut outcome = UploadOutcome {
            dataset_id: created.id.clone(),
            name: request.name.clone(),
            assets: request.assets.len(),
            requests,
            status: created.status.clone().unwrap_or_else(|| "processing".into()),
            items: None,
            verified: false,
        };
        if !request.wait {
            return Ok(outcome);
        }
        let done = self.wait_until_ready(&created.id, &request.poll, reporter)?;
        outcome.status = done.status.clone().unwrap_or_default();
        outcome.items = done.asset_count;
        if let Some(actual) = outcome.items {
            if actual != request.assets.len() {
                return Err(ClientError::CountMismatch {
                    platform: PLATFORM,
                    dataset_id: created.id,
                    expected: request.assets.len(),
                    actual,
                });
            }
            outcome.verified = true;
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_digits_and_underscores() {
        assert!(validate_name("codec_test_3").is_ok());
        let e = validate_name("codec test-3").unwrap_err().to_string();
        assert!(e.contains("codec_test_3"), "{e}");
        assert!(validate_name("").is_err());
    }
}
