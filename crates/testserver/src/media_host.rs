//! A static media host for `check --online` tests and benchmarks: serves the files of a
//! folder over HTTP/1.1 (keep-alive) on 127.0.0.1, behaving as the first path segment says.
//!
//! `http://127.0.0.1:PORT/MODE/source/file.wav` serves `ROOT/source/file.wav` with:
//!
//! | mode | behaviour |
//! | --- | --- |
//! | `range` | ranges, `Access-Control-Allow-Origin: *`, the right `Content-Type`; several ranges in one request as one `multipart/byteranges` answer, overlapping and adjacent ones merged first (so the head and tail of a small file come back as one range) |
//! | `norange` | ignores `Range`: always the whole file (200) |
//! | `onerange` | single ranges only: a request for several gets the whole file (200), as from object stores that do not serve multi-range requests |
//! | `multi416` | single ranges only: a request for several is refused with 416 |
//! | `trickle` | like `range`, but every body is sent 1 KiB each 50 ms (20 kB/s) |
//! | `otherrange` | like `range`, but every answer after the first says it holds bytes from 0 |
//! | `badmulti` | like `range`, but the parts of a multi-range answer say they start one byte later than they do |
//! | `nginx` | like `range`, but several ranges that add up to more than the file get the whole file (200), as nginx answers |
//! | `nocors` | ranges, but no `Access-Control-Allow-Origin` |
//! | `slow` | ranges, each answer after [`MediaHostConfig::slow`] |
//! | `404`, `403`, `410`, `500` | that status, with an HTML body |
//! | `redirect-N` | 302 to `redirect-(N-1)`, and `redirect-0` serves like `range` |
//! | `loop` | 302 to itself |
//! | `html` | the file, but as `text/html` |
//! | `errorpage` | 200 `text/html` with a small HTML page instead of the file |
//! | `truncated` | announces the full length, sends half the bytes asked for, closes |
//! | `truncated-later` | like `range` for the first bytes; later ranges are cut like `truncated` |
//! | `signed` | like `range`, but 403 once the AWS-style `X-Amz-Date` + `X-Amz-Expires` has passed |
//!
//! Every answer waits [`MediaHostConfig::latency`] first (a network's round trip). Body bytes
//! sent and requests are counted ([`MediaHost::bytes_sent`], `GET /__stats`).

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::{Request, read_head, reason};

/// How the media host behaves beyond what each URL's mode says.
#[derive(Clone, Debug, Default)]
pub struct MediaHostConfig {
    /// Added before every answer (20 ms in the benchmark).
    pub latency: Duration,
    /// How long the `slow` mode waits before each answer.
    pub slow: Duration,
}

/// One request as the media host saw it.
#[derive(Clone, Debug)]
pub struct MediaRequest {
    /// The request target, query string included.
    pub target: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The `Origin` header, if any.
    pub origin: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    bytes: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    requests: Mutex<Vec<MediaRequest>>,
    stop: AtomicBool,
}

/// A running media host; stopped when dropped.
#[derive(Debug)]
pub struct MediaHost {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl MediaHost {
    /// Serves the files under `root` on a free port of 127.0.0.1.
    pub fn start(root: impl Into<PathBuf>, config: MediaHostConfig) -> io::Result<Self> {
        Self::bind(root, config, "127.0.0.1:0")
    }

