//! A local stand-in for the Mabyduck dataset API, for tests and demos.
//!
//! [`TestServer::start`] binds a free port on 127.0.0.1 and answers like the real API:
//! it checks the `Api-Key`, hands out a signed-looking upload URL on itself, accepts the
//! `PUT`, moves the dataset through `processing` to `ready`, and derives the stimuli from
//! the uploaded zip or URL list. [`Faults`] injects the failures a client must survive.
//! Every request is recorded so tests can assert on headers.

#![deny(missing_docs)]

pub mod coactive;
pub mod datature;
mod experiments;
mod http;
pub mod media_host;
pub mod prolific;
pub mod standin;
mod stimuli;

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};

use crate::http::{Request, Response};

pub use experiments::{ExperimentRoute, ExperimentsConfig, LaunchRecord, model_mean};

/// The API key the server accepts unless [`ServerConfig::api_key`] says otherwise.
pub const DEFAULT_TEST_API_KEY: &str = "test-api-key-0123456789";

/// The value of `X-Amz-Expires` in the upload URLs the server hands out.
const UPLOAD_URL_EXPIRES: u32 = 3600;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The key every API request must send as `Authorization: Api-Key <key>`.
    pub api_key: String,
    /// How many status polls (or detail requests) after the upload answer `processing`
    /// before the final status.
    pub polls_until_ready: u32,
    /// Failures to inject.
    pub faults: Faults,
    /// Experiments, jobs, costs and the rating model.
    pub experiments: ExperimentsConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_TEST_API_KEY.to_owned(),
            polls_until_ready: 2,
            faults: Faults::default(),
            experiments: ExperimentsConfig::default(),
        }
    }
}

/// Failures to inject. Counters count down across the whole server, so
/// `upload_503_times: 1` answers the first `PUT` with 503 and the next ones normally.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answer this many upload `PUT`s with 503 (after reading their body).
    pub upload_503_times: u32,
    /// Answer this many status polls with 429 and a `Retry-After` header.
    pub status_429_times: u32,
    /// The `Retry-After` value sent with 429 answers; `"1"` when `None`.
    pub retry_after: Option<String>,
    /// Drop the connection of this many upload `PUT`s part-way through the body.
    pub drop_upload_times: u32,
    /// How many body bytes to read before dropping an upload connection.
    pub drop_upload_after_bytes: u64,
    /// Delay some answers.
    pub slow: Option<SlowResponse>,
    /// End processing in `error` with this text instead of `ready`.
    pub processing_error: Option<String>,
    /// Answer every upload `PUT` with 403, as an expired signed URL does.
    pub expired_upload_url: bool,
    /// Report these `(filepath, group_id)` stimuli in the detail instead of the uploaded ones.
    pub stimuli_override: Option<Vec<(String, String)>>,
    /// Never leave `processing` (for poll time-outs).
    pub never_ready: bool,
}

/// Delay the answers to one route.
#[derive(Clone, Copy, Debug)]
pub struct SlowResponse {
    /// Which requests to delay.
    pub route: Route,
    /// How many of them to delay (the later ones are answered at once).
    pub times: u32,
    /// How long to wait before answering.
    pub delay: Duration,
}

/// The endpoints the server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /projects/{project}/datasets/`
    Create,
    /// `PUT /uploads/{id}/{filename}?X-Amz-...` (the signed upload URL)
    Upload,
    /// `GET /projects/{project}/datasets/{id}/status/` (the `status_url`)
    Status,
    /// `GET /projects/{project}/datasets/{id}/`
    Detail,
    /// `GET /projects/{project}/datasets/`
    List,
    /// The experiment endpoints (`/projects/{project}/experiments/...`).
    Experiments(ExperimentRoute),
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The request target, query string included.
    pub target: String,
    /// The route it matched, if any.
    pub route: Option<Route>,
    /// All headers in the order sent, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// How many body bytes the server read.
    pub body_bytes: u64,
}

