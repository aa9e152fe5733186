//! The errors of the client, each saying what went wrong and what to do next.
//!
//! No variant holds the API key or a signed URL's query string: URLs are stored as
//! [`RedactedUrl`] and text from servers or the OS is scrubbed before it lands here.

use std::path::PathBuf;
use std::time::Duration;

use crate::mabyduck::{DatasetStatus, StimulusMismatch};
use crate::secret::RedactedUrl;

/// Everything that can go wrong talking to a platform.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The API key cannot be used at all.
    #[error(
        "the API key is not usable: {reason}. Set MABYDUCK_API_KEY to the key from your Mabyduck project settings"
    )]
    InvalidApiKey {
        /// Why (never the key itself).
        reason: &'static str,
    },

    /// The project id has characters the API does not allow.
    #[error(
        "project id `{project_id}` is not valid: it may contain only ASCII letters and digits. Copy it from the project's URL or settings on Mabyduck"
    )]
    InvalidProjectId {
        /// The id as given.
        project_id: String,
    },

    /// The dataset name is empty or too long.
    #[error(
        "dataset name `{name}` is {length} characters long; Mabyduck needs 1 to {max}. Choose a shorter name"
    )]
    InvalidName {
        /// The name as given.
        name: String,
        /// Its length in characters.
        length: usize,
        /// The limit.
        max: usize,
    },

    /// The upload filename does not say how the platform should read the file.
    #[error(
        "upload filename `{filename}` must end in .zip (a packed dataset) or .txt (a list of URLs). Rename the file or pass a filename that ends so"
    )]
    InvalidFilename {
        /// The filename as given.
        filename: String,
    },

    /// The base URL is not an `http(s)://host` URL.
    #[error("API URL `{url}` is not valid: use a full URL such as https://api.mabyduck.com")]
    InvalidBaseUrl {
        /// The URL, redacted.
        url: RedactedUrl,
    },

    /// The file to upload could not be opened or read.
    #[error("could not read `{}` for upload: {source}. Check that the file exists and is readable", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
        /// The dataset it was for, if already created.
        dataset_id: Option<String>,
    },

    /// The API answered 401 or 403: the key was rejected.
    #[error(
        "Mabyduck rejected the API key (HTTP {status} from {url}). Check MABYDUCK_API_KEY: it must be a current key of the project that the dataset belongs to"
    )]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// The signed upload URL answered 403: refused or expired.
    #[error(
        "the upload URL for dataset {dataset_id} was refused or has expired (HTTP 403 from {url}: {detail}). Run the upload again to get a new upload URL"
    )]
    UploadUrlRefused {
        /// The dataset the URL belonged to.
        dataset_id: String,
        /// The upload URL without its signature.
        url: RedactedUrl,
        /// The object store's error code and message.
        detail: String,
    },

    /// The dataset API answered 404 for a dataset id: the project has no such dataset.
    #[error(
        "no dataset with id `{dataset_id}` in project {project_id}. Check the id (`stimpack datasets` lists the project's datasets) and MABYDUCK_PROJECT"
    )]
    DatasetNotFound {
        /// The id as given.
        dataset_id: String,
        /// The project asked.
        project_id: String,
    },

    /// The server answered with an error status that retrying will not fix.
    #[error(
        "{url} answered HTTP {status}{}: {detail}. Check the request (name, filename, project id); the message above is the server's",
        dataset_suffix(dataset_id)
    )]
    Http {
        /// The status code.
        status: u16,
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// The start of the server's answer, scrubbed of secrets.
        detail: String,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// A request failed in a way retrying will not fix (DNS, TLS, bad URL).
    #[error(
        "could not reach {url}{}: {reason}. Check the network and the API URL",
        dataset_suffix(dataset_id)
    )]
    Transport {
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// What failed, scrubbed of secrets.
        reason: String,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// Every attempt failed with a retryable error.
    #[error(
        "gave up on {url}{} after {attempts} attempts; the last failure was: {last}. The service or the network may be down: try again later",
        dataset_suffix(dataset_id)
    )]
    RetriesExhausted {
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure, scrubbed of secrets.
        last: String,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// The server's answer could not be understood.
    #[error(
        "unexpected answer from {url}{}: {reason}. The API may have changed: please report this with the stimpack version",
        dataset_suffix(dataset_id)
    )]
    InvalidResponse {
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// What was wrong.
        reason: String,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// Processing ended in `error`.
    #[error(
        "Mabyduck could not process dataset {dataset_id}: {message}. Fix the dataset and upload it again"
    )]
    ProcessingFailed {
        /// The dataset.
        dataset_id: String,
        /// The platform's `error` text.
        message: String,
    },

    /// The dataset did not become ready within the poll time-out.
    #[error("dataset {dataset_id} is still {last_status} after {}s. It may still finish: check again with `stimpack status {dataset_id} --wait`", waited.as_secs())]
    PollTimeout {
        /// The dataset, to resume with.
        dataset_id: String,
        /// How long polling went on.
        waited: Duration,
        /// The last status seen.
        last_status: DatasetStatus,
    },

    /// The platform's stimuli differ from the expected ones.
    #[error(
        "dataset {dataset_id} is ready but its stimuli differ from the local manifest: {mismatch}. Check the archive and upload it again"
    )]
    StimuliMismatch {
        /// The dataset.
        dataset_id: String,
        /// Every missing, unexpected and regrouped stimulus.
        mismatch: StimulusMismatch,
    },

    /// A field of an experiment or job request breaks a limit the API documents.
    #[error("the experiment or job's {field} {reason}. Change it and try again")]
    InvalidField {
        /// The request field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The API answered 404 for an experiment id.
    #[error(
        "no experiment with id `{experiment_id}` in project {project_id}. Check the id (`stimpack experiment list` lists the project's experiments) and MABYDUCK_PROJECT"
    )]
    ExperimentNotFound {
        /// The id as given.
        experiment_id: String,
        /// The project asked.
        project_id: String,
    },

    /// The API answered 404 for a job id.
    #[error(
        "no job `{job_id}` in experiment {experiment_id} of project {project_id}. Check the ids (`stimpack experiment show {experiment_id}` lists its jobs)"
    )]
    JobNotFound {
        /// The experiment.
        experiment_id: String,
        /// The job id as given.
        job_id: String,
        /// The project asked.
        project_id: String,
    },

    /// Every cost confirmation token fetched ran out (or was refused) before the launch.
    #[error(
        "job {job_id} was not launched: the platform refused its cost confirmation token {attempts} times in a row (expired or invalid). Nothing was launched; try again, and answer the prompt sooner"
    )]
    TokenKeepsExpiring {
        /// The job.
        job_id: String,
        /// How many tokens were fetched.
        attempts: u32,
    },

    /// A platform's API answered 401 or 403: the credentials were rejected.
    #[error(
        "{platform} rejected the credentials (HTTP {status} from {url}). Check {env}: it must be a current token with access to this workspace or project"
    )]
    Rejected {
        /// The platform.
        platform: &'static str,
        /// The environment variable the credentials come from.
        env: &'static str,
        /// 401 or 403.
        status: u16,
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// A platform refused a request as invalid (400 or 422) and said why.
    #[error(
        "{platform} refused the request to {url} (HTTP {status}){}: {}. Fix what it names and try again",
        dataset_suffix(dataset_id),
        details.join("; ")
    )]
    Invalid {
        /// The platform.
        platform: &'static str,
        /// 400 or 422.
        status: u16,
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// Each problem the platform named (`field: message`), scrubbed of secrets.
        details: Vec<String>,
        /// The dataset concerned, if any.
        dataset_id: Option<String>,
    },

    /// A configuration value the platform cannot take (a dataset name, a workspace id).
    #[error("{message}")]
    Config {
        /// The platform.
        platform: &'static str,
        /// What is wrong and what to do.
        message: String,
    },

    /// A platform's processing of the dataset ended in failure.
    #[error(
        "{platform} could not process dataset {dataset_id}: {message}. Fix the dataset and upload it again"
    )]
    PlatformFailed {
        /// The platform.
        platform: &'static str,
        /// The dataset.
        dataset_id: String,
        /// The platform's own words.
        message: String,
    },

    /// A platform's dataset did not finish within the poll time-out.
    #[error("{platform} dataset {dataset_id} is still {last_status} after {}s. It may still finish: look at it on {platform}'s site, or wait longer with --timeout", waited.as_secs())]
    PlatformTimeout {
        /// The platform.
        platform: &'static str,
        /// The dataset.
        dataset_id: String,
        /// How long polling went on.
        waited: Duration,
        /// The last status, in the platform's words.
        last_status: String,
    },

    /// The platform holds another number of items than were sent.
    #[error(
        "{platform} dataset {dataset_id} holds {actual} items, but {expected} were sent. Look at the dataset on {platform}'s site and upload it again"
    )]
    CountMismatch {
        /// The platform.
        platform: &'static str,
        /// The dataset.
        dataset_id: String,
        /// Items sent.
        expected: usize,
        /// Items the platform reports.
        actual: usize,
    },
}

