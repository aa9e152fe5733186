//! GIF: the logical screen descriptor for the size, then a walk over the blocks to the trailer.

use std::io::{Read, Seek};

use crate::probe::bytes::{Need, u16_le};
use crate::sniff::Container;

use super::{ImageInfo, Result, Src, TAIL_WINDOW, check_dims, info};

pub(super) fn probe_gif<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 13];
    src.read_full(0, &mut h, "GIF header (logical screen descriptor)")?;
    let d = check_dims(
        Container::Gif,
        u16_le(&h, 6).need("GIF header")?.into(),
        u16_le(&h, 8).need("GIF header")?.into(),
    )?;
    let mut out = info(Container::Gif, d);
    // The trailer 0x3B follows the 0x00 terminator of the last block (or, in a file without any
    // image, the global colour table); trailing zero padding is tolerated.
    let flags = h[10];
    let gct = if flags & 0x80 != 0 {
        3u64 << ((flags & 7) + 1)
    } else {
        0
    };
    let tail_start = len.saturating_sub(TAIL_WINDOW).max(13);
    let tail = src.tail(13)?;
    let ok = match tail.iter().rposition(|&b| b != 0) {
        Some(i) if tail[i] == 0x3b => (i > 0 && tail[i - 1] == 0) || tail_start + i as u64 == 13 + gct,
        _ => false,
    };
    if !ok {
        // Not at the end: walk the blocks, so that bytes appended after a whole image are not
        // taken for a cut.
        if let Some(end) = gif_end(src, 13 + gct)? {
            out.trailing_bytes = len - end;
            return Ok(out);
        }
    }
    if !ok {
        out.truncated = Some(if len <= 13 {
            "the file ends right after the GIF header: the image data and the trailer are missing".into()
        } else {
            "the GIF trailer byte (0x3B) is missing at the end: the file is probably cut short".into()
        });
    }
    Ok(out)
}

/// Where a GIF's trailer ends, walking its blocks from `pos` (after the global colour table);
/// `None` if the file ends first or a block is not a GIF block.
fn gif_end<R: Read + Seek>(src: &mut Src<'_, R>, mut pos: u64) -> Result<Option<u64>> {
    // Sub-blocks are at most 256 bytes apart: read the file in windows, not a seek per block.
    let mut win = Vec::new();
    let mut win_start = 0u64;
    let mut byte_at = |src: &mut Src<'_, R>, at: u64| -> Result<Option<u8>> {
        if at < win_start || at - win_start >= win.len() as u64 {
            win.resize(64 << 10, 0);
            let n = src.read_at(at, &mut win)?;
            win.truncate(n);
            win_start = at;
        }
        Ok(win.get((at - win_start) as usize).copied())
    };
    loop {
        let Some(b) = byte_at(src, pos)? else {
            return Ok(None);
        };
        // extension: introducer, label, sub-blocks; image: descriptor, local colour table,
        // LZW code size, sub-blocks
        let mut at = match b {
            0x3b => return Ok(Some(pos + 1)),
            0x21 => pos + 2,
            0x2c => {
                let Some(flags) = byte_at(src, pos + 9)? else {
                    return Ok(None);
                };
                let lct = if flags & 0x80 != 0 {
                    3u64 << ((flags & 7) + 1)
                } else {
                    0
                };
                pos + 10 + lct + 1
            }
            _ => return Ok(None),
        };
        loop {
            let Some(n) = byte_at(src, at)? else {
                return Ok(None);
            };
            at += 1 + u64::from(n);
            if n == 0 {
                break;
            }
        }
        pos = at;
    }
}
