//! Probing hosted files (`check --online`): the checker reads a URL through a [`UrlOpener`]
//! that the caller provides, with the same probers as local files. Core itself never touches
//! the network; `stimpack-online` implements the opener over HTTP range requests.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::analyze::MediaDetails;
use crate::probe::{self, Finding, Probe};
use crate::report::{Code, MediaKind, Severity};
use crate::sniff::{self, ExtensionKind};

/// The bytes of one hosted file, read at any offset (`Read + Seek`, like a local file).
pub trait RemoteFile: Read + Seek + Send {
    /// The file's full length in bytes, as the server gave it.
    fn len(&self) -> u64;
    /// True when the file has no bytes (never for an opened file: see [`UrlOpener::open`]).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// How many bytes were read before the download cap stopped the reads, when it did: the
    /// probers then saw only that much of the file, and readings are estimated from it.
    fn capped_at(&self) -> Option<u64>;
}

/// A finding about a URL (its status, headers, signature, redirects, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlFinding {
    /// Error or warning.
    pub severity: Severity,
    /// The finding's code (`url-not-found`, `no-cors`, ...).
    pub code: Code,
    /// What is wrong and what to do.
    pub message: String,
}

impl UrlFinding {
    /// An error.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        UrlFinding {
            severity: Severity::Error,
            code,
            message: message.into(),
        }
    }

    /// A warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        UrlFinding {
            severity: Severity::Warning,
            code,
            message: message.into(),
        }
    }
}

/// What opening a URL gave.
pub enum Opened {
    /// The file can be read; with the findings about the URL so far (warnings, or errors that
    /// still leave the bytes readable, such as a signature that expires soon).
    File(Box<dyn RemoteFile>, Vec<UrlFinding>),
    /// The file cannot be read: the findings say why (at least one error).
    Failed(Vec<UrlFinding>),
}

/// Opens a URL as a readable source. Implemented over HTTP by `stimpack-online`; tests may
/// implement it over anything.
pub trait UrlOpener: Send + Sync {
    /// Opens `url`, whose stimulus has the lower-case `extension` (which promises `media`,
    /// when it is a media extension). An empty file is opened with length 0; the probe reports
    /// it as `empty-file`.
    fn open(&self, url: &str, extension: &str, media: Option<MediaKind>) -> Opened;
}

/// Whether probing a hosted file with this lower-case extension reads the file's end as well as
/// its head: FLAC, MP3, ADTS, Ogg, MP4/M4A/MOV, PNG, JPEG, GIF and TIFF do (last frame, tags,
/// `moov` when it comes last, trailers); WAV, AIFF, BMP and WebP, whose headers give their
/// sizes, do not. An opener that can ask for both ends in one request (two ranges) saves a
/// round trip per file with it.
pub fn probe_reads_end(extension: &str) -> bool {
    matches!(sniff::extension_kind(extension), Some(ExtensionKind::Media(_, c)) if probe::reads_end(c))
}

/// `check --online`: how hosted files are read. Set with
/// [`CheckOptions::with_online`](crate::CheckOptions::with_online).
#[derive(Clone)]
pub struct Online {
    opener: Arc<dyn UrlOpener>,
    concurrency: usize,
    allow_private: bool,
}

/// How many URLs are probed at once, unless told otherwise (the global limit; the opener
/// keeps its own per-host limit).
pub const DEFAULT_ONLINE_CONCURRENCY: usize = 32;

impl Online {
    /// Reads hosted files through `opener`, [`DEFAULT_ONLINE_CONCURRENCY`] at once.
    pub fn new(opener: Arc<dyn UrlOpener>) -> Self {
        Online {
            opener,
            concurrency: DEFAULT_ONLINE_CONCURRENCY,
            allow_private: false,
        }
    }

    /// How many URLs are probed at once (at least 1).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Accepts URLs on loopback and private networks (for local test servers); the opener
    /// must be told the same.
    pub fn with_allow_private(mut self, yes: bool) -> Self {
        self.allow_private = yes;
        self
    }

    /// How many URLs are probed at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Whether private and loopback URLs are accepted.
    pub fn allow_private(&self) -> bool {
        self.allow_private
    }
}

impl fmt::Debug for Online {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Online")
            .field("concurrency", &self.concurrency)
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Online {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.opener, &other.opener)
            && self.concurrency == other.concurrency
            && self.allow_private == other.allow_private
    }
}

/// Probes one hosted file: its probe (readings and findings, the URL's own first) and its
/// length when the server gave one.
pub(crate) fn probe_url(online: &Online, url: &str, extension: &str) -> (Probe, Option<u64>, MediaDetails) {
    let media = sniff::extension_kind(extension).map(ExtensionKind::media);
    let (mut file, url_findings) = match online.opener.open(url, extension, media) {
        Opened::File(file, findings) => (file, findings),
        Opened::Failed(findings) => {
            let mut probe = probe::from_extension(extension);
            probe.media = probe.media.or(media);
            probe.findings.extend(findings.into_iter().map(to_finding));
            return (probe, None, MediaDetails::default());
        }
    };
    let len = file.len();
    // Every read is a request: an MP3 with a length header is not read through.
    let options = probe::ProbeOptions { costly_reads: true };
    let mut probe = probe::probe_with(&mut file, len, extension, options);
    let mut findings: Vec<Finding> = url_findings.into_iter().map(to_finding).collect();
    if let Some(read) = file.capped_at() {
        estimate(&mut probe, len, read);
    }
    // The header details a local file gets (video profile, pixel format, picture colour, ...),
    // read through the same file: its blocks are cached, so this costs few or no requests.
    let mut details = MediaDetails::default();
    if let (Some(media), Some(reading)) = (probe.media, &probe.reading) {
        let file = &mut file;
        let open = move || {
            file.seek(SeekFrom::Start(0))?;
            Ok((file, len))
        };
        let inspect = || crate::analyze::playability::inspect(media, reading, open);
        if let Ok((d, mut found)) = catch_unwind(AssertUnwindSafe(inspect)) {
            details = d;
            probe.findings.append(&mut found);
        }
    }
    findings.append(&mut probe.findings);
    probe.findings = findings;
    (probe, Some(len), details)
}

