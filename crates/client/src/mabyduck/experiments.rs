//! The Mabyduck experiment API: experiments made from datasets, jobs that recruit raters,
//! their cost and its time-limited confirmation token, the launch, and what comes back
//! (ratings, slates, the platform's own metrics).
//!
//! Endpoints, under `/projects/{project}/experiments/`: `GET`/`POST` the list,
//! `GET {experiment}/`, `GET`/`POST {experiment}/jobs/`, `GET {experiment}/jobs/{job}/`,
//! `GET .../costs/`, `POST .../launch/` (with the cost's token), `GET {experiment}/rater_pools/`,
//! `GET {experiment}/ratings/`, `GET {experiment}/slates/`, `GET {experiment}/results/`.
//! Where the API reference is silent or contradicts itself, the guess is made in
//! [`PlatformId`] (how ids are sent), [`is_token_refusal`] (how a refused token looks) and
//! [`place_rating`] (which stimulus a rating is of).

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Client, path_segment};
use crate::error::ClientError;
use crate::reporter::Reporter;

/// The longest experiment name the API accepts, in characters.
pub const MAX_EXPERIMENT_NAME_CHARS: usize = 128;
/// The longest title.
pub const MAX_TITLE_CHARS: usize = 128;
/// The longest question.
pub const MAX_QUESTION_CHARS: usize = 512;
/// The longest introduction.
pub const MAX_INTRODUCTION_CHARS: usize = 1024;
/// The languages the platform shows experiments in.
pub const LANGUAGES: &[&str] = &["en", "fr", "de", "zh-hans", "es", "hi", "pl", "vi"];
/// A confirmation token is taken as expired this long before the platform says it expires,
/// so it does not run out on the way.
pub const TOKEN_SAFETY_MARGIN: Duration = Duration::from_secs(2);
/// How many times [`Client::launch_with_consent`] fetches a new token when one expires.
pub const MAX_TOKEN_FETCHES: u32 = 4;

/// An id sent in a request body. The API reference lists ids as strings in answers but as
/// integers in request bodies (`datasets`, `training_datasets`, `rater_pool`). The guess,
/// made here only: an id of ASCII digits that fits in 64 bits is sent as a JSON number, any
/// other id as a string, so both readings of the reference work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformId(pub String);

impl Serialize for PlatformId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let digits = !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_digit());
        match self.0.parse::<u64>() {
            Ok(n) if digits => s.serialize_u64(n),
            _ => s.serialize_str(&self.0),
        }
    }
}

impl From<&str> for PlatformId {
    fn from(id: &str) -> Self {
        PlatformId(id.to_owned())
    }
}

/// Body of `POST /projects/{project}/experiments/`.
#[derive(Clone, Debug, Serialize)]
pub struct CreateExperimentRequest {
    /// 1 to [`MAX_EXPERIMENT_NAME_CHARS`] characters.
    pub name: String,
    /// The experiment type (`mushra`, `acr_audio`, ...).
    #[serde(rename = "type")]
    pub experiment_type: String,
    /// One of [`LANGUAGES`]; the platform's default when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The datasets whose stimuli are rated.
    pub datasets: Vec<PlatformId>,
    /// Datasets shown for training only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub training_datasets: Vec<PlatformId>,
    /// Shown at the top of the screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The question or instructions at the top of the screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// A longer explanation of how to rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to take part; the platform's default when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
}

impl CreateExperimentRequest {
    /// Checks the lengths and the language the API documents, before anything is sent.
    pub fn validate(&self) -> Result<(), ClientError> {
        let limits = [
            ("name", Some(&self.name), MAX_EXPERIMENT_NAME_CHARS),
            ("title", self.title.as_ref(), MAX_TITLE_CHARS),
            ("question", self.question.as_ref(), MAX_QUESTION_CHARS),
            ("introduction", self.introduction.as_ref(), MAX_INTRODUCTION_CHARS),
        ];
        for (field, value, max) in limits {
            let Some(value) = value else { continue };
            let length = value.chars().count();
            if length > max || (field == "name" && length == 0) {
                return Err(ClientError::InvalidField {
                    field,
                    reason: format!("is {length} characters long; Mabyduck takes 1 to {max}"),
                });
            }
        }
        if let Some(language) = &self.language {
            if !LANGUAGES.contains(&language.as_str()) {
                return Err(ClientError::InvalidField {
                    field: "language",
                    reason: format!("`{language}` is not one of {}", LANGUAGES.join(", ")),
                });
            }
        }
        if self.datasets.is_empty() {
            return Err(ClientError::InvalidField {
                field: "datasets",
                reason: "is empty; an experiment needs at least one dataset".into(),
            });
        }
        Ok(())
    }
}

