//! Full decode of the first audio track of a file with Symphonia, to prove that the audio stream
//! itself is decodable (not only its headers) and to count the decoded sample frames, so they can
//! be compared with the exact header-based duration. Memory stays bounded: nothing decoded is kept.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};

use symphonia::core::audio::GenericAudioBufferRef;
use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_AC3, CODEC_ID_AC4, CODEC_ID_ATRAC3, CODEC_ID_ATRAC3PLUS, CODEC_ID_DCA, CODEC_ID_EAC3,
    CODEC_ID_MONKEYS_AUDIO, CODEC_ID_MUSEPACK, CODEC_ID_OPUS, CODEC_ID_SPEEX, CODEC_ID_TTA, CODEC_ID_WAVPACK,
    CODEC_ID_WMA,
};
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{TimeBase, Timestamp};

/// Result of decoding the first audio track of a file from start to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeReport {
    /// Decoded sample frames per channel, after Symphonia's gapless trimming (encoder delay and
    /// padding removed where the container or stream signals them).
    pub frames: u64,
    /// Sample rate in Hz (of the decoded audio, or of the track parameters if nothing decoded).
    pub sample_rate: u32,
    /// Number of channels (of the decoded audio, or of the track parameters if nothing decoded).
    pub channels: u32,
    /// Packets that failed to decode and were skipped (their frames are not counted), plus jumps
    /// in the packet timeline where the demuxer silently dropped damaged data (FLAC frames
    /// failing their CRC, Ogg pages failing theirs).
    pub errors: u32,
    /// The first packet decode error, e.g. `"packet at 1.234 s: malformed stream: ..."`.
    pub first_error: Option<String>,
    /// Why the demuxer stopped before a clean end of stream (truncated file, unrecoverable
    /// container error), or `None` if the stream ended normally.
    pub stopped_early: Option<String>,
    /// Result of the stream's own checksum of the decoded audio where the format has one (FLAC
    /// STREAMINFO MD5): `Some(true)` matches, `Some(false)` mismatch, `None` not available.
    pub verified: Option<bool>,
}

impl DecodeReport {
    /// True if every packet decoded, the stream ended normally and no checksum failed.
    pub fn is_clean(&self) -> bool {
        self.errors == 0 && self.stopped_early.is_none() && self.verified != Some(false)
    }
}

