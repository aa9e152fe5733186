//! Box reading: a windowed reader over the file and the box headers (32- and 64-bit sizes,
//! boxes that run to the end of the file), checked against their parents.

use std::io::{self, Read, Seek, SeekFrom};

use crate::probe::ParseError;
use crate::probe::bytes::{fourcc, u32_be, u64_be};

use super::WINDOW;

/// Windowed reader over absolute file positions; never reads at or past a caller-given limit.
pub(super) struct Src<'a, R> {
    pub(super) r: &'a mut R,
    pub(super) len: u64,
    pub(super) buf: Vec<u8>,
    pub(super) buf_pos: u64,
}

impl<R: Read + Seek> Src<'_, R> {
    /// Up to `n` (at most `WINDOW`) bytes at `pos`, never at or beyond `limit` (or the file end).
    /// Fewer bytes are returned only when the limit or the end of the data is reached.
    pub(super) fn get(&mut self, pos: u64, n: usize, limit: u64) -> io::Result<&[u8]> {
        let limit = limit.min(self.len);
        if pos >= limit {
            return Ok(&[]);
        }
        let avail = limit - pos;
        let want = (n.min(WINDOW) as u64).min(avail) as usize;
        let buf_end = self.buf_pos.saturating_add(self.buf.len() as u64);
        let hit = pos >= self.buf_pos && pos.saturating_add(want as u64) <= buf_end;
        if !hit {
            let fill = (WINDOW as u64).min(avail) as usize;
            self.r.seek(SeekFrom::Start(pos))?;
            self.buf.clear();
            self.buf.resize(fill, 0);
            let mut got = 0;
            while got < fill {
                match self.r.read(&mut self.buf[got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.buf.truncate(got);
            self.buf_pos = pos;
        }
        let start = usize::try_from(pos - self.buf_pos).unwrap_or(usize::MAX);
        let start = start.min(self.buf.len());
        let end = start.saturating_add(want).min(self.buf.len());
        Ok(&self.buf[start..end])
    }

    /// Exactly `n` bytes at `pos` (below `limit`), else a `Truncated` error.
    pub(super) fn exact(
        &mut self,
        pos: u64,
        n: usize,
        limit: u64,
        what: &str,
    ) -> Result<Vec<u8>, ParseError> {
        let len = self.len;
        let b = self.get(pos, n, limit)?;
        if b.len() < n {
            return Err(ParseError::Truncated(format!(
                "the file ends at byte {len} while reading the {what} at byte {pos}"
            )));
        }
        Ok(b.to_vec())
    }

    /// The first `n` (capped) bytes of a box payload; shorter if the payload is shorter.
    pub(super) fn payload(&mut self, h: &BoxHdr, n: usize) -> Result<Vec<u8>, ParseError> {
        let n = n.min(WINDOW);
        Ok(self.get(h.payload, n, h.end)?.to_vec())
    }

    /// Calls `f` for each of `count` records of `size` bytes starting at `pos` (below `limit`).
    pub(super) fn records(
        &mut self,
        mut pos: u64,
        count: u64,
        size: usize,
        limit: u64,
        mut f: impl FnMut(&[u8]),
    ) -> Result<(), ParseError> {
        if size == 0 {
            return Ok(());
        }
        let per = (WINDOW / size).max(1) as u64;
        let mut left = count;
        while left > 0 {
            let k = left.min(per);
            let want = (k as usize).saturating_mul(size);
            let len = self.len;
            let b = self.get(pos, want, limit)?;
            if b.len() < want {
                return Err(ParseError::Truncated(format!(
                    "the file ends at byte {len} inside a sample table at byte {pos}"
                )));
            }
            for rec in b.chunks_exact(size) {
                f(rec);
            }
            pos = pos.saturating_add(want as u64);
            left -= k;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct BoxHdr {
    pub(super) typ: [u8; 4],
    pub(super) start: u64,
    pub(super) payload: u64,
    pub(super) end: u64,
}

impl BoxHdr {
    pub(super) fn payload_len(&self) -> u64 {
        self.end.saturating_sub(self.payload)
    }
}

fn printable(t: &[u8; 4]) -> bool {
    t.iter().all(|&c| (0x20..=0x7e).contains(&c) || c == 0xa9)
}

/// Reads the top-level box header at `pos`. `None` means "stop walking" (zero padding).
pub(super) fn top_header<R: Read + Seek>(src: &mut Src<R>, pos: u64) -> Result<Option<BoxHdr>, ParseError> {
    let len = src.len;
    let remain = len - pos;
    if remain < 8 {
        return Err(ParseError::Truncated(format!(
            "the file ends inside a box header at byte {pos} ({remain} bytes left)"
        )));
    }
    // A few KiB at most: enough for the header, never a meaningful part of an mdat.
    let b = src.get(pos, 16, pos.saturating_add(4096))?.to_vec();
    let (Some(size32), Some(t)) = (u32_be(&b, 0), b.get(4..8)) else {
        return Err(ParseError::Truncated(format!(
            "the file ends inside a box header at byte {pos}"
        )));
    };
    let typ = [t[0], t[1], t[2], t[3]];
    if size32 == 0 && typ == [0; 4] {
        // Zero padding after the last box (some recorders pre-allocate): nothing more to read.
        return Ok(None);
    }
    if !printable(&typ) {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: unreadable box type at byte {pos} (a preceding box size is probably wrong)"
        )));
    }
    let name = fourcc(&typ);
    let (size, hdr) = match size32 {
        0 => (remain, 8u64),
        1 => {
            if remain < 16 {
                return Err(ParseError::Truncated(format!(
                    "the file ends inside the 64-bit header of the {name} box at byte {pos}"
                )));
            }
            match u64_be(&b, 8) {
                Some(s) => (s, 16),
                None => {
                    return Err(ParseError::Truncated(format!(
                        "the file ends inside the 64-bit header of the {name} box at byte {pos}"
                    )));
                }
            }
        }
        s => (u64::from(s), 8),
    };
    if size < hdr {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: the {name} box at byte {pos} has an impossible size of {size} bytes"
        )));
    }
    if size > remain {
        return Err(ParseError::Truncated(format!(
            "the {name} box at byte {pos} declares {size} bytes but only {remain} remain"
        )));
    }
    Ok(Some(BoxHdr {
        typ,
        start: pos,
        payload: pos + hdr,
        end: pos + size,
    }))
}

