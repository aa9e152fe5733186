//! Ogg probe for Vorbis, Opus, FLAC and Speex: identifies the first audio logical stream from its
//! identification header and measures it from the granule position of its last CRC-checked page,
//! found by scanning the tail of the file, so a file cut short is detected and measured.

use std::io::{self, Read, Seek};

use super::read_at;

/// Why a file could not be read: the probe module's shared error type.
pub type OggError = super::ParseError;

/// What the first audio stream of an Ogg file declares and really holds.
#[derive(Debug, Clone, PartialEq)]
pub struct OggInfo {
    /// `"vorbis"`, `"opus"`, `"flac"` or `"speex"`.
    pub codec: String,
    /// Output sample rate in Hz (always 48000 for Opus).
    pub sample_rate: u32,
    /// Opus only: the input sample rate from OpusHead (`None` if absent/0 or not Opus).
    pub input_sample_rate: Option<u32>,
    /// Number of channels.
    pub channels: u8,
    /// Opus only: samples (at 48 kHz) the decoder discards at the start; 0 for other codecs.
    pub pre_skip: u32,
    /// Playable samples per channel at `sample_rate`, from the last complete page's granule
    /// position (Opus: minus pre-skip and any non-zero starting granule).
    pub samples: u64,
    /// `samples / sample_rate`, in seconds.
    pub duration_s: f64,
    /// Set when the stream has no end-of-stream page or the file ends inside a page.
    pub truncated: Option<String>,
    /// Serial number of the measured logical stream.
    pub serial: u32,
    /// Remarks about unusual but tolerated content (other streams, corrupt pages skipped).
    pub notes: Vec<String>,
}

/// Largest tail window scanned backwards for the last page (grows 8x from 8 KiB).
const MAX_TAIL: u64 = 4 * 1024 * 1024;
/// Upper bound on pages walked forwards (header pages, and the fallback walk).
const MAX_PAGES: usize = 1_000_000;
/// Upper bound on pages walked forwards while looking for the first audio page.
const MAX_HEADER_PAGES: usize = 4096;

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC: [u32; 256] = crc_table();

/// Ogg page CRC-32 over a whole page, with the checksum field (bytes 22..26) taken as zero.
fn page_crc(page: &[u8]) -> u32 {
    let mut c = 0u32;
    for (i, &x) in page.iter().enumerate() {
        let x = if (22..26).contains(&i) { 0 } else { x };
        c = (c << 8) ^ CRC[usize::from((c >> 24) as u8 ^ x)];
    }
    c
}

/// A parsed page header.
#[derive(Debug, Clone)]
struct Page {
    flags: u8,
    granule: u64,
    serial: u32,
    /// lacing values
    segs: Vec<u8>,
    /// header + segment table length
    header_len: usize,
    /// header + segment table + body
    total: usize,
}

impl Page {
    fn continued(&self) -> bool {
        self.flags & 1 != 0
    }
    fn bos(&self) -> bool {
        self.flags & 2 != 0
    }
    fn eos(&self) -> bool {
        self.flags & 4 != 0
    }
    fn has_granule(&self) -> bool {
        self.granule != u64::MAX
    }
    /// Packets of the body: (start, end, ends on this page).
    fn packets(&self) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        let mut start = self.header_len;
        let mut end = start;
        for &l in &self.segs {
            end += usize::from(l);
            if l < 255 {
                out.push((start, end, true));
                start = end;
            }
        }
        if end > start {
            out.push((start, end, false));
        }
        out
    }
}

enum Parsed {
    Page(Page),
    /// an Ogg page header whose page needs `need` bytes, but only `have` are available
    Short {
        need: usize,
        have: usize,
    },
    NotPage,
}

