//! HTTP clients for the platforms stimpack uploads datasets to.
//!
//! The library has no UI: progress, retries and status changes are reported through the
//! [`Reporter`] trait, and every failure is a [`ClientError`] that says what to do next.
//! Secrets (the API key, the query string of signed upload URLs) never appear in an
//! error, a `Debug` output or a report.
//!
//! Mabyduck is the first platform: see [`mabyduck::Client`] and
//! [`mabyduck::Client::upload_and_wait`] for the whole create → upload → poll → verify flow.

#![deny(missing_docs)]

pub mod coactive;
pub mod datature;
mod error;
pub mod mabyduck;
pub mod prolific;
mod reporter;
mod rest;
pub mod retry;
mod secret;

pub use error::ClientError;
pub use mabyduck::{
    API_KEY_ENV, Client, ClientOptions, CreateDatasetRequest, CreatedDataset, DEFAULT_API_URL, DatasetDetail,
    DatasetStatus, DatasetSummary, ExpectedStimulus, PollOptions, Regrouped, StatusResponse, Stimulus,
    StimulusMismatch, UploadOutcome, UploadRequest, verify_stimuli,
};
pub use reporter::{NoopReporter, Reporter, RetryEvent};
pub use retry::RetryPolicy;
pub use secret::{ApiKey, RedactedUrl, SecretUrl};
