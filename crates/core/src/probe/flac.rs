//! Native FLAC (`fLaC`) probe: reads STREAMINFO and, without decoding, finds the last complete
//! audio frame near the end of the file (frame header CRC-8 and frame CRC-16 checked) to report
//! how many samples the file really holds, so a truncated file is detected and measured.

use std::io::{Read, Seek};

use super::read_at;

use super::ParseError;
use super::bytes::{Need, duration, u16_be, u24_be, u64_be};

/// What a FLAC file declares and what it really holds.
#[derive(Debug, Clone, PartialEq)]
pub struct FlacInfo {
    /// Sample rate in Hz (STREAMINFO).
    pub sample_rate: u32,
    /// Number of channels (STREAMINFO).
    pub channels: u8,
    /// Bits per sample (STREAMINFO).
    pub bits_per_sample: u8,
    /// Total samples per channel declared by STREAMINFO; 0 = unknown.
    pub declared_samples: u64,
    /// Samples per channel really present (up to the end of the last complete frame).
    pub samples: u64,
    /// `samples / sample_rate`, in seconds.
    pub duration_s: f64,
    /// Set when the file holds fewer samples than STREAMINFO declares, with an explanation.
    pub truncated: Option<String>,
    /// Byte offset of the first audio frame (after all metadata blocks).
    pub audio_offset: u64,
    /// Remarks about unusual but tolerated content (ID3v1 tag, damaged frame header after the end).
    pub notes: Vec<String>,
    /// Zero bytes after the last audio frame (see `trailing-data`).
    pub trailing_bytes: u64,
}

/// First tail window searched for the last frame header; grows 4x up to [`MAX_TAIL`].
const TAIL: u64 = 64 * 1024;
/// Largest tail window read (bounds memory and time on hostile files).
const MAX_TAIL: u64 = 4 * 1024 * 1024;
/// Upper bound on metadata blocks walked.
const MAX_BLOCKS: usize = 100_000;
/// Upper bound on frame headers examined in the tail window (bounds the CRC-16 work).
const MAX_CANDIDATES: usize = 16;

static CRC8: [u32; 256] = super::crc::msb_table(0x07, 8);
static CRC16: [u32; 256] = super::crc::msb_table(0x8005, 16);

fn crc8(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |c, &x| CRC8[usize::from(c ^ x)] as u8)
}

fn crc16_step(c: u16, x: u8) -> u16 {
    (c << 8) ^ CRC16[usize::from((c >> 8) as u8 ^ x)] as u16
}

/// `CRC16_8[k][v]`: the CRC-16 of byte `v` followed by `k` zero bytes, for eight bytes a step.
static CRC16_8: [[u16; 256]; 8] = {
    let mut t = [[0u16; 256]; 8];
    let mut v = 0;
    while v < 256 {
        t[0][v] = CRC16[v] as u16;
        let mut k = 1;
        while k < 8 {
            let c = t[k - 1][v];
            t[k][v] = (c << 8) ^ CRC16[(c >> 8) as usize] as u16;
            k += 1;
        }
        v += 1;
    }
    t
};

/// The CRC-16 register after feeding `bytes` to `crc`: the same as folding [`crc16_step`], eight
/// bytes a step (the register is linear, so its two bytes fold into the first two of the block).
fn crc16_update(mut crc: u16, bytes: &[u8]) -> u16 {
    let t = &CRC16_8;
    let mut pairs = bytes.chunks_exact(16);
    for b in &mut pairs {
        // Two independent halves: the second's lookups do not wait for the first's register.
        let [hi, lo] = crc.to_be_bytes();
        let first = t[7][usize::from(b[0] ^ hi)]
            ^ t[6][usize::from(b[1] ^ lo)]
            ^ t[5][usize::from(b[2])]
            ^ t[4][usize::from(b[3])]
            ^ t[3][usize::from(b[4])]
            ^ t[2][usize::from(b[5])]
            ^ t[1][usize::from(b[6])]
            ^ t[0][usize::from(b[7])];
        let second = t[5][usize::from(b[10])]
            ^ t[4][usize::from(b[11])]
            ^ t[3][usize::from(b[12])]
            ^ t[2][usize::from(b[13])]
            ^ t[1][usize::from(b[14])]
            ^ t[0][usize::from(b[15])];
        let [hi, lo] = first.to_be_bytes();
        crc = t[7][usize::from(b[8] ^ hi)] ^ t[6][usize::from(b[9] ^ lo)] ^ second;
    }
    let mut blocks = pairs.remainder().chunks_exact(8);
    for b in &mut blocks {
        let [hi, lo] = crc.to_be_bytes();
        crc = t[7][usize::from(b[0] ^ hi)]
            ^ t[6][usize::from(b[1] ^ lo)]
            ^ t[5][usize::from(b[2])]
            ^ t[4][usize::from(b[3])]
            ^ t[3][usize::from(b[4])]
            ^ t[2][usize::from(b[5])]
            ^ t[1][usize::from(b[6])]
            ^ t[0][usize::from(b[7])];
    }
    blocks.remainder().iter().fold(crc, |c, &x| crc16_step(c, x))
}

