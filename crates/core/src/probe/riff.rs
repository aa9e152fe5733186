//! WAV (RIFF/RIFX/RF64/BW64) and AIFF/AIFC header probe: walks the chunks with seeks and reports the
//! codec parameters together with the number of sample frames the file really holds, so a file cut
//! short (whose header still declares the full length) is detected and measured to the frame.

use std::io::{self, Read, Seek};

use super::read_at;

/// Upper bound on the number of chunks walked before giving up (guards against hostile files).
const MAX_CHUNKS: usize = 100_000;

use super::ParseError;
use super::bytes::{Endian, duration, fourcc, u16_be, u16_le, u32_be, u32_le, u64_be, u64_le};

/// What a WAV or AIFF file declares and what it really holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PcmInfo {
    /// ffprobe-style codec name: `pcm_s16le`, `pcm_s24le`, `pcm_u8`, `pcm_f32le`, `pcm_s16be`,
    /// `pcm_alaw`, `pcm_mulaw`, `adpcm_ima_wav`, ..., or `wav_format_0xNNNN` / `aifc_XXXX` if unknown.
    pub codec: String,
    /// Sample rate in Hz (AIFF: the 80-bit float rounded to the nearest integer).
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u16,
    /// Bits per sample as stored in the header (container size for PCM, e.g. 4 for IMA ADPCM).
    pub bits_per_sample: u16,
    /// Bytes per block (one frame for PCM, one packet for block-based codecs); 0 if unknown.
    pub block_align: u16,
    /// Frames the headers declare (data chunk size / ds64; block-based codecs: whole blocks, or
    /// `fact` when it lies within the last block; AIFF: COMM frame count).
    pub declared_frames: u64,
    /// Frames whose bytes are really present in the file.
    pub frames: u64,
    /// `frames / sample_rate`, in seconds.
    pub duration_s: f64,
    /// Set when the file holds less than its headers declare, with an explanation.
    pub truncated: Option<String>,
    /// Byte offset of the first sample byte.
    pub data_offset: u64,
    /// Number of sample bytes actually present from `data_offset` (clipped to the declared size).
    pub data_len: u64,
    /// Remarks about unusual but tolerated headers (streaming sizes, trailing data, odd sizes).
    pub notes: Vec<String>,
    /// Bytes at the end of the file that are not part of any chunk (see `trailing-data`).
    pub trailing_bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// small helpers

fn plausible_id(id: &[u8]) -> bool {
    id.len() == 4 && id.iter().all(|&c| (0x20..0x7f).contains(&c))
}

/// Frames held in `bytes` bytes of packets of `packet_bytes` bytes carrying `packet_frames`
/// frames each. `whole` counts a trailing partial packet as complete (used when the data is
/// complete and only the writer's block padding is short).
fn frames_in(bytes: u64, packet_bytes: u64, packet_frames: u64, whole: bool) -> u64 {
    if packet_bytes == 0 {
        return 0;
    }
    let packets = if whole {
        bytes.div_ceil(packet_bytes)
    } else {
        bytes / packet_bytes
    };
    packets.saturating_mul(packet_frames)
}

// ---------------------------------------------------------------------------------------------
// chunk walking shared by WAV and AIFF

struct ChunkHdr {
    id: [u8; 4],
    size: u32,
    /// offset of the payload
    payload: u64,
}

enum Walk {
    Chunk(ChunkHdr),
    /// clean end of file (or of the declared container)
    End,
    /// 1..7 bytes left, or bytes that are not a chunk header
    Trailing(u64),
}

/// Reads the chunk header at `pos`. `odd_prev` tells that the previous chunk had an odd size, so
/// a writer that forgot the pad byte is tolerated (header one byte earlier).
fn next_chunk<R: Read + Seek>(r: &mut R, pos: u64, len: u64, be: bool, odd_prev: bool) -> io::Result<Walk> {
    if pos >= len {
        return Ok(Walk::End);
    }
    let mut h = [0u8; 8];
    let n = read_at(r, pos, &mut h)?;
    if n == 8 && plausible_id(&h[0..4]) {
        return Ok(Walk::Chunk(ChunkHdr {
            id: [h[0], h[1], h[2], h[3]],
            size: Endian::big_if(be).u32(&h, 4).unwrap_or(0),
            payload: pos + 8,
        }));
    }
    if odd_prev && pos > 0 {
        let mut h2 = [0u8; 8];
        if read_at(r, pos - 1, &mut h2)? == 8 && plausible_id(&h2[0..4]) {
            return Ok(Walk::Chunk(ChunkHdr {
                id: [h2[0], h2[1], h2[2], h2[3]],
                size: Endian::big_if(be).u32(&h2, 4).unwrap_or(0),
                payload: pos + 7,
            }));
        }
    }
    Ok(Walk::Trailing(len - pos))
}

// ---------------------------------------------------------------------------------------------
// WAV

#[derive(Clone, Copy, PartialEq)]
enum WavKind {
    Riff,
    Rifx,
    Rf64,
}

struct WavFmt {
    tag: u16,
    channels: u16,
    rate: u32,
    byte_rate: u32,
    block_align: u16,
    bits: u16,
    samples_per_block: u16,
    /// unknown WAVE_FORMAT_EXTENSIBLE sub-format GUID, formatted
    unknown_guid: Option<String>,
}

/// KSDATAFORMAT_SUBTYPE_* GUIDs share this tail after the 16-bit format code.
const GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

