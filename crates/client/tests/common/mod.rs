//! Helpers shared by the client's tests against the local test server.

#![allow(dead_code)]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use stimpack_client::{
    ApiKey, Client, ClientOptions, DatasetStatus, ExpectedStimulus, PollOptions, Reporter, RetryEvent,
    RetryPolicy,
};
use stimpack_testserver::TestServer;

pub const PROJECT: &str = "proj42";

/// Every callback, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Created(String),
    Start(u64),
    Progress(u64),
    Complete,
    Retry(u32, Duration, String),
    Status(DatasetStatus),
}

#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    pub fn retries(&self) -> Vec<(u32, Duration, String)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Retry(a, w, r) => Some((a, w, r)),
                _ => None,
            })
            .collect()
    }

    pub fn progress(&self) -> Vec<u64> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Progress(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    fn push(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }
}

impl Reporter for Recorder {
    fn on_dataset_created(&self, dataset_id: &str) {
        self.push(Event::Created(dataset_id.to_owned()));
    }
    fn on_upload_start(&self, total_bytes: u64) {
        self.push(Event::Start(total_bytes));
    }
    fn on_upload_progress(&self, bytes: u64) {
        self.push(Event::Progress(bytes));
    }
    fn on_upload_complete(&self) {
        self.push(Event::Complete);
    }
    fn on_retry(&self, retry: &RetryEvent) {
        // The attempt that failed, as the tests count.
        self.push(Event::Retry(
            retry.next_attempt - 1,
            retry.wait,
            retry.reason.clone(),
        ));
    }
    fn on_status(&self, status: &DatasetStatus) {
        self.push(Event::Status(status.clone()));
    }
}

/// Short waits everywhere so fault tests take milliseconds, not minutes.
pub fn fast_options(server: &TestServer) -> ClientOptions {
    ClientOptions {
        base_url: server.base_url().to_owned(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        write_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
            max_attempts: 4,
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    }
}

pub fn fast_poll() -> PollOptions {
    PollOptions {
        initial_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(40),
        timeout: Duration::from_secs(10),
    }
}

pub fn client(server: &TestServer) -> Client {
    client_with(server, fast_options(server))
}

pub fn client_with(server: &TestServer, options: ClientOptions) -> Client {
    Client::new(ApiKey::new(server.api_key()).unwrap(), PROJECT, options).unwrap()
}

/// A stored zip of `source/condition` entries (content: a few bytes each), plus a
/// `config.json` in the first folder, which is not a stimulus.
pub fn write_zip(dir: &Path, name: &str, entries: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for entry in entries {
        zip.start_file(*entry, options).unwrap();
        zip.write_all(format!("RIFF data of {entry}").as_bytes()).unwrap();
    }
    if let Some(first) = entries.first() {
        let folder = first.split('/').next().unwrap();
        zip.start_file(format!("{folder}/config.json"), options).unwrap();
        zip.write_all(br#"{"title": "t"}"#).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// A file of `len` pseudo-random bytes (so nothing compresses it away).
pub fn write_noise(dir: &Path, name: &str, len: usize) -> PathBuf {
    let path = dir.join(name);
    let mut rng = fastrand_lite(0x5eed);
    let data: Vec<u8> = (0..len).map(|_| rng()).collect();
    std::fs::write(&path, data).unwrap();
    path
}

fn fastrand_lite(mut state: u64) -> impl FnMut() -> u8 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    }
}

pub fn expected(entries: &[&str]) -> Vec<ExpectedStimulus> {
    entries
        .iter()
        .map(|e| ExpectedStimulus::new(*e, e.split('/').next().unwrap()))
        .collect()
}

/// The API key and every upload signature the server handed out.
pub fn secrets(server: &TestServer) -> Vec<String> {
    let mut secrets = vec![server.api_key()];
    secrets.extend(server.datasets().into_iter().map(|d| d.signature));
    secrets
}

/// Neither the error's `Display` nor its `Debug` (nor anything the reporter got) holds
/// a secret or any signed query string.
pub fn assert_no_secrets(server: &TestServer, text_sources: &[String]) {
    for text in text_sources {
        for secret in secrets(server) {
            assert!(!text.contains(&secret), "secret leaked into: {text}");
        }
        assert!(!text.contains("X-Amz-Signature"), "signed query leaked: {text}");
        assert!(!text.contains("X-Amz-Credential"), "signed query leaked: {text}");
    }
}

pub fn assert_error_hides_secrets(
    server: &TestServer,
    error: &stimpack_client::ClientError,
    recorder: &Recorder,
) {
    let mut texts = vec![error.to_string(), format!("{error:?}")];
    texts.extend(recorder.events().iter().map(|e| format!("{e:?}")));
    assert_no_secrets(server, &texts);
}