struct StreamInfo {
    max_block: u32,
    min_frame: u32,
    rate: u32,
    channels: u8,
    bits: u8,
    total: u64,
}

fn parse_streaminfo(b: &[u8; 34]) -> Result<StreamInfo, ParseError> {
    let what = "FLAC STREAMINFO block";
    let max_block = u32::from(u16_be(b, 2).need(what)?);
    let min_frame = u24_be(b, 4).need(what)?;
    let x = u64_be(b, 10).need(what)?;
    let rate = (x >> 44) as u32;
    let channels = ((x >> 41) & 0x7) as u8 + 1;
    let bits = ((x >> 36) & 0x1F) as u8 + 1;
    let total = x & 0xF_FFFF_FFFF;
    if rate == 0 {
        return Err(ParseError::Invalid(
            "STREAMINFO declares a sample rate of 0".into(),
        ));
    }
    if bits < 4 {
        return Err(ParseError::Invalid(format!(
            "STREAMINFO declares {bits} bits per sample"
        )));
    }
    Ok(StreamInfo {
        max_block,
        min_frame,
        rate,
        channels,
        bits,
        total,
    })
}

/// A validated frame header.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FrameHdr {
    variable: bool,
    /// frame number (fixed blocking) or first sample number (variable blocking)
    number: u64,
    block_size: u32,
    /// `None` = "see STREAMINFO"
    rate: Option<u32>,
    channels: u8,
    /// `None` = "see STREAMINFO"
    bits: Option<u8>,
}

/// Parses and fully validates a frame header at the start of `b` (sync, reserved bits, codes,
/// UTF-8 number, CRC-8). Returns `None` if `b` does not start with a valid, complete header.
fn parse_frame_header(b: &[u8]) -> Option<FrameHdr> {
    if b.len() < 6 || b[0] != 0xFF || b[1] & 0xFE != 0xF8 {
        return None;
    }
    let variable = b[1] & 1 == 1;
    let bs_code = b[2] >> 4;
    let sr_code = b[2] & 0x0F;
    let ch_code = b[3] >> 4;
    let ss_code = (b[3] >> 1) & 0x07;
    if bs_code == 0 || sr_code == 0x0F || ch_code > 10 || ss_code == 3 || b[3] & 1 != 0 {
        return None;
    }
    // UTF-8-style coded number
    let first = b[4];
    let (extra, mut v) = match first {
        0x00..=0x7F => (0usize, u64::from(first)),
        0xC0..=0xDF => (1, u64::from(first & 0x1F)),
        0xE0..=0xEF => (2, u64::from(first & 0x0F)),
        0xF0..=0xF7 => (3, u64::from(first & 0x07)),
        0xF8..=0xFB => (4, u64::from(first & 0x03)),
        0xFC..=0xFD => (5, u64::from(first & 0x01)),
        0xFE if variable => (6, 0),
        _ => return None,
    };
    let mut p = 5;
    for _ in 0..extra {
        let c = *b.get(p)?;
        if c & 0xC0 != 0x80 {
            return None;
        }
        v = (v << 6) | u64::from(c & 0x3F);
        p += 1;
    }
    let block_size = match bs_code {
        1 => 192,
        2..=5 => 576 << (bs_code - 2),
        6 => {
            let x = u32::from(*b.get(p)?) + 1;
            p += 1;
            x
        }
        7 => {
            let x = u32::from(u16_be(b, p)?) + 1;
            p += 2;
            x
        }
        _ => 256 << (bs_code - 8),
    };
    let rate = match sr_code {
        0 => None,
        1 => Some(88_200),
        2 => Some(176_400),
        3 => Some(192_000),
        4 => Some(8_000),
        5 => Some(16_000),
        6 => Some(22_050),
        7 => Some(24_000),
        8 => Some(32_000),
        9 => Some(44_100),
        10 => Some(48_000),
        11 => Some(96_000),
        12 => {
            let x = u32::from(*b.get(p)?) * 1000;
            p += 1;
            Some(x)
        }
        13 => {
            let x = u32::from(u16_be(b, p)?);
            p += 2;
            Some(x)
        }
        _ => {
            let x = u32::from(u16_be(b, p)?) * 10;
            p += 2;
            Some(x)
        }
    };
    let crc = *b.get(p)?;
    if crc8(b.get(..p)?) != crc {
        return None;
    }
    let channels = if ch_code < 8 { ch_code + 1 } else { 2 };
    let bits = match ss_code {
        0 => None,
        1 => Some(8),
        2 => Some(12),
        4 => Some(16),
        5 => Some(20),
        6 => Some(24),
        _ => Some(32),
    };
    Some(FrameHdr {
        variable,
        number: v,
        block_size,
        rate,
        channels,
        bits,
    })
}

/// Whether a frame header agrees with STREAMINFO (guards against false sync matches).
fn consistent(h: &FrameHdr, si: &StreamInfo) -> bool {
    h.rate.is_none_or(|r| r == si.rate)
        && h.channels == si.channels
        && h.bits.is_none_or(|b| b == si.bits)
        && (si.max_block < 16 || h.block_size <= si.max_block)
}