fn parse_fmt(b: &[u8], be: bool) -> Result<WavFmt, ParseError> {
    if b.len() < 16 {
        return Err(ParseError::Invalid(format!(
            "the fmt chunk is {} bytes long, too short for a wave format header",
            b.len()
        )));
    }
    let mut f = WavFmt {
        tag: Endian::big_if(be).u16(b, 0).unwrap_or(0),
        channels: Endian::big_if(be).u16(b, 2).unwrap_or(0),
        rate: Endian::big_if(be).u32(b, 4).unwrap_or(0),
        byte_rate: Endian::big_if(be).u32(b, 8).unwrap_or(0),
        block_align: Endian::big_if(be).u16(b, 12).unwrap_or(0),
        bits: Endian::big_if(be).u16(b, 14).unwrap_or(0),
        samples_per_block: 0,
        unknown_guid: None,
    };
    let cb_size = if b.len() >= 18 {
        Endian::big_if(be).u16(b, 16).unwrap_or(0)
    } else {
        0
    };
    if f.tag == 0xFFFE {
        if cb_size < 22 || b.len() < 40 {
            return Err(ParseError::Invalid(
                "the fmt chunk uses WAVE_FORMAT_EXTENSIBLE but is too short to hold the sub-format".into(),
            ));
        }
        let g = &b[24..40];
        if g[2..16] == GUID_TAIL {
            f.tag = Endian::big_if(be).u16(g, 0).unwrap_or(0);
        } else {
            let guid = format!(
                "{:08x}-{:04x}-{:04x}-{}-{}",
                u32_le(g, 0).unwrap_or(0),
                u16_le(g, 4).unwrap_or(0),
                u16_le(g, 6).unwrap_or(0),
                g[8..10].iter().map(|x| format!("{x:02x}")).collect::<String>(),
                g[10..16].iter().map(|x| format!("{x:02x}")).collect::<String>()
            );
            f.unknown_guid = Some(guid);
        }
    } else if cb_size >= 2 && b.len() >= 20 && matches!(f.tag, 0x0002 | 0x0011 | 0x0031) {
        f.samples_per_block = Endian::big_if(be).u16(b, 18).unwrap_or(0);
    }
    if f.channels == 0 {
        return Err(ParseError::Invalid("the fmt chunk declares 0 channels".into()));
    }
    if f.rate == 0 {
        return Err(ParseError::Invalid(
            "the fmt chunk declares a sample rate of 0".into(),
        ));
    }
    Ok(f)
}

/// (codec name, packet bytes, frames per packet); packet bytes 0 = unknown layout.
fn wav_codec(f: &WavFmt, be: bool) -> (String, u64, u64) {
    let e = if be { "be" } else { "le" };
    let ba = u64::from(f.block_align);
    if let Some(g) = &f.unknown_guid {
        return (format!("wav_guid_{g}"), 0, 0);
    }
    let ch = u64::from(f.channels);
    match f.tag {
        0x0001 => {
            let bytes = u64::from(f.bits).div_ceil(8);
            let name = match bytes {
                1 => "pcm_u8".to_string(),
                2 | 3 | 4 | 8 => format!("pcm_s{}{e}", bytes * 8),
                _ => format!("pcm_s{}{e}", f.bits),
            };
            (name, ba, 1)
        }
        0x0003 => (format!("pcm_f{}{e}", f.bits), ba, 1),
        0x0006 => ("pcm_alaw".into(), ba, 1),
        0x0007 => ("pcm_mulaw".into(), ba, 1),
        0x0011 => {
            // IMA ADPCM: 4 header bytes per channel (holding one sample), then 4-bit nibbles
            let spb = if f.samples_per_block > 0 {
                u64::from(f.samples_per_block)
            } else if ba > 4 * ch {
                (ba - 4 * ch) * 8 / (4 * ch) + 1
            } else {
                0
            };
            ("adpcm_ima_wav".into(), if spb > 0 { ba } else { 0 }, spb)
        }
        0x0002 => {
            // MS ADPCM: 7 header bytes per channel (holding two samples)
            let spb = if f.samples_per_block > 0 {
                u64::from(f.samples_per_block)
            } else if ba > 7 * ch {
                (ba - 7 * ch) * 2 / ch + 2
            } else {
                0
            };
            ("adpcm_ms".into(), if spb > 0 { ba } else { 0 }, spb)
        }
        0x0031 => {
            // GSM 6.10 (Microsoft framing): 65-byte blocks of 320 samples
            let spb = if f.samples_per_block > 0 {
                u64::from(f.samples_per_block)
            } else if ba == 65 {
                320
            } else {
                0
            };
            ("gsm_ms".into(), if spb > 0 { ba } else { 0 }, spb)
        }
        0x0045 | 0x0064 => ("adpcm_g726".into(), 0, 0),
        0x0050 => ("mp2".into(), 0, 0),
        0x0055 => ("mp3".into(), 0, 0),
        0x00FF | 0x1610 => ("aac".into(), 0, 0),
        0x0160 => ("wmav1".into(), 0, 0),
        0x0161 => ("wmav2".into(), 0, 0),
        0x2000 => ("ac3".into(), 0, 0),
        0xF1AC => ("flac".into(), 0, 0),
        t => (format!("wav_format_0x{t:04x}"), 0, 0),
    }
}

