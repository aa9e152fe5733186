//! Reading a zip archive in place: its directory, what hand-made archives get wrong, and
//! readers for single entries that never extract anything, to the dataset's folder or to a
//! temporary file, and that check each entry's data against the size and CRC-32 it declares.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use flate2::{Decompress, FlushDecompress, Status};
use zip::{CompressionMethod, ZipArchive};

use super::archive_bytes::ArchiveBytes;
use super::{Entry, Origin, Scan};
use crate::error::InputError;
use crate::report::{Code, InputKind, Issue};

/// General-purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;

/// How much of an inflated entry is kept in memory, and where. Nothing is ever written to
/// disk: the bytes outside these buffers are inflated again when a reader asks for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keep {
    /// Bytes kept from the start: every prober's header reads fall in the first megabyte.
    pub head: usize,
    /// Bytes kept from the end: the FLAC and Ogg readers search at most 4 MiB back from it.
    pub tail: usize,
    /// Recently inflated bytes in the middle, so that a reader stepping back a little
    /// (a frame walk's look-behind, an MP4 box read twice) does not restart the inflater.
    pub window: usize,
}

impl Keep {
    /// About 6 MiB per open entry: entries up to 5 MiB are held whole, as before.
    pub(crate) const DEFAULT: Keep = Keep {
        head: 1 << 20,
        tail: (4 << 20) + (64 << 10),
        window: 1 << 20,
    };
}

/// Compressed bytes read from the archive at a time.
const INPUT_CHUNK: usize = 64 << 10;
/// Uncompressed bytes inflated at a time.
const OUTPUT_CHUNK: usize = 64 << 10;

/// How an entry's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Stored as is: readable in place.
    Stored,
    /// Deflated: decompressed on demand.
    Deflated,
}

/// One archive entry that can be read.
#[derive(Debug, Clone)]
pub struct ZipEntry {
    /// Offset of the entry's local header.
    pub header_start: u64,
    /// Compressed size in bytes.
    pub compressed_size: u64,
    /// Uncompressed size in bytes, as the directory declares it.
    pub size: u64,
    /// Stored or deflated.
    pub method: Method,
    /// CRC-32 of the uncompressed data, from the directory.
    pub crc32: u32,
}

/// An entry whose data does not match what its headers declare. It travels inside an
/// [`io::Error`] (kind `InvalidData`) so that readers keep the `Read + Seek` signatures; use
/// [`DamagedEntry::of`] to find it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DamagedEntry {
    /// What does not match, for the user.
    pub message: String,
    /// The size the entry really inflates to, when the compressed data could be read whole.
    pub actual_size: Option<u64>,
}

impl DamagedEntry {
    fn error(message: String, actual_size: Option<u64>) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, DamagedEntry { message, actual_size })
    }

    /// The damage an I/O error reports, if it is one.
    pub fn of(e: &io::Error) -> Option<&DamagedEntry> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<DamagedEntry>())
    }
}

/// An open input archive from which entries are read, from several threads at once.
#[derive(Debug, Clone)]
pub struct ZipSource {
    file: Arc<ArchiveBytes>,
    len: u64,
}

impl ZipSource {
    /// Opens an entry for reading with seeking, with its true size. Stored entries are read in
    /// place, once through first to check their CRC-32. A deflated entry is inflated once,
    /// whole, to check its declared size and CRC-32 while its start and end are kept in memory;
    /// reads elsewhere inflate it again (without a temporary file). A mismatch is a
    /// [`DamagedEntry`] error. Nothing goes to disk.
    pub fn open(&self, entry: &ZipEntry) -> io::Result<(Box<dyn ReadSeek + Send + Sync>, u64)> {
        match entry.method {
            Method::Stored => {
                let data = self.data(entry)?;
                verify_stored(&data, entry)?;
                Ok((Box::new(data), entry.size))
            }
            Method::Deflated => {
                let inflated = self.inflated(entry, Keep::DEFAULT)?;
                let size = inflated.size;
                Ok((Box::new(inflated), size))
            }
        }
    }

    /// A deflated entry as a seekable view, keeping what `keep` says in memory.
    pub(crate) fn inflated(&self, entry: &ZipEntry, keep: Keep) -> io::Result<InflatedEntry> {
        InflatedEntry::new(self.data(entry)?, entry, keep)
    }