    /// Serves the files under `root` on `addr` (`127.0.0.1:8080`).
    pub fn bind(root: impl Into<PathBuf>, config: MediaHostConfig, addr: &str) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let root: Arc<Path> = Arc::from(root.into());
        let accept = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (shared, root, config) = (Arc::clone(&shared), Arc::clone(&root), config.clone());
                    thread::spawn(move || {
                        let _ = serve_connection(stream, &root, &config, &shared);
                    });
                }
            })
        };
        Ok(MediaHost {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of `path` (`source/file.wav`) served in `mode` (`range`, `norange`, ...).
    pub fn url(&self, mode: &str, path: &str) -> String {
        format!("{}/{mode}/{path}", self.base_url())
    }

    /// A `signed` URL of `path` in the AWS SigV4 style, expiring at `expires_at` (seconds
    /// since 1970; signed an hour earlier).
    pub fn signed_url(&self, path: &str, expires_at: u64) -> String {
        let signed_at = expires_at.saturating_sub(3600);
        format!(
            "{}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0123abcd",
            self.url("signed", path),
            basic_timestamp(signed_at)
        )
    }

    /// Body bytes sent so far.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes.load(Ordering::SeqCst)
    }

    /// The most requests that were being answered at the same time.
    pub fn peak_in_flight(&self) -> u64 {
        self.shared.peak_in_flight.load(Ordering::SeqCst)
    }

    /// The requests seen so far.
    pub fn requests(&self) -> Vec<MediaRequest> {
        self.shared.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for MediaHost {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve_connection(
    stream: TcpStream,
    root: &Path,
    config: &MediaHostConfig,
    shared: &Shared,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let Some(request) = read_head(&mut reader)? else {
            return Ok(());
        };
        // Bodies are not expected (GET and HEAD); skip any that is sent.
        let length = request
            .header("content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        io::copy(&mut (&mut reader).take(length), &mut io::sink())?;
        if let Ok(mut log) = shared.requests.lock() {
            log.push(MediaRequest {
                target: request.target.clone(),
                range: request.header("range").map(str::to_string),
                origin: request.header("origin").map(str::to_string),
            });
        }
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        if !config.latency.is_zero() {
            thread::sleep(config.latency);
        }
        let answered = answer(&request, root, config, shared, &mut out);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        let keep = answered?;
        out.flush()?;
        if !keep
            || request
                .header("connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            let _ = out.shutdown(Shutdown::Both);
            return Ok(());
        }
        if reader.fill_buf()?.is_empty() {
            return Ok(());
        }
    }
}

/// Writes one answer; false when the connection must close after it.
fn answer(
    request: &Request,
    root: &Path,
    config: &MediaHostConfig,
    shared: &Shared,
    out: &mut TcpStream,
) -> io::Result<bool> {
    if request.path() == "/__stats" {
        let body = format!(
            "{{\"bytes\":{},\"requests\":{}}}",
            shared.bytes.load(Ordering::SeqCst),
            shared.requests.lock().map(|r| r.len()).unwrap_or(0)
        );
        return send(
            out,
            200,
            &[("Content-Type", "application/json".into())],
            body.as_bytes(),
            request,
            shared,
        );
    }
    let path = request.path().trim_start_matches('/');
    let (mode, rest) = path.split_once('/').unwrap_or((path, ""));
    let rest = percent_decode(rest);
    let cors = ("Access-Control-Allow-Origin", "*".to_string());
    let page = |status: u16| format!("<html><body><h1>{status}</h1></body></html>");
    match mode {
        "404" | "403" | "410" | "500" | "401" => {
            let status: u16 = mode.parse().unwrap_or(500);
            let body = page(status);
            return send(
                out,
                status,
                &[("Content-Type", "text/html".into()), cors],
                body.as_bytes(),
                request,
                shared,
            );
        }
        "loop" => {
            let target = format!("/loop/{rest}");
            return send(out, 302, &[("Location", target)], b"", request, shared);
        }
        "errorpage" => {
            let body = "<!doctype html><html><body>Sign in to see this file</body></html>";
            return send(
                out,
                200,
                &[("Content-Type", "text/html; charset=utf-8".into()), cors],
                body.as_bytes(),
                request,
                shared,
            );
        }
        m if m.starts_with("redirect-") => {
            let n: u32 = m["redirect-".len()..].parse().unwrap_or(0);
            if n > 0 {
                let target = format!("/redirect-{}/{rest}", n - 1);
                return send(out, 302, &[("Location", target)], b"", request, shared);
            }
        }
        "signed" if signed_expired(&request.target) => {
            let body = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
            return send(
                out,
                403,
                &[("Content-Type", "application/xml".into())],
                body.as_bytes(),
                request,
                shared,
            );
        }
        "slow" => thread::sleep(config.slow),
        _ => {}
    }
    let Some(file) = local_path(root, &rest) else {
        return send(
            out,
            404,
            &[("Content-Type", "text/html".into())],
            page(404).as_bytes(),
            request,
            shared,
        );
    };
    let Ok(mut f) = std::fs::File::open(&file) else {
        return send(
            out,
            404,
            &[("Content-Type", "text/html".into())],
            page(404).as_bytes(),
            request,
            shared,
        );
    };
    let len = f.metadata()?.len();
    let content_type = if mode == "html" {
        "text/html".to_string()
    } else {
        content_type(&rest).to_string()
    };
    let mut headers = vec![("Content-Type", content_type)];
    if mode != "nocors" {
        headers.push(cors);
    }
    let ranges = mode != "norange";
    if ranges {
        headers.push(("Accept-Ranges", "bytes".into()));
    }
    let header = request.header("range").filter(|_| ranges);
    let several = header.is_some_and(|r| r.contains(','));
    let asked = match header {
        // Object stores without multi-range support: the whole file, or 416.
        Some(_) if several && mode == "onerange" => None,
        Some(_) if several && mode == "multi416" => Some(None),
        // nginx: ranges that add up to more than the file get the whole file.
        Some(r) if several && mode == "nginx" && asked_bytes(r, len) > len => None,
        Some(r) => Some(parse_ranges(r, len)),
        None => None,
    };
    let status = if asked.is_some() { 206 } else { 200 };
    let parts = match asked {
        None => vec![(0, len)],
        Some(Some(parts)) => parts,
        Some(None) => {
            headers.push(("Content-Range", format!("bytes */{len}")));
            return send(out, 416, &headers, b"", request, shared);
        }
    };
    let truncated = mode == "truncated" || mode == "truncated-later" && parts[0].0 > 0;
    if let [(start, end)] = parts[..] {
        if status == 206 {
            // `otherrange` labels later answers as the first bytes, as a broken cache might.
            let shown = if mode == "otherrange" && start > 0 {
                0
            } else {
                start
            };
            headers.push((
                "Content-Range",
                format!("bytes {shown}-{}/{len}", shown + (end - start) - 1),
            ));
        }
        let announced = end - start;
        write_head(out, status, &headers, announced)?;
        if request.method == "HEAD" {
            return Ok(true);
        }
        let sent = if truncated { announced / 2 } else { announced };
        f.seek(SeekFrom::Start(start))?;
        if mode == "trickle" {
            return trickle(&mut (&mut f).take(sent), out, shared);
        }
        let copied = io::copy(&mut (&mut f).take(sent), out);
        if let Ok(n) = copied {
            shared.bytes.fetch_add(n, Ordering::SeqCst);
        }
        copied?;
        return Ok(!truncated);
    }
    // Several ranges: one `multipart/byteranges` answer (RFC 9110, section 14.6).
    let file_type = headers.remove(0).1;
    headers.insert(
        0,
        (
            "Content-Type",
            format!("multipart/byteranges; boundary={BOUNDARY}"),
        ),
    );
    // `badmulti` labels every part one byte later than the bytes it holds.
    let shift = u64::from(mode == "badmulti");
    let mut body = Vec::new();
    for &(start, end) in &parts {
        body.extend_from_slice(
            format!(
                "\r\n--{BOUNDARY}\r\nContent-Type: {file_type}\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
                start + shift,
                end - 1 + shift
            )
            .as_bytes(),
        );
        f.seek(SeekFrom::Start(start))?;
        (&mut f).take(end - start).read_to_end(&mut body)?;
    }
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    write_head(out, status, &headers, body.len() as u64)?;
    if request.method == "HEAD" {
        return Ok(true);
    }
    let sent = if truncated { body.len() / 2 } else { body.len() };
    out.write_all(&body[..sent])?;
    shared.bytes.fetch_add(sent as u64, Ordering::SeqCst);
    Ok(!truncated)
}

/// Sends `body` 1 KiB every 50 ms (20 kB/s).
fn trickle(body: &mut impl Read, out: &mut TcpStream, shared: &Shared) -> io::Result<bool> {
    let mut piece = [0u8; 1024];
    loop {
        let n = body.read(&mut piece)?;
        if n == 0 {
            return Ok(true);
        }
        out.write_all(&piece[..n])?;
        out.flush()?;
        shared.bytes.fetch_add(n as u64, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(50));
    }
}

/// Separates the parts of a multi-range answer.
const BOUNDARY: &str = "stimpack-media-host-3d6b1f";

fn write_head(out: &mut TcpStream, status: u16, headers: &[(&str, String)], length: u64) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    out.write_all(head.as_bytes())
}

fn send(
    out: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    request: &Request,
    shared: &Shared,
) -> io::Result<bool> {
    write_head(out, status, headers, body.len() as u64)?;
    if request.method != "HEAD" {
        out.write_all(body)?;
        shared.bytes.fetch_add(body.len() as u64, Ordering::SeqCst);
    }
    Ok(true)
}

/// A `Range` header (`bytes=a-b`, `a-`, `-n`, or a list of them) against a file of `len`
/// bytes: the half-open ranges to serve, sorted, with overlapping and adjacent ones merged
/// (as servers do), or `None` when none can be satisfied (416).
fn parse_ranges(header: &str, len: u64) -> Option<Vec<(u64, u64)>> {
    let specs = header.trim().strip_prefix("bytes=")?;
    let mut ranges: Vec<(u64, u64)> = specs.split(',').filter_map(|spec| one_range(spec, len)).collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    (!merged.is_empty()).then_some(merged)
}

/// The bytes a `Range` header asks for, overlaps counted twice.
fn asked_bytes(header: &str, len: u64) -> u64 {
    let specs = header.trim().strip_prefix("bytes=").unwrap_or("");
    specs
        .split(',')
        .filter_map(|spec| one_range(spec, len))
        .map(|(a, b)| b - a)
        .sum()
}

fn one_range(spec: &str, len: u64) -> Option<(u64, u64)> {
    let (a, b) = spec.trim().split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len)
        }
        (a, "") => (a.parse().ok()?, len),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.saturating_add(1).min(len)),
    };
    (start < end && start < len).then_some((start, end))
}

