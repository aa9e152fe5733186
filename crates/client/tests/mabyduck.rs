//! The Mabyduck client against the local test server: the happy path, every injected
//! fault, and that no secret reaches an error, a `Debug` output or the reporter.

mod common;

use std::time::{Duration, Instant};

use common::*;
use stimpack_client::{
    ApiKey, Client, ClientError, CreateDatasetRequest, DatasetStatus, ExpectedStimulus, NoopReporter,
    PollOptions, Stimulus, UploadRequest,
};
use stimpack_testserver::{Faults, Route, ServerConfig, SlowResponse, TestServer};

const ENTRIES: [&str; 4] = [
    "source_1/method_a.wav",
    "source_1/method_b.wav",
    "source_2/method_a.wav",
    "source_2/reference.wav",
];

fn server_with(faults: Faults) -> TestServer {
    TestServer::start(ServerConfig {
        faults,
        ..ServerConfig::default()
    })
    .unwrap()
}

fn zip_request(dir: &tempfile::TempDir) -> UploadRequest {
    UploadRequest {
        name: "Listening test 1".into(),
        file_path: write_zip(dir.path(), "dataset.zip", &ENTRIES),
        expected: Some(expected(&ENTRIES)),
        poll: fast_poll(),
        ..UploadRequest::default()
    }
}

fn upload_error(server: &TestServer, request: &UploadRequest) -> (ClientError, Recorder) {
    let recorder = Recorder::default();
    let error = client(server)
        .upload_and_wait(request, &recorder)
        .expect_err("the upload should fail");
    assert_error_hides_secrets(server, &error, &recorder);
    (error, recorder)
}

#[test]
fn happy_path_zip_is_uploaded_processed_and_verified() {
    let server = server_with(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let request = zip_request(&dir);
    let size = std::fs::metadata(&request.file_path).unwrap().len();
    let recorder = Recorder::default();

    let outcome = client(&server).upload_and_wait(&request, &recorder).unwrap();

    let dataset = &server.datasets()[0];
    assert_eq!(outcome.dataset_id, dataset.id);
    assert_eq!(outcome.filename, "dataset.zip");
    assert_eq!(outcome.bytes, size);
    assert_eq!(outcome.status, DatasetStatus::Ready);
    assert_eq!(outcome.stimuli, Some(4), "config.json is not a stimulus");
    assert!(outcome.verified);
    assert_eq!(dataset.uploaded_bytes, Some(size));

    let events = recorder.events();
    assert_eq!(events[0], Event::Created(dataset.id.clone()));
    assert_eq!(events[1], Event::Start(size));
    assert_eq!(recorder.progress().iter().sum::<u64>(), size);
    assert!(events.contains(&Event::Complete));
    assert_eq!(events.last(), Some(&Event::Status(DatasetStatus::Ready)));
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == Event::Status(DatasetStatus::Processing))
            .count(),
        2,
        "the server answers `processing` twice by default"
    );
    assert!(recorder.retries().is_empty());

    // The PUT streams with Content-Length and carries no API key.
    let puts = server.requests_to(Route::Upload);
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].header("content-length"), Some(&*size.to_string()));
    assert_eq!(puts[0].header("transfer-encoding"), None);
    assert_eq!(puts[0].header("authorization"), None);
    assert_eq!(puts[0].header("expect"), Some("100-continue"));
    assert_eq!(puts[0].body_bytes, size);
    // Every API call carries the key.
    let auth = format!("Api-Key {}", server.api_key());
    for request in server.requests() {
        if request.route != Some(Route::Upload) {
            assert_eq!(request.header("authorization"), Some(auth.as_str()));
        }
    }
    let create = &server.requests_to(Route::Create)[0];
    assert_eq!(create.header("content-type"), Some("application/json"));
}

