//! Opening one URL: its signature's expiry, its redirects (each hop checked for private
//! addresses, after DNS), the first answer's status, length, `Content-Type`, CORS and range
//! support, each turned into a finding that says what to do.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use stimpack_core::{Code, MediaKind, Opened, UrlFinding, private_ip};
use url::{Host, Url};

use crate::fetch::Failure;
use crate::file::{HttpFile, Source};
use crate::signed::{self, Expiry};
use crate::{HEAD_BYTES, HttpOpener};

/// More redirects than this is an error (browsers give up at around 20; a dataset's URL that
/// needs more than a few is broken).
pub const MAX_REDIRECTS: usize = 5;

/// The URL without its query string and fragment: signed URLs carry secrets there.
fn redact(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

pub(crate) fn open(opener: &HttpOpener, url: &str, extension: &str, media: Option<MediaKind>) -> Opened {
    let options = &opener.options;
    let shown = redact(url).to_string();
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

    let mut current = parsed;
    let mut seen = vec![current.to_string()];
    let response = loop {
        if let Err(f) = reachable(&current, options.allow_private, seen.len() > 1) {
            findings.push(f);
            return Opened::Failed(findings);
        }
        let head_bytes = HEAD_BYTES.min(options.max_download);
        let response = match opener.http.get(current.as_str(), Some((0, head_bytes))) {
            Ok(r) => r,
            Err(Failure::Status(status)) => {
                findings.push(status_finding(status, &shown, true));
                return Opened::Failed(findings);
            }
            Err(Failure::Transport(why)) => {
                if seen.len() == 1 {
                    opener.hosts.mark_dead(&host_key, &why);
                }
                findings.push(UrlFinding::error(
                    Code::UrlError,
                    format!(
                        "'{shown}' could not be fetched: {why}. Check the host name and that the server is up"
                    ),
                ));
                return Opened::Failed(findings);
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
            return Opened::Failed(findings);
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
            return Opened::Failed(findings);
        }
        seen.push(next.to_string());
        if seen.len() > MAX_REDIRECTS + 1 {
            findings.push(UrlFinding::error(
                Code::UrlRedirect,
                format!(
                    "'{shown}' redirects more than {MAX_REDIRECTS} times; players give up. List the final URL instead"
                ),
            ));
            return Opened::Failed(findings);
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
        findings.push(status_finding(status, &shown, false));
        return Opened::Failed(findings);
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Some(origin) = &options.origin {
        findings.extend(cors_finding(
            header("access-control-allow-origin").as_deref(),
            origin,
            &shown,
        ));
    }
    findings.extend(content_type_finding(
        header("content-type").as_deref(),
        extension,
        media,
        &shown,
    ));
    let final_url = current.to_string();
    let http = Arc::clone(&opener.http);
    let range_total = header("content-range").as_deref().and_then(content_range_total);
    match status {
        416 => match range_total {
            // The only file that has no byte 0.
            Some(0) => Opened::File(
                Box::new(HttpFile::new(
                    http,
                    final_url,
                    shown,
                    0,
                    Vec::new(),
                    Source::Ranges,
                    options.max_download,
                    permit,
                )),
                findings,
            ),
            _ => {
                findings.push(UrlFinding::error(
                    Code::UrlError,
                    format!("'{shown}' refuses a request for its first bytes (HTTP 416) though it is not empty. Check the server"),
                ));
                Opened::Failed(findings)
            }
        },
        206 => {
            let Some(len) = range_total else {
                findings.push(UrlFinding::error(
                    Code::UrlError,
                    format!("'{shown}' answers a range without saying the file's length (Content-Range). Check the server"),
                ));
                return Opened::Failed(findings);
            };
            let mut response = response;
            let head = match response
                .body_mut()
                .with_config()
                .limit(HEAD_BYTES.min(options.max_download))
                .read_to_vec()
            {
                Ok(head) => head,
                Err(e) => {
                    findings.push(UrlFinding::error(
                        Code::UrlError,
                        format!(
                            "'{shown}' could not be read: {}. Try again later",
                            crate::fetch::transport_words(&e)
                        ),
                    ));
                    return Opened::Failed(findings);
                }
            };
            opener
                .http
                .stats
                .bytes
                .fetch_add(head.len() as u64, std::sync::atomic::Ordering::Relaxed);
            let file = HttpFile::new(
                http,
                final_url,
                shown,
                len,
                head,
                Source::Ranges,
                options.max_download,
                permit,
            );
            Opened::File(Box::new(file), findings)
        }
        _ => {
            findings.push(UrlFinding::warning(
                Code::NoRangeSupport,
                format!(
                    "'{shown}' ignores Range requests (it answers the whole file): players cannot seek in it, \
                     and each replay downloads it again. Serve it from a host or CDN that supports ranges"
                ),
            ));
            let declared = response.body().content_length();
            let mut reader = response.into_body().into_reader();
            let cap = options.max_download;
            let mut head = Vec::new();
            let limit = match declared {
                Some(_) => HEAD_BYTES.min(cap),
                // No length: the whole answer is read (up to the cap) to learn it.
                None => cap.saturating_add(1),
            };
            if let Err(e) =
                std::io::Read::read_to_end(&mut std::io::Read::take(&mut reader, limit), &mut head)
            {
                findings.push(UrlFinding::error(
                    Code::UrlError,
                    format!("'{shown}' could not be read: {e}. Try again later"),
                ));
                return Opened::Failed(findings);
            }
            opener
                .http
                .stats
                .bytes
                .fetch_add(head.len() as u64, std::sync::atomic::Ordering::Relaxed);
            let (len, rest) = match declared {
                Some(len) => (len, Some(reader)),
                None if head.len() as u64 > cap => {
                    findings.push(UrlFinding::error(
                        Code::UrlError,
                        format!(
                            "'{shown}' is sent without a length and is longer than --max-download ({cap} bytes). \
                             Serve it with a Content-Length, or raise --max-download"
                        ),
                    ));
                    return Opened::Failed(findings);
                }
                None => (head.len() as u64, None),
            };
            let file = HttpFile::new(
                http,
                final_url,
                shown,
                len,
                head,
                Source::Stream(rest),
                cap,
                permit,
            );
            Opened::File(Box::new(file), findings)
        }
    }
}

/// The total length in a `Content-Range` header (`bytes 0-99/1234`, `bytes */1234`).
pub(crate) fn content_range_total(value: &str) -> Option<u64> {
    let (_, total) = value.trim().strip_prefix("bytes")?.trim().split_once('/')?;
    total.trim().parse().ok()
}

/// Whether `url` may be fetched: http(s), and (unless private addresses are allowed) not on
/// loopback or a private network, by name or by any address the name resolves to.
fn reachable(url: &Url, allow_private: bool, redirected: bool) -> Result<(), UrlFinding> {
    let shown = redact(url.as_str());
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
