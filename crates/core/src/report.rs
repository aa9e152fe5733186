//! The report every command produces: groups of stimuli with their readings, and the findings.
//!
//! This is a public contract (`stimpack check --json` prints it, pipelines parse it): field names
//! and finding codes only ever gain members. Everything is sorted so that the same input always
//! gives the same bytes.

use std::fmt;

use serde::{Deserialize, Serialize};

impl fmt::Display for Severity {
    /// `error` or `warning`, as in reports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

impl fmt::Display for Code {
    /// The code as in reports: `truncated-audio`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding code that stimpack does not have.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding code '{0}'; the codes are listed in the README's findings table")]
pub struct UnknownCode(pub String);

impl std::str::FromStr for Code {
    type Err = UnknownCode;

    /// A code as written in reports (`truncated-audio`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

impl fmt::Display for Issue {
    /// One line, the place first: `speech_1/a.wav: error[truncated-audio] the file ends ...`;
    /// `line 3: <url>: ...` for URL lists, `(dataset): ...` for findings about the whole
    /// dataset, the first paths and how many more for a finding about several.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match (&self.path, self.paths.as_slice()) {
            (Some(path), _) => write!(f, "{path}: ")?,
            (None, []) if self.line.is_none() => f.write_str("(dataset): ")?,
            (None, []) => {}
            (None, paths) => {
                const SHOWN: usize = 3;
                f.write_str(&paths[..paths.len().min(SHOWN)].join(", "))?;
                if paths.len() > SHOWN {
                    write!(f, " and {} more", paths.len() - SHOWN)?;
                }
                f.write_str(": ")?;
            }
        }
        write!(f, "{}[{}] {}", self.severity, self.code, self.message)
    }
}

use crate::probe::Reading;

/// What kind of input a report describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A folder tree: top-level folders are sources.
    Folder,
    /// An existing `.zip` archive, read in place.
    Zip,
    /// A `.txt` file with one URL per line.
    UrlList,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The platform would reject the dataset, or the test built on it would be wrong.
    Error,
    /// Probably a mistake; the run still succeeds (unless `strict`).
    Warning,
}

/// The kind of a stimulus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Sound: WAV, AIFF, FLAC, MP3, Ogg Vorbis/Opus, AAC/M4A.
    Audio,
    /// Still pictures: PNG, JPEG, WebP, GIF, BMP, TIFF.
    Image,
    /// Moving pictures: MP4 / MOV.
    Video,
    /// A `.req.json` file: an API request whose answer is the stimulus.
    ApiRequest,
    /// A `.js` file: an embedded, interactive stimulus.
    Embedded,
}

impl MediaKind {
    /// The name used in reports and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::ApiRequest => "api_request",
            MediaKind::Embedded => "embedded",
        }
    }
}

/// What a stimulus is for in its group, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The reference (default name `reference`).
    Reference,
    /// An anchor (names given with `--anchor`).
    Anchor,
    /// Any other condition.
    Condition,
}

/// One stimulus: a file (or URL) that is one condition of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stimulus {
    /// Path inside the dataset, `source/condition.ext`, `/`-separated.
    pub path: String,
    /// The source (group) this stimulus belongs to: its folder name.
    pub group: String,
    /// The condition: the file name without its extension.
    pub condition: String,
    /// Reference, anchor or plain condition.
    pub role: Role,
    /// Audio, image, video, API request or embedded stimulus.
    pub media: MediaKind,
    /// What the probe read from the file: format, codec, size, duration, rate, channels,
    /// picture size, frame rate. Flattened: its fields are the record's own in JSON.
    #[serde(flatten)]
    pub reading: Reading,
    /// Header facts beyond the readings (video profile and pixel format, its audio codec,
    /// image colour type, ICC profile, orientation). Flattened.
    #[serde(flatten)]
    pub details: crate::analyze::MediaDetails,
    /// What `--analyze` measured in the decoded audio (all null without it). Flattened.
    #[serde(flatten)]
    pub levels: crate::analyze::AudioLevels,
    /// The URL, for URL lists.
    pub url: Option<String>,
}

/// One source folder and its stimuli.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The folder name; the platform's `group_id`.
    pub id: String,
    /// The folder's `config.json`, when it has a valid one.
    pub config: Option<serde_json::Value>,
    /// Stimuli sorted by path.
    pub stimuli: Vec<Stimulus>,
}