/// What follows a frame whose CRC-16 closes inside the searched buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
enum After {
    /// the end of the file
    Eof,
    /// a 128-byte ID3v1 tag
    Id3v1,
    /// the start of a frame header that the file cuts off
    CutHeader,
    /// a frame sync code whose header is damaged or inconsistent
    DamagedFrame,
    /// this many zero bytes to the end of the file (the CRC-16 of zeros stays 0, so without
    /// this they would pass for part of the frame)
    Zeros(usize),
}

/// A valid, consistent frame header found in the tail buffer.
#[derive(Debug, Clone, Copy)]
struct Cand {
    /// offset in the tail buffer
    at: usize,
    hdr: FrameHdr,
    first_sample: u64,
}

/// Where the CRC-16 of a frame closes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Close {
    /// at the end of the file (or before what [`After`] describes)
    End(After),
    /// right where candidate `j` (a later header) starts: that header really starts a frame
    At(usize),
    /// nowhere: the frame is cut short, or it is a false sync match
    Never,
}

/// Which candidate holds the last audio of the file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// candidate `k` is a complete frame closing at the end of the file
    Complete(usize, After),
    /// candidate `k` really starts a frame, and the file cuts that frame short
    Cut(usize),
}

/// Where the frame starting at `buf[from]` ends: its CRC-16 closes the frame exactly at the end of
/// `buf`, before a 128-byte ID3v1 tag, before a cut-off next frame header, before a sync code
/// with a damaged header, or at the start of one of the later headers in `cands[..upto]`.
///
/// The register is only compared at the positions where one of those can hold (a `0xFF` byte,
/// the start of the trailing zeros, the ID3v1 tag, the end), in order, with the same tests as a
/// byte-by-byte walk: a zero register elsewhere is ignored by that walk anyway, and a non-zero
/// one stays non-zero over zeros. So the answer is the walk's, at a fraction of its cost.
fn close_of(buf: &[u8], from: usize, min_len: usize, cands: &[Cand], upto: usize) -> Close {
    let Some(frame) = buf.get(from..) else {
        return Close::Never;
    };
    let later = cands.get(..upto).unwrap_or(&[]);
    let first = min_len.max(1);
    if first > frame.len() {
        return Close::Never;
    }
    // The first position the walk tests inside the zeros that end the buffer.
    let zeros_at = (frame.len() - frame.iter().rev().take_while(|&&b| b == 0).count()).max(first);
    let tag_at = frame
        .len()
        .checked_sub(128)
        .filter(|&t| frame[t..].starts_with(b"TAG"));
    let mut syncs = memchr::memchr_iter(0xFF, &frame[first..])
        .map(|i| i + first)
        .peekable();
    let mut crc = 0u16;
    let mut done = 0;
    let mut p = first;
    loop {
        // The next position where the walk's tests can succeed.
        let next_sync = syncs.peek().copied().unwrap_or(usize::MAX);
        let mut at = next_sync.min(frame.len());
        if zeros_at >= p {
            at = at.min(zeros_at);
        }
        if let Some(t) = tag_at.filter(|&t| t >= p) {
            at = at.min(t);
        }
        if at == next_sync {
            syncs.next();
        }
        crc = crc16_update(crc, &frame[done..at]);
        done = at;
        p = at + 1;
        if crc == 0 {
            if let Some(j) = later.iter().position(|c| c.at == from + at) {
                return Close::At(j);
            }
            let rest = &frame[at..];
            if rest.is_empty() {
                return Close::End(After::Eof);
            }
            if rest.iter().all(|&b| b == 0) {
                return Close::End(After::Zeros(rest.len()));
            }
            if rest.len() == 128 && rest.starts_with(b"TAG") {
                return Close::End(After::Id3v1);
            }
            if rest[0] == 0xFF && rest.get(1).is_none_or(|&c| c & 0xFE == 0xF8) {
                return Close::End(if rest.len() < 16 && parse_frame_header(rest).is_none() {
                    After::CutHeader
                } else {
                    After::DamagedFrame
                });
            }
        }
        if at >= frame.len() {
            return Close::Never;
        }
    }
}

/// Whether candidate `k` (the headers are found latest first) decides which frame really ends
/// the audio. It is complete when its CRC-16 closes at the end of the file; a later header
/// where its CRC-16 closes exactly is confirmed as a real frame start, which the file cuts
/// (nothing later closed at the end); the first frame (`at_start`) is always real. `None`:
/// look further back. Candidates are decided one by one as the backward search finds them, so
/// the search stops at the first verdict, which is the one looking at all of them would give.
fn verdict_of(
    buf: &[u8],
    cands: &[Cand],
    k: usize,
    min_len: usize,
    at_start: Option<usize>,
) -> Option<Verdict> {
    let c = cands.get(k)?;
    match close_of(buf, c.at, min_len, cands, k) {
        Close::End(after) => Some(Verdict::Complete(k, after)),
        Close::At(j) => Some(Verdict::Cut(j)),
        Close::Never if Some(c.at) == at_start => Some(Verdict::Cut(k)),
        Close::Never => None,
    }
}

