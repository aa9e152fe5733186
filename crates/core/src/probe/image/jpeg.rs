//! JPEG: a walk over the marker segments to the frame header (SOFn) for the size, then the
//! end-of-image marker searched near the end of the file.

use std::io::{Read, Seek};

use crate::probe::bytes::{Need, u16_be};
use crate::sniff::Container;

use super::{ImageInfo, MAX_CHUNKS, Result, Src, check_dims, info, invalid, truncated};

fn jpeg_marker_name(m: u8) -> String {
    match m {
        0xc4 => "DHT".into(),
        0xcc => "DAC".into(),
        0xc0..=0xcf => format!("SOF{}", m - 0xc0),
        0xda => "SOS".into(),
        0xdb => "DQT".into(),
        0xdc => "DNL".into(),
        0xdd => "DRI".into(),
        0xe0..=0xef => format!("APP{}", m - 0xe0),
        0xfe => "COM".into(),
        _ => format!("0xFF{m:02X}"),
    }
}

fn is_sof(m: u8) -> bool {
    matches!(m, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf)
}

pub(super) fn probe_jpeg<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut pos: u64 = 2; // after SOI
    let mut dims: Option<(u32, u32)> = None;
    // Set when the file ends before the scan data: (description).
    let mut cut: Option<String> = None;
    let mut scan_start: Option<u64> = None;

    'walk: for _ in 0..MAX_CHUNKS {
        let mut b = [0u8; 2];
        let n = src.read_at(pos, &mut b)?;
        if n < 2 {
            cut = Some(format!(
                "the file ends after {} bytes, in the JPEG headers before the image data",
                pos.saturating_add(n as u64)
            ));
            break;
        }
        if b[0] != 0xff {
            return invalid(format!(
                "expected a JPEG marker at byte {pos} but found the byte 0x{:02X}",
                b[0]
            ));
        }
        let mut m = b[1];
        let mut p = pos.saturating_add(2);
        // Fill bytes: any number of 0xFF before the marker code.
        let mut fills = 0u32;
        while m == 0xff {
            fills += 1;
            if fills > 65_536 {
                return invalid(format!("too many 0xFF fill bytes after byte {pos}"));
            }
            let mut one = [0u8; 1];
            if src.read_at(p, &mut one)? == 0 {
                cut = Some(format!(
                    "the file ends after {p} bytes, in the JPEG headers before the image data"
                ));
                break 'walk;
            }
            m = one[0];
            p += 1;
        }
        let mpos = p - 2;
        match m {
            0x00 => {
                return invalid(format!("expected a JPEG marker at byte {mpos} but found 0xFF00"));
            }
            0x01 | 0xd0..=0xd7 => {
                pos = p;
                continue;
            }
            0xd8 => return invalid(format!("a second JPEG start marker (SOI) at byte {mpos}")),
            0xd9 => {
                return invalid(format!(
                    "the JPEG end marker (EOI) at byte {mpos} comes before any image data"
                ));
            }
            _ => {}
        }
        let name = jpeg_marker_name(m);
        let mut lb = [0u8; 8];
        let want = if is_sof(m) && dims.is_none() { 7 } else { 2 };
        let got = src.read_at(p, &mut lb[..want])?;
        if got < 2 {
            cut = Some(format!(
                "the file ends after {} bytes, inside the {name} marker at byte {mpos}",
                p.saturating_add(got as u64)
            ));
            break;
        }
        let seg_len = u16_be(&lb, 0).need("JPEG segment header")?;
        if seg_len < 2 || (want == 7 && seg_len < 8) {
            return invalid(format!(
                "the JPEG {name} segment at byte {mpos} has an impossible length of {seg_len}"
            ));
        }
        let seg_end = p.saturating_add(u64::from(seg_len));
        if want == 7 {
            if got < 7 {
                return truncated(format!(
                    "the file ends after {} bytes, inside the JPEG frame header ({name}) at byte {mpos}",
                    p.saturating_add(got as u64)
                ));
            }
            let hgt = u16_be(&lb, 3).need("JPEG segment header")?;
            let wid = u16_be(&lb, 5).need("JPEG segment header")?;
            if hgt == 0 {
                return invalid(format!(
                    "the JPEG frame header gives a height of 0 (defined later by a DNL marker), which is not supported (width {wid})"
                ));
            }
            dims = Some(check_dims(Container::Jpeg, wid.into(), hgt.into())?);
        }
        if seg_end > len {
            cut = Some(format!(
                "the file ends inside the {name} segment at byte {len} (the segment starts at byte {mpos} and declares {seg_len} bytes)"
            ));
            break;
        }
        if m == 0xda {
            if dims.is_none() {
                return invalid("the JPEG image data (SOS) starts before any frame header (SOF)");
            }
            scan_start = Some(seg_end);
            break;
        }
        pos = seg_end;
    }

    let Some(d) = dims else {
        return match cut {
            Some(c) => truncated(format!(
                "{c}; the frame header (SOF) with the image size was not reached"
            )),
            None => invalid("no JPEG frame header (SOF) found in the first segments"),
        };
    };
    let mut out = info(Container::Jpeg, d);
    if let Some(c) = cut {
        out.truncated = Some(c);
        return Ok(out);
    }
    let Some(start) = scan_start else {
        // Segment cap reached: no claim either way.
        return Ok(out);
    };
    if start >= len {
        out.truncated = Some(format!(
            "the file ends after {len} bytes, right after the scan header: the image data is missing"
        ));
        return Ok(out);
    }
    let tail = src.tail(start)?;
    let has_eoi = tail.windows(2).any(|w| w == [0xff, 0xd9]);
    if !has_eoi {
        // Not at the end: look for it from the image data on (the entropy-coded data never holds
        // FF D9), so that bytes appended after a whole image are not taken for a cut.
        match find_forward(src, start, [0xff, 0xd9])? {
            Some(eoi) => out.trailing_bytes = len - (eoi + 2),
            None => {
                out.truncated = Some("the JPEG end marker is missing: the file is probably cut short".into());
            }
        }
    }
    Ok(out)
}

/// Offset of the first `pat` at or after `from`, reading forward in windows.
fn find_forward<R: Read + Seek>(src: &mut Src<'_, R>, from: u64, pat: [u8; 2]) -> Result<Option<u64>> {
    let mut buf = vec![0u8; 64 << 10];
    let mut pos = from;
    while pos < src.len {
        let n = src.read_at(pos, &mut buf)?;
        if n < 2 {
            return Ok(None);
        }
        if let Some(i) = buf[..n].windows(2).position(|w| w == pat) {
            return Ok(Some(pos + i as u64));
        }
        // The last byte again: the pattern may straddle two windows.
        pos += n as u64 - 1;
    }
    Ok(None)
}
