//! MPEG audio (MPEG-1/2/2.5 layers I–III: MP1, MP2, MP3) and ADTS AAC probing by walking every frame
//! header to the end of the file without decoding: exact frame and sample counts of what the file holds
//! (also for VBR without Xing/VBRI), with header claims, truncation and garbage reported next to them.

use std::io::{self, Read, Seek, SeekFrom};

use super::read_at;

/// Size of the read buffer managed over the reader.
const BUF_CAP: usize = 64 * 1024;
/// Bytes kept before the requested position when the buffer is refilled (cheap small look-backs).
const KEEP_BACK: u64 = 8 * 1024;
/// Largest single request served by the buffer.
const MAX_GET: usize = 32 * 1024;
/// How far past the leading tags the first frame is searched for.
const FIRST_FRAME_SEARCH: u64 = 1 << 20;
/// Consecutive consistent frames needed to accept the first frame.
const CONFIRM_FIRST: u32 = 3;
/// Consecutive consistent frames needed to accept a frame found while resyncing.
const CONFIRM_RESYNC: u32 = 2;

use super::ParseError;
use super::bytes::{id3v2_len, syncsafe, u32_be, u32_le};

/// MPEG audio version of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MpegVersion {
    /// MPEG-1 (32, 44.1, 48 kHz).
    Mpeg1,
    /// MPEG-2 low sampling frequencies (16, 22.05, 24 kHz).
    Mpeg2,
    /// The unofficial MPEG-2.5 extension (8, 11.025, 12 kHz).
    Mpeg25,
}

/// Kind of VBR/info header found in the first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VbrHeaderKind {
    /// A Xing header (usually VBR).
    Xing,
    /// An Info header (same layout as Xing, written for CBR streams).
    Info,
    /// A Fraunhofer VBRI header.
    Vbri,
}

/// What walking an MPEG audio stream found.
#[derive(Debug, Clone, PartialEq)]
pub struct MpegAudioInfo {
    /// Layer: 1, 2 or 3.
    pub layer: u8,
    /// MPEG version.
    pub version: MpegVersion,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels of the first audio frame (1 or 2).
    pub channels: u8,
    /// Complete audio frames present (walked), excluding the Xing/Info/VBRI frame and a final
    /// frame that is cut short.
    pub frames: u64,
    /// Samples per frame per channel (384, 576 or 1152).
    pub samples_per_frame: u32,
    /// Encoder delay in samples from a LAME/Lavc/Lavf tag (as stored, without the decoder's 529).
    pub encoder_delay: Option<u32>,
    /// Encoder padding at the end in samples from a LAME/Lavc/Lavf tag.
    pub encoder_padding: Option<u32>,
    /// Playable samples per channel: `frames * samples_per_frame` minus the tag's delay and
    /// padding (the padding only as far as the declared end of the stream is present). This is
    /// the count ffmpeg's decoder outputs for an intact file.
    pub samples: u64,
    /// `samples / sample_rate` in seconds.
    pub duration_s: f64,
    /// Which VBR/info header the first frame holds, if any.
    pub header_kind: Option<VbrHeaderKind>,
    /// Audio frame count declared by a Xing/Info or VBRI header.
    pub header_frames: Option<u64>,
    /// Encoder string of the LAME-style tag (e.g. `LAME3.100`, `Lavf`), if present.
    pub encoder: Option<String>,
    /// True when the bitrate varies between the walked audio frames.
    pub vbr: bool,
    /// Average bitrate of the walked audio frames in kbit/s.
    pub avg_bitrate_kbps: f64,
    /// Byte offset of the first frame (the Xing/Info/VBRI frame when there is one).
    pub audio_start: u64,
    /// Bytes of the walked audio frames (excluding the Xing/Info/VBRI frame).
    pub audio_bytes: u64,
    /// Bytes of leading ID3v2 tags.
    pub leading_tag_bytes: u64,
    /// Bytes of trailing ID3v1 / APEv2 / Lyrics3 / appended ID3v2 tags.
    pub trailing_tag_bytes: u64,
    /// Unrecognised bytes between the leading tags and the first frame (often zero padding).
    pub leading_junk_bytes: u64,
    /// Garbage bytes skipped between (and after) frames while resyncing.
    pub skipped_bytes: u64,
    /// The part of `skipped_bytes` after the last frame (before any trailing tags).
    pub trailing_junk_bytes: u64,
    /// Set when the stream is incomplete: the last frame is cut short, or the Xing/VBRI header
    /// declares more frames than are present. The other fields still describe what is there.
    pub truncated: Option<String>,
    /// Set instead of `truncated` when frames the header declares are missing but the stream
    /// ends cleanly and a run of damaged bytes lies between frames: they were lost in the
    /// middle, not cut off at the end.
    pub corrupt: Option<String>,
}

/// What walking an ADTS AAC stream found.
#[derive(Debug, Clone, PartialEq)]
pub struct AdtsInfo {
    /// Sample rate in Hz from the header (the AAC core rate; HE-AAC's SBR doubles it when
    /// decoded, which ADTS headers cannot signal).
    pub sample_rate: u32,
    /// Channels from the channel configuration of the first frame (0 = defined in-band by a
    /// program config element; 7 means 8 channels).
    pub channels: u8,
    /// Complete ADTS frames present.
    pub frames: u64,
    /// Samples per channel: 1024 per raw data block (one block per frame in practice). Encoder
    /// priming is not signalled by ADTS, so this equals what a decoder outputs.
    pub samples: u64,
    /// `samples / sample_rate` in seconds.
    pub duration_s: f64,
    /// Audio object type from the header: "Main", "LC", "SSR" or "LTP".
    pub profile: &'static str,
    /// 2 or 4 (the MPEG version bit of the header).
    pub mpeg_version: u8,
    /// Average bitrate of the walked frames in kbit/s.
    pub avg_bitrate_kbps: f64,
    /// Byte offset of the first frame.
    pub audio_start: u64,
    /// Bytes of the walked frames.
    pub audio_bytes: u64,
    /// Bytes of leading ID3v2 tags.
    pub leading_tag_bytes: u64,
    /// Bytes of trailing ID3v1 / APEv2 / Lyrics3 / appended ID3v2 tags.
    pub trailing_tag_bytes: u64,
    /// Unrecognised bytes between the leading tags and the first frame.
    pub leading_junk_bytes: u64,
    /// Garbage bytes skipped between (and after) frames while resyncing.
    pub skipped_bytes: u64,
    /// The part of `skipped_bytes` after the last frame (before any trailing tags).
    pub trailing_junk_bytes: u64,
    /// Set when the last frame is cut short. The other fields still describe what is there.
    pub truncated: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Buffered window over the reader

struct Window<'a, R> {
    r: &'a mut R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    filled: usize,
    /// Where the reader is positioned, when known.
    file_pos: Option<u64>,
    /// Nothing at or past this offset is read (end of the audio region, or real end of file).
    end: u64,
}

impl<'a, R: Read + Seek> Window<'a, R> {
    fn new(r: &'a mut R, end: u64) -> Self {
        Window {
            r,
            // small files get a small buffer
            buf: vec![0; end.min(BUF_CAP as u64) as usize],
            start: 0,
            filled: 0,
            file_pos: None,
            end,
        }
    }

