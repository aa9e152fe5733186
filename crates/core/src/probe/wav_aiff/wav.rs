//! WAV in its RIFF, RIFX, RF64 and BW64 forms: the `fmt ` chunk (with WAVE_FORMAT_EXTENSIBLE),
//! `ds64` sizes for files over 4 GiB, `fact`, and the frames the `data` chunk really holds.

use std::io::{self, Read, Seek};

use crate::probe::bytes::{Endian, duration, fourcc, u16_le, u32_le, u64_le};
use crate::probe::{ParseError, read_at};

use super::{Ends, MAX_CHUNKS, PcmInfo, Walk, frames_in, next_chunk, plausible_id};

#[derive(Clone, Copy, PartialEq)]
enum WavKind {
    Riff,
    Rifx,
    Rf64,
}

struct WavFmt {
    pub(super) tag: u16,
    pub(super) channels: u16,
    pub(super) rate: u32,
    pub(super) byte_rate: u32,
    pub(super) block_align: u16,
    pub(super) bits: u16,
    pub(super) samples_per_block: u16,
    /// unknown WAVE_FORMAT_EXTENSIBLE sub-format GUID, formatted
    pub(super) unknown_guid: Option<String>,
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
    let ends = Ends {
        len,
        declared: riff_end,
        header: "RIFF",
        to_end,
    };
    ends.check(&mut truncated, &mut notes, cut_inside);

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
