//! A hosted file read at any offset: blocks fetched with `Range` requests as the probers ask
//! for them (64 KiB, growing four-fold while they read on, up to 2 MiB, so a file read through
//! costs few round trips), or one streamed answer from a server that ignores `Range`. The head
//! block and the block at the end (often fetched with the head: see `multirange.rs`) stay; two
//! more are kept for re-reads.

use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use stimpack_core::RemoteFile;
use ureq::BodyReader;

use crate::HEAD_BYTES;
use crate::fetch::{Failure, Http};
use crate::hosts::HostPermit;
use crate::multirange::Part;

/// The largest block one request asks for.
const MAX_BLOCK: u64 = 2 << 20;
/// Blocks kept besides the head.
const KEPT_BLOCKS: usize = 2;
/// Past this much read, the file counts as read through (shown in the progress line).
const WHOLE_READ_AFTER: u64 = 1 << 20;

struct Block {
    start: u64,
    data: Vec<u8>,
}

impl Block {
    fn end(&self) -> u64 {
        self.start + self.data.len() as u64
    }
}

/// The answer of a server that ignores `Range`, read on from `pos`.
struct Stream {
    pos: u64,
    reader: BodyReader<'static>,
}

/// How the file's bytes are fetched.
pub(crate) enum Source {
    /// With `Range` requests.
    Ranges,
    /// From whole-file answers (the server ignores `Range`), opened when reading goes past the
    /// head, and again to go back.
    Stream,
}

/// One hosted file, open for the probers.
pub(crate) struct HttpFile {
    http: Arc<Http>,
    url: String,
    shown: String,
    len: u64,
    pos: u64,
    head: Block,
    blocks: VecDeque<Block>,
    ranges: bool,
    stream: Option<Stream>,
    /// Where the last block ended, and the size of the next one when reading goes on there.
    next_start: u64,
    next_size: u64,
    fetched: u64,
    cap: u64,
    capped: Option<u64>,
    whole_read: bool,
    _permit: HostPermit,
}

