//! A plain ZIP writer made for reproducible datasets: every byte is decided here.
//!
//! Local headers carry the real CRC-32 and sizes (no data descriptors, which some streaming
//! readers refuse for stored entries): small entries are written whole once hashed, large ones
//! are streamed and their header's CRC (and compressed size) patched in place afterwards.
//! ZIP64 fields appear only when a size, an offset or the entry count needs them.
//!
//! The writer also computes the archive's SHA-256 as it goes, so the finished archive is never
//! read again: bytes are hashed as they are written, except a streamed entry's, whose header is
//! only final once its CRC is patched in; that entry is read back from the file (a few blocks
//! ahead, see `outfile`) and hashed when it ends.

use std::fs::File;
use std::io;

use flate2::{Compress, Compression, FlushCompress, Status};
use sha2::{Digest, Sha256};

use super::outfile::OutFile;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
/// General-purpose flag bit 11: names are UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// Version made by: Unix (3) in the high byte, so readers apply the permissions.
const MADE_BY_UNIX: u16 = 3 << 8;
/// `-rw-r--r--` regular file, in the high 16 bits of the external attributes.
const EXTERNAL_ATTR_0644: u32 = 0o100_644 << 16;
const U32_MAX: u64 = 0xFFFF_FFFF;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;
/// Buffer for compressed output.
const DEFLATE_OUT: usize = 256 << 10;
/// Buffer for reading a streamed entry back, and for the central directory.
const READ_BACK: usize = 1 << 20;

/// A DOS date and time, as stored in headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DosTime {
    /// Date: `(year - 1980) << 9 | month << 5 | day`.
    pub date: u16,
    /// Time: `hour << 11 | minute << 5 | second / 2`.
    pub time: u16,
}

impl DosTime {
    /// 1980-01-01 00:00:00, the earliest DOS time.
    pub const EPOCH: DosTime = DosTime {
        date: (1 << 5) | 1,
        time: 0,
    };