#[test]
fn url_list_upload_derives_stimuli_from_the_last_two_segments() {
    let server = server_with(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("urls.txt");
    std::fs::write(
        &path,
        "https://cdn.example.com/x/source_1/a.wav?sig=1\nhttps://cdn.example.com/source_2/a.wav\n",
    )
    .unwrap();
    let request = UploadRequest {
        name: "External".into(),
        file_path: path,
        expected: Some(expected(&["source_1/a.wav", "source_2/a.wav"])),
        poll: fast_poll(),
        ..UploadRequest::default()
    };
    let outcome = client(&server).upload_and_wait(&request, &NoopReporter).unwrap();
    assert!(outcome.verified);
    assert_eq!(outcome.filename, "urls.txt");
}

#[test]
fn upload_is_retried_after_503_with_the_body_sent_again() {
    let server = server_with(Faults {
        upload_503_times: 1,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let request = zip_request(&dir);
    let size = std::fs::metadata(&request.file_path).unwrap().len();
    let recorder = Recorder::default();

    let outcome = client(&server).upload_and_wait(&request, &recorder).unwrap();

    assert!(outcome.verified);
    let puts = server.requests_to(Route::Upload);
    assert_eq!(puts.len(), 2);
    assert!(puts.iter().all(|p| p.body_bytes == size), "re-opened, sent whole");
    let retries = recorder.retries();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].0, 1);
    assert!(
        retries[0].1 <= Duration::from_millis(10),
        "first ceiling is `base`"
    );
    assert!(retries[0].2.contains("503"), "{}", retries[0].2);
    let starts = recorder
        .events()
        .iter()
        .filter(|e| **e == Event::Start(size))
        .count();
    assert_eq!(starts, 2, "the progress restarts with the retry");
    let texts: Vec<String> = recorder.events().iter().map(|e| format!("{e:?}")).collect();
    assert_no_secrets(&server, &texts);
}

#[test]
fn status_poll_honours_retry_after_on_429() {
    let server = server_with(Faults {
        status_429_times: 1,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let started = Instant::now();

    let outcome = client(&server)
        .upload_and_wait(&zip_request(&dir), &recorder)
        .unwrap();

    assert!(outcome.verified);
    let retries = recorder.retries();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].1, Duration::from_secs(1), "Retry-After: 1");
    assert!(retries[0].2.contains("429"), "{}", retries[0].2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn retry_after_as_http_date_is_honoured() {
    let server = server_with(Faults {
        status_429_times: 1,
        retry_after: Some("Thu, 01 Jan 1970 00:00:00 GMT".into()),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    client(&server)
        .upload_and_wait(&zip_request(&dir), &recorder)
        .unwrap();
    assert_eq!(recorder.retries()[0].1, Duration::ZERO, "a past date means now");
}

#[test]
fn dropped_upload_connection_is_retried() {
    let server = server_with(Faults {
        drop_upload_times: 1,
        drop_upload_after_bytes: 64 * 1024,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = write_noise(dir.path(), "big.zip", 4 * 1024 * 1024);
    let client = client(&server);
    let recorder = Recorder::default();
    let created = client
        .create_dataset(
            &CreateDatasetRequest {
                name: "dropped".into(),
                filename: "big.zip".into(),
                retention_days: None,
            },
            &recorder,
        )
        .unwrap();

    let bytes = client.upload_file(&created, &path, &recorder).unwrap();

    assert_eq!(bytes, 4 * 1024 * 1024);
    let puts = server.requests_to(Route::Upload);
    assert_eq!(puts.len(), 2);
    assert!(puts[0].body_bytes <= 64 * 1024);
    assert_eq!(puts[1].body_bytes, bytes);
    assert_eq!(server.datasets()[0].uploaded_bytes, Some(bytes));
    assert_eq!(recorder.retries().len(), 1);
    let texts: Vec<String> = recorder.events().iter().map(|e| format!("{e:?}")).collect();
    assert_no_secrets(&server, &texts);
}

#[test]
fn slow_answer_times_out_per_read_and_is_retried() {
    let server = server_with(Faults {
        slow: Some(SlowResponse {
            route: Route::Status,
            times: 1,
            delay: Duration::from_millis(1500),
        }),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut options = fast_options(&server);
    options.read_timeout = Duration::from_millis(300);
    let recorder = Recorder::default();

    let outcome = client_with(&server, options)
        .upload_and_wait(&zip_request(&dir), &recorder)
        .unwrap();

    assert!(outcome.verified);
    let retries = recorder.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(
        retries[0].2.to_lowercase().contains("timeout"),
        "{}",
        retries[0].2
    );
}

#[test]
fn processing_error_ends_with_the_server_text_and_dataset_id() {
    let server = server_with(Faults {
        processing_error: Some("source_1/method_a.wav: unsupported sample rate 11025".into()),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (error, recorder) = upload_error(&server, &zip_request(&dir));
    let id = server.datasets()[0].id.clone();
    assert!(
        matches!(&error, ClientError::ProcessingFailed { dataset_id, message }
            if *dataset_id == id && message.contains("unsupported sample rate")),
        "{error:?}"
    );
    assert_eq!(error.dataset_id(), Some(id.as_str()));
    assert!(error.to_string().contains("unsupported sample rate 11025"));
    assert_eq!(
        recorder.events().last(),
        Some(&Event::Status(DatasetStatus::Error))
    );
}

#[test]
fn wrong_api_key_says_the_key_was_rejected() {
    let server = server_with(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let wrong = "wrong-key-5ecret-do-not-print";
    let client = Client::new(ApiKey::new(wrong).unwrap(), PROJECT, fast_options(&server)).unwrap();
    let recorder = Recorder::default();

    let error = client.upload_and_wait(&zip_request(&dir), &recorder).unwrap_err();

    assert!(
        matches!(error, ClientError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert!(error.is_auth());
    assert!(error.to_string().contains("MABYDUCK_API_KEY"), "{error}");
    assert_eq!(error.dataset_id(), None);
    assert_eq!(server.requests().len(), 1, "a rejected key is not retried");
    assert!(server.datasets().is_empty());
    for text in [error.to_string(), format!("{error:?}"), format!("{client:?}")] {
        assert!(!text.contains(wrong), "key leaked: {text}");
    }
    assert_error_hides_secrets(&server, &error, &recorder);
}

#[test]
fn expired_upload_url_says_to_upload_again() {
    let server = server_with(Faults {
        expired_upload_url: true,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (error, _) = upload_error(&server, &zip_request(&dir));
    let id = server.datasets()[0].id.clone();
    assert!(
        matches!(&error, ClientError::UploadUrlRefused { dataset_id, detail, .. }
            if *dataset_id == id && detail.contains("Request has expired")),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("Run the upload again"), "{message}");
    assert!(
        message.contains(&format!("/uploads/{id}/dataset.zip")),
        "{message}"
    );
    assert_eq!(server.requests_to(Route::Upload).len(), 1, "403 is not retried");
    assert!(!error.is_auth(), "not the API key's fault");
}

#[test]
fn persistent_5xx_gives_up_after_max_attempts_with_the_dataset_id() {
    let server = server_with(Faults {
        upload_503_times: 100,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (error, recorder) = upload_error(&server, &zip_request(&dir));
    assert!(
        matches!(&error, ClientError::RetriesExhausted { attempts: 4, last, .. } if last.contains("503")),
        "{error:?}"
    );
    assert_eq!(error.dataset_id(), Some(server.datasets()[0].id.as_str()));
    assert_eq!(server.requests_to(Route::Upload).len(), 4);
    assert_eq!(recorder.retries().len(), 3);
}

#[test]
fn other_4xx_is_not_retried() {
    let server = server_with(Faults::default());
    let recorder = Recorder::default();
    let error = client(&server)
        .dataset_detail("no-such-dataset", &recorder)
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::DatasetNotFound { project_id, .. } if project_id == PROJECT),
        "a 404 for a dataset id says the project has no such dataset: {error:?}"
    );
    assert_eq!(error.dataset_id(), Some("no-such-dataset"));
    assert_eq!(server.requests().len(), 1);
    assert!(recorder.retries().is_empty());
}

#[test]
fn stimuli_that_differ_from_the_manifest_are_listed() {
    let server = server_with(Faults {
        stimuli_override: Some(vec![
            ("source_1/method_a.wav".into(), "source_1".into()),
            ("source_1/method_b.wav".into(), "source_2".into()),
            ("source_2/reference.wav".into(), "source_2".into()),
            ("source_3/extra.wav".into(), "source_3".into()),
        ]),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (error, _) = upload_error(&server, &zip_request(&dir));
    let ClientError::StimuliMismatch { dataset_id, mismatch } = &error else {
        panic!("expected a mismatch, got {error:?}");
    };
    assert_eq!(*dataset_id, server.datasets()[0].id);
    assert_eq!(
        mismatch.missing,
        [ExpectedStimulus::new("source_2/method_a.wav", "source_2")]
    );
    assert_eq!(
        mismatch.unexpected,
        [Stimulus {
            filepath: "source_3/extra.wav".into(),
            group_id: "source_3".into()
        }]
    );
    assert_eq!(mismatch.regrouped.len(), 1);
    assert_eq!(mismatch.regrouped[0].filepath, "source_1/method_b.wav");
    let message = error.to_string();
    for part in [
        "1 missing: source_2/method_a.wav",
        "1 unexpected: source_3/extra.wav",
        "1 regrouped: source_1/method_b.wav (group source_2 instead of source_1)",
    ] {
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn poll_timeout_reports_the_dataset_id_to_resume_with() {
    let server = server_with(Faults {
        never_ready: true,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut request = zip_request(&dir);
    request.poll = PollOptions {
        initial_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(50),
        timeout: Duration::from_millis(300),
    };
    let started = Instant::now();
    let (error, recorder) = upload_error(&server, &request);
    let id = server.datasets()[0].id.clone();
    assert!(
        matches!(&error, ClientError::PollTimeout { dataset_id, last_status: DatasetStatus::Processing, waited }
            if *dataset_id == id && *waited >= Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        error
            .to_string()
            .contains(&format!("stimpack status {id} --wait")),
        "{error}"
    );
    let polls = recorder
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Status(_)))
        .count();
    assert!((3..=20).contains(&polls), "backs off, then stops: {polls} polls");
}

#[test]
fn upload_without_wait_then_resume_by_id_and_list() {
    let server = server_with(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server);
    let mut request = zip_request(&dir);
    request.wait = false;
    let first = client.upload_and_wait(&request, &NoopReporter).unwrap();
    assert_eq!(first.status, DatasetStatus::Processing);
    assert_eq!((first.stimuli, first.verified), (None, false));
    request.name = "Listening test 2".into();
    let second = client.upload_and_wait(&request, &NoopReporter).unwrap();

    let detail = client
        .wait_for_dataset(&first.dataset_id, &fast_poll(), &NoopReporter)
        .unwrap();
    assert_eq!(detail.status, Some(DatasetStatus::Ready));
    assert_eq!(detail.stimuli.len(), 4);
    assert_eq!(detail.stimuli[0].group_id, "source_1");

    let mut list = client.list_datasets(&NoopReporter).unwrap();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let summary: Vec<(&str, &str, DatasetStatus)> = list
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str(), d.status.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                first.dataset_id.as_str(),
                "Listening test 1",
                DatasetStatus::Ready
            ),
            (
                second.dataset_id.as_str(),
                "Listening test 2",
                DatasetStatus::Processing
            ),
        ]
    );
    assert!(list.iter().all(|d| !d.is_deleted && d.date_created.is_some()));
}

#[test]
fn created_dataset_and_client_debug_hide_secrets() {
    let server = server_with(Faults::default());
    let client = client(&server);
    let created = client
        .create_dataset(
            &CreateDatasetRequest {
                name: "debug".into(),
                filename: "d.zip".into(),
                retention_days: Some(-1),
            },
            &NoopReporter,
        )
        .unwrap();
    assert!(created.upload_url.expose().contains("X-Amz-Signature="));
    let texts = vec![
        format!("{created:?}"),
        format!("{client:?}"),
        created.upload_url.to_string(),
        format!("{:?}", created.upload_url),
    ];
    assert_no_secrets(&server, &texts);
    assert!(texts[0].contains(&format!("/uploads/{}/d.zip", created.id)));
}

#[test]
fn invalid_inputs_fail_before_any_request() {
    let server = server_with(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let options = fast_options(&server);
    let key = ApiKey::new(server.api_key()).unwrap();
    assert!(matches!(
        Client::new(key, "proj-42", options).unwrap_err(),
        ClientError::InvalidProjectId { .. }
    ));
    let client = client(&server);
    let mut request = zip_request(&dir);
    request.name = "x".repeat(65);
    let error = client.upload_and_wait(&request, &NoopReporter).unwrap_err();
    assert!(
        matches!(error, ClientError::InvalidName { length: 65, .. }),
        "{error:?}"
    );
    let mut request = zip_request(&dir);
    request.filename = Some("dataset.tar".into());
    let error = client.upload_and_wait(&request, &NoopReporter).unwrap_err();
    assert!(matches!(error, ClientError::InvalidFilename { .. }), "{error:?}");
    let mut request = zip_request(&dir);
    request.file_path = dir.path().join("missing.zip");
    let error = client.upload_and_wait(&request, &NoopReporter).unwrap_err();
    assert!(
        matches!(error, ClientError::ReadFile { dataset_id: None, .. }),
        "{error:?}"
    );
    assert!(server.requests().is_empty(), "no draft dataset left behind");
}

#[test]
fn expired_upload_url_is_reported_even_for_a_large_file() {
    // Regression: the store answers 403 without reading the body; a client that only
    // looks at the answer after sending everything sees a reset connection instead.
    let server = server_with(Faults {
        expired_upload_url: true,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut request = zip_request(&dir);
    request.file_path = write_noise(dir.path(), "dataset.zip", 16 * 1024 * 1024);
    let (error, _) = upload_error(&server, &request);
    assert!(matches!(error, ClientError::UploadUrlRefused { .. }), "{error:?}");
    let puts = server.requests_to(Route::Upload);
    assert_eq!(puts.len(), 1, "403 is not retried");
    assert_eq!(puts[0].body_bytes, 0, "refused before the body was sent");
}
