//! The experiment side of the stand-in server: experiments made from its datasets, jobs with
//! rater pools, costs with expiring confirmation tokens, launches (each one recorded, so
//! tests can prove none happened without consent), and ratings generated at launch from a
//! seeded model with known per-condition means, including careless raters who fail the
//! MUSHRA hidden-reference screening.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::http::{Request, Response, iso8601_at, now_iso8601};
use crate::{DatasetRecord, State, TestServer};

/// Experiment types the server accepts, as the API reference lists them.
const TYPES: &[&str] = &[
    "acr_audio",
    "acr_video",
    "acr_image",
    "multi_acr_embed",
    "multi_acr_video",
    "binary_audio",
    "binary_image",
    "binary_video",
    "inpainting_image",
    "mushra",
];
const LANGUAGES: &[&str] = &["en", "fr", "de", "zh-hans", "es", "hi", "pl", "vi"];

/// The rater pools every experiment offers: (id, kind, name).
const POOLS: &[(&str, i64, &str)] = &[
    ("1", 0, "Anyone"),
    ("2", 100, "Project members"),
    ("3", 400, "Crowd-sourced raters"),
    ("4", 500, "AI raters"),
];

/// How the experiment side behaves.
#[derive(Clone, Debug)]
pub struct ExperimentsConfig {
    /// How long a cost confirmation token is valid (`token_expires_in`).
    pub token_ttl: Duration,
    /// The first this many tokens are refused at launch as expired, whatever their age (a
    /// platform clock ahead of ours).
    pub dead_tokens: u32,
    /// Price per comparison of a crowd-sourced session (AI raters cost a fifth; anyone and
    /// project members nothing).
    pub crowd_price_per_comparison: f64,
    /// The currency of costs.
    pub currency: String,
    /// Seed of the rating model.
    pub seed: u64,
    /// Means of the model (0-100) by condition name, before [`model_mean`]'s defaults.
    pub condition_means: Vec<(String, f64)>,
    /// Standard deviation of a rating around its condition's mean (0-100 scale).
    pub noise_sd: f64,
    /// The last this many raters of each launched job are careless: they score MUSHRA's
    /// hidden reference between 55 and 80 on every page.
    pub careless_raters: u32,
}

impl Default for ExperimentsConfig {
    fn default() -> Self {
        ExperimentsConfig {
            token_ttl: Duration::from_secs(300),
            dead_tokens: 0,
            crowd_price_per_comparison: 0.05,
            currency: "EUR".into(),
            seed: 16,
            condition_means: Vec::new(),
            noise_sd: 8.0,
            careless_raters: 1,
        }
    }
}

/// The model's mean score (0-100) of a condition: the configured one, else by name: the
/// reference 97 (rated by attentive raters with a quarter of the noise, so they pass the
/// screening), `low*`, `anchor*` and `lp35` 20, `lp70` 50, and any other name a fixed value
/// from 35 to 84 derived from its letters.
pub fn model_mean(config: &ExperimentsConfig, condition: &str) -> f64 {
    if let Some((_, mean)) = config.condition_means.iter().find(|(c, _)| c == condition) {
        return *mean;
    }
    let lower = condition.to_ascii_lowercase();
    if lower == "reference" {
        97.0
    } else if lower.starts_with("low") || lower.starts_with("anchor") || lower == "lp35" {
        20.0
    } else if lower == "lp70" {
        50.0
    } else {
        let hash = lower.bytes().fold(2_166_136_261_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(16_777_619)
        });
        35.0 + f64::from(hash % 50)
    }
}