    /// An entry's bytes read once from start to end, in constant memory: for copying. At its
    /// end the bytes are checked against the declared size and CRC-32 of a deflated entry; a
    /// mismatch is a [`DamagedEntry`] error.
    pub fn stream(&self, entry: &ZipEntry) -> io::Result<Box<dyn Read + Send>> {
        let data = self.data(entry)?;
        Ok(match entry.method {
            Method::Stored => Box::new(data),
            Method::Deflated => Box::new(Checked {
                inflater: Inflater::new(data),
                crc: crc32fast::Hasher::new(),
                bytes: 0,
                size: entry.size,
                crc32: entry.crc32,
            }),
        })
    }

    /// The entry's data as stored in the archive (compressed, for a deflated entry).
    fn data(&self, entry: &ZipEntry) -> io::Result<FileSlice> {
        let start = self.data_start(entry)?;
        let stored_len = match entry.method {
            Method::Stored if entry.compressed_size != entry.size => {
                return Err(DamagedEntry::error(
                    format!(
                        "the entry is stored uncompressed but declares {} bytes stored for {} bytes of \
                         data: its headers lie about its size. Re-make the zip from the original files",
                        entry.compressed_size, entry.size
                    ),
                    None,
                ));
            }
            Method::Stored => entry.size,
            Method::Deflated => entry.compressed_size,
        };
        if start.checked_add(stored_len).is_none_or(|end| end > self.len) {
            return Err(DamagedEntry::error(
                "the entry's data runs past the end of the archive: the zip is cut short. Copy or \
                 download it again"
                    .to_string(),
                None,
            ));
        }
        Ok(FileSlice::new(self.file.clone(), start, stored_len))
    }

    /// Offset of an entry's data: after its local header, name and extra field.
    fn data_start(&self, entry: &ZipEntry) -> io::Result<u64> {
        let mut header = [0u8; 30];
        let mut slice = FileSlice::new(self.file.clone(), entry.header_start, 30);
        if crate::probe::read_up_to(&mut slice, &mut header)? < 30 || header[..4] != [0x50, 0x4b, 0x03, 0x04]
        {
            return Err(DamagedEntry::error(
                "the entry's local header is missing or damaged. Re-make the zip from the original files"
                    .to_string(),
                None,
            ));
        }
        let name_len = u64::from(u16::from_le_bytes([header[26], header[27]]));
        let extra_len = u64::from(u16::from_le_bytes([header[28], header[29]]));
        Ok(entry.header_start + 30 + name_len + extra_len)
    }
}

/// Reads a stored entry through to check its CRC-32, so that `check` finds what `pack` (and any
/// unzip) would: a mismatch is a [`DamagedEntry`] error.
fn verify_stored(data: &FileSlice, entry: &ZipEntry) -> io::Result<()> {
    let mut r = data.clone();
    let mut buf = vec![0u8; (256 << 10).min(usize::try_from(data.len).unwrap_or(usize::MAX).max(1))];
    let mut crc = crc32fast::Hasher::new();
    loop {
        let n = crate::probe::read_up_to(&mut r, &mut buf)?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
    }
    let crc = crc.finalize();
    if crc != entry.crc32 {
        return Err(crc_mismatch(entry.crc32, crc, entry.size));
    }
    Ok(())
}