impl RecordedRequest {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A dataset as the server holds it.
#[derive(Clone, Debug)]
pub struct DatasetRecord {
    /// The dataset id.
    pub id: String,
    /// The name given at creation.
    pub name: String,
    /// The filename given at creation.
    pub filename: String,
    /// `draft`, `processing`, `ready` or `error`.
    pub status: String,
    /// How many bytes the last complete upload had.
    pub uploaded_bytes: Option<u64>,
    /// `(filepath, group_id)` derived from the upload.
    pub stimuli: Vec<(String, String)>,
    /// The `X-Amz-Signature` of its upload URL, so tests can check it never leaks.
    pub signature: String,
    seq: u32,
    polls: u32,
    error: Option<String>,
    created: String,
}

struct State {
    config: ServerConfig,
    datasets: BTreeMap<String, DatasetRecord>,
    requests: Vec<RecordedRequest>,
    next_id: u32,
    experiments: experiments::Store,
}

struct Shared {
    state: Mutex<State>,
    shutdown: AtomicBool,
    base_url: String,
    uploads: tempfile::TempDir,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not take the whole server down.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running server; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Start on a free port of 127.0.0.1.
    pub fn start(config: ServerConfig) -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config)
    }

    /// Start on the given address (port 0 picks a free one).
    pub fn start_on(addr: SocketAddr, config: ServerConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                config,
                datasets: BTreeMap::new(),
                requests: Vec::new(),
                next_id: 1,
                experiments: experiments::Store::default(),
            }),
            shutdown: AtomicBool::new(false),
            base_url: format!("http://{addr}"),
            uploads: tempfile::tempdir()?,
        });
        let accept_shared = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("testserver-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))?;
        Ok(Self {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`, the base URL to give the client.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key the server accepts.
    pub fn api_key(&self) -> String {
        self.shared.lock().config.api_key.clone()
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The requests that matched `route`.
    pub fn requests_to(&self, route: Route) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.route == Some(route))
            .collect()
    }

    /// The datasets created so far, ordered by id.
    pub fn datasets(&self) -> Vec<DatasetRecord> {
        self.shared.lock().datasets.values().cloned().collect()
    }

    /// Block until the process ends (for the demo binary).
    pub fn run_forever(mut self) {
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the loop sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let _ = thread::Builder::new()
            .name("testserver-conn".into())
            .spawn(move || {
                let _ = handle_connection(stream, &shared);
            });
    }
}

/// One request per connection: every answer says `Connection: close`.
fn handle_connection(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let Some(request) = http::read_head(&mut reader)? else {
        return Ok(());
    };
    let route = route_of(&request);
    let index = {
        let mut state = shared.lock();
        state.requests.push(RecordedRequest {
            method: request.method.clone(),
            target: request.target.clone(),
            route,
            headers: request.headers.clone(),
            body_bytes: 0,
        });
        state.requests.len() - 1
    };

    let outcome = if route == Some(Route::Upload) {
        handle_upload(&request, &mut reader, &mut writer, shared, index)
    } else {
        let body = http::read_small_body(&request, &mut reader)?;
        shared.lock().requests[index].body_bytes = body.len() as u64;
        Ok(Some(handle_api(&request, route, &body, shared)))
    };

    match outcome? {
        Some(response) => {
            maybe_delay(route, shared);
            // The client may have given up (time-out tests); nothing to do then.
            let _ = writer.write_all(&response.to_bytes());
            let _ = writer.flush();
            let _ = writer.shutdown(Shutdown::Write);
            // Drain what the client still sends so the close is clean rather than a reset.
            let _ = io::copy(&mut reader.take(1 << 20), &mut io::sink());
        }
        None => {
            let _ = writer.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

fn maybe_delay(route: Option<Route>, shared: &Shared) {
    let delay = {
        let mut state = shared.lock();
        match &mut state.config.faults.slow {
            Some(slow) if Some(slow.route) == route && slow.times > 0 => {
                slow.times -= 1;
                Some(slow.delay)
            }
            _ => None,
        }
    };
    if let Some(delay) = delay {
        thread::sleep(delay);
    }
}

fn route_of(request: &Request) -> Option<Route> {
    let segments: Vec<&str> = request.path().split('/').filter(|s| !s.is_empty()).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["projects", _, "datasets"]) => Some(Route::Create),
        ("GET", ["projects", _, "datasets"]) => Some(Route::List),
        ("GET", ["projects", _, "datasets", _]) => Some(Route::Detail),
        ("GET", ["projects", _, "datasets", _, "status"]) => Some(Route::Status),
        ("PUT", ["uploads", _, _]) => Some(Route::Upload),
        (method, segments) => experiments::route_of(method, segments).map(Route::Experiments),
    }
}

fn handle_api(request: &Request, route: Option<Route>, body: &[u8], shared: &Shared) -> Response {
    let Some(route) = route else {
        return Response::json(404, &json!({"detail": "Not found."}));
    };
    let mut state = shared.lock();
    let expected = format!("Api-Key {}", state.config.api_key);
    if request.header("authorization") != Some(expected.as_str()) {
        return Response::json(401, &json!({"detail": "Invalid API key."}));
    }
    let segments: Vec<&str> = request.path().split('/').filter(|s| !s.is_empty()).collect();
    let project = segments[1];
    if project.is_empty() || !project.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Response::json(404, &json!({"detail": "Not found."}));
    }
    match route {
        Route::Create => create(&mut state, project, body, &shared.base_url),
        Route::List => {
            let list: Vec<Value> = state
                .datasets
                .values()
                .map(|d| {
                    json!({
                        "id": d.id, "name": d.name, "status": d.status,
                        "date_created": d.created, "date_last_used": null,
                        "is_deleted": false, "filename": d.filename,
                    })
                })
                .collect();
            Response::json(200, &Value::Array(list))
        }
        Route::Detail => {
            advance(&mut state, segments[3]);
            let override_ = state.config.faults.stimuli_override.clone();
            match state.datasets.get(segments[3]) {
                None => Response::json(404, &json!({"detail": "Not found."})),
                Some(d) => {
                    let stimuli = match (d.status.as_str(), override_) {
                        ("ready", Some(list)) => list,
                        ("ready", None) => d.stimuli.clone(),
                        _ => Vec::new(),
                    };
                    let stimuli: Vec<Value> = stimuli
                        .iter()
                        .enumerate()
                        .map(|(i, (filepath, group_id))| {
                            json!({"id": experiments::stimulus_id(d.seq, i), "filepath": filepath, "group_id": group_id,
                                   "duration": null, "url": format!("https://cdn.invalid/{filepath}")})
                        })
                        .collect();
                    Response::json(
                        200,
                        &json!({
                            "id": d.id, "name": d.name, "status": d.status, "error": d.error,
                            "filename": d.filename, "date_created": d.created,
                            "stimuli": stimuli,
                        }),
                    )
                }
            }
        }
        Route::Status => {
            if state.config.faults.status_429_times > 0 {
                state.config.faults.status_429_times -= 1;
                let retry_after = state
                    .config
                    .faults
                    .retry_after
                    .clone()
                    .unwrap_or_else(|| "1".into());
                return Response::json(429, &json!({"detail": "Request was throttled."}))
                    .header("Retry-After", &retry_after);
            }
            advance(&mut state, segments[3]);
            let Some(d) = state.datasets.get(segments[3]) else {
                return Response::json(404, &json!({"detail": "Not found."}));
            };
            let error = if d.status == "error" {
                d.error.clone()
            } else {
                None
            };
            Response::json(200, &json!({"id": d.id, "status": d.status, "error": error}))
        }
        Route::Experiments(route) => experiments::handle(&mut state, route, request, &segments, body),
        Route::Upload => unreachable!("uploads are handled by handle_upload"),
    }
}

/// A status or detail request observes the dataset: after `polls_until_ready`
/// observations in `processing` it ends in `ready` (or `error`).
fn advance(state: &mut State, id: &str) {
    let polls_until_ready = state.config.polls_until_ready;
    let never_ready = state.config.faults.never_ready;
    let processing_error = state.config.faults.processing_error.clone();
    let Some(d) = state.datasets.get_mut(id) else {
        return;
    };
    if d.status == "processing" && !never_ready {
        if d.polls >= polls_until_ready {
            if let Some(text) = processing_error.or_else(|| d.error.clone()) {
                d.status = "error".into();
                d.error = Some(text);
            } else {
                d.status = "ready".into();
            }
        }
        d.polls += 1;
    }
}

fn create(state: &mut State, project: &str, body: &[u8], base_url: &str) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Response::json(400, &json!({"detail": "JSON parse error."}));
    };
    let name = request.get("name").and_then(Value::as_str).unwrap_or("");
    let filename = request.get("filename").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        return Response::json(400, &json!({"name": ["This field is required."]}));
    }
    if name.chars().count() > 64 {
        return Response::json(
            400,
            &json!({"name": ["Ensure this field has no more than 64 characters."]}),
        );
    }
    if !(filename.ends_with(".zip") || filename.ends_with(".txt")) {
        return Response::json(
            400,
            &json!({"filename": ["Filename must end with .zip or .txt."]}),
        );
    }
    let id = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        fastrand::u32(..),
        state.next_id,
        fastrand::u16(..0x1000),
        fastrand::u16(..0x1000),
        fastrand::u64(..1 << 48)
    );
    let seq = state.next_id;
    state.next_id += 1;
    let signature: String = (0..64)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect();
    let upload_url = format!(
        "{base_url}/uploads/{id}/{filename}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIATESTSERVER%2F20250101%2Feu-west-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20250101T000000Z&X-Amz-Expires={UPLOAD_URL_EXPIRES}\
         &X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    );
    let status_url = format!("{base_url}/projects/{project}/datasets/{id}/status/");
    state.datasets.insert(
        id.clone(),
        DatasetRecord {
            id: id.clone(),
            name: name.to_owned(),
            filename: filename.to_owned(),
            status: "draft".into(),
            uploaded_bytes: None,
            stimuli: Vec::new(),
            signature,
            seq,
            polls: 0,
            error: None,
            created: http::now_iso8601(),
        },
    );
    Response::json(
        201,
        &json!({
            "id": id, "name": name, "upload_url": upload_url, "status_url": status_url,
            "upload_expires_in": UPLOAD_URL_EXPIRES,
        }),
    )
}

fn s3_error(status: u16, code: &str, message: &str) -> Response {
    Response::xml(
        status,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>TESTSERVER</RequestId></Error>"
        ),
    )
}

/// `Ok(None)` drops the connection without an answer.
fn handle_upload(
    request: &Request,
    reader: &mut impl Read,
    writer: &mut impl Write,
    shared: &Shared,
    index: usize,
) -> io::Result<Option<Response>> {
    let segments: Vec<&str> = request.path().split('/').filter(|s| !s.is_empty()).collect();
    let (id, filename) = (segments[1].to_owned(), segments[2].to_owned());
    let Some(length) = request
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return Ok(Some(s3_error(
            411,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        )));
    };
    let (signature_ok, expired, fail_503, drop_after) = {
        let mut state = shared.lock();
        let signature_ok = state
            .datasets
            .get(&id)
            .is_some_and(|d| request.query_param("X-Amz-Signature") == Some(d.signature.as_str()));
        let faults = &mut state.config.faults;
        let drop_after = (faults.drop_upload_times > 0).then(|| {
            faults.drop_upload_times -= 1;
            faults.drop_upload_after_bytes
        });
        let fail_503 = drop_after.is_none() && faults.upload_503_times > 0;
        if fail_503 {
            faults.upload_503_times -= 1;
        }
        (signature_ok, faults.expired_upload_url, fail_503, drop_after)
    };
    if request.header("authorization").is_some() {
        return Ok(Some(s3_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter \
             should be specified",
        )));
    }
    if expired {
        return Ok(Some(s3_error(403, "AccessDenied", "Request has expired")));
    }
    if !signature_ok {
        return Ok(Some(s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )));
    }

    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }

    let path = shared.uploads.path().join(format!("{id}-{filename}"));
    let mut file = std::fs::File::create(&path)?;
    let limit = drop_after.unwrap_or(length).min(length);
    let copied = copy_counting(&mut reader.take(limit), &mut file, shared, index)?;
    if drop_after.is_some() {
        return Ok(None);
    }
    if copied < length {
        // The client closed early; there is no one to answer.
        return Ok(None);
    }
    drop(file);
    if fail_503 {
        return Ok(Some(s3_error(
            503,
            "SlowDown",
            "Please reduce your request rate.",
        )));
    }

    let derived = if filename.ends_with(".txt") {
        stimuli::from_url_list(&path)
    } else {
        stimuli::from_zip(&path)
    };
    let mut state = shared.lock();
    if let Some(d) = state.datasets.get_mut(&id) {
        d.uploaded_bytes = Some(length);
        d.status = "processing".into();
        d.polls = 0;
        match derived {
            Ok(list) => {
                d.stimuli = list;
                d.error = None;
            }
            Err(e) => {
                d.stimuli.clear();
                d.error = Some(e);
            }
        }
    }
    Ok(Some(Response::empty(200).header("ETag", "\"0123456789abcdef\"")))
}

fn copy_counting(
    reader: &mut impl Read,
    writer: &mut impl Write,
    shared: &Shared,
    index: usize,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        writer.write_all(&buf[..n])?;
        total += n as u64;
        shared.lock().requests[index].body_bytes = total;
    }
    Ok(total)
}