/// A finding: something wrong or suspicious, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine-readable code, see [`Code`].
    pub code: Code,
    /// The file or folder the finding is about, relative to the input (so it names a place
    /// that exists: under a wrapping folder it starts with that folder), or `None` for a
    /// finding about the whole dataset or about several paths (then see `paths`).
    pub path: Option<String>,
    /// 1-based line number, for URL lists.
    pub line: Option<u64>,
    /// What is wrong and what to do about it.
    pub message: String,
    /// For one finding that stands for the same problem in several places (experiment rules:
    /// twenty files of the wrong media are one finding): every path, sorted, and `path` is
    /// `None`. Empty, and left out of the JSON, for every other finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl Issue {
    /// An error about a path.
    pub fn error(code: Code, path: impl Into<Option<String>>, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            code,
            path: path.into(),
            line: None,
            message: message.into(),
            paths: Vec::new(),
        }
    }

    /// A warning about a path.
    pub fn warning(code: Code, path: impl Into<Option<String>>, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Warning,
            code,
            path: path.into(),
            line: None,
            message: message.into(),
            paths: Vec::new(),
        }
    }

    /// A finding of one severity and code, with its severity given.
    pub fn new(
        severity: Severity,
        code: Code,
        path: impl Into<Option<String>>,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            severity,
            ..Issue::error(code, path, message)
        }
    }

    /// The same finding, attached to a line of the input.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

/// Counts over the whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of groups (sources).
    pub groups: usize,
    /// Number of stimuli.
    pub stimuli: usize,
    /// Number of error findings.
    pub errors: usize,
    /// Number of warning findings.
    pub warnings: usize,
    /// Total duration of all stimuli with a known duration, in seconds.
    pub duration_s: f64,
    /// Total size of all stimuli with a known size, in bytes.
    pub bytes: u64,
}

/// The result of checking one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The input as given.
    pub input: String,
    /// Folder, zip or URL list.
    pub input_kind: InputKind,
    /// True when there are no errors.
    pub ok: bool,
    /// Counts.
    pub summary: Summary,
    /// Groups sorted by id.
    pub groups: Vec<Group>,
    /// Findings sorted by path, then line.
    pub issues: Vec<Issue>,
}

impl Report {
    /// Builds a report: sorts everything and computes the summary.
    pub fn new(input: String, input_kind: InputKind, mut groups: Vec<Group>, mut issues: Vec<Issue>) -> Self {
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        for g in &mut groups {
            g.stimuli.sort_by(|a, b| a.path.cmp(&b.path));
        }
        sort_issues(&mut issues);
        issues.dedup();
        let stimuli = groups.iter().map(|g| g.stimuli.len()).sum();
        let all = || groups.iter().flat_map(|g| g.stimuli.iter());
        // Summed in sorted order so the total is the same bytes on every run.
        let duration_s = round_seconds(all().filter_map(|s| s.reading.duration_s).fold(0.0, |a, b| a + b));
        let bytes = all().filter_map(|s| s.reading.bytes).sum();
        let errors = issues.iter().filter(|i| i.severity == Severity::Error).count();
        let warnings = issues.len() - errors;
        Report {
            input,
            input_kind,
            ok: errors == 0,
            summary: Summary {
                groups: groups.len(),
                stimuli,
                errors,
                warnings,
                duration_s,
                bytes,
            },
            groups,
            issues,
        }
    }

    /// Turns every warning into an error (`--strict`) and recomputes the counts.
    pub fn make_strict(&mut self) {
        for issue in &mut self.issues {
            issue.severity = Severity::Error;
        }
        self.summary.errors = self.issues.len();
        self.summary.warnings = 0;
        self.ok = self.issues.is_empty();
    }

    /// All stimuli, in group then path order.
    pub fn stimuli(&self) -> impl Iterator<Item = &Stimulus> {
        self.groups.iter().flat_map(|g| g.stimuli.iter())
    }

    /// The folder (relative to the input) that holds the sources, when the dataset is wrapped
    /// in one or more folders: the `wrapping-folder` finding's path.
    pub fn dataset_root(&self) -> Option<&str> {
        self.issues
            .iter()
            .find(|i| i.code == Code::WrappingFolder)
            .and_then(|i| i.path.as_deref())
    }

    /// Where a stimulus is relative to the input, as findings name it: its dataset path,
    /// under the wrapping folder if there is one.
    pub fn input_path(&self, stimulus: &Stimulus) -> String {
        match self.dataset_root() {
            Some(root) => format!("{root}/{}", stimulus.path),
            None => stimulus.path.clone(),
        }
    }
}

/// Sorts findings: dataset-wide ones first, then by path, line, severity, code and message.
pub fn sort_issues(issues: &mut [Issue]) {
    issues.sort_by(|a, b| {
        (&a.path, a.line, a.severity, a.code, &a.message)
            .cmp(&(&b.path, b.line, b.severity, b.code, &b.message))
    });
}

/// Rounds seconds to microseconds, so reports do not carry float noise.
pub fn round_seconds(s: f64) -> f64 {
    (s * 1e6).round() / 1e6
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// Stable machine-readable finding codes (kebab-case in JSON). New codes may be added.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in reports.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }
        }
    };
}