    /// Up to `n` bytes at `pos` (fewer only at the end of the region).
    fn get(&mut self, pos: u64, n: usize) -> io::Result<&[u8]> {
        let n = n.min(MAX_GET);
        if pos >= self.end {
            return Ok(&[]);
        }
        let want_end = pos.saturating_add(n as u64).min(self.end);
        let buf_end = self.start + self.filled as u64;
        if pos < self.start || want_end > buf_end {
            let keep_from = pos.saturating_sub(KEEP_BACK).max(self.start);
            if pos >= self.start && keep_from < buf_end {
                let off = (keep_from - self.start) as usize;
                self.buf.copy_within(off..self.filled, 0);
                self.filled -= off;
                self.start = keep_from;
            } else {
                self.filled = 0;
                self.start = pos;
            }
            let read_from = self.start + self.filled as u64;
            if self.file_pos != Some(read_from) {
                self.file_pos = None;
                self.r.seek(SeekFrom::Start(read_from))?;
                self.file_pos = Some(read_from);
            }
            let cap = self.end.saturating_sub(self.start).min(self.buf.len() as u64) as usize;
            while self.filled < cap {
                match self.r.read(&mut self.buf[self.filled..cap]) {
                    Ok(0) => {
                        // the file is shorter than the caller said
                        self.end = self.start + self.filled as u64;
                        break;
                    }
                    Ok(k) => {
                        self.filled += k.min(cap - self.filled);
                        self.file_pos = Some(self.start + self.filled as u64);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.file_pos = None;
                        return Err(e);
                    }
                }
            }
        }
        let buf_end = self.start + self.filled as u64;
        if pos < self.start || pos >= buf_end {
            return Ok(&[]);
        }
        let off = (pos - self.start) as usize;
        let k = (want_end.min(buf_end) - pos) as usize;
        Ok(&self.buf[off..off + k])
    }
}

// ---------------------------------------------------------------------------------------------
// Tags around the audio

struct Region {
    start: u64,
    end: u64,
    leading_tag_bytes: u64,
    trailing_tag_bytes: u64,
}

fn find_region<R: Read + Seek>(r: &mut R, len: u64) -> Result<Region, ParseError> {
    // leading ID3v2 tags (several may follow each other)
    let mut start = 0u64;
    let mut h = [0u8; 10];
    for _ in 0..1000 {
        let got = read_at(r, start, &mut h)?;
        let Some(tag) = id3v2_len(&h[..got]) else {
            break;
        };
        let tag_end = start.saturating_add(tag);
        if tag_end > len {
            return Err(ParseError::Truncated(format!(
                "the ID3v2 tag at byte {start} declares {tag} bytes but the file ends after {len}"
            )));
        }
        start = tag_end;
    }
    // trailing tags, in any order, until none is recognised
    let mut end = len;
    let mut tail = [0u8; 32];
    for _ in 0..16 {
        let avail = end - start;
        // ID3v1
        if avail >= 128 {
            let got = read_at(r, end - 128, &mut tail[..3])?;
            if got == 3 && &tail[..3] == b"TAG" {
                end -= 128;
                continue;
            }
        }
        // APEv2 footer
        if avail >= 32 {
            let got = read_at(r, end - 32, &mut tail)?;
            if got == 32 && &tail[..8] == b"APETAGEX" {
                let size = u64::from(u32_le(&tail, 12).unwrap_or(0));
                let flags = u32_le(&tail, 20).unwrap_or(0);
                let total = size + if flags & 0x8000_0000 != 0 { 32 } else { 0 };
                if (32..=avail).contains(&total) {
                    end -= total;
                    continue;
                }
            }
        }
        // appended ID3v2 with footer
        if avail >= 20 {
            let got = read_at(r, end - 10, &mut tail[..10])?;
            if got == 10 && &tail[..3] == b"3DI" {
                if let Some(size) = syncsafe(&tail[6..10]) {
                    let total = size + 20;
                    if total <= avail {
                        let got = read_at(r, end - total, &mut tail[..3])?;
                        if got == 3 && &tail[..3] == b"ID3" {
                            end -= total;
                            continue;
                        }
                    }
                }
            }
        }
        // Lyrics3 v2 ("LYRICSBEGIN" ... 6-digit size "LYRICS200")
        if avail >= 15 + 11 {
            let got = read_at(r, end - 15, &mut tail[..15])?;
            if got == 15 && &tail[6..15] == b"LYRICS200" {
                let digits = &tail[..6];
                if digits.iter().all(u8::is_ascii_digit) {
                    let size = digits.iter().fold(0u64, |a, &d| a * 10 + (d - b'0') as u64);
                    let total = size + 15;
                    if total <= avail {
                        let got = read_at(r, end - total, &mut tail[..11])?;
                        if got == 11 && &tail[..11] == b"LYRICSBEGIN" {
                            end -= total;
                            continue;
                        }
                    }
                }
            }
            // Lyrics3 v1 ("LYRICSBEGIN" ... up to 5100 bytes ... "LYRICSEND")
            let got = read_at(r, end - 9, &mut tail[..9])?;
            if got == 9 && &tail[..9] == b"LYRICSEND" {
                let back = (avail - 9).min(5100 + 11);
                let mut area = vec![0u8; back as usize];
                let got = read_at(r, end - 9 - back, &mut area)?;
                if let Some(i) = area[..got].windows(11).rposition(|w| w == b"LYRICSBEGIN") {
                    end = end - 9 - back + i as u64;
                    continue;
                }
            }
        }
        break;
    }
    Ok(Region {
        start,
        end,
        leading_tag_bytes: start,
        trailing_tag_bytes: len - end,
    })
}

// ---------------------------------------------------------------------------------------------
// Generic frame walker

trait FrameHeader: Copy {
    const HEADER_LEN: usize;
    fn parse(b: &[u8]) -> Option<Self>;
    fn frame_len(&self) -> u64;
    fn same_stream(&self, other: &Self) -> bool;
    /// Whether `b` (shorter than a header) looks like the start of a header.
    fn partial_sync(b: &[u8]) -> bool;
}

fn header_at<F: FrameHeader, R: Read + Seek>(w: &mut Window<R>, pos: u64) -> io::Result<Option<F>> {
    let b = w.get(pos, F::HEADER_LEN)?;
    Ok(if b.len() == F::HEADER_LEN {
        F::parse(b)
    } else {
        None
    })
}