/// An experiment as `GET /experiments/` lists it (and as the create call answers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// The id.
    #[serde(deserialize_with = "one_id")]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its type.
    #[serde(rename = "type", default)]
    pub experiment_type: String,
    /// The language it is shown in.
    #[serde(default)]
    pub language: Option<String>,
    /// Its datasets.
    #[serde(default, deserialize_with = "many_ids")]
    pub dataset_ids: Vec<String>,
    /// Its training datasets.
    #[serde(default, deserialize_with = "many_ids")]
    pub training_dataset_ids: Vec<String>,
    /// Its jobs.
    #[serde(default, deserialize_with = "many_ids")]
    pub job_ids: Vec<String>,
    /// When it was created.
    #[serde(default)]
    pub date_created: Option<String>,
    /// When it last changed.
    #[serde(default)]
    pub date_updated: Option<String>,
}

/// A dataset as an experiment's detail names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetRef {
    /// The dataset id.
    #[serde(deserialize_with = "one_id")]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its processing state (`ready`, ...), as text.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether its files were deleted.
    #[serde(default)]
    pub is_deleted: bool,
}

/// `GET /experiments/{id}/`: the experiment with its datasets and jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentDetail {
    /// The id.
    #[serde(deserialize_with = "one_id")]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its type.
    #[serde(rename = "type", default)]
    pub experiment_type: String,
    /// The language it is shown in.
    #[serde(default)]
    pub language: Option<String>,
    /// The datasets rated.
    #[serde(default)]
    pub datasets: Vec<DatasetRef>,
    /// The training datasets.
    #[serde(default)]
    pub training_datasets: Vec<DatasetRef>,
    /// Its jobs.
    #[serde(default)]
    pub jobs: Vec<Job>,
    /// The title shown.
    #[serde(default)]
    pub title: Option<String>,
    /// The question shown.
    #[serde(default)]
    pub question: Option<String>,
    /// The description shown.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub date_created: Option<String>,
}

/// A rater pool: who may take part in a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaterPool {
    /// The pool id (what a job's `rater_pool` takes).
    #[serde(deserialize_with = "one_id")]
    pub id: String,
    /// Its kind: 0 anyone, 100 project members, 400 crowd, 500 AI raters, 600 a rater pool.
    #[serde(default)]
    pub kind: Option<i64>,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The label shown to raters.
    #[serde(default)]
    pub label: Option<String>,
}

/// The kinds of rater pool, by the platform's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolKind {
    /// Anyone with the link (0).
    Anyone,
    /// The project's members (100).
    Members,
    /// Crowd-sourced raters (400): these are paid.
    Crowd,
    /// AI raters (500).
    Ai,
}

impl PoolKind {
    /// The platform's number for the kind.
    pub fn code(self) -> i64 {
        match self {
            PoolKind::Anyone => 0,
            PoolKind::Members => 100,
            PoolKind::Crowd => 400,
            PoolKind::Ai => 500,
        }
    }
}

/// How a job picks stimuli.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Conditions drawn at random (the platform's default).
    Randomized,
    /// Sources in name order.
    Lexicographic,
    /// Chosen where the ratings are least certain.
    Active,
    /// Neighbouring conditions compared.
    Neighbor,
}

/// Body of `POST /experiments/{id}/jobs/`.
#[derive(Clone, Debug, Serialize)]
pub struct CreateJobRequest {
    /// The rater pool.
    pub rater_pool: PlatformId,
    /// How often the task is performed (at least 1).
    pub num_sessions: u32,
    /// Groups of stimuli each rater evaluates (at least 1).
    pub num_comparisons: u32,
    /// Training comparisons; the platform's default (2) when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_training: Option<u32>,
    /// How stimuli are picked; the platform's default (randomized) when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
}

