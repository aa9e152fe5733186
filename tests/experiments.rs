//! `stimpack experiment` and `stimpack job` end to end against the stand-in server: the
//! experiment rules checked on the platform's datasets before anything is created, and the
//! consent rules of a launch, proved on the server's own record of launch requests.

mod common;

use std::io::{Read, Write};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use stimpack_testserver::{ExperimentRoute, ExperimentsConfig, Route, ServerConfig, TestServer};

const MUSHRA: [(&str, &str); 6] = [
    ("s1/reference.wav", "s1"),
    ("s1/lp70.wav", "s1"),
    ("s1/codec.mp3", "s1"),
    ("s2/reference.wav", "s2"),
    ("s2/lp70.wav", "s2"),
    ("s2/codec.mp3", "s2"),
];

fn server(experiments: ExperimentsConfig) -> TestServer {
    TestServer::start(ServerConfig {
        polls_until_ready: 0,
        experiments,
        ..ServerConfig::default()
    })
    .expect("test server starts")
}

fn command(server: &TestServer, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = stimpack();
    cmd.env("MABYDUCK_API_KEY", server.api_key())
        .env("MABYDUCK_PROJECT", "proj1")
        .env("MABYDUCK_API_URL", server.base_url())
        .args(args);
    cmd
}

fn run(server: &TestServer, args: &[&str]) -> Output {
    command(server, args).output().expect("runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn experiment_creations(server: &TestServer) -> usize {
    server
        .requests_to(Route::Experiments(ExperimentRoute::Create))
        .len()
}

/// A MUSHRA experiment with a draft crowd job of 3 sessions x 2 comparisons: (experiment, job).
fn draft_job(server: &TestServer) -> (String, String) {
    let dataset = server.add_dataset("d", &MUSHRA);
    let out = run(
        server,
        &[
            "experiment",
            "create",
            "--dataset",
            &dataset,
            "--type",
            "mushra",
            "--name",
            "t",
        ],
    );
    assert_exit(&out, 0);
    let experiment = stdout(&out);
    let out = run(
        server,
        &[
            "job",
            "create",
            &experiment,
            "--sessions",
            "3",
            "--comparisons",
            "2",
            "--pool-kind",
            "crowd",
        ],
    );
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("cost: 0.30 EUR for 3 sessions (0.10 EUR per additional session)"),
        "{}",
        stderr(&out)
    );
    (experiment, stdout(&out))
}

#[test]
fn an_experiment_is_created_from_datasets_that_pass_its_rules() {
    let server = server(ExperimentsConfig::default());
    let dataset = server.add_dataset("d", &MUSHRA);
    let out = run(
        &server,
        &[
            "experiment",
            "create",
            "--dataset",
            &dataset,
            "--type",
            "mushra",
            "--name",
            "codec test",
            "--question",
            "How close is it to the reference?",
            "--language",
            "de",
        ],
    );
    assert_exit(&out, 0);
    let id = stdout(&out);
    assert_eq!(server.experiment_ids(), std::slice::from_ref(&id));
    let shown = run(&server, &["experiment", "show", &id, "--json"]);
    assert_exit(&shown, 0);
    let detail: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(detail["type"], "mushra");
    assert_eq!(detail["language"], "de");
    assert_eq!(detail["datasets"][0]["id"], dataset.as_str());
    let listed = run(&server, &["experiment", "list"]);
    assert_exit(&listed, 0);
    assert!(stdout(&listed).contains(&id) && stdout(&listed).contains("codec test"));
}

