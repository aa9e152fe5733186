//! MPEG-1/2/2.5 layers I-III (MP1, MP2, MP3): frame headers, the Xing/Info (with LAME) and VBRI
//! headers and what they claim against what the frames hold.

use std::io::{Read, Seek};

use crate::probe::ParseError;
use crate::probe::bytes::u32_be;

use super::tags::Region;
use super::tags::find_region;
use super::walk::{FrameHeader, Walk, Window, frames_end_at, header_at, no_first_frame, scan, walk};
use super::{CONFIRM_FIRST, CONFIRM_RESYNC, FIRST_FRAME_SEARCH, MpegAudioInfo, MpegVersion, VbrHeaderKind};

/// How much before the end a hosted stream's last frames are looked for (several of the
/// largest frames, 1,728 bytes for MPEG-1 layer II at 384 kbit/s and 32 kHz).
const TAIL_CHECK: u64 = 8 * 1024;

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
    pub(super) raw: u32,
    pub(super) version: MpegVersion,
    pub(super) layer: u8,
    pub(super) crc: bool,
    pub(super) bitrate_kbps: u32,
    pub(super) sample_rate: u32,
    pub(super) channel_mode: u8,
    pub(super) len: u32,
    pub(super) spf: u32,
}

impl MpegHeader {
    /// The shortest and the longest frame a stream of this version, layer and sample rate can
    /// have (lowest bitrate without padding, highest with).
    fn len_bounds(&self) -> (u64, u64) {
        let row = bitrate_row(self.version, self.layer);
        let len = |kbps: u16, pad| {
            u64::from(frame_shape(self.version, self.layer, kbps.into(), self.sample_rate, pad).0)
        };
        (len(row[0], 0), len(row[13], 1))
    }
}

/// The bitrates (kbit/s) of bitrate indexes 1 to 14 for a version and layer.
fn bitrate_row(version: MpegVersion, layer: u8) -> &'static [u16; 14] {
    match (version, layer) {
        (MpegVersion::Mpeg1, l) => &BITRATES_V1[(l - 1) as usize],
        (_, 1) => &BITRATES_V2[0],
        _ => &BITRATES_V2[1],
    }
}

/// A frame's length in bytes and its samples per channel.
fn frame_shape(version: MpegVersion, layer: u8, bitrate_kbps: u32, sample_rate: u32, pad: u32) -> (u32, u32) {
    let br = bitrate_kbps * 1000;
    match (layer, version) {
        (1, _) => ((12 * br / sample_rate + pad) * 4, 384),
        (2, _) => (144 * br / sample_rate + pad, 1152),
        (_, MpegVersion::Mpeg1) => (144 * br / sample_rate + pad, 1152),
        _ => (72 * br / sample_rate + pad, 576),
    }
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
        let bitrate_kbps = bitrate_row(version, layer)[br_idx - 1] as u32;
        let pad = (raw >> 9) & 1;
        let (len, spf) = frame_shape(version, layer, bitrate_kbps, sample_rate, pad);
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
    pub(super) kind: VbrHeaderKind,
    pub(super) frames: Option<u64>,
    /// Bytes of the stream from the header's frame on (Xing/Info; for VBRI as stored).
    pub(super) bytes: Option<u64>,
    pub(super) encoder: Option<String>,
    pub(super) delay: Option<u32>,
    pub(super) padding: Option<u32>,
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
        let (mut frames, mut bytes) = (None, None);
        if flags & 1 != 0 {
            frames = Some(u32_be(f, p)? as u64);
            p += 4;
        }
        if flags & 2 != 0 {
            bytes = Some(u32_be(f, p)? as u64);
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
            bytes,
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
            bytes: u32_be(f, 36 + 10).map(u64::from),
            encoder: None,
            delay: None,
            padding: None,
        });
    }
    None
}

/// Walks an MPEG audio stream (MP1/MP2/MP3), reader at 0, `len` = file length in bytes.
#[cfg(test)]
pub fn probe_mpeg_audio<R: Read + Seek>(r: &mut R, len: u64) -> Result<MpegAudioInfo, ParseError> {
    probe_mpeg_audio_with(r, len, false)
}