/// A job: raters recruited for an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The id.
    #[serde(deserialize_with = "one_id")]
    pub id: String,
    /// Its experiment.
    #[serde(default, deserialize_with = "opt_id")]
    pub experiment_id: Option<String>,
    /// Sessions (times the task is performed).
    #[serde(default)]
    pub num_sessions: u32,
    /// Groups of stimuli per rater.
    #[serde(default)]
    pub num_comparisons: u32,
    /// Training comparisons.
    #[serde(default)]
    pub num_training: Option<u32>,
    /// When it was created.
    #[serde(default)]
    pub date_created: Option<String>,
    /// When it was launched; `None` while it is a draft.
    #[serde(default)]
    pub date_launched: Option<String>,
    /// Its rater pool.
    #[serde(default)]
    pub rater_pool: Option<RaterPool>,
    /// Its state, as the platform names it.
    #[serde(default)]
    pub status: String,
}

/// A cost confirmation token: it authorises one launch at the quoted cost, so it is kept out
/// of `Debug` output and messages.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfirmationToken(String);

impl ConfirmationToken {
    /// The token itself, for the launch request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConfirmationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfirmationToken(…)")
    }
}

/// `GET .../jobs/{job}/costs/`: what launching the job costs, and the token that confirms it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobCost {
    /// Sessions the cost is for.
    #[serde(default)]
    pub num_sessions: u64,
    /// The cost.
    pub cost: f64,
    /// What one more session would add.
    #[serde(default)]
    pub cost_per_additional_session: f64,
    /// The currency (`EUR`, `USD`, ...).
    #[serde(default)]
    pub currency: String,
    /// Confirms this cost at launch, until it expires.
    #[serde(skip_serializing)]
    pub token: ConfirmationToken,
    /// Seconds the token stays valid, from when it was sent; `None` when the platform does not
    /// say (then the platform alone tells an expired token, when the launch is refused).
    #[serde(default)]
    pub token_expires_in: Option<u64>,
    /// When the token expires (ISO 8601, as the platform sends it).
    #[serde(default)]
    pub token_expires_at: Option<String>,
    /// When this answer arrived (local clock), to tell expiry without trusting clocks to agree.
    #[serde(skip)]
    pub received: Option<Instant>,
}

impl JobCost {
    /// Whether the token has run out by `now` (or will within [`TOKEN_SAFETY_MARGIN`]),
    /// measured from when the answer arrived with the `token_expires_in` it gave.
    pub fn token_expired(&self, now: Instant) -> bool {
        let (Some(received), Some(expires_in)) = (self.received, self.token_expires_in) else {
            return false;
        };
        let lifetime = Duration::from_secs(expires_in).saturating_sub(TOKEN_SAFETY_MARGIN);
        now.saturating_duration_since(received) >= lifetime
    }

    /// Whether two quotes are for the same amount in the same currency.
    pub fn same_amount(&self, other: &JobCost) -> bool {
        self.cost == other.cost && self.currency == other.currency && self.num_sessions == other.num_sessions
    }
}

impl fmt::Display for JobCost {
    /// `12.50 EUR for 20 sessions (0.63 EUR per additional session)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.2} {} for {} session{} ({:.2} {} per additional session)",
            self.cost,
            self.currency,
            self.num_sessions,
            if self.num_sessions == 1 { "" } else { "s" },
            self.cost_per_additional_session,
            self.currency
        )
    }
}

/// A front end's answer when [`Client::launch_with_consent`] shows it a cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// Launch at this cost.
    Yes,
    /// Do not launch.
    No,
}

/// What [`Client::launch_with_consent`] did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LaunchOutcome {
    /// The job was launched at this cost.
    Launched(JobCost),
    /// Consent was not given: nothing was posted.
    Declined(JobCost),
    /// The job had been launched before (at this date): nothing was posted.
    AlreadyLaunched(Option<String>),
}

/// One rating, from `GET /experiments/{id}/ratings/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The score; `None` when the rater gave none.
    #[serde(default)]
    pub score: Option<f64>,
    /// The rater.
    #[serde(deserialize_with = "one_id")]
    pub rater_id: String,
    /// The slate (trial) it was given in.
    #[serde(deserialize_with = "one_id")]
    pub slate_id: String,
    /// The session.
    #[serde(default, deserialize_with = "opt_id")]
    pub session_id: Option<String>,
    /// The job.
    #[serde(default, deserialize_with = "opt_id")]
    pub job_id: Option<String>,
    /// The stimulus rated.
    #[serde(deserialize_with = "one_id")]
    pub stimulus_id: String,
    /// The stimulus's name as the platform gives it.
    #[serde(default)]
    pub stimulus: String,
    /// The criterion, for experiments that rate several at once.
    #[serde(default)]
    pub dimension: Option<String>,
    /// A training rating.
    #[serde(default)]
    pub is_training: bool,
}

