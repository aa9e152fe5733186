//! Opening one URL: its signature's expiry, its redirects (each hop checked for private
//! addresses, after DNS), the first answer's status, length, `Content-Type`, CORS and range
//! support, each turned into a finding that says what to do.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use stimpack_core::{Code, MediaKind, Opened, UrlFinding, private_ip, probe_reads_end};
use ureq::Body;
use ureq::http::Response;
use url::{Host, Url};

use crate::fetch::{Failure, bytes};
use crate::file::{HttpFile, Source};
use crate::multirange::{self, Part};
use crate::signed::{self, Expiry};
use crate::{HEAD_BYTES, HttpOpener};

/// A length a server may announce (1 PiB): past it, offsets could overflow, and no stimulus is
/// that long.
const MAX_LEN: u64 = 1 << 50;

/// The most of a file sent without a length by a server without range support that is read
/// (whole, into memory, to learn its length): 32 MB.
const NO_LENGTH_MAX: u64 = 32_000_000;

/// More redirects than this is an error (browsers give up at around 20; a dataset's URL that
/// needs more than a few is broken).
pub const MAX_REDIRECTS: usize = 5;

/// The URL as messages show it: without user info, query string and fragment (signed URLs carry
/// secrets there), as the platform client shows URLs.
fn redact(url: &str) -> String {
    if url.contains("://") {
        stimpack_client::RedactedUrl::new(url).to_string()
    } else {
        url.split(['?', '#']).next().unwrap_or_default().to_string()
    }
}

pub(crate) fn open(opener: &HttpOpener, url: &str, extension: &str, media: Option<MediaKind>) -> Opened {
    let options = &opener.options;
    let shown = redact(url);
    let mut findings = Vec::new();
    let Ok(parsed) = Url::parse(url) else {
        return Opened::Failed(vec![UrlFinding::error(
            Code::InvalidUrl,
            format!("'{shown}' is not a URL"),
        )]);
    };
    findings.extend(expiry_finding(&parsed, &shown, options.valid_for));
    let host_key = format!(
        "{}:{}",
        parsed.host_str().unwrap_or_default(),
        parsed.port_or_known_default().unwrap_or(0)
    );
    let permit = opener.hosts.acquire(&host_key);
    if let Some(why) = opener.hosts.dead(&host_key) {
        findings.push(UrlFinding::error(
            Code::UrlError,
            format!(
                "'{shown}' was not fetched: its host did not answer an earlier request of this run ({why}). \
                 Check the host name and that the server is up"
            ),
        ));
        return Opened::Failed(findings);
    }
    let first = First {
        opener,
        host_key: &host_key,
        shown: &shown,
        extension,
        media,
    };
    // The head, and the end too in the same request where the probe will read it and the host
    // has not refused two ranges.
    let head_bytes = HEAD_BYTES.min(options.max_download);
    let ask_end = probe_reads_end(extension)
        && options.max_download >= 2 * HEAD_BYTES
        && !opener.hosts.ranges(&host_key).no_multi;
    let range = if ask_end {
        multirange::head_and_end()
    } else {
        bytes(0, head_bytes)
    };
    let Some((current, response)) = first.follow(parsed, &range, &mut findings) else {
        return Opened::Failed(findings);
    };
    let answer = match first.read(current.as_str(), response, ask_end, &mut findings) {
        Answer::AskAgain => {
            // The request for two ranges was refused: the head alone, from the final URL.
            let Some((_, response)) = first.follow(current.clone(), &bytes(0, head_bytes), &mut findings)
            else {
                return Opened::Failed(findings);
            };
            first.read(current.as_str(), response, false, &mut findings)
        }
        answer => answer,
    };
    let (len, parts, source) = match answer {
        Answer::File { len, parts, source } => (len, parts, source),
        Answer::Failed | Answer::AskAgain => return Opened::Failed(findings),
    };
    if len > MAX_LEN {
        findings.push(UrlFinding::error(
            Code::UrlError,
            format!("'{shown}' is announced as {len} bytes long, which no stimulus is. Check the server"),
        ));
        return Opened::Failed(findings);
    }
    let file = HttpFile::new(
        Arc::clone(&opener.http),
        current.to_string(),
        shown,
        len,
        parts,
        source,
        options.max_download,
        permit,
    );
    Opened::File(Box::new(file), findings)
}

