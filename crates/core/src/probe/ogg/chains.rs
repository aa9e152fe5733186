//! Measuring a stream: the last page of a logical stream found in the tail of the file, and the
//! forward walk that splits a chained file into its links.

use std::io::{Read, Seek};

use crate::probe::bytes::u32_le;
use crate::probe::{ParseError, read_at};

use super::codec::{Ident, identify, opus_packet_samples, stream_name};
use super::page::{Hdr, Parsed, crc_ok, parse_page, read_header, read_page, resync};
use super::{MAX_CHAINS, MAX_HEADER_PAGES, MAX_PAGES, MAX_TAIL};

/// The last page of a stream as found at the end of the file.
struct Tail {
    /// offset and EOS flag of the last complete, CRC-valid page of the stream
    pub(super) last: Option<(u64, bool)>,
    /// offset and granule of the last such page that has a granule position
    pub(super) granule: Option<(u64, u64)>,
    /// a page header after `last` whose page is cut off by the end of the file
    pub(super) short: Option<(u64, usize, usize)>,
    /// pages with a bad CRC after `last`
    pub(super) bad_crc: usize,
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
                    let ok = buf.len() - i < 18 || u32_le(buf, i + 14) == Some(serial);
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

/// One link of a chained file: a group of BOS pages and the pages that follow them.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    /// offset of its first BOS page
    pub(super) start: u64,
    /// offset where the next chain starts, or the end of the file
    pub(super) end: u64,
    /// the first known audio stream of its BOS pages
    pub(super) audio: Option<(u32, Ident)>,
    /// the name of its first stream when that is not a known audio codec
    pub(super) other: Option<String>,
    /// why its audio stream could not be identified (damaged BOS page or header)
    pub(super) bad: Option<String>,
}

