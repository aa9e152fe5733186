//! Header-only ISO-BMFF parser for MP4 / M4A / MOV files: walks the box tree with `Seek`, reads
//! only metadata boxes (never `mdat` payloads, at most 64 KiB at a time) and reports the brand,
//! tracks, codecs, exact durations and sample counts. It never panics on hostile input.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};

/// Largest amount of bytes read from the file in one go (and the largest buffer kept).
const WINDOW: usize = 64 * 1024;
/// How much of a sample description box (`stsd`) is looked at.
const STSD_CAP: usize = 64 * 1024;
/// Largest number of samples in the last chunk whose sizes are summed for the data-end check.
const LAST_CHUNK_SAMPLES_CAP: u64 = 1 << 20;
/// Largest number of distinct sample durations counted per track (for the nominal frame rate).
const DURATION_KINDS_CAP: usize = 32;

use super::ParseError;
use super::bytes::{fourcc, u16_be, u32_be, u64_be};

/// Kind of a track, from its media handler (`hdlr`) type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackKind {
    /// Handler `vide`.
    Video,
    /// Handler `soun`.
    Audio,
    /// Any other handler (`text`, `sbtl`, `subt`, `tmcd`, `meta`, `hint`, ...), as its fourcc.
    Other(String),
}

/// One track (`trak`) of the movie.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Track {
    /// Track ID from `tkhd` (what `tfhd`/`trex` refer to).
    pub track_id: u32,
    /// Video, audio or other, from the media handler.
    pub kind: TrackKind,
    /// Fourcc of the first sample entry in `stsd` ("avc1", "hvc1", "mp4a", "Opus", "sowt", ...).
    pub codec_tag: String,
    /// ffprobe-style codec name ("h264", "hevc", "aac", "mp3", "pcm_s16le", ...); empty if unknown.
    pub codec: String,
    /// Coded width from the visual sample entry.
    pub width: Option<u32>,
    /// Coded height from the visual sample entry.
    pub height: Option<u32>,
    /// Nominal frame rate (video tracks only): timescale / the most common sample duration,
    /// counted over the `stts` entries and every `trun` (per-sample, `tfhd` or `trex` default
    /// durations); durations one tick off the most common one (rounding jitter) are averaged in.
    /// For constant-rate video this is ffprobe's `r_frame_rate`, also when the muxer stretched
    /// the first sample (fragmented MP4 with audio priming).
    pub fps: Option<f64>,
    /// Average frame rate = sample_count / duration_s (video tracks only), ffprobe's
    /// `avg_frame_rate`; differs from `fps` for variable-frame-rate material or stretched samples.
    pub avg_fps: Option<f64>,
    /// Audio sample rate (sample entry field, or the mdhd timescale when that field is 0 or
    /// cannot express the rate).
    pub sample_rate: Option<u32>,
    /// Audio channel count from the sample entry.
    pub channels: Option<u16>,
    /// Media timescale from `mdhd` (ticks per second).
    pub timescale: u32,
    /// Sum of all sample durations the file holds (`stts` plus every `trun`), in timescale ticks.
    pub duration_ticks: u64,
    /// `duration_ticks / timescale`: the duration of the media this track really holds.
    pub duration_s: Option<f64>,
    /// Duration claimed by `mdhd` (None when 0/unknown, as in fragmented files); compare with
    /// `duration_s` to detect inconsistent headers.
    pub header_duration_s: Option<f64>,
    /// Presentation duration from the edit list (`elst`, sum of non-empty edits in the movie
    /// timescale); this is what ffprobe reports as the stream duration when it differs from the
    /// media duration (e.g. AAC/Opus encoder priming trimmed by an edit).
    pub edit_duration_s: Option<f64>,
    /// Number of samples (frames) in `stsz`, plus all `trun` sample counts when fragmented.
    pub sample_count: u64,
}

/// Result of probing an MP4 / M4A / MOV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Info {
    /// Major brand from `ftyp` ("isom", "M4A ", "qt  ", ...); empty when there is no `ftyp`.
    pub major_brand: String,
    /// True when `moov` has an `mvex` box or any `moof` box exists.
    pub fragmented: bool,
    /// Movie duration: `mvhd` duration for regular files; for fragmented files the `mehd`
    /// fragment duration when present, else the longest track. Falls back to the longest
    /// track when `mvhd` says 0.
    pub duration_s: Option<f64>,
    /// Fragment duration from `mehd` (fragmented files only, None when absent or 0).
    pub fragment_duration_s: Option<f64>,
    /// Tracks in file order.
    pub tracks: Vec<Mp4Track>,
    /// Zero bytes after the last top-level box (see `trailing-data`).
    pub trailing_bytes: u64,
}

/// Probes an MP4 / M4A / MOV file of `len` bytes, reading only its metadata boxes.
pub fn probe<R: Read + Seek>(r: &mut R, len: u64) -> Result<Mp4Info, ParseError> {
    if len == 0 {
        return Err(ParseError::Invalid("the file is empty".into()));
    }
    if len < 8 {
        return Err(ParseError::Invalid(format!(
            "the file is only {len} bytes long, too short to be an MP4/MOV file"
        )));
    }
    let mut src = Src {
        r,
        len,
        buf: Vec::new(),
        buf_pos: 0,
    };
    let mut st = State::default();
    let mut pos = 0u64;
    // The first box must be one an ISO-BMFF / QuickTime file can start with.
    const START: [&[u8; 4]; 13] = [
        b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"moof", b"sidx",
        b"pdin", b"meta",
    ];
    let head = src.exact(0, 8, 8, "first box header")?;
    if !START.iter().any(|t| head.get(4..8) == Some(&t[..])) {
        return Err(ParseError::Invalid(
            "not an MP4/MOV file: it does not start with an ISO-BMFF box (ftyp, moov, mdat, ...)".into(),
        ));
    }
    let mut trailing_bytes = 0;
    while pos < len {
        let h = match top_header(&mut src, pos)? {
            Some(h) => h,
            None => {
                trailing_bytes = len - pos;
                break;
            }
        };
        match &h.typ {
            b"ftyp" if st.major_brand.is_none() => {
                let p = src.payload(&h, 4)?;
                if p.len() == 4 {
                    st.major_brand = Some(fourcc(&p));
                }
            }
            b"moov" if !st.has_moov => {
                st.has_moov = true;
                parse_moov(&mut src, &h, &mut st)?;
            }
            b"moof" => {
                st.has_moof = true;
                parse_moof(&mut src, &h, &mut st)?;
            }
            _ => {}
        }
        pos = h.end;
    }
    if !st.has_moov {
        return Err(ParseError::Truncated(
            "no moov box: the file was not finalised (recording or encode interrupted) or is cut short"
                .into(),
        ));
    }
    let mut info = finish(st, len)?;
    info.trailing_bytes = trailing_bytes;
    Ok(info)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Windowed reader over absolute file positions; never reads at or past a caller-given limit.
struct Src<'a, R> {
    r: &'a mut R,
    len: u64,
    buf: Vec<u8>,
    buf_pos: u64,
}

