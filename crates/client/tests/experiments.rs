//! The experiment API against the local test server: experiments and jobs round-trip, and a
//! launch happens only with consent, with a fresh token (and the cost asked about again)
//! when one runs out.

mod common;

use std::time::Duration;

use common::*;
use stimpack_client::mabyduck::{
    Consent, CreateExperimentRequest, CreateJobRequest, LaunchOutcome, PlatformId, PoolKind, Strategy,
};
use stimpack_client::{ClientError, NoopReporter};
use stimpack_testserver::{ExperimentsConfig, ServerConfig, TestServer};

const STIMULI: [(&str, &str); 6] = [
    ("s1/reference.wav", "s1"),
    ("s1/low.wav", "s1"),
    ("s1/codec.mp3", "s1"),
    ("s2/reference.wav", "s2"),
    ("s2/low.wav", "s2"),
    ("s2/codec.mp3", "s2"),
];

fn server(experiments: ExperimentsConfig) -> TestServer {
    TestServer::start(ServerConfig {
        experiments,
        ..ServerConfig::default()
    })
    .unwrap()
}

/// A crowd job of 4 sessions in a new MUSHRA experiment: (experiment, job).
fn draft_job(server: &TestServer) -> (String, String) {
    let dataset = server.add_dataset("d", &STIMULI);
    let client = client(server);
    let experiment = client
        .create_experiment(
            &CreateExperimentRequest {
                name: "codec test".into(),
                experiment_type: "mushra".into(),
                language: Some("en".into()),
                datasets: vec![PlatformId(dataset)],
                training_datasets: Vec::new(),
                title: None,
                question: Some("How good is it?".into()),
                description: None,
                introduction: None,
            },
            &NoopReporter,
        )
        .unwrap();
    let pools = client
        .rater_pools(&experiment.id, Some(PoolKind::Crowd), &NoopReporter)
        .unwrap();
    assert_eq!(pools.len(), 1);
    let job = client
        .create_job(
            &experiment.id,
            &CreateJobRequest {
                rater_pool: PlatformId(pools[0].id.clone()),
                num_sessions: 4,
                num_comparisons: 2,
                num_training: Some(0),
                strategy: Some(Strategy::Lexicographic),
            },
            &NoopReporter,
        )
        .unwrap();
    (experiment.id, job.id)
}

#[test]
fn experiments_and_jobs_round_trip() {
    let server = server(ExperimentsConfig::default());
    let (experiment, job) = draft_job(&server);
    let client = client(&server);
    let listed = client.list_experiments(&NoopReporter).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].job_ids, std::slice::from_ref(&job));
    let detail = client.experiment(&experiment, &NoopReporter).unwrap();
    assert_eq!(
        (detail.experiment_type.as_str(), detail.jobs.len()),
        ("mushra", 1)
    );
    assert_eq!(detail.jobs[0].date_launched, None);
    let cost = client.job_cost(&experiment, &job, &NoopReporter).unwrap();
    assert_eq!(
        (cost.cost, cost.num_sessions, cost.currency.as_str()),
        (0.4, 4, "EUR")
    );
    let missing = client.experiment("nope", &NoopReporter).unwrap_err();
    assert!(
        matches!(missing, ClientError::ExperimentNotFound { .. }),
        "{missing}"
    );
    let missing = client.job(&experiment, "nojob", &NoopReporter).unwrap_err();
    assert!(matches!(missing, ClientError::JobNotFound { .. }), "{missing}");
}

#[test]
fn declined_consent_posts_nothing() {
    let server = server(ExperimentsConfig::default());
    let (experiment, job) = draft_job(&server);
    let mut asked = 0;
    let outcome = client(&server)
        .launch_with_consent(
            &experiment,
            &job,
            &mut |_, _| {
                asked += 1;
                Consent::No
            },
            &NoopReporter,
        )
        .unwrap();
    assert!(matches!(outcome, LaunchOutcome::Declined(_)));
    assert_eq!(asked, 1);
    assert!(server.launches().is_empty());
}

