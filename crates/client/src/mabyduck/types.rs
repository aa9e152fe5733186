//! The JSON the Mabyduck dataset API sends and receives. Unknown fields are ignored so
//! additions on the platform's side do not break old clients.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::SecretUrl;

/// Body of `POST /projects/{project}/datasets/`.
#[derive(Clone, Debug, Serialize)]
pub struct CreateDatasetRequest {
    /// Display name, 1 to 64 characters.
    pub name: String,
    /// Ends in `.zip` or `.txt`; decides how the upload is read.
    pub filename: String,
    /// Days to keep the data; -1 keeps it forever; `None` leaves the platform default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
}

/// Answer to the create call. `Debug` hides the upload URL's signature.
#[derive(Clone, Debug, Deserialize)]
pub struct CreatedDataset {
    /// The dataset id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Where to `PUT` the file: a time-limited signed URL, a secret.
    pub upload_url: SecretUrl,
    /// Where to poll the processing status (with the API key).
    pub status_url: SecretUrl,
}

/// A dataset's processing state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DatasetStatus {
    /// Created, no file yet.
    Draft,
    /// File received, being processed.
    Processing,
    /// Usable in experiments.
    Ready,
    /// Processing failed; the answer's `error` says why.
    Error,
    /// A status this client does not know; treated like `processing`.
    #[serde(other)]
    Unknown,
}

impl fmt::Display for DatasetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Draft => "draft",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Error => "error",
            Self::Unknown => "unknown",
        })
    }
}

/// Answer of the `status_url`.
#[derive(Clone, Debug, Deserialize)]
pub struct StatusResponse {
    /// The state.
    pub status: DatasetStatus,
    /// Why processing failed, with status `error`.
    #[serde(default)]
    pub error: Option<String>,
}

/// One stimulus of a processed dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stimulus {
    /// `source/condition.ext` inside the dataset.
    pub filepath: String,
    /// The group (source folder) it is evaluated with.
    #[serde(deserialize_with = "string_or_number")]
    pub group_id: String,
}

/// Answer of `GET /projects/{project}/datasets/{id}/`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DatasetDetail {
    /// The dataset id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Processing state, when the detail carries it.
    #[serde(default)]
    pub status: Option<DatasetStatus>,
    /// Why processing failed, with status `error`.
    #[serde(default)]
    pub error: Option<String>,
    /// The stimuli (empty until the dataset is ready).
    #[serde(default)]
    pub stimuli: Vec<Stimulus>,
}

/// One entry of `GET /projects/{project}/datasets/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSummary {
    /// The dataset id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Processing state.
    pub status: DatasetStatus,
    /// When it was created (as the server formats it).
    #[serde(default)]
    pub date_created: Option<String>,
    /// When an experiment last used it.
    #[serde(default)]
    pub date_last_used: Option<String>,
    /// Whether it was deleted.
    #[serde(default)]
    pub is_deleted: bool,
}

/// Ids and group ids are strings in the docs; accept numbers too rather than fail.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_statuses_are_tolerated() {
        let detail: DatasetDetail = serde_json::from_str(
            r#"{"id": 17, "name": "n", "status": "archived", "extra": {"a": 1},
                "stimuli": [{"filepath": "s/a.wav", "group_id": 3, "duration": 1.5}]}"#,
        )
        .unwrap();
        assert_eq!(detail.id, "17");
        assert_eq!(detail.status, Some(DatasetStatus::Unknown));
        assert_eq!(
            detail.stimuli,
            [Stimulus {
                filepath: "s/a.wav".into(),
                group_id: "3".into()
            }]
        );
    }

    #[test]
    fn created_dataset_debug_hides_signature() {
        let created: CreatedDataset = serde_json::from_str(
            r#"{"id": "d1", "upload_url": "https://s3.example/b/k.zip?X-Amz-Signature=feedface",
                "status_url": "https://api.example/p/d1/status/"}"#,
        )
        .unwrap();
        let debug = format!("{created:?}");
        assert!(!debug.contains("feedface"), "{debug}");
        assert!(debug.contains("https://s3.example/b/k.zip"), "{debug}");
    }
}