/// The experiment endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExperimentRoute {
    /// `GET /projects/{p}/experiments/`
    List,
    /// `POST /projects/{p}/experiments/`
    Create,
    /// `GET .../experiments/{e}/`
    Detail,
    /// `GET .../experiments/{e}/jobs/`
    Jobs,
    /// `POST .../experiments/{e}/jobs/`
    CreateJob,
    /// `GET .../jobs/{j}/`
    Job,
    /// `GET .../jobs/{j}/costs/`
    Costs,
    /// `POST .../jobs/{j}/launch/`
    Launch,
    /// `GET .../experiments/{e}/rater_pools/`
    RaterPools,
    /// `GET .../experiments/{e}/ratings/`
    Ratings,
    /// `GET .../experiments/{e}/slates/`
    Slates,
    /// `GET .../experiments/{e}/results/`
    Results,
}

/// One launch request as the server judged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchRecord {
    /// The experiment.
    pub experiment_id: String,
    /// The job.
    pub job_id: String,
    /// Whether the job was launched.
    pub accepted: bool,
    /// Why not, when refused.
    pub refusal: Option<String>,
}

/// A generated rating.
#[derive(Clone, Debug)]
struct RatingRecord {
    rater_id: u64,
    slate_id: u64,
    session_id: String,
    job_id: String,
    stimulus_id: u64,
    stimulus: String,
    condition: String,
    score: f64,
    is_training: bool,
}

#[derive(Clone, Debug)]
struct JobRecord {
    id: String,
    sessions: u32,
    comparisons: u32,
    training: u32,
    pool: usize,
    strategy: String,
    created: String,
    launched: Option<String>,
}

#[derive(Clone, Debug)]
struct ExperimentRecord {
    id: String,
    name: String,
    kind: String,
    language: String,
    datasets: Vec<String>,
    training: Vec<String>,
    title: Option<String>,
    question: Option<String>,
    description: Option<String>,
    created: String,
    jobs: Vec<JobRecord>,
    ratings: Vec<RatingRecord>,
}

struct Token {
    value: String,
    job: String,
    issued: Instant,
    dead: bool,
    used: bool,
}

/// What the experiment side holds.
#[derive(Default)]
pub(crate) struct Store {
    experiments: BTreeMap<String, ExperimentRecord>,
    tokens: Vec<Token>,
    launches: Vec<LaunchRecord>,
    next: u64,
    next_rater: u64,
    next_slate: u64,
}

/// The platform's id of a dataset's `index`-th stimulus: unique across datasets.
pub(crate) fn stimulus_id(dataset_seq: u32, index: usize) -> u64 {
    u64::from(dataset_seq) * 100_000 + index as u64 + 1
}

impl TestServer {
    /// Adds a dataset that is already `ready` with these `(filepath, group_id)` stimuli, as
    /// an upload would leave it; returns its id.
    pub fn add_dataset(&self, name: &str, stimuli: &[(&str, &str)]) -> String {
        let mut state = self.shared.lock();
        let seq = state.next_id;
        state.next_id += 1;
        let id = format!("{seq:04}{:012x}", fastrand::u64(..1 << 48));
        state.datasets.insert(
            id.clone(),
            DatasetRecord {
                id: id.clone(),
                name: name.to_owned(),
                filename: format!("{name}.zip"),
                status: "ready".into(),
                uploaded_bytes: Some(0),
                stimuli: stimuli
                    .iter()
                    .map(|(p, g)| (p.to_string(), g.to_string()))
                    .collect(),
                signature: String::new(),
                seq,
                polls: 0,
                error: None,
                created: now_iso8601(),
            },
        );
        id
    }

    /// Every launch request so far, accepted or refused, in order.
    pub fn launches(&self) -> Vec<LaunchRecord> {
        self.shared.lock().experiments.launches.clone()
    }

    /// The ids of the experiments created so far.
    pub fn experiment_ids(&self) -> Vec<String> {
        self.shared
            .lock()
            .experiments
            .experiments
            .keys()
            .cloned()
            .collect()
    }

    /// The rating model's mean for a condition (see [`model_mean`]).
    pub fn model_mean(&self, condition: &str) -> f64 {
        model_mean(&self.shared.lock().config.experiments, condition)
    }