fn local_path(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if let Some(b) = hex
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp3" | "mp2" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "aif" | "aiff" | "aifc" => "audio/aiff",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "json" => "application/json",
        "js" => "text/javascript",
        _ => "application/octet-stream",
    }
}

/// Whether an AWS-style signed target (`X-Amz-Date` + `X-Amz-Expires`) has expired; a target
/// without them never expires.
fn signed_expired(target: &str) -> bool {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    };
    let (Some(date), Some(expires)) = (param("X-Amz-Date"), param("X-Amz-Expires")) else {
        return false;
    };
    let (Some(at), Ok(expires)) = (parse_basic_timestamp(date), expires.parse::<u64>()) else {
        return true;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    at + expires <= now
}

/// `YYYYMMDDTHHMMSSZ` to seconds since 1970.
fn parse_basic_timestamp(s: &str) -> Option<u64> {
    if s.len() != 16 || !s.is_ascii() {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (hh, mm, ss) = (n(9, 11)?, n(11, 13)?, n(13, 15)?);
    let y = y - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// Seconds since 1970 as `YYYYMMDDTHHMMSSZ` (ISO 8601's basic form).
fn basic_timestamp(secs: u64) -> String {
    crate::http::iso8601_at(secs).replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let one = |h| parse_ranges(h, 1000);
        assert_eq!(one("bytes=0-99"), Some(vec![(0, 100)]));
        assert_eq!(one("bytes=900-"), Some(vec![(900, 1000)]));
        assert_eq!(one("bytes=-10"), Some(vec![(990, 1000)]));
        assert_eq!(one("bytes=0-5000"), Some(vec![(0, 1000)]));
        assert_eq!(one("bytes=1000-"), None);
        assert_eq!(parse_ranges("bytes=0-0", 0), None);
        assert_eq!(one("bytes=0-99, -100"), Some(vec![(0, 100), (900, 1000)]));
        // overlapping and adjacent ranges are merged; unsatisfiable ones dropped
        assert_eq!(one("bytes=0-599,-500"), Some(vec![(0, 1000)]));
        assert_eq!(one("bytes=-10,0-9,10-19,2000-"), Some(vec![(0, 20), (990, 1000)]));
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(basic_timestamp(1_704_164_645), "20240102T030405Z");
        assert_eq!(parse_basic_timestamp("20240102T030405Z"), Some(1_704_164_645));
    }
}