/// The download cap stopped the reads after `read` of `len` bytes. For an MP3 or ADTS file,
/// whose every frame header is walked, what the probers took for the end of the file is the
/// cap, so the duration is scaled to the whole length and marked estimated. Any other format
/// (an Ogg page walk, a huge MP4 box) is not scaled: its readings are said to be partial.
fn estimate(probe: &mut Probe, len: u64, read: u64) {
    let walked = probe.reading.as_ref().is_some_and(|r| {
        use crate::probe::ContainerFormat as F;
        matches!(r.format, F::Mp1 | F::Mp2 | F::Mp3 | F::Aac)
    });
    if probe.reading.is_some() {
        probe.findings.retain(|f| {
            let cut = matches!(
                f.code,
                Code::TruncatedAudio | Code::CorruptAudio | Code::TrailingData
            );
            !(cut || f.code == Code::InvalidMedia && f.severity == Severity::Warning)
        });
    }
    let mb = |b: u64| b as f64 / 1e6;
    let scaled = probe.reading.as_mut().filter(|_| walked).and_then(|r| {
        let d = r.duration_s.as_mut()?;
        if read > 0 {
            *d *= len as f64 / read as f64;
        }
        Some(*d)
    });
    let message = match scaled {
        Some(d) => format!(
            "the file ({:.1} MB) is measured by reading every frame header, and that would take \
             more than the download cap: the duration ({d:.1} s) is estimated from the first {:.1} MB. \
             Raise --max-download to measure it exactly",
            mb(len),
            mb(read)
        ),
        None => format!(
            "the file ({:.1} MB) needed more reading than the download cap allows: only the first \
             {:.1} MB were read, so its readings may be incomplete. Raise --max-download to measure it exactly",
            mb(len),
            mb(read)
        ),
    };
    probe.findings.push(Finding {
        severity: Severity::Warning,
        code: Code::EstimatedReading,
        message,
    });
}

fn to_finding(f: UrlFinding) -> Finding {
    Finding {
        severity: f.severity,
        code: f.code,
        message: f.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, Cursor, SeekFrom};

    /// A remote file held in memory, that stops reading at a cap like the HTTP reader does.
    struct Memory {
        bytes: Cursor<Vec<u8>>,
        len: u64,
        cap: u64,
        capped: bool,
    }

    impl Read for Memory {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let pos = self.bytes.position();
            if pos >= self.cap {
                self.capped = true;
                return Ok(0);
            }
            let n = buf.len().min((self.cap - pos) as usize);
            self.bytes.read(&mut buf[..n])
        }
    }

    impl Seek for Memory {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.bytes.seek(to)
        }
    }

    impl RemoteFile for Memory {
        fn len(&self) -> u64 {
            self.len
        }
        fn capped_at(&self) -> Option<u64> {
            self.capped.then_some(self.cap)
        }
    }

    struct OneFile(Vec<u8>, u64);

    impl UrlOpener for OneFile {
        fn open(&self, _: &str, _: &str, _: Option<MediaKind>) -> Opened {
            let file = Memory {
                len: self.0.len() as u64,
                bytes: Cursor::new(self.0.clone()),
                cap: self.1,
                capped: false,
            };
            Opened::File(Box::new(file), vec![UrlFinding::warning(Code::NoCors, "no CORS")])
        }
    }

    fn mp3() -> Vec<u8> {
        crate::test_fixtures::fixture("mp3/vbr_noxing.mp3")
    }

    #[test]
    fn a_hosted_file_is_probed_like_a_local_one_with_the_url_findings_first() {
        let bytes = mp3();
        let local = probe::probe(&mut Cursor::new(&bytes), bytes.len() as u64, "mp3");
        let online = Online::new(Arc::new(OneFile(bytes.clone(), u64::MAX)));
        let (probe, len, _) = probe_url(&online, "https://h/s/a.mp3", "mp3");
        assert_eq!(len, Some(bytes.len() as u64));
        assert_eq!(probe.reading, local.reading);
        assert_eq!(probe.findings[0].code, Code::NoCors);
        assert_eq!(probe.findings[1..], local.findings[..]);
    }

    #[test]
    fn an_mp3_cut_off_by_the_download_cap_is_estimated_not_truncated() {
        let bytes = mp3();
        let local = probe::probe(&mut Cursor::new(&bytes), bytes.len() as u64, "mp3");
        let whole = local.reading.unwrap().duration_s.unwrap();
        let half = bytes.len() as u64 / 2;
        let online = Online::new(Arc::new(OneFile(bytes, half)));
        let (probe, _, _) = probe_url(&online, "https://h/s/a.mp3", "mp3");
        let codes: Vec<Code> = probe.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [Code::NoCors, Code::EstimatedReading],
            "{:?}",
            probe.findings
        );
        let estimated = probe.reading.unwrap().duration_s.unwrap();
        assert!((estimated - whole).abs() / whole < 0.2, "{estimated} vs {whole}");
    }
}