/// Measures the audio stream `serial` of one chain: (playable samples at `id.rate`, truncation).
pub(super) fn measure_chain<R: Read + Seek>(
    r: &mut R,
    len: u64,
    c: &Chain,
    serial: u32,
    id: &Ident,
    notes: &mut Vec<String>,
) -> Result<(u64, Option<String>), ParseError> {
    // Opus: starting granule from the first audio page (RFC 7845 §4.3)
    let mut start_granule = 0u64;
    if id.codec == "opus" {
        match opus_start_granule(r, c.start, c.end, serial, id.header_packets)? {
            Some(s) if s > 0 => {
                notes.push(format!("the stream starts at granule position {s} instead of 0"));
                start_granule = s;
            }
            _ => {}
        }
    }

    // the last page of the stream, from the tail of the chain
    let mut window = 8 * 1024u64;
    let tail = loop {
        let ws = c.end.saturating_sub(window).max(c.start);
        let mut buf = vec![0u8; usize::try_from(c.end - ws).unwrap_or(0)];
        let n = read_at(r, ws, &mut buf)?;
        buf.truncate(n);
        let t = scan_tail(&buf, ws, serial);
        if t.granule.is_some() || ws <= c.start || window >= MAX_TAIL {
            break t;
        }
        window *= 8;
    };
    let tail = if tail.last.is_some() {
        tail
    } else {
        // e.g. a multiplexed stream that ended long before the others: walk forwards
        notes.push("the end of the stream was found by walking all pages".into());
        walk_forward(r, c.start, c.end, serial)?
    };
    if tail.bad_crc > 0 {
        notes.push(format!(
            "{} page(s) with a bad checksum near the end of the stream were ignored",
            tail.bad_crc
        ));
    }

    let last_granule = tail.granule.map_or(0, |(_, g)| g);
    let mut truncated = None;
    if let Some((at, need, have)) = tail.short {
        truncated = Some(if c.end < len {
            format!(
                "the Ogg page at byte {at} is cut short: it needs {need} bytes but the next chained stream starts after {have}"
            )
        } else {
            format!(
                "the file ends inside the Ogg page at byte {at}: the page needs {need} bytes but only {have} remain"
            )
        });
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
    Ok((samples, truncated))
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
) -> Result<Option<u64>, ParseError> {
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

/// Chained files (logical streams one after another, as `cat a.ogg b.ogg` makes) are split
/// into their links by this bounded walk over the page headers (not the payloads); each link's
/// audio stream is measured within its own byte range and the durations are summed. Links that
/// differ in codec, sample rate or channel count are reported in `OggInfo::chain_mismatch`.
///
/// Walks the page headers of the whole file (bounded) and splits it into chains: a new chain
/// starts at a BOS page that follows non-BOS pages. Identifies the audio stream of every chain
/// (chain 0 is identified by the caller). Returns the chains, notes about skipped damage, and
/// the page the end of the file cuts short, if any (offset, bytes needed, bytes present), and the
/// bytes after the last page that are no Ogg page (see `trailing-data`).
#[allow(clippy::type_complexity)]
pub(super) fn walk_chains<R: Read + Seek>(
    r: &mut R,
    len: u64,
) -> Result<(Vec<Chain>, Vec<String>, Option<(u64, usize, usize)>, u64), ParseError> {
    let mut trailing = 0;
    let mut cut = None;
    let mut chains: Vec<Chain> = Vec::new();
    let mut notes = Vec::new();
    let mut pos = 0u64;
    let mut in_bos = false;
    // where the previous page starts: a page cut short by a later chain (even inside its
    // header) hides the next headers inside its declared size, so a lost sync searches again
    // from just after its capture pattern
    let mut prev_page = 0u64;
    let mut walked = 0usize;
    while pos < len {
        walked += 1;
        if walked > MAX_PAGES {
            notes.push(format!(
                "only the first {MAX_PAGES} Ogg pages were walked; later chained streams are not counted"
            ));
            break;
        }
        let (flags, serial, total) = match read_header(r, pos, len)? {
            Hdr::Page {
                flags, serial, total, ..
            } => (flags, serial, total),
            Hdr::Short(need, have) => {
                cut = Some((pos, need, have));
                break;
            }
            Hdr::NotPage => match resync(r, prev_page.saturating_add(1), len)? {
                Some(at) if at != pos => {
                    if at > pos {
                        notes.push(format!(
                            "{} bytes of damaged data at byte {pos} were skipped",
                            at - pos
                        ));
                    }
                    pos = at;
                    continue;
                }
                _ => {
                    trailing = len - pos;
                    break;
                }
            },
        };
        if flags & 2 != 0 {
            if !in_bos {
                if chains.len() >= MAX_CHAINS {
                    notes.push(format!("only the first {MAX_CHAINS} chained streams are counted"));
                    break;
                }
                if let Some(prev) = chains.last_mut() {
                    prev.end = pos;
                }
                chains.push(Chain {
                    start: pos,
                    end: len,
                    audio: None,
                    other: None,
                    bad: None,
                });
                in_bos = true;
            }
            let later = chains.len() > 1;
            if let Some(c) = chains.last_mut() {
                if later && c.audio.is_none() && c.bad.is_none() {
                    identify_bos(r, pos, len, serial, c)?;
                }
            }
        } else {
            in_bos = false;
        }
        prev_page = pos;
        pos = pos.saturating_add(total);
    }
    if let Some(last) = chains.last_mut() {
        last.end = len;
    }
    Ok((chains, notes, cut, trailing))
}

/// Reads the BOS page at `pos` and records the stream it starts in `c`.
fn identify_bos<R: Read + Seek>(
    r: &mut R,
    pos: u64,
    len: u64,
    serial: u32,
    c: &mut Chain,
) -> Result<(), ParseError> {
    let (parsed, bytes) = read_page(r, pos, len)?;
    let Parsed::Page(page) = parsed else {
        return Ok(());
    };
    if !crc_ok(&bytes) {
        c.bad = Some(format!(
            "the page at byte {pos} that starts it has a bad checksum"
        ));
        return Ok(());
    }
    let first = page.packets().first().map(|&(s, e, _)| (s, e));
    let packet = first.and_then(|(s, e)| bytes.get(s..e)).unwrap_or(&[]);
    match identify(packet) {
        Ok(Some(id)) => c.audio = Some((serial, id)),
        Ok(None) => {
            if c.other.is_none() {
                c.other = Some(stream_name(packet));
            }
        }
        Err(e) => c.bad = Some(e.to_string()),
    }
    Ok(())
}

/// Walks the pages of `[start, end)` (headers only, bounded) and checks the last page of `serial`.
fn walk_forward<R: Read + Seek>(r: &mut R, start: u64, end: u64, serial: u32) -> Result<Tail, ParseError> {
    let mut t = Tail {
        last: None,
        granule: None,
        short: None,
        bad_crc: 0,
    };
    let mut pos = start;
    let mut last_pos = None;
    let mut gran_pos = None;
    for _ in 0..MAX_PAGES {
        if pos >= end {
            break;
        }
        match read_header(r, pos, end)? {
            Hdr::Page {
                granule,
                serial: s,
                total,
                ..
            } => {
                if s == serial {
                    last_pos = Some(pos);
                    if granule != u64::MAX {
                        gran_pos = Some(pos);
                    }
                    t.short = None;
                }
                pos = pos.saturating_add(total);
            }
            Hdr::Short(need, have) => {
                let mut s = [0u8; 4];
                if have < 18 || (read_at(r, pos + 14, &mut s)? == 4 && u32_le(&s, 0) == Some(serial)) {
                    t.short = Some((pos, need, have));
                }
                break;
            }
            Hdr::NotPage => break,
        }
    }
    for (slot, at) in [(0, last_pos), (1, gran_pos)] {
        let Some(at) = at else { continue };
        let (parsed, bytes) = read_page(r, at, end)?;
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