/// Why a file could not be decoded at all.
#[derive(Debug)]
pub enum DecodeError {
    /// The container or codec is recognised but Symphonia 0.6 cannot decode it (e.g. Opus).
    Unsupported(String),
    /// Not a recognised audio file, no audio track, or headers too broken to start decoding.
    Invalid(String),
    /// Reading the source failed (other than by reaching its end).
    Io(std::io::Error),
    /// Symphonia panicked on this input (a bug in the decoder, most likely triggered by a damaged
    /// file); the panic was caught.
    Internal(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Unsupported(m) => write!(f, "cannot decode: {m}"),
            DecodeError::Invalid(m) => write!(f, "{m}"),
            DecodeError::Io(e) => write!(f, "read error: {e}"),
            DecodeError::Internal(m) => write!(f, "the decoder crashed on this file: {m}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for DecodeError {
    fn from(e: std::io::Error) -> Self {
        DecodeError::Io(e)
    }
}

/// Adapter giving Symphonia a seekable source of known length.
struct Source<R> {
    inner: R,
    len: u64,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Source<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for Source<R> {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Upper bound on track-list resets (chained Ogg streams) followed before giving up.
const MAX_RESETS: u32 = 10_000;

/// Decodes the first audio track of `source` completely and counts its sample frames.
///
/// `source` is positioned at 0 and `len` is the file length in bytes; `extension_hint` is the
/// file extension without dot (only a hint). Packets that fail to decode are counted and
/// skipped; a demuxer failure ends decoding and is reported in
/// [`DecodeReport::stopped_early`]. Panics inside Symphonia are caught and returned as
/// [`DecodeError::Internal`].
// The plain entry point; the checker decodes through `findings_with`.
#[cfg_attr(not(test), allow(dead_code))]
pub fn decode_all<R: Read + Seek + Send + Sync>(
    source: R,
    len: u64,
    extension_hint: &str,
) -> Result<DecodeReport, DecodeError> {
    decode_all_with(source, len, extension_hint, &mut |_, _| {})
}

/// What receives the decoded audio: each buffer with the number of its frames that count
/// (the rest is codec padding past the packet's real duration).
pub type Sink<'a> = dyn FnMut(&GenericAudioBufferRef<'_>, usize) + 'a;

/// [`decode_all`], handing every decoded buffer to `sink` as it comes (nothing is kept), so
/// one decode serves both the stream check and the analysis (`--analyze`).
pub fn decode_all_with<R: Read + Seek + Send + Sync>(
    source: R,
    len: u64,
    extension_hint: &str,
    sink: &mut Sink<'_>,
) -> Result<DecodeReport, DecodeError> {
    if len == 0 {
        return Err(DecodeError::Invalid("the file is empty".into()));
    }
    match catch_unwind(AssertUnwindSafe(|| {
        decode_inner(source, len, extension_hint, sink)
    })) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(DecodeError::Internal(msg))
        }
    }
}

fn decode_inner<R: Read + Seek + Send + Sync>(
    mut source: R,
    len: u64,
    extension_hint: &str,
    sink: &mut Sink<'_>,
) -> Result<DecodeReport, DecodeError> {
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match source.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DecodeError::Io(e)),
        }
    }
    if let Some(what) = unsupported_container(&magic[..got]) {
        return Err(DecodeError::Unsupported(format!(
            "{what} files are not supported by the decoder (Symphonia 0.6)"
        )));
    }
    source.seek(SeekFrom::Start(0))?;
    let mss = MediaSourceStream::new(
        Box::new(Source { inner: source, len }),
        MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    if !extension_hint.is_empty() {
        hint.with_extension(extension_hint);
    }
    let mut format = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        .map_err(probe_error)?;

    let (mut track, mut decoder) = open_track(format.as_ref())?;
    let mut report = DecodeReport {
        frames: 0,
        sample_rate: 0,
        channels: 0,
        errors: 0,
        first_error: None,
        stopped_early: None,
        verified: None,
    };
    {
        let p = decoder.codec_params();
        report.sample_rate = p.sample_rate.unwrap_or(0);
        report.channels = p.channels.as_ref().map_or(0, |c| c.count() as u32);
    }
    let mut resets = 0u32;

    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::ResetRequired) => {
                // Chained Ogg: a new logical stream starts; keep counting with a new decoder.
                resets += 1;
                if resets > MAX_RESETS {
                    report.stopped_early = Some("too many chained streams".into());
                    break;
                }
                (track, decoder) = open_track(format.as_ref())?;
                continue;
            }
            Err(SymError::IoError(e)) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
                return Err(DecodeError::Io(e));
            }
            Err(SymError::IoError(_)) => {
                report.stopped_early = Some(format!(
                    "the stream ends before its last packet after {} decoded frames (the file is \
                     probably truncated)",
                    report.frames
                ));
                break;
            }
            // A container error after the track's full declared duration is a harmless trailing
            // problem (e.g. Symphonia loses sync at the end of an MP4 `mdat` of size 0).
            Err(_) if track.is_complete() => break,
            Err(e) => {
                report.stopped_early = Some(format!(
                    "the container could not be read past {} decoded frames: {e}",
                    report.frames
                ));
                break;
            }
        };
        if packet.track_id != track.id {
            continue;
        }
        // A jump forward in the packet timeline means the demuxer dropped damaged data without
        // saying so (the FLAC reader drops frames failing their CRC, Ogg drops bad pages).
        let pts = packet.pts.get();
        if let Some(expected) = track.next_pts.filter(|&e| pts > e) {
            let gap = pts.saturating_sub(expected);
            let at = seconds(track.time_base, pts, &report);
            let lost = track
                .time_base
                .and_then(|tb| tb.calc_time(Timestamp::new(gap)))
                .map_or(0.0, |t| t.as_secs_f64());
            note_error(
                &mut report,
                format!(
                    "packet at {at:.3} s: {lost:.3} s of audio are missing before this packet \
                     (damaged data was skipped)"
                ),
            );
        }
        track.next_pts = Some(pts.saturating_add_unsigned(packet.block_dur().get()));
        match decoder.decode(&packet) {
            Ok(buf) => {
                let spec = buf.spec();
                let decoded = buf.frames() as u64;
                // Decoders that ignore the container's trimming (AAC, and every codec in MP4,
                // where the demuxer reports the last packet's real duration) produce whole
                // codec frames; count only the packet's valid duration when it is in samples.
                let dur = packet.dur.get();
                let in_samples = track
                    .time_base
                    .is_some_and(|tb| tb.numer.get() == 1 && tb.denom.get() == spec.rate());
                let counted = if in_samples && dur > 0 {
                    decoded.min(dur)
                } else {
                    decoded
                };
                report.frames = report.frames.saturating_add(counted);
                sink(&buf, counted as usize);
                if spec.rate() != 0 {
                    report.sample_rate = spec.rate();
                    report.channels = spec.channels().count() as u32;
                }
            }
            Err(SymError::ResetRequired) => {
                decoder.reset();
            }
            Err(e) => {
                let at = seconds(track.time_base, pts, &report);
                note_error(&mut report, format!("packet at {at:.3} s: {e}"));
            }
        }
    }
    report.verified = decoder.finalize().verify_ok;
    Ok(report)
}