/// True if `h` at `pos` is followed by `n - 1` further consistent frames (or the region ends
/// exactly after a complete frame, or a later frame runs past the end).
fn confirm<F: FrameHeader, R: Read + Seek>(w: &mut Window<R>, pos: u64, h: &F, n: u32) -> io::Result<bool> {
    let mut p = pos;
    let mut cur = *h;
    for i in 0..n {
        let next = p.saturating_add(cur.frame_len());
        if next > w.end {
            return Ok(i > 0);
        }
        if next == w.end || i + 1 == n {
            return Ok(true);
        }
        match header_at::<F, R>(w, next)? {
            Some(nh) if nh.same_stream(h) => {
                p = next;
                cur = nh;
            }
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Position of the next 0xFF byte in `[pos, limit)`.
fn next_ff<R: Read + Seek>(w: &mut Window<R>, mut pos: u64, limit: u64) -> io::Result<Option<u64>> {
    while pos < limit {
        let b = w.get(pos, 4096)?;
        if b.is_empty() {
            return Ok(None);
        }
        let span = (b.len() as u64).min(limit - pos) as usize;
        if let Some(i) = b[..span].iter().position(|&x| x == 0xFF) {
            return Ok(Some(pos + i as u64));
        }
        pos += span as u64;
    }
    Ok(None)
}

/// First confirmed frame in `[from, limit)` consistent with `reference` (if given).
fn scan<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    from: u64,
    limit: u64,
    reference: Option<&F>,
    n_confirm: u32,
    mut on_reject: impl FnMut(&mut Window<R>, u64) -> Result<(), ParseError>,
) -> Result<Option<(u64, F)>, ParseError> {
    let mut pos = from;
    while let Some(p) = next_ff(w, pos, limit.min(w.end))? {
        match header_at::<F, R>(w, p)? {
            Some(h) if reference.is_none_or(|r| h.same_stream(r)) => {
                if confirm(w, p, &h, n_confirm)? {
                    return Ok(Some((p, h)));
                }
            }
            _ => on_reject(w, p)?,
        }
        pos = p + 1;
    }
    Ok(None)
}

/// The error when no first frame was found: Truncated if a frame starts right after the tags
/// but runs past the end of the file, Invalid otherwise.
fn no_first_frame<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    start: u64,
    what: &str,
) -> Result<ParseError, ParseError> {
    if start >= w.end {
        return Ok(ParseError::Invalid(
            "the file holds no audio data after its tags".into(),
        ));
    }
    if let Some(h) = header_at::<F, R>(w, start)? {
        let len = h.frame_len();
        if start.saturating_add(len) > w.end {
            return Ok(ParseError::Truncated(format!(
                "the first {what} frame (at byte {start}) needs {len} bytes but the file ends after {}",
                w.end
            )));
        }
    }
    Ok(ParseError::Invalid(format!(
        "no {what} frame found in the first {} bytes after the tags",
        w.end.saturating_sub(start).min(FIRST_FRAME_SEARCH)
    )))
}

struct Walk {
    frames: u64,
    audio_bytes: u64,
    skipped: u64,
    /// The part of `skipped` after the last frame.
    trailing: u64,
    /// Bytes skipped in runs that valid frames follow (damage in the middle of the stream).
    skipped_mid: u64,
    /// Where the first such run starts.
    first_bad: Option<u64>,
    truncated: Option<String>,
}

/// Walks frames from `pos` to the end of the region, resyncing over garbage.
fn walk<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    mut pos: u64,
    reference: &F,
    what: &str,
    mut on_frame: impl FnMut(&F),
) -> Result<Walk, ParseError> {
    let mut st = Walk {
        frames: 0,
        audio_bytes: 0,
        skipped: 0,
        trailing: 0,
        skipped_mid: 0,
        first_bad: None,
        truncated: None,
    };
    while pos < w.end {
        let h = match header_at::<F, R>(w, pos)? {
            Some(h) if h.same_stream(reference) => h,
            _ => {
                let found = scan::<F, R>(w, pos + 1, u64::MAX, Some(reference), CONFIRM_RESYNC, |_, _| {
                    Ok(())
                })?;
                match found {
                    Some((p, h)) => {
                        st.skipped += p - pos;
                        st.skipped_mid += p - pos;
                        st.first_bad.get_or_insert(pos);
                        pos = p;
                        h
                    }
                    None => {
                        let rem = w.end.saturating_sub(pos);
                        let b = w.get(pos, F::HEADER_LEN)?;
                        if (rem as usize) < F::HEADER_LEN && F::partial_sync(b) {
                            st.truncated = Some(format!(
                                "the file ends inside the header of the frame at byte {pos}"
                            ));
                        } else {
                            st.skipped += rem;
                            st.trailing = rem;
                        }
                        break;
                    }
                }
            }
        };
        let len = h.frame_len();
        let frame_end = pos.saturating_add(len);
        if frame_end > w.end {
            st.truncated = Some(format!(
                "the last {what} frame (at byte {pos}) needs {len} bytes but only {} remain",
                w.end.saturating_sub(pos)
            ));
            break;
        }
        on_frame(&h);
        st.frames += 1;
        st.audio_bytes += len;
        pos = frame_end;
    }
    Ok(st)
}

// ---------------------------------------------------------------------------------------------
// MPEG audio

