//! One entry of an input zip archive: where its data is, how it is opened for probing or
//! streamed for packing, and the damage found when its data does not match its headers. The
//! inflating readers are in `inflate`.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use super::archive_bytes::ArchiveBytes;
use super::inflate::{Checked, InflatedEntry, crc_mismatch};

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
pub(super) const INPUT_CHUNK: usize = 64 << 10;
/// Uncompressed bytes inflated at a time.
pub(super) const OUTPUT_CHUNK: usize = 64 << 10;

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
    pub(super) fn error(message: String, actual_size: Option<u64>) -> io::Error {
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
    /// The archive `file`, `len` bytes long.
    pub(super) fn new(file: Arc<ArchiveBytes>, len: u64) -> Self {
        ZipSource { file, len }
    }

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
            Method::Deflated => Box::new(Checked::new(data, entry)),
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
    pub(super) fn data_start(&self, entry: &ZipEntry) -> io::Result<u64> {
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

/// `Read + Seek`, as a trait object.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A window on a shared file with its own position, read with positional reads so that
/// many threads can read one file at once.
#[derive(Debug, Clone)]
pub struct FileSlice {
    file: Arc<ArchiveBytes>,
    start: u64,
    pub(super) len: u64,
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
        self.pos = seek_target(to, self.pos, self.len)?;
        Ok(self.pos)
    }
}

/// Where a seek lands in data of `len` bytes read up to `pos`; an error before the start.
pub(super) fn seek_target(to: SeekFrom, pos: u64, len: u64) -> io::Result<u64> {
    let target = match to {
        SeekFrom::Start(n) => Some(n),
        SeekFrom::End(d) => len.checked_add_signed(d),
        SeekFrom::Current(d) => pos.checked_add_signed(d),
    };
    target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the data"))
}