/// One rating inside a slate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlateRating {
    /// The score.
    #[serde(default)]
    pub score: Option<f64>,
    /// The stimulus rated.
    #[serde(deserialize_with = "one_id")]
    pub stimulus_id: String,
    /// The stimulus's name.
    #[serde(default)]
    pub stimulus: String,
    /// The condition, as the platform names it.
    #[serde(default)]
    pub condition: String,
    /// The criterion.
    #[serde(default)]
    pub dimension: Option<String>,
}

/// A slate: the stimuli shown together in one trial, and their ratings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slate {
    /// The id.
    #[serde(deserialize_with = "one_id")]
    pub id: String,
    /// The rater.
    #[serde(deserialize_with = "one_id")]
    pub rater_id: String,
    /// The job.
    #[serde(default, deserialize_with = "opt_id")]
    pub job_id: Option<String>,
    /// The ratings given.
    #[serde(default)]
    pub ratings: Vec<SlateRating>,
    /// A training slate.
    #[serde(default)]
    pub is_training: bool,
}

/// One of the platform's own metrics (`GET /experiments/{id}/results/`): MOS, Elo, win/loss, ...
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// `bayesian_elo`, `elo`, `mean`, `win_loss` or `stats`.
    pub kind: String,
    /// The criterion, for multi-criteria experiments.
    #[serde(default)]
    pub dimension: Option<String>,
    /// The job or experiment it was computed from.
    #[serde(default)]
    pub source: Option<String>,
    /// The scores per method, as the platform shapes them.
    #[serde(default)]
    pub scores: Vec<serde_json::Value>,
    /// Front-end options.
    #[serde(default)]
    pub options: serde_json::Value,
}

/// A stimulus of a dataset with the platform's id for it, which ratings refer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformStimulus {
    /// The platform's id, when the dataset detail gives one.
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<String>,
    /// `source/condition.ext`.
    pub filepath: String,
    /// The group (source).
    #[serde(deserialize_with = "one_id")]
    pub group_id: String,
}

/// A rating placed on its stimulus: the source, the file path inside the dataset and the
/// condition it names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlacedRating {
    /// The rating as the platform sent it.
    pub rating: Rating,
    /// The source (the dataset's folder, the platform's group).
    pub source: String,
    /// `source/condition.ext`.
    pub filepath: String,
    /// The condition: the file name without its extension.
    pub condition: String,
}

/// An experiment's non-training ratings, placed on their stimuli.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct PlacedRatings {
    /// Every rating that could be placed, in the platform's order.
    pub placed: Vec<PlacedRating>,
    /// Ratings that name a stimulus in none of the experiment's datasets.
    pub unplaced: usize,
    /// Datasets whose stimuli could not be read (their ratings are placed by name only).
    pub unread_datasets: Vec<(String, ClientError)>,
}

/// The experiment's stimuli by the platform's id: `(source, filepath)`, or `None` for an id
/// that two datasets both use (then the name decides).
pub type StimulusIndex = HashMap<String, Option<(String, String)>>;

/// Which stimulus a rating is of: the API reference gives a `stimulus_id` and a `stimulus`
/// string without saying what the string holds. The guess, made here only: the id is looked
/// up in the experiment's datasets (their stimuli with ids); failing that, the string's last
/// two path segments are `source/condition.ext`, as the platform names the stimuli of a URL
/// list (so a file path and a URL both work). Returns `(source, filepath)`, or `None` when
/// neither says.
pub fn place_rating(rating: &Rating, index: &StimulusIndex) -> Option<(String, String)> {
    if let Some(Some(found)) = index.get(&rating.stimulus_id) {
        return Some(found.clone());
    }
    let path = rating.stimulus.split(['?', '#']).next().unwrap_or("");
    let mut segments = path.rsplit('/').filter(|s| !s.is_empty());
    let file = segments.next()?;
    let source = segments.next()?;
    Some((source.to_owned(), format!("{source}/{file}")))
}

/// The condition a file path names: its file name without the extension (`x.req.json` -> `x`).
pub fn condition_of(filepath: &str) -> &str {
    let file = filepath.rsplit('/').next().unwrap_or(filepath);
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".req.json") && file.len() > ".req.json".len() {
        return &file[..file.len() - ".req.json".len()];
    }
    match file.rfind('.') {
        Some(dot) if dot > 0 => &file[..dot],
        _ => file,
    }
}

