//! One input zip's entries opened by name, for a program that serves or copies single files of
//! a checked dataset (`stimpack preview` streams them to a browser) without extracting anything.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::InputError;
use crate::scan::Origin;
use crate::scan::ziparchive::{self, ReadSeek, ZipEntry, ZipSource};

/// An input zip, opened once, whose entries are read in place by their names.
///
/// The names are those of the archive's directory (as [`crate::Report::input_path`] gives them
/// for a stimulus); entries with unsafe names (`..`, absolute paths), symbolic links, encrypted
/// or unreadably compressed entries are not listed, as the check leaves them out too.
///
/// ```
/// use std::io::Read;
/// use stimpack_core::ZipInput;
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("study.zip");
/// # let mut w = zip::ZipWriter::new(std::fs::File::create(&path)?);
/// # w.start_file("song_1/reference.wav", zip::write::SimpleFileOptions::default())?;
/// # std::io::Write::write_all(&mut w, b"RIFF")?;
/// # w.finish()?;
///
/// let zip = ZipInput::open(&path)?;
/// let mut entry = zip.open_entry("song_1/reference.wav").expect("listed")?;
/// let mut head = Vec::new();
/// entry.read_to_end(&mut head)?;
/// assert_eq!(head, b"RIFF");
/// assert_eq!(entry.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ZipInput {
    source: ZipSource,
    entries: HashMap<String, ZipEntry>,
}

impl ZipInput {
    /// Opens the archive and reads its directory. `Err` when it is not a readable zip.
    pub fn open(path: &Path) -> Result<ZipInput, InputError> {
        let scan = ziparchive::scan(path)?;
        let Some(source) = scan.zip else {
            return Err(InputError::Io {
                path: path.to_path_buf(),
                source: io::Error::other("the archive could not be opened"),
            });
        };
        let entries = scan
            .entries
            .into_iter()
            .filter_map(|e| match e.origin {
                Origin::Zip(entry) => Some((e.path, entry)),
                _ => None,
            })
            .collect();
        Ok(ZipInput { source, entries })
    }

    /// Whether the archive lists an entry of this name.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Opens an entry for reading with seeking; `None` when the archive lists no such name.
    ///
    /// A stored entry is read in place; a deflated one is inflated on demand, with its start
    /// and end kept in memory (about 6 MB), never to disk. Opening reads the entry through
    /// once to check its size and CRC-32: a mismatch is an `InvalidData` error.
    pub fn open_entry(&self, name: &str) -> Option<io::Result<ZipEntryReader>> {
        let entry = self.entries.get(name)?;
        Some(
            self.source
                .open(entry)
                .map(|(inner, len)| ZipEntryReader { inner, len }),
        )
    }
}

/// One entry of a [`ZipInput`], readable and seekable like a file of [`ZipEntryReader::len`] bytes.
pub struct ZipEntryReader {
    inner: Box<dyn ReadSeek + Send + Sync>,
    len: u64,
}

impl ZipEntryReader {
    /// The entry's uncompressed size in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.len
    }
}

impl std::fmt::Debug for ZipEntryReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipEntryReader")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Read for ZipEntryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Seek for ZipEntryReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(
        entries: &[(&str, &[u8], zip::CompressionMethod)],
    ) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (name, data, method) in entries {
            let opts = zip::write::SimpleFileOptions::default().compression_method(*method);
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        (dir, path)
    }

    #[test]
    fn entries_read_and_seek_whether_stored_or_deflated() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (_dir, path) = zip_with(&[
            ("a/stored.wav", &data, zip::CompressionMethod::Stored),
            ("a/deflated.wav", &data, zip::CompressionMethod::Deflated),
        ]);
        let zip = ZipInput::open(&path).unwrap();
        for name in ["a/stored.wav", "a/deflated.wav"] {
            let mut r = zip.open_entry(name).unwrap().unwrap();
            assert_eq!(r.len(), data.len() as u64);
            r.seek(SeekFrom::Start(150_000)).unwrap();
            let mut buf = vec![0u8; 1000];
            r.read_exact(&mut buf).unwrap();
            assert_eq!(buf, data[150_000..151_000], "{name}");
        }
    }

    #[test]
    fn unsafe_and_unknown_names_are_not_served() {
        let (_dir, path) = zip_with(&[("../evil.wav", b"x", zip::CompressionMethod::Stored)]);
        let zip = ZipInput::open(&path).unwrap();
        assert!(!zip.contains("../evil.wav"));
        assert!(zip.open_entry("../evil.wav").is_none());
        assert!(zip.open_entry("evil.wav").is_none());
    }
}