/// A raw deflate stream read from the archive, inflated on demand.
struct Inflater {
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
fn size_mismatch(declared: u64, actual: u64) -> io::Error {
    DamagedEntry::error(
        format!(
            "the entry declares {declared} bytes but its data inflates to {actual}: its headers lie \
             about its size. Re-make the zip from the original files"
        ),
        Some(actual),
    )
}

/// The message for an entry whose CRC-32 does not match.
fn crc_mismatch(declared: u32, actual: u32, size: u64) -> io::Error {
    DamagedEntry::error(
        format!(
            "the entry's data does not match its CRC-32 (the archive says {declared:08x}, the data \
             gives {actual:08x}): it is damaged. Re-make the zip from the original files"
        ),
        Some(size),
    )
}

/// A deflated entry read once from start to end, checked against its size and CRC-32.
struct Checked {
    inflater: Inflater,
    crc: crc32fast::Hasher,
    bytes: u64,
    size: u64,
    crc32: u32,
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
struct TailRing {
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
    size: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    pos: u64,
    middle: Option<Middle>,
    window: usize,
    starts: u64,
}

/// The inflater for the middle of an entry, with its most recent output.
struct Middle {
    inflater: Inflater,
    /// Bytes `[start, start + recent.len())` of the entry; the inflater is at the end of them.
    recent: Vec<u8>,
    start: u64,
}

impl InflatedEntry {
    fn new(data: FileSlice, entry: &ZipEntry, keep: Keep) -> io::Result<Self> {
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
fn short_second_pass() -> io::Error {
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
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the data")
        })?;
        Ok(self.pos)
    }
}

/// `Read + Seek`, as a trait object.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A window on a shared file with its own position, read with positional reads so that
/// many threads can read one file at once.
#[derive(Debug, Clone)]
pub struct FileSlice {
    file: Arc<ArchiveBytes>,
    start: u64,
    len: u64,
    pos: u64,
}

impl FileSlice {
    /// A window of `len` bytes from `start`.
    pub fn new(file: Arc<ArchiveBytes>, start: u64, len: u64) -> Self {
        FileSlice {
            file,
            start,
            len,
            pos: 0,
        }
    }
}

impl Read for FileSlice {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.start + self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileSlice {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the data")
        })?;
        self.pos = target;
        Ok(target)
    }
}

/// Reads an archive's directory into entries, with findings for what hand-made zips get wrong.
pub fn scan(path: &Path) -> Result<Scan, InputError> {
    let io_err = |e| InputError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    scan_archive(path, ArchiveBytes::File(file), len)
}

/// Reads an archive held in memory, as [`scan`] reads one on disk; `path` only names it.
pub fn scan_bytes(path: &Path, bytes: Vec<u8>) -> Result<Scan, InputError> {
    let len = bytes.len() as u64;
    scan_archive(path, ArchiveBytes::Memory(bytes.into_boxed_slice()), len)
}

fn scan_archive(path: &Path, file: ArchiveBytes, len: u64) -> Result<Scan, InputError> {
    let file = Arc::new(file);
    let archive = ZipArchive::new(FileSlice::new(file.clone(), 0, len)).map_err(|e| InputError::Zip {
        path: path.to_path_buf(),
        source: e,
    })?;

    let mut entries = Vec::new();
    let mut folders = Vec::new();
    let mut issues = Vec::new();
    for index in 0..archive.len() {
        let Ok(data) = archive.by_index_data(index) else {
            continue;
        };
        let raw = data.name_raw();
        let utf8_flag = data.flags().as_u16() & FLAG_UTF8 != 0;
        let name = match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => data
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()),
        };
        if !utf8_flag && !raw.is_ascii() {
            let how = if std::str::from_utf8(raw).is_ok() {
                "is UTF-8 but the archive does not say so (no UTF-8 flag): tools that follow the ZIP \
                 specification read it as CP437 and show a garbled name"
            } else {
                "is not UTF-8 (it was read as CP437); the platform may show it garbled"
            };
            issues.push(Issue::error(
                Code::NonUtf8Name,
                name.clone(),
                format!("the entry name {how}. `stimpack pack` fixes this: it writes the name as shown, flagged UTF-8"),
            ));
        }
        if let Some(why) = unsafe_name(&name) {
            issues.push(Issue::error(
                Code::UnsafePath,
                name.clone(),
                format!("{why}; the entry is ignored. Re-make the archive from a folder (e.g. with `stimpack pack`)"),
            ));
            continue;
        }
        let name = name.trim_end_matches('/').to_string();
        if data.is_dir() {
            folders.push(name);
            continue;
        }
        if data.is_symlink() {
            issues.push(Issue::error(
                Code::UnreadableEntry,
                name,
                "a symbolic link inside the archive; the platform cannot follow it. Put the file itself in the zip",
            ));
            continue;
        }
        if data.encrypted() {
            issues.push(Issue::error(
                Code::UnreadableEntry,
                name,
                "the entry is encrypted; the platform cannot read it. Make the zip without a password",
            ));
            continue;
        }
        let method = match data.compression() {
            CompressionMethod::Stored => Method::Stored,
            CompressionMethod::Deflated => Method::Deflated,
            other => {
                issues.push(Issue::error(
                    Code::UnreadableEntry,
                    name,
                    format!("compressed with {other:?}, which the platform may not read. Store or deflate it (`stimpack pack` stores media)"),
                ));
                continue;
            }
        };
        let entry = ZipEntry {
            header_start: data.header_start(),
            compressed_size: data.compressed_size(),
            size: data.size(),
            method,
            crc32: data.crc32(),
        };
        entries.push(Entry {
            path: name,
            bytes: Some(entry.size),
            origin: Origin::Zip(entry),
        });
    }
    for name in duplicate_names(&archive, &file, len) {
        issues.push(Issue::error(
            Code::DuplicateEntry,
            name,
            "the archive holds this name more than once; which copy the platform reads is undefined. \
             Re-make the zip (e.g. with `stimpack pack`)",
        ));
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    folders.sort();
    let zip = ZipSource { file, len };
    Ok(Scan {
        kind: InputKind::Zip,
        root: path.to_path_buf(),
        entries,
        folders,
        issues,
        zip: Some(zip),
    })
}