#[derive(Deserialize)]
struct DatasetStimuli {
    #[serde(default)]
    stimuli: Vec<PlatformStimulus>,
}

/// Whether an error answer to a launch means the token was refused (expired, used, unknown)
/// rather than the request being wrong otherwise. The API reference does not say how a
/// refused token is answered; the guess, made here only: a 400, 409, 410 or 422 whose body
/// mentions the token. (A 403 never reaches here as `Http`: every 401 and 403 is the API key's
/// `Unauthorized`, which carries no body to tell a token refusal by.)
pub fn is_token_refusal(error: &ClientError) -> bool {
    match error {
        ClientError::Http { status, detail, .. } => {
            matches!(status, 400 | 409 | 410 | 422) && detail.to_ascii_lowercase().contains("token")
        }
        _ => false,
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    S(String),
    N(serde_json::Number),
}

impl From<RawId> for String {
    fn from(id: RawId) -> String {
        match id {
            RawId::S(s) => s,
            RawId::N(n) => n.to_string(),
        }
    }
}

fn one_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    RawId::deserialize(d).map(String::from)
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<RawId>::deserialize(d)?.map(String::from))
}

fn many_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<RawId>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(String::from)
        .collect())
}

impl Client {
    fn experiments_url(&self) -> String {
        format!("{}/projects/{}/experiments/", self.base_url, self.project_id)
    }

    fn experiment_url(&self, experiment_id: &str) -> String {
        format!("{}{}/", self.experiments_url(), path_segment(experiment_id))
    }

    fn job_url(&self, experiment_id: &str, job_id: &str) -> String {
        format!(
            "{}jobs/{}/",
            self.experiment_url(experiment_id),
            path_segment(job_id)
        )
    }

