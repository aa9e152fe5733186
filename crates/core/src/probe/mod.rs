//! Probing one stimulus: what its bytes really are, its readings (codec, duration, size, ...)
//! and whether it is whole. One submodule per container family; this module sniffs the
//! content, compares it with the extension and dispatches.

use std::io::{self, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use crate::jsonfiles;
use crate::report::{Code, MediaKind, Severity};
use crate::sniff::{self, Container, ExtensionKind};

mod bytes;
mod crc;
pub mod decode;
pub mod flac;
pub mod image;
pub mod mp4;
pub mod mpeg_audio;
mod names;
pub mod ogg;
mod reader;
pub mod wav_aiff;

pub use names::{Codec, ContainerFormat};
pub(crate) use reader::SeekBuf;

/// The readings of a probed stimulus, as the report shows them (embedded in
/// [`crate::report::Stimulus`]; the field order is the JSON order).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reading {
    /// The container format read from the bytes (from the extension for URLs): `wav`, `mp3`, `png`, `mp4`, ...
    pub format: ContainerFormat,
    /// The codec, ffprobe-style (`pcm_s16le`, `mp3`, `h264`, ...), when known.
    pub codec: Option<Codec>,
    /// File size in bytes (unknown for URLs; set by the checker, not by the probers).
    pub bytes: Option<u64>,
    /// Duration in seconds of what the file really holds.
    pub duration_s: Option<f64>,
    /// Audio sample rate in Hz (of the first audio track for video).
    pub sample_rate: Option<u32>,
    /// Audio channel count.
    pub channels: Option<u32>,
    /// Picture width in pixels.
    pub width: Option<u32>,
    /// Picture height in pixels.
    pub height: Option<u32>,
    /// Nominal video frame rate (ffprobe's r_frame_rate for constant-rate video): the timescale
    /// over the most common frame duration.
    pub fps: Option<f64>,
    /// Video only: whether the MP4 is fragmented (`moof` boxes).
    pub fragmented: Option<bool>,
    /// Video only: whether it has an audio track.
    pub has_audio: Option<bool>,
}

/// A problem found while probing one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The finding's code.
    pub code: Code,
    /// What is wrong and what to do.
    pub message: String,
}

impl Finding {
    pub(crate) fn error(code: Code, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
        }
    }
}

/// The outcome of probing one file: its kind and readings when it could be read, and findings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Probe {
    /// The media kind the content shows (or the extension promises, when unreadable).
    pub media: Option<MediaKind>,
    /// The readings, when the file could be read.
    pub reading: Option<Reading>,
    /// Problems.
    pub findings: Vec<Finding>,
}

impl Probe {
    pub(crate) fn failed(media: Option<MediaKind>, finding: Finding) -> Self {
        Probe {
            media,
            reading: None,
            findings: vec![finding],
        }
    }
}

/// What an extension alone says (for URLs, which are not fetched): the media kind, or an
/// unsupported-file finding.
pub fn from_extension(extension: &str) -> Probe {
    match sniff::extension_kind(extension) {
        Some(kind) => Probe {
            media: Some(kind.media()),
            reading: None,
            findings: Vec::new(),
        },
        None => Probe::failed(None, unsupported(extension, None)),
    }
}

/// Probes a file's content, given its lower-case extension (see [`crate::sniff::EXTENSIONS`]).
///
/// Probing never panics on purpose and never trusts a size field for an allocation; the caller
/// still runs it under `catch_unwind` so that a bug in a parser costs one finding, not the run.
pub fn probe<R: Read + Seek>(r: &mut R, len: u64, extension: &str) -> Probe {
    probe_with(r, len, extension, ProbeOptions::default())
}

/// What probing may assume about its source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Reads are costly (a hosted file: every block is a round trip and bytes on the wire). An
    /// MP3 whose Xing/Info header gives its length is then measured from the header and checked
    /// at its end instead of having every frame walked (see
    /// [`mpeg_audio::probe_mpeg_audio_with`]).
    pub costly_reads: bool,
}

/// [`probe`] with options about the source.
pub fn probe_with<R: Read + Seek>(r: &mut R, len: u64, extension: &str, options: ProbeOptions) -> Probe {
    match probe_inner(r, len, extension, options) {
        Ok(p) => p,
        Err(e) => Probe::failed(
            sniff::extension_kind(extension).map(ExtensionKind::media),
            Finding::error(
                Code::UnreadableFile,
                format!("cannot be read: {e}. Check that the file is complete and readable"),
            ),
        ),
    }
}