/// Counts one error and keeps the first message.
fn note_error(report: &mut DecodeReport, msg: String) {
    report.errors = report.errors.saturating_add(1);
    if report.first_error.is_none() {
        report.first_error = Some(msg);
    }
}

/// Position of a packet in seconds: from its timestamp, else from the frames decoded so far.
fn seconds(time_base: Option<TimeBase>, ts: i64, report: &DecodeReport) -> f64 {
    match time_base.and_then(|tb| tb.calc_time(Timestamp::new(ts))) {
        Some(t) => t.as_secs_f64().max(0.0),
        None => super::bytes::duration(report.frames, report.sample_rate),
    }
}

/// The track being decoded and where its packet timeline stands.
struct TrackState {
    id: u32,
    time_base: Option<TimeBase>,
    /// Timestamp the next packet should have (end of the previous packet).
    next_pts: Option<i64>,
    /// End of the track according to the container, if it says.
    end_pts: Option<i64>,
}

impl TrackState {
    /// True if packets up to the container's declared end of track have been read.
    fn is_complete(&self) -> bool {
        matches!((self.next_pts, self.end_pts), (Some(n), Some(e)) if n >= e)
    }
}

/// Finds the first audio track and builds its decoder.
fn open_track(format: &dyn FormatReader) -> Result<(TrackState, Box<dyn AudioDecoder>), DecodeError> {
    let track = format
        .first_track(TrackType::Audio)
        .ok_or_else(|| DecodeError::Invalid("the file contains no audio track".into()))?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| DecodeError::Invalid("the audio track has no codec parameters".into()))?;
    let opts = AudioDecoderOptions::default().gapless(true).verify(true);
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &opts)
        .map_err(|e| match e {
            SymError::Unsupported(_) => DecodeError::Unsupported(match codec_name(params.codec) {
                Some(name) => {
                    format!("{name} audio is not supported by the decoder (Symphonia 0.6)")
                }
                None => format!(
                    "the audio codec (Symphonia id {}) is not supported by the decoder",
                    params.codec
                ),
            }),
            SymError::IoError(e) => DecodeError::Io(e),
            other => DecodeError::Invalid(format!("the decoder could not be set up: {other}")),
        })?;
    let start = track.start_ts.get();
    let state = TrackState {
        id: track.id,
        time_base: track.time_base,
        next_pts: Some(start),
        end_pts: track.duration.map(|d| start.saturating_add_unsigned(d.get())),
    };
    Ok((state, decoder))
}

