//! The archive file while it is written: bytes are gathered into 4 KiB-aligned blocks that a
//! second thread writes to the disk, with `O_DIRECT` where the filesystem allows it (Linux).
//!
//! Direct writes go from our few reused blocks straight to the disk: the page cache is not
//! filled with a copy of the archive (allocating and then flushing a gigabyte of cache costs
//! more CPU than hashing it, and varies widely from run to run), and the final `fsync` has
//! almost nothing left to do. Where `O_DIRECT` is refused (tmpfs, other systems, or a write
//! the filesystem rejects), the same thread writes through the page cache instead and starts
//! writeback early (see `writeback`). Either way the blocks are aligned and the last one is
//! padded with zeros and cut back with `set_len`, so the two modes share every code path.
//!
//! Earlier bytes can be patched and read back (a streamed entry's header, its hash); those
//! rare operations wait for the writing thread and then touch whole aligned blocks on disk.

use std::fs::File;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::writeback::Writeback;

/// Alignment of every direct write's memory, offset and length: the page size, which is a
/// multiple of the logical block size of ordinary disks (512 or 4096 bytes).
pub const ALIGN: usize = 4096;
/// Bytes per block handed to the writing thread.
pub const BLOCK: usize = 1 << 20;
/// Blocks that exist at once (the one being filled plus those queued or being written).
const BLOCKS: usize = 5;
/// Blocks being read back ahead of the caller.
const READ_AHEAD: usize = BLOCKS - 2;

/// A heap buffer of [`BLOCK`] bytes whose start is aligned to [`ALIGN`], and the file offset
/// its first byte belongs at.
struct Block {
    mem: Vec<u8>,
    start: usize,
    at: u64,
}

impl Block {
    fn new() -> Block {
        let mem = vec![0u8; BLOCK + ALIGN];
        // The heap allocation never moves, however often the Vec itself is moved.
        let start = (ALIGN - mem.as_ptr() as usize % ALIGN) % ALIGN;
        Block { mem, start, at: 0 }
    }

    fn buf(&self) -> &[u8] {
        &self.mem[self.start..self.start + BLOCK]
    }

    fn buf_mut(&mut self) -> &mut [u8] {
        &mut self.mem[self.start..self.start + BLOCK]
    }
}

/// Work for the I/O thread on a block's first `len` bytes (a multiple of [`ALIGN`]), at the
/// file offset `block.at`.
struct Job {
    block: Block,
    len: usize,
    read: bool,
}

/// An archive file written sequentially from offset 0 (see the module docs).
pub struct OutFile {
    file: File,
    /// Bytes appended so far.
    pos: u64,
    /// The block being filled: it holds the bytes from `cur.at` (aligned) to `pos`.
    cur: Block,
    spare: Vec<Block>,
    jobs: Option<SyncSender<Job>>,
    done: Receiver<(Block, io::Result<()>)>,
    in_flight: usize,
    writer: Option<JoinHandle<()>>,
    /// The first error the writing thread reported; every later call returns it again.
    failed: Option<(io::ErrorKind, String)>,
}

impl OutFile {
    /// Starts writing `file` (empty, opened for reading and writing) from offset 0, with
    /// direct I/O if the system and filesystem allow it.
    pub fn new(file: File) -> io::Result<OutFile> {
        OutFile::start(file, true)
    }

    fn start(file: File, try_direct: bool) -> io::Result<OutFile> {
        let direct = try_direct && set_direct(&file, true);
        let theirs = file.try_clone()?;
        let (jobs, queue) = sync_channel::<Job>(BLOCKS);
        let (give_back, done) = sync_channel(BLOCKS);
        let writer = std::thread::Builder::new()
            .name("stimpack-write".into())
            .spawn(move || write_jobs(theirs, direct, queue, give_back))?;
        Ok(OutFile {
            file,
            pos: 0,
            cur: Block::new(),
            spare: Vec::new(),
            jobs: Some(jobs),
            done,
            in_flight: 0,
            writer: Some(writer),
            failed: None,
        })
    }

    /// Appends bytes at the end.
    pub fn append(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        self.check()?;
        while !bytes.is_empty() {
            let used = (self.pos - self.cur.at) as usize;
            let n = bytes.len().min(BLOCK - used);
            self.cur.buf_mut()[used..used + n].copy_from_slice(&bytes[..n]);
            self.pos += n as u64;
            bytes = &bytes[n..];
            if used + n == BLOCK {
                let next_at = self.pos;
                self.submit(BLOCK, next_at)?;
            }
        }
        Ok(())
    }

