//! Inflating a deflated entry without extracting it: a forward stream checked against the
//! declared size and CRC-32 at its end (for packing), and a seekable view that keeps the
//! entry's start, end and a recent window in memory and inflates again for the rest (for
//! probing).

use std::io::{self, Read, Seek, SeekFrom};

use flate2::{Decompress, FlushDecompress, Status};

use super::zipentry::{DamagedEntry, FileSlice, INPUT_CHUNK, Keep, OUTPUT_CHUNK, ZipEntry, seek_target};

/// A raw deflate stream read from the archive, inflated on demand.
pub(super) struct Inflater {
    input: FileSlice,
    buf: Box<[u8]>,
    at: usize,
    filled: usize,
    input_done: bool,
    z: Decompress,
    done: bool,
}

impl Inflater {
    fn new(input: FileSlice) -> Self {
        let buf_len = INPUT_CHUNK.min(usize::try_from(input.len).unwrap_or(usize::MAX).max(1));
        Inflater {
            input,
            buf: vec![0; buf_len].into_boxed_slice(),
            at: 0,
            filled: 0,
            input_done: false,
            z: Decompress::new(false),
            done: false,
        }
    }

    /// Inflates into `out`; 0 only at the end of the stream (or for an empty `out`). A corrupt
    /// stream, or one the compressed data ends inside of, is a [`DamagedEntry`] error.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.done {
            return Ok(0);
        }
        loop {
            if self.at == self.filled && !self.input_done {
                self.filled = crate::probe::read_up_to(&mut self.input, &mut self.buf)?;
                self.at = 0;
                self.input_done = self.filled == 0;
            }
            let (in_before, out_before) = (self.z.total_in(), self.z.total_out());
            let status = self
                .z
                .decompress(&self.buf[self.at..self.filled], out, FlushDecompress::None)
                .map_err(|e| {
                    DamagedEntry::error(
                        format!(
                            "the entry's compressed data is corrupt after {} inflated bytes ({e}). Re-make \
                             the zip from the original files",
                            self.z.total_out()
                        ),
                        None,
                    )
                })?;
            let used = usize::try_from(self.z.total_in() - in_before).unwrap_or(usize::MAX);
            let made = usize::try_from(self.z.total_out() - out_before).unwrap_or(usize::MAX);
            self.at = (self.at + used).min(self.filled);
            if status == Status::StreamEnd {
                self.done = true;
                return Ok(made);
            }
            if made > 0 {
                return Ok(made);
            }
            if used == 0 && (self.input_done || self.at < self.filled) {
                let why = if self.input_done {
                    "the entry's compressed data ends before its deflate stream does (it is cut short)"
                } else {
                    "the entry's deflate stream stops making progress (its compressed data is corrupt)"
                };
                return Err(DamagedEntry::error(
                    format!(
                        "{why}, after {} inflated bytes. Re-make the zip from the original files",
                        self.z.total_out()
                    ),
                    None,
                ));
            }
        }
    }

    /// Inflates and drops `n` bytes; fewer only at the end of the stream.
    fn skip(&mut self, mut n: u64, scratch: &mut Vec<u8>) -> io::Result<u64> {
        scratch.resize(OUTPUT_CHUNK, 0);
        let mut skipped = 0;
        while n > 0 {
            let want = usize::try_from(n).unwrap_or(usize::MAX).min(OUTPUT_CHUNK);
            let got = self.read(&mut scratch[..want])?;
            if got == 0 {
                break;
            }
            n -= got as u64;
            skipped += got as u64;
        }
        Ok(skipped)
    }
}

/// The message for an entry that inflates to another size than it declares.
pub(super) fn size_mismatch(declared: u64, actual: u64) -> io::Error {
    DamagedEntry::error(
        format!(
            "the entry declares {declared} bytes but its data inflates to {actual}: its headers lie \
             about its size. Re-make the zip from the original files"
        ),
        Some(actual),
    )
}

/// The message for an entry whose CRC-32 does not match.
pub(super) fn crc_mismatch(declared: u32, actual: u32, size: u64) -> io::Error {
    DamagedEntry::error(
        format!(
            "the entry's data does not match its CRC-32 (the archive says {declared:08x}, the data \
             gives {actual:08x}): it is damaged. Re-make the zip from the original files"
        ),
        Some(size),
    )
}