/// Parses a page at the start of `b` (header only; checks the capture pattern and version).
fn parse_page(b: &[u8]) -> Parsed {
    if b.len() < 4 {
        return if b"OggS".starts_with(b) && !b.is_empty() {
            Parsed::Short {
                need: 27,
                have: b.len(),
            }
        } else {
            Parsed::NotPage
        };
    }
    if &b[0..4] != b"OggS" {
        return Parsed::NotPage;
    }
    if b.len() < 27 {
        return if b.len() > 4 && b[4] != 0 {
            Parsed::NotPage
        } else {
            Parsed::Short {
                need: 27,
                have: b.len(),
            }
        };
    }
    if b[4] != 0 || b[5] & !7 != 0 {
        return Parsed::NotPage;
    }
    let nseg = usize::from(b[26]);
    let header_len = 27 + nseg;
    let Some(segs) = b.get(27..header_len) else {
        return Parsed::Short {
            need: header_len,
            have: b.len(),
        };
    };
    let body: usize = segs.iter().map(|&x| usize::from(x)).sum();
    let total = header_len + body;
    if b.len() < total {
        return Parsed::Short {
            need: total,
            have: b.len(),
        };
    }
    let mut g = [0u8; 8];
    g.copy_from_slice(&b[6..14]);
    Parsed::Page(Page {
        flags: b[5],
        granule: u64::from_le_bytes(g),
        serial: u32::from_le_bytes([b[14], b[15], b[16], b[17]]),
        segs: segs.to_vec(),
        header_len,
        total,
    })
}

fn crc_ok(page_bytes: &[u8]) -> bool {
    page_bytes.len() >= 27
        && page_crc(page_bytes)
            == u32::from_le_bytes([page_bytes[22], page_bytes[23], page_bytes[24], page_bytes[25]])
}

/// Reads the whole page at `pos` (at most 65307 bytes).
fn read_page<R: Read + Seek>(r: &mut R, pos: u64, len: u64) -> io::Result<(Parsed, Vec<u8>)> {
    let want = len.saturating_sub(pos).min(27 + 255 + 255 * 255);
    let mut buf = vec![0u8; usize::try_from(want).unwrap_or(0)];
    let n = read_at(r, pos, &mut buf)?;
    buf.truncate(n);
    let p = parse_page(&buf);
    if let Parsed::Page(pg) = &p {
        buf.truncate(pg.total);
    }
    Ok((p, buf))
}

/// Codec identified from an identification header.
#[derive(Debug, Clone, PartialEq)]
struct Ident {
    codec: &'static str,
    rate: u32,
    input_rate: Option<u32>,
    channels: u8,
    pre_skip: u32,
    /// header packets before the audio (Opus 2, Vorbis 3, FLAC 1 + n, Speex 2 + extra)
    header_packets: u64,
}