#[test]
fn a_token_that_expires_while_waiting_for_consent_is_fetched_again() {
    // Tokens live 3 s; with the 2 s safety margin, a consent that takes 1.2 s is too slow.
    let server = server(ExperimentsConfig {
        token_ttl: Duration::from_secs(3),
        ..ExperimentsConfig::default()
    });
    let (experiment, job) = draft_job(&server);
    let mut seen = Vec::new();
    let outcome = client(&server)
        .launch_with_consent(
            &experiment,
            &job,
            &mut |cost, before| {
                seen.push((cost.cost, before.map(|b| b.cost)));
                if before.is_none() {
                    std::thread::sleep(Duration::from_millis(1200));
                }
                Consent::Yes
            },
            &NoopReporter,
        )
        .unwrap();
    assert!(matches!(outcome, LaunchOutcome::Launched(_)));
    assert_eq!(
        seen,
        [(0.4, None), (0.4, Some(0.4))],
        "asked again with the earlier cost"
    );
    let launches = server.launches();
    assert_eq!(
        launches.len(),
        1,
        "the stale token was never posted: {launches:?}"
    );
    assert!(launches[0].accepted);
}

#[test]
fn a_token_the_platform_refuses_is_fetched_again_and_a_launched_job_is_not_launched_twice() {
    let server = server(ExperimentsConfig {
        dead_tokens: 1,
        ..ExperimentsConfig::default()
    });
    let (experiment, job) = draft_job(&server);
    let client = client(&server);
    let mut asked = 0;
    let outcome = client
        .launch_with_consent(
            &experiment,
            &job,
            &mut |_, _| {
                asked += 1;
                Consent::Yes
            },
            &NoopReporter,
        )
        .unwrap();
    assert!(matches!(outcome, LaunchOutcome::Launched(_)));
    assert_eq!(asked, 2);
    let launches = server.launches();
    assert_eq!(launches.len(), 2);
    assert_eq!(launches[0].refusal.as_deref(), Some("Token has expired."));
    assert!(launches[1].accepted);
    let again = client
        .launch_with_consent(&experiment, &job, &mut |_, _| Consent::Yes, &NoopReporter)
        .unwrap();
    assert!(matches!(again, LaunchOutcome::AlreadyLaunched(Some(_))));
    assert_eq!(server.launches().len(), 2);
}

#[test]
fn tokens_that_never_work_end_in_an_error_after_a_few_tries() {
    let server = server(ExperimentsConfig {
        dead_tokens: 100,
        ..ExperimentsConfig::default()
    });
    let (experiment, job) = draft_job(&server);
    let error = client(&server)
        .launch_with_consent(&experiment, &job, &mut |_, _| Consent::Yes, &NoopReporter)
        .unwrap_err();
    assert!(
        matches!(error, ClientError::TokenKeepsExpiring { attempts: 4, .. }),
        "{error}"
    );
    assert!(server.launches().iter().all(|l| !l.accepted));
}

#[test]
fn ratings_leave_training_out_unless_asked_and_map_to_dataset_stimuli() {
    let server = server(ExperimentsConfig::default());
    let (experiment, job) = draft_job(&server);
    let client = client(&server);
    client
        .launch_with_consent(&experiment, &job, &mut |_, _| Consent::Yes, &NoopReporter)
        .unwrap();
    let ratings = client.ratings(&experiment, false, &NoopReporter).unwrap();
    // 4 raters x 2 pages x 3 stimuli.
    assert_eq!(ratings.len(), 24);
    assert!(ratings.iter().all(|r| !r.is_training && r.score.is_some()));
    let detail = client.experiment(&experiment, &NoopReporter).unwrap();
    let stimuli = client
        .dataset_stimuli(&detail.datasets[0].id, &NoopReporter)
        .unwrap();
    for r in &ratings {
        let s = stimuli
            .iter()
            .find(|s| s.id.as_deref() == Some(r.stimulus_id.as_str()))
            .unwrap();
        assert_eq!(s.filepath, r.stimulus);
    }
    let placed = client.placed_ratings(&detail, Some(&job), &NoopReporter).unwrap();
    assert_eq!((placed.placed.len(), placed.unplaced), (24, 0));
    assert!(placed.unread_datasets.is_empty());
    for p in &placed.placed {
        assert_eq!(p.filepath, p.rating.stimulus);
        assert!(p.filepath.starts_with(&format!("{}/", p.source)));
        assert!(
            ["reference", "low", "codec"].contains(&p.condition.as_str()),
            "{p:?}"
        );
    }
    let other_job = client
        .placed_ratings(&detail, Some("otherjob"), &NoopReporter)
        .unwrap();
    assert!(other_job.placed.is_empty());
    let slates = client.slates(&experiment, false, &NoopReporter).unwrap();
    assert_eq!(slates.len(), 8);
    let metrics = client.metrics(&experiment, Some(&job), &NoopReporter).unwrap();
    assert_eq!(metrics[0].kind, "mean");
}