    /// The ids of the raters generated as careless in an experiment, in order.
    pub fn careless_raters(&self, experiment_id: &str) -> Vec<String> {
        let state = self.shared.lock();
        let Some(e) = state.experiments.experiments.get(experiment_id) else {
            return Vec::new();
        };
        let careless = state.config.experiments.careless_raters as usize;
        let mut out = Vec::new();
        for job in &e.jobs {
            let mut raters: Vec<u64> = e
                .ratings
                .iter()
                .filter(|r| r.job_id == job.id)
                .map(|r| r.rater_id)
                .collect();
            raters.dedup();
            let skip = raters.len().saturating_sub(careless);
            out.extend(raters.into_iter().skip(skip).map(|r| r.to_string()));
        }
        out
    }
}

/// The route of `segments` (the path split at `/`), if it is an experiment endpoint.
pub(crate) fn route_of(method: &str, segments: &[&str]) -> Option<ExperimentRoute> {
    use ExperimentRoute as R;
    let rest = match segments {
        ["projects", _, "experiments", rest @ ..] => rest,
        _ => return None,
    };
    Some(match (method, rest) {
        ("GET", []) => R::List,
        ("POST", []) => R::Create,
        ("GET", [_]) => R::Detail,
        ("GET", [_, "jobs"]) => R::Jobs,
        ("POST", [_, "jobs"]) => R::CreateJob,
        ("GET", [_, "jobs", _]) => R::Job,
        ("GET", [_, "jobs", _, "costs"]) => R::Costs,
        ("POST", [_, "jobs", _, "launch"]) => R::Launch,
        ("GET", [_, "rater_pools"]) => R::RaterPools,
        ("GET", [_, "ratings"]) => R::Ratings,
        ("GET", [_, "slates"]) => R::Slates,
        ("GET", [_, "results"]) => R::Results,
        _ => return None,
    })
}

fn not_found() -> Response {
    Response::json(404, &json!({"detail": "Not found."}))
}

fn bad(field: &str, message: &str) -> Response {
    Response::json(400, &json!({ field: [message] }))
}

/// Answers an authenticated request to an experiment endpoint.
pub(crate) fn handle(
    state: &mut State,
    route: ExperimentRoute,
    request: &Request,
    segments: &[&str],
    body: &[u8],
) -> Response {
    use ExperimentRoute as R;
    let experiment_id = segments.get(3).copied().unwrap_or("");
    let job_id = segments.get(5).copied().unwrap_or("");
    match route {
        R::List => {
            let list: Vec<Value> = state.experiments.experiments.values().map(summary).collect();
            Response::json(200, &Value::Array(list))
        }
        R::Create => create_experiment(state, body),
        R::CreateJob => create_job(state, experiment_id, body),
        R::Costs => costs(state, experiment_id, job_id),
        R::Launch => launch(state, experiment_id, job_id, body),
        _ => {
            let Some(e) = state.experiments.experiments.get(experiment_id) else {
                return not_found();
            };
            match route {
                R::Detail => Response::json(200, &detail(e, &state.datasets)),
                R::Jobs => Response::json(
                    200,
                    &Value::Array(e.jobs.iter().map(|j| job_json(e, j)).collect()),
                ),
                R::Job => match e.jobs.iter().find(|j| j.id == job_id) {
                    Some(j) => Response::json(200, &job_json(e, j)),
                    None => not_found(),
                },
                R::RaterPools => {
                    let kind = request.query_param("kind").and_then(|k| k.parse::<i64>().ok());
                    let pools: Vec<Value> = (0..POOLS.len())
                        .filter(|&i| kind.is_none_or(|k| POOLS[i].1 == k))
                        .map(pool_json)
                        .collect();
                    Response::json(200, &Value::Array(pools))
                }
                R::Ratings => {
                    let training = request.query_param("training") == Some("true");
                    let list: Vec<Value> = e
                        .ratings
                        .iter()
                        .filter(|r| training || !r.is_training)
                        .map(|r| {
                            json!({
                                "score": r.score, "rater_id": r.rater_id, "slate_id": r.slate_id,
                                "session_id": r.session_id, "job_id": r.job_id, "stimulus_id": r.stimulus_id,
                                "stimulus": r.stimulus, "dimension": null, "is_training": r.is_training,
                                "meta": null, "is_correct": null,
                            })
                        })
                        .collect();
                    Response::json(200, &Value::Array(list))
                }
                R::Slates => Response::json(200, &slates(e, request.query_param("training") == Some("true"))),
                R::Results => Response::json(200, &metrics(e, request.query_param("source"))),
                _ => not_found(),
            }
        }
    }
}

