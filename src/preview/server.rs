//! The preview's HTTP server: the page at `/` and the dataset's stimuli at `/media/PATH`, read
//! straight from the folder or zip with byte ranges (so the browser can seek), on 127.0.0.1 only.
//!
//! Only the paths of the report's stimuli are served: a request is looked up by its exact,
//! decoded name in that list, so `..`, encoded separators or absolute paths name nothing.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use percent_encoding::percent_decode_str;
use stimpack_core::{ZipEntryReader, ZipInput};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// Where the stimuli's bytes come from.
pub enum Media {
    /// A folder, canonical: a file must resolve to a path inside it.
    Folder(PathBuf),
    /// A zip, read in place, with its most recently opened entries.
    Zip(ZipInput, OpenEntries),
    /// A URL list: the page plays the URLs themselves, nothing is served.
    None,
}

/// What the server serves.
pub struct Site {
    /// The page, whole.
    pub page: String,
    /// The stimuli's paths inside the input (as `Report::input_path` gives them).
    pub files: HashSet<String>,
    /// Where to read them.
    pub media: Media,
}

/// The page's URL for a stimulus at `input_path` inside the input (each segment encoded as
/// the platform exports encode them).
pub fn media_url(input_path: &str) -> String {
    stimpack_core::platform::media_url("/media", input_path)
}

/// A path's segments, each URL-encoded and joined with `/`.
pub fn encode_path(segments: &[&str]) -> String {
    let url = stimpack_core::platform::media_url("", &segments.join("/"));
    url.strip_prefix('/').unwrap_or(&url).to_string()
}

/// Binds the server to 127.0.0.1 (never another interface); port 0 picks a free one.
pub fn bind(port: u16) -> Result<(Server, SocketAddr), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let server = Server::http(addr).map_err(|e| {
        format!("cannot listen on {addr}: {e}. Pick another port with --port, or --port 0 for any free one")
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| format!("cannot listen on {addr}: not an IP socket"))?;
    Ok((server, bound))
}

/// Answers requests until the process is stopped, each on its own thread: a browser holds media
/// connections open while it buffers, and one slow reader must not hold up the others. With
/// `log`, each request and its status go to stderr.
pub fn serve(server: Server, port: u16, site: Arc<Site>, log: bool) {
    for request in server.incoming_requests() {
        let site = site.clone();
        std::thread::spawn(move || {
            let line = log.then(|| format!("{} {}", request.method(), crate::term::escape(request.url())));
            let status = answer(&site, port, request);
            if let Some(line) = line {
                match status {
                    Ok(code) => eprintln!("{line} -> {code}"),
                    Err(e) => eprintln!("{line} -> not sent: {e}"),
                }
            }
        });
    }
}

fn answer(site: &Site, port: u16, request: Request) -> io::Result<u16> {
    if !host_is_local(&request, port) {
        // A page elsewhere that rebinds its own name to 127.0.0.1 would otherwise read the dataset.
        return send(
            request,
            text(
                403,
                "Forbidden: this server answers only to http://127.0.0.1 and http://localhost",
            ),
        );
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        let mut response = text(405, "Method not allowed: the preview is read-only");
        response.add_header(header("Allow", "GET, HEAD"));
        return send(request, response);
    }
    let path = request.url().split(['?', '#']).next().unwrap_or("").to_string();
    if path == "/" || path == "/index.html" {
        let response = Response::from_data(site.page.as_bytes().to_vec())
            .with_header(header("Content-Type", "text/html; charset=utf-8"))
            .with_header(header("Cache-Control", "no-store"));
        return send(request, response);
    }
    let Some(encoded) = path.strip_prefix("/media/") else {
        return send(request, text(404, "Not found"));
    };
    let Some(name) = served_name(site, encoded) else {
        return send(request, text(404, "Not found: not a stimulus of this dataset"));
    };
    let (reader, len) = match open(site, &name) {
        Ok(Some(opened)) => opened,
        Ok(None) => return send(request, text(404, "Not found: not a stimulus of this dataset")),
        Err(e) => return send(request, text(500, &format!("cannot read {name}: {e}"))),
    };
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_string());
    respond_media(request, &name, reader, len, range.as_deref())
}