/// A deflated entry read once from start to end, checked against its size and CRC-32.
pub(super) struct Checked {
    inflater: Inflater,
    crc: crc32fast::Hasher,
    bytes: u64,
    size: u64,
    crc32: u32,
}

impl Checked {
    /// A deflated entry's data, inflated forward and checked against `entry` at its end.
    pub(super) fn new(data: FileSlice, entry: &ZipEntry) -> Self {
        Checked {
            inflater: Inflater::new(data),
            crc: crc32fast::Hasher::new(),
            bytes: 0,
            size: entry.size,
            crc32: entry.crc32,
        }
    }
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inflater.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if self.bytes != self.size {
                return Err(size_mismatch(self.size, self.bytes));
            }
            let crc = self.crc.clone().finalize();
            if crc != self.crc32 {
                return Err(crc_mismatch(self.crc32, crc, self.bytes));
            }
            return Ok(0);
        }
        self.bytes += n as u64;
        if self.bytes > self.size {
            // Counting on would only tell by how much, at the cost of inflating all of it.
            return Err(DamagedEntry::error(
                format!(
                    "the entry declares {} bytes but its data inflates to more: its headers lie about \
                     its size. Re-make the zip from the original files",
                    self.size
                ),
                None,
            ));
        }
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// The last `cap` bytes of a stream, in a ring.
pub(super) struct TailRing {
    buf: Vec<u8>,
    cap: usize,
    /// Where the next byte goes once the ring is full (its oldest byte).
    pos: usize,
}

impl TailRing {
    fn new(cap: usize) -> Self {
        TailRing {
            buf: Vec::new(),
            cap,
            pos: 0,
        }
    }

    fn push(&mut self, mut b: &[u8]) {
        if self.buf.len() < self.cap {
            let k = b.len().min(self.cap - self.buf.len());
            self.buf.extend_from_slice(&b[..k]);
            b = &b[k..];
        }
        if b.len() >= self.cap {
            self.buf.copy_from_slice(&b[b.len() - self.cap..]);
            self.pos = 0;
            return;
        }
        while !b.is_empty() {
            let k = b.len().min(self.cap - self.pos);
            self.buf[self.pos..self.pos + k].copy_from_slice(&b[..k]);
            self.pos = (self.pos + k) % self.cap;
            b = &b[k..];
        }
    }

    fn into_vec(mut self) -> Vec<u8> {
        self.buf.rotate_left(self.pos);
        self.buf
    }
}

/// A deflated entry as a `Read + Seek` view without a temporary file. It is inflated once when
/// opened (which measures its true size and checks its CRC-32) keeping its first and last bytes;
/// reads in between come from a second inflater that only moves forward: a forward seek
/// inflates and drops the bytes skipped, a seek back before its recent window starts it again
/// from the beginning (counted in [`InflatedEntry::inflater_starts`]).
pub(crate) struct InflatedEntry {
    data: FileSlice,
    /// The size the entry really inflates to.
    pub(crate) size: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    pos: u64,
    middle: Option<Middle>,
    window: usize,
    starts: u64,
}

/// The inflater for the middle of an entry, with its most recent output.
pub(super) struct Middle {
    inflater: Inflater,
    /// Bytes `[start, start + recent.len())` of the entry; the inflater is at the end of them.
    recent: Vec<u8>,
    start: u64,
}