/// Reads the next child box of `parent` at `*pos` and advances `*pos` past it.
pub(super) fn next_child<R: Read + Seek>(
    src: &mut Src<R>,
    pos: &mut u64,
    parent: &BoxHdr,
) -> Result<Option<BoxHdr>, ParseError> {
    let p = *pos;
    let end = parent.end;
    if p >= end || end - p < 8 {
        // QuickTime allows a 4-byte zero terminator at the end of some containers.
        return Ok(None);
    }
    let b = src.exact(p, 8, end, "box header")?;
    let size32 = u32_be(&b, 0).unwrap_or(0);
    let typ = [b[4], b[5], b[6], b[7]];
    let pname = fourcc(&parent.typ);
    let name = fourcc(&typ);
    let (size, hdr) = match size32 {
        0 => (end - p, 8u64),
        1 => {
            let b = src.exact(p, 16, end, "box header")?;
            (u64_be(&b, 8).unwrap_or(0), 16)
        }
        s => (u64::from(s), 8),
    };
    if size < hdr {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: the {name} box at byte {p} inside {pname} has an impossible size of {size} bytes"
        )));
    }
    if size > end - p {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: the {name} box at byte {p} declares {size} bytes, overflowing its parent {pname} which ends at byte {end}"
        )));
    }
    *pos = p + size;
    Ok(Some(BoxHdr {
        typ,
        start: p,
        payload: p + hdr,
        end: p + size,
    }))
}