impl HttpFile {
    /// A file of `len` bytes at `url` (the final one, after redirects), whose first bytes (and,
    /// when the server sent them in the same answer, its last) came with the first answer as
    /// `parts`; `source` says how to fetch the rest.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        http: Arc<Http>,
        url: String,
        shown: String,
        len: u64,
        parts: Vec<Part>,
        source: Source,
        cap: u64,
        permit: HostPermit,
    ) -> Self {
        let fetched = parts.iter().map(|p| p.data.len() as u64).sum();
        let mut head = Block {
            start: 0,
            data: Vec::new(),
        };
        let mut blocks = VecDeque::new();
        for part in parts {
            if part.start == 0 && head.data.is_empty() {
                head.data = part.data;
            } else if !part.data.is_empty() {
                blocks.push_back(Block {
                    start: part.start,
                    data: part.data,
                });
            }
        }
        let next_start = head.end();
        let ranges = matches!(source, Source::Ranges);
        http.stats.file_bytes.fetch_add(len, Ordering::Relaxed);
        HttpFile {
            http,
            url,
            shown,
            len,
            pos: 0,
            head,
            blocks,
            ranges,
            stream: None,
            next_start,
            next_size: HEAD_BYTES,
            fetched,
            cap,
            capped: None,
            whole_read: false,
            _permit: permit,
        }
    }

    /// Copies what the kept blocks hold at `pos` into `buf`.
    fn copy_kept(&self, buf: &mut [u8]) -> Option<usize> {
        let block = std::iter::once(&self.head)
            .chain(self.blocks.iter())
            .find(|b| b.start <= self.pos && self.pos < b.end())?;
        let at = (self.pos - block.start) as usize;
        let n = buf.len().min(block.data.len() - at);
        buf[..n].copy_from_slice(&block.data[at..at + n]);
        Some(n)
    }

    /// How many more bytes the cap allows; marks the file capped when none.
    fn allowance(&mut self) -> u64 {
        let left = self.cap.saturating_sub(self.fetched);
        if left == 0 {
            self.capped = Some(self.fetched);
        }
        left
    }

    fn count(&mut self, n: u64) {
        self.fetched += n;
        self.http.stats.bytes.fetch_add(n, Ordering::Relaxed);
        if !self.whole_read && self.fetched > WHOLE_READ_AFTER {
            self.whole_read = true;
            self.http.stats.whole_reads.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Fetches the block holding `pos` with one `Range` request.
    fn fetch_block(&mut self) -> io::Result<()> {
        // Reading on after a kept block or the last block fetched (the head, say, after a look
        // at the tail), also past a gap shorter than the next block would be (a walk over Ogg
        // pages or PNG chunks skips the payloads between their headers): the next block is four
        // times as long.
        let grown = |size: u64| (size * 4).clamp(HEAD_BYTES, MAX_BLOCK);
        let size = std::iter::once((self.next_start, self.next_size))
            .chain(
                std::iter::once(&self.head)
                    .chain(self.blocks.iter())
                    .map(|b| (b.end(), b.data.len() as u64)),
            )
            .filter(|&(end, len)| end <= self.pos && self.pos - end < grown(len))
            .map(|(_, len)| grown(len))
            .max();
        let sequential = size.is_some();
        let size = size.unwrap_or(HEAD_BYTES);
        let mut start = self.pos;
        // Formats that keep their length at the end are read there backwards, a few bytes at
        // a time: one block that reaches the end serves them all.
        if !sequential && self.len - self.pos < HEAD_BYTES {
            start = self.len.saturating_sub(HEAD_BYTES).max(self.head.end());
            start = start.min(self.pos);
        }
        let allowed = self.allowance();
        if allowed == 0 {
            return Ok(());
        }
        if start + allowed <= self.pos {
            start = self.pos;
        }
        // Never again what a kept block holds: stop where the next one starts.
        let next_kept = self
            .blocks
            .iter()
            .map(|b| b.start)
            .filter(|&s| s > self.pos)
            .min()
            .unwrap_or(u64::MAX);
        let end = (start + size.max(self.pos - start + 1))
            .min(self.len)
            .min(start + allowed)
            .min(next_kept);
        let data = self.get_range(start, end)?;
        self.count(data.len() as u64);
        self.next_start = end;
        self.next_size = size;
        if self.blocks.len() > KEPT_BLOCKS {
            // The oldest, but not the one at the end: readers come back to the end (tags,
            // the last frame) after reading on from the start.
            let len = self.len;
            if let Some(i) = self.blocks.iter().position(|b| b.end() != len) {
                self.blocks.remove(i);
            }
        }
        self.blocks.push_back(Block { start, data });
        Ok(())
    }

    fn get_range(&self, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let want = end - start;
        let mut last = None;
        // A body cut short is asked for once more: a dropped connection is common.
        for _ in 0..2 {
            let mut response = match self
                .http
                .get(&self.url, Some(&crate::fetch::bytes(start, end)), want)
            {
                Ok(r) => r,
                Err(Failure::Status(s)) => {
                    return Err(io::Error::other(format!(
                        "the server answered HTTP {s} to a request for bytes {start}-{} of '{}'",
                        end - 1,
                        self.shown
                    )));
                }
                Err(Failure::Transport(why)) => {
                    return Err(io::Error::other(format!(
                        "fetching '{}' failed: {why}",
                        self.shown
                    )));
                }
            };
            let status = response.status().as_u16();
            if status != 206 {
                return Err(io::Error::other(format!(
                    "the server answered HTTP {status} instead of 206 to a range request for '{}' \
                     (it answered ranges before: is the file changing?)",
                    self.shown
                )));
            }
            let range = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(crate::multirange::content_range);
            match range {
                Some((_, _, total)) if total != self.len => {
                    return Err(io::Error::other(format!(
                        "'{}' changed on the server while it was read (its length was {} bytes, now {total}). \
                         Check it again once the upload is complete",
                        self.shown, self.len
                    )));
                }
                // The bytes asked for, and no others: a server that answers another range
                // (or says not which) would have the probers read the wrong bytes.
                Some((first, last, _)) if (first, last + 1) == (start, end) => {}
                _ => {
                    return Err(io::Error::other(format!(
                        "the server answered a request for bytes {start}-{} of '{}' with other bytes \
                         (Content-Range: {}). Check the server or CDN",
                        end - 1,
                        self.shown,
                        response
                            .headers()
                            .get("content-range")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("none")
                    )));
                }
            }
            match response.body_mut().with_config().limit(want).read_to_vec() {
                Ok(data) if data.len() as u64 == want => return Ok(data),
                Ok(data) => {
                    last = Some(format!("the answer ended after {} of {want} bytes", data.len()));
                }
                Err(e) => last = Some(crate::fetch::transport_words(&e)),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the server cut its answer for '{}' short ({}); the host or CDN may be \
                 failing. Try again later",
                self.shown,
                last.unwrap_or_default()
            ),
        ))
    }

    /// Reads from a whole-file answer, skipping ahead or opening it again as needed.
    fn read_stream(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stream.as_ref().is_none_or(|s| s.pos > self.pos) {
            self.stream = None;
            let response = self
                .http
                .get(&self.url, None, self.len.min(self.cap))
                .map_err(|f| match f {
                    Failure::Status(s) => {
                        io::Error::other(format!("the server answered HTTP {s} for '{}'", self.shown))
                    }
                    Failure::Transport(why) => {
                        io::Error::other(format!("fetching '{}' failed: {why}", self.shown))
                    }
                })?;
            self.stream = Some(Stream {
                pos: 0,
                reader: response.into_body().into_reader(),
            });
        }
        let mut scratch = [0u8; 16 << 10];
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(0);
            };
            let skip = self.pos - stream.pos;
            let allowed = self.cap.saturating_sub(self.fetched);
            if allowed == 0 {
                self.capped = Some(self.fetched);
                return Ok(0);
            }
            let target: &mut [u8] = if skip > 0 {
                let n = (skip.min(scratch.len() as u64)) as usize;
                &mut scratch[..n]
            } else {
                buf
            };
            let n = target.len().min(allowed.min(usize::MAX as u64) as usize);
            let got = stream.reader.read(&mut target[..n]).map_err(|e| {
                let words = crate::fetch::io_words(&e);
                io::Error::new(e.kind(), format!("reading '{}' failed: {words}", self.shown))
            })?;
            if got == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the server's answer for '{}' ended after {} of the {} bytes it announced; \
                         the host or CDN may be failing. Try again later",
                        self.shown, stream.pos, self.len
                    ),
                ));
            }
            stream.pos += got as u64;
            self.count(got as u64);
            if skip == 0 {
                self.pos += got as u64;
                return Ok(got);
            }
        }
    }
}

impl Read for HttpFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        if let Some(n) = self.copy_kept(buf) {
            self.pos += n as u64;
            return Ok(n);
        }
        if !self.ranges {
            return self.read_stream(buf);
        }
        self.fetch_block()?;
        match self.copy_kept(buf) {
            Some(n) => {
                self.pos += n as u64;
                Ok(n)
            }
            None => Ok(0), // capped
        }
    }
}

impl Seek for HttpFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

impl RemoteFile for HttpFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn capped_at(&self) -> Option<u64> {
        self.capped
    }
}

impl Drop for HttpFile {
    fn drop(&mut self) {
        if self.whole_read {
            self.http.stats.whole_reads.fetch_sub(1, Ordering::Relaxed);
        }
        self.http.stats.files_done.fetch_add(1, Ordering::Relaxed);
    }
}