/// Probes a WAV file (RIFF/WAVE, RIFX big-endian, RF64/BW64 with `ds64`). `len` is the file
/// length; the reader may be at any position.
pub fn probe_wav<R: Read + Seek>(r: &mut R, len: u64) -> Result<PcmInfo, ParseError> {
    let mut hdr = [0u8; 12];
    let n = read_at(r, 0, &mut hdr)?.min(usize::try_from(len).unwrap_or(usize::MAX));
    let magic_ok = |m: &[u8]| {
        [&b"RIFF"[..], b"RIFX", b"RF64", b"BW64"]
            .iter()
            .any(|k| k.starts_with(&m[..m.len().min(4)]))
    };
    if n == 0 {
        return Err(ParseError::Invalid("the file is empty".into()));
    }
    if n < 12 {
        let p = &hdr[..n];
        if magic_ok(p) && (n <= 8 || b"WAVE".starts_with(&p[8..])) {
            return Err(ParseError::Truncated(format!(
                "the file ends after {n} bytes, inside the 12-byte RIFF header"
            )));
        }
        return Err(ParseError::Invalid("not a WAV file (no RIFF header)".into()));
    }
    let kind = match &hdr[0..4] {
        b"RIFF" => WavKind::Riff,
        b"RIFX" => WavKind::Rifx,
        b"RF64" | b"BW64" => WavKind::Rf64,
        _ => return Err(ParseError::Invalid("not a WAV file (no RIFF header)".into())),
    };
    if &hdr[8..12] != b"WAVE" {
        return Err(ParseError::Invalid(format!(
            "the RIFF file is of type '{}', not WAVE",
            fourcc(&hdr[8..12])
        )));
    }
    let be = kind == WavKind::Rifx;
    let riff_size32 = Endian::big_if(be).u32(&hdr, 4).unwrap_or(0);
    let mut notes = Vec::new();

    let mut fmt: Option<WavFmt> = None;
    let mut fact: Option<u32> = None;
    let mut ds64: Option<(u64, u64)> = None; // (riff size, data size)
    // (payload offset, declared size or None = to end of file)
    let mut data: Option<(u64, Option<u64>)> = None;
    let mut cut_inside: Option<(String, u64)> = None;
    let mut pos = 12u64;
    let mut odd_prev = false;
    let mut trailing_bytes = 0;
    for _ in 0..MAX_CHUNKS {
        let c = match next_chunk(r, pos, len, be, odd_prev)? {
            Walk::Chunk(c) => c,
            Walk::End => break,
            Walk::Trailing(k) => {
                trailing_bytes = k;
                if k < 8 {
                    notes.push(format!("{k} stray bytes at the end of the file were ignored"));
                } else {
                    notes.push(format!(
                        "{k} bytes after offset {pos} are not a RIFF chunk and were ignored"
                    ));
                }
                break;
            }
        };
        let size = u64::from(c.size);
        let avail = len.saturating_sub(c.payload);
        let id = fourcc(&c.id);
        match &c.id {
            b"ds64" if kind == WavKind::Rf64 => {
                if avail < 16 || size < 16 {
                    return Err(ParseError::Truncated(
                        "the file ends inside the ds64 chunk".into(),
                    ));
                }
                let mut b = [0u8; 16];
                read_at(r, c.payload, &mut b)?;
                ds64 = Some((u64_le(&b, 0).unwrap_or(0), u64_le(&b, 8).unwrap_or(0)));
            }
            b"fmt " if fmt.is_none() => {
                let want = size.min(64);
                if avail < want {
                    return Err(ParseError::Truncated(format!(
                        "the fmt chunk declares {size} bytes but the file ends after {avail} of them"
                    )));
                }
                let mut b = [0u8; 64];
                let want = usize::try_from(want).unwrap_or(64).min(64);
                let k = read_at(r, c.payload, &mut b[..want])?;
                fmt = Some(parse_fmt(&b[..k], be)?);
            }
            b"fact" if avail >= 4 && size >= 4 => {
                let mut b = [0u8; 4];
                read_at(r, c.payload, &mut b)?;
                fact = Some(Endian::big_if(be).u32(&b, 0).unwrap_or(0));
            }
            b"data" if data.is_none() => {
                let declared = if c.size == 0xFFFF_FFFF {
                    match ds64 {
                        Some((_, d)) if kind == WavKind::Rf64 => Some(d),
                        _ => {
                            notes.push(
                                "the data chunk size is 0xFFFFFFFF (as written by streaming tools); the samples are taken to run to the end of the file"
                                    .into(),
                            );
                            None
                        }
                    }
                } else if c.size == 0 && avail > 0 && !empty_chunk_followed(r, c.payload, len, be)? {
                    notes.push(
                        "the data chunk size is 0 (as written by streaming tools); the samples are taken to run to the end of the file"
                            .into(),
                    );
                    None
                } else {
                    Some(size)
                };
                data = Some((c.payload, declared));
                match declared {
                    None => break,
                    Some(d) if d >= avail => break,
                    Some(_) => {}
                }
                // Continue the walk (fmt/fact may follow the data chunk); for RF64 use the
                // 64-bit size to step over it.
                let step = declared.unwrap_or(size);
                pos = c.payload.saturating_add(step).saturating_add(step & 1);
                odd_prev = step & 1 == 1;
                continue;
            }
            _ => {}
        }
        let end = c.payload.saturating_add(size);
        if end > len {
            cut_inside = Some((id, c.payload - 8));
            break;
        }
        pos = end + (size & 1);
        odd_prev = size & 1 == 1;
    }

    // the RIFF header promises more than the file holds (only meaningful for a real size)
    let riff_short = kind != WavKind::Rf64 && riff_size32 != 0xFFFF_FFFF && u64::from(riff_size32) + 8 > len;
    let Some(f) = fmt else {
        return Err(match cut_inside {
            Some((id, at)) => ParseError::Truncated(format!(
                "the file ends inside the '{id}' chunk at offset {at}, before any fmt chunk"
            )),
            None if data.is_some() => {
                ParseError::Invalid("the WAV file has no fmt chunk before its sample data".into())
            }
            None if riff_short => ParseError::Truncated(format!(
                "the RIFF header declares {} bytes but the file ends after {len}, before any fmt chunk",
                u64::from(riff_size32) + 8
            )),
            None => ParseError::Invalid("the WAV file has no fmt chunk".into()),
        });
    };
    let Some((data_offset, declared_bytes)) = data else {
        return Err(match cut_inside {
            Some((id, at)) => ParseError::Truncated(format!(
                "the file ends inside the '{id}' chunk at offset {at}, before any data chunk"
            )),
            None if riff_short => ParseError::Truncated(format!(
                "the RIFF header declares {} bytes but the file ends after {len}, before any data chunk",
                u64::from(riff_size32) + 8
            )),
            None => ParseError::Invalid("the WAV file has no data chunk".into()),
        });
    };
    if f.block_align == 0 && (f.tag == 1 || f.tag == 3 || f.tag == 6 || f.tag == 7) {
        return Err(ParseError::Invalid(
            "the fmt chunk declares a block size of 0".into(),
        ));
    }
    let (codec, pkt_bytes, pkt_frames) = wav_codec(&f, be);
    if f.tag == 1 || f.tag == 3 {
        let expect = u64::from(f.channels) * u64::from(f.bits).div_ceil(8);
        if expect != u64::from(f.block_align) {
            notes.push(format!(
                "the fmt chunk declares a block size of {} bytes but {} channels of {} bits need {}",
                f.block_align, f.channels, f.bits, expect
            ));
        }
    }

    let avail = len.saturating_sub(data_offset);
    let to_end = declared_bytes.is_none();
    let declared_bytes = declared_bytes.unwrap_or(avail);
    let present = declared_bytes.min(avail);
    let complete = present == declared_bytes;
    let mut truncated = None;
    if !complete {
        truncated = Some(format!(
            "the data chunk declares {declared_bytes} bytes but the file ends after {present} of them"
        ));
    }

    let is_pcm_like = pkt_frames == 1 && pkt_bytes > 0;
    let (declared_frames, frames) = if is_pcm_like {
        if declared_bytes % pkt_bytes != 0 && complete {
            notes.push(format!(
                "the data chunk size ({declared_bytes} bytes) is not a multiple of the {pkt_bytes}-byte frame size"
            ));
        }
        (
            declared_bytes / pkt_bytes,
            frames_in(present, pkt_bytes, 1, false),
        )
    } else if pkt_bytes > 0 && pkt_frames > 0 {
        // block-based (IMA/MS ADPCM, GSM): the blocks give the count; the fact chunk refines it
        // only within the last block (how many of its samples are valid), else it is wrong
        let all = frames_in(declared_bytes, pkt_bytes, pkt_frames, true);
        let declared = match fact.map(u64::from) {
            Some(n) if n <= all && all - n < pkt_frames => n,
            Some(n) => {
                notes.push(format!(
                    "the fact chunk declares {n} frames but the data chunk holds {all} ({} blocks of {pkt_frames}); the block count is used",
                    declared_bytes.div_ceil(pkt_bytes)
                ));
                all
            }
            None => all,
        };
        let got = frames_in(present, pkt_bytes, pkt_frames, complete);
        (declared, got.min(declared))
    } else {
        // unknown layout: fact count, scaled by the fraction of bytes present; else byte rate
        match fact {
            Some(n) => {
                let n = u64::from(n);
                let got = if complete || declared_bytes == 0 {
                    n
                } else {
                    (u128::from(n) * u128::from(present) / u128::from(declared_bytes)) as u64
                };
                (n, got)
            }
            None if f.byte_rate > 0 => {
                notes
                    .push("the frame count of this compressed format is estimated from the byte rate".into());
                let est = |b: u64| (u128::from(b) * u128::from(f.rate) / u128::from(f.byte_rate)) as u64;
                (est(declared_bytes), est(present))
            }
            None => {
                notes.push("the frame count of this compressed format is unknown".into());
                (0, 0)
            }
        }
    };

    // RIFF size vs file length
    let riff_end = match kind {
        WavKind::Rf64 => ds64.map(|(rs, _)| rs.saturating_add(8)),
        _ if riff_size32 == 0xFFFF_FFFF || riff_size32 == 0 => {
            notes.push(format!(
                "the RIFF size field is 0x{riff_size32:08X} (as written by streaming tools) and was ignored"
            ));
            None
        }
        _ => Some(u64::from(riff_size32) + 8),
    };
    if let Some(re) = riff_end {
        if re > len && truncated.is_none() && !to_end {
            truncated = Some(format!(
                "the RIFF header declares {re} bytes but the file ends after {len}"
            ));
        } else if re < len {
            notes.push(format!(
                "{} bytes of trailing data follow the {re} bytes the RIFF header declares",
                len - re
            ));
        }
    }
    if let (None, Some((id, at))) = (&truncated, cut_inside) {
        truncated = Some(format!(
            "the file ends inside the '{id}' chunk at offset {at}, after the sample data"
        ));
    }

    Ok(PcmInfo {
        codec,
        sample_rate: f.rate,
        channels: f.channels,
        bits_per_sample: f.bits,
        block_align: f.block_align,
        declared_frames: if to_end { frames } else { declared_frames },
        frames,
        duration_s: duration(frames, f.rate),
        truncated,
        data_offset,
        data_len: present,
        notes,
        trailing_bytes,
    })
}

