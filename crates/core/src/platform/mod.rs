//! The platforms a dataset goes to, each with its own rules (extra findings on top of the
//! check) and its own export (the file its API takes). No network here: the uploads live in
//! `stimpack-client`, one module per platform.
//!
//! Mabyduck takes the dataset itself (a zip or a URL list, written by [`crate::pack`]); the
//! others show media by URL, so their exports are rows of [`ExportRow`]: one per stimulus,
//! with the URL it will be served at.

pub mod coactive;
pub mod datature;
pub mod prolific;

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;
use crate::report::{Code, Issue, MediaKind, Report, Role, Stimulus};

/// Where a dataset goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Mabyduck: subjective evaluation; takes a zip or a URL list (the default).
    #[default]
    Mabyduck,
    /// Prolific AI Task Builder: a CSV of datapoints, media shown by URL.
    Prolific,
    /// Datature Nexus batch prediction: an NDJSON list of image URLs.
    Datature,
    /// Coactive visual search: image and video assets by URL.
    Coactive,
}

/// A platform name that stimpack does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform '{0}'; use one of mabyduck, prolific, datature, coactive")]
pub struct UnknownPlatform(pub String);

impl Platform {
    /// Every platform, the default first.
    pub const ALL: &'static [Platform] = &[
        Platform::Mabyduck,
        Platform::Prolific,
        Platform::Datature,
        Platform::Coactive,
    ];

    /// The name used on the command line and in messages' keys: `prolific`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Mabyduck => "mabyduck",
            Platform::Prolific => "prolific",
            Platform::Datature => "datature",
            Platform::Coactive => "coactive",
        }
    }

    /// The name as the platform writes it: `Prolific`.
    pub fn title(self) -> &'static str {
        match self {
            Platform::Mabyduck => "Mabyduck",
            Platform::Prolific => "Prolific",
            Platform::Datature => "Datature",
            Platform::Coactive => "Coactive",
        }
    }

    /// True when the platform shows media by URL, so a folder needs a base URL to be exported.
    pub fn shows_media_by_url(self) -> bool {
        self != Platform::Mabyduck
    }

    /// The extension of the export file: `csv`, `ndjson`, `json` (`None` for Mabyduck, whose
    /// export is the packed dataset itself).
    pub fn export_extension(self) -> Option<&'static str> {
        match self {
            Platform::Mabyduck => None,
            Platform::Prolific => Some("csv"),
            Platform::Datature => Some("ndjson"),
            Platform::Coactive => Some("json"),
        }
    }

    /// The platform's findings for a checked report, added to its own; the counts and the
    /// verdict are computed again (and with `strict`, the new warnings are errors too).
    /// Mabyduck's rules are the check's own: its report comes back unchanged.
    pub fn apply_rules(self, report: Report, strict: bool) -> Report {
        let extra = match self {
            Platform::Mabyduck => return report,
            Platform::Prolific => prolific::findings(&report),
            Platform::Datature => datature::findings(&report),
            Platform::Coactive => coactive::findings(&report),
        };
        if extra.is_empty() {
            return report;
        }
        let Report {
            input,
            input_kind,
            groups,
            mut issues,
            ..
        } = report;
        issues.extend(extra);
        let mut report = Report::new(input, input_kind, groups, issues);
        if strict {
            report.make_strict();
        }
        report
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .iter()
            .copied()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPlatform(s.to_string()))
    }
}

/// One stimulus as the URL platforms take it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    /// `source/condition`: unique in a dataset.
    pub id: String,
    /// Where the platform fetches the media.
    pub url: String,
    /// The source (group).
    pub source: String,
    /// The condition.
    pub condition: String,
    /// Reference, anchor or condition.
    pub role: Role,
    /// Audio, image or video.
    pub media: MediaKind,
    /// Duration in seconds, when known.
    pub duration_s: Option<f64>,
    /// SHA-256 of the file, when known (not for URL lists: nothing is downloaded).
    pub sha256: Option<String>,
}