codes! {
    // --- files that cannot be used ---
    /// The file could not be read (permissions, I/O error).
    UnreadableFile = "unreadable-file",
    /// The file is empty.
    EmptyFile = "empty-file",
    /// An audio file ends before its headers say it should.
    TruncatedAudio = "truncated-audio",
    /// An image file ends before its structure says it should.
    TruncatedImage = "truncated-image",
    /// A video file ends before its headers say it should, or was never finalised.
    TruncatedVideo = "truncated-video",
    /// The bytes are a different format than the extension says (an MP3 named `.wav`).
    ExtensionMismatch = "extension-mismatch",
    /// The file has a media extension but its content is not readable as that media.
    InvalidMedia = "invalid-media",
    /// With `--decode`: the audio stream fails to decode, or its checksum does not match.
    UndecodableAudio = "undecodable-audio",
    /// The file is not a supported stimulus kind.
    UnsupportedFile = "unsupported-file",
    /// Damage inside an audio stream with valid audio after it: frames were lost in the middle
    /// (not cut short at the end).
    CorruptAudio = "corrupt-audio",
    // --- layout ---
    /// A file at the top level, outside any source folder (not documentation: see
    /// `LeftOutFile`).
    FileOutsideSource = "file-outside-source",
    /// A folder inside a source folder.
    NestedFolder = "nested-folder",
    /// The whole dataset sits inside one or more extra folders (as Finder zips do).
    WrappingFolder = "wrapping-folder",
    /// Two files of one source are the same condition (`x.wav` and `x.flac`).
    DuplicateCondition = "duplicate-condition",
    /// Two names differ only by letter case or Unicode normalisation.
    NameCollision = "name-collision",
    /// Different media kinds (audio, image, video) in one source.
    MixedMedia = "mixed-media",
    /// The dataset has no stimuli at all.
    NoStimuli = "no-stimuli",
    /// A symbolic link that points outside the dataset folder, or nowhere.
    SymlinkOutsideRoot = "symlink-outside-root",
    // --- non-media files ---
    /// A source's `config.json` is malformed.
    InvalidConfig = "invalid-config",
    /// A `.req.json` stimulus is not valid JSON.
    InvalidRequest = "invalid-request",
    /// The root `providers.json` is malformed.
    InvalidProviders = "invalid-providers",
    /// An embedded `.js` stimulus is empty or not UTF-8 text.
    InvalidEmbedded = "invalid-embedded",
    // --- zip archives ---
    /// An entry name with `..`, an absolute path or a backslash.
    UnsafePath = "unsafe-path",
    /// A non-ASCII zip entry name stored without the UTF-8 flag, or a file or folder name
    /// that is not UTF-8 at all (shown with its other bytes as `\xNN`).
    NonUtf8Name = "non-utf8-name",
    /// The archive holds two entries with the same name.
    DuplicateEntry = "duplicate-entry",
    /// An entry that is encrypted, a symlink, or compressed with an unsupported method.
    UnreadableEntry = "unreadable-entry",
    /// An entry whose data does not match its headers: it inflates to another size than it
    /// declares, its CRC-32 differs, or its compressed data is corrupt or cut short.
    DamagedEntry = "damaged-entry",
    // --- URL lists ---
    /// A line that is not a URL.
    InvalidUrl = "invalid-url",
    /// A URL whose scheme is not http or https.
    UnsupportedScheme = "unsupported-scheme",
    /// A URL served over plain http.
    InsecureUrl = "insecure-url",
    /// A URL pointing at localhost or a private network, which the platform cannot fetch.
    PrivateUrl = "private-url",
    /// A URL with fewer than two path segments or no file name.
    UrlPathTooShort = "url-path-too-short",
    /// The same URL twice.
    DuplicateUrl = "duplicate-url",
    // --- warnings ---
    /// Junk that will be left out: `.DS_Store`, `__MACOSX/`, `Thumbs.db`, `._*`, hidden files.
    JunkFile = "junk-file",
    /// A source folder with no stimuli.
    EmptySource = "empty-source",
    /// A source lacks conditions that most other sources have.
    MissingConditions = "missing-conditions",
    /// A condition that only one source of many has, where most conditions are shared.
    LoneCondition = "lone-condition",
    /// Documentation or stimpack's own output at the dataset root (`README*`, `*.pdf`,
    /// `dataset.zip`, ...): left out of the dataset.
    LeftOutFile = "left-out-file",
    /// Audio of one source with different sample rates.
    MixedSampleRates = "mixed-sample-rates",
    /// Audio of one source with different channel counts.
    MixedChannels = "mixed-channels",
    /// Stimuli of one source whose durations differ by more than 10%.
    DurationMismatch = "duration-mismatch",
    /// Images of one source with different sizes.
    MixedImageSizes = "mixed-image-sizes",
    /// An Ogg file made of several streams one after another (`cat a.ogg b.ogg`).
    ChainedOgg = "chained-ogg",
    /// Far more bytes after the end of the media than its own structure accounts for.
    TrailingData = "trailing-data",
    /// A `config.json` key the platform does not know.
    UnknownConfigKey = "unknown-config-key",
    // --- experiment rules (`--experiment`) ---
    /// A stimulus of a media kind the experiment type does not take.
    WrongMediaForExperiment = "wrong-media-for-experiment",
    /// A source without the reference the experiment needs.
    MissingReference = "missing-reference",
    /// A source without one of the configured anchors.
    MissingAnchor = "missing-anchor",
    /// More rated conditions than the experiment shows at once: a random subset will be shown.
    ConditionsSubsampled = "conditions-subsampled",
    /// Fewer conditions than the experiment compares.
    TooFewConditions = "too-few-conditions",
    /// A video that is not MP4 (or, for hosted files, not fragmented MP4).
    VideoNotMp4 = "video-not-mp4",
    // --- platform rules (`--platform`) ---
    /// A stimulus the platform does not take: audio for Coactive, anything but images for
    /// Datature, `.req.json`/`.js` stimuli anywhere but Mabyduck, an extension not on the
    /// platform's list.
    FormatNotAccepted = "format-not-accepted",
    /// A media URL participants see spells out the condition's name (Prolific): a blind test
    /// is no longer blind.
    ConditionInUrl = "condition-in-url",
    /// A file larger than the platform takes (Coactive: images up to 15 MB).
    FileTooLarge = "file-too-large",
    /// An image smaller than the platform recommends (Coactive: 350x350).
    ImageTooSmall = "image-too-small",
    /// A video outside the platform's limits of duration, resolution or frame rate
    /// (Coactive: 5 s to 4 h, 240p to 1080p, at most 60 fps).
    VideoOutOfRange = "video-out-of-range",
    // --- hosted files (`check --online`) ---
    /// The server answered 404 or 410: the URL points at nothing.
    UrlNotFound = "url-not-found",
    /// The server answered 401 or 403: the file is not public, or its signature is wrong or expired.
    UrlForbidden = "url-forbidden",
    /// The URL could not be fetched: another status, DNS, TLS, a refused connection, a time-out.
    UrlError = "url-error",
    /// The URL redirects elsewhere (a warning), or redirects in a loop or more than 5 times (an error).
    UrlRedirect = "url-redirect",
    /// The server ignores `Range` requests: players cannot seek in the file.
    NoRangeSupport = "no-range-support",
    /// The server's `Content-Type` is not the file's media type (`text/html` for a `.wav`).
    ContentTypeMismatch = "content-type-mismatch",
    /// The answer to a request with an `Origin` lacks `Access-Control-Allow-Origin` for it:
    /// Web Audio players cannot read the file.
    NoCors = "no-cors",
    /// A signed URL expires within `--valid-for` (an error), or its expiry cannot be told (a warning).
    UrlExpires = "url-expires",
    /// A reading estimated from part of a hosted file: reading all of it would pass `--max-download`.
    EstimatedReading = "estimated-reading",
    // --- what browsers cannot play (header only) and `--analyze` ---
    /// A codec or picture type that browsers do not play or show (an error when Chromium
    /// refuses it, a warning when only some browsers do).
    NotBrowserPlayable = "not-browser-playable",
    /// An image with an ICC colour profile other than sRGB.
    NonSrgbProfile = "non-srgb-profile",
    /// An image with an EXIF orientation other than 1.
    RotatedImage = "rotated-image",
    /// Images or videos of one source with different aspect ratios.
    MixedAspectRatios = "mixed-aspect-ratios",
    /// With `--analyze`: conditions of one source differ in integrated loudness.
    LoudnessMismatch = "loudness-mismatch",
    /// With `--analyze`: runs of samples at full scale.
    Clipping = "clipping",
    /// With `--analyze`: a true peak above the ceiling (-1 dBTP).
    TruePeakOver = "true-peak-over",
    /// With `--analyze`: conditions of one source start after different lengths of silence.
    SilenceMismatch = "silence-mismatch",
    /// With `--analyze`: less than 10% of the file is above -60 dBFS.
    MostlySilent = "mostly-silent",
    /// With `--analyze`: the signal's mean is far from zero.
    DcOffset = "dc-offset",
    /// With `--analyze`: every channel carries the same signal.
    DualMono = "dual-mono",
    /// With `--analyze --target-lufs`: a stimulus more than 2 LU from the target loudness.
    LoudnessOffTarget = "loudness-off-target",
}