/// A zero-sized data chunk is genuine if a plausible chunk header follows it.
fn empty_chunk_followed<R: Read + Seek>(r: &mut R, payload: u64, len: u64, be: bool) -> io::Result<bool> {
    let mut h = [0u8; 8];
    if read_at(r, payload, &mut h)? < 8 || !plausible_id(&h[0..4]) {
        return Ok(false);
    }
    let size = u64::from(Endian::big_if(be).u32(&h, 4).unwrap_or(0));
    Ok(payload + 8 + size <= len)
}

// ---------------------------------------------------------------------------------------------
// AIFF

/// Converts an IEEE 754 80-bit extended float (big-endian) to the nearest u32, exactly for
/// integral values. Returns `None` for negative, zero, non-finite or out-of-range values.
fn ext80_to_u32(b: &[u8; 10]) -> Option<u32> {
    let se = u16_be(b, 0)?;
    if se & 0x8000 != 0 {
        return None;
    }
    let exp = i32::from(se & 0x7FFF);
    let mant = u64_be(b, 2)?;
    if exp == 0x7FFF || mant == 0 {
        return None;
    }
    // value = mant * 2^(exp - 16383 - 63)
    let shift = exp - 16383 - 63;
    if shift >= 0 {
        return None; // >= 2^63
    }
    let s = u32::try_from(-shift).ok()?;
    if s >= 64 {
        // below 1.0; round to nearest (only 0.5.. rounds to 1)
        return if s == 64 && mant >= (1 << 63) {
            Some(1)
        } else {
            None
        };
    }
    let int = mant >> s;
    let rem = mant & ((1u64 << s) - 1);
    let half = 1u64 << (s - 1);
    let v = if rem >= half { int.checked_add(1)? } else { int };
    u32::try_from(v).ok().filter(|&v| v > 0)
}