/// [`probe_mpeg_audio`], for a source whose reads are costly (a hosted file) when `costly_reads`:
/// a stream whose Xing/Info header gives its frame and byte counts is measured from the header
/// when the byte count ends exactly where the audio ends (before any trailing tags) and the
/// last frames there chain up to that end; the frames between are not walked
/// ([`MpegAudioInfo::walked`] is false), so damage in the middle goes unseen. Otherwise (no
/// such header, a VBRI header, whose counts are not consistently defined, or a file shorter or
/// longer than the header says) every frame is walked, as for a local file.
pub fn probe_mpeg_audio_with<R: Read + Seek>(
    r: &mut R,
    len: u64,
    costly_reads: bool,
) -> Result<MpegAudioInfo, ParseError> {
    let region = find_region(r, len)?;
    let mut w = Window::new(r, region.end);
    // What the header measures is read, no more; a walk reads ahead again.
    w.read_ahead = !costly_reads;
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
    let from_header = match &vbr_header {
        Some(v) if costly_reads => measure_from_header(&mut w, &region, first_pos, &first, v)?,
        _ => None,
    };
    let walked = from_header.is_none();
    let st = match from_header {
        Some((st, audio)) => {
            first_audio = Some(audio);
            vbr = vbr_header.as_ref().is_some_and(|v| v.kind == VbrHeaderKind::Xing);
            st
        }
        None => {
            w.read_ahead = true;
            walk(
                &mut w,
                walk_from,
                &first,
                "MPEG audio",
                |h: &MpegHeader| match &first_audio {
                    None => first_audio = Some(*h),
                    Some(a) => vbr |= a.bitrate_kbps != h.bitrate_kbps,
                },
            )?
        }
    };
    let reference = first_audio.unwrap_or(first);
    let header_frames = vbr_header.as_ref().and_then(|v| v.frames);
    let mut truncated = st.truncated.clone();
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
    st.check_mostly_frames(len, "MPEG audio")?;
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
    Ok(MpegAudioInfo {
        stream: st.stream(
            &region,
            first_pos,
            sample_rate,
            if reference.channel_mode == 3 { 1 } else { 2 },
            samples,
            total,
            truncated,
        ),
        layer: reference.layer,
        version: reference.version,
        samples_per_frame: reference.spf,
        encoder_delay: delay,
        encoder_padding: padding,
        header_kind: vbr_header.as_ref().map(|v| v.kind),
        header_frames,
        encoder: vbr_header.and_then(|v| v.encoder),
        vbr,
        corrupt,
        walked,
    })
}

/// The walk a Xing/Info header `v` in the first frame (`first` at `first_pos`) stands for, with
/// the first audio frame's header, when its byte count ends exactly at the end of the audio
/// region and a run of frames ends there too; None when anything of that does not hold.
fn measure_from_header<R: Read + Seek>(
    w: &mut Window<R>,
    region: &Region,
    first_pos: u64,
    first: &MpegHeader,
    v: &VbrHeader,
) -> Result<Option<(Walk, MpegHeader)>, ParseError> {
    if v.kind == VbrHeaderKind::Vbri {
        return Ok(None);
    }
    let (Some(frames), Some(bytes)) = (v.frames, v.bytes) else {
        return Ok(None);
    };
    let audio_from = first_pos + first.len as u64;
    let end = first_pos.saturating_add(bytes);
    if frames == 0 || end != region.end || end <= audio_from {
        return Ok(None);
    }
    let audio = match header_at::<MpegHeader, R>(w, audio_from)? {
        Some(a) if a.same_stream(first) => a,
        _ => return Ok(None),
    };
    // The counts must be able to describe each other: as many frames as the bytes can hold at
    // this stream's shortest and longest frames (one frame of slack for how encoders count the
    // header frame). A header that lies about its frame count is walked instead.
    let (shortest, longest) = audio.len_bounds();
    let audio_bytes = end - audio_from;
    if frames.saturating_sub(1).saturating_mul(shortest) > audio_bytes
        || audio_bytes > frames.saturating_add(1).saturating_mul(longest)
    {
        return Ok(None);
    }
    let tail_from = end.saturating_sub(TAIL_CHECK).max(audio_from);
    if !frames_end_at::<MpegHeader, R>(w, tail_from, end, first, CONFIRM_RESYNC)? {
        return Ok(None);
    }
    let walk = Walk {
        frames,
        audio_bytes: end - audio_from,
        skipped: 0,
        trailing: 0,
        skipped_mid: 0,
        first_bad: None,
        truncated: None,
    };
    Ok(Some((walk, audio)))
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