/// What the first answer for a file gave.
enum Answer {
    /// The file's length, the bytes that came, and how to fetch the rest.
    File {
        len: u64,
        parts: Vec<Part>,
        source: Source,
    },
    /// Not readable: the findings say why.
    Failed,
    /// A request for two ranges was refused (the whole file, 416, or an answer that could
    /// not be split): ask for the head alone.
    AskAgain,
}

/// Opening one URL: what every step needs to know.
struct First<'a> {
    opener: &'a HttpOpener,
    host_key: &'a str,
    shown: &'a str,
    extension: &'a str,
    media: Option<MediaKind>,
}

impl First<'_> {
    /// GETs `url` with `range`, following redirects (each hop checked for private addresses;
    /// loops and more than [`MAX_REDIRECTS`] refused, any hop warned about). Gives the final URL
    /// and its answer, whose status is 200, 206 or 416; otherwise the findings say why not.
    fn follow(&self, url: Url, range: &str, findings: &mut Vec<UrlFinding>) -> Option<(Url, Response<Body>)> {
        let (options, shown) = (&self.opener.options, self.shown);
        // What the answer's body may hold: two ranges and their part headers, or the head; a
        // server that ignores ranges sends more, read on by the file (see `file.rs`).
        let expect = 2 * HEAD_BYTES + multirange::OVERHEAD;
        let mut current = url;
        let mut seen = vec![current.to_string()];
        let response = loop {
            if let Err(f) = reachable(&current, options.allow_private, seen.len() > 1) {
                findings.push(f);
                return None;
            }
            let response = match self.opener.http.get(current.as_str(), Some(range), expect) {
                Ok(r) => r,
                Err(Failure::Status(status)) => {
                    findings.push(status_finding(status, shown, true));
                    return None;
                }
                Err(Failure::Transport(why)) => {
                    if seen.len() == 1 {
                        self.opener.hosts.mark_dead(self.host_key, &why);
                    }
                    findings.push(UrlFinding::error(
                        Code::UrlError,
                        format!(
                            "'{shown}' could not be fetched: {why}. Check the host name and that the server is up"
                        ),
                    ));
                    return None;
                }
            };
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|l| current.join(l).ok());
            let Some(next) = location else {
                findings.push(UrlFinding::error(
                    Code::UrlRedirect,
                    format!("'{shown}' answers HTTP {status} (a redirect) without a valid Location. Fix the server, or list the file's real URL"),
                ));
                return None;
            };
            if seen.contains(&next.to_string()) {
                findings.push(UrlFinding::error(
                    Code::UrlRedirect,
                    format!(
                        "'{shown}' redirects in a loop (back to '{}' after {} {}); no player can fetch it. Fix the server's redirects",
                        redact(next.as_str()),
                        seen.len(),
                        if seen.len() == 1 { "hop" } else { "hops" }
                    ),
                ));
                return None;
            }
            seen.push(next.to_string());
            if seen.len() > MAX_REDIRECTS + 1 {
                findings.push(UrlFinding::error(
                    Code::UrlRedirect,
                    format!(
                        "'{shown}' redirects more than {MAX_REDIRECTS} times; players give up. List the final URL instead"
                    ),
                ));
                return None;
            }
            current = next;
        };
        let hops = seen.len() - 1;
        if hops > 0 {
            findings.push(UrlFinding::warning(
                Code::UrlRedirect,
                format!(
                    "'{shown}' redirects to '{}' ({hops} {}); players follow it, but each costs a round trip. List the final URL",
                    redact(current.as_str()),
                    if hops == 1 { "hop" } else { "hops" }
                ),
            ));
        }
        let status = response.status().as_u16();
        if !matches!(status, 200 | 206 | 416) {
            findings.push(status_finding(status, shown, false));
            return None;
        }
        Some((current, response))
    }

    /// Reads the first answer (200, 206 or 416) to a request for the head, or for the head and
    /// the end when `asked_end`: the bytes that came, the file's length, and the findings its
    /// headers give (CORS, `Content-Type`, range support).
    fn read(
        &self,
        url: &str,
        mut response: Response<Body>,
        asked_end: bool,
        findings: &mut Vec<UrlFinding>,
    ) -> Answer {
        let (opener, shown) = (self.opener, self.shown);
        let options = &opener.options;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_range = header("content-range");
        let content_type = header("content-type");
        let mut about = Vec::new();
        if let Some(origin) = &options.origin {
            about.extend(cors_finding(
                header("access-control-allow-origin").as_deref(),
                origin,
                shown,
            ));
        }
        about.extend(content_type_finding(
            content_type.as_deref(),
            self.extension,
            self.media,
            shown,
        ));
        let status = response.status().as_u16();
        let ranges = opener.hosts.ranges(self.host_key);
        let length = response.body().content_length();
        let answer = match status {
            416 => match content_range.as_deref().and_then(content_range_total) {
                // The only file that has no byte 0.
                Some(0) => Answer::File {
                    len: 0,
                    parts: Vec::new(),
                    source: Source::Ranges,
                },
                _ if asked_end => {
                    opener.hosts.learn(self.host_key, |r| r.no_multi = true);
                    return Answer::AskAgain;
                }
                _ => {
                    findings.push(UrlFinding::error(
                        Code::UrlError,
                        format!("'{shown}' refuses a request for its first bytes (HTTP 416) though it is not empty. Check the server"),
                    ));
                    return Answer::Failed;
                }
            },
            206 => match self.read_ranges(
                &mut response,
                content_type.as_deref(),
                content_range.as_deref(),
                asked_end,
            ) {
                Ok((len, parts)) => {
                    opener.hosts.learn(self.host_key, |r| r.served = true);
                    Answer::File {
                        len,
                        parts,
                        source: Source::Ranges,
                    }
                }
                Err(Unread::Refused) => {
                    opener.hosts.learn(self.host_key, |r| r.no_multi = true);
                    return Answer::AskAgain;
                }
                Err(Unread::Failed(finding)) => {
                    findings.push(finding);
                    return Answer::Failed;
                }
            },
            // The whole file, to a request for its head and end. A host that serves ranges
            // sends a small file whole when the two ranges cover it (nginx does): that is the
            // file, read at once. Otherwise ask again for the head alone: this host may serve
            // one range but not two (object stores), or none.
            _ if asked_end => {
                let small = length.is_some_and(|n| n <= 2 * HEAD_BYTES);
                if !(small && ranges.served) {
                    if !small {
                        opener.hosts.learn(self.host_key, |r| r.no_multi = true);
                    }
                    return Answer::AskAgain;
                }
                match read_body(&mut response, 2 * HEAD_BYTES).map_err(|e| unreadable(shown, &e)) {
                    Ok(data) => {
                        count(opener, data.len());
                        Answer::File {
                            len: data.len() as u64,
                            parts: vec![Part { start: 0, data }],
                            source: Source::Ranges,
                        }
                    }
                    Err(finding) => {
                        findings.push(finding);
                        return Answer::Failed;
                    }
                }
            }
            _ => match self.read_whole(url, response) {
                Ok(answer) => {
                    // Ignoring one range, it ignores two: its next files are asked for one.
                    opener.hosts.learn(self.host_key, |r| r.no_multi = true);
                    about.push(UrlFinding::warning(
                        Code::NoRangeSupport,
                        format!(
                            "'{shown}' ignores Range requests (it answers the whole file): players cannot seek in it, \
                             and each replay downloads it again. Serve it from a host or CDN that supports ranges"
                        ),
                    ));
                    answer
                }
                Err(finding) => {
                    findings.extend(about);
                    findings.push(finding);
                    return Answer::Failed;
                }
            },
        };
        findings.extend(about);
        answer
    }

    /// The bytes of a 206 answer: one part, or several (`multipart/byteranges`) to a request
    /// for the head and the end, with the file's length.
    fn read_ranges(
        &self,
        response: &mut Response<Body>,
        content_type: Option<&str>,
        content_range: Option<&str>,
        asked_end: bool,
    ) -> Result<(u64, Vec<Part>), Unread> {
        let (opener, shown) = (self.opener, self.shown);
        let asked = if asked_end {
            2 * HEAD_BYTES
        } else {
            HEAD_BYTES.min(opener.options.max_download)
        };
        if let Some(boundary) = content_type.and_then(multirange::boundary).filter(|_| asked_end) {
            let boundary = boundary.to_string();
            let body = match read_body(response, asked + multirange::OVERHEAD) {
                Ok(body) => body,
                // More than two ranges and their headers: not the answer asked for.
                Err(ureq::Error::BodyExceedsLimit(_)) => return Err(Unread::Refused),
                Err(e) => return Err(Unread::Failed(unreadable(shown, &e))),
            };
            count(opener, body.len());
            return multirange::parse(&body, &boundary)
                .map(|(parts, len)| (len, parts))
                .map_err(|_| Unread::Refused);
        }
        let Some((start, last, len)) = content_range.and_then(multirange::content_range) else {
            return Err(Unread::Failed(UrlFinding::error(
                Code::UrlError,
                format!(
                    "'{shown}' answers a range without saying which bytes and the file's length (Content-Range). Check the server"
                ),
            )));
        };
        if asked_end && !multirange::asked(start, last + 1, len) {
            return Err(Unread::Refused);
        }
        if last - start >= asked {
            return Err(Unread::Failed(UrlFinding::error(
                Code::UrlError,
                format!(
                    "'{shown}' answers a request for {asked} bytes with {} bytes. Check the server",
                    last - start + 1
                ),
            )));
        }
        let data =
            read_body(response, last - start + 1).map_err(|e| Unread::Failed(unreadable(shown, &e)))?;
        count(opener, data.len());
        Ok((len, vec![Part { start, data }]))
    }

    /// A 200 answer to a request for the head: the server ignores `Range`. Reads the head; the
    /// rest is read, when the probe asks for it, from the file opened again, with a body
    /// deadline for its whole length (this answer's was set for a head). An answer without a
    /// length is read whole (up to the cap) to learn it: from this answer when it ends within
    /// the head, else from the file opened again.
    fn read_whole(&self, url: &str, response: Response<Body>) -> Result<Answer, UrlFinding> {
        let (opener, shown) = (self.opener, self.shown);
        let cap = opener.options.max_download;
        let declared = response.body().content_length();
        let head_bytes = HEAD_BYTES.min(cap);
        let reading = |reader: &mut dyn std::io::Read, limit: u64| {
            let mut data = Vec::new();
            match std::io::Read::read_to_end(&mut std::io::Read::take(reader, limit), &mut data) {
                Ok(_) => {
                    count(opener, data.len());
                    Ok(data)
                }
                Err(e) => Err(UrlFinding::error(
                    Code::UrlError,
                    format!(
                        "'{shown}' could not be read: {}. Try again later",
                        crate::fetch::io_words(&e)
                    ),
                )),
            }
        };
        let mut reader = response.into_body().into_reader();
        if let Some(len) = declared {
            let head = reading(&mut reader, head_bytes)?;
            return Ok(Answer::File {
                len,
                parts: vec![Part { start: 0, data: head }],
                source: Source::Stream,
            });
        }
        let mut data = reading(&mut reader, head_bytes + 1)?;
        if data.len() as u64 > head_bytes {
            drop(reader);
            // Held in memory whole, for every file read at once: bounded well below the cap.
            let most = cap.min(NO_LENGTH_MAX);
            let response = opener
                .http
                .get(url, None, most.saturating_add(1))
                .map_err(|f| match f {
                    Failure::Status(status) => status_finding(status, shown, true),
                    Failure::Transport(why) => UrlFinding::error(
                        Code::UrlError,
                        format!("'{shown}' could not be fetched again: {why}. Try again later"),
                    ),
                })?;
            data = reading(&mut response.into_body().into_reader(), most.saturating_add(1))?;
            if data.len() as u64 > most {
                return Err(UrlFinding::error(
                    Code::UrlError,
                    format!(
                        "'{shown}' is sent without a length (no Content-Length) and without range support, and is \
                         longer than {} MB, the most read whole into memory. Serve it with a Content-Length",
                        most / 1_000_000
                    ),
                ));
            }
        }
        Ok(Answer::File {
            len: data.len() as u64,
            parts: vec![Part { start: 0, data }],
            source: Source::Stream,
        })
    }
}

