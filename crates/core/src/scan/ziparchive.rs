//! Reading a zip archive in place: its directory, what hand-made archives get wrong, and
//! readers for single entries that never extract anything to the dataset's folder.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use zip::{CompressionMethod, ZipArchive};

use super::archive_bytes::ArchiveBytes;
use super::{Entry, Origin, Scan};
use crate::error::InputError;
use crate::report::{Code, InputKind, Issue, Severity};

/// Entries bigger than this are decompressed into a temporary file rather than memory.
const SPOOL_IN_MEMORY: usize = 16 << 20;

/// General-purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;

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
    /// Index in the archive's directory.
    pub index: usize,
    /// Offset of the entry's local header.
    pub header_start: u64,
    /// Compressed size in bytes.
    pub compressed_size: u64,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Stored or deflated.
    pub method: Method,
    /// CRC-32 of the uncompressed data, from the directory.
    pub crc32: u32,
}

/// An open input archive from which entries are read, from several threads at once.
#[derive(Debug, Clone)]
pub struct ZipSource {
    file: Arc<ArchiveBytes>,
    len: u64,
    archive: ZipArchive<FileSlice>,
}

impl ZipSource {
    /// Opens an entry for reading with seeking. Stored entries are read in place;
    /// deflated ones are decompressed into memory or, when large, a temporary file.
    pub fn open(&self, entry: &ZipEntry) -> io::Result<Box<dyn ReadSeek + Send + Sync>> {
        match entry.method {
            Method::Stored => {
                let start = self.data_start(entry)?;
                if start.checked_add(entry.size).is_none_or(|end| end > self.len) {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the entry's data runs past the end of the archive (the zip is cut short)",
                    ));
                }
                Ok(Box::new(FileSlice::new(self.file.clone(), start, entry.size)))
            }
            Method::Deflated => {
                let mut archive = self.archive.clone();
                let mut reader = archive.by_index(entry.index).map_err(io::Error::other)?;
                let mut spool = tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY);
                io::copy(&mut reader, &mut spool)?;
                spool.seek(SeekFrom::Start(0))?;
                Ok(Box::new(spool))
            }
        }
    }

    /// Offset of an entry's data: after its local header, name and extra field.
    fn data_start(&self, entry: &ZipEntry) -> io::Result<u64> {
        let mut header = [0u8; 30];
        let mut slice = FileSlice::new(self.file.clone(), entry.header_start, 30);
        slice.read_exact(&mut header)?;
        if header[..4] != [0x50, 0x4b, 0x03, 0x04] {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the entry's local header is missing or damaged",
            ));
        }
        let name_len = u64::from(u16::from_le_bytes([header[26], header[27]]));
        let extra_len = u64::from(u16::from_le_bytes([header[28], header[29]]));
        Ok(entry.header_start + 30 + name_len + extra_len)
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
            issues.push(Issue {
                severity: Severity::Error,
                code: Code::NonUtf8Name,
                path: Some(name.clone()),
                line: None,
                message: format!("the entry name {how}. `stimpack pack` writes the names as flagged UTF-8"),
            });
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
            index,
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
    let zip = ZipSource { file, len, archive };
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
