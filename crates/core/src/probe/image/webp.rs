//! WebP: the VP8, VP8L or VP8X header for the size, then a walk over the RIFF chunks counting
//! animation frames (ANMF).

use std::io::{Read, Seek};

use crate::probe::bytes::{Need, fourcc, u16_le, u24_le, u32_le};
use crate::sniff::Container;

use super::{ImageInfo, MAX_CHUNKS, Result, Src, check_dims, info, invalid, truncated};

pub(super) fn probe_webp<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 30];
    let n = src.read_at(0, &mut h)?;
    if n < 20 {
        return truncated(format!("the file ends after {n} bytes, inside the WebP header"));
    }
    let riff_size = u32_le(&h, 4).need("WebP header")?;
    if riff_size < 12 {
        return invalid(format!(
            "the RIFF header declares an impossible size of {riff_size} bytes"
        ));
    }
    let riff_end = 8 + u64::from(riff_size);
    let first = &h[12..16];
    let data = &h[20..n];
    let need = match first {
        b"VP8 " | b"VP8X" => 10,
        b"VP8L" => 5,
        _ => {
            return invalid(format!(
                "the first WebP chunk is {:?}, not VP8, VP8L or VP8X",
                fourcc(first)
            ));
        }
    };
    if data.len() < need {
        return truncated(format!(
            "the file ends after {n} bytes, inside the WebP {} header",
            fourcc(first).trim_end()
        ));
    }
    let mut animated = false;
    let (w, hgt): (u64, u64) = match first {
        b"VP8 " => {
            if data[0] & 1 != 0 {
                return invalid("the first VP8 frame is not a key frame");
            }
            if data[3..6] != [0x9d, 0x01, 0x2a] {
                return invalid("the VP8 frame header lacks its start code (9D 01 2A)");
            }
            (
                (u16_le(data, 6).need("WebP frame header")? & 0x3fff).into(),
                (u16_le(data, 8).need("WebP frame header")? & 0x3fff).into(),
            )
        }
        b"VP8L" => {
            if data[0] != 0x2f {
                return invalid("the VP8L header lacks its signature byte (0x2F)");
            }
            let bits = u32_le(data, 1).need("WebP frame header")?;
            if bits >> 29 != 0 {
                return invalid("the VP8L header has an unknown version number");
            }
            (u64::from(bits & 0x3fff) + 1, u64::from((bits >> 14) & 0x3fff) + 1)
        }
        _ => {
            animated = data[0] & 0x02 != 0;
            let w = u24_le(data, 4).need("WebP VP8X header")?;
            let hh = u24_le(data, 7).need("WebP VP8X header")?;
            (u64::from(w) + 1, u64::from(hh) + 1)
        }
    };
    let mut out = info(Container::WebP, check_dims(Container::WebP, w, hgt)?);
    if riff_end > len {
        out.truncated = Some(format!(
            "the RIFF header declares {riff_end} bytes but the file ends after {len}"
        ));
    }
    // Walk the top-level chunks (few for still images; one ANMF per frame for animations).
    let limit = riff_end.min(len);
    out.trailing_bytes = len - limit;
    let mut pos: u64 = 12;
    let mut anmf = 0u32;
    for _ in 0..MAX_CHUNKS {
        if pos >= limit {
            break;
        }
        let mut c = [0u8; 8];
        let got = src.read_at(pos, &mut c)?;
        if got < 8 || limit - pos < 8 {
            if out.truncated.is_none() {
                out.truncated = Some(format!(
                    "the file ends after {limit} bytes, inside the header of the chunk at byte {pos}"
                ));
            }
            break;
        }
        let size = u64::from(u32_le(&c, 4).need("WebP chunk header")?);
        let end = pos + 8 + size;
        if end > limit {
            if out.truncated.is_none() {
                out.truncated = Some(format!(
                    "the {} chunk at byte {pos} declares {size} bytes but the RIFF data ends after {limit}",
                    fourcc(&c[0..4]).trim_end()
                ));
            }
            break;
        }
        if &c[0..4] == b"ANMF" {
            anmf = anmf.saturating_add(1);
        }
        pos = end + (size & 1);
    }
    if animated {
        out.frames = Some(anmf);
    }
    Ok(out)
}
