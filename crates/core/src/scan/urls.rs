//! Reading a `.txt` URL list: one URL per line; blank lines and `#` comments are skipped.
//! The last two path segments, percent-decoded, name the stimulus `source/condition.ext`;
//! the query string and fragment (signed URLs) play no part in the name.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use percent_encoding::percent_decode_str;
use url::{Host, Url};

use super::{Entry, Origin, Scan};
use crate::error::InputError;
use crate::report::{Code, InputKind, Issue};

/// The most that is read of a URL list: 256 MiB, some two million URLs. Anything longer is
/// refused rather than read into memory (a `.txt` linked to `/dev/zero` never ends).
pub const MAX_URL_LIST_BYTES: u64 = 256 << 20;

/// Reads a URL list into entries, one per usable line, with findings for the other lines.
/// URLs on loopback and private networks are accepted when `allow_private` is set
/// (`check --online --allow-private`, for local test servers).
pub fn scan_with(path: &Path, allow_private: bool) -> Result<Scan, InputError> {
    let bytes = read_capped(path, MAX_URL_LIST_BYTES)?;
    let (entries, issues) = parse_with(&bytes, allow_private);
    Ok(Scan {
        kind: InputKind::UrlList,
        root: path.to_path_buf(),
        entries,
        folders: Vec::new(),
        issues,
        zip: None,
    })
}

/// Reads a regular file of at most `limit` bytes; a special file or a longer one is refused
/// without reading past the limit.
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    if super::regular_metadata(path)?.len() > limit {
        return Err(too_large(path, limit));
    }
    let file = File::open(path).map_err(|e| InputError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    read_limited(file, path, limit)
}

fn too_large(path: &Path, limit: u64) -> InputError {
    InputError::TooLarge {
        path: path.to_path_buf(),
        limit_mib: limit >> 20,
    }
}

/// Reads all of `input` (a URL list named `path` in messages), refusing more than `limit`
/// bytes even when the input grows while it is read, or is a stream without a size.
pub(crate) fn read_limited(input: impl Read, path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    input
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

/// Parses the text of a URL list.
pub fn parse(bytes: &[u8]) -> (Vec<Entry>, Vec<Issue>) {
    parse_with(bytes, false)
}

/// [`parse`], with private and loopback hosts accepted when `allow_private` is set.
pub fn parse_with(bytes: &[u8], allow_private: bool) -> (Vec<Entry>, Vec<Issue>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut entries = Vec::new();
    let mut issues = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            issues.push(
                Issue::error(
                    Code::InvalidUrl,
                    None,
                    "the line is not UTF-8 text. Save the list as UTF-8",
                )
                .at_line(line_no),
            );
            continue;
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match read_line(text, allow_private) {
            Ok((name, warning)) => {
                if let Some(first) = first_line_of.get(text) {
                    issues.push(
                        Issue::error(
                            Code::DuplicateUrl,
                            name,
                            format!("the same URL is already on line {first}. Remove one of the two lines"),
                        )
                        .at_line(line_no),
                    );
                    continue;
                }
                first_line_of.insert(text.to_string(), line_no);
                if let Some(w) = warning {
                    issues.push(w.at_line(line_no));
                }
                entries.push(Entry {
                    path: name,
                    origin: Origin::Url {
                        url: text.to_string(),
                        line: line_no,
                    },
                    bytes: None,
                });
            }
            Err(issue) => issues.push(issue.at_line(line_no)),
        }
    }
    (entries, issues)
}

