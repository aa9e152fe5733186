//! The frame walk shared by MPEG audio and ADTS: a buffered window over the reader, finding the
//! first frame (confirmed by the next ones), resyncing over garbage and counting every frame.

use std::io::{self, Read, Seek, SeekFrom};

use crate::probe::ParseError;

use super::{BUF_CAP, CONFIRM_RESYNC, FIRST_FRAME_SEARCH, KEEP_BACK, MAX_GET};

pub(super) struct Window<'a, R> {
    pub(super) r: &'a mut R,
    pub(super) buf: Vec<u8>,
    /// File offset of `buf[0]`.
    pub(super) start: u64,
    pub(super) filled: usize,
    /// Where the reader is positioned, when known.
    pub(super) file_pos: Option<u64>,
    /// Nothing at or past this offset is read (end of the audio region, or real end of file).
    pub(super) end: u64,
    /// Whether a refill reads as much as the buffer holds (the default), or only a little past
    /// what is asked for: for costly reads (a hosted file), where reading ahead of the head
    /// costs a request and bytes that a measurement from the header does not need.
    pub(super) read_ahead: bool,
}

/// How far past what is asked a refill reads without `read_ahead`.
const SHORT_READ_AHEAD: u64 = 4096;

impl<'a, R: Read + Seek> Window<'a, R> {
    pub(super) fn new(r: &'a mut R, end: u64) -> Self {
        Window {
            r,
            // small files get a small buffer
            buf: vec![0; end.min(BUF_CAP as u64) as usize],
            start: 0,
            filled: 0,
            file_pos: None,
            end,
            read_ahead: true,
        }
    }

    /// Up to `n` bytes at `pos` (fewer only at the end of the region).
    pub(super) fn get(&mut self, pos: u64, n: usize) -> io::Result<&[u8]> {
        let n = n.min(MAX_GET);
        if pos >= self.end {
            return Ok(&[]);
        }
        let want_end = pos.saturating_add(n as u64).min(self.end);
        let buf_end = self.start + self.filled as u64;
        if pos < self.start || want_end > buf_end {
            let keep_from = pos.saturating_sub(KEEP_BACK).max(self.start);
            if pos >= self.start && keep_from < buf_end {
                let off = (keep_from - self.start) as usize;
                self.buf.copy_within(off..self.filled, 0);
                self.filled -= off;
                self.start = keep_from;
            } else {
                self.filled = 0;
                self.start = pos;
            }
            let read_from = self.start + self.filled as u64;
            if self.file_pos != Some(read_from) {
                self.file_pos = None;
                self.r.seek(SeekFrom::Start(read_from))?;
                self.file_pos = Some(read_from);
            }
            let mut cap = self.end.saturating_sub(self.start).min(self.buf.len() as u64);
            if !self.read_ahead {
                cap = cap.min(want_end.saturating_add(SHORT_READ_AHEAD) - self.start);
            }
            let cap = cap as usize;
            while self.filled < cap {
                match self.r.read(&mut self.buf[self.filled..cap]) {
                    Ok(0) => {
                        // the file is shorter than the caller said
                        self.end = self.start + self.filled as u64;
                        break;
                    }
                    Ok(k) => {
                        self.filled += k.min(cap - self.filled);
                        self.file_pos = Some(self.start + self.filled as u64);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.file_pos = None;
                        return Err(e);
                    }
                }
            }
        }
        let buf_end = self.start + self.filled as u64;
        if pos < self.start || pos >= buf_end {
            return Ok(&[]);
        }
        let off = (pos - self.start) as usize;
        let k = (want_end.min(buf_end) - pos) as usize;
        Ok(&self.buf[off..off + k])
    }
}

// Generic frame walker

pub(super) trait FrameHeader: Copy {
    const HEADER_LEN: usize;
    fn parse(b: &[u8]) -> Option<Self>;
    fn frame_len(&self) -> u64;
    fn same_stream(&self, other: &Self) -> bool;
    /// Whether `b` (shorter than a header) looks like the start of a header.
    fn partial_sync(b: &[u8]) -> bool;
}

pub(super) fn header_at<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    pos: u64,
) -> io::Result<Option<F>> {
    let b = w.get(pos, F::HEADER_LEN)?;
    Ok(if b.len() == F::HEADER_LEN {
        F::parse(b)
    } else {
        None
    })
}