fn summary(e: &ExperimentRecord) -> Value {
    json!({
        "id": e.id, "name": e.name, "type": e.kind, "language": e.language,
        "dataset_ids": e.datasets, "training_dataset_ids": e.training,
        "job_ids": e.jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        "date_created": e.created, "date_updated": e.created, "config": null,
    })
}

fn detail(e: &ExperimentRecord, datasets: &BTreeMap<String, DatasetRecord>) -> Value {
    let refs = |ids: &[String]| -> Vec<Value> {
        ids.iter()
            .filter_map(|id| datasets.get(id))
            .map(|d| {
                json!({"id": d.id, "name": d.name, "date_created": d.created, "date_last_used": d.created,
                       "is_deleted": false, "status": d.status})
            })
            .collect()
    };
    json!({
        "id": e.id, "name": e.name, "type": e.kind, "language": e.language,
        "datasets": refs(&e.datasets), "training_datasets": refs(&e.training),
        "jobs": e.jobs.iter().map(|j| job_json(e, j)).collect::<Vec<_>>(),
        "title": e.title, "question": e.question, "description": e.description, "introduction": null,
        "date_created": e.created, "date_updated": e.created, "config": null,
    })
}

fn pool_json(i: usize) -> Value {
    let (id, kind, name) = POOLS[i];
    json!({"id": id, "kind": kind, "name": name, "label": name})
}

fn job_json(e: &ExperimentRecord, j: &JobRecord) -> Value {
    json!({
        "id": j.id, "experiment_id": e.id, "num_sessions": j.sessions, "num_comparisons": j.comparisons,
        "num_training": j.training, "date_created": j.created, "date_updated": j.created,
        "date_launched": j.launched, "rater_pool": pool_json(j.pool),
        "status": if j.launched.is_some() { "running" } else { "draft" },
        "config": {"strategy": j.strategy}, "max_repetitions": 1, "min_rest_time": 0,
    })
}

/// An id the body gives as a string or a number.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn create_experiment(state: &mut State, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Response::json(400, &json!({"detail": "JSON parse error."}));
    };
    let text = |field: &str| request.get(field).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").unwrap_or_default();
    if name.is_empty() || name.chars().count() > 128 {
        return bad("name", "Ensure this field has 1 to 128 characters.");
    }
    let kind = text("type").unwrap_or_default();
    if !TYPES.contains(&kind.as_str()) {
        return bad("type", &format!("\"{kind}\" is not a valid choice."));
    }
    let language = text("language").unwrap_or_else(|| "en".into());
    if !LANGUAGES.contains(&language.as_str()) {
        return bad("language", &format!("\"{language}\" is not a valid choice."));
    }
    let mut lists = Vec::new();
    for field in ["datasets", "training_datasets"] {
        let ids: Vec<String> = match request.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => match items.iter().map(id_text).collect::<Option<Vec<_>>>() {
                Some(ids) => ids,
                None => return bad(field, "Expected a list of ids."),
            },
            Some(_) => return bad(field, "Expected a list of ids."),
        };
        if let Some(missing) = ids.iter().find(|id| !state.datasets.contains_key(*id)) {
            return bad(
                field,
                &format!("Invalid pk \"{missing}\" - object does not exist."),
            );
        }
        lists.push(ids);
    }
    let training = lists.pop().unwrap_or_default();
    let datasets = lists.pop().unwrap_or_default();
    if datasets.is_empty() {
        return bad("datasets", "This list may not be empty.");
    }
    let store = &mut state.experiments;
    store.next += 1;
    let id = format!("exp{:03}{:08x}", store.next, fastrand::u32(..));
    let record = ExperimentRecord {
        id: id.clone(),
        name,
        kind,
        language,
        datasets,
        training,
        title: text("title"),
        question: text("question"),
        description: text("description"),
        created: now_iso8601(),
        jobs: Vec::new(),
        ratings: Vec::new(),
    };
    let answer = summary(&record);
    store.experiments.insert(id, record);
    Response::json(201, &answer)
}

