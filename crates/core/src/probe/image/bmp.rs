//! BMP: the file and DIB headers (Windows and OS/2) for size and depth, and whether the pixel
//! array the headers promise is all there.

use std::io::{Read, Seek};

use crate::probe::bytes::{Need, u16_le, u32_le};
use crate::sniff::Container;

use super::{ImageInfo, Result, Src, check_dims, info, invalid, truncated};

pub(super) fn probe_bmp<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 54];
    let n = src.read_at(0, &mut h)?;
    if n < 18 {
        return truncated(format!(
            "the file ends after {n} bytes, inside the BMP file header"
        ));
    }
    let data_off = u64::from(u32_le(&h, 10).need("BMP header")?);
    let dib = u32_le(&h, 14).need("BMP header")?;
    let need = 14 + (dib.min(40) as usize);
    if dib == 12 || (16..=4096).contains(&dib) {
        if n < need {
            return truncated(format!(
                "the file ends after {n} bytes, inside the BMP header ({dib}-byte DIB header)"
            ));
        }
    } else {
        return invalid(format!("unknown BMP header size of {dib} bytes"));
    }
    let (w, hgt, planes, bpp, comp, img_size): (i64, i64, u16, u16, u32, u32) = if dib == 12 {
        (
            u16_le(&h, 18).need("BMP header")?.into(),
            u16_le(&h, 20).need("BMP header")?.into(),
            u16_le(&h, 22).need("BMP header")?,
            u16_le(&h, 24).need("BMP header")?,
            0,
            0,
        )
    } else {
        (
            (u32_le(&h, 18).need("BMP header")? as i32).into(),
            (u32_le(&h, 22).need("BMP header")? as i32).into(),
            u16_le(&h, 26).need("BMP header")?,
            u16_le(&h, 28).need("BMP header")?,
            if dib >= 20 {
                u32_le(&h, 30).need("BMP header")?
            } else {
                0
            },
            if dib >= 24 {
                u32_le(&h, 34).need("BMP header")?
            } else {
                0
            },
        )
    };
    if w < 0 {
        return invalid(format!("the BMP header gives a negative width of {w}"));
    }
    if planes != 1 {
        return invalid(format!(
            "the BMP header gives {planes} colour planes instead of 1"
        ));
    }
    let compressed = matches!(comp, 1 | 2 | 4 | 5 | 12 | 13);
    let bpp_ok = matches!(bpp, 1 | 2 | 4 | 8 | 16 | 24 | 32 | 48 | 64) || (bpp == 0 && compressed);
    if !bpp_ok {
        return invalid(format!("the BMP header gives {bpp} bits per pixel"));
    }
    let d = check_dims(Container::Bmp, w.unsigned_abs(), hgt.unsigned_abs())?;
    let mut out = info(Container::Bmp, d);
    if data_off < 14 + u64::from(dib) {
        return invalid(format!(
            "the BMP pixel data offset ({data_off}) points inside the headers"
        ));
    }
    let data_len = if compressed {
        u64::from(img_size)
    } else {
        // Rows are padded to a multiple of 4 bytes.
        let stride = (u64::from(d.0) * u64::from(bpp)).div_ceil(32) * 4;
        stride.saturating_mul(u64::from(d.1))
    };
    let end = data_off.saturating_add(data_len);
    if data_off > len {
        out.truncated = Some(format!(
            "the pixel data should start at byte {data_off} but the file ends after {len} bytes"
        ));
    } else if end > len {
        out.truncated = Some(format!(
            "the pixel data should end at byte {end} ({data_len} bytes from byte {data_off}) but the file ends after {len} bytes"
        ));
    }
    Ok(out)
}