fn u32_le(b: &[u8], i: usize) -> u32 {
    b.get(i..i + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Identifies a codec from the first packet of a stream. `Ok(None)` = not a known audio codec.
fn identify(p: &[u8]) -> Result<Option<Ident>, OggError> {
    if p.starts_with(b"\x01vorbis") {
        if p.len() < 30 {
            return Err(OggError::Invalid(
                "the Vorbis identification header is too short".into(),
            ));
        }
        let (channels, rate) = (p[11], u32_le(p, 12));
        if u32_le(p, 7) != 0 || channels == 0 || rate == 0 {
            return Err(OggError::Invalid(format!(
                "the Vorbis identification header is corrupt ({channels} channels, {rate} Hz)"
            )));
        }
        return Ok(Some(Ident {
            codec: "vorbis",
            rate,
            input_rate: None,
            channels,
            pre_skip: 0,
            header_packets: 3,
        }));
    }
    if p.starts_with(b"OpusHead") {
        if p.len() < 19 {
            return Err(OggError::Invalid("the OpusHead header is too short".into()));
        }
        let channels = p[9];
        if p[8] >= 16 || channels == 0 {
            return Err(OggError::Invalid(format!(
                "the OpusHead header is corrupt (version {}, {channels} channels)",
                p[8]
            )));
        }
        let input = u32_le(p, 12);
        return Ok(Some(Ident {
            codec: "opus",
            rate: 48_000,
            input_rate: (input > 0).then_some(input),
            channels,
            pre_skip: u32::from(u16::from_le_bytes([p[10], p[11]])),
            header_packets: 2,
        }));
    }
    if p.starts_with(b"\x7fFLAC") {
        // 0x7F "FLAC" major minor u16(headers) "fLaC" block-header(4) STREAMINFO(34)
        if p.len() < 51 || &p[9..13] != b"fLaC" || p[13] & 0x7F != 0 {
            return Err(OggError::Invalid("the Ogg FLAC mapping header is corrupt".into()));
        }
        let si = &p[17..51];
        let x = u64::from_be_bytes([si[10], si[11], si[12], si[13], si[14], si[15], si[16], si[17]]);
        let rate = (x >> 44) as u32;
        let channels = ((x >> 41) & 7) as u8 + 1;
        if rate == 0 {
            return Err(OggError::Invalid(
                "the FLAC STREAMINFO declares a sample rate of 0".into(),
            ));
        }
        let extra = u64::from(u16::from_be_bytes([p[7], p[8]]));
        return Ok(Some(Ident {
            codec: "flac",
            rate,
            input_rate: None,
            channels,
            pre_skip: 0,
            header_packets: 1 + extra,
        }));
    }
    if p.starts_with(b"Speex   ") {
        if p.len() < 80 {
            return Err(OggError::Invalid("the Speex header is too short".into()));
        }
        let rate = u32_le(p, 36);
        let channels = u8::try_from(u32_le(p, 48)).unwrap_or(0);
        if rate == 0 || channels == 0 {
            return Err(OggError::Invalid(format!(
                "the Speex header is corrupt ({channels} channels, {rate} Hz)"
            )));
        }
        return Ok(Some(Ident {
            codec: "speex",
            rate,
            input_rate: None,
            channels,
            pre_skip: 0,
            header_packets: 2 + u64::from(u32_le(p, 68)),
        }));
    }
    Ok(None)
}

fn stream_name(p: &[u8]) -> String {
    let known: [(&[u8], &str); 7] = [
        (b"\x80theora", "Theora"),
        (b"\x80kate", "Kate"),
        (b"fishead", "Skeleton"),
        (b"fisbone", "Skeleton"),
        (b"\x01video", "OGM video"),
        (b"BBCD", "Dirac"),
        (b"CELT    ", "CELT"),
    ];
    known
        .iter()
        .find(|(m, _)| p.starts_with(m))
        .map_or_else(|| "an unknown codec".to_string(), |(_, n)| (*n).to_string())
}

/// Duration in 48 kHz samples of an Opus packet, from its TOC byte (RFC 6716 §3.1).
fn opus_packet_samples(p: &[u8]) -> Option<u64> {
    let toc = *p.first()?;
    let config = toc >> 3;
    let frame: u64 = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config & 3)],
        12..=15 => [480, 960][usize::from(config & 1)],
        _ => [120, 240, 480, 960][usize::from(config & 3)],
    };
    let count = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(*p.get(1)? & 0x3F),
    };
    Some(frame * count)
}

fn duration(samples: u64, rate: u32) -> f64 {
    if rate == 0 {
        0.0
    } else {
        samples as f64 / f64::from(rate)
    }
}

/// The last page of a stream as found at the end of the file.
struct Tail {
    /// offset and EOS flag of the last complete, CRC-valid page of the stream
    last: Option<(u64, bool)>,
    /// offset and granule of the last such page that has a granule position
    granule: Option<(u64, u64)>,
    /// a page header after `last` whose page is cut off by the end of the file
    short: Option<(u64, usize, usize)>,
    /// pages with a bad CRC after `last`
    bad_crc: usize,
}