fn create_job(state: &mut State, experiment_id: &str, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Response::json(400, &json!({"detail": "JSON parse error."}));
    };
    let store = &mut state.experiments;
    store.next += 1;
    let next = store.next;
    let Some(e) = store.experiments.get_mut(experiment_id) else {
        return not_found();
    };
    let number = |field: &str| request.get(field).and_then(Value::as_u64);
    let pool = request
        .get("rater_pool")
        .and_then(id_text)
        .and_then(|id| POOLS.iter().position(|p| p.0 == id));
    let Some(pool) = pool else {
        return bad("rater_pool", "Invalid pk - object does not exist.");
    };
    let sessions = number("num_sessions").unwrap_or(0);
    if !(1..=10_000).contains(&sessions) {
        return bad("num_sessions", "Ensure this value is between 1 and 10000.");
    }
    let comparisons = number("num_comparisons").unwrap_or(0);
    if !(1..=1000).contains(&comparisons) {
        return bad("num_comparisons", "Ensure this value is between 1 and 1000.");
    }
    let strategy = request
        .get("strategy")
        .and_then(Value::as_str)
        .unwrap_or("randomized")
        .to_owned();
    if !["randomized", "lexicographic", "active", "neighbor"].contains(&strategy.as_str()) {
        return bad("strategy", &format!("\"{strategy}\" is not a valid choice."));
    }
    let job = JobRecord {
        id: format!("job{next:03}{:08x}", fastrand::u32(..)),
        sessions: sessions as u32,
        comparisons: comparisons as u32,
        training: number("num_training").unwrap_or(2) as u32,
        pool,
        strategy,
        created: now_iso8601(),
        launched: None,
    };
    let answer = job_json(e, &job);
    e.jobs.push(job);
    Response::json(201, &answer)
}