    /// Moves past `n` bytes of zeros without writing them, leaving a hole (tests of archives
    /// past 4 GiB).
    #[cfg(test)]
    pub fn skip(&mut self, n: u64) -> io::Result<()> {
        let end = self.pos + n;
        let next_at = end - end % ALIGN as u64;
        if next_at < self.cur.at + BLOCK as u64 {
            let zeros = [0u8; ALIGN];
            let mut left = n;
            while left > 0 {
                let k = left.min(ALIGN as u64) as usize;
                self.append(&zeros[..k])?;
                left -= k as u64;
            }
            return Ok(());
        }
        let used = (self.pos - self.cur.at) as usize;
        if used > 0 {
            let padded = used.div_ceil(ALIGN) * ALIGN;
            self.cur.buf_mut()[used..padded].fill(0);
            self.pos = self.cur.at + padded as u64;
            self.submit(padded, self.pos)?;
        }
        // The hole reads as zeros, and so does the start of the new block.
        self.cur.at = next_at;
        self.cur.buf_mut()[..(end - next_at) as usize].fill(0);
        self.pos = end;
        Ok(())
    }

    /// Hands the current block's first `len` bytes to the writing thread and starts a new
    /// block at `next_at` (aligned), carrying over the bytes from there to `pos`.
    fn submit(&mut self, len: usize, next_at: u64) -> io::Result<()> {
        let mut next = self.take_block()?;
        next.at = next_at;
        let carried = (self.pos - next_at) as usize;
        let from = (next_at - self.cur.at) as usize;
        next.buf_mut()[..carried].copy_from_slice(&self.cur.buf()[from..from + carried]);
        let block = std::mem::replace(&mut self.cur, next);
        let Some(jobs) = &self.jobs else {
            return Err(io::Error::other("the archive writer has stopped"));
        };
        if jobs
            .send(Job {
                block,
                len,
                read: false,
            })
            .is_err()
        {
            return Err(self.stopped());
        }
        self.in_flight += 1;
        Ok(())
    }

    /// A free block: a spare one, a new one while fewer than [`BLOCKS`] exist, or the next
    /// one the writing thread is done with.
    fn take_block(&mut self) -> io::Result<Block> {
        if let Some(b) = self.spare.pop() {
            return Ok(b);
        }
        if self.in_flight + 1 < BLOCKS {
            return Ok(Block::new());
        }
        self.reap()?;
        Ok(self.spare.pop().unwrap_or_else(Block::new))
    }

    /// Waits for one block to come back from the writing thread.
    fn reap(&mut self) -> io::Result<()> {
        let (block, result) = self.done.recv().map_err(|_| self.stopped())?;
        self.in_flight -= 1;
        self.spare.push(block);
        if let Err(e) = result {
            self.failed = Some((e.kind(), e.to_string()));
        }
        self.check()
    }

    /// Waits until every submitted block is on its way to the disk (written, for direct I/O).
    fn drain(&mut self) -> io::Result<()> {
        while self.in_flight > 0 {
            self.reap()?;
        }
        self.check()
    }

    fn check(&self) -> io::Result<()> {
        match &self.failed {
            Some((kind, msg)) => Err(io::Error::new(*kind, msg.clone())),
            None => Ok(()),
        }
    }

    fn stopped(&self) -> io::Error {
        self.check()
            .err()
            .unwrap_or_else(|| io::Error::other("the archive writer stopped unexpectedly"))
    }

