//! Prolific's request and answer bodies, lenient about fields this client does not use.

use serde::Deserialize;
use serde_json::Value;

use crate::secret::SecretUrl;

/// A dataset as the API describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct ProlificDataset {
    /// The dataset id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `UNINITIALISED`, `PROCESSING`, `READY` or `ERROR`.
    #[serde(default)]
    pub status: String,
    /// Why processing failed (guess: see the module's docs).
    #[serde(default)]
    pub error: Option<Value>,
    /// Another place the failure may be told (guess).
    #[serde(default)]
    pub status_message: Option<String>,
    /// Datapoints in the dataset (guess).
    #[serde(default)]
    pub total_datapoint_count: Option<usize>,
    /// Datapoints in the dataset (guess, another spelling).
    #[serde(default)]
    pub datapoint_count: Option<usize>,
}

impl ProlificDataset {
    /// The failure text, whatever shape it came in.
    pub fn error_text(&self) -> String {
        let from_error = match &self.error {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(map)) => ["detail", "message", "title"].iter().find_map(|k| {
                map.get(*k)
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            }),
            Some(other) if !other.is_null() => Some(other.to_string()),
            _ => None,
        };
        from_error
            .or_else(|| self.status_message.clone())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "no reason given".into())
    }

    /// The datapoint count, when the answer has one.
    pub fn datapoints(&self) -> Option<usize> {
        self.total_datapoint_count.or(self.datapoint_count)
    }
}

/// Where to upload the CSV.
#[derive(Clone, Debug, Deserialize)]
pub struct UploadUrl {
    /// The signed URL (a secret: it grants write access).
    pub upload_url: SecretUrl,
    /// When it stops working, as the server writes it.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// `PUT`.
    #[serde(default)]
    pub http_method: Option<String>,
}
