//! Ogg pages: the header, the CRC check, reading one page or only its header, and resyncing to
//! the next capture pattern after damage.

use std::io::{self, Read, Seek};

use crate::probe::bytes::{u32_le, u64_le};
use crate::probe::read_at;

use super::RESYNC;

static CRC: [u32; 256] = crate::probe::crc::msb_table(0x04C1_1DB7, 32);

/// Ogg page CRC-32 over a whole page, with the checksum field (bytes 22..26) taken as zero.
pub(super) fn page_crc(page: &[u8]) -> u32 {
    let mut c = 0u32;
    for (i, &x) in page.iter().enumerate() {
        let x = if (22..26).contains(&i) { 0 } else { x };
        c = (c << 8) ^ CRC[usize::from((c >> 24) as u8 ^ x)];
    }
    c
}

/// A parsed page header.
#[derive(Debug, Clone)]
pub(super) struct Page {
    pub(super) flags: u8,
    pub(super) granule: u64,
    pub(super) serial: u32,
    /// lacing values
    pub(super) segs: Vec<u8>,
    /// header + segment table length
    pub(super) header_len: usize,
    /// header + segment table + body
    pub(super) total: usize,
}

impl Page {
    pub(super) fn continued(&self) -> bool {
        self.flags & 1 != 0
    }
    pub(super) fn bos(&self) -> bool {
        self.flags & 2 != 0
    }
    pub(super) fn eos(&self) -> bool {
        self.flags & 4 != 0
    }
    pub(super) fn has_granule(&self) -> bool {
        self.granule != u64::MAX
    }
    /// Packets of the body: (start, end, ends on this page).
    pub(super) fn packets(&self) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        let mut start = self.header_len;
        let mut end = start;
        for &l in &self.segs {
            end += usize::from(l);
            if l < 255 {
                out.push((start, end, true));
                start = end;
            }
        }
        if end > start {
            out.push((start, end, false));
        }
        out
    }
}

pub(super) enum Parsed {
    Page(Page),
    /// an Ogg page header whose page needs `need` bytes, but only `have` are available
    Short {
        need: usize,
        have: usize,
    },
    NotPage,
}

/// Parses a page at the start of `b` (header only; checks the capture pattern and version).
pub(super) fn parse_page(b: &[u8]) -> Parsed {
    if b.len() < 4 {
        return if b"OggS".starts_with(b) && !b.is_empty() {
            Parsed::Short {
                need: 27,
                have: b.len(),
            }
        } else {
            Parsed::NotPage
        };
    }
    if &b[0..4] != b"OggS" {
        return Parsed::NotPage;
    }
    if b.len() < 27 {
        return if b.len() > 4 && b[4] != 0 {
            Parsed::NotPage
        } else {
            Parsed::Short {
                need: 27,
                have: b.len(),
            }
        };
    }
    if b[4] != 0 || b[5] & !7 != 0 {
        return Parsed::NotPage;
    }
    let nseg = usize::from(b[26]);
    let header_len = 27 + nseg;
    let Some(segs) = b.get(27..header_len) else {
        return Parsed::Short {
            need: header_len,
            have: b.len(),
        };
    };
    let body: usize = segs.iter().map(|&x| usize::from(x)).sum();
    let total = header_len + body;
    if b.len() < total {
        return Parsed::Short {
            need: total,
            have: b.len(),
        };
    }
    Parsed::Page(Page {
        flags: b[5],
        granule: u64_le(b, 6).unwrap_or(0),
        serial: u32_le(b, 14).unwrap_or(0),
        segs: segs.to_vec(),
        header_len,
        total,
    })
}

pub(super) fn crc_ok(page_bytes: &[u8]) -> bool {
    page_bytes.len() >= 27 && page_crc(page_bytes) == u32_le(page_bytes, 22).unwrap_or(0)
}

/// Reads the whole page at `pos` (at most 65307 bytes), not past `len`.
pub(super) fn read_page<R: Read + Seek>(r: &mut R, pos: u64, len: u64) -> io::Result<(Parsed, Vec<u8>)> {
    let avail = len.saturating_sub(pos);
    // the header first, then only as much body as it declares
    let mut head = [0u8; 27 + 255];
    let n = read_at(r, pos, &mut head)?;
    let n = n.min(usize::try_from(avail).unwrap_or(usize::MAX));
    let need = match parse_page(&head[..n]) {
        Parsed::Short { need, .. } => need,
        Parsed::Page(p) => p.total,
        Parsed::NotPage => n,
    };
    let want = u64::try_from(need)
        .unwrap_or(u64::MAX)
        .min(avail)
        .min(27 + 255 + 255 * 255);
    let mut buf = vec![0u8; usize::try_from(want).unwrap_or(0)];
    let n = read_at(r, pos, &mut buf)?;
    buf.truncate(n);
    let p = parse_page(&buf);
    if let Parsed::Page(pg) = &p {
        buf.truncate(pg.total);
    }
    Ok((p, buf))
}

/// Reads the page header (27 bytes + segment table) at `pos`, bounded by `end`:
/// `Ok(Some((flags, granule, serial, header_len, total)))`, or the reason there is no page.
pub(super) enum Hdr {
    Page {
        flags: u8,
        granule: u64,
        serial: u32,
        total: u64,
    },
    /// a page header whose page runs past `end` (`need`, `have` bytes)
    Short(usize, usize),
    NotPage,
}

pub(super) fn read_header<R: Read + Seek>(r: &mut R, pos: u64, end: u64) -> io::Result<Hdr> {
    let mut hdr = [0u8; 27 + 255];
    let n = read_at(r, pos, &mut hdr)?;
    let avail = usize::try_from(end.saturating_sub(pos))
        .unwrap_or(usize::MAX)
        .min(n);
    let h = &hdr[..avail];
    if h.len() < 27 || &h[0..4] != b"OggS" {
        if h.len() < 27 && !h.is_empty() && b"OggS".starts_with(&h[..h.len().min(4)]) {
            return Ok(Hdr::Short(27, h.len()));
        }
        return Ok(Hdr::NotPage);
    }
    if h[4] != 0 || h[5] & !7 != 0 {
        return Ok(Hdr::NotPage);
    }
    let nseg = usize::from(h[26]);
    let Some(segs) = h.get(27..27 + nseg) else {
        return Ok(Hdr::Short(27 + nseg, h.len()));
    };
    let total = 27 + nseg + segs.iter().map(|&x| usize::from(x)).sum::<usize>();
    if pos.saturating_add(total as u64) > end {
        let have = usize::try_from(end.saturating_sub(pos)).unwrap_or(usize::MAX);
        return Ok(Hdr::Short(total, have));
    }
    Ok(Hdr::Page {
        flags: h[5],
        granule: u64_le(h, 6).unwrap_or(0),
        serial: u32_le(h, 14).unwrap_or(0),
        total: total as u64,
    })
}

/// Looks for the next page header in `[from, from + RESYNC)` after damaged bytes.
pub(super) fn resync<R: Read + Seek>(r: &mut R, from: u64, len: u64) -> io::Result<Option<u64>> {
    let want = len.saturating_sub(from).min(RESYNC);
    let mut buf = vec![0u8; usize::try_from(want).unwrap_or(0)];
    let n = read_at(r, from, &mut buf)?;
    buf.truncate(n);
    for i in 0..buf.len() {
        if buf[i..].starts_with(b"OggS") {
            let at = from + i as u64;
            if let Hdr::Page { .. } = read_header(r, at, len)? {
                return Ok(Some(at));
            }
        }
    }
    Ok(None)
}