fn probe_inner<R: Read + Seek>(
    r: &mut R,
    len: u64,
    extension: &str,
    options: ProbeOptions,
) -> io::Result<Probe> {
    let expected = sniff::extension_kind(extension);
    if len == 0 {
        return Ok(Probe::failed(
            expected.map(ExtensionKind::media),
            Finding::error(Code::EmptyFile, "the file is empty (0 bytes). Export it again"),
        ));
    }
    match expected {
        Some(ExtensionKind::ApiRequest) => return read_small(r, len).map(api_request),
        Some(ExtensionKind::Embedded) => return read_small(r, len).map(embedded),
        _ => {}
    }
    // MPEG audio and ADTS have no file signature, and real files may start with padding or
    // junk before the first frame: their frame walkers find the first frame themselves.
    let container = sniff_content(r, len)?.or(match expected {
        Some(ExtensionKind::Media(_, want @ (Container::MpegAudio | Container::Adts))) => Some(want),
        _ => None,
    });
    let Some(container) = container else {
        return Ok(match expected {
            Some(ExtensionKind::Media(media, want)) => Probe::failed(
                Some(media),
                Finding::error(
                    Code::InvalidMedia,
                    format!(
                        "not a {} file: its first bytes match no known media format. It may be damaged or \
                         mislabelled; export it again",
                        want.name()
                    ),
                ),
            ),
            _ => Probe::failed(None, unsupported(extension, None)),
        });
    };
    let mut findings = Vec::new();
    match expected {
        Some(ExtensionKind::Media(_, want)) if want != container => findings.push(Finding::error(
            Code::ExtensionMismatch,
            format!(
                "the file is {} but its extension '.{extension}' says {}. Rename it{} or convert it",
                container.name(),
                want.name(),
                suggest(container)
                    .map(|e| format!(" to .{e}"))
                    .unwrap_or_default()
            ),
        )),
        Some(ExtensionKind::Media(..)) => {}
        _ => return Ok(Probe::failed(None, unsupported(extension, Some(container)))),
    }
    r.seek(SeekFrom::Start(0))?;
    let expected_media = expected.map(ExtensionKind::media);
    let mut probe = read_container(r, len, container, expected_media, options)?;
    if findings.is_empty() {
        findings.extend(codec_mismatch(extension, &probe));
    }
    findings.append(&mut probe.findings);
    probe.findings = findings;
    Ok(probe)
}

/// The container the content shows, looking past an ID3v2 tag.
fn sniff_content<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<Option<Container>> {
    let mut head = [0u8; sniff::SNIFF_LEN];
    let n = read_up_to(r, &mut head)?;
    let mut found = sniff::sniff(&head[..n]);
    if found.is_none() {
        if let Some(tag) = bytes::id3v2_len(&head[..n]) {
            if tag < len {
                r.seek(SeekFrom::Start(tag))?;
                let n = read_up_to(r, &mut head)?;
                found = sniff::sniff(&head[..n])
                    .filter(|c| matches!(c, Container::MpegAudio | Container::Adts | Container::Flac));
                // A tag with no frames found after it is still MPEG audio to its reader.
                found = found.or(Some(Container::MpegAudio));
            }
        }
    }
    Ok(found)
}

/// Reads up to `buf.len()` bytes at `pos`; fewer only at the end of the file.
fn read_at<R: Read + Seek>(r: &mut R, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    r.seek(SeekFrom::Start(pos))?;
    read_up_to(r, buf)
}

/// Reads up to `buf.len()` bytes; fewer only at the end of the file.
pub(crate) fn read_up_to<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A container that matches its extension but holds what the extension does not promise:
/// Vorbis in `.opus`, video in `.m4a`, MPEG layer II in `.mp3` (browsers pick the decoder by
/// extension and play only layer III as MP3).
fn codec_mismatch(extension: &str, probe: &Probe) -> Option<Finding> {
    let reading = probe.reading.as_ref()?;
    let codec = reading.codec.as_deref().unwrap_or("");
    let (what, fix) = match extension {
        "opus" if codec != "opus" => (format!("Ogg {codec}"), "rename it to .ogg"),
        "m4a" if probe.media == Some(MediaKind::Video) => ("video".to_string(), "rename it to .mp4"),
        "mp3" if codec == "mp2" || codec == "mp1" => (
            format!("MPEG audio {}", codec.to_uppercase()),
            "rename it to .mp2, or re-encode it as MP3",
        ),
        _ => return None,
    };
    Some(Finding::error(
        Code::ExtensionMismatch,
        format!(
            "the file holds {what}, which its extension '.{extension}' does not promise; players choose by extension: {fix}"
        ),
    ))
}

