//! The reader pool and the writer: each source file is read and hashed once by a reader
//! thread, and the calling thread writes the archive in plan order.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sha2::{Digest, Sha256};

use super::output::temp_beside;
use super::plan::{Item, Plan};
use super::record::archive_info;
use super::snapshot::Snapshot;
use super::zipwriter::{DosTime, ZipWriter};
use super::{PackError, PackReporter};
use crate::manifest::ArchiveInfo;
use crate::scan::{Origin, Scan};

/// Size of one read: large enough for few system calls, small enough to keep memory flat.
pub const CHUNK: usize = 1 << 20;
/// Buffers in each reader's pool, shared with the writer: peak memory is about this many chunks
/// per reader. More than [`WHOLE_CHUNKS`], so a reader can always go on while the writer holds
/// one of its entries, and enough to read part of the next entry meanwhile.
pub const POOL_CHUNKS: usize = 24;
const _: () = assert!(POOL_CHUNKS > WHOLE_CHUNKS + 1, "a reader could wait forever");
/// Entries of up to this many chunks are held whole until their CRC is known, then written with
/// their final header; larger ones are streamed and their header patched afterwards.
pub const WHOLE_CHUNKS: usize = 16;

/// What the reader sends the writer.
pub(super) enum Msg {
    /// The next piece of the current file: a full-size buffer and how much of it is data
    /// (buffers keep their length so that reusing one never zeroes it again).
    Chunk(Vec<u8>, usize),
    /// The current file is done.
    End { crc: u32, sha256: [u8; 32], bytes: u64 },
    /// Reading failed; the writer stops.
    Failed(PackError),
}

/// Per item: SHA-256 and size of what was packed.
pub(super) type Hashes = Vec<([u8; 32], u64)>;

pub(super) fn write_zip(
    scan: &Scan,
    snapshot: &Snapshot,
    plan: &Plan,
    output: &Path,
    time: DosTime,
    threads: usize,
    progress: &dyn PackReporter,
) -> Result<(tempfile::NamedTempFile, Hashes, ArchiveInfo), PackError> {
    let tmp = temp_beside(output)?;
    let file = tmp.as_file().try_clone().map_err(|source| PackError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    let total: u64 = plan.items.iter().map(|i| i.size).sum();
    progress.on_start(total, plan.items.len());

    snapshot.check_archive()?;
    let readers = reader_count(threads, plan.items.len());
    let (hashes, archive) = std::thread::scope(|s| {
        let mut inboxes = Vec::with_capacity(readers);
        for first in 0..readers {
            let (tx, rx) = sync_channel::<Msg>(POOL_CHUNKS);
            // Room for every buffer, so giving one back never blocks.
            let (give_back, spare) = sync_channel::<Vec<u8>>(POOL_CHUNKS);
            let mine = plan.items.iter().skip(first).step_by(readers);
            s.spawn(move || read_all(scan, snapshot, mine, tx, Pool::new(spare)));
            inboxes.push(Inbox { rx, give_back });
        }
        write_entries(file, plan, time, &inboxes, output, progress)
    })?;
    // Every read is done: the writer has had the end of every item.
    snapshot.check_archive()?;
    Ok((tmp, hashes, archive))
}

/// Reader threads: two where there are two cores to share (hashing a file costs about as much
/// as hashing the archive, and reading it comes on top), else one. Reader `r` reads items `r`,
/// `r + n`, `r + 2n`, ..., each with its own buffer pool, so one reader running ahead can never
/// take the buffers another one needs for the item the writer is waiting for.
pub(super) fn reader_count(threads: usize, items: usize) -> usize {
    let cores = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    cores.clamp(1, 2).min(items.max(1))
}

/// The writer's side of one reader: its chunks, and where its buffers go back to.
pub(super) struct Inbox {
    rx: Receiver<Msg>,
    give_back: SyncSender<Vec<u8>>,
}

/// The reader's side of the buffer pool: at most [`POOL_CHUNKS`] buffers ever exist.
pub(super) struct Pool {
    spare: Receiver<Vec<u8>>,
    made: usize,
    /// A buffer taken but not sent (the read found the end of the file).
    kept: Option<Vec<u8>>,
}

impl Pool {
    fn new(spare: Receiver<Vec<u8>>) -> Pool {
        Pool {
            spare,
            made: 0,
            kept: None,
        }
    }

    /// A buffer of [`CHUNK`] bytes; `None` if the writer has gone.
    fn take(&mut self) -> Option<Vec<u8>> {
        if let Some(b) = self.kept.take() {
            return Some(b);
        }
        if let Ok(b) = self.spare.try_recv() {
            return Some(b);
        }
        if self.made < POOL_CHUNKS {
            self.made += 1;
            return Some(vec![0; CHUNK]);
        }
        self.spare.recv().ok()
    }
}

/// A reader thread: reads each of its items once, hashing as it goes.
pub(super) fn read_all<'a>(
    scan: &Scan,
    snapshot: &Snapshot,
    items: impl Iterator<Item = &'a Item>,
    tx: SyncSender<Msg>,
    mut pool: Pool,
) {
    for item in items {
        match read_one(scan, snapshot, item, &tx, &mut pool) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        }
    }
}

