//! PNG and APNG: the IHDR header (checked by its CRC), then a walk over the chunks to IEND,
//! counting animation frames (acTL).

use std::io::{Read, Seek};

use crate::probe::bytes::{Need, fourcc, u32_be};
use crate::sniff::Container;

use super::{ImageInfo, MAX_CHUNKS, Result, Src, check_dims, info, invalid};

pub(super) fn probe_png<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 33];
    src.read_full(0, &mut h, "PNG header (signature and IHDR chunk)")?;
    if &h[12..16] != b"IHDR" || u32_be(&h, 8).need("PNG header")? != 13 {
        return invalid("the first PNG chunk is not a 13-byte IHDR header");
    }
    if crc32fast::hash(&h[12..29]) != u32_be(&h, 29).need("PNG header")? {
        return invalid("the PNG header (IHDR chunk) fails its checksum: the header is corrupt");
    }
    let (w, hh) = (
        u32_be(&h, 16).need("PNG header")?,
        u32_be(&h, 20).need("PNG header")?,
    );
    if w > 0x7fff_ffff || hh > 0x7fff_ffff {
        return invalid(format!(
            "the PNG header gives an impossible size of {w}x{hh} pixels"
        ));
    }
    let mut out = info(Container::Png, check_dims(Container::Png, w.into(), hh.into())?);

    let mut pos: u64 = 33;
    let mut last = String::from("IHDR");
    for _ in 0..MAX_CHUNKS {
        if pos >= len {
            out.truncated = Some(format!(
                "the file ends after the {last} chunk at byte {pos}; IEND is missing"
            ));
            break;
        }
        let mut c = [0u8; 12];
        let n = src.read_at(pos, &mut c)?;
        if n < 8 {
            out.truncated = Some(format!(
                "the file ends after {} bytes, inside the header of the chunk at byte {pos}; IEND is missing",
                pos.saturating_add(n as u64)
            ));
            break;
        }
        let clen = u32_be(&c, 0).need("PNG chunk header")?;
        let ty = &c[4..8];
        if clen > 0x7fff_ffff || !ty.iter().all(u8::is_ascii_alphabetic) {
            return invalid(format!(
                "the PNG chunk header at byte {pos} is corrupt (type {:?}, length {clen})",
                fourcc(ty)
            ));
        }
        let name = fourcc(ty);
        if ty == b"acTL" && n >= 12 && out.frames.is_none() {
            out.frames = Some(u32_be(&c, 8).need("PNG chunk header")?);
        }
        let end = pos.saturating_add(12).saturating_add(u64::from(clen));
        if end > len {
            out.truncated = Some(format!(
                "the file ends inside the {name} chunk at byte {len} (the chunk starts at byte {pos} and declares {clen} bytes of data); IEND is missing"
            ));
            break;
        }
        if ty == b"IEND" {
            out.trailing_bytes = len - end;
            break;
        }
        pos = end;
        last = name;
    }
    Ok(out)
}