fn dataset_suffix(dataset_id: &Option<String>) -> String {
    match dataset_id {
        Some(id) => format!(" (dataset {id})"),
        None => String::new(),
    }
}

impl ClientError {
    /// The dataset the error concerns, when one had been created: print it so the
    /// user can resume with `stimpack status ID --wait`.
    pub fn dataset_id(&self) -> Option<&str> {
        match self {
            Self::ReadFile { dataset_id, .. }
            | Self::Unauthorized { dataset_id, .. }
            | Self::Http { dataset_id, .. }
            | Self::Transport { dataset_id, .. }
            | Self::RetriesExhausted { dataset_id, .. }
            | Self::InvalidResponse { dataset_id, .. }
            | Self::Rejected { dataset_id, .. }
            | Self::Invalid { dataset_id, .. } => dataset_id.as_deref(),
            Self::PlatformFailed { dataset_id, .. }
            | Self::PlatformTimeout { dataset_id, .. }
            | Self::CountMismatch { dataset_id, .. } => Some(dataset_id),
            Self::Config { .. } => None,
            Self::UploadUrlRefused { dataset_id, .. }
            | Self::DatasetNotFound { dataset_id, .. }
            | Self::ProcessingFailed { dataset_id, .. }
            | Self::PollTimeout { dataset_id, .. }
            | Self::StimuliMismatch { dataset_id, .. } => Some(dataset_id),
            Self::InvalidApiKey { .. }
            | Self::InvalidProjectId { .. }
            | Self::InvalidName { .. }
            | Self::InvalidFilename { .. }
            | Self::InvalidBaseUrl { .. }
            | Self::InvalidField { .. }
            | Self::ExperimentNotFound { .. }
            | Self::JobNotFound { .. }
            | Self::TokenKeepsExpiring { .. } => None,
        }
    }

    /// True when the API key was rejected, so a front end can pick its exit code.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized { .. } | Self::InvalidApiKey { .. } | Self::Rejected { .. }
        )
    }
}
