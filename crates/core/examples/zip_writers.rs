//! Writes the same files into a zip two ways, to compare stimpack's own writer
//! (`pack/zipwriter.rs` + `pack/outfile.rs`) with the `zip` crate's `ZipWriter`; run by
//! `bench/pack-writers.sh`, which adds peak RSS and prints the table.
//!
//! Usage: `zip_writers ours|crate stored|deflated DATA_DIR OUT.zip`
//!
//! Both read every file under DATA_DIR (sorted, names relative to it) in 1 MiB chunks on the
//! calling thread, compute its CRC-32 (ours needs it before the header; the crate computes its
//! own), write it, finish the archive and `fsync` it, then give the archive's SHA-256 (the
//! manifest records it): ours hashes it while writing, the crate's archive is read back.
//! Source hashes and the check are left out: they are the same work either way. Prints one
//! line: `writer method bytes write_s hash_s total_s`.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use sha2::{Digest, Sha256};
use stimpack_core::bench_internals::{DosTime, ZipWriter};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime};

const CHUNK: usize = 1 << 20;
/// Entries up to this size are held whole and written with their final header (as `pack` does).
const WHOLE: u64 = 16 * CHUNK as u64;
const U32_LIMIT: u64 = 0xFFFF_FFFF;

fn files(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a file in whole chunks into `bufs` (growing it as needed) and returns the chunk
/// lengths' total and CRC-32, calling `each` on every chunk.
fn read_chunks(path: &Path, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<(u64, u32)> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; CHUNK];
    let mut crc = crc32fast::Hasher::new();
    let mut total = 0u64;
    loop {
        let mut n = 0;
        while n < CHUNK {
            match f.read(&mut buf[n..])? {
                0 => break,
                k => n += k,
            }
        }
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
        total += n as u64;
        each(&buf[..n])?;
        if n < CHUNK {
            break;
        }
    }
    Ok((total, crc.finalize()))
}

fn ours(files: &[(String, PathBuf)], deflate: bool, out: &Path) -> io::Result<(u64, f64, f64)> {
    let start = Instant::now();
    let mut zip = ZipWriter::new(File::create(out)?, DosTime::EPOCH)?;
    for (name, path) in files {
        let size = fs::metadata(path)?.len();
        if size <= WHOLE {
            let mut held: Vec<Vec<u8>> = Vec::new();
            let (_, crc) = read_chunks(path, |c| {
                held.push(c.to_vec());
                Ok(())
            })?;
            let pieces: Vec<&[u8]> = held.iter().map(Vec::as_slice).collect();
            zip.write_whole(name, &pieces, crc, deflate)?;
        } else {
            zip.begin(name, size, deflate)?;
            let (_, crc) = read_chunks(path, |c| zip.data(c))?;
            zip.end(crc)?;
        }
    }
    let done = zip.finish()?;
    done.file.sync_all()?;
    let write_s = start.elapsed().as_secs_f64();
    std::hint::black_box(done.sha256);
    // The hash was computed while writing: nothing more to do.
    Ok((done.len, write_s, 0.0))
}

fn with_crate(files: &[(String, PathBuf)], deflate: bool, out: &Path) -> io::Result<(u64, f64, f64)> {
    let start = Instant::now();
    let file = File::create(out)?;
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(CHUNK, file));
    let method = if deflate {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    for (name, path) in files {
        let size = fs::metadata(path)?.len();
        // As ours: ZIP64 only where a size needs it (deflate may grow incompressible data).
        let worst = if deflate { size + (size >> 10) + 64 } else { size };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644)
            .large_file(worst >= U32_LIMIT);
        zip.start_file(name.as_str(), options).map_err(io::Error::other)?;
        read_chunks(path, |c| zip.write_all(c))?;
    }
    let file = zip
        .finish()
        .map_err(io::Error::other)?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    let write_s = start.elapsed().as_secs_f64();
    let len = file.metadata()?.len();
    drop(file);
    let hash_start = Instant::now();
    let mut sha = Sha256::new();
    read_chunks(out, |c| {
        sha.update(c);
        Ok(())
    })?;
    std::hint::black_box(sha.finalize());
    Ok((len, write_s, hash_start.elapsed().as_secs_f64()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, writer, method, data, out] = &args[..] else {
        eprintln!("usage: zip_writers ours|crate stored|deflated DATA_DIR OUT.zip");
        return ExitCode::from(2);
    };
    let deflate = match method.as_str() {
        "stored" => false,
        "deflated" => true,
        _ => {
            eprintln!("zip_writers: method is stored or deflated, not '{method}'");
            return ExitCode::from(2);
        }
    };
    let run = || -> io::Result<(u64, f64, f64)> {
        let list = files(Path::new(data))?;
        match writer.as_str() {
            "ours" => ours(&list, deflate, Path::new(out)),
            "crate" => with_crate(&list, deflate, Path::new(out)),
            _ => Err(io::Error::other(format!(
                "writer is ours or crate, not '{writer}'"
            ))),
        }
    };
    match run() {
        Ok((bytes, write_s, hash_s)) => {
            println!(
                "{writer} {method} {bytes} {write_s:.3} {hash_s:.3} {:.3}",
                write_s + hash_s
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zip_writers: {e}");
            ExitCode::FAILURE
        }
    }
}
