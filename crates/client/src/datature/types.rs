//! Datature's answer bodies (camelCase and snake_case as the API mixes them), lenient about
//! fields this client does not use.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::secret::SecretUrl;

/// A batch dataset.
#[derive(Clone, Debug, Deserialize)]
pub struct DatatureDataset {
    /// `dataset_...`.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// When it expires, in milliseconds since 1970.
    #[serde(default)]
    pub expiry_time: Option<u64>,
    /// Where it stands.
    #[serde(default)]
    pub status: DatatureStatus,
}

/// `status` of a dataset.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DatatureStatus {
    /// `Waiting`, `Uploading`, `Uploaded`, `Processing`, `Processed`, `FailedUpload`,
    /// `FailedProcessing`.
    #[serde(default)]
    pub overview: String,
    /// A sentence about it.
    #[serde(default)]
    pub message: Option<String>,
    /// The upload source.
    #[serde(default)]
    pub source: Option<Source>,
    /// Items in the dataset.
    #[serde(default)]
    pub item_count: Option<usize>,
}

/// `status.source`.
#[derive(Clone, Debug, Deserialize)]
pub struct Source {
    /// `UploadedNewlineDelimitedJsonFile`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Where to put the file.
    #[serde(default)]
    pub upload_url: Option<UploadTarget>,
}

/// `status.source.upload_url`.
#[derive(Clone, Debug, Deserialize)]
pub struct UploadTarget {
    /// `PUT`.
    pub method: String,
    /// The signed URL (a secret).
    pub url: SecretUrl,
    /// The exact headers to send, name to value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// When the URL stops working, in milliseconds since 1970.
    #[serde(default)]
    pub expires_at_time: Option<u64>,
}

impl DatatureDataset {
    /// Where to upload the file, when the answer says.
    pub fn upload_target(&self) -> Option<&UploadTarget> {
        self.status.source.as_ref()?.upload_url.as_ref()
    }
}