/// Why a 206 answer gave no bytes.
enum Unread {
    /// Its parts could not be split or were not what was asked: ask for one range instead.
    Refused,
    /// It could not be read: the finding says why.
    Failed(UrlFinding),
}

/// Reads a whole answer of at most `limit` bytes.
fn read_body(response: &mut Response<Body>, limit: u64) -> Result<Vec<u8>, ureq::Error> {
    response.body_mut().with_config().limit(limit).read_to_vec()
}

/// The finding for an answer that could not be read.
fn unreadable(shown: &str, e: &ureq::Error) -> UrlFinding {
    UrlFinding::error(
        Code::UrlError,
        format!(
            "'{shown}' could not be read: {}. Try again later",
            crate::fetch::transport_words(e)
        ),
    )
}

fn count(opener: &HttpOpener, n: usize) {
    opener.http.stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
}

/// The total length in a `Content-Range` header (`bytes 0-99/1234`, `bytes */1234`).
fn content_range_total(value: &str) -> Option<u64> {
    let (_, total) = value.trim().strip_prefix("bytes")?.trim().split_once('/')?;
    total.trim().parse().ok()
}

/// Whether `url` may be fetched: http(s), and (unless private addresses are allowed) not on
/// loopback or a private network, by name or by any address the name resolves to.
fn reachable(url: &Url, allow_private: bool, redirected: bool) -> Result<(), UrlFinding> {
    let shown = &redact(url.as_str());
    let hop = if redirected {
        " (a redirect leads there)"
    } else {
        ""
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlFinding::error(
            Code::UrlRedirect,
            format!(
                "'{shown}'{hop} uses the scheme '{}:'; players fetch only http(s)",
                url.scheme()
            ),
        ));
    }
    if allow_private {
        return Ok(());
    }
    let private = |why: &str, ip: Option<IpAddr>| {
        let resolved = ip.map(|ip| format!(" (it resolves to {ip})")).unwrap_or_default();
        UrlFinding::error(
            Code::PrivateUrl,
            format!(
                "'{shown}'{hop} points at {why}{resolved}, which the platform cannot reach. Host the file publicly"
            ),
        )
    };
    let addresses: Vec<IpAddr> = match url.host() {
        None => return Ok(()),
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => {
            let lower = name.trim_end_matches('.').to_ascii_lowercase();
            if lower == "localhost" || lower.ends_with(".localhost") {
                return Err(private("localhost", None));
            }
            let port = url.port_or_known_default().unwrap_or(443);
            match (name, port).to_socket_addrs() {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                Err(e) => {
                    return Err(UrlFinding::error(
                        Code::UrlError,
                        format!(
                            "'{shown}'{hop} could not be fetched: DNS: the host name does not resolve ({e}). Check the host name"
                        ),
                    ));
                }
            }
        }
    };
    match addresses
        .iter()
        .find_map(|&ip| private_ip(ip).map(|why| (why, ip)))
    {
        Some((why, ip)) => Err(private(why, Some(ip))),
        None => Ok(()),
    }
}

