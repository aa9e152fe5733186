//! The Prolific, Datature and Coactive clients against their stand-ins on 127.0.0.1: the
//! happy path and every injected fault (429 with Retry-After, 503, a dropped connection, an
//! expired upload URL, a processing error, a validation error body), with no secret in any
//! error, `Debug` output or reporter event.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Event, Recorder, fast_poll};
use stimpack_client::{ApiKey, ClientError, ClientOptions, RetryPolicy, coactive, datature, prolific};
use stimpack_testserver::standin::PlatformFaults;
use stimpack_testserver::{coactive as co_server, datature as dt_server, prolific as pr_server};

fn options(base_url: &str) -> ClientOptions {
    ClientOptions {
        base_url: base_url.to_owned(),
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

fn faults(f: impl FnOnce(&mut PlatformFaults)) -> PlatformFaults {
    let mut faults = PlatformFaults {
        retry_after: "0".into(),
        ..PlatformFaults::default()
    };
    f(&mut faults);
    faults
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// No secret in the error's message or `Debug`, nor in any reporter event.
fn assert_hidden(secrets: &[String], error: Option<&ClientError>, recorder: &Recorder) {
    let mut texts = vec![format!("{:?}", recorder.events())];
    if let Some(e) = error {
        texts.push(e.to_string());
        texts.push(format!("{e:?}"));
    }
    for text in texts {
        for secret in secrets {
            assert!(!text.contains(secret.as_str()), "secret {secret} leaked: {text}");
        }
    }
}

const CSV: &str = "id,audio_url,META_TASK_GROUP_ID\ns1/a,https://cdn.example.com/s1/a.wav,s1\ns1/b,https://cdn.example.com/s1/b.wav,s1\n";

fn prolific_run(
    f: PlatformFaults,
) -> (
    pr_server::ProlificServer,
    Result<prolific::UploadOutcome, ClientError>,
    Recorder,
) {
    let server = pr_server::start(None, pr_server::DEFAULT_TOKEN, f).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = prolific::Client::new(
        ApiKey::new(pr_server::DEFAULT_TOKEN).unwrap(),
        "6278acb09062db3b35bcbeb0",
        options(server.base_url()),
    )
    .unwrap();
    let request = prolific::UploadRequest {
        name: "Codec test".into(),
        file_path: write(dir.path(), "codec.csv", CSV),
        rows: 2,
        wait: true,
        poll: fast_poll(),
    };
    let recorder = Recorder::default();
    let result = client.upload_and_wait(&request, &recorder);
    (server, result, recorder)
}

fn prolific_secrets(server: &pr_server::ProlificServer) -> Vec<String> {
    let mut s = vec![pr_server::DEFAULT_TOKEN.to_string()];
    s.extend(server.state().datasets.values().map(|d| d.signature.clone()));
    s
}

#[test]
fn prolific_happy_path_uploads_the_csv_and_verifies_the_count() {
    let (server, result, recorder) = prolific_run(faults(|_| {}));
    let outcome = result.unwrap();
    assert_eq!(outcome.status, "READY");
    assert_eq!(outcome.items, Some(2));
    assert!(outcome.verified);
    let state = server.state();
    let d = state.datasets.values().next().unwrap();
    assert_eq!(d.workspace_id, "6278acb09062db3b35bcbeb0");
    assert_eq!(d.content_type.as_deref(), Some("text/csv"));
    assert_eq!(d.rows.len(), 2);
    drop(state);
    let put = server.requests().into_iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(
        put.header("authorization"),
        None,
        "the token never goes to the signed URL"
    );
    // the store may refuse (expired URL) before the body is sent
    assert_eq!(put.header("expect"), Some("100-continue"));
    let create = &server.requests()[0];
    assert_eq!(
        create.header("authorization"),
        Some(format!("Token {}", pr_server::DEFAULT_TOKEN).as_str())
    );
    assert_hidden(&prolific_secrets(&server), None, &recorder);
}

#[test]
fn prolific_survives_throttling_503_and_a_dropped_connection() {
    let (server, result, recorder) = prolific_run(faults(|f| {
        f.throttle_polls = 1;
        f.upload_503_times = 1;
        f.drop_uploads = 1;
    }));
    assert!(result.unwrap().verified);
    let retries = recorder.retries();
    assert_eq!(retries.len(), 3, "{retries:?}");
    assert!(retries.iter().any(|(_, _, r)| r == "HTTP 429"), "{retries:?}");
    assert!(retries.iter().any(|(_, _, r)| r == "HTTP 503"), "{retries:?}");
    assert_hidden(&prolific_secrets(&server), None, &recorder);
}

#[test]
fn prolific_expired_url_processing_error_and_validation_body_are_explained() {
    let (server, result, recorder) = prolific_run(faults(|f| f.expired_upload_url = true));
    let e = result.unwrap_err();
    assert!(matches!(e, ClientError::UploadUrlRefused { .. }), "{e}");
    assert!(e.to_string().contains("Request has expired"), "{e}");
    assert_hidden(&prolific_secrets(&server), Some(&e), &recorder);

    let (_, result, _) = prolific_run(faults(|f| {
        f.processing_error = Some("Row 2: unreadable URL".into())
    }));
    let e = result.unwrap_err();
    assert!(matches!(e, ClientError::PlatformFailed { .. }), "{e}");
    assert!(e.to_string().contains("Row 2: unreadable URL"), "{e}");

    let (_, result, _) = prolific_run(faults(|f| f.validation_error = true));
    let e = result.unwrap_err();
    match &e {
        ClientError::Invalid { status, details, .. } => {
            assert_eq!(*status, 400);
            assert!(
                details.iter().any(|d| d.starts_with("workspace_id: ")),
                "{details:?}"
            );
        }
        other => panic!("{other}"),
    }
}

#[test]
fn prolific_wrong_token_is_rejected_naming_the_variable() {
    let server = pr_server::start(None, pr_server::DEFAULT_TOKEN, faults(|_| {})).unwrap();
    let client = prolific::Client::new(
        ApiKey::new("wrong-token-abcdef").unwrap(),
        "ws1",
        options(server.base_url()),
    )
    .unwrap();
    let e = client.create_dataset("x", &Recorder::default()).unwrap_err();
    assert!(matches!(e, ClientError::Rejected { status: 401, .. }), "{e}");
    assert!(e.to_string().contains("PROLIFIC_API_TOKEN"), "{e}");
    assert!(!e.to_string().contains("wrong-token-abcdef"));
    assert!(!format!("{client:?}").contains(pr_server::DEFAULT_TOKEN));
}

const NDJSON: &str = "{\"kind\":\"Image\",\"url\":\"https://cdn.example.com/s1/a.png\"}\n{\"kind\":\"Image\",\"url\":\"https://cdn.example.com/s1/b.png\"}\n";

fn datature_run(
    f: PlatformFaults,
    expiry_ms: u64,
) -> (
    dt_server::DatatureServer,
    Result<datature::UploadOutcome, ClientError>,
    Recorder,
) {
    let server = dt_server::start(None, dt_server::DEFAULT_SECRET_KEY, f, expiry_ms).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = datature::Client::new(
        ApiKey::new(dt_server::DEFAULT_SECRET_KEY).unwrap(),
        "proj_b705a0123",
        options(server.base_url()),
    )
    .unwrap();
    let request = datature::UploadRequest {
        name: "codec-images".into(),
        file_path: write(dir.path(), "images.ndjson", NDJSON),
        rows: 2,
        wait: true,
        poll: fast_poll(),
    };
    let recorder = Recorder::default();
    let result = client.upload_and_wait(&request, &recorder);
    (server, result, recorder)
}

fn datature_secrets(server: &dt_server::DatatureServer) -> Vec<String> {
    let mut s = vec![dt_server::DEFAULT_SECRET_KEY.to_string()];
    s.extend(server.state().datasets.values().map(|d| d.signature.clone()));
    s
}

#[test]
fn datature_happy_path_sends_size_crc32c_and_the_exact_headers() {
    let (server, result, recorder) = datature_run(faults(|_| {}), dt_server::DEFAULT_EXPIRY_MS);
    let outcome = result.unwrap();
    assert_eq!(outcome.status, "Uploaded");
    assert_eq!(outcome.items, Some(2));
    assert!(outcome.verified);
    let state = server.state();
    let d = state.datasets.values().next().unwrap();
    assert_eq!(d.size_bytes, NDJSON.len() as u64);
    // The stand-in's own bitwise CRC32C agrees with what the client declared.
    assert_eq!(
        d.crc32c,
        dt_server::base64(&dt_server::crc32c(NDJSON.as_bytes()).to_be_bytes())
    );
    assert_eq!(
        d.urls,
        [
            "https://cdn.example.com/s1/a.png",
            "https://cdn.example.com/s1/b.png"
        ]
    );
    drop(state);
    let create = &server.requests()[0];
    assert_eq!(create.header("secret-key"), Some(dt_server::DEFAULT_SECRET_KEY));
    let put = server.requests().into_iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(put.header("secret-key"), None);
    assert_eq!(put.header("x-goog-if-generation-match"), Some("0"));
    let warned = recorder.events().iter().any(|e| matches!(e, Event::Status(_)));
    assert!(warned, "statuses are reported");
    assert_hidden(&datature_secrets(&server), None, &recorder);
}

/// Collects warnings, which the shared `Recorder` does not.
#[derive(Default)]
struct Warnings(std::sync::Mutex<Vec<String>>);

impl stimpack_client::Reporter for Warnings {
    fn on_warning(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_owned());
    }
}

#[test]
fn datature_warns_when_the_dataset_expires_soon() {
    let server = dt_server::start(None, dt_server::DEFAULT_SECRET_KEY, faults(|_| {}), 3_600_000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = datature::Client::new(
        ApiKey::new(dt_server::DEFAULT_SECRET_KEY).unwrap(),
        "proj_1",
        options(server.base_url()),
    )
    .unwrap();
    let request = datature::UploadRequest {
        name: "soon".into(),
        file_path: write(dir.path(), "a.ndjson", NDJSON),
        rows: 2,
        wait: false,
        poll: fast_poll(),
    };
    let warnings = Warnings::default();
    client.upload_and_wait(&request, &warnings).unwrap();
    let got = warnings.0.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("expires in 1.0 h"), "{got:?}");
    // A week away: no warning.
    let (_, result, _) = datature_run(faults(|_| {}), dt_server::DEFAULT_EXPIRY_MS);
    assert!(result.is_ok());
}

#[test]
fn datature_survives_faults_and_explains_failures() {
    let (server, result, recorder) = datature_run(
        faults(|f| {
            f.throttle_polls = 1;
            f.upload_503_times = 1;
            f.drop_uploads = 1;
        }),
        dt_server::DEFAULT_EXPIRY_MS,
    );
    assert!(result.unwrap().verified);
    assert_eq!(recorder.retries().len(), 3, "{:?}", recorder.retries());
    assert_hidden(&datature_secrets(&server), None, &recorder);

    let (server, result, recorder) = datature_run(
        faults(|f| f.expired_upload_url = true),
        dt_server::DEFAULT_EXPIRY_MS,
    );
    let e = result.unwrap_err();
    assert!(matches!(e, ClientError::UploadUrlRefused { .. }), "{e}");
    assert_hidden(&datature_secrets(&server), Some(&e), &recorder);

    let (_, result, _) = datature_run(
        faults(|f| f.processing_error = Some("3 URLs could not be fetched".into())),
        dt_server::DEFAULT_EXPIRY_MS,
    );
    let e = result.unwrap_err();
    assert!(
        e.to_string()
            .contains("FailedProcessing: 3 URLs could not be fetched"),
        "{e}"
    );

    let (_, result, _) = datature_run(
        faults(|f| f.validation_error = true),
        dt_server::DEFAULT_EXPIRY_MS,
    );
    let e = result.unwrap_err();
    assert!(
        e.to_string().contains("exceeds the project's dataset quota"),
        "{e}"
    );
}

fn assets(n: usize) -> Vec<coactive::Asset> {
    (0..n)
        .map(|i| coactive::Asset {
            kind: if i % 2 == 0 {
                coactive::AssetKind::Image
            } else {
                coactive::AssetKind::Video
            },
            path: format!(
                "https://cdn.example.com/s{}/c{i}.{}",
                i / 3,
                if i % 2 == 0 { "png" } else { "mp4" }
            ),
            metadata: [("source".to_string(), format!("s{}", i / 3))]
                .into_iter()
                .collect(),
        })
        .collect()
}

fn coactive_run(
    f: PlatformFaults,
    name: &str,
    n: usize,
) -> (
    co_server::CoactiveServer,
    Result<coactive::UploadOutcome, ClientError>,
    Recorder,
) {
    let server = co_server::start(None, co_server::DEFAULT_TOKEN, f).unwrap();
    let client = coactive::Client::new(
        ApiKey::new(co_server::DEFAULT_TOKEN).unwrap(),
        options(server.base_url()),
    )
    .unwrap();
    let request = coactive::UploadRequest {
        name: name.into(),
        encoder_name: coactive::DEFAULT_ENCODER.into(),
        assets: assets(n),
        wait: true,
        poll: fast_poll(),
    };
    let recorder = Recorder::default();
    let result = client.upload_and_wait(&request, &recorder);
    (server, result, recorder)
}

#[test]
fn coactive_adds_assets_at_most_100_per_request_and_verifies() {
    let (server, result, recorder) = coactive_run(faults(|_| {}), "codec_test", 250);
    let outcome = result.unwrap();
    assert_eq!(
        (outcome.assets, outcome.requests, outcome.items),
        (250, 3, Some(250))
    );
    assert!(outcome.verified);
    let state = server.state();
    let d = state.datasets.values().next().unwrap();
    assert_eq!(d.allowed_asset_types, ["image", "video"]);
    assert_eq!(d.asset_requests, 3);
    let videos: Vec<_> = d.assets.iter().filter(|a| a.kind == "video").collect();
    assert_eq!(videos.len(), 125);
    assert!(videos.iter().all(|a| a.path.ends_with(".mp4")));
    assert_eq!(d.assets[0].metadata["source"], "s0");
    drop(state);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization")
                == Some(format!("Bearer {}", co_server::DEFAULT_TOKEN).as_str()))
    );
    assert_hidden(&[co_server::DEFAULT_TOKEN.to_string()], None, &recorder);
}