/// Probes an AIFF or AIFC file (FORM, COMM, SSND). `len` is the file length; the reader may be at
/// any position.
pub fn probe_aiff<R: Read + Seek>(r: &mut R, len: u64) -> Result<PcmInfo, ParseError> {
    let mut hdr = [0u8; 12];
    let n = read_at(r, 0, &mut hdr)?.min(usize::try_from(len).unwrap_or(usize::MAX));
    if n == 0 {
        return Err(ParseError::Invalid("the file is empty".into()));
    }
    if n < 12 {
        let p = &hdr[..n];
        if b"FORM".starts_with(&p[..n.min(4)])
            && (n <= 8 || b"AIFF".starts_with(&p[8..]) || b"AIFC".starts_with(&p[8..]))
        {
            return Err(ParseError::Truncated(format!(
                "the file ends after {n} bytes, inside the 12-byte FORM header"
            )));
        }
        return Err(ParseError::Invalid("not an AIFF file (no FORM header)".into()));
    }
    if &hdr[0..4] != b"FORM" {
        return Err(ParseError::Invalid("not an AIFF file (no FORM header)".into()));
    }
    let aifc = match &hdr[8..12] {
        b"AIFF" => false,
        b"AIFC" => true,
        t => {
            return Err(ParseError::Invalid(format!(
                "the FORM file is of type '{}', not AIFF or AIFC",
                fourcc(t)
            )));
        }
    };
    let form_end = u64::from(u32_be(&hdr, 4).unwrap_or(0)) + 8;
    let mut notes = Vec::new();

    // (channels, frames, bits, rate, compression)
    let mut comm: Option<(u16, u32, u16, u32, [u8; 4])> = None;
    // (sample data offset, declared sample bytes)
    let mut ssnd: Option<(u64, u64)> = None;
    let mut cut_inside: Option<(String, u64)> = None;
    let mut pos = 12u64;
    let mut odd_prev = false;
    let mut trailing_bytes = 0;
    for _ in 0..MAX_CHUNKS {
        let c = match next_chunk(r, pos, len, true, odd_prev)? {
            Walk::Chunk(c) => c,
            Walk::End => break,
            Walk::Trailing(k) => {
                trailing_bytes = k;
                notes.push(format!(
                    "{k} bytes after offset {pos} are not an AIFF chunk and were ignored"
                ));
                break;
            }
        };
        let size = u64::from(c.size);
        let avail = len.saturating_sub(c.payload);
        let id = fourcc(&c.id);
        match &c.id {
            b"COMM" if comm.is_none() => {
                let need = if aifc { 22 } else { 18 };
                if size < need {
                    return Err(ParseError::Invalid(format!(
                        "the COMM chunk is {size} bytes long, too short for its {need}-byte header"
                    )));
                }
                if avail < need {
                    return Err(ParseError::Truncated(format!(
                        "the COMM chunk declares {size} bytes but the file ends after {avail} of them"
                    )));
                }
                let mut b = [0u8; 22];
                read_at(r, c.payload, &mut b)?;
                let channels = u16_be(&b, 0).unwrap_or(0);
                let frames = u32_be(&b, 2).unwrap_or(0);
                let bits = u16_be(&b, 6).unwrap_or(0);
                let mut e = [0u8; 10];
                e.copy_from_slice(&b[8..18]);
                let rate = ext80_to_u32(&e).ok_or_else(|| {
                    ParseError::Invalid("the COMM chunk declares an impossible sample rate".into())
                })?;
                let comp = if aifc {
                    [b[18], b[19], b[20], b[21]]
                } else {
                    *b"NONE"
                };
                if channels == 0 {
                    return Err(ParseError::Invalid("the COMM chunk declares 0 channels".into()));
                }
                comm = Some((channels, frames, bits, rate, comp));
            }
            b"SSND" if ssnd.is_none() => {
                if size < 8 {
                    return Err(ParseError::Invalid(format!(
                        "the SSND chunk is {size} bytes long, too short for its 8-byte header"
                    )));
                }
                if avail < 8 {
                    return Err(ParseError::Truncated(
                        "the file ends inside the SSND chunk header".into(),
                    ));
                }
                let mut b = [0u8; 8];
                read_at(r, c.payload, &mut b)?;
                let offset = u64::from(u32_be(&b, 0).unwrap_or(0));
                let start = c.payload + 8 + offset;
                ssnd = Some((start, (size - 8).saturating_sub(offset)));
            }
            _ => {}
        }
        let end = c.payload.saturating_add(size);
        if end > len {
            if &c.id != b"SSND" {
                cut_inside = Some((id, c.payload - 8));
            }
            break;
        }
        pos = end + (size & 1);
        odd_prev = size & 1 == 1;
    }

    let Some((channels, comm_frames, bits, rate, comp)) = comm else {
        return Err(match cut_inside {
            Some((id, at)) => ParseError::Truncated(format!(
                "the file ends inside the '{id}' chunk at offset {at}, before any COMM chunk"
            )),
            None if ssnd.is_some() => {
                ParseError::Invalid("the AIFF file has no COMM chunk before its samples".into())
            }
            None if form_end > len => ParseError::Truncated(format!(
                "the FORM header declares {form_end} bytes but the file ends after {len}, before any COMM chunk"
            )),
            None => ParseError::Invalid("the AIFF file has no COMM chunk".into()),
        });
    };
    let (codec, pkt_bytes, pkt_frames, bits) = aiff_codec(&comp, bits, channels);
    if pkt_frames == 1 && (bits == 0 || bits > 64) {
        return Err(ParseError::Invalid(format!(
            "the COMM chunk declares {bits} bits per sample"
        )));
    }
    let Some((data_offset, declared_bytes)) = ssnd else {
        if comm_frames == 0 {
            // an AIFF with no samples may legally omit SSND
            return Ok(PcmInfo {
                codec,
                sample_rate: rate,
                channels,
                bits_per_sample: bits,
                block_align: u16::try_from(pkt_bytes).unwrap_or(0),
                declared_frames: 0,
                frames: 0,
                duration_s: 0.0,
                truncated: None,
                data_offset: 0,
                data_len: 0,
                notes,
                trailing_bytes,
            });
        }
        return Err(match cut_inside {
            Some((id, at)) => ParseError::Truncated(format!(
                "the file ends inside the '{id}' chunk at offset {at}, before any SSND chunk"
            )),
            None if form_end > len => ParseError::Truncated(format!(
                "the FORM header declares {form_end} bytes but the file ends after {len}, before any SSND chunk"
            )),
            None => ParseError::Invalid("the AIFF file has no SSND chunk".into()),
        });
    };

    let avail = len.saturating_sub(data_offset);
    let present = declared_bytes.min(avail);
    let declared = u64::from(comm_frames);
    let mut truncated = None;
    let frames = if pkt_bytes > 0 {
        let by_ssnd = frames_in(declared_bytes, pkt_bytes, pkt_frames, false);
        if by_ssnd < declared {
            notes.push(format!(
                "the COMM chunk declares {declared} frames but the SSND chunk size only has room for {by_ssnd}"
            ));
        }
        let got = frames_in(present, pkt_bytes, pkt_frames, false).min(declared);
        if got < declared && present < declared_bytes {
            truncated = Some(format!(
                "the SSND chunk declares {declared_bytes} bytes of samples but the file ends after {present} of them"
            ));
        }
        got
    } else {
        if present < declared_bytes {
            truncated = Some(format!(
                "the SSND chunk declares {declared_bytes} bytes of samples but the file ends after {present} of them"
            ));
            notes.push(
                "the frame count of this compressed format is estimated from the fraction of bytes present"
                    .into(),
            );
            (u128::from(declared) * u128::from(present) / u128::from(declared_bytes.max(1))) as u64
        } else {
            declared
        }
    };
    if form_end > len && truncated.is_none() {
        truncated = Some(format!(
            "the FORM header declares {form_end} bytes but the file ends after {len}"
        ));
    } else if form_end < len {
        notes.push(format!(
            "{} bytes of trailing data follow the {form_end} bytes the FORM header declares",
            len - form_end
        ));
    }
    if let (None, Some((id, at))) = (&truncated, cut_inside) {
        truncated = Some(format!(
            "the file ends inside the '{id}' chunk at offset {at}, after the sample data"
        ));
    }
    Ok(PcmInfo {
        codec,
        sample_rate: rate,
        channels,
        bits_per_sample: bits,
        block_align: u16::try_from(pkt_bytes).unwrap_or(0),
        declared_frames: declared,
        frames,
        duration_s: duration(frames, rate),
        truncated,
        data_offset,
        data_len: present,
        notes,
        trailing_bytes,
    })
}