/// The extension to suggest for a container.
fn suggest(container: Container) -> Option<&'static str> {
    sniff::EXTENSIONS
        .iter()
        .find(|(_, k)| matches!(k, ExtensionKind::Media(_, c) if *c == container))
        .map(|(e, _)| *e)
}

fn unsupported(extension: &str, content: Option<Container>) -> Finding {
    let supported: Vec<&str> = sniff::EXTENSIONS.iter().map(|(e, _)| *e).collect();
    let what = if extension.is_empty() {
        "a file without an extension".to_string()
    } else {
        format!("'.{extension}' files")
    };
    let hint = match content.and_then(|c| suggest(c).map(|e| (c, e))) {
        Some((c, e)) => format!(" The content is {}: rename it to .{e}", c.name()),
        None => " Remove it or convert it".to_string(),
    };
    Finding::error(
        Code::UnsupportedFile,
        format!(
            "{what} are not a supported stimulus (supported: {}).{hint}",
            supported.join(", ")
        ),
    )
}

fn read_small<R: Read>(r: &mut R, len: u64) -> io::Result<Result<Vec<u8>, u64>> {
    if len > jsonfiles::MAX_JSON_BYTES {
        return Ok(Err(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    r.take(jsonfiles::MAX_JSON_BYTES).read_to_end(&mut bytes)?;
    Ok(Ok(bytes))
}

fn too_big(code: Code, len: u64) -> Finding {
    Finding::error(
        code,
        format!(
            "{len} bytes is too large for a text stimulus (at most {} bytes)",
            jsonfiles::MAX_JSON_BYTES
        ),
    )
}

fn text_reading(format: &str) -> Option<Reading> {
    Some(Reading {
        format: format.into(),
        ..Reading::default()
    })
}

fn api_request(bytes: Result<Vec<u8>, u64>) -> Probe {
    let media = Some(MediaKind::ApiRequest);
    match bytes.map(|b| jsonfiles::validate_request(&b)) {
        Ok(Ok(())) => Probe {
            media,
            reading: text_reading("json"),
            findings: Vec::new(),
        },
        Ok(Err(why)) => Probe::failed(
            media,
            Finding::error(Code::InvalidRequest, format!("the API request is {why}")),
        ),
        Err(len) => Probe::failed(media, too_big(Code::InvalidRequest, len)),
    }
}

fn embedded(bytes: Result<Vec<u8>, u64>) -> Probe {
    let media = Some(MediaKind::Embedded);
    match bytes {
        Ok(b) if std::str::from_utf8(&b).is_err() => Probe::failed(
            media,
            Finding::error(
                Code::InvalidEmbedded,
                "the script is not UTF-8 text. Save it as UTF-8",
            ),
        ),
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Probe::failed(
            media,
            Finding::error(Code::InvalidEmbedded, "the script is blank"),
        ),
        Ok(_) => Probe {
            media,
            reading: text_reading("js"),
            findings: Vec::new(),
        },
        Err(len) => Probe::failed(media, too_big(Code::InvalidEmbedded, len)),
    }
}

/// Whether probing a `container` reads the file's last bytes as well as its head: FLAC's last
/// frame, an MP4's `moov` box or last sample when they come last, MP3 and ADTS tags and last
/// frames, Ogg's last page, the trailers of PNG, JPEG, GIF and the IFDs TIFF writers put last.
/// A source where each read is a round trip (a hosted file) fetches the end with the head for
/// these. WAV, AIFF, BMP and WebP say their sizes up front, and are read at the head only.
/// (The `reads_end_matches_what_the_probers_read` test keeps this equal to the probers.)
pub(crate) fn reads_end(container: Container) -> bool {
    match container {
        Container::Flac
        | Container::MpegAudio
        | Container::Adts
        | Container::Ogg
        | Container::IsoBmff
        | Container::Png
        | Container::Jpeg
        | Container::Gif
        | Container::Tiff => true,
        Container::Wav | Container::Aiff | Container::Bmp | Container::WebP | Container::Matroska => false,
    }
}

/// Reads a container's readings, with truncation findings.
/// `expected` is the media kind the extension promises, which names the finding when a file
/// is too damaged to show its own kind.
fn read_container<R: Read + Seek>(
    r: &mut R,
    len: u64,
    container: Container,
    expected: Option<MediaKind>,
    options: ProbeOptions,
) -> io::Result<Probe> {
    match container {
        Container::Png
        | Container::Jpeg
        | Container::Gif
        | Container::Bmp
        | Container::WebP
        | Container::Tiff => Ok(image(r, len)),
        Container::Wav => Ok(pcm(wav_aiff::probe_wav(r, len), len, "wav")),
        Container::Aiff => Ok(pcm(wav_aiff::probe_aiff(r, len), len, "aiff")),
        Container::Flac => Ok(flac(r, len)),
        Container::Ogg => Ok(ogg(r, len)),
        Container::MpegAudio => Ok(mpeg_audio(r, len, options)),
        Container::Adts => Ok(adts(r, len)),
        Container::IsoBmff => Ok(iso_bmff(r, len, expected)),
        other => Ok(Probe::failed(
            None,
            Finding::error(
                Code::UnsupportedFile,
                format!("{} files cannot be read yet", other.name()),
            ),
        )),
    }
}

/// Turns a parser's verdict into a probe: readings plus a truncation finding, or an
/// invalid-media finding.
fn outcome(
    media: MediaKind,
    result: Result<(Reading, Option<String>), ParseError>,
    truncated: Code,
) -> Probe {
    match result {
        Ok((reading, cut)) => Probe {
            media: Some(media),
            reading: Some(reading),
            findings: cut
                .map(|why| {
                    Finding::error(
                        truncated,
                        format!("{why}. The file is cut short: export or copy it again"),
                    )
                })
                .into_iter()
                .collect(),
        },
        Err(ParseError::Truncated(why)) => Probe::failed(
            Some(media),
            Finding::error(
                truncated,
                format!("{why}. The file is cut short: export or copy it again"),
            ),
        ),
        Err(ParseError::Invalid(why)) => Probe::failed(
            Some(media),
            Finding::error(
                Code::InvalidMedia,
                format!("{why}. The file is damaged or not what its name says"),
            ),
        ),
        Err(ParseError::Io(e)) => Probe::failed(
            Some(media),
            Finding::error(Code::UnreadableFile, format!("cannot be read: {e}")),
        ),
    }
}

/// Why a container parser could not read a file. Every submodule returns this.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The file ends before what its headers promise (a size, a chunk, a frame): it is cut short.
    #[error("{0}")]
    Truncated(String),
    /// Not this format, or its structure is corrupt.
    #[error("{0}")]
    Invalid(String),
    /// Reading or seeking failed.
    #[error("read error: {0}")]
    Io(#[from] io::Error),
}

/// The format (and codec) name of an image in the report: its container's name in lower case
/// (`png`, `jpeg`, `gif`, `bmp`, `webp`, `tiff`).
fn image_format_name(c: Container) -> String {
    c.name().to_ascii_lowercase()
}

fn image<R: Read + Seek>(r: &mut R, len: u64) -> Probe {
    let mut trailing = None;
    let result = image::probe_image(r, len).map(|info| {
        trailing = Some(info.trailing_bytes);
        let reading = Reading {
            format: image_format_name(info.format).into(),
            codec: Some(image_format_name(info.format).into()),
            width: Some(info.width),
            height: Some(info.height),
            ..Reading::default()
        };
        (reading, info.truncated)
    });
    with_trailing(
        outcome(MediaKind::Image, result, Code::TruncatedImage),
        len,
        trailing,
        "image",
    )
}

fn audio_reading(format: &str, codec: &str, duration_s: f64, sample_rate: u32, channels: u32) -> Reading {
    Reading {
        format: format.into(),
        codec: Some(codec.into()),
        duration_s: Some(duration_s),
        sample_rate: Some(sample_rate),
        channels: Some(channels),
        ..Reading::default()
    }
}

/// The probe of an audio parser's verdict: readings, truncation, and a trailing-data warning for
/// the bytes after its `what` (the third part of the result).
fn audio_probe(len: u64, result: Result<(Reading, Option<String>, u64), ParseError>, what: &str) -> Probe {
    let trailing = result.as_ref().ok().map(|r| r.2);
    let result = result.map(|(reading, truncated, _)| (reading, truncated));
    with_trailing(
        outcome(MediaKind::Audio, result, Code::TruncatedAudio),
        len,
        trailing,
        what,
    )
}

fn pcm(result: Result<wav_aiff::PcmInfo, ParseError>, len: u64, format: &str) -> Probe {
    let result = result.map(|info| {
        let reading = audio_reading(
            format,
            &info.codec,
            info.duration_s,
            info.sample_rate,
            u32::from(info.channels),
        );
        (reading, info.truncated, info.trailing_bytes)
    });
    audio_probe(len, result, "chunks")
}

fn flac<R: Read + Seek>(r: &mut R, len: u64) -> Probe {
    let result = flac::probe_flac(r, len).map(|info| {
        let reading = audio_reading(
            "flac",
            "flac",
            info.duration_s,
            info.sample_rate,
            u32::from(info.channels),
        );
        (reading, info.truncated, info.trailing_bytes)
    });
    audio_probe(len, result, "audio frames")
}

fn ogg<R: Read + Seek>(r: &mut R, len: u64) -> Probe {
    let mut chained = None;
    let result = ogg::probe_ogg(r, len).map(|info| {
        if info.chains > 1 {
            let what = info
                .chain_mismatch
                .clone()
                .unwrap_or_else(|| format!("the file chains {} Ogg streams one after another", info.chains));
            chained = Some(Finding {
                severity: Severity::Warning,
                code: Code::ChainedOgg,
                message: format!("{what}; some browsers play only the first. Re-encode it as one stream"),
            });
        }
        let reading = audio_reading(
            "ogg",
            &info.codec,
            info.duration_s,
            info.sample_rate,
            u32::from(info.channels),
        );
        (reading, info.truncated, info.trailing_bytes)
    });
    let mut probe = audio_probe(len, result, "Ogg pages");
    probe.findings.extend(chained);
    probe
}

/// A warning for bytes that are not audio frames, found between frames.
fn skipped_warning(skipped: u64) -> Option<Finding> {
    (skipped > 0).then(|| Finding {
        severity: Severity::Warning,
        code: Code::InvalidMedia,
        message: format!(
            "{skipped} bytes between audio frames are not audio (damage or junk); players skip them, \
             but an audible glitch is likely there. Export the file again"
        ),
    })
}

/// Trailing bytes are `trailing-data` only past both this size...
pub const TRAILING_DATA_MIN_BYTES: u64 = 1 << 20;
/// ...and this share of the file (in percent): ID3v1/APE tags, LIST chunks and padding are
/// far smaller.
pub const TRAILING_DATA_MIN_PERCENT: u64 = 10;

/// Whether `trailing` bytes after the end of a file's media, in a file of `len` bytes, are far
/// more than its own structure accounts for.
pub(crate) fn is_trailing_data(len: u64, trailing: u64) -> bool {
    trailing > TRAILING_DATA_MIN_BYTES
        && u128::from(trailing) * 100 > u128::from(len) * u128::from(TRAILING_DATA_MIN_PERCENT)
}

/// A `trailing-data` warning for `trailing` bytes after the media ends, if there are that many.
fn trailing_warning(len: u64, trailing: u64, what: &str) -> Option<Finding> {
    is_trailing_data(len, trailing).then(|| Finding {
        severity: Severity::Warning,
        code: Code::TrailingData,
        message: format!(
            "the last {trailing} of the file's {len} bytes come after the end of its {what} and are \
             not part of it (often zeros from a failed copy or a bad export); they are uploaded \
             for nothing. Export or copy the file again"
        ),
    })
}

/// Adds a `trailing-data` warning to a probe that could read its file.
fn with_trailing(mut probe: Probe, len: u64, trailing: Option<u64>, what: &str) -> Probe {
    if probe.reading.is_some() {
        probe
            .findings
            .extend(trailing.and_then(|t| trailing_warning(len, t, what)));
    }
    probe
}

fn mpeg_audio<R: Read + Seek>(r: &mut R, len: u64, options: ProbeOptions) -> Probe {
    let mut corrupt = None;
    let result = mpeg_audio::probe_mpeg_audio_with(r, len, options.costly_reads).map(|info| {
        corrupt = info.corrupt;
        let name = match info.layer {
            1 => "mp1",
            2 => "mp2",
            _ => "mp3",
        };
        let channels = Some(u32::from(info.stream.channels));
        (name.into(), name.into(), channels, info.stream)
    });
    framed(len, result, corrupt)
}

fn adts<R: Read + Seek>(r: &mut R, len: u64) -> Probe {
    let result = mpeg_audio::probe_adts(r, len).map(|info| {
        let channels = (info.stream.channels > 0).then_some(u32::from(info.stream.channels));
        (ContainerFormat::Aac, Codec::Aac, channels, info.stream)
    });
    framed(len, result, None)
}

/// The probe of a frame walk (MPEG audio or ADTS): readings, truncation, trailing data, and
/// the bytes skipped between frames (or the damage that explains missing frames, `corrupt`).
fn framed(
    len: u64,
    result: Result<(ContainerFormat, Codec, Option<u32>, mpeg_audio::FrameStream), ParseError>,
    corrupt: Option<String>,
) -> Probe {
    let (mut skipped, mut trailing) = (0, 0);
    let result = result.map(|(format, codec, channels, stream)| {
        (skipped, trailing) = (stream.skipped_bytes, stream.trailing_junk_bytes);
        let reading = Reading {
            format,
            codec: Some(codec),
            duration_s: Some(stream.duration_s),
            sample_rate: Some(stream.sample_rate),
            channels,
            ..Reading::default()
        };
        (reading, stream.truncated)
    });
    let mut probe = outcome(MediaKind::Audio, result, Code::TruncatedAudio);
    if is_trailing_data(len, trailing) {
        skipped -= trailing;
        probe = with_trailing(probe, len, Some(trailing), "audio frames");
    }
    match corrupt {
        // The damaged run is what the error is about; no second finding for its bytes.
        Some(why) => probe.findings.push(Finding::error(
            Code::CorruptAudio,
            format!("{why}. The file is damaged: export or copy it again"),
        )),
        None => probe.findings.extend(skipped_warning(skipped)),
    }
    probe
}

fn iso_bmff<R: Read + Seek>(r: &mut R, len: u64, expected: Option<MediaKind>) -> Probe {
    let info = match mp4::probe(r, len) {
        Ok(info) => info,
        Err(e) if expected == Some(MediaKind::Audio) => {
            return outcome(MediaKind::Audio, Err(e), Code::TruncatedAudio);
        }
        Err(e) => return outcome(MediaKind::Video, Err(e), Code::TruncatedVideo),
    };
    let video = info.tracks.iter().find(|t| t.kind == mp4::TrackKind::Video);
    let audio = info.tracks.iter().find(|t| t.kind == mp4::TrackKind::Audio);
    let named = |codec: &str, tag: &str| {
        if codec.is_empty() {
            tag.trim().to_string()
        } else {
            codec.to_string()
        }
    };
    let (media, truncated) = if video.is_some() {
        (MediaKind::Video, Code::TruncatedVideo)
    } else {
        (MediaKind::Audio, Code::TruncatedAudio)
    };
    let format = if info.major_brand == "qt  " {
        "mov"
    } else if video.is_none() && info.major_brand.starts_with("M4A") {
        "m4a"
    } else {
        "mp4"
    };
    let Some(main) = video.or(audio) else {
        return Probe::failed(
            Some(media),
            Finding::error(
                Code::InvalidMedia,
                "the file has neither a video nor an audio track. Export it again",
            ),
        );
    };
    let reading = Reading {
        format: format.into(),
        codec: Some(named(&main.codec, &main.codec_tag).into()),
        duration_s: info.duration_s.or(main.duration_s),
        sample_rate: audio.and_then(|a| a.sample_rate),
        channels: audio.and_then(|a| a.channels).map(u32::from),
        width: video.and_then(|v| v.width),
        height: video.and_then(|v| v.height),
        fps: video.and_then(|v| v.fps),
        fragmented: video.map(|_| info.fragmented),
        has_audio: video.map(|_| audio.is_some()),
        ..Reading::default()
    };
    with_trailing(
        outcome(media, Ok((reading, None)), truncated),
        len,
        Some(info.trailing_bytes),
        "boxes",
    )
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::test_fixtures::{fixture, fixture_path};

    fn probe_bytes(b: &[u8], ext: &str) -> Probe {
        probe(&mut Cursor::new(b), b.len() as u64, ext)
    }

    fn codes(p: &Probe) -> Vec<(Severity, Code)> {
        p.findings.iter().map(|f| (f.severity, f.code)).collect()
    }

    /// One fixture per format whose end its prober knows, with its extension.
    const ENDS_KNOWN: &[(&str, &str)] = &[
        ("audio/wav_s16le.wav", "wav"),
        ("audio/aiff_s16be.aiff", "aiff"),
        ("audio/flac_s16.flac", "flac"),
        ("mp3/vbr_noxing.mp3", "mp3"),
        ("mp3/cbr_info.mp3", "mp3"),
        ("mp3/adts.aac", "aac"),
        ("audio/vorbis.ogg", "ogg"),
        ("audio/opus.opus", "opus"),
        ("audio/oggflac.oga", "oga"),
        ("image/png.png", "png"),
        ("image/baseline.jpg", "jpg"),
        ("image/progressive.jpg", "jpg"),
        ("image/exif.jpg", "jpg"),
        ("image/gif.gif", "gif"),
        ("image/lossy.webp", "webp"),
        ("video/h264_aac.mp4", "mp4"),
        ("video/aac.m4a", "m4a"),
    ];

    /// Defect: 1 s of audio followed by megabytes of zeros passed without a word (and a zip of it
    /// expanded to gigabytes). Each format says `trailing-data`, and nothing else changes.
    #[test]
    fn trailing_zeros_are_trailing_data() {
        for (name, ext) in ENDS_KNOWN {
            let clean = fixture(name);
            let plain = probe_bytes(&clean, ext);
            assert!(plain.reading.is_some(), "{name}: {plain:?}");
            assert!(
                !codes(&plain).contains(&(Severity::Warning, Code::TrailingData)),
                "{name}"
            );
            let mut padded = clean.clone();
            padded.resize(clean.len() + (3 << 20), 0);
            let p = probe_bytes(&padded, ext);
            assert_eq!(p.reading, plain.reading, "{name}");
            let mut want = codes(&plain);
            want.push((Severity::Warning, Code::TrailingData));
            let mut got = codes(&p);
            got.sort();
            want.sort();
            assert_eq!(got, want, "{name}: {:#?}", p.findings);
            let msg = &p
                .findings
                .iter()
                .find(|f| f.code == Code::TrailingData)
                .unwrap()
                .message;
            // (exif.jpg carries 16 zero bytes after its end marker of its own)
            let after = padded.len() - clean.len();
            assert!(
                msg.contains(&format!("last {after} of")) || msg.contains(&format!("last {} of", after + 16)),
                "{name}: {msg}"
            );
        }
    }

    /// Tags, metadata chunks and padding that real files carry are far below the threshold.
    #[test]
    fn small_trailing_bytes_are_not_trailing_data() {
        for (name, ext) in ENDS_KNOWN {
            let mut b = fixture(name);
            b.resize(b.len() + 4096, 0);
            let p = probe_bytes(&b, ext);
            assert!(
                !codes(&p).contains(&(Severity::Warning, Code::TrailingData)),
                "{name}"
            );
        }
        // An ID3v1 tag after the frames of an MP3.
        let mut mp3 = fixture("mp3/vbr_noxing.mp3");
        let mut tag = b"TAG".to_vec();
        tag.resize(128, b' ');
        mp3.extend_from_slice(&tag);
        assert!(!codes(&probe_bytes(&mp3, "mp3")).contains(&(Severity::Warning, Code::TrailingData)));
        // A WAV of 40 MB with 2 MB of something after its chunks: under 10% of the file.
        let mut wav = fixture("audio/wav_s16le.wav");
        wav.resize(44, 0);
        let data = 40u32 << 20;
        wav[40..44].copy_from_slice(&data.to_le_bytes());
        wav[4..8].copy_from_slice(&(data + 36).to_le_bytes());
        wav.resize(44 + data as usize + (2 << 20), 0);
        let p = probe_bytes(&wav, "wav");
        assert!(
            !codes(&p).contains(&(Severity::Warning, Code::TrailingData)),
            "{:?}",
            p.findings
        );
    }

    /// Junk after the last MP3 frame is trailing data, not "bytes between audio frames", and
    /// not an error however much of it there is.
    #[test]
    fn mp3_followed_by_much_junk_is_trailing_data_not_invalid() {
        let mut b = fixture("mp3/vbr_noxing.mp3");
        let n = b.len();
        b.extend((0..(8usize << 20)).map(|i| (i % 251) as u8 & 0x7F));
        let p = probe_bytes(&b, "mp3");
        assert_eq!(
            codes(&p),
            vec![(Severity::Warning, Code::TrailingData)],
            "{:#?}",
            p.findings
        );
        assert_eq!(p.reading, probe_bytes(&b[..n], "mp3").reading);
    }

    /// More zeros after a FLAC's frames than its tail search covers: an error that says what
    /// hides the last frame, not that the frames are bad.
    #[test]
    fn flac_followed_by_too_many_zeros_says_so() {
        let mut b = fixture("audio/flac_s16.flac");
        b.resize(b.len() + (5 << 20), 0);
        let p = probe_bytes(&b, "flac");
        assert_eq!(codes(&p), vec![(Severity::Error, Code::InvalidMedia)]);
        assert!(
            p.findings[0].message.contains("are all zeros"),
            "{}",
            p.findings[0].message
        );
    }

    #[test]
    fn image_format_names_are_the_reports_lower_case_names() {
        let names: Vec<String> = [
            Container::Png,
            Container::Jpeg,
            Container::Gif,
            Container::Bmp,
            Container::WebP,
            Container::Tiff,
        ]
        .into_iter()
        .map(image_format_name)
        .collect();
        assert_eq!(names, ["png", "jpeg", "gif", "bmp", "webp", "tiff"]);
    }

    #[test]
    fn trailing_data_threshold() {
        let mib = TRAILING_DATA_MIN_BYTES;
        assert!(!is_trailing_data(100 * mib, mib + 1));
        assert!(is_trailing_data(10 * mib, mib + 1));
        assert!(!is_trailing_data(2 * mib, mib));
        assert!(is_trailing_data(u64::MAX, u64::MAX));
        assert!(!is_trailing_data(0, 0));
    }

    /// A reader that notes whether the last byte of its data was handed out.
    struct EndTracker<'a> {
        inner: Cursor<&'a [u8]>,
        read_last: bool,
    }

    impl Read for EndTracker<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            let len = self.inner.get_ref().len() as u64;
            self.read_last |= n > 0 && self.inner.position() == len;
            Ok(n)
        }
    }

    impl Seek for EndTracker<'_> {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }

    /// `reads_end` is true for a container exactly when probing some fixture of it (as a hosted
    /// file is probed) reads that file's last byte.
    #[test]
    fn reads_end_matches_what_the_probers_read() {
        let mut seen: std::collections::BTreeMap<String, (bool, Vec<String>)> = Default::default();
        for dir in ["audio", "mp3", "image", "video", "analyze"] {
            for entry in std::fs::read_dir(fixture_path(dir)).unwrap() {
                let path = entry.unwrap().path();
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let Some(ExtensionKind::Media(_, container)) = sniff::extension_kind(&ext) else {
                    continue;
                };
                let bytes = std::fs::read(&path).unwrap();
                let mut r = EndTracker {
                    inner: Cursor::new(&bytes),
                    read_last: false,
                };
                probe_with(
                    &mut r,
                    bytes.len() as u64,
                    &ext,
                    ProbeOptions { costly_reads: true },
                );
                let e = seen
                    .entry(format!("{container:?}"))
                    .or_insert((reads_end(container), Vec::new()));
                e.1.push(format!(
                    "{}{}",
                    path.file_name().unwrap().to_string_lossy(),
                    if r.read_last { "+" } else { "-" }
                ));
            }
        }
        assert!(seen.len() >= 12, "fixtures of every container: {seen:?}");
        for (container, (hint, files)) in &seen {
            let any = files.iter().any(|f| f.ends_with('+'));
            assert_eq!(
                *hint, any,
                "{container}: reads_end says {hint}; the probes (+ read the end): {files:?}"
            );
        }
    }
}