/// Maps a probe failure to a `DecodeError`.
fn probe_error(e: SymError) -> DecodeError {
    match e {
        SymError::Unsupported(m) if m.starts_with("core (probe)") => {
            DecodeError::Invalid("not a recognised audio file format".into())
        }
        // Format readers also report broken structure as "unsupported" (e.g. "missing moov").
        SymError::Unsupported(m) if m.contains("missing") => {
            DecodeError::Invalid(format!("the file structure is incomplete ({m})"))
        }
        SymError::Unsupported(m) => {
            DecodeError::Unsupported(format!("{m} is not supported by the decoder (Symphonia 0.6)"))
        }
        SymError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Invalid("the file ends inside its headers".into())
        }
        SymError::IoError(e) => DecodeError::Io(e),
        other => DecodeError::Invalid(format!("the headers could not be read: {other}")),
    }
}

/// Names containers that Symphonia 0.6 (with the features enabled here) cannot open, from the
/// first four bytes, so they get an "unsupported" rather than a "not audio" answer.
fn unsupported_container(magic: &[u8]) -> Option<&'static str> {
    match magic {
        b"RF64" => Some("RF64 WAV"),
        b"BW64" => Some("BW64 WAV"),
        [0x1A, 0x45, 0xDF, 0xA3] => Some("Matroska/WebM"),
        b"caff" => Some("CAF"),
        b"wvpk" => Some("WavPack"),
        b"MAC " => Some("Monkey's Audio"),
        [0x30, 0x26, 0xB2, 0x75] => Some("ASF/WMA"),
        _ => None,
    }
}

/// Human name of common codecs Symphonia 0.6 recognises but cannot decode.
fn codec_name(id: AudioCodecId) -> Option<&'static str> {
    let table = [
        (CODEC_ID_OPUS, "Opus"),
        (CODEC_ID_SPEEX, "Speex"),
        (CODEC_ID_AC3, "AC-3"),
        (CODEC_ID_EAC3, "E-AC-3"),
        (CODEC_ID_AC4, "AC-4"),
        (CODEC_ID_DCA, "DTS"),
        (CODEC_ID_WMA, "WMA"),
        (CODEC_ID_MUSEPACK, "Musepack"),
        (CODEC_ID_WAVPACK, "WavPack"),
        (CODEC_ID_MONKEYS_AUDIO, "Monkey's Audio"),
        (CODEC_ID_TTA, "TTA"),
        (CODEC_ID_ATRAC3, "ATRAC3"),
        (CODEC_ID_ATRAC3PLUS, "ATRAC3plus"),
    ];
    table.iter().find(|(c, _)| *c == id).map(|(_, n)| *n)
}

/// What a full decode says about a file, as findings: nothing when it decodes cleanly or when
/// the decoder does not support it (Opus, RF64), an `undecodable-audio` error otherwise.
/// `expected_s` is the duration the probe measured: a decoder that stops "early" after
/// decoding all of it only disagrees with a header (streaming tools write placeholder sizes).
pub fn findings<R: Read + Seek + Send + Sync>(
    source: R,
    len: u64,
    extension: &str,
    expected_s: Option<f64>,
) -> Vec<super::Finding> {
    findings_with(source, len, extension, expected_s, &mut |_, _| {})
}