#[test]
fn an_experiment_whose_datasets_break_its_rules_is_refused_with_the_findings() {
    let server = server(ExperimentsConfig::default());
    let audio = server.add_dataset("audio", &MUSHRA);
    let no_reference = server.add_dataset("noref", &[("s1/a.wav", "s1"), ("s1/b.wav", "s1")]);
    let one_image = server.add_dataset(
        "one",
        &[("s1/a.png", "s1"), ("s2/a.png", "s2"), ("s2/b.png", "s2")],
    );
    let cases = [
        (
            vec!["--dataset", &audio, "--type", "binary_image"],
            "wrong-media-for-experiment",
        ),
        (
            vec![
                "--dataset",
                &audio,
                "--dataset",
                &no_reference,
                "--type",
                "mushra",
            ],
            "missing-reference",
        ),
        (
            vec!["--dataset", &one_image, "--type", "binary_image"],
            "too-few-conditions",
        ),
        (
            vec![
                "--dataset",
                &audio,
                "--training-dataset",
                &one_image,
                "--type",
                "mushra",
            ],
            "wrong-media-for-experiment",
        ),
    ];
    for (args, code) in cases {
        let mut all = vec!["experiment", "create", "--name", "x"];
        all.extend(args);
        let out = run(&server, &all);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(&format!("error[{code}]")), "{code}: {err}");
        assert!(err.contains("nothing created"), "{err}");
        assert!(stdout(&out).is_empty());
    }
    assert_eq!(experiment_creations(&server), 0, "no create request was sent");
}