/// Reads one item into the queue. `Ok(false)`: the writer has gone.
pub(super) fn read_one(
    scan: &Scan,
    snapshot: &Snapshot,
    item: &Item,
    tx: &SyncSender<Msg>,
    pool: &mut Pool,
) -> Result<bool, PackError> {
    let entry = &scan.entries[item.entry];
    let (mut reader, path): (Box<dyn Read + Send>, PathBuf) = match &entry.origin {
        Origin::File(p) => {
            let read_err = |source| PackError::Read {
                path: p.clone(),
                source,
            };
            let f = File::open(p).map_err(read_err)?;
            advise_sequential(&f);
            snapshot.check_file(item.entry, p, Some(f.metadata().map_err(read_err)?))?;
            (Box::new(f), p.clone())
        }
        Origin::Zip(z) => {
            let path = scan.root.join(&entry.path);
            let source = scan.zip.as_ref().ok_or_else(|| PackError::Read {
                path: scan.root.clone(),
                source: io::Error::other("the archive is not open"),
            })?;
            // Inflated as it is copied, in constant memory; a mismatch with the declared size
            // or CRC-32 ends the read with the entry's damage.
            let r = source.stream(z).map_err(|source| PackError::Read {
                path: path.clone(),
                source,
            })?;
            (r, path)
        }
        Origin::Url { .. } => return Ok(true),
    };
    let mut crc = crc32fast::Hasher::new();
    let mut sha = Sha256::new();
    let mut bytes = 0u64;
    loop {
        let Some(mut buf) = pool.take() else {
            return Ok(false);
        };
        // Whole chunks, so chunk boundaries do not depend on the OS.
        let n = crate::probe::read_up_to(&mut reader, &mut buf).map_err(|source| PackError::Read {
            path: path.clone(),
            source,
        })?;
        if n == 0 {
            pool.kept = Some(buf);
            break;
        }
        crc.update(&buf[..n]);
        sha.update(&buf[..n]);
        bytes += n as u64;
        if tx.send(Msg::Chunk(buf, n)).is_err() {
            return Ok(false);
        }
        if n < CHUNK {
            break;
        }
    }
    let crc = crc.finalize();
    if bytes != item.size {
        return Err(PackError::SourceChanged {
            path,
            what: format!("it now has {bytes} bytes instead of {}", item.size),
        });
    }
    match &entry.origin {
        Origin::File(p) => snapshot.check_file(item.entry, p, None)?,
        Origin::Zip(z) if z.crc32 != crc => {
            return Err(PackError::DamagedEntry {
                archive: scan.root.clone(),
                entry: entry.path.clone(),
            });
        }
        _ => {}
    }
    let sha256: [u8; 32] = sha.finalize().into();
    Ok(tx.send(Msg::End { crc, sha256, bytes }).is_ok())
}

/// Tells the kernel the file is read once from start to end (larger read-ahead when it is not
/// cached yet). A hint: errors are ignored.
pub(super) fn advise_sequential(f: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain system call on a file descriptor we own; no memory is passed.
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_SEQUENTIAL);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = f;
}