const BITRATES_V1: [[u16; 14]; 3] = [
    [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BITRATES_V2: [[u16; 14]; 2] = [
    [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
const SAME_STREAM_MASK: u32 = 0xFFE0_0000 | (3 << 19) | (3 << 17) | (3 << 10);

#[derive(Debug, Clone, Copy)]
struct MpegHeader {
    raw: u32,
    version: MpegVersion,
    layer: u8,
    crc: bool,
    bitrate_kbps: u32,
    sample_rate: u32,
    channel_mode: u8,
    len: u32,
    spf: u32,
}

/// Version, layer and sample rate of a header with a valid sync, or None.
fn mpeg_basics(raw: u32) -> Option<(MpegVersion, u8, u32)> {
    if raw & 0xFFE0_0000 != 0xFFE0_0000 || raw & 3 == 2 {
        return None;
    }
    let version = match (raw >> 19) & 3 {
        0 => MpegVersion::Mpeg25,
        2 => MpegVersion::Mpeg2,
        3 => MpegVersion::Mpeg1,
        _ => return None,
    };
    let layer = match (raw >> 17) & 3 {
        1 => 3,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    let base = match (raw >> 10) & 3 {
        0 => 44100,
        1 => 48000,
        2 => 32000,
        _ => return None,
    };
    let sample_rate = match version {
        MpegVersion::Mpeg1 => base,
        MpegVersion::Mpeg2 => base / 2,
        MpegVersion::Mpeg25 => base / 4,
    };
    Some((version, layer, sample_rate))
}

/// True for a header that is valid except for its free-format (0) bitrate index.
fn is_free_format(raw: u32) -> bool {
    mpeg_basics(raw).is_some() && (raw >> 12) & 0xF == 0
}

impl FrameHeader for MpegHeader {
    const HEADER_LEN: usize = 4;

    fn parse(b: &[u8]) -> Option<Self> {
        let raw = u32_be(b, 0)?;
        let (version, layer, sample_rate) = mpeg_basics(raw)?;
        let br_idx = ((raw >> 12) & 0xF) as usize;
        if br_idx == 0 || br_idx == 15 {
            return None;
        }
        let row = match (version, layer) {
            (MpegVersion::Mpeg1, l) => &BITRATES_V1[(l - 1) as usize],
            (_, 1) => &BITRATES_V2[0],
            _ => &BITRATES_V2[1],
        };
        let bitrate_kbps = row[br_idx - 1] as u32;
        let pad = (raw >> 9) & 1;
        let br = bitrate_kbps * 1000;
        let (len, spf) = match (layer, version) {
            (1, _) => ((12 * br / sample_rate + pad) * 4, 384),
            (2, _) => (144 * br / sample_rate + pad, 1152),
            (_, MpegVersion::Mpeg1) => (144 * br / sample_rate + pad, 1152),
            _ => (72 * br / sample_rate + pad, 576),
        };
        Some(MpegHeader {
            raw,
            version,
            layer,
            crc: (raw >> 16) & 1 == 0,
            bitrate_kbps,
            sample_rate,
            channel_mode: ((raw >> 6) & 3) as u8,
            len,
            spf,
        })
    }

    fn frame_len(&self) -> u64 {
        self.len as u64
    }

    fn same_stream(&self, other: &Self) -> bool {
        self.raw & SAME_STREAM_MASK == other.raw & SAME_STREAM_MASK
    }

    fn partial_sync(b: &[u8]) -> bool {
        match b {
            [0xFF] => true,
            [0xFF, x, ..] => x & 0xE0 == 0xE0,
            _ => false,
        }
    }
}

struct VbrHeader {
    kind: VbrHeaderKind,
    frames: Option<u64>,
    encoder: Option<String>,
    delay: Option<u32>,
    padding: Option<u32>,
}

/// Xing/Info (with LAME tag) or VBRI header in the first frame `f`.
fn parse_vbr_header(f: &[u8], h: &MpegHeader) -> Option<VbrHeader> {
    if h.layer != 3 {
        return None;
    }
    let side = match (h.version == MpegVersion::Mpeg1, h.channel_mode == 3) {
        (true, true) => 17,
        (true, false) => 32,
        (false, true) => 9,
        (false, false) => 17,
    };
    let mut offsets = vec![4 + side];
    if h.crc {
        offsets.insert(0, 6 + side);
    }
    for off in offsets {
        let kind = match f.get(off..off + 4) {
            Some(b"Xing") => VbrHeaderKind::Xing,
            Some(b"Info") => VbrHeaderKind::Info,
            _ => continue,
        };
        let flags = u32_be(f, off + 4)?;
        let mut p = off + 8;
        let mut frames = None;
        if flags & 1 != 0 {
            frames = Some(u32_be(f, p)? as u64);
            p += 4;
        }
        if flags & 2 != 0 {
            p += 4;
        }
        if flags & 4 != 0 {
            p += 100;
        }
        if flags & 8 != 0 {
            p += 4;
        }
        let mut vh = VbrHeader {
            kind,
            frames,
            encoder: None,
            delay: None,
            padding: None,
        };
        if let Some(tag) = f.get(p..p + 24) {
            let id = &tag[..4];
            if id == b"LAME" || id == b"Lavf" || id == b"Lavc" {
                let enc: String = tag[..9]
                    .iter()
                    .take_while(|&&c| c != 0)
                    .map(|&c| {
                        if c.is_ascii_graphic() || c == b' ' {
                            c as char
                        } else {
                            '?'
                        }
                    })
                    .collect();
                vh.encoder = Some(enc.trim_end().to_string());
                let v = ((tag[21] as u32) << 16) | ((tag[22] as u32) << 8) | tag[23] as u32;
                vh.delay = Some(v >> 12);
                vh.padding = Some(v & 0xFFF);
            }
        }
        return Some(vh);
    }
    if f.get(36..40) == Some(b"VBRI") {
        return Some(VbrHeader {
            kind: VbrHeaderKind::Vbri,
            frames: u32_be(f, 36 + 14).map(u64::from),
            encoder: None,
            delay: None,
            padding: None,
        });
    }
    None
}

/// Walks an MPEG audio stream (MP1/MP2/MP3), reader at 0, `len` = file length in bytes.
pub fn probe_mpeg_audio<R: Read + Seek>(r: &mut R, len: u64) -> Result<MpegAudioInfo, ParseError> {
    let region = find_region(r, len)?;
    let mut w = Window::new(r, region.end);
    let limit = region.start.saturating_add(FIRST_FRAME_SEARCH);
    let mut free_format_checks = 64u32;
    let found = scan::<MpegHeader, R>(&mut w, region.start, limit, None, CONFIRM_FIRST, |w, p| {
        check_free_format(w, p, &mut free_format_checks)
    })?;
    let Some((first_pos, first)) = found else {
        return Err(no_first_frame::<MpegHeader, R>(
            &mut w,
            region.start,
            "MPEG audio",
        )?);
    };
    let vbr_header = {
        let f = w.get(first_pos, first.len as usize)?;
        parse_vbr_header(f, &first)
    };
    let walk_from = if vbr_header.is_some() {
        first_pos + first.len as u64
    } else {
        first_pos
    };
    let mut first_audio: Option<MpegHeader> = None;
    let mut vbr = false;
    let st = walk(
        &mut w,
        walk_from,
        &first,
        "MPEG audio",
        |h: &MpegHeader| match &first_audio {
            None => first_audio = Some(*h),
            Some(a) => vbr |= a.bitrate_kbps != h.bitrate_kbps,
        },
    )?;
    let reference = first_audio.unwrap_or(first);
    let header_frames = vbr_header.as_ref().and_then(|v| v.frames);
    let mut truncated = st.truncated;
    if st.frames == 0 {
        let msg = match (&truncated, header_frames) {
            (Some(t), _) => t.clone(),
            (None, Some(n)) if n > 0 => format!(
                "the file holds only the {} header frame but it declares {n} audio frames",
                vbr_header.as_ref().map_or("Xing", |v| kind_name(v.kind))
            ),
            _ => String::new(),
        };
        if !msg.is_empty() {
            return Err(ParseError::Truncated(msg));
        }
        return Err(ParseError::Invalid("the file holds no MPEG audio frames".into()));
    }
    // Much junk after the last frame is trailing data (a warning, see the caller), not damage.
    let junk = if super::is_trailing_data(len, st.trailing) {
        st.skipped - st.trailing
    } else {
        st.skipped
    };
    if junk > st.audio_bytes {
        return Err(ParseError::Invalid(format!(
            "only {} of {} bytes are valid MPEG audio frames",
            st.audio_bytes,
            st.audio_bytes + st.skipped
        )));
    }
    // VBRI counts are not consistently defined (with or without the VBRI frame): allow one off
    let slack = match vbr_header.as_ref().map(|v| v.kind) {
        Some(VbrHeaderKind::Vbri) => 1,
        _ => 0,
    };
    let mut corrupt = None;
    if let (Some(n), Some(v)) = (header_frames, &vbr_header) {
        if st.frames + slack < n {
            let missing = format!(
                "the {} header declares {n} audio frames but only {} are present",
                kind_name(v.kind),
                st.frames
            );
            match (truncated.take(), st.first_bad) {
                // The stream ends cleanly and valid frames follow a damaged run: the frames
                // were lost there, in the middle.
                (None, Some(at)) => {
                    corrupt = Some(format!(
                        "{} bytes from byte {at} on are not MPEG audio frames, with valid frames after them, and \
                         {missing}: frames were lost in the middle of the stream, so the audio skips there",
                        st.skipped_mid
                    ))
                }
                (Some(t), _) => truncated = Some(format!("{t}; {missing}")),
                (None, None) => truncated = Some(missing),
            }
        }
    }
    let spf = reference.spf as u64;
    let total = st.frames * spf;
    let delay = vbr_header.as_ref().and_then(|v| v.delay);
    let padding = vbr_header.as_ref().and_then(|v| v.padding);
    let stream_end = match header_frames {
        Some(n) if n > st.frames => (n * spf).saturating_sub(padding.unwrap_or(0) as u64),
        _ => total.saturating_sub(padding.unwrap_or(0) as u64),
    };
    let samples = total.min(stream_end).saturating_sub(delay.unwrap_or(0) as u64);
    let sample_rate = reference.sample_rate;
    let raw_seconds = total as f64 / sample_rate as f64;
    Ok(MpegAudioInfo {
        layer: reference.layer,
        version: reference.version,
        sample_rate,
        channels: if reference.channel_mode == 3 { 1 } else { 2 },
        frames: st.frames,
        samples_per_frame: reference.spf,
        encoder_delay: delay,
        encoder_padding: padding,
        samples,
        duration_s: samples as f64 / sample_rate as f64,
        header_kind: vbr_header.as_ref().map(|v| v.kind),
        header_frames,
        encoder: vbr_header.and_then(|v| v.encoder),
        vbr,
        avg_bitrate_kbps: st.audio_bytes as f64 * 8.0 / raw_seconds / 1000.0,
        audio_start: first_pos,
        audio_bytes: st.audio_bytes,
        leading_tag_bytes: region.leading_tag_bytes,
        trailing_tag_bytes: region.trailing_tag_bytes,
        leading_junk_bytes: first_pos - region.start,
        skipped_bytes: st.skipped,
        trailing_junk_bytes: st.trailing,
        truncated,
        corrupt,
    })
}

fn kind_name(k: VbrHeaderKind) -> &'static str {
    match k {
        VbrHeaderKind::Xing => "Xing",
        VbrHeaderKind::Info => "Info",
        VbrHeaderKind::Vbri => "VBRI",
    }
}

/// Errors out if a free-format header at `p` is followed by two more identical headers at a
/// constant distance (i.e. the stream really is free-format). At most `budget` candidates are
/// examined, so hostile input cannot make the search slow.
fn check_free_format<R: Read + Seek>(w: &mut Window<R>, p: u64, budget: &mut u32) -> Result<(), ParseError> {
    const MASK: u32 = !(1 << 9); // ignore the padding bit
    let b = w.get(p, 2 * 8192 + 8)?;
    let Some(raw) = u32_be(b, 0) else {
        return Ok(());
    };
    if !is_free_format(raw) || *budget == 0 {
        return Ok(());
    }
    *budget -= 1;
    let same = |at: usize| u32_be(b, at).is_some_and(|s| s & MASK == raw & MASK);
    for d in 16..=8192usize {
        if same(d) && (same(2 * d) || same(2 * d + 1) || same(2 * d - 1)) {
            return Err(ParseError::Invalid("free-format bitrate is not supported".into()));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ADTS

const ADTS_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

#[derive(Debug, Clone, Copy)]
struct AdtsHeader {
    key: [u8; 2],
    mpeg4: bool,
    profile: u8,
    sample_rate: u32,
    channels: u8,
    len: u32,
    blocks: u32,
}

impl FrameHeader for AdtsHeader {
    const HEADER_LEN: usize = 7;

    fn parse(b: &[u8]) -> Option<Self> {
        let b = b.get(..7)?;
        if b[0] != 0xFF || b[1] & 0xF6 != 0xF0 {
            return None;
        }
        let header_len = if b[1] & 1 == 0 { 9 } else { 7 };
        let sf = ((b[2] >> 2) & 0xF) as usize;
        let sample_rate = *ADTS_RATES.get(sf)?;
        let len = (((b[3] & 3) as u32) << 11) | ((b[4] as u32) << 3) | ((b[5] >> 5) as u32);
        if len <= header_len {
            return None;
        }
        Some(AdtsHeader {
            key: [b[1] & 0xFE, b[2] & 0xFC],
            mpeg4: b[1] & 0x08 == 0,
            profile: b[2] >> 6,
            sample_rate,
            channels: ((b[2] & 1) << 2) | (b[3] >> 6),
            len,
            blocks: (b[6] & 3) as u32 + 1,
        })
    }

    fn frame_len(&self) -> u64 {
        self.len as u64
    }

    fn same_stream(&self, other: &Self) -> bool {
        self.key == other.key
    }

    fn partial_sync(b: &[u8]) -> bool {
        match b {
            [0xFF] => true,
            [0xFF, x, ..] => x & 0xF6 == 0xF0,
            _ => false,
        }
    }
}

/// Walks an ADTS AAC stream, reader at 0, `len` = file length in bytes.
pub fn probe_adts<R: Read + Seek>(r: &mut R, len: u64) -> Result<AdtsInfo, ParseError> {
    let region = find_region(r, len)?;
    let mut w = Window::new(r, region.end);
    let limit = region.start.saturating_add(FIRST_FRAME_SEARCH);
    let found = scan::<AdtsHeader, R>(&mut w, region.start, limit, None, CONFIRM_FIRST, |_, _| Ok(()))?;
    let Some((first_pos, first)) = found else {
        return Err(no_first_frame::<AdtsHeader, R>(&mut w, region.start, "ADTS")?);
    };
    let mut blocks = 0u64;
    let st = walk(&mut w, first_pos, &first, "ADTS", |h: &AdtsHeader| {
        blocks += h.blocks as u64
    })?;
    if st.frames == 0 {
        return Err(match st.truncated {
            Some(t) => ParseError::Truncated(t),
            None => ParseError::Invalid("the file holds no ADTS frames".into()),
        });
    }
    // Much junk after the last frame is trailing data (a warning, see the caller), not damage.
    let junk = if super::is_trailing_data(len, st.trailing) {
        st.skipped - st.trailing
    } else {
        st.skipped
    };
    if junk > st.audio_bytes {
        return Err(ParseError::Invalid(format!(
            "only {} of {} bytes are valid ADTS frames",
            st.audio_bytes,
            st.audio_bytes + st.skipped
        )));
    }
    let samples = blocks * 1024;
    let seconds = samples as f64 / first.sample_rate as f64;
    Ok(AdtsInfo {
        sample_rate: first.sample_rate,
        channels: if first.channels == 7 { 8 } else { first.channels },
        frames: st.frames,
        samples,
        duration_s: seconds,
        profile: ["Main", "LC", "SSR", "LTP"][(first.profile & 3) as usize],
        mpeg_version: if first.mpeg4 { 4 } else { 2 },
        avg_bitrate_kbps: st.audio_bytes as f64 * 8.0 / seconds / 1000.0,
        audio_start: first_pos,
        audio_bytes: st.audio_bytes,
        leading_tag_bytes: region.leading_tag_bytes,
        trailing_tag_bytes: region.trailing_tag_bytes,
        leading_junk_bytes: first_pos - region.start,
        skipped_bytes: st.skipped,
        trailing_junk_bytes: st.trailing,
        truncated: st.truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn fixture(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("mp3/{name}"))
    }

    fn mp(data: &[u8]) -> Result<MpegAudioInfo, ParseError> {
        probe_mpeg_audio(&mut Cursor::new(data), data.len() as u64)
    }

    fn adts(data: &[u8]) -> Result<AdtsInfo, ParseError> {
        probe_adts(&mut Cursor::new(data), data.len() as u64)
    }

    fn mp_file(name: &str) -> MpegAudioInfo {
        mp(&fixture(name)).unwrap()
    }

    fn invalid_msg(r: Result<impl std::fmt::Debug, ParseError>) -> String {
        match r {
            Err(ParseError::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn truncated_msg(r: Result<impl std::fmt::Debug, ParseError>) -> String {
        match r {
            Err(ParseError::Truncated(m)) => m,
            other => panic!("expected Truncated, got {other:?}"),
        }
    }

    /// Length of ffmpeg's leading (empty) ID3v2 tag in the fixtures.
    const FF_ID3: usize = 20;

    // Expected values: `ffmpeg -i f -f s16le - | wc -c` / 2 (mono) for the decoded sample count,
    // `ffprobe -show_streams -show_format -count_frames` for duration / nb_read_frames.

    #[test]
    fn cbr_info() {
        let i = mp_file("cbr_info.mp3");
        assert_eq!(i.layer, 3);
        assert_eq!(i.version, MpegVersion::Mpeg1);
        assert_eq!((i.sample_rate, i.channels), (32000, 1));
        assert_eq!(i.frames, 29); // ffprobe nb_read_frames=29
        assert_eq!(i.samples_per_frame, 1152);
        assert_eq!(i.header_kind, Some(VbrHeaderKind::Info));
        assert_eq!(i.header_frames, Some(29));
        assert_eq!(i.encoder.as_deref(), Some("Lavf lame"));
        assert_eq!((i.encoder_delay, i.encoder_padding), (Some(576), Some(832)));
        // ffmpeg decodes 32000 samples (29*1152 - 576 - 832); ffprobe duration 1.044 = 29*1152/32000
        assert_eq!(i.samples, 32000);
        assert_eq!(i.duration_s, 1.0);
        assert!(!i.vbr);
        assert_eq!(i.avg_bitrate_kbps, 32.0); // ffprobe bit_rate=32000
        assert_eq!((i.audio_start, i.audio_bytes), (20, 29 * 144));
        assert_eq!((i.leading_tag_bytes, i.trailing_tag_bytes), (20, 0));
        assert_eq!((i.leading_junk_bytes, i.skipped_bytes), (0, 0));
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn vbr_xing() {
        let i = mp_file("vbr_xing.mp3");
        assert_eq!(i.header_kind, Some(VbrHeaderKind::Xing));
        assert_eq!((i.frames, i.header_frames), (43, Some(43))); // ffprobe nb_read_frames=43
        assert_eq!((i.encoder_delay, i.encoder_padding), (Some(576), Some(960)));
        // ffmpeg decodes 48000 samples = 43*1152 - 576 - 960; ffprobe duration 1.548 (untrimmed)
        assert_eq!(i.samples, 48000);
        assert_eq!(i.duration_s, 1.5);
        assert!(i.vbr);
        assert_eq!(i.audio_bytes, 10080);
        assert!((i.avg_bitrate_kbps - 52.093).abs() < 0.001);
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn vbr_without_xing() {
        let i = mp_file("vbr_noxing.mp3");
        assert_eq!(i.header_kind, None);
        assert_eq!((i.frames, i.header_frames), (43, None));
        assert_eq!((i.encoder_delay, i.encoder_padding), (None, None));
        // ffmpeg decodes all 43*1152 = 49536 samples (no gapless info); ffprobe estimates
        // 1.548149 s from the first frame's bitrate (on a 30-minute file of this kind: 3055.5 s
        // instead of 1800.05 s, while this walk matches the decoded count to the sample)
        assert_eq!(i.samples, 49536);
        assert_eq!(i.duration_s, 1.548);
        assert!(i.vbr);
        assert_eq!((i.audio_start, i.skipped_bytes), (20, 0));
    }

    #[test]
    fn id3v2_and_id3v1() {
        let i = mp_file("id3_tags.mp3");
        assert_eq!((i.leading_tag_bytes, i.trailing_tag_bytes), (55, 128));
        assert_eq!((i.frames, i.samples), (29, 32000)); // ffmpeg decodes 32000
        assert_eq!((i.leading_junk_bytes, i.skipped_bytes), (0, 0));
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn mpeg2_and_mpeg25() {
        let i = mp_file("mpeg2_22k.mp3");
        assert_eq!(
            (i.version, i.layer, i.sample_rate),
            (MpegVersion::Mpeg2, 3, 22050)
        );
        assert_eq!(
            (i.frames, i.samples_per_frame, i.header_frames),
            (41, 576, Some(41))
        );
        assert_eq!((i.encoder_delay, i.encoder_padding), (Some(576), Some(990)));
        // ffmpeg decodes 22050 = 41*576 - 576 - 990; ffprobe duration 1.071020 = 41*576/22050
        // (ffprobe -count_frames says 40: the last frame lies wholly in the trimmed padding)
        assert_eq!(i.samples, 22050);
        assert!(!i.vbr);

        let i = mp_file("mpeg25_8k.mp3");
        assert_eq!(
            (i.version, i.layer, i.sample_rate),
            (MpegVersion::Mpeg25, 3, 8000)
        );
        assert_eq!(
            (i.frames, i.samples_per_frame, i.header_frames),
            (16, 576, Some(16))
        );
        // ffmpeg decodes 8000 = 16*576 - 576 - 640; ffprobe duration 1.152 = 16*576/8000
        assert_eq!(i.samples, 8000);
        assert_eq!(i.avg_bitrate_kbps.round(), 16.0);
        // the Info frame is written at 24 kb/s, the audio at 16 kb/s: not VBR
        assert!(!i.vbr);
        assert_eq!(i.audio_bytes, 16 * 144);
    }

    #[test]
    fn layer2() {
        let i = mp_file("layer2.mp2");
        assert_eq!(
            (i.version, i.layer, i.sample_rate, i.channels),
            (MpegVersion::Mpeg1, 2, 32000, 1)
        );
        // ffmpeg decodes 32256 = 28*1152; ffprobe duration 1.008, nb_read_frames=28
        assert_eq!((i.frames, i.samples, i.duration_s), (28, 32256, 1.008));
        assert_eq!((i.header_kind, i.encoder_delay), (None, None));
        assert_eq!((i.audio_start, i.audio_bytes), (0, 8064));
        assert_eq!(i.avg_bitrate_kbps, 64.0);
    }

    #[test]
    fn truncated_fixture() {
        let i = mp_file("truncated.mp3");
        assert_eq!((i.frames, i.header_frames), (28, Some(29)));
        // 28*1152 - 576: the padding lay in the missing frame. ffmpeg decodes 32000 here: it
        // decodes the cut frame too (nb_read_frames=29); we count only complete frames.
        assert_eq!(i.samples, 31680);
        let t = i.truncated.unwrap();
        assert!(
            t.contains("last MPEG audio frame (at byte 4232) needs 144 bytes but only 107 remain"),
            "{t}"
        );
        assert!(
            t.contains("Info header declares 29 audio frames but only 28 are present"),
            "{t}"
        );
    }

    #[test]
    fn garbage_in_the_middle() {
        let i = mp_file("garbage.mp3");
        // all 43 frames of vbr_noxing.mp3 and the 300 inserted bytes. ffmpeg decodes one frame
        // fewer (48384 samples, nb_read_frames=42): it loses a frame while resyncing.
        assert_eq!((i.frames, i.samples, i.skipped_bytes), (43, 49536, 300));
        assert_eq!(i.truncated, None);
        assert!(i.vbr);
    }

    #[test]
    fn adts_fixtures() {
        let i = adts(&fixture("adts.aac")).unwrap();
        assert_eq!(
            (i.sample_rate, i.channels, i.profile, i.mpeg_version),
            (16000, 1, "LC", 4)
        );
        // ffmpeg decodes 25600 = 25*1024 samples (priming included, ADTS has no gapless info);
        // ffprobe estimates 1.599905 s from the bitrate
        assert_eq!((i.frames, i.samples, i.duration_s), (25, 25600, 1.6));
        assert_eq!((i.audio_bytes, i.skipped_bytes), (6759, 0));
        assert_eq!(i.truncated, None);

        // ID3v2 in front and ID3v1 behind (as some tools write them) are skipped, not garbage
        let mut d = id3v2(50, false);
        d.extend(fixture("adts.aac"));
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, 0);
        d.extend(v1);
        let i = adts(&d).unwrap();
        assert_eq!((i.frames, i.samples, i.skipped_bytes), (25, 25600, 0));
        assert_eq!(
            (i.audio_start, i.leading_tag_bytes, i.trailing_tag_bytes),
            (60, 60, 128)
        );

        let i = adts(&fixture("adts_truncated.aac")).unwrap();
        // ffmpeg decodes 24576 = 24*1024 (it drops the cut frame)
        assert_eq!((i.frames, i.samples), (24, 24576));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the last ADTS frame (at byte 6478) needs 281 bytes but only 231 remain")
        );
    }

    fn id3v2(body: usize, footer: bool) -> Vec<u8> {
        let mut t = b"ID3\x04\x00".to_vec();
        t.push(if footer { 0x10 } else { 0 });
        let s = body as u32;
        t.extend([
            (s >> 21) as u8 & 0x7F,
            (s >> 14) as u8 & 0x7F,
            (s >> 7) as u8 & 0x7F,
            s as u8 & 0x7F,
        ]);
        t.extend(std::iter::repeat_n(0u8, body));
        if footer {
            let mut f = t[..10].to_vec();
            f[..3].copy_from_slice(b"3DI");
            t.extend(f);
        }
        t
    }

    #[test]
    fn stacked_tags_at_both_ends() {
        let base = fixture("cbr_info.mp3");
        let audio = &base[FF_ID3..];
        let mut d = id3v2(300, true);
        d.extend(id3v2(40, false));
        let lead = d.len() as u64;
        d.extend_from_slice(audio);
        // APEv2 with header: header 32 + item + footer 32; size field = item + footer
        let item = b"\x05\x00\x00\x00\x00\x00\x00\x00Title\x00Hello";
        let mut ape_hdr = b"APETAGEX".to_vec();
        ape_hdr.extend(2000u32.to_le_bytes());
        ape_hdr.extend(((item.len() + 32) as u32).to_le_bytes());
        ape_hdr.extend(1u32.to_le_bytes());
        ape_hdr.extend(0xA000_0000u32.to_le_bytes());
        ape_hdr.extend([0u8; 8]);
        let mut ape_ftr = ape_hdr.clone();
        ape_ftr[20..24].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        d.extend(&ape_hdr);
        d.extend(item);
        d.extend(&ape_ftr);
        // Lyrics3 v2
        let lyr = b"LYRICSBEGININD00002\x31\x30LYR00005hello";
        d.extend(lyr);
        d.extend(format!("{:06}LYRICS200", lyr.len()).as_bytes());
        // appended ID3v2 with footer, then ID3v1
        d.extend(id3v2(25, true));
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b' ');
        d.extend(v1);
        let i = mp(&d).unwrap();
        assert_eq!(i.leading_tag_bytes, lead);
        assert_eq!(i.trailing_tag_bytes, (d.len() - audio.len()) as u64 - lead);
        assert_eq!(
            (i.frames, i.samples, i.skipped_bytes, i.leading_junk_bytes),
            (29, 32000, 0, 0)
        );
        assert_eq!(i.truncated, None);

        // Lyrics3 v1 and zero padding after the ID3v2 tag
        let mut d = id3v2(10, false);
        d.extend([0u8; 77]);
        d.extend_from_slice(audio);
        d.extend(b"LYRICSBEGINsome words LYRICSEND");
        let i = mp(&d).unwrap();
        assert_eq!(
            (i.leading_tag_bytes, i.leading_junk_bytes, i.trailing_tag_bytes),
            (20, 77, 31)
        );
        assert_eq!((i.frames, i.skipped_bytes, i.truncated), (29, 0, None));
    }

    /// MPEG-1 layer I, 32 kHz, 32 kb/s, mono: 48-byte frames.
    fn layer1_frames(n: usize) -> Vec<u8> {
        let mut d = Vec::new();
        for _ in 0..n {
            d.extend([0xFF, 0xFF, 0x18, 0xC0]);
            d.extend([0u8; 44]);
        }
        d
    }

    #[test]
    fn layer1_synthetic() {
        let i = mp(&layer1_frames(10)).unwrap();
        assert_eq!(
            (i.layer, i.version, i.sample_rate),
            (1, MpegVersion::Mpeg1, 32000)
        );
        assert_eq!((i.frames, i.samples_per_frame, i.samples), (10, 384, 3840));
        assert_eq!(i.avg_bitrate_kbps, 32.0);
    }

    #[test]
    fn vbri_header() {
        let base = fixture("vbr_noxing.mp3");
        let build = |declared: u32| {
            // a 144-byte MPEG-1 layer III 32 kb/s mono frame holding a VBRI header
            let mut f = vec![0u8; 144];
            f[..4].copy_from_slice(&[0xFF, 0xFB, 0x18, 0xC4]);
            f[36..40].copy_from_slice(b"VBRI");
            f[50..54].copy_from_slice(&declared.to_be_bytes());
            let mut d = f;
            d.extend_from_slice(&base[FF_ID3..]);
            d
        };
        let i = mp(&build(43)).unwrap();
        assert_eq!(i.header_kind, Some(VbrHeaderKind::Vbri));
        assert_eq!((i.frames, i.header_frames, i.samples), (43, Some(43), 49536));
        assert_eq!((i.audio_start, i.encoder_delay, i.truncated), (0, None, None));
        let i = mp(&build(50)).unwrap();
        assert_eq!(
            i.truncated.as_deref(),
            Some("the VBRI header declares 50 audio frames but only 43 are present")
        );
    }

    #[test]
    fn free_format_is_rejected() {
        let mut d = Vec::new();
        for _ in 0..10 {
            d.extend([0xFF, 0xFB, 0x08, 0xC4]);
            d.extend([0x11u8; 296]);
        }
        assert_eq!(invalid_msg(mp(&d)), "free-format bitrate is not supported");
    }

    #[test]
    fn truncation_points() {
        let base = fixture("cbr_info.mp3");
        const INFO: usize = 180; // the Info frame is written at 40 kb/s, the audio at 32 kb/s
        // inside the Info frame: nothing usable
        let m = truncated_msg(mp(&base[..100]));
        assert_eq!(
            m,
            "the first MPEG audio frame (at byte 20) needs 180 bytes but the file ends after 100"
        );
        // exactly after the Info frame
        let m = truncated_msg(mp(&base[..FF_ID3 + INFO]));
        assert_eq!(
            m,
            "the file holds only the Info header frame but it declares 29 audio frames"
        );
        // at a frame boundary after 10 audio frames
        let i = mp(&base[..FF_ID3 + INFO + 10 * 144]).unwrap();
        assert_eq!((i.frames, i.samples), (10, 10 * 1152 - 576));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the Info header declares 29 audio frames but only 10 are present")
        );
        // inside a header
        let i = mp(&base[..FF_ID3 + INFO + 10 * 144 + 2]).unwrap();
        assert_eq!(
            i.truncated.as_deref(),
            Some(
                "the file ends inside the header of the frame at byte 1640; the Info header declares 29 audio frames but only 10 are present"
            )
        );
        // every cut leaves frames consistent with what is present
        for cut in (FF_ID3 + INFO + 144..base.len()).step_by(7) {
            let i = mp(&base[..cut]).unwrap();
            assert_eq!(i.frames, ((cut - FF_ID3 - INFO) / 144) as u64, "cut {cut}");
            assert!(i.truncated.is_some(), "cut {cut}");
        }
        // ADTS cut inside the first frame
        let a = fixture("adts.aac");
        assert!(truncated_msg(adts(&a[..100])).starts_with("the first ADTS frame (at byte 0) needs"));
    }

    /// Regression (issue 9, item 7): damage in the middle of an MP3 (a run of bad bytes with
    /// valid frames after it) was reported as truncation ("cut short").
    #[test]
    fn damage_in_the_middle_is_corrupt_not_truncated() {
        let base = fixture("cbr_info.mp3");
        const INFO: usize = 180;
        let frame = |i: usize| FF_ID3 + INFO + i * 144;
        // Frames 10 to 15 overwritten with zeros: 23 of the 29 declared frames remain.
        let mut zeroed = base.clone();
        zeroed[frame(10)..frame(16)].fill(0);
        let i = mp(&zeroed).unwrap();
        assert_eq!((i.frames, i.truncated.as_deref()), (23, None));
        let why = i.corrupt.expect("corrupt");
        assert!(
            why.starts_with(&format!(
                "864 bytes from byte {} on are not MPEG audio frames",
                frame(10)
            )),
            "{why}"
        );
        assert!(
            why.contains("the Info header declares 29 audio frames but only 23 are present"),
            "{why}"
        );
        // Bytes lost in transfer: frame 10's header survives but its data is short.
        let mut cut = base[..frame(10) + 50].to_vec();
        cut.extend_from_slice(&base[frame(14)..]);
        let i = mp(&cut).unwrap();
        assert!(i.corrupt.is_some() && i.truncated.is_none(), "{i:?}");
        // The boundary: the same damage and the end cut off too is truncation (what is missing
        // cannot be told apart), with the damaged bytes still counted.
        let i = mp(&zeroed[..zeroed.len() - 37]).unwrap();
        assert!(i.corrupt.is_none() && i.truncated.is_some(), "{i:?}");
        assert_eq!(i.skipped_bytes, 864);
        // Junk inserted between frames loses nothing: not corrupt (a warning elsewhere).
        let i = mp_file("garbage.mp3");
        assert_eq!((i.corrupt, i.truncated), (None, None));
        // Junk after the last frame is not damage in the middle.
        let mut tail = base[..frame(29)].to_vec();
        tail.extend_from_slice(&[0u8; 300]);
        assert_eq!(mp(&tail).unwrap().corrupt, None);
    }

    #[test]
    fn not_this_format() {
        assert_eq!(
            invalid_msg(mp(&[])),
            "the file holds no audio data after its tags"
        );
        assert_eq!(
            invalid_msg(adts(&[])),
            "the file holds no audio data after its tags"
        );
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        assert!(invalid_msg(mp(&noise)).starts_with("no MPEG audio frame found"));
        assert!(invalid_msg(adts(&noise)).starts_with("no ADTS frame found"));
        assert!(invalid_msg(mp(&[0xFF; 5000])).starts_with("no MPEG audio frame found"));
        // the two formats do not take each other's frames
        assert!(invalid_msg(adts(&fixture("cbr_info.mp3"))).starts_with("no ADTS frame found"));
        assert!(invalid_msg(adts(&fixture("layer2.mp2"))).starts_with("no ADTS frame found"));
        assert!(invalid_msg(mp(&fixture("adts.aac"))).starts_with("no MPEG audio frame found"));
        // only tags
        assert_eq!(
            invalid_msg(mp(&id3v2(100, false))),
            "the file holds no audio data after its tags"
        );
        // an ID3v2 tag larger than the file
        let mut d = b"ID3\x03\x00\x00\x7F\x7F\x7F\x7F".to_vec();
        d.extend(fixture("cbr_info.mp3"));
        assert_eq!(
            truncated_msg(mp(&d)),
            "the ID3v2 tag at byte 0 declares 268435465 bytes but the file ends after 4386"
        );
        // a few frames drowned in garbage
        let mut d = layer1_frames(3);
        d.extend(std::iter::repeat_n(b'x', 1000));
        assert_eq!(
            invalid_msg(mp(&d)),
            "only 144 of 1144 bytes are valid MPEG audio frames"
        );
    }

    #[test]
    fn caller_len_larger_than_file() {
        let d = fixture("cbr_info.mp3");
        let i = probe_mpeg_audio(&mut Cursor::new(&d), d.len() as u64 + 1000).unwrap();
        assert_eq!((i.frames, i.samples, i.truncated), (29, 32000, None));
        // a wrong length must never panic, whatever the content
        for name in ALL {
            let d = fixture(name);
            for extra in [1u64, 9000, 70_000, u64::MAX / 2] {
                for cut in [0, 3, 100, d.len() / 2, d.len()] {
                    let len = cut as u64 + extra;
                    let _ = probe_mpeg_audio(&mut Cursor::new(&d[..cut]), len);
                    let _ = probe_adts(&mut Cursor::new(&d[..cut]), len);
                }
            }
        }
    }

    const ALL: [&str; 11] = [
        "cbr_info.mp3",
        "vbr_xing.mp3",
        "vbr_noxing.mp3",
        "id3_tags.mp3",
        "mpeg2_22k.mp3",
        "mpeg25_8k.mp3",
        "layer2.mp2",
        "truncated.mp3",
        "garbage.mp3",
        "adts.aac",
        "adts_truncated.aac",
    ];

    #[test]
    fn no_panic_sweep() {
        for name in ALL {
            let d = fixture(name);
            let step = (d.len() / 600).max(1);
            for cut in (0..=d.len()).step_by(step) {
                let _ = mp(&d[..cut]);
                let _ = adts(&d[..cut]);
            }
            let mut x = 0x9E37_79B9u32 ^ d.len() as u32;
            for k in 0..300 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let mut c = d.clone();
                let at = x as usize % c.len();
                c[at] = match k % 3 {
                    0 => 0xFF,
                    1 => 0x00,
                    _ => (x >> 8) as u8,
                };
                let _ = mp(&c);
                let _ = adts(&c);
            }
        }
    }
}
