//! Where an input archive's bytes live: a file on disk, read with positional reads so that
//! many threads share one handle, or a buffer in memory (archives given as bytes, as the
//! fuzzing harness does).

use std::fs::File;
use std::io;

/// The bytes of an input archive.
#[derive(Debug)]
pub enum ArchiveBytes {
    /// An open file.
    File(File),
    /// The archive itself, in memory.
    Memory(Box<[u8]>),
}

impl ArchiveBytes {
    /// Reads up to `buf.len()` bytes at `offset`; fewer (or none) only at the end.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            ArchiveBytes::File(file) => file_read_at(file, buf, offset),
            ArchiveBytes::Memory(bytes) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
                let n = buf.len().min(bytes.len() - start);
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
        }
    }
}

#[cfg(unix)]
fn file_read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn file_read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_stop_at_the_end() {
        let bytes = ArchiveBytes::Memory(b"abcdef".to_vec().into_boxed_slice());
        let mut buf = [0u8; 4];
        assert_eq!(bytes.read_at(&mut buf, 4).unwrap(), 2);
        assert_eq!(&buf[..2], b"ef");
        assert_eq!(bytes.read_at(&mut buf, 6).unwrap(), 0);
        assert_eq!(bytes.read_at(&mut buf, u64::MAX).unwrap(), 0);
    }
}
