//! Reading a zip archive's directory in place, with findings for what hand-made archives get
//! wrong. An entry's data is read by `zipentry` and `inflate`, never extracted to the dataset's
//! folder or to a temporary file.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use zip::{CompressionMethod, ZipArchive};

use super::archive_bytes::ArchiveBytes;
pub use super::zipentry::{DamagedEntry, FileSlice, Method, ReadSeek, ZipEntry, ZipSource};
use super::{Entry, Origin, Scan};
use crate::error::InputError;
use crate::report::{Code, InputKind, Issue};

/// General-purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;

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
    let zip = ZipSource::new(file, len);
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
    use std::io::{self, BufReader, Cursor, Seek, SeekFrom, Write};

    use super::super::zipentry::Keep;
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