/// The dataset path a `/media/` request names, when it is one of the stimuli.
fn served_name(site: &Site, encoded: &str) -> Option<String> {
    let name = percent_decode_str(encoded).decode_utf8().ok()?.into_owned();
    site.files.contains(&name).then_some(name)
}

type Body = Box<dyn ReadSeekSend>;
trait ReadSeekSend: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeekSend for T {}

/// Opens a served file; `None` when it is not (or no longer) a file inside the dataset.
fn open(site: &Site, name: &str) -> io::Result<Option<(Body, u64)>> {
    match &site.media {
        Media::Folder(root) => {
            let mut path = root.clone();
            path.extend(name.split('/'));
            let Ok(real) = path.canonicalize() else {
                return Ok(None);
            };
            // A symbolic link inside the folder may point out of it: never follow it there.
            if !real.starts_with(root) {
                return Ok(None);
            }
            // Asked of the path before opening: opening a FIFO would block this request for good.
            if !std::fs::metadata(&real)?.is_file() {
                return Ok(None);
            }
            let file = File::open(&real)?;
            let meta = file.metadata()?;
            if !meta.is_file() {
                return Ok(None);
            }
            Ok(Some((Box::new(file), meta.len())))
        }
        Media::Zip(zip, open) => match open.get(zip, name)? {
            None => Ok(None),
            Some(entry) => {
                let len = entry.lock().map_or(0, |e| e.len());
                Ok(Some((Box::new(SharedEntry { entry, pos: 0, len }), len)))
            }
        },
        Media::None => Ok(None),
    }
}

/// How many zip entries stay open between requests.
const OPEN_ENTRIES: usize = 8;

/// The zip entries opened last, kept open: opening one reads it through to check its CRC-32
/// (and inflates a deflated one whole), which a browser's many range requests for one file
/// would otherwise repeat. Each holds up to about 6 MB, so only a few are kept.
#[derive(Default)]
pub struct OpenEntries(Mutex<Vec<(String, Arc<Mutex<ZipEntryReader>>)>>);

impl OpenEntries {
    fn get(&self, zip: &ZipInput, name: &str) -> io::Result<Option<Arc<Mutex<ZipEntryReader>>>> {
        if let Ok(mut open) = self.0.lock() {
            if let Some(at) = open.iter().position(|(n, _)| n == name) {
                let hit = open.remove(at);
                let entry = hit.1.clone();
                open.insert(0, hit);
                return Ok(Some(entry));
            }
        }
        // Opened outside the lock: other files are served meanwhile.
        let Some(entry) = zip.open_entry(name) else {
            return Ok(None);
        };
        let entry = Arc::new(Mutex::new(entry?));
        if let Ok(mut open) = self.0.lock() {
            open.insert(0, (name.to_string(), entry.clone()));
            open.truncate(OPEN_ENTRIES);
        }
        Ok(Some(entry))
    }
}

/// A reader of a shared open entry with its own position: each read seeks there first, so
/// that two requests for one file (a browser's range requests overlap) each get their bytes.
struct SharedEntry {
    entry: Arc<Mutex<ZipEntryReader>>,
    pos: u64,
    len: u64,
}

impl Read for SharedEntry {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut entry = self
            .entry
            .lock()
            .map_err(|_| io::Error::other("a reader of this entry failed"))?;
        entry.seek(SeekFrom::Start(self.pos))?;
        let n = entry.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedEntry {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Wanted {
    /// The whole file (no header, or one this server does not take, such as several ranges).
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// A range that starts past the end.
    Unsatisfiable,
}

/// Reads a `Range` header (RFC 9110: `bytes=A-B`, `bytes=A-`, `bytes=-N`).
pub fn wanted(range: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let number = |s: &str| {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            Some(s.parse::<u64>().unwrap_or(u64::MAX))
        }
    };
    match (number(a), number(b)) {
        (None, Some(n)) if a.is_empty() => {
            if n == 0 || len == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part {
                    start: len.saturating_sub(n),
                    end: len - 1,
                }
            }
        }
        (Some(start), None) if b.is_empty() => {
            if start >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part { start, end: len - 1 }
            }
        }
        (Some(start), Some(end)) if start <= end => {
            if start >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part {
                    start,
                    end: end.min(len - 1),
                }
            }
        }
        _ => Wanted::Whole,
    }
}