/// Reads one URL: the stimulus name it gives, or the finding that makes it unusable.
fn read_line(text: &str, allow_private: bool) -> Result<(String, Option<Issue>), Issue> {
    let shown = redact(text);
    let url = Url::parse(text).map_err(|e| {
        Issue::error(
            Code::InvalidUrl,
            None,
            format!(
                "'{shown}' is not a URL ({e}). Write one full URL per line, like https://host/source_1/a.wav"
            ),
        )
    })?;
    let mut warning = None;
    match url.scheme() {
        "https" => {}
        "http" => {
            warning = Some(Issue::warning(
                Code::InsecureUrl,
                None,
                format!(
                    "'{shown}' uses plain http; the platform expects https. Serve the file over https if you can"
                ),
            ))
        }
        other => {
            return Err(Issue::error(
                Code::UnsupportedScheme,
                None,
                format!("'{shown}' uses the scheme '{other}:'; the platform fetches only http(s) URLs"),
            ));
        }
    }
    if let Some(why) = url
        .host()
        .and_then(|h| private_host(&h))
        .filter(|_| !allow_private)
    {
        return Err(Issue::error(
            Code::PrivateUrl,
            None,
            format!("'{shown}' points at {why}, which the platform cannot reach. Host the file publicly"),
        ));
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    let too_short = |what: &str| {
        Issue::error(
            Code::UrlPathTooShort,
            None,
            format!(
                "'{shown}' {what}; the last two path segments name the stimulus, as in \
                 https://host/.../source_1/condition_a.wav"
            ),
        )
    };
    let [.., source, file] = segments.as_slice() else {
        return Err(too_short("has fewer than two path segments"));
    };
    if file.is_empty() {
        return Err(too_short("ends with '/' and has no file name"));
    }
    if source.is_empty() {
        return Err(Issue::error(
            Code::UnsafePath,
            None,
            format!(
                "'{shown}' has an empty path segment ('//') where the source folder belongs; the \
                 stimulus would have no source. Remove the extra '/'"
            ),
        ));
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8().map(|c| c.into_owned());
    let (Ok(source), Ok(file)) = (decode(source), decode(file)) else {
        return Err(Issue::error(
            Code::InvalidUrl,
            None,
            format!("'{shown}' has a path that is not UTF-8 once percent-decoded. Rename the hosted file"),
        ));
    };
    for part in [&source, &file] {
        if let Some(why) = unsafe_segment(part) {
            return Err(Issue::error(
                Code::UnsafePath,
                None,
                format!(
                    "'{shown}' decodes to the name '{}', {why}; it is not a safe file name in an \
                     archive. Rename the hosted file",
                    part.escape_debug()
                ),
            ));
        }
    }
    if source.contains('/') || file.contains('/') {
        return Err(Issue::error(
            Code::InvalidUrl,
            None,
            format!("'{shown}' has an encoded '/' (%2F) in its last two segments. Rename the hosted file"),
        ));
    }
    Ok((format!("{source}/{file}"), warning))
}

/// Why a percent-decoded path segment is not a safe file or folder name, if it is not.
fn unsafe_segment(segment: &str) -> Option<&'static str> {
    if segment.contains('\0') {
        Some("which holds a NUL character")
    } else if segment.chars().any(char::is_control) {
        Some("which holds a control character (such as ESC, CR or LF)")
    } else if segment.contains('\\') {
        Some("which holds a backslash (a Windows path separator)")
    } else if segment == ".." || segment == "." {
        Some("a '.' or '..' segment that points outside its folder")
    } else {
        None
    }
}

/// The URL without its query string and fragment: signed URLs carry secrets there.
pub fn redact(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// Why a host cannot be fetched by the platform, if it cannot.
fn private_host(host: &Host<&str>) -> Option<&'static str> {
    let ip = match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Some("localhost");
            }
            if d.ends_with(".local") || d.ends_with(".internal") || !d.contains('.') {
                return Some("a local network name");
            }
            return None;
        }
        Host::Ipv4(v4) => IpAddr::V4(*v4),
        Host::Ipv6(v6) => IpAddr::V6(*v6),
    };
    private_ip(ip)
}

/// Why an address cannot be fetched by the platform (loopback, private, link-local, ...), if
/// it cannot: the rule for URL hosts, applied to addresses a name resolves to.
pub fn private_ip(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => private_v4(v4),
            None => private_v6(v6),
        },
    }
}

fn private_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if ip.is_loopback() || ip.is_unspecified() {
        Some("this machine (loopback)")
    } else if ip.is_private() || ip.is_link_local() || ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64
    {
        Some("a private network address")
    } else {
        None
    }
}