/// Scans `[start, len)` (already read into `buf`) backwards for pages of `serial`.
fn scan_tail(buf: &[u8], start: u64, serial: u32) -> Tail {
    let mut t = Tail {
        last: None,
        granule: None,
        short: None,
        bad_crc: 0,
    };
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        if buf[i] != b'O' {
            continue;
        }
        match parse_page(&buf[i..]) {
            Parsed::NotPage => {}
            Parsed::Short { need, have } => {
                if t.last.is_none() && t.short.is_none() {
                    let ok = buf.len() - i < 18
                        || u32::from_le_bytes([buf[i + 14], buf[i + 15], buf[i + 16], buf[i + 17]]) == serial;
                    if ok {
                        t.short = Some((start + i as u64, need, have));
                    }
                }
            }
            Parsed::Page(p) => {
                if p.serial != serial {
                    continue;
                }
                if !crc_ok(&buf[i..i + p.total]) {
                    if t.last.is_none() {
                        t.bad_crc += 1;
                    }
                    continue;
                }
                let at = start + i as u64;
                if t.last.is_none() {
                    t.last = Some((at, p.eos()));
                }
                if p.has_granule() {
                    t.granule = Some((at, p.granule));
                    return t;
                }
            }
        }
    }
    t
}

/// Probes an Ogg file and measures its first Vorbis, Opus, FLAC or Speex stream. `len` is the file
/// length; the reader may be at any position.
pub fn probe_ogg<R: Read + Seek>(r: &mut R, len: u64) -> Result<OggInfo, OggError> {
    if len == 0 {
        return Err(OggError::Invalid("the file is empty".into()));
    }
    let mut notes = Vec::new();

    // 1. the BOS pages at the start: pick the first known audio stream
    let mut pos = 0u64;
    let mut chosen: Option<(u32, Ident)> = None;
    let mut first_other: Option<String> = None;
    let mut bos_count = 0usize;
    loop {
        let (parsed, bytes) = read_page(r, pos, len)?;
        let page = match parsed {
            Parsed::Page(p) => p,
            Parsed::Short { need, have } => {
                if chosen.is_some() {
                    break;
                }
                return Err(OggError::Truncated(format!(
                    "the file ends inside the Ogg page at byte {pos}: the page needs {need} bytes but only {have} remain"
                )));
            }
            Parsed::NotPage => {
                if pos == 0 {
                    return Err(OggError::Invalid(
                        "not an Ogg file (no OggS page at the start)".into(),
                    ));
                }
                break;
            }
        };
        if !page.bos() {
            break;
        }
        if !crc_ok(&bytes) {
            return Err(OggError::Invalid(format!(
                "the Ogg page at byte {pos} that starts a stream has a bad checksum"
            )));
        }
        bos_count += 1;
        if chosen.is_none() {
            let first = page.packets().first().map(|&(s, e, _)| (s, e));
            let packet = first.and_then(|(s, e)| bytes.get(s..e)).unwrap_or(&[]);
            match identify(packet)? {
                Some(id) => chosen = Some((page.serial, id)),
                None => {
                    if first_other.is_none() {
                        first_other = Some(stream_name(packet));
                    }
                }
            }
        }
        pos += page.total as u64;
        if bos_count >= 1024 {
            break;
        }
    }
    let Some((serial, id)) = chosen else {
        return Err(OggError::Invalid(format!(
            "the Ogg file holds no Vorbis, Opus, FLAC or Speex stream (its first stream is {})",
            first_other.unwrap_or_else(|| "an unknown codec".into())
        )));
    };
    if bos_count > 1 {
        notes.push(format!(
            "the file multiplexes {bos_count} logical streams; the {} stream (serial {serial}) is measured",
            id.codec
        ));
    }

    // 2. Opus: starting granule from the first audio page (RFC 7845 §4.3)
    let mut start_granule = 0u64;
    if id.codec == "opus" {
        match opus_start_granule(r, pos, len, serial, id.header_packets)? {
            Some(s) if s > 0 => {
                notes.push(format!("the stream starts at granule position {s} instead of 0"));
                start_granule = s;
            }
            _ => {}
        }
    }

    // 3. the last page of the stream, from the tail of the file
    let mut window = 8 * 1024u64;
    let tail = loop {
        let ws = len.saturating_sub(window);
        let mut buf = vec![0u8; usize::try_from(len - ws).unwrap_or(0)];
        let n = read_at(r, ws, &mut buf)?;
        buf.truncate(n);
        let t = scan_tail(&buf, ws, serial);
        if t.granule.is_some() || ws == 0 || window >= MAX_TAIL {
            break t;
        }
        window *= 8;
    };
    let tail = if tail.last.is_some() {
        tail
    } else {
        // e.g. a chained file whose first stream ended long before the tail: walk forwards
        notes.push("the end of the stream was found by walking all pages".into());
        walk_forward(r, len, serial)?
    };
    if tail.bad_crc > 0 {
        notes.push(format!(
            "{} page(s) with a bad checksum near the end of the file were ignored",
            tail.bad_crc
        ));
    }

    let last_granule = tail.granule.map_or(0, |(_, g)| g);
    let mut truncated = None;
    if let Some((at, need, have)) = tail.short {
        truncated = Some(format!(
            "the file ends inside the Ogg page at byte {at}: the page needs {need} bytes but only {have} remain"
        ));
    } else if let Some((at, false)) = tail.last {
        truncated = Some(format!(
            "the last Ogg page of the stream (byte {at}) is not marked as the end of the stream"
        ));
    } else if tail.last.is_none() {
        truncated = Some("the stream has no complete page after its headers".into());
    }

    let total = last_granule.saturating_sub(start_granule);
    let samples = if id.codec == "opus" {
        if total < u64::from(id.pre_skip) {
            notes.push(format!(
                "the last granule position ({last_granule}) is smaller than the pre-skip ({})",
                id.pre_skip
            ));
        }
        total.saturating_sub(u64::from(id.pre_skip))
    } else {
        total
    };
    Ok(OggInfo {
        codec: id.codec.to_string(),
        sample_rate: id.rate,
        input_sample_rate: id.input_rate,
        channels: id.channels,
        pre_skip: id.pre_skip,
        samples,
        duration_s: duration(samples, id.rate),
        truncated,
        serial,
        notes,
    })
}