/// (codec, packet bytes, frames per packet, bits per sample) for an AIFC compression type.
fn aiff_codec(comp: &[u8; 4], bits: u16, channels: u16) -> (String, u64, u64, u16) {
    let ch = u64::from(channels);
    let pcm = |le: bool, bits: u16| {
        let bytes = u64::from(bits).div_ceil(8);
        let e = if le { "le" } else { "be" };
        let name = match bytes {
            1 => "pcm_s8".to_string(),
            _ => format!("pcm_s{}{e}", bytes * 8),
        };
        (name, bytes * ch, 1, bits)
    };
    match comp {
        b"NONE" | b"twos" => pcm(false, bits),
        b"sowt" => pcm(true, bits),
        b"in24" => pcm(false, 24),
        b"in32" => pcm(false, 32),
        b"raw " => ("pcm_u8".into(), ch, 1, 8),
        b"fl32" | b"FL32" => ("pcm_f32be".into(), 4 * ch, 1, 32),
        b"fl64" | b"FL64" => ("pcm_f64be".into(), 8 * ch, 1, 64),
        b"alaw" | b"ALAW" => ("pcm_alaw".into(), ch, 1, 8),
        b"ulaw" | b"ULAW" => ("pcm_mulaw".into(), ch, 1, 8),
        b"ima4" => ("adpcm_ima_qt".into(), 34 * ch, 64, 4),
        b"MAC3" => ("mace3".into(), 2 * ch, 6, bits),
        b"MAC6" => ("mace6".into(), ch, 6, bits),
        b"GSM " => ("gsm".into(), 33 * ch, 160, bits),
        b"QDM2" => ("qdm2".into(), 0, 0, bits),
        b"QDMC" => ("qdmc".into(), 0, 0, bits),
        c => (format!("aifc_{}", fourcc(c)), 0, 0, bits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn load(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("audio/{name}"))
    }

    fn wav(b: &[u8]) -> Result<PcmInfo, ParseError> {
        probe_wav(&mut Cursor::new(b), b.len() as u64)
    }

    fn aiff(b: &[u8]) -> Result<PcmInfo, ParseError> {
        probe_aiff(&mut Cursor::new(b), b.len() as u64)
    }

    /// (codec, rate, channels, bits, block_align, declared, frames, data_offset, data_len)
    type Expect = (&'static str, u32, u16, u16, u16, u64, u64, u64, u64);

    fn check(i: &PcmInfo, e: Expect) {
        assert_eq!(i.codec, e.0);
        assert_eq!(i.sample_rate, e.1);
        assert_eq!(i.channels, e.2);
        assert_eq!(i.bits_per_sample, e.3);
        assert_eq!(i.block_align, e.4);
        assert_eq!(i.declared_frames, e.5);
        assert_eq!(i.frames, e.6);
        assert_eq!(i.data_offset, e.7);
        assert_eq!(i.data_len, e.8);
        assert!((i.duration_s - e.6 as f64 / f64::from(e.1)).abs() < 1e-12);
    }

    // Expected values: ffprobe -show_streams (codec_name, sample_rate, channels, bits_per_sample,
    // duration_ts) and `ffmpeg -i f -f s16le -ac 1 - | wc -c` / 2 for the frame counts; offsets
    // from the hex dump (`xxd f | head`).
    #[test]
    fn wav_fixtures() {
        let i = wav(&load("wav_s16le.wav")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 8000, 8000, 44, 16000)); // ffprobe 8000 / 1.0 s
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        assert_eq!(i.duration_s, 1.0);

        // 3 channels: WAVE_FORMAT_EXTENSIBLE with the PCM sub-format GUID; ffprobe 2000 / 0.25 s
        let i = wav(&load("wav_s24le_3ch_ext.wav")).unwrap();
        check(&i, ("pcm_s24le", 8000, 3, 24, 9, 2000, 2000, 68, 18000));
        assert_eq!(i.truncated, None);

        let i = wav(&load("wav_f32le.wav")).unwrap(); // ffprobe 4000 / 0.5 s
        check(&i, ("pcm_f32le", 8000, 1, 32, 4, 4000, 4000, 80, 16000));
        assert_eq!(i.truncated, None);

        let i = wav(&load("wav_rf64.wav")).unwrap(); // RF64 + ds64; ffprobe 4000 / 0.5 s
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 4000, 4000, 80, 8000));
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);

        // IMA ADPCM: fact = 4082 = 2 blocks of 2041; ffprobe duration_ts 4082, decode 4082
        let i = wav(&load("wav_ima_adpcm.wav")).unwrap();
        check(&i, ("adpcm_ima_wav", 8000, 1, 4, 1024, 4082, 4082, 60, 2048));
        assert_eq!(i.truncated, None);

        let i = wav(&load("wav_mulaw.wav")).unwrap(); // ffprobe 4000
        check(&i, ("pcm_mulaw", 8000, 1, 8, 1, 4000, 4000, 58, 4000));
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn ima_adpcm_fact_wrong_by_more_than_a_block() {
        // regression: libsndfile writes a fact chunk of half the frames for stereo IMA ADPCM
        // (757 for 1500 frames); the blocks hold 3 x 505 = 1515, which ffmpeg, sox and libsndfile
        // itself decode (ffprobe's duration_ts 1536 counts 4-bit nibbles of the data size)
        let b = load("wav_ima_adpcm_sndfile.wav");
        let i = wav(&b).unwrap();
        check(&i, ("adpcm_ima_wav", 8000, 2, 4, 512, 1515, 1515, 60, 1536));
        assert_eq!(i.truncated, None);
        assert_eq!(
            i.notes,
            vec![
                "the fact chunk declares 757 frames but the data chunk holds 1515 (3 blocks of 505); the block count is used"
            ]
        );
        // a fact within the last block is trusted: it tells how many of its samples are valid
        let mut n = b.clone();
        n[48..52].copy_from_slice(&1500u32.to_le_bytes());
        let i = wav(&n).unwrap();
        assert_eq!((i.declared_frames, i.frames, i.notes.len()), (1500, 1500, 0));
        // a fact larger than the blocks hold is wrong too
        n[48..52].copy_from_slice(&1516u32.to_le_bytes());
        assert_eq!(wav(&n).unwrap().frames, 1515);
        // cut after 2 of the 3 blocks: 1010 frames present, 1515 declared
        let i = wav(&b[..60 + 1024 + 100]).unwrap();
        assert_eq!((i.declared_frames, i.frames), (1515, 1010));
        assert!(i.truncated.is_some());
        // GSM 6.10 gets the same treatment: 65-byte blocks of 320 samples
        let mut g = load("wav_ima_adpcm.wav");
        g[20..22].copy_from_slice(&0x31u16.to_le_bytes());
        g[32..34].copy_from_slice(&65u16.to_le_bytes());
        g[38..40].copy_from_slice(&320u16.to_le_bytes());
        let i = wav(&g).unwrap();
        // 2048 bytes = 31.5 blocks; fact 4082 is more than a block short of 32 x 320
        assert_eq!((i.codec.as_str(), i.frames), ("gsm_ms", 32 * 320));
    }

    #[test]
    fn wav_truncated_and_streaming() {
        // head -c 8044: ffprobe still says 1.0 s from the header; decode gives 4000 samples
        let i = wav(&load("wav_s16le_trunc.wav")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 8000, 4000, 44, 8000));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the data chunk declares 16000 bytes but the file ends after 8000 of them")
        );

        // RIFF and data sizes 0xFFFFFFFF: runs to the end of the file (ffprobe 8000 too)
        let i = wav(&load("wav_s16le_ffff.wav")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 8000, 8000, 44, 16000));
        assert_eq!(i.truncated, None);
        assert_eq!(i.notes.len(), 2, "{:?}", i.notes);
        assert!(i.notes[0].contains("0xFFFFFFFF"));

        // data size 0 (another streaming convention)
        let mut b = load("wav_s16le.wav");
        b[40..44].copy_from_slice(&0u32.to_le_bytes());
        let i = wav(&b).unwrap();
        assert_eq!((i.frames, i.declared_frames), (8000, 8000));
        assert!(i.notes[0].contains("size is 0"));

        // a genuinely empty data chunk followed by another chunk
        let mut b = load("wav_s16le.wav")[..44].to_vec();
        b[40..44].copy_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
        let sz = (b.len() - 8) as u32;
        b[4..8].copy_from_slice(&sz.to_le_bytes());
        let i = wav(&b).unwrap();
        assert_eq!((i.frames, i.declared_frames, i.truncated.clone()), (0, 0, None));

        // RIFF size larger than the file while the data is complete: a chunk after data is cut
        let mut b = load("wav_s16le.wav");
        b[4..8].copy_from_slice(&(16036u32 + 100).to_le_bytes());
        let i = wav(&b).unwrap();
        assert_eq!(i.frames, 8000);
        assert!(i.truncated.unwrap().contains("RIFF header declares 16144 bytes"));

        // trailing data after the RIFF: fine, noted
        let mut b = load("wav_s16le.wav");
        b.extend_from_slice(&[0u8; 10]);
        let i = wav(&b).unwrap();
        assert_eq!((i.frames, i.truncated.clone()), (8000, None));
        assert!(!i.notes.is_empty());
    }

    #[test]
    fn wav_cut_points() {
        let b = load("wav_s16le.wav");
        // inside the data: frames = whole frames present
        for cut in [44usize, 45, 46, 1000, 16043] {
            let i = wav(&b[..cut]).unwrap();
            assert_eq!(i.frames, (cut as u64 - 44) / 2, "cut {cut}");
            assert_eq!(i.declared_frames, 8000);
            assert!(i.truncated.is_some());
        }
        // inside the headers
        for cut in [1usize, 4, 11, 12, 13, 20, 35, 36, 40, 43] {
            match wav(&b[..cut]) {
                Err(ParseError::Truncated(_)) => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        assert!(matches!(wav(&[]), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn wav_invalid() {
        assert!(matches!(
            wav(b"not a wav file at all"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            wav(b"RIFF\x04\x00\x00\x00AVI "),
            Err(ParseError::Invalid(_))
        ));
        let b = load("wav_s16le.wav");
        // no data chunk
        let mut n = b[..36].to_vec();
        n[4..8].copy_from_slice(&28u32.to_le_bytes());
        let e = wav(&n).unwrap_err();
        assert!(matches!(e, ParseError::Invalid(_)));
        assert_eq!(e.to_string(), "the WAV file has no data chunk");
        // no fmt chunk
        let mut n = b.clone();
        n[12..16].copy_from_slice(b"junk");
        assert!(matches!(wav(&n), Err(ParseError::Invalid(_))));
        // 0 channels / 0 rate / 0 block align
        for (at, v) in [(22usize, 0u8), (24, 0), (32, 0)] {
            let mut n = b.clone();
            n[at] = v;
            n[at + 1] = 0;
            if at == 24 {
                n[26] = 0;
                n[27] = 0;
            }
            assert!(matches!(wav(&n), Err(ParseError::Invalid(_))), "{at}");
        }
        // absurd fmt size
        let mut n = b.clone();
        n[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(matches!(wav(&n), Err(ParseError::Truncated(_))));
        // absurd data size: reported as truncated, frames from what is present
        let mut n = b.clone();
        n[40..44].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
        let i = wav(&n).unwrap();
        assert_eq!(i.frames, 8000);
        assert!(i.truncated.is_some());
        // IMA ADPCM with block align 0 and 1 sample per block: no division by zero
        let mut n = load("wav_ima_adpcm.wav");
        n[32..34].copy_from_slice(&0u16.to_le_bytes());
        n[38..40].copy_from_slice(&1u16.to_le_bytes());
        let i = wav(&n).unwrap();
        assert_eq!((i.declared_frames, i.frames), (4082, 4082)); // from fact
        // unknown format tag
        let mut n = b.clone();
        n[20..22].copy_from_slice(&0x1234u16.to_le_bytes());
        assert_eq!(wav(&n).unwrap().codec, "wav_format_0x1234");
    }

    #[test]
    fn rifx_and_odd_chunks() {
        // build a RIFX (big-endian) file by hand with an odd-sized chunk before data
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFX\x00\x00\x00\x00WAVEfmt \x00\x00\x00\x10");
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&2u16.to_be_bytes());
        b.extend_from_slice(&44100u32.to_be_bytes());
        b.extend_from_slice(&(44100u32 * 4).to_be_bytes());
        b.extend_from_slice(&4u16.to_be_bytes());
        b.extend_from_slice(&16u16.to_be_bytes());
        b.extend_from_slice(b"odd \x00\x00\x00\x03abc\x00");
        b.extend_from_slice(b"data\x00\x00\x01\x90");
        b.extend_from_slice(&[0u8; 400]);
        let sz = (b.len() - 8) as u32;
        b[4..8].copy_from_slice(&sz.to_be_bytes());
        let i = wav(&b).unwrap();
        assert_eq!(i.codec, "pcm_s16be");
        assert_eq!((i.sample_rate, i.channels, i.frames), (44100, 2, 100));
        assert_eq!(i.truncated, None);
        // a writer that forgot the pad byte
        let mut c = b.clone();
        c.remove(b.len() - 400 - 8 - 1);
        let sz = (c.len() - 8) as u32;
        c[4..8].copy_from_slice(&sz.to_be_bytes());
        let i = wav(&c).unwrap();
        assert_eq!((i.frames, i.truncated.clone()), (100, None));
    }

    fn ext80(v: u32) -> [u8; 10] {
        let lz = u64::from(v).leading_zeros();
        let mant = u64::from(v) << lz;
        let exp = (16383 + 63 - lz) as u16;
        let mut b = [0u8; 10];
        b[0..2].copy_from_slice(&exp.to_be_bytes());
        b[2..10].copy_from_slice(&mant.to_be_bytes());
        b
    }

    #[test]
    fn extended_float_rates() {
        for r in [
            1u32,
            8000,
            11025,
            16000,
            22050,
            32000,
            44100,
            48000,
            88200,
            96000,
            176400,
            192000,
            384000,
            4_000_000_000,
        ] {
            assert_eq!(ext80_to_u32(&ext80(r)), Some(r));
        }
        // the bytes ffmpeg writes for 8000 Hz
        assert_eq!(ext80_to_u32(&[0x40, 0x0b, 0xfa, 0, 0, 0, 0, 0, 0, 0]), Some(8000));
        // 44201.5 rounds up, negative / zero / infinity are rejected
        let mut b = ext80(44100);
        b[2..10].copy_from_slice(&((44201u64 << 48) | (1 << 47)).to_be_bytes());
        b[0..2].copy_from_slice(&(16383u16 + 15).to_be_bytes());
        assert_eq!(ext80_to_u32(&b), Some(44202));
        assert_eq!(ext80_to_u32(&[0xc0, 0x0b, 0xfa, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(ext80_to_u32(&[0; 10]), None);
        assert_eq!(ext80_to_u32(&[0x7f, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(ext80_to_u32(&[0x40, 0x3f, 0x80, 0, 0, 0, 0, 0, 0, 0]), None); // 2^64
    }

    #[test]
    fn aiff_fixtures() {
        // ffprobe: pcm_s16be 8000 Hz mono, duration_ts 8000; decode 8000
        let i = aiff(&load("aiff_s16be.aiff")).unwrap();
        check(&i, ("pcm_s16be", 8000, 1, 16, 2, 8000, 8000, 54, 16000));
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        // AIFC 'sowt': ffprobe pcm_s16le, duration_ts 4000
        let i = aiff(&load("aifc_sowt.aiff")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 4000, 4000, 72, 8000));
        assert_eq!(i.truncated, None);

        let b = load("aiff_s16be.aiff");
        let i = aiff(&b[..8054]).unwrap();
        assert_eq!((i.declared_frames, i.frames), (8000, 4000));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the SSND chunk declares 16000 bytes of samples but the file ends after 8000 of them")
        );
        assert!(matches!(aiff(&[]), Err(ParseError::Invalid(_))));
        for cut in [3usize, 12, 20, 37, 38, 40, 50] {
            match aiff(&b[..cut]) {
                Err(ParseError::Truncated(_)) => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        assert!(matches!(aiff(&b[..20]), Err(ParseError::Truncated(_))));
        assert!(matches!(aiff(b"FORM\0\0\0\x04WAVE"), Err(ParseError::Invalid(_))));
        assert!(matches!(
            aiff(&load("wav_s16le.wav")),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(wav(&b), Err(ParseError::Invalid(_))));
    }

    fn sweep(b: &[u8], f: fn(&[u8]) -> Result<PcmInfo, ParseError>) {
        for cut in 0..=b.len() {
            let _ = f(&b[..cut]);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for k in 0..400 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut c = b.to_vec();
            let span = if k % 2 == 0 { 128.min(c.len()) } else { c.len() };
            let at = (seed % span as u64) as usize;
            c[at] = (seed >> 32) as u8;
            let _ = f(&c);
            // also a 0xFF burst (absurd sizes)
            let end = (at + 4).min(c.len());
            c[at..end].fill(0xFF);
            let _ = f(&c);
        }
    }

    #[test]
    fn no_panic_sweep() {
        for name in [
            "wav_s16le.wav",
            "wav_s24le_3ch_ext.wav",
            "wav_f32le.wav",
            "wav_rf64.wav",
            "wav_ima_adpcm.wav",
            "wav_mulaw.wav",
            "wav_s16le_trunc.wav",
            "wav_s16le_ffff.wav",
        ] {
            sweep(&load(name), wav);
        }
        for name in ["aiff_s16be.aiff", "aifc_sowt.aiff"] {
            sweep(&load(name), aiff);
        }
    }
}