#[test]
fn coactive_faults_and_the_422_detail_list() {
    let (_, result, recorder) = coactive_run(
        faults(|f| {
            f.throttle_polls = 1;
            f.upload_503_times = 1;
            f.drop_uploads = 1;
        }),
        "faulty",
        5,
    );
    assert!(result.unwrap().verified);
    assert_eq!(recorder.retries().len(), 3, "{:?}", recorder.retries());

    let (_, result, _) = coactive_run(faults(|f| f.validation_error = true), "x", 1);
    let e = result.unwrap_err();
    match &e {
        ClientError::Invalid {
            status: 422, details, ..
        } => {
            assert_eq!(details, &["encoder_name: unknown encoder 'multimodal'"]);
        }
        other => panic!("{other}"),
    }

    let (_, result, _) = coactive_run(
        faults(|f| f.processing_error = Some("encoder crashed".into())),
        "y",
        1,
    );
    assert!(result.unwrap_err().to_string().contains("encoder crashed"));

    // A name Coactive refuses is refused before any request.
    let (server, result, _) = coactive_run(faults(|_| {}), "codec test", 1);
    assert!(matches!(result.unwrap_err(), ClientError::Config { .. }));
    assert!(server.requests().is_empty());

    let server = co_server::start(None, co_server::DEFAULT_TOKEN, faults(|_| {})).unwrap();
    let client = coactive::Client::new(
        ApiKey::new("not-the-token-xyz").unwrap(),
        options(server.base_url()),
    )
    .unwrap();
    let e = client.dataset("abc", &Recorder::default()).unwrap_err();
    assert!(e.to_string().contains("COACTIVE_API_TOKEN"), "{e}");
    assert!(!e.to_string().contains("not-the-token-xyz"));
}

/// `ClientOptions::default()` points at Mabyduck: another platform's client built with it is
/// refused, so its token is never sent there.
#[test]
fn another_platform_s_token_is_never_sent_to_mabyduck() {
    let key = || ApiKey::new("a-token-of-another-platform").unwrap();
    let refused = |r: Result<(), ClientError>| match r {
        Err(ClientError::Config { message, .. }) => assert!(message.contains("Mabyduck's"), "{message}"),
        other => panic!("{other:?}"),
    };
    refused(prolific::Client::new(key(), "6278acb09062db3b35bcbeb0", ClientOptions::default()).map(drop));
    refused(datature::Client::new(key(), "proj_1", ClientOptions::default()).map(drop));
    refused(coactive::Client::new(key(), ClientOptions::default()).map(drop));
}