    /// Overwrites earlier bytes in place (`at + bytes.len()` must not pass the end).
    pub fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        self.check()?;
        if at + bytes.len() as u64 > self.pos {
            return Err(io::Error::other("patch past the end of the archive"));
        }
        let (on_disk, in_block) =
            bytes.split_at(self.cur.at.saturating_sub(at).min(bytes.len() as u64) as usize);
        if !in_block.is_empty() {
            let from = (at + on_disk.len() as u64 - self.cur.at) as usize;
            self.cur.buf_mut()[from..from + in_block.len()].copy_from_slice(in_block);
        }
        if on_disk.is_empty() {
            return Ok(());
        }
        if on_disk.len() > BLOCK - ALIGN {
            return Err(io::Error::other("patch too long"));
        }
        self.drain()?;
        let (first, last) = aligned_span(at, on_disk.len());
        let mut scratch = self.take_block()?;
        let result = (|| {
            let buf = &mut scratch.buf_mut()[..(last - first) as usize];
            read_exact_at(&self.file, buf, first)?;
            let from = (at - first) as usize;
            buf[from..from + on_disk.len()].copy_from_slice(on_disk);
            write_all_at(&self.file, buf, first)
        })();
        self.spare.push(scratch);
        result
    }

    /// Passes the bytes from `from` to `to` (not past the end), as they are now (patches
    /// included), to `f` in order. What is on disk is read back by the I/O thread a few blocks
    /// ahead, so the disk and `f` work at the same time.
    pub fn read_back(&mut self, from: u64, to: u64, mut f: impl FnMut(&[u8])) -> io::Result<()> {
        self.check()?;
        if from > to || to > self.pos {
            return Err(io::Error::other("read past the end of the archive"));
        }
        let disk_end = to.min(self.cur.at);
        if from < disk_end {
            self.drain()?;
            let mut next = from - from % ALIGN as u64;
            let mut queued = 0usize;
            loop {
                while queued < READ_AHEAD && next < disk_end {
                    let mut block = self.take_block()?;
                    let len = (disk_end.div_ceil(ALIGN as u64) * ALIGN as u64 - next).min(BLOCK as u64);
                    block.at = next;
                    let Some(jobs) = &self.jobs else {
                        return Err(io::Error::other("the archive writer has stopped"));
                    };
                    if jobs
                        .send(Job {
                            block,
                            len: len as usize,
                            read: true,
                        })
                        .is_err()
                    {
                        return Err(self.stopped());
                    }
                    self.in_flight += 1;
                    queued += 1;
                    next += len;
                }
                if queued == 0 {
                    break;
                }
                let (block, result) = self.done.recv().map_err(|_| self.stopped())?;
                self.in_flight -= 1;
                queued -= 1;
                if let Err(e) = result {
                    self.spare.push(block);
                    return Err(e);
                }
                let start = from.max(block.at);
                let end = disk_end.min(block.at + BLOCK as u64);
                if start < end {
                    f(&block.buf()[(start - block.at) as usize..(end - block.at) as usize]);
                }
                self.spare.push(block);
            }
        }
        let start = from.max(self.cur.at);
        if start < to {
            f(&self.cur.buf()[(start - self.cur.at) as usize..(to - self.cur.at) as usize]);
        }
        Ok(())
    }

    /// Writes what is left, waits for the writing thread and cuts the padding of the last
    /// block off. Returns the file (not yet synced) and its length.
    pub fn finish(mut self) -> io::Result<(File, u64)> {
        self.check()?;
        let used = (self.pos - self.cur.at) as usize;
        if used > 0 {
            let padded = used.div_ceil(ALIGN) * ALIGN;
            self.cur.buf_mut()[used..padded].fill(0);
            let next_at = self.pos - self.pos % ALIGN as u64;
            self.submit(padded, next_at)?;
        }
        self.drain()?;
        self.stop_writer();
        self.check()?;
        self.file.set_len(self.pos)?;
        set_direct(&self.file, false);
        let file = self.file.try_clone()?;
        Ok((file, self.pos))
    }

    fn stop_writer(&mut self) {
        self.jobs = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        self.stop_writer();
    }
}

/// The aligned range `[first, last)` that covers `len` bytes from `at`.
fn aligned_span(at: u64, len: usize) -> (u64, u64) {
    let a = ALIGN as u64;
    let first = at - at % a;
    let last = (at + len as u64).div_ceil(a) * a;
    (first, last)
}