fn status_finding(status: u16, shown: &str, retried: bool) -> UrlFinding {
    match status {
        404 | 410 => UrlFinding::error(
            Code::UrlNotFound,
            format!(
                "'{shown}' answers HTTP {status}: there is no file at this URL. Upload it, or fix the line"
            ),
        ),
        401 | 403 => UrlFinding::error(
            Code::UrlForbidden,
            format!(
                "'{shown}' answers HTTP {status}: the file is not public, or its signature is wrong or expired. \
                 Make it readable without credentials, or sign the URL again"
            ),
        ),
        _ => UrlFinding::error(
            Code::UrlError,
            format!(
                "'{shown}' answers HTTP {status}{}. Check the server",
                if retried { " (still, after retries)" } else { "" }
            ),
        ),
    }
}

fn expiry_finding(url: &Url, shown: &str, valid_for: Duration) -> Option<UrlFinding> {
    let now = signed::now_secs();
    match signed::expiry(url) {
        Expiry::Unsigned => None,
        Expiry::Unknown(scheme) => Some(UrlFinding::warning(
            Code::UrlExpires,
            format!(
                "'{shown}' is a signed URL ({scheme}) whose expiry cannot be read from it; it may stop working \
                 during the test. Check when it expires"
            ),
        )),
        Expiry::At(at, scheme) if at <= now => Some(UrlFinding::error(
            Code::UrlExpires,
            format!(
                "'{shown}' is a signed URL ({scheme}) that expired on {}. Sign it again, valid for the whole test",
                signed::show_time(at)
            ),
        )),
        Expiry::At(at, scheme) if at < now.saturating_add(valid_for.as_secs()) => Some(UrlFinding::error(
            Code::UrlExpires,
            format!(
                "'{shown}' is a signed URL ({scheme}) that expires on {}, in {}: sooner than the {} it must \
                 keep working (--valid-for). Sign it again for longer",
                signed::show_time(at),
                signed::show_duration(Duration::from_secs(at - now)),
                signed::show_duration(valid_for)
            ),
        )),
        Expiry::At(..) => None,
    }
}