/// Probes a native FLAC file (optionally preceded by an ID3v2 tag). `len` is the file length;
/// the reader may be at any position.
///
/// A healthy file's final frame closes (its CRC-16 footer) exactly at the end of the file, or
/// before a trailing ID3v1 tag or zero padding. A final frame that does not is cut short and its
/// samples are not counted. A frame header is only trusted as the last one when its own CRC-16
/// closes at the end, or when the previous frame's CRC-16 closes exactly where it starts, so a
/// false sync code inside the final frame is not mistaken for it.
pub fn probe_flac<R: Read + Seek>(r: &mut R, len: u64) -> Result<FlacInfo, ParseError> {
    if len == 0 {
        return Err(ParseError::Invalid("the file is empty".into()));
    }
    let mut head = [0u8; 10];
    let n = read_at(r, 0, &mut head)?.min(usize::try_from(len).unwrap_or(usize::MAX));
    let mut start = 0u64;
    if n >= 3 && &head[0..3] == b"ID3" {
        if n < 10 {
            return Err(ParseError::Truncated(
                "the file ends inside the ID3v2 tag header".into(),
            ));
        }
        if head[6..10].iter().any(|&c| c & 0x80 != 0) {
            return Err(ParseError::Invalid("the ID3v2 tag size is corrupt".into()));
        }
        let size = head[6..10].iter().fold(0u64, |a, &c| (a << 7) | u64::from(c));
        let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
        start = 10 + size + footer;
    }
    let mut magic = [0u8; 4];
    let k = read_at(r, start, &mut magic)?;
    let k = k.min(usize::try_from(len.saturating_sub(start)).unwrap_or(usize::MAX));
    if k < 4 {
        if start > 0 && start >= len {
            return Err(ParseError::Truncated(format!(
                "the ID3v2 tag declares {start} bytes but the file ends after {len}"
            )));
        }
        if b"fLaC".starts_with(&magic[..k]) {
            return Err(ParseError::Truncated(format!(
                "the file ends after {len} bytes, inside the fLaC marker"
            )));
        }
        return Err(ParseError::Invalid("not a FLAC file (no fLaC marker)".into()));
    }
    if &magic != b"fLaC" {
        return Err(ParseError::Invalid("not a FLAC file (no fLaC marker)".into()));
    }

    // metadata blocks
    let mut pos = start + 4;
    let mut si: Option<StreamInfo> = None;
    let mut cut_in_metadata: Option<String> = None;
    let mut audio_offset = None;
    for _ in 0..MAX_BLOCKS {
        let mut h = [0u8; 4];
        let got = read_at(r, pos, &mut h)?;
        if pos.saturating_add(4) > len || got < 4 {
            if si.is_none() {
                return Err(ParseError::Truncated(
                    "the file ends inside the STREAMINFO block header".into(),
                ));
            }
            cut_in_metadata = Some("the file ends inside a metadata block header".into());
            break;
        }
        let last = h[0] & 0x80 != 0;
        let kind = h[0] & 0x7F;
        let size = u64::from(u24_be(&h, 1).need("FLAC metadata block header")?);
        let payload = pos + 4;
        if si.is_none() {
            if kind != 0 {
                return Err(ParseError::Invalid(
                    "the first metadata block is not STREAMINFO".into(),
                ));
            }
            if size < 34 {
                return Err(ParseError::Invalid(format!(
                    "the STREAMINFO block is {size} bytes long instead of 34"
                )));
            }
            let mut b = [0u8; 34];
            if payload + 34 > len || read_at(r, payload, &mut b)? < 34 {
                return Err(ParseError::Truncated(format!(
                    "the file ends after {len} bytes, inside the STREAMINFO block"
                )));
            }
            si = Some(parse_streaminfo(&b)?);
        } else if kind == 0 {
            return Err(ParseError::Invalid(
                "the file has a second STREAMINFO block".into(),
            ));
        } else if kind == 127 {
            return Err(ParseError::Invalid(
                "a metadata block has the invalid type 127".into(),
            ));
        }
        let end = payload + size;
        if end > len {
            cut_in_metadata = Some(format!(
                "metadata block of type {kind} at offset {pos} declares {size} bytes but the file ends after {} of them",
                len - payload
            ));
            break;
        }
        pos = end;
        if last {
            audio_offset = Some(end);
            break;
        }
    }
    let Some(si) = si else {
        return Err(ParseError::Invalid("the file has no STREAMINFO block".into()));
    };
    let declared = si.total;
    let mut notes = Vec::new();
    let mk = |samples: u64, truncated: Option<String>, audio_offset: u64, notes: Vec<String>| FlacInfo {
        sample_rate: si.rate,
        channels: si.channels,
        bits_per_sample: si.bits,
        declared_samples: declared,
        samples,
        duration_s: duration(samples, si.rate),
        truncated,
        audio_offset,
        notes,
        trailing_bytes: 0,
    };
    let Some(audio_offset) = audio_offset else {
        let why =
            cut_in_metadata.unwrap_or_else(|| "the metadata blocks never end (no last-block flag)".into());
        return Ok(mk(0, Some(format!("{why}, before any audio frame")), len, notes));
    };
    if audio_offset >= len {
        let t = (declared > 0).then(|| {
            format!("the file ends right after the metadata; STREAMINFO declares {declared} samples")
        });
        return Ok(mk(0, t, audio_offset, notes));
    }

    // nominal block size of a fixed-blocksize stream: from the first frame header
    let mut fb = [0u8; 16];
    let got = read_at(r, audio_offset, &mut fb)?;
    let first_hdr = parse_frame_header(&fb[..got]).filter(|h| consistent(h, &si));
    let nominal = match first_hdr {
        Some(h) if !h.variable => h.block_size,
        _ => si.max_block,
    };
    if first_hdr.is_none() {
        notes.push(format!(
            "no valid frame header at the start of the audio data (offset {audio_offset})"
        ));
    }

    // search the tail backwards for the last frame header that really starts a frame
    let min_len = usize::try_from(si.min_frame).unwrap_or(0).max(8);
    let mut window = TAIL;
    let mut tail_zeros;
    let found = loop {
        let ws = len.saturating_sub(window).max(audio_offset);
        let wlen = usize::try_from(len - ws).unwrap_or(0);
        let mut buf = vec![0u8; wlen];
        let got = read_at(r, ws, &mut buf)?;
        buf.truncate(got);
        tail_zeros = !buf.is_empty() && buf.iter().all(|&b| b == 0);
        let mut cands: Vec<Cand> = Vec::new();
        let at_start = (ws == audio_offset).then_some(0);
        let mut verdict = None;
        // Sync codes, latest first (`memrchr` finds the 0xFF bytes many at a time).
        let mut end = buf.len().saturating_sub(1);
        while cands.len() < MAX_CANDIDATES {
            let Some(i) = memchr::memrchr(0xFF, &buf[..end]) else {
                break;
            };
            end = i;
            if buf[i + 1] & 0xFE != 0xF8 {
                continue;
            }
            let Some(h) = parse_frame_header(&buf[i..]) else {
                continue;
            };
            if !consistent(&h, &si) {
                continue;
            }
            let first_sample = if h.variable {
                h.number
            } else {
                h.number.saturating_mul(u64::from(nominal))
            };
            if declared > 0 && first_sample >= declared {
                continue;
            }
            cands.push(Cand {
                at: i,
                hdr: h,
                first_sample,
            });
            verdict = verdict_of(&buf, &cands, cands.len() - 1, min_len, at_start);
            if verdict.is_some() {
                break;
            }
        }
        let exhausted = ws <= audio_offset || window >= MAX_TAIL;
        match verdict {
            Some(v) => break Some((v, cands, ws)),
            // not confirmed: the latest header is taken as the frame the file cuts
            None if exhausted && !cands.is_empty() => break Some((Verdict::Cut(0), cands, ws)),
            None if exhausted => break None,
            None => window *= 4,
        }
    };
    let Some((verdict, cands, ws)) = found else {
        let rest = len - audio_offset;
        if rest < 16 && fb[0] == 0xFF && (rest < 2 || fb[1] & 0xFE == 0xF8) {
            let t = format!(
                "the file ends inside the header of the first audio frame; STREAMINFO declares {declared} samples"
            );
            return Ok(mk(0, Some(t), audio_offset, notes));
        }
        let searched = window.min(len - audio_offset);
        if tail_zeros {
            // Megabytes of zeros after the audio (a failed copy, a pre-allocated file): say so,
            // rather than blame the frames.
            return Err(ParseError::Invalid(format!(
                "the last {searched} bytes of the file are all zeros, so its last audio frame (and \
                 its true length) cannot be found; remove the trailing zeros"
            )));
        }
        return Err(ParseError::Invalid(format!(
            "no valid audio frame header was found in the last {searched} bytes of the file"
        )));
    };
    let (k, end) = match verdict {
        Verdict::Complete(k, after) => (k, Some(after)),
        Verdict::Cut(k) => (k, None),
    };
    let Some(&Cand {
        at,
        hdr: h,
        first_sample,
    }) = cands.get(k)
    else {
        return Err(ParseError::Invalid("internal error: no frame candidate".into()));
    };
    let fpos = ws.saturating_add(at as u64);
    let frame_end = first_sample.saturating_add(u64::from(h.block_size));
    let mut truncated = None;
    let mut last_cut = false;
    let mut trailing_bytes = 0;
    let samples = match end {
        Some(after) => {
            match after {
                After::Eof => {}
                After::Zeros(n) => trailing_bytes = n as u64,
                After::Id3v1 => notes.push("an ID3v1 tag follows the audio frames".into()),
                After::CutHeader => {
                    truncated = Some(format!(
                        "the file ends inside the header of the audio frame after sample {frame_end}"
                    ));
                }
                After::DamagedFrame => notes.push(format!(
                    "the audio frame after sample {frame_end} has a damaged header"
                )),
            }
            frame_end
        }
        None if declared > 0 && frame_end >= declared => {
            // the final frame does not close at the end of the file: its last bytes are missing
            last_cut = true;
            truncated = Some(format!(
                "the last FLAC frame (samples {first_sample} to {declared}) is cut short; STREAMINFO declares {declared} samples"
            ));
            first_sample
        }
        None => {
            // the last frame is cut short: its samples cannot be decoded
            truncated = Some(format!(
                "the file ends inside the audio frame that starts at sample {first_sample} (byte {fpos})"
            ));
            first_sample
        }
    };
    let samples = if declared > 0 {
        samples.min(declared)
    } else {
        samples
    };
    if declared > 0 && samples < declared && !last_cut {
        let msg = format!("STREAMINFO declares {declared} samples but the audio frames end after {samples}");
        truncated = Some(match truncated {
            Some(t) => format!("{msg}: {t}"),
            None => msg,
        });
    }
    if declared > 0 && frame_end > declared {
        notes.push(format!(
            "the last audio frame ends at sample {frame_end}, after the {declared} samples STREAMINFO declares"
        ));
    }
    let mut info = mk(samples, truncated, audio_offset, notes);
    info.trailing_bytes = trailing_bytes;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn load(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("audio/{name}"))
    }

    fn probe(b: &[u8]) -> Result<FlacInfo, ParseError> {
        probe_flac(&mut Cursor::new(b), b.len() as u64)
    }

    /// Byte offsets of the 16 frames of flac_s16.flac (15 x 1024 samples + 640), found with a
    /// scan for the 0xFFF8 sync code and cross-checked with the frame count ffmpeg decodes.
    const FRAMES: [usize; 16] = [
        8256, 8621, 9020, 9400, 9771, 10178, 10575, 10941, 11339, 11741, 12100, 12499, 12896, 13259, 13641,
        14046,
    ];

    /// The byte-by-byte walk `close_of` answers for (its implementation before it compared the
    /// register only where a test can succeed).
    fn close_of_bytewise(buf: &[u8], from: usize, min_len: usize, cands: &[Cand], upto: usize) -> Close {
        let Some(frame) = buf.get(from..) else {
            return Close::Never;
        };
        let later = cands.get(..upto).unwrap_or(&[]);
        let mut crc = 0u16;
        for (i, &x) in frame.iter().enumerate() {
            crc = crc16_step(crc, x);
            let p = i + 1;
            if crc != 0 || p < min_len {
                continue;
            }
            if let Some(j) = later.iter().position(|c| c.at == from + p) {
                return Close::At(j);
            }
            let rest = &frame[p..];
            if rest.is_empty() {
                return Close::End(After::Eof);
            }
            if rest.iter().all(|&b| b == 0) {
                return Close::End(After::Zeros(rest.len()));
            }
            if rest.len() == 128 && rest.starts_with(b"TAG") {
                return Close::End(After::Id3v1);
            }
            if rest[0] == 0xFF && rest.get(1).is_none_or(|&c| c & 0xFE == 0xF8) {
                return Close::End(if rest.len() < 16 && parse_frame_header(rest).is_none() {
                    After::CutHeader
                } else {
                    After::DamagedFrame
                });
            }
        }
        Close::Never
    }

    #[test]
    fn crc16_eight_bytes_a_step_equals_the_byte_walk() {
        let data: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in [0u16, 1, 0x8005, 0xFFFF] {
            for n in [0, 1, 7, 8, 9, 15, 16, 17, 999, 1000] {
                let walk = data[..n].iter().fold(start, |c, &x| crc16_step(c, x));
                assert_eq!(
                    crc16_update(start, &data[..n]),
                    walk,
                    "start {start:#x}, {n} bytes"
                );
            }
        }
    }

    #[test]
    fn close_of_gives_the_byte_walks_answer_at_every_cut_and_tail() {
        // Every frame of the fixture, cut anywhere, followed by nothing, zeros, an ID3v1 tag, a
        // cut header or a damaged sync: the sparse check must answer as the walk does.
        let full = load("flac_s16.flac");
        let mut tail_frames = full[FRAMES[12]..].to_vec();
        let last = tail_frames.len();
        let mut tails: Vec<Vec<u8>> = Vec::new();
        for extra in [
            &[][..],
            &[0; 300][..],
            &[0xFF, 0xF8, 0x69][..],
            &[0xFF, 0xF9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16][..],
        ] {
            let mut t = tail_frames.clone();
            t.extend_from_slice(extra);
            tails.push(t);
        }
        let mut tagged = tail_frames.clone();
        tagged.extend_from_slice(b"TAG");
        tagged.extend_from_slice(&[b'x'; 125]);
        tails.push(tagged);
        tail_frames.truncate(last);
        let starts: Vec<usize> = FRAMES[12..].iter().map(|f| f - FRAMES[12]).collect();
        let mut checked = 0;
        for t in &tails {
            for cut in (1..=t.len()).rev().step_by(7).chain([t.len()]) {
                let buf = &t[..cut];
                let cands: Vec<Cand> = starts
                    .iter()
                    .rev()
                    .filter_map(|&at| {
                        let hdr = parse_frame_header(buf.get(at..)?)?;
                        Some(Cand {
                            at,
                            hdr,
                            first_sample: 0,
                        })
                    })
                    .collect();
                for k in 0..cands.len() {
                    for min_len in [0, 8, 400] {
                        let want = close_of_bytewise(buf, cands[k].at, min_len, &cands, k);
                        assert_eq!(
                            close_of(buf, cands[k].at, min_len, &cands, k),
                            want,
                            "cut {cut}, k {k}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn untouched() {
        // ffprobe: flac 16000 Hz mono, bits_per_raw_sample 16, duration_ts 16000 (1.0 s);
        // `ffmpeg -i flac_s16.flac -f s16le - | wc -c` = 32000 bytes = 16000 samples
        let i = probe(&load("flac_s16.flac")).unwrap();
        assert_eq!((i.sample_rate, i.channels, i.bits_per_sample), (16000, 1, 16));
        assert_eq!((i.declared_samples, i.samples), (16000, 16000));
        assert_eq!(i.duration_s, 1.0);
        assert_eq!(i.truncated, None);
        assert_eq!(i.audio_offset, 8256);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
    }

    #[test]
    fn truncated_fixture() {
        // ffprobe still reports duration_ts 16000 from STREAMINFO; a decode yields 7168 samples
        let i = probe(&load("flac_s16_trunc.flac")).unwrap();
        assert_eq!((i.declared_samples, i.samples), (16000, 7168));
        assert_eq!(i.duration_s, 0.448);
        assert_eq!(
            i.truncated.as_deref(),
            Some(
                "STREAMINFO declares 16000 samples but the audio frames end after 7168: the file ends inside the audio frame that starts at sample 7168 (byte 10941)"
            )
        );
    }

    #[test]
    fn every_cut_point_is_exact() {
        let b = load("flac_s16.flac");
        for cut in FRAMES[0]..b.len() {
            let i = probe(&b[..cut]).unwrap();
            // frames whose last byte is present (frame k ends where frame k+1 starts)
            let complete = (0..16)
                .filter(|&k| FRAMES.get(k + 1).copied().unwrap_or(b.len()) <= cut)
                .count() as u64;
            let expect = complete * 1024;
            assert_eq!(i.samples, expect, "cut {cut}");
            assert_eq!(i.truncated.is_some(), expect < 16000, "cut {cut}");
        }
        // the metadata is complete but no audio at all
        let i = probe(&b[..FRAMES[0]]).unwrap();
        assert_eq!(i.samples, 0);
        assert!(i.truncated.unwrap().contains("right after the metadata"));
        // cut inside the 8 KiB padding block
        let i = probe(&b[..100]).unwrap();
        assert_eq!(i.samples, 0);
        assert!(i.truncated.unwrap().contains("metadata block of type 1"));
    }

    #[test]
    fn tags_and_trailing_data() {
        let b = load("flac_s16.flac");
        // ID3v2 in front
        let mut t = b"ID3\x04\x00\x00\x00\x00\x00\x14".to_vec();
        t.extend_from_slice(&[0u8; 20]);
        t.extend_from_slice(&b);
        let i = probe(&t).unwrap();
        assert_eq!((i.samples, i.audio_offset), (16000, 8256 + 30));
        assert_eq!(i.truncated, None);
        // ID3v1 behind
        let mut t = b.clone();
        t.extend_from_slice(b"TAG");
        t.extend_from_slice(&[b' '; 125]);
        let i = probe(&t).unwrap();
        assert_eq!((i.samples, i.truncated.clone()), (16000, None));
        assert_eq!(i.notes, vec!["an ID3v1 tag follows the audio frames"]);
        // zeros behind (they keep the CRC-16 at 0, so they read as part of the last frame)
        let mut t = b.clone();
        t.extend_from_slice(&[0u8; 50]);
        let i = probe(&t).unwrap();
        assert_eq!((i.samples, i.truncated.clone()), (16000, None));
        // other junk behind: without decoding it cannot be told from a cut final frame (whose
        // CRC-16 may close by chance anywhere inside it), so the final frame is not counted
        let mut t = b.clone();
        t.extend_from_slice(&[0x55u8; 50]);
        let i = probe(&t).unwrap();
        assert_eq!(i.samples, 15360);
        assert!(i.truncated.unwrap().contains("cut short"));
    }

    #[test]
    fn last_frame_cut_short() {
        // regression: a cut inside the final frame was never flagged (the frame was taken as
        // complete with "trailing data"). `flac -t` reports LOST_SYNC; ffmpeg decodes the 15
        // whole frames only (15360 samples).
        let b = load("flac_s16.flac");
        for k in [1usize, 2, 7, 100, 280] {
            let i = probe(&b[..b.len() - k]).unwrap();
            assert_eq!((i.declared_samples, i.samples), (16000, 15360), "cut {k}");
            assert_eq!(
                i.truncated.as_deref(),
                Some(
                    "the last FLAC frame (samples 15360 to 16000) is cut short; STREAMINFO declares 16000 samples"
                ),
                "cut {k}"
            );
            assert!(i.notes.is_empty(), "{:?}", i.notes);
            // a cut final frame followed by an ID3v1 tag is still cut
            let mut t = b[..b.len() - k].to_vec();
            t.extend_from_slice(b"TAG");
            t.extend_from_slice(&[b' '; 125]);
            assert_eq!(probe(&t).unwrap().samples, 15360, "cut {k} + ID3v1");
        }
        // a false frame sync (valid header, CRC-8 and all) inside the complete final frame is
        // not taken for the last frame: the final frame's CRC-16 still closes at the end
        let mut t = b.clone();
        let mut h = vec![0xFF, 0xF8, 0x75, 0x08, 0x01];
        h.push(crc8(&h));
        let at = FRAMES[15] + 100;
        t[at..at + h.len()].copy_from_slice(&h);
        // restore the final frame's CRC-16 over the patched body
        let end = t.len();
        let crc = t[FRAMES[15]..end - 2].iter().fold(0u16, |c, &x| crc16_step(c, x));
        t[end - 2..].copy_from_slice(&crc.to_be_bytes());
        let i = probe(&t).unwrap();
        assert_eq!((i.samples, i.truncated.clone()), (16000, None));
        // and the same file cut inside the final frame, after the false sync: the real start of
        // the cut frame (confirmed by the previous frame's CRC-16) is reported
        let i = probe(&t[..end - 10]).unwrap();
        assert_eq!(i.samples, 15360);
    }

    #[test]
    fn damaged() {
        let b = load("flac_s16.flac");
        assert!(matches!(probe(&[]), Err(ParseError::Invalid(_))));
        assert!(matches!(probe(b"fLa"), Err(ParseError::Truncated(_))));
        assert!(matches!(probe(b"ID3\x04\x00"), Err(ParseError::Truncated(_))));
        assert!(matches!(
            probe(b"ID3\x04\x00\x00\x00\x00\x7f\x7f"),
            Err(ParseError::Truncated(_))
        ));
        assert!(matches!(probe(b"RIFF1234WAVEfmt "), Err(ParseError::Invalid(_))));
        for cut in [4usize, 7, 8, 20, 41] {
            assert!(matches!(probe(&b[..cut]), Err(ParseError::Truncated(_))), "{cut}");
        }
        // sample rate 0
        let mut t = b.clone();
        t[18] = 0;
        t[19] = 0;
        t[20] &= 0x0F;
        assert!(matches!(probe(&t), Err(ParseError::Invalid(_))));
        // first block is not STREAMINFO
        let mut t = b.clone();
        t[4] = 1;
        assert!(matches!(probe(&t), Err(ParseError::Invalid(_))));
        // absurd padding size: the file "ends inside the metadata"
        let mut t = b.clone();
        t[61..64].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
        let i = probe(&t).unwrap();
        assert_eq!(i.samples, 0);
        assert!(i.truncated.is_some());
        // audio replaced by zeros: no frame header at all
        let mut t = b.clone();
        t[FRAMES[0]..].fill(0);
        let e = probe(&t).unwrap_err();
        assert!(matches!(e, ParseError::Invalid(_)), "{e}");
        // the CRC-8 protects the last frame header: damage it and the previous frame is used
        let mut t = b.clone();
        t[FRAMES[15] + 4] ^= 0x01;
        let i = probe(&t).unwrap();
        assert_eq!(i.samples, 15 * 1024);
        assert!(i.truncated.is_some());
        assert_eq!(i.notes.len(), 1, "{:?}", i.notes);
    }

    #[test]
    fn frame_header_variable_blocksize() {
        // variable blocking, 16-bit block size 4096, rate from STREAMINFO, mono, 16 bit,
        // sample number 1000 (UTF-8 coded as CF A8)
        let mut h = vec![0xFF, 0xF9, 0x70, 0x08, 0xCF, 0xA8, 0x0F, 0xFF];
        h.push(crc8(&h));
        let f = parse_frame_header(&h).unwrap();
        assert_eq!(
            f,
            FrameHdr {
                variable: true,
                number: 1000,
                block_size: 4096,
                rate: None,
                channels: 1,
                bits: Some(16),
            }
        );
        // every shorter prefix, and a wrong CRC, are rejected
        for k in 0..h.len() {
            assert_eq!(parse_frame_header(&h[..k]), None);
        }
        h[8] ^= 1;
        assert_eq!(parse_frame_header(&h), None);
    }

    #[test]
    fn no_panic_sweep() {
        for name in ["flac_s16.flac", "flac_s16_trunc.flac"] {
            let b = load(name);
            for cut in (0..=b.len()).step_by(7) {
                let _ = probe(&b[..cut]);
            }
            let mut seed = 0x9E37_79B9_7F4A_7C15u64;
            for k in 0..300 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut c = b.clone();
                let span = if k % 2 == 0 { 64 } else { c.len() };
                let at = (seed % span as u64) as usize;
                c[at] = (seed >> 32) as u8;
                let _ = probe(&c);
                let end = (at + 4).min(c.len());
                c[at..end].fill(0xFF);
                let _ = probe(&c);
            }
        }
    }
}