/// The I/O thread: writes each block at its offset (or reads it back) and hands it back with
/// the result.
/// A direct write the filesystem refuses (`EINVAL`) switches the file to cached writes and is
/// retried, once and for all.
fn write_jobs(
    file: File,
    mut direct: bool,
    queue: Receiver<Job>,
    give_back: SyncSender<(Block, io::Result<()>)>,
) {
    let mut writeback = Writeback::default();
    for Job { mut block, len, read } in queue {
        if read {
            let at = block.at;
            let result = read_exact_at(&file, &mut block.buf_mut()[..len], at);
            if give_back.send((block, result)).is_err() {
                return;
            }
            continue;
        }
        let bytes = &block.buf()[..len];
        let mut result = write_all_at(&file, bytes, block.at);
        if direct && matches!(&result, Err(e) if e.raw_os_error() == Some(EINVAL)) {
            direct = false;
            set_direct(&file, false);
            result = write_all_at(&file, bytes, block.at);
        }
        if result.is_ok() && !direct {
            writeback.advance(&file, block.at + len as u64);
        }
        if give_back.send((block, result)).is_err() {
            return;
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut at: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, buf, at)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
const EINVAL: i32 = libc::EINVAL;
#[cfg(not(target_os = "linux"))]
const EINVAL: i32 = 22;

/// Turns direct I/O on or off for the open file; whether it is now on.
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a file descriptor we own, with integer arguments only.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return false;
        }
        let wanted = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        libc::fcntl(fd, libc::F_SETFL, wanted) == 0 && on
    }
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, _on: bool) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn contents(file: &File) -> Vec<u8> {
        let mut back = Vec::new();
        let mut f = file.try_clone().unwrap();
        std::io::Seek::rewind(&mut f).unwrap();
        f.read_to_end(&mut back).unwrap();
        back
    }

    /// Appends in odd-sized pieces across block boundaries, patches bytes that are on disk, in
    /// the current block and across the two, reads them back, and compares the finished file
    /// with the same operations done on a Vec; in direct mode (where the filesystem of the
    /// temporary folder allows it) and through the page cache.
    #[test]
    fn appends_patches_and_reads_back_like_a_vec() {
        for direct in [true, false] {
            let tmp = tempfile::tempfile().unwrap();
            let mut out = OutFile::start(tmp.try_clone().unwrap(), direct).unwrap();
            let mut model = Vec::new();
            let mut n = 0u32;
            while model.len() < 3 * BLOCK + 12_345 {
                let piece: Vec<u8> = (0..(n * 7919 % 200_000 + 1)).map(|i| (i ^ n) as u8).collect();
                out.append(&piece).unwrap();
                model.extend_from_slice(&piece);
                n += 1;
            }
            let len = model.len() as u64;
            let in_block = len - 10;
            let straddle = (len - len % BLOCK as u64) - 3; // a block boundary written to disk
            for (at, bytes) in [(14u64, &b"CRC!"[..]), (in_block, b"tail"), (straddle, b"across")] {
                out.patch(at, bytes).unwrap();
                model[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
            }
            for (at, n) in [
                (0u64, 100u64),
                (straddle - 5000, 9000),
                (BLOCK as u64 - 1, BLOCK as u64 + 2),
                (5, len - 5),
                (len, 0),
            ] {
                let mut back = Vec::new();
                out.read_back(at, at + n, |b| back.extend_from_slice(b)).unwrap();
                assert!(
                    back == model[at as usize..(at + n) as usize],
                    "direct {direct}, at {at}"
                );
            }
            assert!(out.read_back(len - 1, len + 1, |_| ()).is_err());
            let (file, written) = out.finish().unwrap();
            assert_eq!(written, len);
            assert_eq!(file.metadata().unwrap().len(), len);
            assert!(contents(&tmp) == model, "direct {direct}");
        }
    }

    #[test]
    fn empty_and_tiny_files() {
        let tmp = tempfile::tempfile().unwrap();
        let (_, n) = OutFile::new(tmp.try_clone().unwrap()).unwrap().finish().unwrap();
        assert_eq!((n, contents(&tmp).len()), (0, 0));
        let tmp = tempfile::tempfile().unwrap();
        let mut out = OutFile::new(tmp.try_clone().unwrap()).unwrap();
        out.append(b"PK").unwrap();
        out.patch(1, b"X").unwrap();
        out.finish().unwrap();
        assert_eq!(contents(&tmp), b"PX");
    }

    /// A write error (here: a file opened read-only) comes back from the writing thread as an
    /// error of a later call, not a panic or a silent loss.
    #[test]
    fn write_errors_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        std::fs::write(&path, b"").unwrap();
        let file = File::open(&path).unwrap();
        let mut out = OutFile::new(file).unwrap();
        let mut failed = false;
        for _ in 0..(BLOCKS + 2) {
            if out.append(&vec![1u8; BLOCK]).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || out.finish().is_err());
    }
}