/// True if `h` at `pos` is followed by `n - 1` further consistent frames (or the region ends
/// exactly after a complete frame, or a later frame runs past the end).
fn confirm<F: FrameHeader, R: Read + Seek>(w: &mut Window<R>, pos: u64, h: &F, n: u32) -> io::Result<bool> {
    let mut p = pos;
    let mut cur = *h;
    for i in 0..n {
        let next = p.saturating_add(cur.frame_len());
        if next > w.end {
            return Ok(i > 0);
        }
        if next == w.end || i + 1 == n {
            return Ok(true);
        }
        match header_at::<F, R>(w, next)? {
            Some(nh) if nh.same_stream(h) => {
                p = next;
                cur = nh;
            }
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Position of the next 0xFF byte in `[pos, limit)`.
fn next_ff<R: Read + Seek>(w: &mut Window<R>, mut pos: u64, limit: u64) -> io::Result<Option<u64>> {
    while pos < limit {
        let b = w.get(pos, 4096)?;
        if b.is_empty() {
            return Ok(None);
        }
        let span = (b.len() as u64).min(limit - pos) as usize;
        if let Some(i) = b[..span].iter().position(|&x| x == 0xFF) {
            return Ok(Some(pos + i as u64));
        }
        pos += span as u64;
    }
    Ok(None)
}

/// True when a run of consistent frames (like `reference`) found in `[from, end)` ends exactly
/// at `end`: at least `n` frames long, or starting at `from` itself (a stream shorter than that).
/// For a stream whose length a header gives: the tail is all that is read.
pub(super) fn frames_end_at<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    from: u64,
    end: u64,
    reference: &F,
    n: u32,
) -> io::Result<bool> {
    let mut pos = from;
    while let Some(p) = next_ff(w, pos, end.min(w.end))? {
        if let Some(h) = header_at::<F, R>(w, p)?.filter(|h| h.same_stream(reference)) {
            let (mut q, mut cur, mut count) = (p, h, 0u32);
            loop {
                let next = q.saturating_add(cur.frame_len());
                count += 1;
                if next == end && (count >= n || p == from) {
                    return Ok(true);
                }
                if next >= end {
                    break;
                }
                match header_at::<F, R>(w, next)? {
                    Some(nh) if nh.same_stream(reference) => (q, cur) = (next, nh),
                    _ => break,
                }
            }
        }
        pos = p + 1;
    }
    Ok(false)
}

/// First confirmed frame in `[from, limit)` consistent with `reference` (if given).
pub(super) fn scan<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    from: u64,
    limit: u64,
    reference: Option<&F>,
    n_confirm: u32,
    mut on_reject: impl FnMut(&mut Window<R>, u64) -> Result<(), ParseError>,
) -> Result<Option<(u64, F)>, ParseError> {
    let mut pos = from;
    while let Some(p) = next_ff(w, pos, limit.min(w.end))? {
        match header_at::<F, R>(w, p)? {
            Some(h) if reference.is_none_or(|r| h.same_stream(r)) => {
                if confirm(w, p, &h, n_confirm)? {
                    return Ok(Some((p, h)));
                }
            }
            _ => on_reject(w, p)?,
        }
        pos = p + 1;
    }
    Ok(None)
}

/// The error when no first frame was found: Truncated if a frame starts right after the tags
/// but runs past the end of the file, Invalid otherwise.
pub(super) fn no_first_frame<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    start: u64,
    what: &str,
) -> Result<ParseError, ParseError> {
    if start >= w.end {
        return Ok(ParseError::Invalid(
            "the file holds no audio data after its tags".into(),
        ));
    }
    if let Some(h) = header_at::<F, R>(w, start)? {
        let len = h.frame_len();
        if start.saturating_add(len) > w.end {
            return Ok(ParseError::Truncated(format!(
                "the first {what} frame (at byte {start}) needs {len} bytes but the file ends after {}",
                w.end
            )));
        }
    }
    Ok(ParseError::Invalid(format!(
        "no {what} frame found in the first {} bytes after the tags",
        w.end.saturating_sub(start).min(FIRST_FRAME_SEARCH)
    )))
}