/// Why an entry name is not a safe relative path, if it is not.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        return Some("an absolute path");
    }
    if name.contains('\\') {
        return Some("a name with a backslash (Windows separator)");
    }
    if name.contains('\0') {
        return Some("a name with a NUL character");
    }
    if name.split('/').any(|c| c == "..") {
        return Some("a path with '..' that points outside the archive");
    }
    None
}

/// Names that occur more than once in the central directory. The zip reader keeps only one
/// entry per name, so the raw directory is walked for them.
fn duplicate_names(archive: &ZipArchive<FileSlice>, file: &Arc<ArchiveBytes>, len: u64) -> Vec<String> {
    if !archive.has_duplicate_names() {
        return Vec::new();
    }
    let start = archive.central_directory_start() + archive.offset();
    let mut dir = Vec::new();
    let mut slice = FileSlice::new(file.clone(), start, len.saturating_sub(start));
    if slice.read_to_end(&mut dir).is_err() {
        return Vec::new();
    }
    let mut seen = std::collections::BTreeMap::<Vec<u8>, usize>::new();
    let mut at = 0usize;
    while let Some(h) = dir.get(at..at + 46) {
        if h[..4] != [0x50, 0x4b, 0x01, 0x02] {
            break;
        }
        let field = |i: usize| usize::from(u16::from_le_bytes([h[i], h[i + 1]]));
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let Some(name) = dir.get(at + 46..at + 46 + name_len) else {
            break;
        };
        *seen.entry(name.to_vec()).or_default() += 1;
        at += 46 + name_len + extra_len + comment_len;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, _)| String::from_utf8_lossy(&name).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor, Write};

    use super::*;
    use crate::test_fixtures::fixture;

    /// A zip of deflated entries, as bytes.
    fn deflated_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Rewrites the uncompressed size (and CRC-32, when given) of every entry in both headers.
    fn patch(zip: &mut [u8], size: u32, crc: Option<u32>) {
        let eocd = (0..=zip.len() - 22)
            .rev()
            .find(|&i| zip[i..i + 4] == [0x50, 0x4b, 5, 6])
            .unwrap();
        let n = u16::from_le_bytes([zip[eocd + 10], zip[eocd + 11]]);
        let mut at = u32::from_le_bytes(zip[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        for _ in 0..n {
            let field = |i: usize| usize::from(u16::from_le_bytes([zip[at + i], zip[at + i + 1]]));
            let local = u32::from_le_bytes(zip[at + 42..at + 46].try_into().unwrap()) as usize;
            let next = at + 46 + field(28) + field(30) + field(32);
            for (base, size_at, crc_at) in [(at, 24, 16), (local, 22, 14)] {
                zip[base + size_at..base + size_at + 4].copy_from_slice(&size.to_le_bytes());
                if let Some(crc) = crc {
                    zip[base + crc_at..base + crc_at + 4].copy_from_slice(&crc.to_le_bytes());
                }
            }
            at = next;
        }
    }

    fn open_zip(bytes: &[u8]) -> (tempfile::TempDir, Scan) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.zip");
        std::fs::write(&path, bytes).unwrap();
        let scan = scan(&path).unwrap();
        (dir, scan)
    }

    fn zip_entry(scan: &Scan, i: usize) -> &ZipEntry {
        match &scan.entries[i].origin {
            super::super::Origin::Zip(z) => z,
            other => panic!("not a zip entry: {other:?}"),
        }
    }

    fn damage(e: io::Error) -> DamagedEntry {
        DamagedEntry::of(&e)
            .unwrap_or_else(|| panic!("not a damaged entry: {e}"))
            .clone()
    }

    fn stream_all(source: &ZipSource, entry: &ZipEntry) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        source.stream(entry)?.read_to_end(&mut out)?;
        Ok(out)
    }

    const TINY: Keep = Keep {
        head: 300,
        tail: 300,
        window: 1000,
    };

    /// Pseudo-random bytes that deflate a little.
    fn noise(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491u32;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 61) as u8
            })
            .collect()
    }

    #[test]
    fn inflated_view_serves_any_read_and_seek() {
        let data = noise(50_000);
        let (_d, scan) = open_zip(&deflated_zip(&[("a.bin", &data)]));
        let source = scan.zip.as_ref().unwrap();
        let mut view = source.inflated(zip_entry(&scan, 0), TINY).unwrap();
        let mut x = 7u64;
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = (x >> 33) % 50_100;
            let len = ((x >> 13) % 3000) as usize;
            view.seek(SeekFrom::Start(pos)).unwrap();
            let mut buf = vec![0; len];
            let n = crate::probe::read_up_to(&mut view, &mut buf).unwrap();
            let want = &data[(pos as usize).min(data.len())..(pos as usize + len).min(data.len())];
            assert_eq!(&buf[..n], want, "at {pos}+{len}");
        }
        let mut all = Vec::new();
        view.seek(SeekFrom::Start(0)).unwrap();
        view.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
    }

    #[test]
    fn reading_forward_inflates_once() {
        let data = noise(200_000);
        let (_d, scan) = open_zip(&deflated_zip(&[("a.bin", &data)]));
        let source = scan.zip.as_ref().unwrap();
        let mut view = source.inflated(zip_entry(&scan, 0), TINY).unwrap();
        // A frame walk: short reads, forward skips, short steps back.
        let mut pos = 0u64;
        let mut buf = [0u8; 40];
        while pos < 199_000 {
            view.seek(SeekFrom::Start(pos)).unwrap();
            view.read_exact(&mut buf).unwrap();
            assert_eq!(&buf[..], &data[pos as usize..pos as usize + 40]);
            view.seek(SeekFrom::Start(pos.saturating_sub(500))).unwrap();
            view.read_exact(&mut buf[..4]).unwrap();
            pos += 417;
        }
        assert_eq!(view.inflater_starts(), 1);
    }

    /// Defect: a deflated entry whose headers declare 0xFFFFFFF0 bytes passed the check.
    #[test]
    fn zip_entry_size_that_lies_is_damage() {
        let data = fixture("audio/wav_s16le.wav");
        for lie in [0xFFFF_FFF0u32, data.len() as u32 - 1, 10] {
            let mut zip = deflated_zip(&[("s/a.wav", &data)]);
            patch(&mut zip, lie, None);
            let (_d, scan) = open_zip(&zip);
            let (source, entry) = (scan.zip.as_ref().unwrap(), zip_entry(&scan, 0));
            assert_eq!(entry.size, u64::from(lie));
            let d = damage(source.open(entry).err().unwrap());
            assert_eq!(d.actual_size, Some(data.len() as u64), "{lie}");
            assert!(
                d.message.contains(&format!("declares {lie} bytes")),
                "{}",
                d.message
            );
            assert!(DamagedEntry::of(&stream_all(source, entry).unwrap_err()).is_some());
        }
    }

    #[test]
    fn zip_entry_crc_mismatch_is_damage() {
        let data = fixture("audio/wav_s16le.wav");
        let mut zip = deflated_zip(&[("s/a.wav", &data)]);
        patch(&mut zip, data.len() as u32, Some(0x1234_5678));
        let (_d, scan) = open_zip(&zip);
        let (source, entry) = (scan.zip.as_ref().unwrap(), zip_entry(&scan, 0));
        let d = damage(source.open(entry).err().unwrap());
        assert!(d.message.contains("CRC-32"), "{}", d.message);
        assert_eq!(d.actual_size, Some(data.len() as u64));
        assert!(
            damage(stream_all(source, entry).unwrap_err())
                .message
                .contains("CRC-32")
        );
    }

    #[test]
    fn deflate_stream_cut_short_or_corrupt_is_damage() {
        let data = noise(100_000);
        let zip = deflated_zip(&[("a.bin", &data)]);
        let (_d, scan) = open_zip(&zip);
        let entry = zip_entry(&scan, 0).clone();
        let start = scan.zip.as_ref().unwrap().data_start(&entry).unwrap() as usize;
        // The compressed data ends early: the directory says it is shorter than it is.
        let mut cut = zip.clone();
        let csize = entry.compressed_size as u32 / 2;
        let eocd = (0..=cut.len() - 22)
            .rev()
            .find(|&i| cut[i..i + 4] == [0x50, 0x4b, 5, 6])
            .unwrap();
        let cd = u32::from_le_bytes(cut[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        cut[cd + 20..cd + 24].copy_from_slice(&csize.to_le_bytes());
        let (_d2, scan2) = open_zip(&cut);
        let source2 = scan2.zip.as_ref().unwrap();
        let d = damage(source2.open(zip_entry(&scan2, 0)).err().unwrap());
        assert!(d.message.contains("cut short"), "{}", d.message);
        assert!(DamagedEntry::of(&stream_all(source2, zip_entry(&scan2, 0)).unwrap_err()).is_some());
        // Garbage in the middle of the stream.
        let mut bad = zip.clone();
        for b in &mut bad[start + 100..start + 400] {
            *b = 0xFF;
        }
        let (_d3, scan3) = open_zip(&bad);
        let source3 = scan3.zip.as_ref().unwrap();
        assert!(DamagedEntry::of(&source3.open(zip_entry(&scan3, 0)).err().unwrap()).is_some());
        assert!(DamagedEntry::of(&stream_all(source3, zip_entry(&scan3, 0)).unwrap_err()).is_some());
    }

    #[test]
    fn stream_matches_the_data() {
        let data = noise(300_000);
        let (_d, scan) = open_zip(&deflated_zip(&[("a.bin", &data)]));
        assert_eq!(
            stream_all(scan.zip.as_ref().unwrap(), zip_entry(&scan, 0)).unwrap(),
            data
        );
    }

    /// Every fixture probes the same from a deflated entry as from its bytes, through a view
    /// that keeps almost nothing in memory, with few inflater starts.
    #[test]
    fn fixtures_probe_the_same_through_an_inflated_view() {
        let mut entries = Vec::new();
        for dir in ["audio", "image", "mp3", "video"] {
            for f in std::fs::read_dir(crate::test_fixtures::fixture_path(dir)).unwrap() {
                let name = f.unwrap().file_name().into_string().unwrap();
                if !name.ends_with(".sh") {
                    entries.push((format!("{dir}/{name}"), fixture(&format!("{dir}/{name}"))));
                }
            }
        }
        entries.sort();
        let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let (_d, scan) = open_zip(&deflated_zip(&refs));
        let source = scan.zip.as_ref().unwrap();
        for (i, (name, data)) in entries.iter().enumerate() {
            let ext = name.rsplit('.').next().unwrap();
            let want = crate::probe::probe(&mut Cursor::new(data), data.len() as u64, ext);
            let mut view = source.inflated(zip_entry(&scan, i), TINY).unwrap();
            let got = crate::probe::probe(&mut view, data.len() as u64, ext);
            assert_eq!(got, want, "{name}");
            assert!(
                view.inflater_starts() <= 6,
                "{name}: {} inflater starts",
                view.inflater_starts()
            );
        }
    }

    /// Big entries with the default memory: the tail readers and the frame walk each inflate the
    /// middle at most twice, however big the file.
    #[test]
    fn big_entries_are_not_read_quadratically() {
        let mp3 = fixture("mp3/vbr_noxing.mp3").repeat(800);
        let ogg = fixture("audio/vorbis.ogg").repeat(2500);
        let mut wav = fixture("audio/wav_s16le.wav");
        let pcm = noise(8 << 20);
        wav.truncate(44);
        wav[40..44].copy_from_slice(&(pcm.len() as u32).to_le_bytes());
        wav[4..8].copy_from_slice(&(pcm.len() as u32 + 36).to_le_bytes());
        wav.extend_from_slice(&pcm);
        // FLAC: a 10 MB PADDING block between the metadata and the frames.
        let flac = {
            let f = fixture("audio/flac_s16.flac");
            let mut at = 4;
            loop {
                let last = f[at] & 0x80 != 0;
                let len = u32::from_be_bytes([0, f[at + 1], f[at + 2], f[at + 3]]) as usize;
                if last {
                    break;
                }
                at += 4 + len;
            }
            let len = u32::from_be_bytes([0, f[at + 1], f[at + 2], f[at + 3]]) as usize;
            let mut out = f[..at + 4 + len].to_vec();
            out[at] &= 0x7F;
            let pad = 10 << 20;
            out.extend_from_slice(&[0x81, (pad >> 16) as u8, (pad >> 8) as u8, pad as u8]);
            out.extend(std::iter::repeat_n(0u8, pad));
            out.extend_from_slice(&f[at + 4 + len..]);
            out
        };
        // MP4 with `moov` at the end: a 10 MB `free` box before it puts `mdat` in the middle.
        let mp4 = {
            let f = fixture("video/h264_aac.mp4");
            let moov = f.windows(4).position(|w| w == b"moov").unwrap() - 4;
            let mut out = f[..moov].to_vec();
            let pad = 10u32 << 20;
            out.extend_from_slice(&pad.to_be_bytes());
            out.extend_from_slice(b"free");
            out.extend(std::iter::repeat_n(0u8, pad as usize - 8));
            out.extend_from_slice(&f[moov..]);
            out
        };
        let files: Vec<(&str, &[u8])> = vec![
            ("a.mp3", &mp3),
            ("b.ogg", &ogg),
            ("c.wav", &wav),
            ("d.flac", &flac),
            ("e.mp4", &mp4),
        ];
        let (_d, scan) = open_zip(&deflated_zip(&files));
        let source = scan.zip.as_ref().unwrap();
        for (i, (name, data)) in files.iter().enumerate() {
            let ext = name.rsplit('.').next().unwrap();
            let want = crate::probe::probe(&mut Cursor::new(data), data.len() as u64, ext);
            let view = source.inflated(zip_entry(&scan, i), Keep::DEFAULT).unwrap();
            let mut r = BufReader::with_capacity(32 << 10, view);
            let got = crate::probe::probe(&mut r, data.len() as u64, ext);
            assert_eq!(got, want, "{name}");
            assert!(got.reading.is_some(), "{name}: {got:?}");
            let starts = r.get_ref().inflater_starts();
            assert!(starts <= 2, "{name}: {starts} inflater starts");
        }
    }

    /// Damage anywhere in a zip of deflated media (one byte at a time, and the end cut off)
    /// gives findings or errors, never a panic, through the view and the stream alike.
    #[test]
    fn damaged_zips_never_panic() {
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("a.mp3", fixture("mp3/vbr_noxing.mp3")),
            ("b.flac", fixture("audio/flac_s16.flac")),
            ("c.mp4", fixture("video/h264_aac.mp4")),
        ];
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        let zip = deflated_zip(&refs);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.zip");
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut bad = zip.clone();
            if round % 10 == 9 {
                bad.truncate((x % zip.len() as u64) as usize);
            } else {
                let at = (x % zip.len() as u64) as usize;
                bad[at] ^= 1 << (x >> 60 & 7);
            }
            std::fs::write(&path, &bad).unwrap();
            let Ok(scan) = scan(&path) else { continue };
            let Some(source) = scan.zip.as_ref() else { continue };
            for e in &scan.entries {
                let super::super::Origin::Zip(z) = &e.origin else {
                    continue;
                };
                let ext = e.path.rsplit('.').next().unwrap_or("");
                if let Ok((mut r, len)) = source.open(z) {
                    let _ = crate::probe::probe(&mut r, len, ext);
                }
                if let Ok(view) = source.inflated(z, TINY) {
                    let mut r = BufReader::new(view);
                    let _ = crate::probe::probe(&mut r, z.size, ext);
                }
                if let Ok(mut r) = source.stream(z) {
                    let _ = io::copy(&mut r, &mut io::sink());
                }
            }
        }
    }
}