impl<R: Read + Seek> Src<'_, R> {
    /// Up to `n` (at most `WINDOW`) bytes at `pos`, never at or beyond `limit` (or the file end).
    /// Fewer bytes are returned only when the limit or the end of the data is reached.
    fn get(&mut self, pos: u64, n: usize, limit: u64) -> io::Result<&[u8]> {
        let limit = limit.min(self.len);
        if pos >= limit {
            return Ok(&[]);
        }
        let avail = limit - pos;
        let want = (n.min(WINDOW) as u64).min(avail) as usize;
        let buf_end = self.buf_pos.saturating_add(self.buf.len() as u64);
        let hit = pos >= self.buf_pos && pos.saturating_add(want as u64) <= buf_end;
        if !hit {
            let fill = (WINDOW as u64).min(avail) as usize;
            self.r.seek(SeekFrom::Start(pos))?;
            self.buf.clear();
            self.buf.resize(fill, 0);
            let mut got = 0;
            while got < fill {
                match self.r.read(&mut self.buf[got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.buf.truncate(got);
            self.buf_pos = pos;
        }
        let start = usize::try_from(pos - self.buf_pos).unwrap_or(usize::MAX);
        let start = start.min(self.buf.len());
        let end = start.saturating_add(want).min(self.buf.len());
        Ok(&self.buf[start..end])
    }

    /// Exactly `n` bytes at `pos` (below `limit`), else a `Truncated` error.
    fn exact(&mut self, pos: u64, n: usize, limit: u64, what: &str) -> Result<Vec<u8>, ParseError> {
        let len = self.len;
        let b = self.get(pos, n, limit)?;
        if b.len() < n {
            return Err(ParseError::Truncated(format!(
                "the file ends at byte {len} while reading the {what} at byte {pos}"
            )));
        }
        Ok(b.to_vec())
    }

    /// The first `n` (capped) bytes of a box payload; shorter if the payload is shorter.
    fn payload(&mut self, h: &BoxHdr, n: usize) -> Result<Vec<u8>, ParseError> {
        let n = n.min(WINDOW);
        Ok(self.get(h.payload, n, h.end)?.to_vec())
    }

    /// Calls `f` for each of `count` records of `size` bytes starting at `pos` (below `limit`).
    fn records(
        &mut self,
        mut pos: u64,
        count: u64,
        size: usize,
        limit: u64,
        mut f: impl FnMut(&[u8]),
    ) -> Result<(), ParseError> {
        if size == 0 {
            return Ok(());
        }
        let per = (WINDOW / size).max(1) as u64;
        let mut left = count;
        while left > 0 {
            let k = left.min(per);
            let want = (k as usize).saturating_mul(size);
            let len = self.len;
            let b = self.get(pos, want, limit)?;
            if b.len() < want {
                return Err(ParseError::Truncated(format!(
                    "the file ends at byte {len} inside a sample table at byte {pos}"
                )));
            }
            for rec in b.chunks_exact(size) {
                f(rec);
            }
            pos = pos.saturating_add(want as u64);
            left -= k;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct BoxHdr {
    typ: [u8; 4],
    start: u64,
    payload: u64,
    end: u64,
}

impl BoxHdr {
    fn payload_len(&self) -> u64 {
        self.end.saturating_sub(self.payload)
    }
}

fn printable(t: &[u8; 4]) -> bool {
    t.iter().all(|&c| (0x20..=0x7e).contains(&c) || c == 0xa9)
}

/// Reads the top-level box header at `pos`. `None` means "stop walking" (zero padding).
fn top_header<R: Read + Seek>(src: &mut Src<R>, pos: u64) -> Result<Option<BoxHdr>, ParseError> {
    let len = src.len;
    let remain = len - pos;
    if remain < 8 {
        return Err(ParseError::Truncated(format!(
            "the file ends inside a box header at byte {pos} ({remain} bytes left)"
        )));
    }
    // A few KiB at most: enough for the header, never a meaningful part of an mdat.
    let b = src.get(pos, 16, pos.saturating_add(4096))?.to_vec();
    let (Some(size32), Some(t)) = (u32_be(&b, 0), b.get(4..8)) else {
        return Err(ParseError::Truncated(format!(
            "the file ends inside a box header at byte {pos}"
        )));
    };
    let typ = [t[0], t[1], t[2], t[3]];
    if size32 == 0 && typ == [0; 4] {
        // Zero padding after the last box (some recorders pre-allocate): nothing more to read.
        return Ok(None);
    }
    if !printable(&typ) {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: unreadable box type at byte {pos} (a preceding box size is probably wrong)"
        )));
    }
    let name = fourcc(&typ);
    let (size, hdr) = match size32 {
        0 => (remain, 8u64),
        1 => {
            if remain < 16 {
                return Err(ParseError::Truncated(format!(
                    "the file ends inside the 64-bit header of the {name} box at byte {pos}"
                )));
            }
            match u64_be(&b, 8) {
                Some(s) => (s, 16),
                None => {
                    return Err(ParseError::Truncated(format!(
                        "the file ends inside the 64-bit header of the {name} box at byte {pos}"
                    )));
                }
            }
        }
        s => (u64::from(s), 8),
    };
    if size < hdr {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: the {name} box at byte {pos} has an impossible size of {size} bytes"
        )));
    }
    if size > remain {
        return Err(ParseError::Truncated(format!(
            "the {name} box at byte {pos} declares {size} bytes but only {remain} remain"
        )));
    }
    Ok(Some(BoxHdr {
        typ,
        start: pos,
        payload: pos + hdr,
        end: pos + size,
    }))
}

/// Reads the next child box of `parent` at `*pos` and advances `*pos` past it.
fn next_child<R: Read + Seek>(
    src: &mut Src<R>,
    pos: &mut u64,
    parent: &BoxHdr,
) -> Result<Option<BoxHdr>, ParseError> {
    let p = *pos;
    let end = parent.end;
    if p >= end || end - p < 8 {
        // QuickTime allows a 4-byte zero terminator at the end of some containers.
        return Ok(None);
    }
    let b = src.exact(p, 8, end, "box header")?;
    let size32 = u32_be(&b, 0).unwrap_or(0);
    let typ = [b[4], b[5], b[6], b[7]];
    let pname = fourcc(&parent.typ);
    let name = fourcc(&typ);
    let (size, hdr) = match size32 {
        0 => (end - p, 8u64),
        1 => {
            let b = src.exact(p, 16, end, "box header")?;
            (u64_be(&b, 8).unwrap_or(0), 16)
        }
        s => (u64::from(s), 8),
    };
    if size < hdr {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: the {name} box at byte {p} inside {pname} has an impossible size of {size} bytes"
        )));
    }
    if size > end - p {
        return Err(ParseError::Invalid(format!(
            "corrupt box structure: the {name} box at byte {p} declares {size} bytes, overflowing its parent {pname} which ends at byte {end}"
        )));
    }
    *pos = p + size;
    Ok(Some(BoxHdr {
        typ,
        start: p,
        payload: p + hdr,
        end: p + size,
    }))
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Default)]
struct State {
    major_brand: Option<String>,
    has_moov: bool,
    has_moof: bool,
    has_mvex: bool,
    movie_timescale: u32,
    movie_duration: u64,
    mehd: u64,
    trex_duration: BTreeMap<u32, u32>,
    traks: Vec<Trak>,
    frags: BTreeMap<u32, Frag>,
}

#[derive(Default)]
struct Frag {
    samples: u64,
    duration: u64,
    /// Samples whose duration comes from `trex` (neither trun nor tfhd gives one).
    need_trex: u64,
    /// Sample durations of the truns whose durations are known.
    durations: Durations,
}

/// How many samples have each duration (in ticks), to find the most common one cheaply. At most
/// [`DURATION_KINDS_CAP`] durations are kept; a new one then replaces the rarest, inheriting its
/// count (the "space-saving" heavy-hitter count: a duration held by a large share of the
/// samples is never lost).
#[derive(Default, Clone, Debug)]
struct Durations(Vec<(u32, u64)>);

impl Durations {
    /// Counts `n` samples of `dur` ticks (zero durations are ignored).
    fn add(&mut self, dur: u32, n: u64) {
        if dur == 0 || n == 0 {
            return;
        }
        if let Some(e) = self.0.iter_mut().find(|e| e.0 == dur) {
            e.1 = e.1.saturating_add(n);
        } else if self.0.len() < DURATION_KINDS_CAP {
            self.0.push((dur, n));
        } else if let Some(e) = self.0.iter_mut().min_by_key(|e| e.1) {
            *e = (dur, e.1.saturating_add(n));
        }
    }

    fn merge(&mut self, other: &Durations) {
        for &(d, n) in &other.0 {
            self.add(d, n);
        }
    }

    /// The count-weighted mean of the most common duration (the shorter one on a tie) and the
    /// durations one tick off it, in ticks.
    fn nominal(&self) -> Option<f64> {
        let &(mode, _) = self.0.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        let (mut ticks, mut count) = (0f64, 0f64);
        for &(d, n) in &self.0 {
            if d.abs_diff(mode) <= 1 {
                ticks += f64::from(d) * n as f64;
                count += n as f64;
            }
        }
        (count > 0.0).then(|| ticks / count)
    }
}

#[derive(Default)]
struct Trak {
    track_id: u32,
    handler: Option<[u8; 4]>,
    timescale: u32,
    mdhd_duration: u64,
    edit_duration: Option<u64>,
    entry: Entry,
    stts_samples: Option<u64>,
    stts_duration: u64,
    /// Sample durations from `stts`.
    durations: Durations,
    stsz_samples: Option<u64>,
    /// (offset of the last chunk, bytes known to be in it, at least 1)
    data_end: Option<u64>,
}

#[derive(Default)]
struct Entry {
    tag: String,
    codec: String,
    width: Option<u32>,
    height: Option<u32>,
    rate_field: u32,
    channels: Option<u16>,
}

fn full_box_version(p: &[u8]) -> u8 {
    p.first().copied().unwrap_or(0)
}