    fn experiment_not_found(&self, experiment_id: &str) -> impl Fn(ClientError) -> ClientError + '_ {
        let experiment_id = experiment_id.to_owned();
        move |e| match e {
            ClientError::Http { status: 404, .. } => ClientError::ExperimentNotFound {
                experiment_id: experiment_id.clone(),
                project_id: self.project_id.clone(),
            },
            other => other,
        }
    }

    /// `GET /projects/{project}/experiments/`.
    pub fn list_experiments(&self, reporter: &dyn Reporter) -> Result<Vec<Experiment>, ClientError> {
        self.api_json(&self.experiments_url(), None, None, reporter)
    }

    /// `POST /projects/{project}/experiments/`: a new draft experiment.
    pub fn create_experiment(
        &self,
        request: &CreateExperimentRequest,
        reporter: &dyn Reporter,
    ) -> Result<Experiment, ClientError> {
        request.validate()?;
        let body = serde_json::to_vec(request).expect("a struct of strings serialises");
        self.api_json(&self.experiments_url(), Some(&body), None, reporter)
    }

    /// `GET /projects/{project}/experiments/{id}/`. A 404 is [`ClientError::ExperimentNotFound`].
    pub fn experiment(
        &self,
        experiment_id: &str,
        reporter: &dyn Reporter,
    ) -> Result<ExperimentDetail, ClientError> {
        self.api_json(&self.experiment_url(experiment_id), None, None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// `GET /projects/{project}/experiments/{id}/jobs/`.
    pub fn list_jobs(&self, experiment_id: &str, reporter: &dyn Reporter) -> Result<Vec<Job>, ClientError> {
        let url = format!("{}jobs/", self.experiment_url(experiment_id));
        self.api_json(&url, None, None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// `POST /projects/{project}/experiments/{id}/jobs/`: a new draft job (nothing is spent
    /// until it is launched).
    pub fn create_job(
        &self,
        experiment_id: &str,
        request: &CreateJobRequest,
        reporter: &dyn Reporter,
    ) -> Result<Job, ClientError> {
        for (field, value) in [
            ("num_sessions", request.num_sessions),
            ("num_comparisons", request.num_comparisons),
        ] {
            if value == 0 {
                return Err(ClientError::InvalidField {
                    field,
                    reason: "is 0; it must be at least 1".into(),
                });
            }
        }
        let url = format!("{}jobs/", self.experiment_url(experiment_id));
        let body = serde_json::to_vec(request).expect("a struct of numbers serialises");
        self.api_json(&url, Some(&body), None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// `GET .../jobs/{job}/`. A 404 is [`ClientError::JobNotFound`].
    pub fn job(
        &self,
        experiment_id: &str,
        job_id: &str,
        reporter: &dyn Reporter,
    ) -> Result<Job, ClientError> {
        self.api_json(&self.job_url(experiment_id, job_id), None, None, reporter)
            .map_err(|e| self.job_not_found(e, experiment_id, job_id))
    }

    fn job_not_found(&self, e: ClientError, experiment_id: &str, job_id: &str) -> ClientError {
        match e {
            ClientError::Http { status: 404, .. } => ClientError::JobNotFound {
                experiment_id: experiment_id.to_owned(),
                job_id: job_id.to_owned(),
                project_id: self.project_id.clone(),
            },
            other => other,
        }
    }

    /// `GET .../jobs/{job}/costs/`: the cost and a fresh confirmation token.
    pub fn job_cost(
        &self,
        experiment_id: &str,
        job_id: &str,
        reporter: &dyn Reporter,
    ) -> Result<JobCost, ClientError> {
        let url = format!("{}costs/", self.job_url(experiment_id, job_id));
        let mut cost: JobCost = self
            .api_json(&url, None, None, reporter)
            .map_err(|e| self.job_not_found(e, experiment_id, job_id))?;
        cost.received = Some(Instant::now());
        Ok(cost)
    }

    /// `POST .../jobs/{job}/launch/` with a cost's token. This spends money: front ends call
    /// [`Client::launch_with_consent`], which asks first.
    pub fn launch_job(
        &self,
        experiment_id: &str,
        job_id: &str,
        token: &ConfirmationToken,
        reporter: &dyn Reporter,
    ) -> Result<(), ClientError> {
        let url = format!("{}launch/", self.job_url(experiment_id, job_id));
        let body = serde_json::to_vec(&serde_json::json!({ "token": token.expose() }))
            .expect("a JSON value serialises");
        let _: serde::de::IgnoredAny = self
            .api_json_hiding(&url, Some(&body), None, Some(token.expose()), reporter)
            .map_err(|e| self.job_not_found(e, experiment_id, job_id))?;
        Ok(())
    }

    /// Launches a job only with consent: fetches the cost and its token, asks `consent` (shown
    /// the cost, and the cost consented to before when a token is fetched again), and posts the
    /// launch only on [`Consent::Yes`]. A token that ran out while waiting for the answer, or
    /// that the platform refuses, is fetched again and the new cost asked about again, at most
    /// [`MAX_TOKEN_FETCHES`] times. A job launched already is not launched again; nor is one
    /// whose launch went through although the answer was lost.
    pub fn launch_with_consent(
        &self,
        experiment_id: &str,
        job_id: &str,
        consent: &mut dyn FnMut(&JobCost, Option<&JobCost>) -> Consent,
        reporter: &dyn Reporter,
    ) -> Result<LaunchOutcome, ClientError> {
        let job = self.job(experiment_id, job_id, reporter)?;
        if job.date_launched.is_some() {
            return Ok(LaunchOutcome::AlreadyLaunched(job.date_launched));
        }
        let mut consented: Option<JobCost> = None;
        for _ in 0..MAX_TOKEN_FETCHES {
            let cost = self.job_cost(experiment_id, job_id, reporter)?;
            if consent(&cost, consented.as_ref()) == Consent::No {
                return Ok(LaunchOutcome::Declined(cost));
            }
            if cost.token_expired(Instant::now()) {
                consented = Some(cost);
                continue;
            }
            match self.launch_job(experiment_id, job_id, &cost.token, reporter) {
                Ok(()) => return Ok(LaunchOutcome::Launched(cost)),
                Err(e) if is_token_refusal(&e) => {
                    // A retried launch whose first attempt went through is refused as a
                    // used token: never launch twice.
                    if self.job(experiment_id, job_id, reporter)?.date_launched.is_some() {
                        return Ok(LaunchOutcome::Launched(cost));
                    }
                    consented = Some(cost);
                }
                Err(e) => return Err(e),
            }
        }
        Err(ClientError::TokenKeepsExpiring {
            job_id: job_id.to_owned(),
            attempts: MAX_TOKEN_FETCHES,
        })
    }

    /// `GET .../rater_pools/`, of one kind or all.
    pub fn rater_pools(
        &self,
        experiment_id: &str,
        kind: Option<PoolKind>,
        reporter: &dyn Reporter,
    ) -> Result<Vec<RaterPool>, ClientError> {
        let mut url = format!("{}rater_pools/", self.experiment_url(experiment_id));
        if let Some(kind) = kind {
            url.push_str(&format!("?kind={}", kind.code()));
        }
        self.api_json(&url, None, None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// `GET .../ratings/?training=...`.
    pub fn ratings(
        &self,
        experiment_id: &str,
        training: bool,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Rating>, ClientError> {
        let url = format!(
            "{}ratings/?training={training}",
            self.experiment_url(experiment_id)
        );
        self.api_json(&url, None, None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// `GET .../slates/?training=...`.
    pub fn slates(
        &self,
        experiment_id: &str,
        training: bool,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Slate>, ClientError> {
        let url = format!(
            "{}slates/?training={training}",
            self.experiment_url(experiment_id)
        );
        self.api_json(&url, None, None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// `GET .../results/`, optionally only those computed from one job.
    pub fn metrics(
        &self,
        experiment_id: &str,
        job_id: Option<&str>,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Metric>, ClientError> {
        let mut url = format!("{}results/", self.experiment_url(experiment_id));
        if let Some(job) = job_id {
            url.push_str(&format!("?source={}", path_segment(job)));
        }
        self.api_json(&url, None, None, reporter)
            .map_err(self.experiment_not_found(experiment_id))
    }

    /// The experiment's non-training ratings (only `job`'s when given), each placed on its
    /// source and condition by [`place_rating`] over the stimuli of the experiment's datasets.
    /// What a front end (the CLI, a Python binding) hands to `stimpack_core::stats::analyze`.
    pub fn placed_ratings(
        &self,
        experiment: &ExperimentDetail,
        job: Option<&str>,
        reporter: &dyn Reporter,
    ) -> Result<PlacedRatings, ClientError> {
        let ratings = self.ratings(&experiment.id, false, reporter)?;
        let mut out = PlacedRatings::default();
        let mut index = StimulusIndex::new();
        for dataset in &experiment.datasets {
            match self.dataset_stimuli(&dataset.id, reporter) {
                Ok(stimuli) => {
                    for s in stimuli {
                        let Some(id) = s.id else { continue };
                        let entry = (s.group_id, s.filepath);
                        index
                            .entry(id)
                            .and_modify(|e| {
                                if e.as_ref() != Some(&entry) {
                                    *e = None;
                                }
                            })
                            .or_insert(Some(entry));
                    }
                }
                Err(e) => out.unread_datasets.push((dataset.id.clone(), e)),
            }
        }
        for rating in ratings {
            if rating.is_training || job.is_some_and(|j| rating.job_id.as_deref() != Some(j)) {
                continue;
            }
            match place_rating(&rating, &index) {
                Some((source, filepath)) => {
                    let condition = condition_of(&filepath).to_owned();
                    out.placed.push(PlacedRating {
                        rating,
                        source,
                        filepath,
                        condition,
                    });
                }
                None => out.unplaced += 1,
            }
        }
        Ok(out)
    }

    /// A dataset's stimuli with the platform's ids for them (`GET /datasets/{id}/`).
    pub fn dataset_stimuli(
        &self,
        dataset_id: &str,
        reporter: &dyn Reporter,
    ) -> Result<Vec<PlatformStimulus>, ClientError> {
        let url = self.dataset_url(dataset_id);
        let detail: DatasetStimuli = self
            .api_json(&url, None, Some(dataset_id), reporter)
            .map_err(|e| match e {
                ClientError::Http { status: 404, .. } => ClientError::DatasetNotFound {
                    dataset_id: dataset_id.to_owned(),
                    project_id: self.project_id.clone(),
                },
                other => other,
            })?;
        Ok(detail.stimuli)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating_of(id: &str, stimulus: &str) -> Rating {
        serde_json::from_value(serde_json::json!({
            "score": 1.0, "rater_id": 1, "slate_id": 1, "stimulus_id": id, "stimulus": stimulus,
        }))
        .unwrap()
    }

    #[test]
    fn ratings_are_placed_by_id_then_by_the_last_two_path_segments() {
        let mut index = StimulusIndex::new();
        index.insert("5".into(), Some(("song".into(), "song/a.wav".into())));
        index.insert("6".into(), None);
        let place = |id, name| place_rating(&rating_of(id, name), &index);
        assert_eq!(place("5", "whatever"), Some(("song".into(), "song/a.wav".into())));
        assert_eq!(
            place("6", "https://cdn.x/y/s2/b.wav?sig=1"),
            Some(("s2".into(), "s2/b.wav".into()))
        );
        assert_eq!(place("7", "s3/c.mp3"), Some(("s3".into(), "s3/c.mp3".into())));
        assert_eq!(place("7", "c.mp3"), None);
    }

    #[test]
    fn conditions_are_file_names_without_extensions() {
        assert_eq!(condition_of("s/codec_a.wav"), "codec_a");
        assert_eq!(condition_of("s/api.req.json"), "api");
        assert_eq!(condition_of("s/.hidden"), ".hidden");
        assert_eq!(condition_of("s/plain"), "plain");
    }

    #[test]
    fn ids_are_sent_as_numbers_when_they_are_numbers() {
        let ids = [
            PlatformId::from("42"),
            PlatformId::from("a1b2"),
            PlatformId::from("007"),
            PlatformId::from(""),
        ];
        assert_eq!(serde_json::to_string(&ids).unwrap(), r#"[42,"a1b2",7,""]"#);
        let huge = PlatformId::from("99999999999999999999999");
        assert_eq!(
            serde_json::to_string(&huge).unwrap(),
            r#""99999999999999999999999""#
        );
    }

    #[test]
    fn answers_with_numeric_ids_and_unknown_fields_are_read() {
        let rating: Rating = serde_json::from_str(
            r#"{"score": 87.5, "rater_id": 3, "slate_id": 11, "session_id": "s", "job_id": "j",
                "stimulus_id": 5, "stimulus": "song_1/a.wav", "dimension": null,
                "is_training": false, "meta": {"x": 1}, "is_correct": null, "extra": 1}"#,
        )
        .unwrap();
        assert_eq!((rating.rater_id.as_str(), rating.slate_id.as_str()), ("3", "11"));
        assert_eq!(rating.score, Some(87.5));
        let experiment: Experiment = serde_json::from_str(
            r#"{"id": "e1", "name": "n", "type": "mushra", "dataset_ids": [1, "d2"], "job_ids": null}"#,
        )
        .unwrap();
        assert_eq!(experiment.dataset_ids, ["1", "d2"]);
        assert!(experiment.job_ids.is_empty());
    }

    #[test]
    fn a_cost_hides_its_token_and_tells_its_expiry() {
        let mut cost: JobCost = serde_json::from_str(
            r#"{"num_sessions": 20, "cost": 12.5, "cost_per_additional_session": 0.625, "currency": "EUR",
                "token": "sekret-token", "token_expires_in": 10, "token_expires_at": "2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert!(!format!("{cost:?}").contains("sekret"));
        assert!(!serde_json::to_string(&cost).unwrap().contains("sekret"));
        assert_eq!(
            cost.to_string(),
            "12.50 EUR for 20 sessions (0.62 EUR per additional session)"
        );
        let now = Instant::now();
        cost.received = Some(now);
        assert!(!cost.token_expired(now + Duration::from_secs(7)));
        // Without a lifetime the token is never taken for expired here: the platform decides.
        let mut unsaid = cost.clone();
        unsaid.token_expires_in = None;
        assert!(!unsaid.token_expired(now + Duration::from_secs(100_000)));
        assert!(
            cost.token_expired(now + Duration::from_secs(8)),
            "the safety margin counts"
        );
    }

    #[test]
    fn token_refusals_are_told_from_other_errors() {
        let http = |status, detail: &str| ClientError::Http {
            status,
            url: crate::secret::RedactedUrl::new("https://x/launch/"),
            detail: detail.into(),
            dataset_id: None,
        };
        assert!(is_token_refusal(&http(
            400,
            r#"{"token": ["Token has expired."]}"#
        )));
        assert!(!is_token_refusal(&http(
            400,
            r#"{"detail": "Job is not a draft."}"#
        )));
        assert!(!is_token_refusal(&http(404, "token")));
    }

    #[test]
    fn experiment_requests_are_checked_before_sending() {
        let request = CreateExperimentRequest {
            name: "x".repeat(129),
            experiment_type: "mushra".into(),
            language: None,
            datasets: vec![PlatformId::from("1")],
            training_datasets: Vec::new(),
            title: None,
            question: None,
            description: None,
            introduction: None,
        };
        assert!(request.validate().unwrap_err().to_string().contains("name"));
        let request = CreateExperimentRequest {
            name: "ok".into(),
            language: Some("klingon".into()),
            ..request
        };
        assert!(request.validate().unwrap_err().to_string().contains("klingon"));
    }
}