/// Finds the first page of `serial` that completes an audio packet and derives the granule
/// position the stream starts at: its granule minus the duration of the packets ending on it.
/// `None` when it cannot be determined cheaply (damaged page, continued packet, ...).
fn opus_start_granule<R: Read + Seek>(
    r: &mut R,
    mut pos: u64,
    len: u64,
    serial: u32,
    header_packets: u64,
) -> Result<Option<u64>, OggError> {
    // the BOS page held packet 1
    let mut seen = 1u64;
    for _ in 0..MAX_HEADER_PAGES {
        let (parsed, bytes) = read_page(r, pos, len)?;
        let Parsed::Page(p) = parsed else {
            return Ok(None);
        };
        pos += p.total as u64;
        if p.serial != serial || p.bos() {
            continue;
        }
        if !crc_ok(&bytes) {
            return Ok(None);
        }
        let packets = p.packets();
        let ended = packets.iter().filter(|x| x.2).count() as u64;
        if seen + ended <= header_packets {
            seen += ended;
            continue;
        }
        if seen < header_packets || p.continued() || !p.has_granule() {
            // audio shares a page with headers, or starts mid-packet: not worth guessing
            return Ok(None);
        }
        let mut sum = 0u64;
        for &(s, e, done) in &packets {
            if done {
                sum += bytes.get(s..e).and_then(opus_packet_samples).unwrap_or(0);
            }
        }
        return Ok(Some(p.granule.saturating_sub(sum)));
    }
    Ok(None)
}