impl InflatedEntry {
    pub(super) fn new(data: FileSlice, entry: &ZipEntry, keep: Keep) -> io::Result<Self> {
        let mut inflater = Inflater::new(data.clone());
        let mut crc = crc32fast::Hasher::new();
        // The head, then a ring of the last bytes after it: together they hold every entry of
        // up to `keep.head + keep.tail` bytes whole, each byte once.
        let mut head = Vec::new();
        let mut tail = TailRing::new(keep.tail);
        let mut scratch = Vec::new();
        let mut size = 0u64;
        loop {
            let n = if head.len() < keep.head {
                // Room for what the entry declares (and one byte more, to see its end): small
                // entries, the most common, are not padded out to a large buffer. A size that
                // lies costs at most `keep.head` of zeroing.
                let old = head.len();
                let left = entry.size.saturating_sub(size).saturating_add(1);
                let room = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .clamp(1, OUTPUT_CHUNK)
                    .min(keep.head - old);
                head.resize(old + room, 0);
                let n = inflater.read(&mut head[old..])?;
                head.truncate(old + n);
                crc.update(&head[old..]);
                n
            } else {
                if scratch.is_empty() {
                    scratch = vec![0u8; OUTPUT_CHUNK];
                }
                let n = inflater.read(&mut scratch)?;
                // Past the declared size only the true size is still of interest.
                if size + n as u64 <= entry.size {
                    crc.update(&scratch[..n]);
                    tail.push(&scratch[..n]);
                }
                n
            };
            if n == 0 {
                break;
            }
            size += n as u64;
        }
        if size != entry.size {
            return Err(size_mismatch(entry.size, size));
        }
        let crc = crc.finalize();
        if crc != entry.crc32 {
            return Err(crc_mismatch(entry.crc32, crc, size));
        }
        Ok(InflatedEntry {
            data,
            size,
            head,
            tail: tail.into_vec(),
            pos: 0,
            middle: None,
            window: keep.window.max(1),
            starts: 0,
        })
    }

    /// How many times an inflater was started for reads in the middle of the entry.
    #[cfg(test)]
    pub(crate) fn inflater_starts(&self) -> u64 {
        self.starts
    }

    /// Moves the middle inflater so that its recent window holds `pos`.
    fn reach(&mut self, pos: u64) -> io::Result<&Middle> {
        if self.middle.as_ref().is_none_or(|m| pos < m.start) {
            self.starts += 1;
            self.middle = Some(Middle {
                inflater: Inflater::new(self.data.clone()),
                recent: Vec::new(),
                start: 0,
            });
        }
        let window = self.window;
        let Some(m) = self.middle.as_mut() else {
            return Err(io::Error::other("no inflater"));
        };
        loop {
            let end = m.start + m.recent.len() as u64;
            if pos < end {
                return Ok(m);
            }
            let ahead = pos - end;
            if ahead > window as u64 {
                let skip = ahead - window as u64;
                let skipped = m.inflater.skip(skip, &mut m.recent)?;
                m.recent.clear();
                m.start = end + skipped;
                if skipped < skip {
                    return Err(short_second_pass());
                }
                continue;
            }
            if m.recent.len() >= 2 * window {
                let drop = m.recent.len() - window;
                m.recent.drain(..drop);
                m.start += drop as u64;
            }
            let old = m.recent.len();
            m.recent.resize(old + OUTPUT_CHUNK, 0);
            let n = m.inflater.read(&mut m.recent[old..])?;
            m.recent.truncate(old + n);
            if n == 0 {
                return Err(short_second_pass());
            }
        }
    }
}

/// The entry inflated to fewer bytes than when it was opened: the archive changed.
pub(super) fn short_second_pass() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the entry inflates to fewer bytes than when it was opened: the archive changed while it was read",
    )
}

impl Read for InflatedEntry {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let tail_start = self.size - self.tail.len() as u64;
        let pos = self.pos;
        let n = if pos < self.head.len() as u64 {
            let from = &self.head[pos as usize..];
            let n = buf.len().min(from.len());
            buf[..n].copy_from_slice(&from[..n]);
            n
        } else if pos >= tail_start {
            let from = &self.tail[(pos - tail_start) as usize..];
            let n = buf.len().min(from.len());
            buf[..n].copy_from_slice(&from[..n]);
            n
        } else {
            let limit = usize::try_from(tail_start - pos).unwrap_or(usize::MAX);
            let m = self.reach(pos)?;
            let from = &m.recent[(pos - m.start) as usize..];
            let n = buf.len().min(from.len()).min(limit);
            buf[..n].copy_from_slice(&from[..n]);
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for InflatedEntry {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = seek_target(to, self.pos, self.size)?;
        Ok(self.pos)
    }
}