/// (timescale, duration) of an mvhd/mdhd payload; unknown durations (all ones) become 0.
fn header_times(p: &[u8]) -> Option<(u32, u64)> {
    if full_box_version(p) == 1 {
        let ts = u32_be(p, 20)?;
        let d = u64_be(p, 24)?;
        Some((ts, if d == u64::MAX { 0 } else { d }))
    } else {
        let ts = u32_be(p, 12)?;
        let d = u32_be(p, 16)?;
        Some((ts, if d == u32::MAX { 0 } else { u64::from(d) }))
    }
}

fn short(h: &BoxHdr) -> ParseError {
    ParseError::Invalid(format!(
        "corrupt box structure: the {} box at byte {} is too short ({} bytes)",
        fourcc(&h.typ),
        h.start,
        h.end - h.start
    ))
}

fn parse_moov<R: Read + Seek>(src: &mut Src<R>, moov: &BoxHdr, st: &mut State) -> Result<(), ParseError> {
    let mut pos = moov.payload;
    while let Some(h) = next_child(src, &mut pos, moov)? {
        match &h.typ {
            b"mvhd" => {
                let p = src.payload(&h, 32)?;
                let (ts, d) = header_times(&p).ok_or_else(|| short(&h))?;
                st.movie_timescale = ts;
                st.movie_duration = d;
            }
            b"trak" => {
                let t = parse_trak(src, &h)?;
                st.traks.push(t);
            }
            b"mvex" => {
                st.has_mvex = true;
                let mut q = h.payload;
                while let Some(c) = next_child(src, &mut q, &h)? {
                    match &c.typ {
                        b"mehd" => {
                            let p = src.payload(&c, 12)?;
                            let d = if full_box_version(&p) == 1 {
                                u64_be(&p, 4)
                            } else {
                                u32_be(&p, 4).map(u64::from)
                            };
                            st.mehd = d.ok_or_else(|| short(&c))?;
                        }
                        b"trex" => {
                            let p = src.payload(&c, 24)?;
                            let (Some(id), Some(d)) = (u32_be(&p, 4), u32_be(&p, 12)) else {
                                return Err(short(&c));
                            };
                            st.trex_duration.insert(id, d);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_trak<R: Read + Seek>(src: &mut Src<R>, trak: &BoxHdr) -> Result<Trak, ParseError> {
    let mut t = Trak::default();
    let mut stsd = None;
    let mut tables = Tables::default();
    let mut pos = trak.payload;
    while let Some(h) = next_child(src, &mut pos, trak)? {
        match &h.typ {
            b"tkhd" => {
                let p = src.payload(&h, 24)?;
                let id = if full_box_version(&p) == 1 {
                    u32_be(&p, 20)
                } else {
                    u32_be(&p, 12)
                };
                t.track_id = id.ok_or_else(|| short(&h))?;
            }
            b"edts" => {
                let mut q = h.payload;
                while let Some(c) = next_child(src, &mut q, &h)? {
                    if &c.typ == b"elst" {
                        t.edit_duration = parse_elst(src, &c)?;
                    }
                }
            }
            b"mdia" => {
                let mut q = h.payload;
                while let Some(c) = next_child(src, &mut q, &h)? {
                    match &c.typ {
                        b"mdhd" => {
                            let p = src.payload(&c, 32)?;
                            let (ts, d) = header_times(&p).ok_or_else(|| short(&c))?;
                            t.timescale = ts;
                            t.mdhd_duration = d;
                        }
                        b"hdlr" => {
                            let p = src.payload(&c, 12)?;
                            let s = p.get(8..12).ok_or_else(|| short(&c))?;
                            t.handler = Some([s[0], s[1], s[2], s[3]]);
                        }
                        b"minf" => {
                            let mut m = c.payload;
                            while let Some(s) = next_child(src, &mut m, &c)? {
                                if &s.typ != b"stbl" {
                                    continue;
                                }
                                let mut k = s.payload;
                                while let Some(b) = next_child(src, &mut k, &s)? {
                                    match &b.typ {
                                        b"stsd" => stsd = Some(b),
                                        b"stts" => tables.stts = Some(b),
                                        b"stsz" | b"stz2" => tables.stsz = Some(b),
                                        b"stsc" => tables.stsc = Some(b),
                                        b"stco" | b"co64" => tables.stco = Some(b),
                                        _ => {}
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(b) = stsd {
        let p = src.payload(&b, STSD_CAP)?;
        t.entry = parse_stsd(&p, t.handler, t.timescale);
    }
    tables.read(src, &mut t)?;
    Ok(t)
}

/// Sum of the non-empty edit segment durations (movie timescale), None when there is none.
fn parse_elst<R: Read + Seek>(src: &mut Src<R>, h: &BoxHdr) -> Result<Option<u64>, ParseError> {
    let p = src.payload(h, 8)?;
    let n = u64::from(u32_be(&p, 4).ok_or_else(|| short(h))?);
    let v1 = full_box_version(&p) == 1;
    let size = if v1 { 20 } else { 12 };
    check_fits(h, 8, n, size, "edit list")?;
    let mut total = 0u64;
    let mut any = false;
    src.records(h.payload + 8, n, size as usize, h.end, |r| {
        let (d, t) = if v1 {
            (u64_be(r, 0).unwrap_or(0), u64_be(r, 8).unwrap_or(0) as i64)
        } else {
            (
                u64::from(u32_be(r, 0).unwrap_or(0)),
                i64::from(u32_be(r, 4).unwrap_or(0) as i32),
            )
        };
        if t != -1 {
            total = total.saturating_add(d);
            any = true;
        }
    })?;
    Ok((any && total > 0).then_some(total))
}

fn check_fits(h: &BoxHdr, head: u64, n: u64, size: u64, what: &str) -> Result<(), ParseError> {
    let need = n.saturating_mul(size).saturating_add(head);
    if need > h.payload_len() {
        return Err(ParseError::Invalid(format!(
            "corrupt {what}: the {} box at byte {} declares {n} entries but only has room for {}",
            fourcc(&h.typ),
            h.start,
            h.payload_len().saturating_sub(head) / size.max(1)
        )));
    }
    Ok(())
}

#[derive(Default)]
struct Tables {
    stts: Option<BoxHdr>,
    stsz: Option<BoxHdr>,
    stsc: Option<BoxHdr>,
    stco: Option<BoxHdr>,
}

impl Tables {
    fn read<R: Read + Seek>(&self, src: &mut Src<R>, t: &mut Trak) -> Result<(), ParseError> {
        if let Some(h) = self.stts {
            let p = src.payload(&h, 8)?;
            let n = u64::from(u32_be(&p, 4).ok_or_else(|| short(&h))?);
            check_fits(&h, 8, n, 8, "time-to-sample table")?;
            let (mut cnt, mut dur) = (0u64, 0u64);
            let mut kinds = Durations::default();
            src.records(h.payload + 8, n, 8, h.end, |r| {
                let c = u64::from(u32_be(r, 0).unwrap_or(0));
                let d = u32_be(r, 4).unwrap_or(0);
                kinds.add(d, c);
                cnt = cnt.saturating_add(c);
                dur = dur.saturating_add(c.saturating_mul(u64::from(d)));
            })?;
            t.stts_samples = Some(cnt);
            t.stts_duration = dur;
            t.durations = kinds;
        }
        // stsz / stz2: sample count and how to get the size of sample i.
        let mut sizes: Option<(BoxHdr, u64, u32, u8)> = None; // (box, count, const size, field bits)
        if let Some(h) = self.stsz {
            let p = src.payload(&h, 12)?;
            let (Some(a), Some(n)) = (u32_be(&p, 4), u32_be(&p, 8)) else {
                return Err(short(&h));
            };
            let n = u64::from(n);
            if &h.typ == b"stz2" {
                let bits = (a & 0xff) as u8;
                if !matches!(bits, 4 | 8 | 16) {
                    return Err(ParseError::Invalid(format!(
                        "corrupt sample size table: the stz2 box at byte {} uses a field size of {bits} bits",
                        h.start
                    )));
                }
                let need = n.saturating_mul(u64::from(bits)).div_ceil(8);
                check_fits(&h, 12 + need, 0, 1, "sample size table")?;
                sizes = Some((h, n, 0, bits));
            } else {
                if a == 0 {
                    check_fits(&h, 12, n, 4, "sample size table")?;
                }
                sizes = Some((h, n, a, 32));
            }
            t.stsz_samples = Some(n);
        }
        // Last chunk: its offset and (when sizes are per sample) its byte size.
        if let Some(h) = self.stco {
            let p = src.payload(&h, 8)?;
            let n = u64::from(u32_be(&p, 4).ok_or_else(|| short(&h))?);
            let wide = &h.typ == b"co64";
            let w = if wide { 8 } else { 4 };
            check_fits(&h, 8, n, w, "chunk offset table")?;
            if n > 0 {
                let at = h.payload + 8 + (n - 1) * w;
                let b = src.exact(at, w as usize, h.end, "chunk offset table")?;
                let off = if wide {
                    u64_be(&b, 0).unwrap_or(0)
                } else {
                    u64::from(u32_be(&b, 0).unwrap_or(0))
                };
                let mut bytes = 1u64;
                let spc = match self.stsc {
                    Some(sc) => last_chunk_samples(src, &sc, n)?,
                    None => None,
                };
                // Only per-sample sizes are trusted (a constant size can be a QuickTime
                // per-audio-sample unit that overstates the chunk).
                let last = match (spc, sizes) {
                    (Some(k), Some((sz, count, 0, bits)))
                        if k > 0 && k <= count && k <= LAST_CHUNK_SAMPLES_CAP =>
                    {
                        Some((sz, count - k, k, bits))
                    }
                    _ => None,
                };
                if let Some((sz, from, k, bits)) = last {
                    bytes = sum_sizes(src, &sz, from, k, bits)?.max(1);
                }
                t.data_end = Some(off.saturating_add(bytes));
            }
        }
        Ok(())
    }
}

/// samples_per_chunk of the stsc entry covering the last of `chunks` chunks.
fn last_chunk_samples<R: Read + Seek>(
    src: &mut Src<R>,
    h: &BoxHdr,
    chunks: u64,
) -> Result<Option<u64>, ParseError> {
    let p = src.payload(h, 8)?;
    let n = u64::from(u32_be(&p, 4).ok_or_else(|| short(h))?);
    check_fits(h, 8, n, 12, "sample-to-chunk table")?;
    if n == 0 {
        return Ok(None);
    }
    let b = src.exact(h.payload + 8 + (n - 1) * 12, 12, h.end, "sample-to-chunk table")?;
    let first = u64::from(u32_be(&b, 0).unwrap_or(0));
    let spc = u64::from(u32_be(&b, 4).unwrap_or(0));
    Ok((first >= 1 && first <= chunks).then_some(spc))
}

/// Sum of the sizes of samples `from .. from + n` in an stsz (bits 32) or stz2 table.
fn sum_sizes<R: Read + Seek>(
    src: &mut Src<R>,
    h: &BoxHdr,
    from: u64,
    n: u64,
    bits: u8,
) -> Result<u64, ParseError> {
    let mut total = 0u64;
    match bits {
        32 | 16 | 8 => {
            let w = u64::from(bits / 8);
            let at = h.payload + 12 + from.saturating_mul(w);
            src.records(at, n, w as usize, h.end, |r| {
                let v = match r.len() {
                    4 => u64::from(u32_be(r, 0).unwrap_or(0)),
                    2 => u64::from(u16_be(r, 0).unwrap_or(0)),
                    _ => u64::from(r.first().copied().unwrap_or(0)),
                };
                total = total.saturating_add(v);
            })?;
        }
        _ => total = 0, // 4-bit fields: not worth it, the caller falls back to 1 byte
    }
    Ok(total)
}

// ---------------------------------------------------------------------------------------------
// Sample descriptions

/// Iterates the boxes packed in `data`, stopping at the first malformed one.
fn slice_boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut i = 0usize;
    std::iter::from_fn(move || {
        let size = u32_be(data, i)? as usize;
        let t = data.get(i + 4..i + 8)?;
        let typ = [t[0], t[1], t[2], t[3]];
        let end = if size == 0 {
            data.len()
        } else {
            i.checked_add(size)?
        };
        if size != 0 && size < 8 {
            return None;
        }
        let payload = data.get(i + 8..end)?;
        i = end;
        Some((typ, payload))
    })
}

/// Boxes of interest found in a sample entry's extension area (also inside `wave` / `sinf`).
#[derive(Default)]
struct Ext {
    oti: Option<u8>,
    /// (sample rate, channel configuration) from an AAC AudioSpecificConfig.
    asc: Option<(Option<u32>, u8)>,
    frma: Option<[u8; 4]>,
    little_endian: bool,
    pcmc: Option<(bool, u8)>,
}

fn scan_ext(data: &[u8], ext: &mut Ext, depth: u8) {
    for (typ, p) in slice_boxes(data) {
        match &typ {
            b"esds" if ext.oti.is_none() => {
                if let Some((oti, dsi)) = esds_config(p) {
                    ext.oti = Some(oti);
                    ext.asc = dsi.and_then(aac_config);
                }
            }
            b"wave" | b"sinf" if depth < 3 => scan_ext(p, ext, depth + 1),
            b"frma" => {
                if let Some(s) = p.get(0..4) {
                    ext.frma = Some([s[0], s[1], s[2], s[3]]);
                }
            }
            b"enda" => ext.little_endian = u16_be(p, 0).unwrap_or(0) != 0,
            b"pcmC" => {
                if let (Some(&f), Some(&b)) = (p.get(4), p.get(5)) {
                    ext.pcmc = Some((f & 1 != 0, b));
                }
            }
            _ => {}
        }
    }
}

/// objectTypeIndication and DecoderSpecificInfo bytes from an esds payload
/// (ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo).
fn esds_config(p: &[u8]) -> Option<(u8, Option<&[u8]>)> {
    fn desc(p: &[u8], mut i: usize) -> Option<(u8, usize, usize)> {
        let tag = *p.get(i)?;
        i += 1;
        let mut len = 0usize;
        for _ in 0..4 {
            let b = *p.get(i)?;
            i += 1;
            len = (len << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        Some((tag, i, len))
    }
    let (tag, mut i, _) = desc(p, 4)?;
    if tag != 3 {
        return None;
    }
    i += 2; // ES_ID
    let flags = *p.get(i)?;
    i += 1;
    if flags & 0x80 != 0 {
        i += 2;
    }
    if flags & 0x40 != 0 {
        i += 1 + usize::from(*p.get(i)?);
    }
    if flags & 0x20 != 0 {
        i += 2;
    }
    let (tag, i, _) = desc(p, i)?;
    if tag != 4 {
        return None;
    }
    let oti = *p.get(i)?;
    let dsi = desc(p, i + 13).and_then(|(tag, j, len)| {
        if tag == 5 {
            p.get(j..j.checked_add(len)?)
        } else {
            None
        }
    });
    Some((oti, dsi))
}

/// (output sample rate, channelConfiguration) from an AAC AudioSpecificConfig.
fn aac_config(d: &[u8]) -> Option<(Option<u32>, u8)> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    struct Bits<'a>(&'a [u8], usize);
    impl Bits<'_> {
        fn get(&mut self, n: usize) -> Option<u32> {
            let mut v = 0u32;
            for _ in 0..n {
                let byte = *self.0.get(self.1 / 8)?;
                v = (v << 1) | u32::from((byte >> (7 - self.1 % 8)) & 1);
                self.1 += 1;
            }
            Some(v)
        }
        fn rate(&mut self) -> Option<Option<u32>> {
            let i = self.get(4)?;
            Some(if i == 15 {
                Some(self.get(24)?)
            } else {
                RATES.get(i as usize).copied()
            })
        }
    }
    let mut b = Bits(d, 0);
    let mut aot = b.get(5)?;
    if aot == 31 {
        aot = 32 + b.get(6)?;
    }
    let mut rate = b.rate()?;
    let chan = b.get(4)? as u8;
    if aot == 5 || aot == 29 {
        // Explicit SBR / PS signalling: the output rate is the extension rate.
        rate = b.rate()?;
    }
    Some((rate, chan))
}

fn parse_stsd(p: &[u8], handler: Option<[u8; 4]>, timescale: u32) -> Entry {
    let mut e = Entry::default();
    let stsd_version = full_box_version(p);
    let Some(size) = u32_be(p, 8) else {
        return e;
    };
    let Some(t) = p.get(12..16) else {
        return e;
    };
    let tag = [t[0], t[1], t[2], t[3]];
    e.tag = fourcc(&tag);
    let end = 8usize.saturating_add(size as usize).min(p.len());
    let entry = p.get(8..end).unwrap_or(&[]);
    let mut ext = Ext::default();
    let mut bits = 16u16;
    let mut lpcm: Option<(u32, u32)> = None;
    match handler.as_ref() {
        Some(b"vide") => {
            e.width = u16_be(entry, 32).map(u32::from).filter(|&w| w > 0);
            e.height = u16_be(entry, 34).map(u32::from).filter(|&h| h > 0);
            if let Some(x) = entry.get(86..) {
                scan_ext(x, &mut ext, 0);
            }
        }
        Some(b"soun") => {
            let version = if stsd_version == 0 {
                u16_be(entry, 16).unwrap_or(0)
            } else {
                0
            };
            let ext_at = match version {
                1 => 52,
                2 => 72,
                _ => 36,
            };
            if version == 2 {
                let rate = u64_be(entry, 40).map(f64::from_bits).unwrap_or(0.0);
                if (1.0..4.0e9).contains(&rate) {
                    e.rate_field = rate.round() as u32;
                }
                e.channels = u32_be(entry, 48).and_then(|c| u16::try_from(c).ok());
                let b = u32_be(entry, 56).unwrap_or(0);
                bits = u16::try_from(b).unwrap_or(0);
                lpcm = Some((u32_be(entry, 60).unwrap_or(0), b));
            } else {
                e.channels = u16_be(entry, 24);
                bits = u16_be(entry, 26).unwrap_or(16);
                e.rate_field = u32_be(entry, 32).unwrap_or(0) >> 16;
            }
            if let Some(x) = entry.get(ext_at..) {
                scan_ext(x, &mut ext, 0);
            }
            e.rate_field = pick_rate(e.rate_field, timescale).unwrap_or(0);
            let aac = matches!(ext.oti, Some(0x40 | 0x66..=0x68));
            if let (true, b"mp4a", Some((rate, chan))) = (aac, &tag, ext.asc) {
                if let Some(r) = rate {
                    e.rate_field = r;
                }
                let c = match chan {
                    1..=6 => u16::from(chan),
                    7 | 12 | 14 => 8,
                    11 => 7,
                    13 => 24,
                    _ => 0,
                };
                if c > 0 {
                    e.channels = Some(c);
                }
            }
        }
        _ => {}
    }
    let real = match &tag {
        b"encv" | b"enca" | b"encs" | b"enct" => ext.frma.unwrap_or(tag),
        _ => tag,
    };
    e.codec = codec_name(&real, &ext, bits, lpcm);
    e
}

/// Audio sample rate: the sample entry field, unless it is 0 or cannot be right.
fn pick_rate(field: u32, timescale: u32) -> Option<u32> {
    let r = if field == 0
        || (field != timescale && timescale > 65535)
        || (timescale != 0 && u64::from(field) * 2 == u64::from(timescale))
    {
        timescale
    } else {
        field
    };
    (r > 0).then_some(r)
}

fn pcm_name(kind: &str, bits: u32, le: bool) -> String {
    if bits <= 8 {
        return format!("pcm_{kind}8");
    }
    format!("pcm_{kind}{bits}{}", if le { "le" } else { "be" })
}

fn codec_name(tag: &[u8; 4], ext: &Ext, bits: u16, lpcm: Option<(u32, u32)>) -> String {
    let bits32 = u32::from(bits);
    let s = match tag {
        b"avc1" | b"avc2" | b"avc3" | b"avc4" => "h264",
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "hevc",
        b"vvc1" | b"vvi1" => "vvc",
        b"av01" => "av1",
        b"vp08" => "vp8",
        b"vp09" => "vp9",
        b"mp4v" => match ext.oti {
            Some(0x60..=0x65) => "mpeg2video",
            Some(0x6a) => "mpeg1video",
            Some(0x6c) => "mjpeg",
            Some(0x21) => "h264",
            _ => "mpeg4",
        },
        b"s263" | b"h263" => "h263",
        b"jpeg" | b"mjpa" => "mjpeg",
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "prores",
        b"mp4a" => match ext.oti {
            Some(0x69 | 0x6b) => "mp3",
            Some(0xa5) => "ac3",
            Some(0xa6) => "eac3",
            Some(0xa9) => "dts",
            Some(0xad) => "opus",
            Some(0xdd) => "vorbis",
            _ => "aac",
        },
        b".mp3" => "mp3",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b"ac-4" => "ac4",
        b"alac" => "alac",
        b"dtsc" | b"dtsh" | b"dtsl" | b"dtse" => "dts",
        b"samr" => "amr_nb",
        b"sawb" => "amr_wb",
        b"mha1" | b"mhm1" => "mpegh_3d_audio",
        b"ulaw" => "pcm_mulaw",
        b"alaw" => "pcm_alaw",
        b"raw " => "pcm_u8",
        b"sowt" => return pcm_name("s", bits32, true),
        b"twos" => return pcm_name("s", bits32, false),
        b"in24" => return pcm_name("s", 24, ext.little_endian),
        b"in32" => return pcm_name("s", 32, ext.little_endian),
        b"fl32" => return pcm_name("f", 32, ext.little_endian),
        b"fl64" => return pcm_name("f", 64, ext.little_endian),
        b"lpcm" => {
            let (flags, b) = lpcm.unwrap_or((4, bits32));
            let le = flags & 2 == 0;
            return if flags & 1 != 0 {
                pcm_name("f", b, le)
            } else if b <= 8 && flags & 4 == 0 {
                "pcm_u8".into()
            } else {
                pcm_name("s", b, le)
            };
        }
        b"ipcm" | b"fpcm" => {
            let (le, b) = ext.pcmc.unwrap_or((false, bits as u8));
            let kind = if tag == b"fpcm" { "f" } else { "s" };
            return pcm_name(kind, u32::from(b), le);
        }
        b"tx3g" | b"text" => "mov_text",
        b"wvtt" => "webvtt",
        b"stpp" => "ttml",
        b"c608" => "eia_608",
        _ => "",
    };
    s.into()
}

// ---------------------------------------------------------------------------------------------
// Fragments

fn parse_moof<R: Read + Seek>(src: &mut Src<R>, moof: &BoxHdr, st: &mut State) -> Result<(), ParseError> {
    let mut pos = moof.payload;
    while let Some(traf) = next_child(src, &mut pos, moof)? {
        if &traf.typ != b"traf" {
            continue;
        }
        let mut track: Option<(u32, Option<u32>)> = None;
        let mut q = traf.payload;
        while let Some(h) = next_child(src, &mut q, &traf)? {
            match &h.typ {
                b"tfhd" => {
                    let p = src.payload(&h, 40)?;
                    let (Some(vf), Some(id)) = (u32_be(&p, 0), u32_be(&p, 4)) else {
                        return Err(short(&h));
                    };
                    let mut i = 8usize;
                    if vf & 0x1 != 0 {
                        i += 8;
                    }
                    if vf & 0x2 != 0 {
                        i += 4;
                    }
                    let dur = if vf & 0x8 != 0 {
                        Some(u32_be(&p, i).ok_or_else(|| short(&h))?)
                    } else {
                        None
                    };
                    track = Some((id, dur));
                }
                b"trun" => {
                    let Some((id, tf_dur)) = track else {
                        return Err(ParseError::Invalid(format!(
                            "corrupt fragment: the trun box at byte {} comes before its tfhd",
                            h.start
                        )));
                    };
                    let p = src.payload(&h, 8)?;
                    let (Some(vf), Some(n)) = (u32_be(&p, 0), u32_be(&p, 4)) else {
                        return Err(short(&h));
                    };
                    let n = u64::from(n);
                    let mut head = 8u64;
                    if vf & 0x1 != 0 {
                        head += 4;
                    }
                    if vf & 0x4 != 0 {
                        head += 4;
                    }
                    let rec = 4 * u64::from((vf & 0xf00).count_ones());
                    check_fits(&h, head, n, rec, "track fragment run")?;
                    let f = st.frags.entry(id).or_default();
                    f.samples = f.samples.saturating_add(n);
                    if vf & 0x100 != 0 {
                        let mut sum = 0u64;
                        let mut kinds = Durations::default();
                        src.records(h.payload + head, n, rec as usize, h.end, |r| {
                            let d = u32_be(r, 0).unwrap_or(0);
                            kinds.add(d, 1);
                            sum = sum.saturating_add(u64::from(d));
                        })?;
                        let f = st.frags.entry(id).or_default();
                        f.duration = f.duration.saturating_add(sum);
                        f.durations.merge(&kinds);
                    } else if let Some(d) = tf_dur {
                        f.duration = f.duration.saturating_add(n.saturating_mul(u64::from(d)));
                        f.durations.add(d, n);
                    } else {
                        f.need_trex = f.need_trex.saturating_add(n);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Result

fn secs(ticks: u64, ts: u32) -> Option<f64> {
    (ticks > 0 && ts > 0).then(|| ticks as f64 / f64::from(ts))
}

fn finish(st: State, len: u64) -> Result<Mp4Info, ParseError> {
    let fragmented = st.has_mvex || st.has_moof;
    let mut tracks = Vec::with_capacity(st.traks.len());
    for t in st.traks {
        let id = t.track_id;
        match (t.stsz_samples, t.stts_samples) {
            (Some(a), Some(b)) if a != b => {
                return Err(ParseError::Invalid(format!(
                    "track {id}: the sample size table lists {a} samples but the time-to-sample table lists {b}"
                )));
            }
            _ => {}
        }
        if let Some(end) = t.data_end.filter(|&e| e > len) {
            return Err(ParseError::Truncated(format!(
                "track {id}: its sample data runs to byte {end} but the file is only {len} bytes long"
            )));
        }
        let mut samples = t.stsz_samples.or(t.stts_samples).unwrap_or(0);
        let mut ticks = t.stts_duration;
        let mut durations = t.durations;
        if let Some(f) = st.frags.get(&id) {
            let trex = st.trex_duration.get(&id).copied().unwrap_or(0);
            samples = samples.saturating_add(f.samples);
            ticks = ticks
                .saturating_add(f.duration)
                .saturating_add(f.need_trex.saturating_mul(u64::from(trex)));
            durations.merge(&f.durations);
            durations.add(trex, f.need_trex);
        }
        if samples > 0 && t.timescale == 0 {
            return Err(ParseError::Invalid(format!(
                "track {id} has samples but a media timescale of 0"
            )));
        }
        let kind = match t.handler.as_ref() {
            Some(b"vide") => TrackKind::Video,
            Some(b"soun") => TrackKind::Audio,
            Some(h) => TrackKind::Other(fourcc(h)),
            None => TrackKind::Other(String::new()),
        };
        let duration_s = secs(ticks, t.timescale);
        let video = kind == TrackKind::Video;
        let avg_fps = match duration_s {
            Some(d) if video && samples > 0 => Some(samples as f64 / d),
            _ => None,
        };
        let fps = match durations.nominal() {
            Some(d) if video && t.timescale > 0 => Some(f64::from(t.timescale) / d),
            _ => avg_fps,
        };
        let audio = kind == TrackKind::Audio;
        tracks.push(Mp4Track {
            track_id: id,
            codec_tag: t.entry.tag,
            codec: t.entry.codec,
            width: t.entry.width,
            height: t.entry.height,
            fps,
            avg_fps,
            sample_rate: if audio && t.entry.rate_field > 0 {
                Some(t.entry.rate_field)
            } else {
                None
            },
            channels: if audio { t.entry.channels } else { None },
            timescale: t.timescale,
            duration_ticks: ticks,
            duration_s,
            header_duration_s: secs(t.mdhd_duration, t.timescale),
            edit_duration_s: t.edit_duration.and_then(|d| secs(d, st.movie_timescale)),
            sample_count: samples,
            kind,
        });
    }
    let longest = tracks
        .iter()
        .filter_map(|t| t.duration_s)
        .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
    let fragment_duration_s = secs(st.mehd, st.movie_timescale);
    let duration_s = if fragmented {
        fragment_duration_s.or(longest)
    } else {
        secs(st.movie_duration, st.movie_timescale).or(longest)
    };
    Ok(Mp4Info {
        major_brand: st.major_brand.unwrap_or_default(),
        fragmented,
        duration_s,
        fragment_duration_s,
        tracks,
        trailing_bytes: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn load(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("video/{name}"))
    }

    fn run(data: &[u8]) -> Result<Mp4Info, ParseError> {
        probe(&mut Cursor::new(data), data.len() as u64)
    }

    fn err_of(data: &[u8]) -> ParseError {
        match run(data) {
            Ok(i) => panic!("expected an error, got {i:?}"),
            Err(e) => e,
        }
    }

    fn truncated(data: &[u8], needle: &str) {
        match err_of(data) {
            ParseError::Truncated(m) => assert!(m.contains(needle), "{m}"),
            e => panic!("expected Truncated({needle}), got {e:?}"),
        }
    }

    fn invalid(data: &[u8], needle: &str) {
        match err_of(data) {
            ParseError::Invalid(m) => assert!(m.contains(needle), "{m}"),
            e => panic!("expected Invalid({needle}), got {e:?}"),
        }
    }

    /// Offset of the first box of type `t` (the size field before the fourcc).
    fn box_at(data: &[u8], t: &[u8; 4]) -> usize {
        data.windows(4).position(|w| w == t).expect("box present") - 4
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("value present");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    // Expected values below come from `ffprobe -show_streams -show_format` (codec_name,
    // codec_tag_string, width/height, sample_rate, channels, time_base, duration_ts, nb_frames,
    // avg_frame_rate, format duration) and from `ffprobe -count_frames` (nb_read_frames) for the
    // fragmented files, where ffprobe's nb_frames is N/A.

    /// H.264 10 fps 64x48 + AAC 8 kHz mono with 1024 priming samples trimmed by an edit list.
    fn check_h264_aac(i: &Mp4Info) {
        assert_eq!(i.major_brand, "isom");
        assert!(!i.fragmented);
        close(i.duration_s, 1.0); // format duration=1.000000 (mvhd 1000/1000)
        assert_eq!(i.fragment_duration_s, None);
        assert_eq!(i.tracks.len(), 2);
        let v = &i.tracks[0];
        assert_eq!((v.track_id, &v.kind), (1, &TrackKind::Video));
        assert_eq!((v.codec_tag.as_str(), v.codec.as_str()), ("avc1", "h264"));
        assert_eq!((v.width, v.height), (Some(64), Some(48)));
        assert_eq!(
            (v.timescale, v.duration_ticks, v.sample_count),
            (10240, 10240, 10)
        );
        close(v.fps, 10.0); // r_frame_rate=10/1
        close(v.avg_fps, 10.0); // avg_frame_rate=10/1
        close(v.duration_s, 1.0);
        close(v.header_duration_s, 1.0);
        close(v.edit_duration_s, 1.0);
        assert_eq!((v.sample_rate, v.channels), (None, None));
        let a = &i.tracks[1];
        assert_eq!((a.track_id, &a.kind), (2, &TrackKind::Audio));
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("mp4a", "aac"));
        assert_eq!((a.sample_rate, a.channels), (Some(8000), Some(1)));
        // stts: 8 x 1024 + 832 = 9024 ticks = mdhd duration; ffprobe reports duration_ts=8000
        // (1.0 s) because the edit list skips the 1024 priming samples: that is edit_duration_s.
        assert_eq!((a.timescale, a.duration_ticks, a.sample_count), (8000, 9024, 9));
        close(a.duration_s, 1.128);
        close(a.header_duration_s, 1.128);
        close(a.edit_duration_s, 1.0);
        assert_eq!((a.width, a.height, a.fps, a.avg_fps), (None, None, None, None));
    }

    #[test]
    fn h264_aac_variants() {
        for f in [
            "h264_aac.mp4",
            "h264_aac_faststart.mp4",
            "mdat_largesize.mp4",
            "mdat_size0.mp4",
        ] {
            let i = run(&load(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            check_h264_aac(&i);
        }
    }

    /// Fragmented (empty moov): durations come from the truns only.
    fn check_frag(i: &Mp4Info) {
        assert_eq!(i.major_brand, "iso5");
        assert!(i.fragmented);
        let v = &i.tracks[0];
        assert_eq!(
            (v.codec.as_str(), v.width, v.height),
            ("h264", Some(64), Some(48))
        );
        // ffprobe: time_base=1/10240 duration_ts=11551, nb_read_frames=10, r_frame_rate=10/1,
        // avg_frame_rate=102400/11551 (ffmpeg stretched the first sample to 2335 ticks by the
        // AAC priming; the other 9 last 1024 ticks)
        assert_eq!(
            (v.timescale, v.duration_ticks, v.sample_count),
            (10240, 11551, 10)
        );
        close(v.fps, 10.0);
        close(v.avg_fps, 102400.0 / 11551.0);
        assert_eq!((v.header_duration_s, v.edit_duration_s), (None, None));
        let a = &i.tracks[1];
        // ffprobe: duration_ts=9024 (1.128 s), nb_read_frames=9
        assert_eq!((a.timescale, a.duration_ticks, a.sample_count), (8000, 9024, 9));
        assert_eq!((a.sample_rate, a.channels), (Some(8000), Some(1)));
        close(a.duration_s, 1.128);
    }

    #[test]
    fn fragmented() {
        let i = run(&load("h264_aac_frag.mp4")).unwrap();
        check_frag(&i);
        close(i.duration_s, 11551.0 / 10240.0); // format duration=1.128027
        assert_eq!(i.fragment_duration_s, None);

        // Same file with an mehd of 1128 (movie timescale 1000): the movie duration is the
        // mehd value; ffprobe ignores mehd and still says 1.128027.
        let i = run(&load("frag_mehd.mp4")).unwrap();
        check_frag(&i);
        close(i.duration_s, 1.128);
        close(i.fragment_duration_s, 1.128);

        // Video only, 25 fps, 5 fragments: duration_ts=12800 at 1/12800, nb_read_frames=25
        let i = run(&load("h264_frag_video.mp4")).unwrap();
        assert!(i.fragmented);
        close(i.duration_s, 1.0);
        assert_eq!(i.tracks.len(), 1);
        let v = &i.tracks[0];
        assert_eq!(
            (v.timescale, v.duration_ticks, v.sample_count),
            (12800, 12800, 25)
        );
        close(v.fps, 25.0);
        close(v.avg_fps, 25.0);

        // First fragment in moov (5 samples in stbl), 5 more in a moof. ffprobe says
        // nb_frames=5 (header only) but nb_read_frames=10 and duration 1.000000.
        let i = run(&load("h264_frag_moov.mp4")).unwrap();
        assert_eq!(i.major_brand, "isom");
        assert!(i.fragmented);
        close(i.duration_s, 1.0);
        let v = &i.tracks[0];
        assert_eq!(
            (v.timescale, v.duration_ticks, v.sample_count),
            (10240, 10240, 10)
        );
        close(v.header_duration_s, 0.5); // mdhd only covers the samples inside moov
        close(v.fps, 10.0);
        close(v.avg_fps, 10.0);
    }

    #[test]
    fn fragmented_25fps_with_audio() {
        // Regression: 25 fps video + AAC, frag_keyframe+empty_moov+default_base_moof. ffprobe:
        // time_base=1/12800 duration_ts=14439 nb_read_frames=25, r_frame_rate=25/1,
        // avg_frame_rate=320000/14439 (22.16: the first sample is stretched by 1639 ticks, the
        // 1024 priming samples of the 8 kHz audio); aac 8000 Hz, duration_ts=9024, 9 frames.
        let i = run(&load("h264_aac_frag25.mp4")).unwrap();
        assert!(i.fragmented);
        close(i.duration_s, 14439.0 / 12800.0); // format duration=1.128047
        let v = &i.tracks[0];
        assert_eq!(
            (v.codec.as_str(), v.width, v.height),
            ("h264", Some(64), Some(48))
        );
        assert_eq!(
            (v.timescale, v.duration_ticks, v.sample_count),
            (12800, 14439, 25)
        );
        close(v.fps, 25.0);
        close(v.avg_fps, 320000.0 / 14439.0);
        let a = &i.tracks[1];
        assert_eq!((a.timescale, a.duration_ticks, a.sample_count), (8000, 9024, 9));
        assert_eq!((a.fps, a.avg_fps), (None, None));
    }

    #[test]
    fn nominal_duration() {
        let mut d = Durations::default();
        assert_eq!(d.nominal(), None);
        d.add(0, 100); // ignored
        d.add(7, 0); // ignored
        assert_eq!(d.nominal(), None);
        // 1 stretched sample, 9 regular ones
        d.add(2335, 1);
        d.add(1024, 9);
        close(d.nominal(), 1024.0);
        // 30 fps in a 1 ms timescale: 33, 33, 34 ticks (rounding jitter is averaged in)
        let mut d = Durations::default();
        for _ in 0..100 {
            d.add(33, 2);
            d.add(34, 1);
            d.add(120, 0);
        }
        d.add(500, 1);
        close(d.nominal().map(|t| 1000.0 / t), 30.0);
        // a tie takes the shorter duration
        let mut d = Durations::default();
        d.add(2000, 3);
        d.add(1000, 3);
        close(d.nominal(), 1000.0);
        // many distinct durations stay within the cap, and the dominant one survives them
        let mut d = Durations::default();
        for k in 0..10_000u32 {
            d.add(5000 + k, 1);
            d.add(512, 2);
        }
        assert!(d.0.len() <= DURATION_KINDS_CAP);
        close(d.nominal(), 512.0);
    }

    fn one(f: &str) -> (Mp4Info, Mp4Track) {
        let i = run(&load(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(i.tracks.len(), 1, "{f}");
        let t = i.tracks[0].clone();
        (i, t)
    }

    #[test]
    fn hevc_hvc1() {
        // ffprobe: hevc hvc1 160x120, time_base 1/12288, duration_ts 6144, nb_frames 12, 24/1
        let (i, v) = one("hevc_hvc1.mp4");
        close(i.duration_s, 0.5);
        assert_eq!((v.codec_tag.as_str(), v.codec.as_str()), ("hvc1", "hevc"));
        assert_eq!((v.width, v.height), (Some(160), Some(120)));
        assert_eq!((v.timescale, v.duration_ticks, v.sample_count), (12288, 6144, 12));
        close(v.fps, 24.0);
    }

    #[test]
    fn mpeg4_part2() {
        // ffprobe: mpeg4 mp4v 64x48, 1/15360, duration_ts 15360, nb_frames 15, 15/1
        let (_, v) = one("mpeg4.mp4");
        assert_eq!((v.codec_tag.as_str(), v.codec.as_str()), ("mp4v", "mpeg4"));
        assert_eq!((v.width, v.height), (Some(64), Some(48)));
        assert_eq!(
            (v.timescale, v.duration_ticks, v.sample_count),
            (15360, 15360, 15)
        );
        close(v.fps, 15.0);
    }

    #[test]
    fn audio_only() {
        // ffprobe: aac mp4a 44100 Hz stereo, nb_frames 23, duration 0.5 (edit), mdhd 23074
        let (i, a) = one("aac.m4a");
        assert_eq!(i.major_brand, "M4A ");
        close(i.duration_s, 0.5);
        assert_eq!(a.kind, TrackKind::Audio);
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("mp4a", "aac"));
        assert_eq!((a.sample_rate, a.channels), (Some(44100), Some(2)));
        assert_eq!(
            (a.timescale, a.duration_ticks, a.sample_count),
            (44100, 23074, 23)
        );
        close(a.edit_duration_s, 0.5);
        assert_eq!(a.fps, None);

        // ffprobe: alac 8000 Hz mono, duration_ts 4000, nb_frames 1
        let (i, a) = one("alac.m4a");
        assert_eq!(i.major_brand, "M4A ");
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("alac", "alac"));
        assert_eq!((a.sample_rate, a.channels), (Some(8000), Some(1)));
        assert_eq!((a.timescale, a.duration_ticks, a.sample_count), (8000, 4000, 1));

        // ffprobe: flac fLaC 96000 Hz mono, duration_ts 9600, nb_frames 2; the 16.16 rate
        // field is 0 (cannot hold 96000), so the rate comes from the mdhd timescale
        let (_, a) = one("flac.mp4");
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("fLaC", "flac"));
        assert_eq!((a.sample_rate, a.channels), (Some(96000), Some(1)));
        assert_eq!((a.timescale, a.duration_ticks, a.sample_count), (96000, 9600, 2));
        close(a.duration_s, 0.1);

        // ffprobe: opus Opus 48000 Hz mono, nb_frames 26, duration 0.5 (edit list skips the
        // 312-sample pre-skip; stts 25 x 960 + 312 = 24312 = mdhd)
        let (i, a) = one("opus.mp4");
        close(i.duration_s, 0.5);
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("Opus", "opus"));
        assert_eq!((a.sample_rate, a.channels), (Some(48000), Some(1)));
        assert_eq!(
            (a.timescale, a.duration_ticks, a.sample_count),
            (48000, 24312, 26)
        );
        close(a.edit_duration_s, 0.5);

        // ffprobe: mp3 (mp4a, esds objectTypeIndication 0x6B) 16000 Hz, nb_frames 16,
        // duration 0.5. Deliberate difference: ffprobe says 1 channel (from the MP3 frame
        // headers inside mdat); the sample entry (all we read) says 2.
        let (_, a) = one("mp3.mp4");
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("mp4a", "mp3"));
        assert_eq!((a.sample_rate, a.channels), (Some(16000), Some(2)));
        assert_eq!((a.timescale, a.duration_ticks, a.sample_count), (16000, 9105, 16));
        close(a.edit_duration_s, 0.5);
    }

    #[test]
    fn quicktime_mov() {
        // 'qt  ' brand, 'wide' box, moov after mdat. ffprobe: h264 10 frames; pcm_s16le sowt
        // 8000 Hz mono, nb_frames 8000, duration_ts 8000
        let i = run(&load("mov_h264_pcm.mov")).unwrap();
        assert_eq!(i.major_brand, "qt  ");
        assert!(!i.fragmented);
        close(i.duration_s, 1.0);
        let v = &i.tracks[0];
        assert_eq!((v.codec.as_str(), v.sample_count), ("h264", 10));
        close(v.fps, 10.0);
        let a = &i.tracks[1];
        assert_eq!((a.codec_tag.as_str(), a.codec.as_str()), ("sowt", "pcm_s16le"));
        assert_eq!((a.sample_rate, a.channels), (Some(8000), Some(1)));
        assert_eq!(
            (a.timescale, a.duration_ticks, a.sample_count),
            (8000, 8000, 8000)
        );
    }

    #[test]
    fn broken_fixtures() {
        // ffprobe: "moov atom not found" for both
        truncated(&load("no_moov.mp4"), "no moov box");
        truncated(
            &load("trunc_mdat.mp4"),
            "the mdat box at byte 40 declares 10142 bytes but only 5071 remain",
        );
        truncated(
            &load("trunc_faststart.mp4"),
            "the mdat box at byte 1541 declares 10142 bytes but only 5071 remain",
        );
        // mdat runs "to the end of the file" (size 0), so only the chunk offsets can tell
        let d = load("mdat_size0.mp4");
        truncated(&d[..d.len() - 100], "sample data runs to byte 11683");
        truncated(&d[..d.len() - 1], "sample data runs to byte 11683");
        // same with a faststart file whose mdat size was fixed up to the cut
        let mut d = load("h264_aac_faststart.mp4");
        let m = box_at(&d, b"mdat");
        d.truncate(d.len() - 7);
        let sz = (d.len() - m) as u32;
        d[m..m + 4].copy_from_slice(&sz.to_be_bytes());
        truncated(&d, "the file is only 11676 bytes long");
    }

    #[test]
    fn truncated_at_several_points() {
        let d = load("h264_aac.mp4"); // ftyp 0..32, free 32..40, mdat 40..10182, moov ..11683
        invalid(&d[..0], "empty");
        invalid(&d[..4], "too short");
        truncated(
            &d[..20],
            "the ftyp box at byte 0 declares 32 bytes but only 20 remain",
        );
        truncated(&d[..36], "ends inside a box header at byte 32");
        truncated(&d[..40], "no moov box");
        truncated(&d[..44], "ends inside a box header at byte 40");
        truncated(&d[..5000], "mdat box at byte 40 declares 10142 bytes");
        truncated(&d[..10182], "no moov box");
        truncated(
            &d[..10190],
            "the moov box at byte 10182 declares 1501 bytes but only 8",
        );
        truncated(&d[..d.len() - 1], "the moov box at byte 10182 declares 1501");
        let f = load("h264_aac_faststart.mp4");
        let m = box_at(&f, b"mdat");
        truncated(&f[..m + 100], "mdat box at byte 1541 declares 10142 bytes");
        truncated(
            &f[..600],
            "the moov box at byte 32 declares 1501 bytes but only 568 remain",
        );
        let fr = load("h264_frag_video.mp4");
        truncated(&fr[..fr.len() - 10], "declares");
    }

    #[test]
    fn not_mp4_and_corrupt_structure() {
        // random bytes
        let mut x = 0x1234_5678u32;
        let rnd: Vec<u8> = (0..4096)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        invalid(&rnd, "not an MP4/MOV file");
        invalid(b"RIFF\x24\0\0\0WAVEfmt ", "not an MP4/MOV file");
        invalid(b"ID3\x04\0\0\0\0\0\0\0\0", "not an MP4/MOV file");

        let base = load("h264_aac_faststart.mp4");
        let moov = box_at(&base, b"moov");
        // absurd top-level size
        let mut d = base.clone();
        d[moov..moov + 4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        truncated(&d, "the moov box at byte 32 declares 4294967280 bytes");
        // absurd 64-bit largesize
        let mut d = base[..moov].to_vec();
        d.extend_from_slice(&1u32.to_be_bytes());
        d.extend_from_slice(b"moov");
        d.extend_from_slice(&(1u64 << 63).to_be_bytes());
        d.extend_from_slice(&[0; 64]);
        truncated(&d, "declares 9223372036854775808 bytes");
        // top-level size smaller than a header
        let mut d = base.clone();
        d[moov..moov + 4].copy_from_slice(&3u32.to_be_bytes());
        invalid(&d, "impossible size of 3 bytes");
        // a child overflowing its parent
        let mut d = base.clone();
        let trak = box_at(&d, b"trak");
        d[trak..trak + 4].copy_from_slice(&0x0010_0000u32.to_be_bytes());
        invalid(&d, "overflowing its parent moov");
        // a child smaller than its header
        let mut d = base.clone();
        let mdhd = box_at(&d, b"mdhd");
        d[mdhd..mdhd + 4].copy_from_slice(&5u32.to_be_bytes());
        invalid(&d, "impossible size of 5 bytes");
        // huge table entry count
        let mut d = base.clone();
        let stts = box_at(&d, b"stts");
        d[stts + 12..stts + 16].copy_from_slice(&0x4000_0000u32.to_be_bytes());
        invalid(&d, "declares 1073741824 entries");
        // sample tables disagreeing on the number of samples
        let mut d = base.clone();
        let stsz = box_at(&d, b"stsz");
        d[stsz + 16..stsz + 20].copy_from_slice(&9u32.to_be_bytes());
        invalid(
            &d,
            "sample size table lists 9 samples but the time-to-sample table lists 10",
        );
        // garbage after the last box
        let mut d = base.clone();
        d.extend_from_slice(&[0xff; 32]);
        invalid(&d, "unreadable box type at byte 11683");
        // zero padding after the last box is tolerated
        let mut d = base.clone();
        d.extend_from_slice(&[0; 64]);
        check_h264_aac(&run(&d).unwrap());
    }

    #[test]
    fn many_fragments_stay_cheap() {
        // moov of the video-only fragmented file followed by 20000 copies of its first
        // moof (5 samples x 512 ticks) each with a 1000-byte mdat
        let src = load("h264_frag_video.mp4");
        let moof = box_at(&src, b"moof");
        let moof_len = u32_be(&src, moof).unwrap();
        let moof_box = &src[moof..moof + moof_len as usize];
        let mut d = src[..moof].to_vec();
        let n = 20_000u64;
        for _ in 0..n {
            d.extend_from_slice(moof_box);
            d.extend_from_slice(&1008u32.to_be_bytes());
            d.extend_from_slice(b"mdat");
            d.extend_from_slice(&[0; 1000]);
        }
        let t = std::time::Instant::now();
        let i = run(&d).unwrap();
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
        let v = &i.tracks[0];
        assert_eq!(v.sample_count, 5 * n);
        assert_eq!(v.duration_ticks, 5 * 512 * n);
        close(v.fps, 25.0);
        close(i.duration_s, (5 * 512 * n) as f64 / 12800.0);
    }

    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let mut names: Vec<String> = std::fs::read_dir(crate::test_fixtures::fixture_path("video"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".mp4") || n.ends_with(".m4a") || n.ends_with(".mov"))
            .collect();
        names.sort();
        assert!(names.len() >= 19, "{names:?}");
        names.into_iter().map(|n| (n.clone(), load(&n))).collect()
    }

    #[test]
    fn no_panic_on_prefixes() {
        for (name, d) in fixtures() {
            let step = d.len() / 300 + 1;
            for cut in (0..d.len()).step_by(step) {
                let r = run(&d[..cut]);
                // a prefix is never a complete, valid file here: every fixture ends with a
                // box the parser needs (moov or mdat/moof covered by the sample tables)
                if cut > 0 && !name.starts_with("frag") && !name.contains("frag") {
                    assert!(r.is_err(), "{name} cut at {cut}: {r:?}");
                }
            }
        }
    }

    #[test]
    fn no_panic_on_corruption() {
        let mut x = 0x9e37_79b9u32;
        for (_, d) in fixtures() {
            for _ in 0..300 {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let pos = (x as usize >> 4) % d.len();
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let mut c = d.clone();
                // mostly bit flips, sometimes 0x00 / 0xff (absurd sizes)
                c[pos] = match x >> 29 {
                    0 => 0,
                    1 => 0xff,
                    _ => c[pos] ^ (1 << ((x >> 24) & 7)),
                };
                let _ = run(&c);
            }
        }
    }

    #[test]
    fn errors_display() {
        let e = ParseError::Truncated("x".into());
        assert_eq!(e.to_string(), "x");
        let e: ParseError = io::Error::other("boom").into();
        assert!(std::error::Error::source(&e).is_some());
    }
}