/// Walks all pages from the start (headers only, bounded) and checks the last page of `serial`.
fn walk_forward<R: Read + Seek>(r: &mut R, len: u64, serial: u32) -> Result<Tail, OggError> {
    let mut t = Tail {
        last: None,
        granule: None,
        short: None,
        bad_crc: 0,
    };
    let mut pos = 0u64;
    let mut last_pos = None;
    let mut gran_pos = None;
    let mut hdr = [0u8; 27 + 255];
    for _ in 0..MAX_PAGES {
        if pos >= len {
            break;
        }
        let n = read_at(r, pos, &mut hdr)?;
        let avail = usize::try_from(len - pos).unwrap_or(usize::MAX).min(n);
        // parse only the header; the body is checked for the chosen pages below
        let h = &hdr[..avail];
        if h.len() < 27 || &h[0..4] != b"OggS" {
            if h.len() < 27 && b"OggS".starts_with(&h[..h.len().min(4)]) {
                t.short = Some((pos, 27, h.len()));
            }
            break;
        }
        let nseg = usize::from(h[26]);
        let Some(segs) = h.get(27..27 + nseg) else {
            t.short = Some((pos, 27 + nseg, h.len()));
            break;
        };
        let total = 27 + nseg + segs.iter().map(|&x| usize::from(x)).sum::<usize>();
        if pos + total as u64 > len {
            if u32_le(h, 14) == serial {
                t.short = Some((pos, total, usize::try_from(len - pos).unwrap_or(0)));
            }
            break;
        }
        if u32_le(h, 14) == serial {
            last_pos = Some(pos);
            if u64::from_le_bytes([h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13]]) != u64::MAX {
                gran_pos = Some(pos);
            }
            t.short = None;
        }
        pos += total as u64;
    }
    for (slot, at) in [(0, last_pos), (1, gran_pos)] {
        let Some(at) = at else { continue };
        let (parsed, bytes) = read_page(r, at, len)?;
        if let Parsed::Page(p) = parsed {
            if !crc_ok(&bytes) {
                t.bad_crc += 1;
                continue;
            }
            if slot == 0 {
                t.last = Some((at, p.eos()));
            } else {
                t.granule = Some((at, p.granule));
            }
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/fixtures/audio/");

    fn load(name: &str) -> Vec<u8> {
        std::fs::read(format!("{DIR}{name}")).unwrap()
    }

    fn probe(b: &[u8]) -> Result<OggInfo, OggError> {
        probe_ogg(&mut Cursor::new(b), b.len() as u64)
    }

    /// (page offset, granule) of every page, from a page dump of the fixtures.
    const OPUS_PAGES: [(usize, u64); 8] = [
        (0, 0),
        (47, 0),
        (121, 9600),
        (315, 19200),
        (512, 28800),
        (706, 38400),
        (868, 48000),
        (1036, 48312),
    ];
    const VORBIS_PAGES: [(usize, u64); 7] = [
        (0, 0),
        (58, 0),
        (2620, 1792),
        (2789, 3840),
        (2956, 5888),
        (3124, 7936),
        (3293, 8000),
    ];

    #[test]
    fn opus() {
        // ffprobe: opus 48000 Hz mono, duration_ts 48312 (1.0065 s: it does not subtract the
        // pre-skip); `ffmpeg -i opus.opus -f s16le -ac 1 - | wc -c` / 2 = 48000 samples
        let i = probe(&load("opus.opus")).unwrap();
        assert_eq!(i.codec, "opus");
        assert_eq!((i.sample_rate, i.input_sample_rate), (48000, Some(16000)));
        assert_eq!((i.channels, i.pre_skip), (1, 312));
        assert_eq!(i.samples, 48000);
        assert_eq!(i.duration_s, 1.0);
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
    }

    #[test]
    fn opus_truncated_fixture() {
        // cut inside the page at 512; ffprobe 19200 (0.4 s), decode 18888 = 19200 - 312
        let i = probe(&load("opus_trunc.opus")).unwrap();
        assert_eq!(i.samples, 18888);
        assert_eq!(i.duration_s, 0.3935);
        assert_eq!(
            i.truncated.as_deref(),
            Some(
                "the file ends inside the Ogg page at byte 512: the page needs 194 bytes but only 136 remain"
            )
        );
    }

    #[test]
    fn vorbis_and_flac() {
        // ffprobe: vorbis 8000 Hz mono duration_ts 8000; decode 8000
        let i = probe(&load("vorbis.ogg")).unwrap();
        assert_eq!(i.codec, "vorbis");
        assert_eq!((i.sample_rate, i.input_sample_rate, i.channels), (8000, None, 1));
        assert_eq!((i.samples, i.pre_skip, i.truncated.clone()), (8000, 0, None));
        assert_eq!(i.duration_s, 1.0);
        // ffprobe: flac 8000 Hz mono duration_ts 4000; decode 4000
        let i = probe(&load("oggflac.oga")).unwrap();
        assert_eq!(i.codec, "flac");
        assert_eq!((i.sample_rate, i.channels, i.samples), (8000, 1, 4000));
        assert_eq!(i.truncated, None);
    }

    fn check_cuts(b: &[u8], pages: &[(usize, u64)], id_end: usize, pre_skip: u64) {
        for cut in 0..id_end {
            assert!(probe(&b[..cut]).is_err(), "cut {cut}");
        }
        for cut in id_end..=b.len() {
            let i = probe(&b[..cut]).unwrap();
            // last page wholly inside the cut
            let k = (0..pages.len())
                .rfind(|&k| pages.get(k + 1).map_or(b.len(), |p| p.0) <= cut)
                .unwrap();
            assert_eq!(i.samples, pages[k].1.saturating_sub(pre_skip), "cut {cut}");
            assert_eq!(i.truncated.is_some(), cut < b.len(), "cut {cut}");
        }
    }

    #[test]
    fn every_cut_point() {
        check_cuts(&load("opus.opus"), &OPUS_PAGES, 47, 312);
        check_cuts(&load("vorbis.ogg"), &VORBIS_PAGES, 58, 0);
        assert!(matches!(
            probe(&load("opus.opus")[..20]),
            Err(OggError::Truncated(_))
        ));
        assert!(matches!(probe(b"Og"), Err(OggError::Truncated(_))));
    }

    /// Rewrites every granule position >= `from` by adding `delta`, and fixes the checksums.
    fn shift_granules(b: &mut [u8], delta: u64) {
        let mut pos = 0;
        while pos + 27 <= b.len() {
            let Parsed::Page(p) = parse_page(&b[pos..]) else {
                break;
            };
            if p.granule > 0 && p.has_granule() {
                let g = p.granule + delta;
                b[pos + 6..pos + 14].copy_from_slice(&g.to_le_bytes());
                let c = page_crc(&b[pos..pos + p.total]);
                b[pos + 22..pos + 26].copy_from_slice(&c.to_le_bytes());
            }
            pos += p.total;
        }
    }

    #[test]
    fn opus_nonzero_start() {
        let mut b = load("opus.opus");
        shift_granules(&mut b, 4800);
        let i = probe(&b).unwrap();
        assert_eq!(i.samples, 48000);
        assert_eq!(i.notes.len(), 1, "{:?}", i.notes);
        // vorbis: no start correction (documented)
        let mut b = load("vorbis.ogg");
        shift_granules(&mut b, 800);
        assert_eq!(probe(&b).unwrap().samples, 8800);
    }

    #[test]
    fn damaged() {
        assert!(matches!(probe(&[]), Err(OggError::Invalid(_))));
        assert!(matches!(probe(b"RIFF....WAVEfmt "), Err(OggError::Invalid(_))));
        // a bad checksum on the identification page
        let mut b = load("opus.opus");
        b[40] ^= 0x10;
        assert!(matches!(probe(&b), Err(OggError::Invalid(_))));
        // a bad checksum on the last page: the page before is used, and it lacks EOS
        let mut b = load("opus.opus");
        b[1070] ^= 0x10;
        let i = probe(&b).unwrap();
        assert_eq!(i.samples, 48000 - 312);
        assert!(i.truncated.unwrap().contains("not marked as the end"));
        assert_eq!(i.notes.len(), 1);
        // EOS flag cleared (and CRC fixed): a cut exactly at a page boundary looks like this
        let mut b = load("vorbis.ogg");
        b[3293 + 5] = 0;
        let c = page_crc(&b[3293..]);
        b[3293 + 22..3293 + 26].copy_from_slice(&c.to_le_bytes());
        let i = probe(&b).unwrap();
        assert_eq!(i.samples, 8000);
        assert_eq!(
            i.truncated.as_deref(),
            Some("the last Ogg page of the stream (byte 3293) is not marked as the end of the stream")
        );
        // a stream of an unknown codec
        let mut b = load("opus.opus")[..47].to_vec();
        b[28..35].copy_from_slice(b"\x80theora");
        let c = page_crc(&b);
        b[22..26].copy_from_slice(&c.to_le_bytes());
        let e = probe(&b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the Ogg file holds no Vorbis, Opus, FLAC or Speex stream (its first stream is Theora)"
        );
        // a corrupt OpusHead (0 channels)
        let mut b = load("opus.opus");
        b[37] = 0;
        let c = page_crc(&b[..47]);
        b[22..26].copy_from_slice(&c.to_le_bytes());
        assert!(matches!(probe(&b), Err(OggError::Invalid(_))));
    }

    #[test]
    fn crc_and_opus_toc() {
        // the fixture's own checksums verify
        let b = load("vorbis.ogg");
        assert!(crc_ok(&b[0..58]));
        assert!(crc_ok(&b[3293..]));
        assert_eq!(opus_packet_samples(&[0x08]), Some(960)); // SILK NB 20 ms, code 0
        assert_eq!(opus_packet_samples(&[0xFC]), Some(960)); // CELT FB 20 ms, code 0
        assert_eq!(opus_packet_samples(&[0x09]), Some(1920)); // SILK NB 20 ms, code 1: 2 frames
        assert_eq!(opus_packet_samples(&[0x03, 0x05]), Some(5 * 480));
        assert_eq!(opus_packet_samples(&[0x03]), None);
    }

    #[test]
    fn chained_and_multiplexed() {
        // two chained copies: the first stream is found by the forward walk
        let a = load("opus.opus");
        let mut v = load("vorbis.ogg");
        // give the vorbis stream another serial
        let mut pos = 0;
        while pos < v.len() {
            let Parsed::Page(p) = parse_page(&v[pos..]) else {
                break;
            };
            v[pos + 14] = 7;
            let c = page_crc(&v[pos..pos + p.total]);
            v[pos + 22..pos + 26].copy_from_slice(&c.to_le_bytes());
            pos += p.total;
        }
        let mut b = a.clone();
        b.extend_from_slice(&v);
        let i = probe(&b).unwrap();
        assert_eq!(
            (i.codec.as_str(), i.samples, i.truncated.clone()),
            ("opus", 48000, None)
        );
        assert_eq!(i.serial, 0);
        // a long second stream: the tail window misses the first, so the pages are walked
        for _ in 0..1300 {
            b.extend_from_slice(&v);
        }
        let i = probe(&b).unwrap();
        assert_eq!(
            (i.codec.as_str(), i.samples, i.truncated.clone()),
            ("opus", 48000, None)
        );
        assert!(i.notes[0].contains("walking"), "{:?}", i.notes);
    }

    #[test]
    fn no_panic_sweep() {
        for name in ["opus.opus", "opus_trunc.opus", "vorbis.ogg", "oggflac.oga"] {
            let b = load(name);
            for cut in 0..=b.len() {
                let _ = probe(&b[..cut]);
            }
            let mut seed = 0xD1B5_4A32_D192_ED03u64;
            for k in 0..300 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut c = b.clone();
                let span = if k % 2 == 0 { 128.min(c.len()) } else { c.len() };
                let at = (seed % span as u64) as usize;
                c[at] = (seed >> 32) as u8;
                let _ = probe(&c);
                let end = (at + 4).min(c.len());
                c[at..end].fill(0xFF);
                let _ = probe(&c);
            }
        }
    }
}