/// Why rows cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A stimulus of a folder or zip, with no base URL to serve it at.
    #[error(
        "`{path}` has no URL: {platform} shows media by URL. Host the dataset's folder and give its URL as the base URL (each file is then BASE/source/condition.ext), or use a URL list"
    )]
    NoUrl {
        /// The platform.
        platform: &'static str,
        /// The stimulus.
        path: String,
    },
    /// The base URL is not an absolute http(s) URL.
    #[error(
        "base URL `{0}` is not an http:// or https:// URL with a host; give the URL the dataset's folder is served at"
    )]
    BadBaseUrl(String),
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so a source or file name
/// is always one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `BASE/source/file.ext` for a stimulus path `source/file.ext`, each segment
/// percent-encoded (a space is `%20`, `/` inside a name cannot occur).
pub fn media_url(base_url: &str, path: &str) -> String {
    let mut url = base_url.trim_end_matches('/').to_string();
    for segment in path.split('/') {
        url.push('/');
        url.extend(utf8_percent_encode(segment, SEGMENT));
    }
    url
}

/// The base URL as a URL parser writes it (a space becomes `%20`), or why it cannot be one.
pub fn check_base_url(base_url: &str) -> Result<String, ExportError> {
    let parsed = url::Url::parse(base_url).map_err(|_| ExportError::BadBaseUrl(base_url.to_string()))?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    if ok {
        Ok(parsed.as_str().to_string())
    } else {
        Err(ExportError::BadBaseUrl(base_url.to_string()))
    }
}

/// The rows of a packed dataset, in the manifest's order (source, then path). A URL list's
/// stimuli keep their URLs; a folder's or zip's are served at `base_url`.
pub fn export_rows(
    platform: Platform,
    manifest: &Manifest,
    base_url: Option<&str>,
) -> Result<Vec<ExportRow>, ExportError> {
    let base_url = base_url.map(check_base_url).transpose()?;
    manifest
        .stimuli()
        .map(|s| row(platform, &s.stimulus, s.sha256.as_deref(), base_url.as_deref()))
        .collect()
}

fn row(
    platform: Platform,
    s: &Stimulus,
    sha256: Option<&str>,
    base_url: Option<&str>,
) -> Result<ExportRow, ExportError> {
    let url = match (&s.url, base_url) {
        (Some(url), _) => url.clone(),
        (None, Some(base)) => media_url(base, &s.path),
        (None, None) => {
            return Err(ExportError::NoUrl {
                platform: platform.title(),
                path: s.path.clone(),
            });
        }
    };
    Ok(ExportRow {
        id: format!("{}/{}", s.group, s.condition),
        url,
        source: s.group.clone(),
        condition: s.condition.clone(),
        role: s.role,
        media: s.media,
        duration_s: s.reading.duration_s,
        sha256: sha256.map(str::to_string),
    })
}

/// The role as written in exports: `reference`, `anchor`, `condition`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reference => "reference",
        Role::Anchor => "anchor",
        Role::Condition => "condition",
    }
}

/// The extension of a stimulus path, lower-cased (`jpg` for `s/a.JPG`).
pub(crate) fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// `format-not-accepted` for every stimulus that is an API request or an embedded script:
/// only Mabyduck runs those.
pub(crate) fn mabyduck_only_kinds(report: &Report, platform: Platform) -> Vec<Issue> {
    report
        .stimuli()
        .filter(|s| matches!(s.media, MediaKind::ApiRequest | MediaKind::Embedded))
        .map(|s| {
            Issue::error(
                Code::FormatNotAccepted,
                report.input_path(s),
                format!(
                    "{} stimuli ({}) run only on Mabyduck; {} takes media files by URL. Leave it out of this dataset",
                    s.media.as_str(),
                    extension(&s.path),
                    platform.title()
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>(), Ok(p));
        }
        assert_eq!("Prolific".parse::<Platform>(), Ok(Platform::Prolific));
        assert!("mturk".parse::<Platform>().is_err());
        assert_eq!(Platform::default(), Platform::Mabyduck);
    }

    #[test]
    fn media_urls_are_percent_encoded_per_segment() {
        assert_eq!(
            media_url("https://cdn.example.com/study/", "song 3/codec a+b.wav"),
            "https://cdn.example.com/study/song%203/codec%20a%2Bb.wav"
        );
        assert_eq!(media_url("https://h", "s/ä?.png"), "https://h/s/%C3%A4%3F.png");
    }

    #[test]
    fn base_urls_must_be_http_with_a_host() {
        assert_eq!(
            check_base_url("https://cdn.example.com/my study").unwrap(),
            "https://cdn.example.com/my%20study"
        );
        for bad in ["cdn.example.com", "ftp://h/x", "https://h/x?sig=1", "file:///tmp"] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }
}
