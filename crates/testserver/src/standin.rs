//! The server loop the Prolific, Datature and Coactive stand-ins share: one request per
//! connection, the whole body read, a handler that sees the platform's state and answers (or
//! drops the connection), every request recorded. Also the faults they all inject.

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::http::{self, Request, Response};

/// The largest body a stand-in reads (exports are small).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// Failures a stand-in injects. Counters count down across the whole server.
#[derive(Clone, Debug)]
pub struct PlatformFaults {
    /// Answer this many dataset status requests with 429 and `Retry-After`.
    pub throttle_polls: u32,
    /// The `Retry-After` value sent with 429 answers.
    pub retry_after: String,
    /// Answer this many uploads (file `PUT`s; Coactive: asset `POST`s) with 503.
    pub upload_503_times: u32,
    /// Drop the connection of this many uploads without an answer.
    pub drop_uploads: u32,
    /// Answer every file `PUT` with 403, as an expired signed URL does (Prolific and
    /// Datature: Coactive takes assets by URL and has no upload URL).
    pub expired_upload_url: bool,
    /// End processing in the platform's error state with this text.
    pub processing_error: Option<String>,
    /// Refuse the dataset's creation with the platform's validation error body.
    pub validation_error: bool,
    /// How many status requests after the upload answer "processing" before the end state.
    pub polls_until_ready: u32,
}

impl Default for PlatformFaults {
    fn default() -> Self {
        Self {
            throttle_polls: 0,
            retry_after: "1".into(),
            upload_503_times: 0,
            drop_uploads: 0,
            expired_upload_url: false,
            processing_error: None,
            validation_error: false,
            polls_until_ready: 1,
        }
    }
}

/// One request as a stand-in saw it.
#[derive(Clone, Debug)]
pub struct PlatformRequest {
    /// `GET`, `POST`, `PUT`.
    pub method: String,
    /// The request target, query string included.
    pub target: String,
    /// Headers in the order sent, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl PlatformRequest {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path's segments, without the query string.
    pub fn segments(&self) -> Vec<&str> {
        self.target
            .split('?')
            .next()
            .unwrap_or("")
            .split('/')
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// A query parameter's raw value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// What a handler does with a request.
pub(crate) enum Reply {
    /// Answer it.
    Answer(Response),
    /// Close the connection without a word.
    Drop,
}

pub(crate) type Handler<S> = fn(&mut S, &PlatformRequest, &str) -> Reply;

struct Shared<S> {
    state: Mutex<S>,
    requests: Mutex<Vec<PlatformRequest>>,
    shutdown: AtomicBool,
    base_url: String,
    handler: Handler<S>,
}

/// A running stand-in with platform state `S`; stops when dropped.
pub struct StandIn<S> {
    addr: SocketAddr,
    shared: Arc<Shared<S>>,
    accept: Option<JoinHandle<()>>,
}

impl<S: Send + 'static> StandIn<S> {
    pub(crate) fn start(addr: SocketAddr, state: S, handler: Handler<S>) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            requests: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            base_url: format!("http://{addr}"),
            handler,
        });
        let accept_shared = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("standin-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_shared.shutdown.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&accept_shared);
                    let _ = thread::Builder::new().name("standin-conn".into()).spawn(move || {
                        let _ = serve(stream, &shared);
                    });
                }
            })?;
        Ok(Self {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<PlatformRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The platform's state (datasets, configuration).
    pub fn state(&self) -> MutexGuard<'_, S> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Block until the process ends (for the demo binary).
    pub fn run_forever(mut self) {
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

impl<S> Drop for StandIn<S> {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

fn serve<S>(stream: TcpStream, shared: &Shared<S>) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let Some(head) = http::read_head(&mut reader)? else {
        return Ok(());
    };
    let Request {
        method,
        target,
        headers,
    } = head;
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    if headers
        .iter()
        .any(|(n, v)| n == "expect" && v.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }
    let mut body = Vec::new();
    (&mut reader).take(length).read_to_end(&mut body)?;
    let request = PlatformRequest {
        method,
        target,
        headers,
        body,
    };
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request.clone());
    let reply = {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        (shared.handler)(&mut state, &request, &shared.base_url)
    };
    match reply {
        Reply::Answer(response) => {
            let _ = writer.write_all(&response.to_bytes());
            let _ = writer.flush();
            let _ = writer.shutdown(Shutdown::Write);
        }
        Reply::Drop => {
            let _ = writer.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

/// A random lower-case hex string of `n` digits (ids, signatures).
pub(crate) fn hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(fastrand::u32(..16), 16).unwrap_or('0'))
        .collect()
}

/// Milliseconds since 1970.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Counts a fault down: true (and one fewer left) when it fires.
pub(crate) fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

/// The 429 answer of a throttled poll.
pub(crate) fn throttled(faults: &PlatformFaults) -> Response {
    Response::json(429, &serde_json::json!({"detail": "Request was throttled."}))
        .header("Retry-After", &faults.retry_after)
}

/// An object store's XML error.
pub(crate) fn store_error(status: u16, code: &str, message: &str) -> Response {
    Response::xml(
        status,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        ),
    )
}