#[test]
fn a_dataset_that_is_not_ready_or_unknown_is_refused() {
    let server = server(ExperimentsConfig::default());
    let out = run(
        &server,
        &[
            "experiment",
            "create",
            "--dataset",
            "nope",
            "--type",
            "mushra",
            "--name",
            "x",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("no dataset with id `nope`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(experiment_creations(&server), 0);
}

#[test]
fn without_a_terminal_or_yes_nothing_is_launched_and_the_exit_is_2() {
    let server = server(ExperimentsConfig::default());
    let (experiment, job) = draft_job(&server);
    // assert_cmd gives the child an empty stdin, not a terminal.
    let out = run(&server, &["job", "launch", &experiment, &job]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("cost: 0.30 EUR"), "the cost is shown: {err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(
        server
            .requests_to(Route::Experiments(ExperimentRoute::Launch))
            .is_empty()
    );
    assert!(server.launches().is_empty());
}

#[test]
fn max_cost_refuses_a_dearer_job_even_with_yes() {
    let server = server(ExperimentsConfig::default());
    let (experiment, job) = draft_job(&server);
    for (max, code) in [("0.29", 1), ("0.3USD", 1)] {
        let out = run(
            &server,
            &["job", "launch", &experiment, &job, "--yes", "--max-cost", max],
        );
        assert_exit(&out, code);
        assert!(stderr(&out).contains("not launched"), "{}", stderr(&out));
    }
    assert!(server.launches().is_empty());
    let out = run(
        &server,
        &[
            "job",
            "launch",
            &experiment,
            &job,
            "--yes",
            "--max-cost",
            "0.30eur",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(server.launches().len(), 1);
    assert!(server.launches()[0].accepted);
    // A second launch posts nothing.
    let again = run(&server, &["job", "launch", &experiment, &job, "--yes"]);
    assert_exit(&again, 0);
    assert!(stderr(&again).contains("launched already"), "{}", stderr(&again));
    assert_eq!(server.launches().len(), 1);
}

#[test]
fn a_token_refused_as_expired_is_fetched_again_and_the_cost_shown_again() {
    // The first token is the one `job create` fetched to show the cost; the second is the
    // launch's, refused.
    let server = server(ExperimentsConfig {
        dead_tokens: 2,
        ..ExperimentsConfig::default()
    });
    let (experiment, job) = draft_job(&server);
    let out = run(&server, &["job", "launch", &experiment, &job, "--yes"]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert_eq!(err.matches("cost: 0.30 EUR").count(), 2, "{err}");
    assert!(err.contains("expired"), "{err}");
    let launches = server.launches();
    assert_eq!(launches.len(), 2);
    assert_eq!(launches[0].refusal.as_deref(), Some("Token has expired."));
    assert!(launches[1].accepted);
}

#[test]
fn an_unknown_experiment_or_job_is_exit_1() {
    let server = server(ExperimentsConfig::default());
    let out = run(&server, &["experiment", "show", "nope"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("no experiment with id `nope`"));
    let (experiment, _) = draft_job(&server);
    let out = run(&server, &["job", "launch", &experiment, "nojob", "--yes"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("no job `nojob`"), "{}", stderr(&out));
    assert!(server.launches().is_empty());
}

/// A pseudo-terminal: the master side for the test, the slave side for the child's stdin
/// and stderr.
#[cfg(target_os = "linux")]
mod pty {
    use std::fs::File;
    use std::os::fd::FromRawFd;

    pub fn open() -> (File, File) {
        // SAFETY: plain libc calls on a descriptor we own; each result is checked.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0, "posix_openpt");
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
            assert!(slave >= 0, "open the pty slave");
            (File::from_raw_fd(master), File::from_raw_fd(slave))
        }
    }
}

/// Runs `job launch` with stdin and stderr on a terminal; `answer` is typed at the prompt
/// after `delay`. Returns the exit code and everything the terminal showed.
#[cfg(target_os = "linux")]
fn launch_on_a_terminal(
    server: &TestServer,
    experiment: &str,
    job: &str,
    answer: &str,
    delay: Duration,
) -> (i32, String) {
    let (mut master, slave) = pty::open();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stimpack"))
        .env("NO_COLOR", "1")
        .env("MABYDUCK_API_KEY", server.api_key())
        .env("MABYDUCK_PROJECT", "proj1")
        .env("MABYDUCK_API_URL", server.base_url())
        .args(["job", "launch", experiment, job])
        .stdin(slave.try_clone().unwrap())
        .stderr(slave)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let shown = Arc::new(Mutex::new(String::new()));
    let mut reader = master.try_clone().unwrap();
    let sink = Arc::clone(&shown);
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        // Ends with EIO once the child (the last holder of the slave) exits.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let started = Instant::now();
    while !shown.lock().unwrap().contains("[y/N]") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no prompt: {}",
            shown.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(delay);
    master.write_all(format!("{answer}\n").as_bytes()).unwrap();
    let status = child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let text = shown.lock().unwrap().clone();
    (status.code().unwrap_or(-1), text)
}

#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_a_no_launches_nothing_and_a_yes_launches() {
    let server = server(ExperimentsConfig::default());
    let (experiment, job) = draft_job(&server);
    let (code, shown) = launch_on_a_terminal(&server, &experiment, &job, "n", Duration::ZERO);
    assert_eq!(code, 1, "{shown}");
    assert!(
        shown.contains("cost: 0.30 EUR") && shown.contains("not launched"),
        "{shown}"
    );
    assert!(server.launches().is_empty(), "no launch request after a no");
    let (code, shown) = launch_on_a_terminal(&server, &experiment, &job, "y", Duration::ZERO);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("launched job"), "{shown}");
    assert_eq!(server.launches().len(), 1);
}

#[cfg(target_os = "linux")]
#[test]
fn a_token_that_expires_at_the_prompt_is_fetched_again_and_the_cost_shown_again() {
    // Tokens live 3 s, taken as 1 s with the 2 s safety margin; the answer comes after 1.5 s.
    let server = server(ExperimentsConfig {
        token_ttl: Duration::from_secs(3),
        ..ExperimentsConfig::default()
    });
    let (experiment, job) = draft_job(&server);
    let (code, shown) = launch_on_a_terminal(&server, &experiment, &job, "yes", Duration::from_millis(1500));
    assert_eq!(code, 0, "{shown}");
    assert_eq!(shown.matches("cost: 0.30 EUR").count(), 2, "{shown}");
    assert!(shown.contains("the cost confirmation expired"), "{shown}");
    assert_eq!(
        shown.matches("[y/N]").count(),
        1,
        "the same cost is not asked about twice: {shown}"
    );
    let launches = server.launches();
    assert_eq!(
        launches.len(),
        1,
        "the stale token was never posted: {launches:?}"
    );
    assert!(launches[0].accepted);
}