pub(super) struct Walk {
    pub(super) frames: u64,
    pub(super) audio_bytes: u64,
    pub(super) skipped: u64,
    /// The part of `skipped` after the last frame.
    pub(super) trailing: u64,
    /// Bytes skipped in runs that valid frames follow (damage in the middle of the stream).
    pub(super) skipped_mid: u64,
    /// Where the first such run starts.
    pub(super) first_bad: Option<u64>,
    pub(super) truncated: Option<String>,
}

impl Walk {
    /// What the walk found, as [`FrameStream`](super::FrameStream): `first_pos` is where the
    /// first frame starts in `region`, `samples` the playable samples, `raw_samples` those the
    /// walked frames hold (the average bitrate's time base), `truncated` the walk's verdict or
    /// the caller's.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn stream(
        &self,
        region: &super::tags::Region,
        first_pos: u64,
        sample_rate: u32,
        channels: u8,
        samples: u64,
        raw_samples: u64,
        truncated: Option<String>,
    ) -> super::FrameStream {
        let raw_seconds = crate::probe::bytes::duration(raw_samples, sample_rate);
        super::FrameStream {
            sample_rate,
            channels,
            frames: self.frames,
            samples,
            duration_s: crate::probe::bytes::duration(samples, sample_rate),
            avg_bitrate_kbps: self.audio_bytes as f64 * 8.0 / raw_seconds / 1000.0,
            audio_start: first_pos,
            audio_bytes: self.audio_bytes,
            leading_tag_bytes: region.leading_tag_bytes,
            trailing_tag_bytes: region.trailing_tag_bytes,
            leading_junk_bytes: first_pos - region.start,
            skipped_bytes: self.skipped,
            trailing_junk_bytes: self.trailing,
            truncated,
        }
    }

    /// Fails when the bytes that are not frames outweigh the frames: then the file is not this
    /// format, or mostly damage. Much junk after the last frame is trailing data (a warning, see
    /// the caller), not damage, and does not count.
    pub(super) fn check_mostly_frames(&self, len: u64, what: &str) -> Result<(), ParseError> {
        let junk = if crate::probe::is_trailing_data(len, self.trailing) {
            self.skipped - self.trailing
        } else {
            self.skipped
        };
        if junk > self.audio_bytes {
            return Err(ParseError::Invalid(format!(
                "only {} of {} bytes are valid {what} frames",
                self.audio_bytes,
                self.audio_bytes + self.skipped
            )));
        }
        Ok(())
    }
}

/// Walks frames from `pos` to the end of the region, resyncing over garbage.
pub(super) fn walk<F: FrameHeader, R: Read + Seek>(
    w: &mut Window<R>,
    mut pos: u64,
    reference: &F,
    what: &str,
    mut on_frame: impl FnMut(&F),
) -> Result<Walk, ParseError> {
    let mut st = Walk {
        frames: 0,
        audio_bytes: 0,
        skipped: 0,
        trailing: 0,
        skipped_mid: 0,
        first_bad: None,
        truncated: None,
    };
    while pos < w.end {
        let h = match header_at::<F, R>(w, pos)? {
            Some(h) if h.same_stream(reference) => h,
            _ => {
                let found = scan::<F, R>(w, pos + 1, u64::MAX, Some(reference), CONFIRM_RESYNC, |_, _| {
                    Ok(())
                })?;
                match found {
                    Some((p, h)) => {
                        st.skipped += p - pos;
                        st.skipped_mid += p - pos;
                        st.first_bad.get_or_insert(pos);
                        pos = p;
                        h
                    }
                    None => {
                        let rem = w.end.saturating_sub(pos);
                        let b = w.get(pos, F::HEADER_LEN)?;
                        if (rem as usize) < F::HEADER_LEN && F::partial_sync(b) {
                            st.truncated = Some(format!(
                                "the file ends inside the header of the frame at byte {pos}"
                            ));
                        } else {
                            st.skipped += rem;
                            st.trailing = rem;
                        }
                        break;
                    }
                }
            }
        };
        let len = h.frame_len();
        let frame_end = pos.saturating_add(len);
        if frame_end > w.end {
            st.truncated = Some(format!(
                "the last {what} frame (at byte {pos}) needs {len} bytes but only {} remain",
                w.end.saturating_sub(pos)
            ));
            break;
        }
        on_frame(&h);
        st.frames += 1;
        st.audio_bytes += len;
        pos = frame_end;
    }
    Ok(st)
}

// ---------------------------------------------------------------------------------------------