fn cors_finding(allowed: Option<&str>, origin: &str, shown: &str) -> Option<UrlFinding> {
    let allowed = allowed.map(str::trim);
    if allowed.is_some_and(|a| a == "*" || a.eq_ignore_ascii_case(origin)) {
        return None;
    }
    let got = match allowed {
        Some(other) => format!("allows only '{other}'"),
        None => "sends no Access-Control-Allow-Origin".to_string(),
    };
    Some(UrlFinding::warning(
        Code::NoCors,
        format!(
            "'{shown}' {got} for the origin {origin}: Web Audio players there cannot read the file. \
             Allow that origin (or *) in the host's CORS settings"
        ),
    ))
}

fn content_type_finding(
    content_type: Option<&str>,
    extension: &str,
    media: Option<MediaKind>,
    shown: &str,
) -> Option<UrlFinding> {
    let media = media.filter(|m| matches!(m, MediaKind::Audio | MediaKind::Image | MediaKind::Video))?;
    let essence = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    let (top, sub) = essence.split_once('/')?;
    let page = top == "text" || matches!(sub, "json" | "xml" | "xhtml+xml" | "html");
    // `.mp4`/`.m4a` and Ogg hold audio or video alike; `application/octet-stream` and
    // `application/ogg`/`application/mp4` are neutral.
    let other_kind = match (top, media) {
        ("image", MediaKind::Image) | ("audio" | "video", MediaKind::Audio | MediaKind::Video) => false,
        ("image" | "audio" | "video", _) => true,
        _ => false,
    };
    if !page && !other_kind {
        return None;
    }
    let why = if page {
        "usually an error or login page served in place of the file"
    } else {
        "another kind of media"
    };
    Some(UrlFinding::warning(
        Code::ContentTypeMismatch,
        format!(
            "'{shown}' is served as '{essence}' ({why}) though '.{extension}' is {}. Check the file on the \
             server, and have it served with the right Content-Type",
            media.as_str()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(content_range_total("bytes 0-99/1234"), Some(1234));
        assert_eq!(content_range_total("bytes */0"), Some(0));
        assert_eq!(content_range_total("bytes 0-99/*"), None);
    }

    #[test]
    fn html_for_a_wav_is_a_mismatch_and_octet_stream_is_not() {
        let f = |ct| content_type_finding(Some(ct), "wav", Some(MediaKind::Audio), "u");
        assert!(f("text/html; charset=utf-8").is_some());
        assert!(f("image/png").is_some());
        assert!(f("application/octet-stream").is_none());
        assert!(f("audio/x-wav").is_none());
        assert!(f("video/mp4").is_none());
    }

    #[test]
    fn cors_wildcard_or_the_origin_passes() {
        assert!(cors_finding(Some("*"), DEFAULT, "u").is_none());
        assert!(cors_finding(Some(DEFAULT), DEFAULT, "u").is_none());
        assert!(cors_finding(Some("https://other.example"), DEFAULT, "u").is_some());
        assert!(cors_finding(None, DEFAULT, "u").is_some());
    }
    const DEFAULT: &str = crate::DEFAULT_ORIGIN;

    #[test]
    fn private_hosts_are_refused_after_dns_unless_allowed() {
        let u = Url::parse("http://127.0.0.1:8080/s/a.wav").unwrap();
        assert_eq!(reachable(&u, false, false).unwrap_err().code, Code::PrivateUrl);
        assert!(reachable(&u, true, false).is_ok());
        let u = Url::parse("http://localhost:8080/s/a.wav").unwrap();
        assert_eq!(reachable(&u, false, true).unwrap_err().code, Code::PrivateUrl);
    }
}