fn costs(state: &mut State, experiment_id: &str, job_id: &str) -> Response {
    let config = state.config.experiments.clone();
    let store = &mut state.experiments;
    let Some(job) = store
        .experiments
        .get(experiment_id)
        .and_then(|e| e.jobs.iter().find(|j| j.id == job_id))
    else {
        return not_found();
    };
    let per_comparison = match POOLS[job.pool].1 {
        400 => config.crowd_price_per_comparison,
        500 => config.crowd_price_per_comparison / 5.0,
        _ => 0.0,
    };
    let per_session = per_comparison * f64::from(job.comparisons);
    let cost = per_session * f64::from(job.sessions);
    let value: String = (0..32)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect();
    let dead = store.tokens.len() < config.dead_tokens as usize;
    store.tokens.push(Token {
        value: value.clone(),
        job: job_id.to_owned(),
        issued: Instant::now(),
        dead,
        used: false,
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Response::json(
        200,
        &json!({
            "num_sessions": job.sessions, "cost": (cost * 100.0).round() / 100.0,
            "cost_per_additional_session": (per_session * 100.0).round() / 100.0,
            "currency": config.currency, "token": value,
            "token_expires_in": config.token_ttl.as_secs(),
            "token_expires_at": iso8601_at(now + config.token_ttl.as_secs()),
        }),
    )
}

fn launch(state: &mut State, experiment_id: &str, job_id: &str, body: &[u8]) -> Response {
    let config = state.config.experiments.clone();
    let token = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let exists = state
        .experiments
        .experiments
        .get(experiment_id)
        .is_some_and(|e| e.jobs.iter().any(|j| j.id == job_id));
    if !exists {
        return not_found();
    }
    let store = &mut state.experiments;
    let refusal = match store
        .tokens
        .iter_mut()
        .find(|t| t.value == token && t.job == job_id)
    {
        None => Some("Invalid token."),
        Some(t) if t.used => Some("Token has already been used."),
        Some(t) if t.dead || t.issued.elapsed() > config.token_ttl => Some("Token has expired."),
        Some(t) => {
            t.used = true;
            None
        }
    };
    let launched_before = store.experiments[experiment_id]
        .jobs
        .iter()
        .any(|j| j.id == job_id && j.launched.is_some());
    let refusal = refusal.or(launched_before.then_some("Job has already been launched."));
    store.launches.push(LaunchRecord {
        experiment_id: experiment_id.to_owned(),
        job_id: job_id.to_owned(),
        accepted: refusal.is_none(),
        refusal: refusal.map(str::to_owned),
    });
    if let Some(reason) = refusal {
        let field = if launched_before { "detail" } else { "token" };
        return bad(field, reason);
    }
    let ratings = generate(state, experiment_id, job_id, &config);
    let e = state
        .experiments
        .experiments
        .get_mut(experiment_id)
        .expect("checked above");
    if let Some(job) = e.jobs.iter_mut().find(|j| j.id == job_id) {
        job.launched = Some(now_iso8601());
    }
    e.ratings.extend(ratings);
    Response::json(200, &json!({ "token": token }))
}

/// A normal draw (Box-Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = rng.f64().max(f64::MIN_POSITIVE);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The ratings of a launched job: every session is one rater who rates `comparisons` slates,
/// one source each, in turn; MUSHRA and multi-stimulus types rate every stimulus of the
/// source, ACR types one, binary types two (the better-modelled one wins more often).
fn generate(
    state: &mut State,
    experiment_id: &str,
    job_id: &str,
    config: &ExperimentsConfig,
) -> Vec<RatingRecord> {
    let e = &state.experiments.experiments[experiment_id];
    let Some(job) = e.jobs.iter().find(|j| j.id == job_id).cloned() else {
        return Vec::new();
    };
    let groups = |ids: &[String]| {
        let mut groups: BTreeMap<String, Vec<(u64, String, String)>> = BTreeMap::new();
        for d in ids.iter().filter_map(|id| state.datasets.get(id)) {
            for (i, (path, group)) in d.stimuli.iter().enumerate() {
                let file = path.rsplit('/').next().unwrap_or(path);
                let condition = file.rsplit_once('.').map_or(file, |(stem, _)| stem).to_owned();
                groups.entry(group.clone()).or_default().push((
                    stimulus_id(d.seq, i),
                    path.clone(),
                    condition,
                ));
            }
        }
        groups.into_values().collect::<Vec<_>>()
    };
    let rated = groups(&e.datasets);
    let training = if e.training.is_empty() {
        rated.clone()
    } else {
        groups(&e.training)
    };
    let kind = e.kind.clone();
    let store = &mut state.experiments;
    let mut rng = fastrand::Rng::with_seed(config.seed ^ store.next_slate.rotate_left(17));
    let mut out = Vec::new();
    if rated.is_empty() {
        return out;
    }
    for session in 0..job.sessions {
        store.next_rater += 1;
        let rater_id = store.next_rater;
        let careless = session + config.careless_raters >= job.sessions;
        let session_id = format!("ses{rater_id}");
        let slates = (0..job.training)
            .map(|k| (true, &training[k as usize % training.len()]))
            .chain((0..job.comparisons).map(|k| (false, &rated[(k + session) as usize % rated.len()])));
        for (k, (is_training, group)) in slates.enumerate() {
            store.next_slate += 1;
            let slate_id = store.next_slate;
            let shown: Vec<&(u64, String, String)> = if kind == "mushra" || kind.starts_with("multi_") {
                group.iter().collect()
            } else if kind.starts_with("binary_") && group.len() >= 2 {
                let a = rng.usize(..group.len());
                let b = (a + 1 + rng.usize(..group.len() - 1)) % group.len();
                vec![&group[a], &group[b]]
            } else {
                vec![&group[(k + session as usize) % group.len()]]
            };
            let mut scores: Vec<f64> = shown
                .iter()
                .map(|(_, _, condition)| {
                    let mean = model_mean(config, condition);
                    if careless && condition == "reference" {
                        55.0 + 25.0 * rng.f64()
                    } else if condition == "reference" {
                        mean + config.noise_sd / 4.0 * normal(&mut rng)
                    } else {
                        mean + config.noise_sd * normal(&mut rng)
                    }
                })
                .collect();
            if kind.starts_with("binary_") && scores.len() == 2 {
                let (a, b) = (model_mean(config, &shown[0].2), model_mean(config, &shown[1].2));
                let a_wins = rng.f64() < 1.0 / (1.0 + (-(a - b) / 15.0).exp());
                scores = if a_wins { vec![1.0, 0.0] } else { vec![0.0, 1.0] };
            } else if kind == "mushra" {
                scores = scores.into_iter().map(|s| s.round().clamp(0.0, 100.0)).collect();
            } else {
                scores = scores
                    .into_iter()
                    .map(|s| (1.0 + 4.0 * s / 100.0).round().clamp(1.0, 5.0))
                    .collect();
            }
            for ((stimulus_id, path, condition), score) in shown.into_iter().zip(scores) {
                out.push(RatingRecord {
                    rater_id,
                    slate_id,
                    session_id: session_id.clone(),
                    job_id: job.id.clone(),
                    stimulus_id: *stimulus_id,
                    stimulus: path.clone(),
                    condition: condition.clone(),
                    score: if is_training { -1.0 } else { score },
                    is_training,
                });
            }
        }
    }
    out
}

fn slates(e: &ExperimentRecord, training: bool) -> Value {
    let mut slates: BTreeMap<u64, Vec<&RatingRecord>> = BTreeMap::new();
    for r in e.ratings.iter().filter(|r| training || !r.is_training) {
        slates.entry(r.slate_id).or_default().push(r);
    }
    Value::Array(
        slates
            .into_iter()
            .map(|(id, ratings)| {
                let first = ratings[0];
                json!({
                    "id": id, "rater_id": first.rater_id.to_string(), "session_id": first.session_id,
                    "job_id": first.job_id, "is_training": first.is_training, "meta": null,
                    "date_updated": e.created,
                    "ratings": ratings.iter().map(|r| json!({
                        "score": r.score, "stimulus_id": r.stimulus_id, "stimulus": r.stimulus,
                        "condition": r.condition, "dimension": null, "meta": null, "is_correct": null,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The platform's own metric: the plain mean per condition, over every rater.
fn metrics(e: &ExperimentRecord, source: Option<&str>) -> Value {
    let mut by_condition: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
    for r in e
        .ratings
        .iter()
        .filter(|r| !r.is_training && source.is_none_or(|s| s == r.job_id || s == e.id))
    {
        let entry = by_condition.entry(&r.condition).or_default();
        entry.0 += r.score;
        entry.1 += 1;
    }
    let scores: Vec<Value> = by_condition
        .into_iter()
        .map(|(condition, (sum, n))| json!({"method": condition, "score": sum / n as f64, "count": n}))
        .collect();
    json!([{ "kind": "mean", "dimension": null, "source": source.unwrap_or(&e.id), "scores": scores, "options": {} }])
}
