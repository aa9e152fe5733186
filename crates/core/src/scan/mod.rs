//! Reading an input into a flat list of entries: files of a folder tree, entries of a zip
//! archive, or lines of a URL list. No media is opened here; see `probe` for that.

pub mod archive_bytes;
pub mod folder;
mod inflate;
pub mod urls;
pub mod ziparchive;
pub mod zipentry;

use std::path::{Path, PathBuf};

use crate::error::InputError;
use crate::report::{InputKind, Issue};

pub use ziparchive::ZipSource;

/// Where an entry's bytes come from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A file on disk.
    File(PathBuf),
    /// An entry of the input zip archive.
    Zip(ziparchive::ZipEntry),
    /// A line of a URL list.
    Url {
        /// The URL as written.
        url: String,
        /// 1-based line number.
        line: u64,
    },
}

/// One file of the input, before any layout rule is applied.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the input root, `/`-separated, as the input names it.
    pub path: String,
    /// Where to read it.
    pub origin: Origin,
    /// Size in bytes, when known without a download.
    pub bytes: Option<u64>,
}

impl Entry {
    /// The URL-list line this entry came from.
    pub fn line(&self) -> Option<u64> {
        match self.origin {
            Origin::Url { line, .. } => Some(line),
            _ => None,
        }
    }
}

/// A scanned input.
#[derive(Debug)]
pub struct Scan {
    /// What the input is.
    pub kind: InputKind,
    /// The input path.
    pub root: PathBuf,
    /// Files (and URLs), in input order for URL lists and path order otherwise.
    pub entries: Vec<Entry>,
    /// Folders seen (relative paths), so empty source folders can be reported.
    pub folders: Vec<String>,
    /// Problems found while reading the input's structure.
    pub issues: Vec<Issue>,
    /// The open archive, for zip inputs.
    pub zip: Option<ZipSource>,
}

/// Detects the kind of input from the path: a folder, a `.zip`, or a `.txt` URL list.
///
/// Symbolic links are followed; what they end at must be a folder or a regular file. Named
/// pipes, sockets and devices are refused from their metadata alone, before anything opens
/// them (opening a pipe would wait for a writer; a device may never end).
pub fn detect(path: &Path) -> Result<InputKind, InputError> {
    let meta = regular_metadata(path)?;
    if meta.is_dir() {
        return Ok(InputKind::Folder);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("zip") => Ok(InputKind::Zip),
        Some("txt") => Ok(InputKind::UrlList),
        _ => Err(InputError::UnknownKind(path.to_path_buf())),
    }
}

/// The metadata of a path (following symbolic links); a missing path is [`InputError::NotFound`].
pub(crate) fn metadata(path: &Path) -> Result<std::fs::Metadata, InputError> {
    std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound(path.to_path_buf()),
        _ => InputError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })
}

/// The metadata of a folder or regular file (following symbolic links), or why it is neither.
pub(crate) fn regular_metadata(path: &Path) -> Result<std::fs::Metadata, InputError> {
    let meta = metadata(path)?;
    if meta.is_dir() || meta.is_file() {
        return Ok(meta);
    }
    Err(InputError::NotRegular {
        path: path.to_path_buf(),
        what: special_kind(&meta.file_type()),
    })
}

/// What a file that is neither a regular file nor a folder is, in words.
fn special_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = t;
    "a special file"
}

/// Scans an input of any kind; private and loopback URLs are accepted in a URL list when
/// `allow_private_urls` is set (`--online --allow-private`).
pub fn scan_with(path: &Path, allow_private_urls: bool) -> Result<Scan, InputError> {
    match detect(path)? {
        InputKind::Folder => folder::scan(path),
        InputKind::Zip => ziparchive::scan(path),
        InputKind::UrlList => urls::scan_with(path, allow_private_urls),
    }
}