fn respond_media(
    request: Request,
    name: &str,
    mut reader: Body,
    len: u64,
    range: Option<&str>,
) -> io::Result<u16> {
    let common = [
        header("Content-Type", content_type(name)),
        header("Accept-Ranges", "bytes"),
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
    ];
    let (status, start, count, content_range) = match wanted(range, len) {
        Wanted::Whole => (200, 0, len, None),
        Wanted::Part { start, end } => (
            206,
            start,
            end - start + 1,
            Some(format!("bytes {start}-{end}/{len}")),
        ),
        Wanted::Unsatisfiable => {
            let mut response = text(416, "Range not satisfiable");
            response.add_header(header("Content-Range", &format!("bytes */{len}")));
            return send(request, response);
        }
    };
    if let Err(e) = reader.seek(SeekFrom::Start(start)) {
        return send(request, text(500, &format!("cannot read {name}: {e}")));
    }
    let mut headers = common.to_vec();
    if let Some(cr) = content_range {
        headers.push(header("Content-Range", &cr));
    }
    let size = usize::try_from(count).ok();
    // A known length, never chunked: a media element seeks by the length it is told.
    let response = Response::new(StatusCode(status), headers, reader.take(count), size, None)
        .with_chunked_threshold(usize::MAX);
    send(request, response)
}

/// Sends a response; its status, for the log.
fn send<R: Read>(request: Request, response: Response<R>) -> io::Result<u16> {
    let status = response.status_code().0;
    request.respond(response).map(|()| status)
}

/// Whether the request's `Host` is this server under a loopback name.
fn host_is_local(request: &Request, port: u16) -> bool {
    let Some(host) = request.headers().iter().find(|h| h.field.equiv("Host")) else {
        return false;
    };
    let host = host.value.as_str().to_ascii_lowercase();
    ["127.0.0.1", "localhost"]
        .iter()
        .any(|name| host == format!("{name}:{port}") || (port == 80 && host == *name))
}

/// The media type browsers expect for a stimulus, from its extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "wav" | "wave" => "audio/wav",
        "aif" | "aiff" | "aifc" => "audio/aiff",
        "flac" => "audio/flac",
        "mp3" | "mp2" => "audio/mpeg",
        "aac" => "audio/aac",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "png" | "apng" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes(&b"X-Invalid-Header"[..], &b"1"[..]).expect("a valid header"))
}

fn text(status: u16, body: &str) -> Response<Cursor<Vec<u8>>> {
    Response::from_string(format!("{body}\n"))
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_every_form() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-"), 100), Wanted::Part { start: 0, end: 99 });
        assert_eq!(
            wanted(Some("bytes=10-19"), 100),
            Wanted::Part { start: 10, end: 19 }
        );
        assert_eq!(
            wanted(Some("bytes=90-1000"), 100),
            Wanted::Part { start: 90, end: 99 }
        );
        assert_eq!(
            wanted(Some("bytes=-10"), 100),
            Wanted::Part { start: 90, end: 99 }
        );
        assert_eq!(
            wanted(Some("bytes=-1000"), 100),
            Wanted::Part { start: 0, end: 99 }
        );
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=5-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=x-1"), 100), Wanted::Whole);
        assert_eq!(
            wanted(Some("bytes=99999999999999999999999-"), 100),
            Wanted::Unsatisfiable
        );
    }

    #[test]
    fn media_urls_encode_every_reserved_character() {
        assert_eq!(media_url("a b/c#d?.wav"), "/media/a%20b/c%23d%3F.wav");
        assert_eq!(media_url("ü/%2e%2e.wav"), "/media/%C3%BC/%252e%252e.wav");
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("a/b.WAV"), "audio/wav");
        assert_eq!(content_type("a/b.opus"), "audio/ogg");
        assert_eq!(content_type("a/b"), "application/octet-stream");
    }
}
