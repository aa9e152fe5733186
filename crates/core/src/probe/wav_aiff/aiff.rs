//! AIFF and AIFF-C: the `COMM` chunk (with its 80-bit float sample rate and AIFC compression
//! type) and the frames the `SSND` chunk really holds.

use std::io::{Read, Seek};

use crate::probe::bytes::{duration, fourcc, u16_be, u32_be, u64_be};
use crate::probe::{ParseError, read_at};

use super::{Ends, MAX_CHUNKS, PcmInfo, Walk, frames_in, next_chunk};

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
    let ends = Ends {
        len,
        declared: Some(form_end),
        header: "FORM",
        to_end: false,
    };
    ends.check(&mut truncated, &mut notes, cut_inside);
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
}