/// [`findings`], handing the decoded audio to `sink` as [`decode_all_with`] does.
pub fn findings_with<R: Read + Seek + Send + Sync>(
    source: R,
    len: u64,
    extension: &str,
    expected_s: Option<f64>,
    sink: &mut Sink<'_>,
) -> Vec<super::Finding> {
    use crate::report::{Code, Severity};
    let complete = |r: &DecodeReport| {
        let decoded = r.frames as f64 / f64::from(r.sample_rate.max(1));
        expected_s.is_some_and(|e| decoded + 0.001 >= e)
    };
    let problem = match decode_all_with(source, len, extension, sink) {
        Ok(report) if report.is_clean() => None,
        Ok(report) if report.errors == 0 && report.verified != Some(false) && complete(&report) => None,
        Ok(report) => Some(if report.verified == Some(false) {
            "the decoded audio does not match the file's own checksum (FLAC MD5): the audio data is corrupt"
                .to_string()
        } else if report.errors > 0 {
            format!(
                "{} part{} of the audio failed to decode (first: {})",
                report.errors,
                if report.errors == 1 { "" } else { "s" },
                report.first_error.unwrap_or_default()
            )
        } else {
            format!(
                "decoding stopped early: {}",
                report.stopped_early.unwrap_or_default()
            )
        }),
        Err(DecodeError::Unsupported(_)) => None,
        Err(e) => Some(format!("the audio cannot be decoded: {e}")),
    };
    problem
        .map(|p| super::Finding {
            severity: Severity::Error,
            code: Code::UndecodableAudio,
            message: format!("{p}. Export the file again from its source"),
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    use crate::test_fixtures::fixture;

    fn ext(path: &str) -> &str {
        path.rsplit('.').next().unwrap_or("")
    }

    fn decode_bytes(b: Vec<u8>, ext: &str) -> Result<DecodeReport, DecodeError> {
        let len = b.len() as u64;
        decode_all(Cursor::new(b), len, ext)
    }

    fn decode(path: &str) -> Result<DecodeReport, DecodeError> {
        decode_bytes(fixture(path), ext(path))
    }

    /// Flips `width` bytes starting at `frac_percent` of the file (XOR 0x5A).
    fn damaged(path: &str, frac_percent: usize, width: usize) -> Vec<u8> {
        let mut b = fixture(path);
        let at = b.len() * frac_percent / 100;
        let end = (at + width).min(b.len());
        for x in &mut b[at..end] {
            *x ^= 0x5A;
        }
        b
    }

    // (fixture, frames, sample rate, channels). Exact counts: WAV/AIFF/FLAC/Vorbis/ALAC/PCM from
    // the fixture definitions (make.sh durations x rates), which `ffmpeg -i f -f s16le -ac 1 - |
    // wc -c` / 2 reproduces for every one of them; MP3/MP2/ADTS values are the exact counts given
    // by the mpa module (LAME tag delay/padding applied) and equal ffmpeg's decode count.
    const CLEAN: &[(&str, u64, u32, u32)] = &[
        ("audio/wav_s16le.wav", 8000, 8000, 1),
        ("audio/wav_s24le_3ch_ext.wav", 2000, 8000, 3),
        ("audio/wav_f32le.wav", 4000, 8000, 1),
        // IMA ADPCM: 505 frames per 256-byte block, last block padded; ffmpeg also gives 4082
        ("audio/wav_ima_adpcm.wav", 4082, 8000, 1),
        ("audio/wav_mulaw.wav", 4000, 8000, 1),
        ("audio/aiff_s16be.aiff", 8000, 8000, 1),
        ("audio/aifc_sowt.aiff", 4000, 8000, 1),
        ("audio/flac_s16.flac", 16000, 16000, 1),
        ("audio/oggflac.oga", 4000, 8000, 1),
        ("audio/vorbis.ogg", 8000, 8000, 1),
        ("mp3/vbr_noxing.mp3", 49536, 32000, 1),
        ("mp3/cbr_info.mp3", 32000, 32000, 1),
        ("mp3/vbr_xing.mp3", 48000, 32000, 1),
        ("mp3/id3_tags.mp3", 32000, 32000, 1),
        ("mp3/mpeg2_22k.mp3", 22050, 22050, 1),
        ("mp3/mpeg25_8k.mp3", 8000, 8000, 1),
        ("mp3/layer2.mp2", 32256, 32000, 1),
        ("mp3/adts.aac", 25600, 16000, 1),
        // the exact count is 8000 (0.5 s); ffmpeg gives 8000 too
        ("video/mov_h264_pcm.mov", 8000, 8000, 1),
        ("video/alac.m4a", 4000, 8000, 1),
        ("video/flac.mp4", 9600, 96000, 1),
        // Symphonia 0.6 ignores MP4 edit lists, so the AAC priming (1024) is counted: this is the
        // stts total (mdhd duration). Exact audible: 22050 (ffprobe duration_ts); ffmpeg's decode
        // gives 22528 (priming trimmed, last packet not); Symphonia alone decodes 23552.
        ("video/aac.m4a", 23074, 44100, 2),
        // exact 8000; ffmpeg decode 8192; Symphonia alone 9216
        ("video/h264_aac.mp4", 9024, 8000, 1),
        ("video/h264_aac_faststart.mp4", 9024, 8000, 1),
        ("video/mdat_largesize.mp4", 9024, 8000, 1),
        // an mdat of size 0 makes Symphonia lose sync after the last packet; ignored as the
        // track's declared duration was fully read
        ("video/mdat_size0.mp4", 9024, 8000, 1),
        // fragmented: no edit list, ffprobe duration_ts 9024; ffmpeg decode 9216
        ("video/h264_aac_frag.mp4", 9024, 8000, 1),
        ("video/frag_mehd.mp4", 9024, 8000, 1),
        // MP3 in MP4: exact 8000 (+1105 priming, no edit list support); ffmpeg decode 8111
        ("video/mp3.mp4", 9105, 16000, 1),
    ];

    #[test]
    fn clean_fixtures_decode_with_expected_counts() {
        for &(path, frames, rate, channels) in CLEAN {
            let r = decode(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(
                (r.frames, r.sample_rate, r.channels),
                (frames, rate, channels),
                "{path}: {r:?}"
            );
            assert!(r.is_clean(), "{path}: {r:?}");
            assert_eq!(r.first_error, None, "{path}");
        }
    }

    #[test]
    fn flac_md5_is_verified() {
        assert_eq!(decode("audio/flac_s16.flac").unwrap().verified, Some(true));
        assert_eq!(decode("video/flac.mp4").unwrap().verified, Some(true));
        assert_eq!(decode("audio/wav_s16le.wav").unwrap().verified, None);
    }

    #[test]
    fn unsupported_codecs_and_containers() {
        for path in ["audio/opus.opus", "audio/opus_trunc.opus", "video/opus.mp4"] {
            match decode(path) {
                Err(DecodeError::Unsupported(m)) => assert!(m.contains("Opus"), "{path}: {m}"),
                other => panic!("{path}: {other:?}"),
            }
        }
        match decode("audio/wav_rf64.wav") {
            Err(DecodeError::Unsupported(m)) => assert!(m.contains("RF64"), "{m}"),
            other => panic!("{other:?}"),
        }
        let mut mkv = vec![0x1A, 0x45, 0xDF, 0xA3];
        mkv.extend_from_slice(&[0u8; 60]);
        assert!(matches!(
            decode_bytes(mkv, "webm"),
            Err(DecodeError::Unsupported(_))
        ));
    }

    #[test]
    fn files_without_audio_are_invalid() {
        for path in [
            "video/h264_frag_video.mp4",
            "video/mpeg4.mp4",
            "video/no_moov.mp4",
            "video/trunc_mdat.mp4",
            // Symphonia refuses hvcC boxes over 1 KiB: the whole file fails to open
            "video/hevc_hvc1.mp4",
        ] {
            assert!(matches!(decode(path), Err(DecodeError::Invalid(_))), "{path}");
        }
    }

    #[test]
    fn garbage_inputs_are_invalid() {
        assert!(matches!(
            decode_bytes(Vec::new(), "mp3"),
            Err(DecodeError::Invalid(_))
        ));
        assert!(matches!(
            decode_bytes(vec![0; 5000], "wav"),
            Err(DecodeError::Invalid(_))
        ));
        // deterministic pseudo-random bytes (xorshift)
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let rnd: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        for hint in ["mp3", "flac", "wav", ""] {
            let r = decode_bytes(rnd.clone(), hint);
            assert!(matches!(r, Err(DecodeError::Invalid(_))), "{hint}: {r:?}");
        }
        let e = decode_bytes(b"hello".to_vec(), "txt").unwrap_err();
        assert_eq!(e.to_string(), "not a recognised audio file format");
    }

    #[test]
    fn truncated_fixtures_give_fewer_frames() {
        // (fixture, frames decoded, stopped early?). ffmpeg decodes the same counts except for
        // truncated.mp3, where it also decodes the cut last frame (32000): Symphonia silently
        // drops an incomplete last MP3 frame (1152 - 303 padding = 849 frames).
        for &(path, frames, stopped) in &[
            ("audio/flac_s16_trunc.flac", 7168, true),
            ("audio/wav_s16le_trunc.wav", 4000, true),
            ("mp3/adts_truncated.aac", 24576, true),
            ("mp3/truncated.mp3", 31151, false),
            // streaming-style WAV header (sizes 0xFFFFFFFF): all audio decodes, but the data
            // chunk promises more than the file holds
            ("audio/wav_s16le_ffff.wav", 8000, true),
            // moov intact, mdat cut: Symphonia gives up at once (ffmpeg decodes 4096)
            ("video/trunc_faststart.mp4", 0, true),
        ] {
            let r = decode(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(r.frames, frames, "{path}: {r:?}");
            assert_eq!(r.stopped_early.is_some(), stopped, "{path}: {r:?}");
            assert_eq!(r.errors, 0, "{path}: {r:?}");
        }
        assert_eq!(decode("audio/flac_s16_trunc.flac").unwrap().verified, Some(false));
        // garbage.mp3: 300 bytes inserted between two frames; the demuxer resyncs without a word
        // and every real frame decodes (ffmpeg loses one frame: 48384)
        let r = decode("mp3/garbage.mp3").unwrap();
        assert_eq!((r.frames, r.errors), (49536, 0));
    }

    #[test]
    fn truncation_sweep_never_gains_frames() {
        for &(path, frames, _, _) in CLEAN.iter().step_by(3) {
            let b = fixture(path);
            for pct in [10, 35, 60, 85, 99] {
                let cut = b[..b.len() * pct / 100].to_vec();
                match decode_bytes(cut, ext(path)) {
                    Ok(r) => assert!(r.frames <= frames, "{path} {pct}%: {r:?}"),
                    Err(DecodeError::Invalid(_)) => {}
                    Err(e) => panic!("{path} {pct}%: {e:?}"),
                }
            }
        }
    }

    #[test]
    fn corrupted_mp3_reports_decode_errors() {
        // 200 bytes of main data overwritten at 40% of the file: the decoder rejects a packet
        let r = decode_bytes(damaged("mp3/vbr_noxing.mp3", 40, 200), "mp3").unwrap();
        assert_eq!(r.errors, 1, "{r:?}");
        assert!(r.frames < 49536, "{r:?}");
        let msg = r.first_error.unwrap();
        assert!(msg.starts_with("packet at 0.756 s: "), "{msg}");
        // a single flipped byte inside MP3 main data (no CRC) decodes silently: undetectable
        let r = decode_bytes(damaged("mp3/vbr_noxing.mp3", 50, 1), "mp3").unwrap();
        assert_eq!((r.frames, r.errors), (49536, 0));
        // a damaged frame header: the demuxer skips the frame silently, only the count drops
        let r = decode_bytes(damaged("mp3/vbr_noxing.mp3", 60, 16), "mp3").unwrap();
        assert_eq!((r.frames, r.errors), (48384, 0));
    }

    #[test]
    fn corrupted_flac_reports_missing_frames() {
        // one flipped byte inside a frame: the FLAC reader drops the frame (CRC-16 mismatch)
        // without an error; the gap in the frame numbers is reported, and the MD5 fails
        let r = decode_bytes(damaged("audio/flac_s16.flac", 75, 1), "flac").unwrap();
        assert_eq!((r.frames, r.errors, r.verified), (14976, 1, Some(false)), "{r:?}");
        let msg = r.first_error.unwrap();
        assert_eq!(
            msg,
            "packet at 0.448 s: 0.064 s of audio are missing before this packet (damaged data \
             was skipped)"
        );
        // the first audio frame damaged: the gap is measured from the track start
        let r = decode_bytes(damaged("audio/flac_s16.flac", 60, 1), "flac").unwrap();
        assert_eq!((r.frames, r.errors, r.verified), (14976, 1, Some(false)), "{r:?}");
    }

    #[test]
    fn corrupted_aac_and_vorbis() {
        let r = decode_bytes(damaged("mp3/adts.aac", 50, 16), "aac").unwrap();
        assert_eq!((r.frames, r.errors), (24576, 1), "{r:?}");
        let r = decode_bytes(damaged("video/aac.m4a", 50, 1), "m4a").unwrap();
        assert_eq!(r.errors, 1, "{r:?}");
        assert!(r.first_error.unwrap().contains("aac"));
        // a damaged Ogg page near the end: dropped (CRC-32), reported as a timeline gap
        let r = decode_bytes(damaged("audio/vorbis.ogg", 90, 1), "ogg").unwrap();
        assert_eq!((r.frames, r.errors), (5952, 1), "{r:?}");
        // a damaged header page (Vorbis setup is most of this tiny file): cannot start
        let r = decode_bytes(damaged("audio/vorbis.ogg", 40, 1), "ogg");
        assert!(matches!(r, Err(DecodeError::Invalid(_))), "{r:?}");
    }

    #[test]
    fn no_panic_sweep() {
        let mut all = Vec::new();
        for kind in ["audio", "mp3", "video"] {
            let dir = crate::test_fixtures::fixture_path(kind);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| !n.ends_with(".sh"))
                .collect();
            names.sort();
            all.extend(names.into_iter().map(|n| format!("{kind}/{n}")));
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for path in &all {
            let b = fixture(path);
            let check = |bytes: Vec<u8>, what: &str| {
                if let Err(DecodeError::Internal(m)) = decode_bytes(bytes, ext(path)) {
                    panic!("{path} {what}: Symphonia panicked: {m}");
                }
            };
            let step = (b.len() / 12).max(1);
            for cut in (0..b.len()).step_by(step) {
                check(b[..cut].to_vec(), &format!("prefix {cut}"));
            }
            for _ in 0..12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut c = b.clone();
                let i = (seed % b.len() as u64) as usize;
                c[i] ^= (seed >> 56) as u8 | 1;
                check(c, &format!("byte {i}"));
            }
        }
    }

    #[test]
    fn reader_by_reference_and_io_error() {
        let b = fixture("audio/wav_s16le.wav");
        let len = b.len() as u64;
        let mut cur = Cursor::new(b);
        assert_eq!(decode_all(&mut cur, len, "wav").unwrap().frames, 8000);

        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        impl Seek for Failing {
            fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
                Ok(0)
            }
        }
        assert!(matches!(decode_all(Failing, 100, "wav"), Err(DecodeError::Io(_))));
    }
}