/// The writer: lays entries down in plan order as the reader's chunks arrive.
pub(super) fn write_entries(
    file: File,
    plan: &Plan,
    time: DosTime,
    inboxes: &[Inbox],
    output: &Path,
    progress: &dyn PackReporter,
) -> Result<(Hashes, ArchiveInfo), PackError> {
    let werr = |source| PackError::Write {
        path: output.to_path_buf(),
        source,
    };
    let gone = || PackError::Read {
        path: output.to_path_buf(),
        source: io::Error::other("the reading thread stopped unexpectedly"),
    };
    let mut zip = ZipWriter::new(file, time).map_err(werr)?;
    let mut hashes = Vec::with_capacity(plan.items.len());
    // Chunks of the current entry waiting for its CRC.
    let mut held: Vec<(Vec<u8>, usize)> = Vec::with_capacity(WHOLE_CHUNKS + 1);
    let whole_max = (WHOLE_CHUNKS * CHUNK) as u64;
    for (i, item) in plan.items.iter().enumerate() {
        progress.on_entry(&item.name);
        let Inbox { rx, give_back } = &inboxes[i % inboxes.len()];
        let mut streaming = false;
        loop {
            match rx.recv().map_err(|_| gone())? {
                Msg::Failed(e) => return Err(e),
                Msg::Chunk(buf, n) => {
                    if streaming {
                        zip.data(&buf[..n]).map_err(werr)?;
                        progress.on_bytes(n as u64);
                        let _ = give_back.try_send(buf);
                        continue;
                    }
                    held.push((buf, n));
                    // Too big to hold (by its size, or because it grew): stream it.
                    if item.size > whole_max || held.len() > WHOLE_CHUNKS {
                        zip.begin(&item.name, item.size, item.deflate).map_err(werr)?;
                        for (buf, n) in held.drain(..) {
                            zip.data(&buf[..n]).map_err(werr)?;
                            progress.on_bytes(n as u64);
                            let _ = give_back.try_send(buf);
                        }
                        streaming = true;
                    }
                }
                Msg::End { crc, sha256, bytes } => {
                    if streaming {
                        zip.end(crc).map_err(werr)?;
                    } else {
                        let pieces: Vec<&[u8]> = held.iter().map(|(b, n)| &b[..*n]).collect();
                        zip.write_whole(&item.name, &pieces, crc, item.deflate)
                            .map_err(werr)?;
                        drop(pieces);
                        for (buf, n) in held.drain(..) {
                            progress.on_bytes(n as u64);
                            let _ = give_back.try_send(buf);
                        }
                    }
                    hashes.push((sha256, bytes));
                    break;
                }
            }
        }
    }
    let done = zip.finish().map_err(werr)?;
    done.file.sync_all().map_err(werr)?;
    Ok((hashes, archive_info(output, done.len, &done.sha256)))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::{NoopReporter, PackOptions, PackOutcome, pack};
    use super::*;
    use crate::manifest;

    /// Entry sizes around the buffering limits, through the whole path: held whole, exactly
    /// `WHOLE_CHUNKS` chunks, one byte more (streamed and read back for the archive hash), and a
    /// file ending exactly on a chunk boundary, in both orders, so each reader meets a largest
    /// whole entry next to a streamed one. The archive's SHA-256 must match its bytes.
    #[test]
    fn archive_hash_is_exact_around_the_buffering_limits() {
        let png = crate::test_fixtures::fixture("image/png.png");
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in");
        fs::create_dir_all(input.join("s1")).unwrap();
        let sizes = [
            ("a.png", 0),
            ("b.png", CHUNK as u64),
            ("c.png", (WHOLE_CHUNKS * CHUNK) as u64),
            ("d.png", (WHOLE_CHUNKS * CHUNK) as u64 + 1),
            ("e.png", (WHOLE_CHUNKS * CHUNK) as u64 + 1),
            ("f.png", (WHOLE_CHUNKS * CHUNK) as u64),
            ("g.png", 3 * CHUNK as u64 + 17),
        ];
        for (name, size) in sizes {
            // A real PNG, then bytes up to the size (not zeros, so a misplaced chunk shows).
            let mut bytes = png.clone();
            let pad = (size as usize).saturating_sub(png.len());
            bytes.extend((0..pad).map(|i| (i % 253) as u8));
            fs::write(input.join("s1").join(name), bytes).unwrap();
        }
        let out = tmp.path().join("dataset.zip");
        let outcome = pack(&input, &PackOptions::new(&out), &NoopReporter).unwrap();
        let PackOutcome::Written { manifest, .. } = outcome else {
            panic!("refused");
        };
        let bytes = fs::read(&out).unwrap();
        assert_eq!(manifest.archive.bytes, bytes.len() as u64);
        assert_eq!(manifest.archive.sha256, manifest::hex(&Sha256::digest(&bytes)));
        let mut archive = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
        for (name, _) in sizes {
            let mut back = Vec::new();
            archive
                .by_name(&format!("s1/{name}"))
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, fs::read(input.join("s1").join(name)).unwrap(), "{name}");
        }
    }
}