fn private_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() || ip.is_unspecified() {
        Some("this machine (loopback)")
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
        Some("a private network address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Result<String, Code> {
        read_line(line, false).map(|(n, _)| n).map_err(|i| i.code)
    }

    #[test]
    fn names_come_from_the_last_two_path_segments() {
        assert_eq!(
            one("https://cdn.example.com/x/source_1/method_a.wav"),
            Ok("source_1/method_a.wav".into())
        );
        assert_eq!(
            one("https://cdn.example.com/s%20one/m%C3%A9thode.wav?X-Amz-Signature=abc#t=1"),
            Ok("s one/méthode.wav".into())
        );
    }

    #[test]
    fn bad_lines_get_their_own_codes() {
        assert_eq!(one("not a url"), Err(Code::InvalidUrl));
        assert_eq!(
            one("ftp://host.example.com/a/b.wav"),
            Err(Code::UnsupportedScheme)
        );
        assert_eq!(one("https://host.example.com/b.wav"), Err(Code::UrlPathTooShort));
        assert_eq!(one("https://host.example.com/a/"), Err(Code::UrlPathTooShort));
        assert_eq!(one("https://localhost/a/b.wav"), Err(Code::PrivateUrl));
        assert_eq!(one("https://192.168.1.4/a/b.wav"), Err(Code::PrivateUrl));
        assert_eq!(one("https://[::1]/a/b.wav"), Err(Code::PrivateUrl));
        assert_eq!(one("https://a.example.com/a%2Fb/c.wav"), Err(Code::InvalidUrl));
    }

    /// Item 5 of issue 8: decoded names that are not safe paths were accepted as stimuli.
    #[test]
    fn url_names_with_control_characters_backslashes_or_dot_segments_are_unsafe_paths() {
        for line in [
            "https://h.example.com/s/a%00.wav",
            "https://h.example.com/s/%1B%5B2J.wav",
            "https://h.example.com/s/a%0D%0Ab.wav",
            "https://h.example.com/s/a%7F.wav",
            "https://h.example.com/s/a%C2%9B.wav",
            "https://h.example.com/s%5Cx/a.wav",
            "https://h.example.com/s/..%5Ca.wav",
            "https://h.example.com/x//a.wav",
        ] {
            let issue = read_line(line, false).map(|(n, _)| n).unwrap_err();
            assert_eq!(issue.code, Code::UnsafePath, "{line}: {}", issue.message);
            assert!(
                !issue.message.chars().any(|c| c.is_control()),
                "{line}: {:?}",
                issue.message
            );
        }
        // The URL parser resolves dot segments, encoded or not, before the name is taken...
        assert_eq!(one("https://h.example.com/s/x/../a.wav"), Ok("s/a.wav".into()));
        assert_eq!(
            one("https://h.example.com/s/x/%2E%2E/y/a.wav"),
            Ok("y/a.wav".into())
        );
        assert_eq!(one("https://h.example.com/s/x/.%2e/a.wav"), Ok("s/a.wav".into()));
        // ...and the name check refuses them should one ever get through.
        assert!(unsafe_segment("..").is_some() && unsafe_segment(".").is_some());
        assert_eq!(one("https://h.example.com/s/a..b.wav"), Ok("s/a..b.wav".into()));
    }

    /// Item 4 of issue 8: a URL list was read whole, however long.
    #[test]
    fn url_lists_are_read_up_to_the_limit_only() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("list.txt");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_capped(&path, 10).unwrap(), b"0123456789");
        assert!(matches!(read_capped(&path, 9), Err(InputError::TooLarge { .. })));
    }

    #[test]
    fn comments_blanks_duplicates_and_line_numbers() {
        let text = b"\xEF\xBB\xBF# my list\n\nhttps://h.example.com/s/a.wav\r\nhttp://h.example.com/s/b.wav\nhttps://h.example.com/s/a.wav\n";
        let (entries, issues) = parse(text);
        assert_eq!(
            entries
                .iter()
                .map(|e| (e.path.as_str(), e.line()))
                .collect::<Vec<_>>(),
            [("s/a.wav", Some(3)), ("s/b.wav", Some(4))]
        );
        let found: Vec<_> = issues.iter().map(|i| (i.code, i.line)).collect();
        assert_eq!(
            found,
            [(Code::InsecureUrl, Some(4)), (Code::DuplicateUrl, Some(5))]
        );
    }

    #[test]
    fn messages_never_show_the_query_string() {
        let issue = read_line("ftp://h.example.com/s/a.wav?Signature=SECRET", false).unwrap_err();
        assert!(!issue.message.contains("SECRET"), "{}", issue.message);
    }
}
