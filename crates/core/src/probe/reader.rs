//! The buffered reader the probers read through. Parsers seek a lot (a chunk header here, a
//! frame there); `std::io::BufReader` drops its buffer on every seek, so a 16 KB WAV was read
//! five times over with a system call for every seek. This one keeps its buffer across seeks
//! that land inside it and knows its position without asking the file.

use std::io::{self, Read, Seek, SeekFrom};

/// Bytes the first fill reads (the page-cache floor `head -c 4096` reads as much); later fills
/// read the whole buffer.
pub(crate) const FIRST_FILL: usize = 4096;

/// A read buffer that survives seeks: reads inside the bytes already buffered cost no system
/// call, and the file is only seeked when a read needs bytes from elsewhere. The first fill
/// reads only [`FIRST_FILL`] bytes: most headers fit, and a WAV's samples are never copied.
pub(crate) struct SeekBuf<R> {
    inner: R,
    /// Grown to `capacity` only when a fill needs it (a WAV never does).
    buf: Vec<u8>,
    capacity: usize,
    /// File offset of `buf[0]`.
    start: u64,
    /// How many bytes of `buf` hold file data.
    filled: usize,
    /// The position the caller sees.
    pos: u64,
    /// Where `inner` is, when known (after a failed read it is not).
    inner_pos: Option<u64>,
}

impl<R: Read + Seek> SeekBuf<R> {
    /// Wraps a reader positioned at its start.
    pub(crate) fn with_capacity(capacity: usize, inner: R) -> Self {
        SeekBuf {
            inner,
            buf: Vec::new(),
            capacity: capacity.max(1),
            start: 0,
            filled: 0,
            pos: 0,
            inner_pos: Some(0),
        }
    }

    /// Moves `inner` to `self.pos` if it is not there.
    fn sync_inner(&mut self) -> io::Result<()> {
        if self.inner_pos != Some(self.pos) {
            self.inner_pos = None;
            self.inner.seek(SeekFrom::Start(self.pos))?;
            self.inner_pos = Some(self.pos);
        }
        Ok(())
    }

    /// The buffered bytes from `pos` on, if `pos` is inside the buffer.
    fn buffered(&self) -> &[u8] {
        match self.pos.checked_sub(self.start) {
            Some(off) if off < self.filled as u64 => &self.buf[off as usize..self.filled],
            _ => &[],
        }
    }
}

impl<R: Read + Seek> Read for SeekBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.buffered().is_empty() {
            self.sync_inner()?;
            if out.len() >= self.capacity {
                // A read as large as the buffer gains nothing from copying through it.
                let n = self.inner.read(out).inspect_err(|_| self.inner_pos = None)?;
                self.pos += n as u64;
                self.inner_pos = Some(self.pos);
                return Ok(n);
            }
            let fill = if self.inner_pos == Some(0) && self.filled == 0 {
                FIRST_FILL.min(self.capacity)
            } else {
                self.capacity
            };
            if self.buf.len() < fill {
                self.buf.resize(fill, 0);
            }
            self.filled = 0;
            let n = self
                .inner
                .read(&mut self.buf[..fill])
                .inspect_err(|_| self.inner_pos = None)?;
            self.start = self.pos;
            self.filled = n;
            self.inner_pos = Some(self.pos + n as u64);
        }
        let have = self.buffered();
        let n = have.len().min(out.len());
        out[..n].copy_from_slice(&have[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuf<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(_) => {
                self.inner_pos = None;
                let at = self.inner.seek(to)?;
                self.inner_pos = Some(at);
                Some(at)
            }
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )
        })?;
        self.pos = target;
        Ok(target)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// A cursor that counts the reads and seeks that reach it.
    struct Counting {
        inner: Cursor<Vec<u8>>,
        reads: usize,
        seeks: usize,
    }

    impl Read for Counting {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            self.inner.read(buf)
        }
    }

    impl Seek for Counting {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.seeks += 1;
            self.inner.seek(to)
        }
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn counting(n: usize) -> Counting {
        Counting {
            inner: Cursor::new(data(n)),
            reads: 0,
            seeks: 0,
        }
    }

    #[test]
    fn seeks_inside_the_buffer_read_the_file_once() {
        let mut r = SeekBuf::with_capacity(32 << 10, counting(16044));
        let mut b = [0u8; 8];
        // A WAV's header: its chunk headers are in the first fill, its samples are not read.
        for at in [0u64, 12, 20, 36, 4] {
            r.seek(SeekFrom::Start(at)).unwrap();
            r.read_exact(&mut b).unwrap();
            assert_eq!(b[..], data(16044)[at as usize..at as usize + 8]);
        }
        assert_eq!((r.inner.reads, r.inner.seeks, r.filled), (1, 0, FIRST_FILL));
        // The tail (FLAC's last-frame search): one seek and one read of the rest, then every
        // seek inside it is free.
        for at in [8000u64, 16000, 15000, 8100] {
            r.seek(SeekFrom::Start(at)).unwrap();
            r.read_exact(&mut b).unwrap();
            assert_eq!(b[..], data(16044)[at as usize..at as usize + 8]);
        }
        assert_eq!((r.inner.reads, r.inner.seeks), (2, 1));
    }

    #[test]
    fn reads_past_the_buffer_and_seeks_outside_it_give_the_file_bytes() {
        let all = data(10_000);
        let mut r = SeekBuf::with_capacity(100, counting(10_000));
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(got, all);
        for (to, want) in [
            (SeekFrom::Start(5000), 5000),
            (SeekFrom::Current(-4003), 1000),
            (SeekFrom::End(-10), 9990),
            (SeekFrom::Current(5), 9998),
        ] {
            assert_eq!(r.seek(to).unwrap(), want);
            assert_eq!(r.stream_position().unwrap(), want);
            let mut b = [0u8; 3];
            let n = r.read(&mut b).unwrap();
            assert_eq!(b[..n], all[want as usize..want as usize + n]);
            assert!(n > 0);
        }
        let mut big = vec![0u8; 500];
        r.seek(SeekFrom::Start(100)).unwrap();
        r.read_exact(&mut big).unwrap();
        assert_eq!(big[..], all[100..600]);
        r.seek(SeekFrom::Start(20_000)).unwrap();
        assert_eq!(r.read(&mut big).unwrap(), 0, "past the end reads nothing");
        assert!(r.seek(SeekFrom::Current(-30_000)).is_err());
    }
}