    /// The UTC time of a Unix timestamp, clamped to what DOS times can hold (1980–2107).
    pub fn from_unix(secs: i64) -> DosTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if y < 1980 {
            return DosTime::EPOCH;
        }
        if y > 2107 {
            return DosTime {
                date: (127 << 9) | (12 << 5) | 31,
                time: (23 << 11) | (59 << 5) | 29,
            };
        }
        let (h, min, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
        DosTime {
            date: (((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16,
            time: ((h as u16) << 11) | ((min as u16) << 5) | (s / 2) as u16,
        }
    }
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What the central directory needs to know about one written entry.
struct Written {
    name: Vec<u8>,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

/// The entry being streamed.
struct Open {
    offset: u64,
    name_len: u64,
    method: u16,
    zip64_local: bool,
    size: u64,
    data_start: u64,
}

/// Writes a ZIP archive to a file, sequentially, with in-place header patches.
pub struct ZipWriter {
    file: OutFile,
    pos: u64,
    time: DosTime,
    entries: Vec<Written>,
    open: Option<Open>,
    deflate: Compress,
    out: Vec<u8>,
    scratch: Vec<u8>,
    /// SHA-256 of the archive's bytes before `hashed`.
    sha: Sha256,
    /// Equal to `pos` except while an entry is streamed (its bytes are hashed at its end).
    hashed: u64,
    /// `false` once the file has holes we did not write (tests): the hash is then skipped.
    hashing: bool,
}

/// A finished archive.
#[derive(Debug)]
pub struct Finished {
    /// The archive file (not yet synced).
    pub file: File,
    /// Its length.
    pub len: u64,
    /// The SHA-256 of all its bytes.
    pub sha256: [u8; 32],
}

/// Whether an entry of this (uncompressed) size needs ZIP64 sizes in its local header. For
/// deflated data, leave room for deflate's worst-case growth on incompressible input.
fn needs_zip64(size: u64, method: u16) -> bool {
    let worst = if method == METHOD_DEFLATED {
        size.saturating_add(size >> 10).saturating_add(64)
    } else {
        size
    };
    worst >= U32_MAX
}

fn version_needed(method: u16, zip64: bool) -> u16 {
    if zip64 {
        45
    } else if method == METHOD_DEFLATED {
        20
    } else {
        10
    }
}

impl ZipWriter {
    /// A writer at the start of an empty file.
    pub fn new(file: File, time: DosTime) -> io::Result<Self> {
        Ok(ZipWriter {
            file: OutFile::new(file)?,
            pos: 0,
            time,
            entries: Vec::new(),
            open: None,
            deflate: Compress::new(Compression::default(), false),
            out: vec![0; DEFLATE_OUT],
            scratch: Vec::new(),
            sha: Sha256::new(),
            hashed: 0,
            hashing: true,
        })
    }

    fn local_header(
        &self,
        name: &[u8],
        method: u16,
        crc: u32,
        compressed: u64,
        size: u64,
        zip64: bool,
    ) -> Vec<u8> {
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        h.extend_from_slice(&version_needed(method, zip64).to_le_bytes());
        h.extend_from_slice(&FLAG_UTF8.to_le_bytes());
        h.extend_from_slice(&method.to_le_bytes());
        h.extend_from_slice(&self.time.time.to_le_bytes());
        h.extend_from_slice(&self.time.date.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        if zip64 {
            h.extend_from_slice(&u32::MAX.to_le_bytes());
            h.extend_from_slice(&u32::MAX.to_le_bytes());
        } else {
            h.extend_from_slice(&(compressed as u32).to_le_bytes());
            h.extend_from_slice(&(size as u32).to_le_bytes());
        }
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        h.extend_from_slice(name);
        if zip64 {
            h.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&compressed.to_le_bytes());
        }
        h
    }

    /// Appends bytes, hashing them unless an entry is being streamed.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        // Hash first: the hash reads the bytes at its own (slow) pace, which the memory keeps
        // up with, and leaves them in the cache for the copy (which would otherwise wait).
        if self.hashed == self.pos {
            self.sha.update(bytes);
            self.hashed += bytes.len() as u64;
        }
        self.file.append(bytes)?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Hashes the bytes from `hashed` to `pos`, reading them back.
    fn hash_back(&mut self) -> io::Result<()> {
        if !self.hashing {
            self.hashed = self.pos;
            return Ok(());
        }
        let sha = &mut self.sha;
        self.file
            .read_back(self.hashed, self.pos, |bytes| sha.update(bytes))?;
        self.hashed = self.pos;
        Ok(())
    }

    fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.patch(at, bytes)
    }

    /// Writes a whole entry whose data (in pieces, in order) and CRC are already known: its
    /// header is final at once, so everything is hashed in flight.
    pub fn write_whole(&mut self, name: &str, data: &[&[u8]], crc: u32, deflate: bool) -> io::Result<()> {
        let name = name.as_bytes();
        let size: u64 = data.iter().map(|d| d.len() as u64).sum();
        let offset = self.pos;
        let (method, body): (u16, Vec<u8>) = if deflate {
            self.deflate.reset();
            let mut body = Vec::with_capacity((size / 2) as usize + 64);
            for &piece in data {
                self.compress(piece, false, Some(&mut body))?;
            }
            self.compress(&[], true, Some(&mut body))?;
            (METHOD_DEFLATED, body)
        } else {
            (METHOD_STORED, Vec::new())
        };
        let compressed = if deflate { body.len() as u64 } else { size };
        let zip64 = needs_zip64(size, method);
        let header = self.local_header(name, method, crc, compressed, size, zip64);
        if deflate {
            let mut buf = std::mem::take(&mut self.scratch);
            buf.clear();
            buf.extend_from_slice(&header);
            buf.extend_from_slice(&body);
            let result = self.write(&buf);
            self.scratch = buf;
            result?;
        } else {
            self.write(&header)?;
            for piece in data {
                self.write(piece)?;
            }
        }
        self.entries.push(Written {
            name: name.to_vec(),
            method,
            crc,
            compressed,
            size,
            offset,
        });
        Ok(())
    }

    /// Starts streaming an entry of a known size; its CRC is patched in by [`Self::end`].
    pub fn begin(&mut self, name: &str, size: u64, deflate: bool) -> io::Result<()> {
        let method = if deflate { METHOD_DEFLATED } else { METHOD_STORED };
        let zip64 = needs_zip64(size, method);
        let compressed = if deflate { 0 } else { size };
        let header = self.local_header(name.as_bytes(), method, 0, compressed, size, zip64);
        let offset = self.pos;
        // Not hashed yet: its CRC is still a placeholder (see `end`).
        self.file.append(&header)?;
        self.pos += header.len() as u64;
        self.deflate.reset();
        self.open = Some(Open {
            offset,
            name_len: name.len() as u64,
            method,
            zip64_local: zip64,
            size,
            data_start: self.pos,
        });
        self.entries.push(Written {
            name: name.as_bytes().to_vec(),
            method,
            crc: 0,
            compressed: 0,
            size,
            offset,
        });
        Ok(())
    }

    /// Writes a piece of the open entry's data.
    pub fn data(&mut self, input: &[u8]) -> io::Result<()> {
        let method = self.open.as_ref().map(|o| o.method);
        if method != Some(METHOD_DEFLATED) {
            return self.write(input);
        }
        self.compress(input, false, None)
    }

    /// Runs the compressor over `input` (and to the end of its stream when `finish`), appending
    /// what it produces to `body`, or writing it to the archive when `body` is `None`.
    fn compress(&mut self, mut input: &[u8], finish: bool, mut body: Option<&mut Vec<u8>>) -> io::Result<()> {
        let flush = if finish {
            FlushCompress::Finish
        } else {
            FlushCompress::None
        };
        while finish || !input.is_empty() {
            let (in0, out0) = (self.deflate.total_in(), self.deflate.total_out());
            let status = self
                .deflate
                .compress(input, &mut self.out, flush)
                .map_err(io::Error::other)?;
            input = &input[(self.deflate.total_in() - in0) as usize..];
            let produced = (self.deflate.total_out() - out0) as usize;
            match body.as_deref_mut() {
                Some(body) => body.extend_from_slice(&self.out[..produced]),
                None => {
                    let out = std::mem::take(&mut self.out);
                    let r = self.write(&out[..produced]);
                    self.out = out;
                    r?;
                }
            }
            if finish && status == Status::StreamEnd {
                break;
            }
        }
        Ok(())
    }

    /// Advances over `n` bytes of zeros without writing them (a hole in the file), so tests
    /// can make entries past 4 GiB in no time.
    #[cfg(test)]
    fn skip_zeros(&mut self, n: u64) -> io::Result<()> {
        self.hashing = false;
        self.pos += n;
        self.file.skip(n)
    }

    /// Ends the open entry: flushes the compressor and patches the local header.
    pub fn end(&mut self, crc: u32) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        if open.method == METHOD_DEFLATED {
            self.compress(&[], true, None)?;
        }
        let compressed = self.pos - open.data_start;
        self.patch(open.offset + 14, &crc.to_le_bytes())?;
        if open.method == METHOD_DEFLATED {
            if open.zip64_local {
                self.patch(open.offset + 30 + open.name_len + 12, &compressed.to_le_bytes())?;
            } else if compressed >= U32_MAX {
                return Err(io::Error::other(
                    "deflated data grew past 4 GiB without ZIP64 room in its header",
                ));
            } else {
                self.patch(open.offset + 18, &(compressed as u32).to_le_bytes())?;
            }
        }
        if let Some(last) = self.entries.last_mut() {
            last.crc = crc;
            last.compressed = compressed;
            last.size = open.size;
        }
        self.hash_back()
    }

    /// Writes the central directory and the end records; returns the file, its length and
    /// its SHA-256.
    pub fn finish(mut self) -> io::Result<Finished> {
        let cd_start = self.pos;
        let mut count = 0u64;
        let mut w = Vec::with_capacity(READ_BACK + (64 << 10));
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let mut extra = Vec::new();
            let mut field = |v: u64| -> u32 {
                if v >= U32_MAX {
                    extra.extend_from_slice(&v.to_le_bytes());
                    u32::MAX
                } else {
                    v as u32
                }
            };
            let size = field(e.size);
            let compressed = field(e.compressed);
            let offset = field(e.offset);
            let zip64 = !extra.is_empty() || needs_zip64(e.size, e.method);
            let needed = version_needed(e.method, zip64);
            let h = &mut w;
            h.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            h.extend_from_slice(&(MADE_BY_UNIX | needed).to_le_bytes());
            h.extend_from_slice(&needed.to_le_bytes());
            h.extend_from_slice(&FLAG_UTF8.to_le_bytes());
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&self.time.time.to_le_bytes());
            h.extend_from_slice(&self.time.date.to_le_bytes());
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&compressed.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            let extra_len = if extra.is_empty() {
                0
            } else {
                4 + extra.len() as u16
            };
            h.extend_from_slice(&extra_len.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // comment
            h.extend_from_slice(&0u16.to_le_bytes()); // disk
            h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            h.extend_from_slice(&EXTERNAL_ATTR_0644.to_le_bytes());
            h.extend_from_slice(&offset.to_le_bytes());
            h.extend_from_slice(&e.name);
            if !extra.is_empty() {
                h.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
                h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                h.extend_from_slice(&extra);
            }
            count += 1;
            if w.len() >= READ_BACK {
                self.write(&w)?;
                w.clear();
            }
        }
        let cd_size = self.pos + w.len() as u64 - cd_start;
        let end = &mut w;
        if count >= 0xFFFF || cd_size >= U32_MAX || cd_start >= U32_MAX {
            let zip64_eocd = cd_start + cd_size;
            end.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
            end.extend_from_slice(&44u64.to_le_bytes());
            end.extend_from_slice(&(MADE_BY_UNIX | 45).to_le_bytes());
            end.extend_from_slice(&45u16.to_le_bytes());
            end.extend_from_slice(&0u32.to_le_bytes());
            end.extend_from_slice(&0u32.to_le_bytes());
            end.extend_from_slice(&count.to_le_bytes());
            end.extend_from_slice(&count.to_le_bytes());
            end.extend_from_slice(&cd_size.to_le_bytes());
            end.extend_from_slice(&cd_start.to_le_bytes());
            end.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
            end.extend_from_slice(&0u32.to_le_bytes());
            end.extend_from_slice(&zip64_eocd.to_le_bytes());
            end.extend_from_slice(&1u32.to_le_bytes());
        }
        end.extend_from_slice(&EOCD_SIG.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        let short_count = count.min(0xFFFF) as u16;
        end.extend_from_slice(&short_count.to_le_bytes());
        end.extend_from_slice(&short_count.to_le_bytes());
        end.extend_from_slice(&(cd_size.min(U32_MAX) as u32).to_le_bytes());
        end.extend_from_slice(&(cd_start.min(U32_MAX) as u32).to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.write(&w)?;
        let (file, len) = self.file.finish()?;
        debug_assert_eq!(len, self.pos);
        Ok(Finished {
            file,
            len,
            sha256: self.sha.finalize().into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom};

    #[test]
    fn dos_times() {
        assert_eq!(DosTime::from_unix(0), DosTime::EPOCH);
        assert_eq!(DosTime::from_unix(315_532_800), DosTime::EPOCH); // 1980-01-01
        // 2024-02-29 13:45:58 UTC
        let t = DosTime::from_unix(1_709_214_358);
        assert_eq!(t.date, ((2024 - 1980) << 9) | (2 << 5) | 29);
        assert_eq!(t.time, (13 << 11) | (45 << 5) | 29);
    }

    /// Writes one small whole entry and one streamed entry, both deflated, and one stored
    /// streamed entry; the zip crate must read all three back with the right CRCs.
    #[test]
    fn deflated_and_streamed_entries_read_back() {
        use std::io::Read;
        let pcm: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let crc = crc32fast::hash(&pcm);
        let tmp = tempfile::tempfile().unwrap();
        let mut w = ZipWriter::new(tmp.try_clone().unwrap(), DosTime::EPOCH).unwrap();
        w.write_whole("s/a.wav", &[&pcm[..1000], &pcm[1000..]], crc, true)
            .unwrap();
        w.write_whole("s/d.wav", &[&pcm], crc, false).unwrap();
        w.write_whole("s/e.wav", &[], 0, true).unwrap();
        w.write_whole("s/f.wav", &[], 0, false).unwrap();
        w.begin("s/b.wav", pcm.len() as u64, true).unwrap();
        for piece in pcm.chunks(70_000) {
            w.data(piece).unwrap();
        }
        w.end(crc).unwrap();
        w.begin("s/c.wav", pcm.len() as u64, false).unwrap();
        for piece in pcm.chunks(70_000) {
            w.data(piece).unwrap();
        }
        w.end(crc).unwrap();
        let done = w.finish().unwrap();
        assert_eq!(tmp.metadata().unwrap().len(), done.len);
        let mut bytes = Vec::new();
        (&tmp).seek(SeekFrom::Start(0)).unwrap();
        (&tmp).read_to_end(&mut bytes).unwrap();
        assert_eq!(done.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));
        let mut archive = zip::ZipArchive::new(tmp).unwrap();
        for (name, method) in [
            ("s/a.wav", zip::CompressionMethod::Deflated),
            ("s/b.wav", zip::CompressionMethod::Deflated),
            ("s/c.wav", zip::CompressionMethod::Stored),
            ("s/d.wav", zip::CompressionMethod::Stored),
        ] {
            let mut f = archive.by_name(name).unwrap();
            assert_eq!(f.compression(), method);
            assert_eq!(f.crc32(), crc);
            let mut back = Vec::new();
            f.read_to_end(&mut back).unwrap();
            assert_eq!(back, pcm, "{name}");
        }
        for name in ["s/e.wav", "s/f.wav"] {
            let mut f = archive.by_name(name).unwrap();
            let mut back = Vec::new();
            f.read_to_end(&mut back).unwrap();
            assert!(back.is_empty(), "{name}");
        }
    }

    /// The ZIP64 layout of an entry over 4 GiB and of an entry whose offset is past 4 GiB,
    /// without moving 4 GiB: the big entry's data is a hole in the file.
    #[test]
    fn zip64_sizes_and_offsets_in_a_sparse_archive() {
        use std::io::Read;
        let big = (4u64 << 30) + 123;
        let mut zeros = crc32fast::Hasher::new();
        let mut block = crc32fast::Hasher::new();
        block.update(&[0u8; 123]);
        zeros.combine(&block);
        let mut mib = crc32fast::Hasher::new();
        mib.update(&vec![0u8; 1 << 20]);
        for _ in 0..(4 << 10) {
            zeros.combine(&mib);
        }
        let crc = zeros.finalize();
        let tmp = tempfile::tempfile().unwrap();
        let mut w = ZipWriter::new(tmp.try_clone().unwrap(), DosTime::EPOCH).unwrap();
        w.begin("s/big.png", big, false).unwrap();
        w.skip_zeros(big).unwrap();
        w.end(crc).unwrap();
        w.write_whole("s/small.png", &[b"tiny"], crc32fast::hash(b"tiny"), false)
            .unwrap();
        w.finish().unwrap();
        let mut archive = zip::ZipArchive::new(tmp).unwrap();
        let f = archive.by_name("s/big.png").unwrap();
        assert_eq!((f.size(), f.compressed_size(), f.crc32()), (big, big, crc));
        drop(f);
        let mut small = archive.by_name("s/small.png").unwrap();
        assert!(small.header_start() > U32_MAX);
        let mut back = Vec::new();
        small.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"tiny");
    }

    #[test]
    fn zip64_threshold_leaves_room_for_deflate() {
        assert!(!needs_zip64(U32_MAX - 1, METHOD_STORED));
        assert!(needs_zip64(U32_MAX, METHOD_STORED));
        assert!(needs_zip64(U32_MAX - 1000, METHOD_DEFLATED));
    }
}
