//! The movie box and its tracks: `moov`/`trak`/`mdia` walk, edit lists and the sample tables
//! (`stts`, `stsz`, `stsc`, `stco`) that give exact durations and the data each track needs.

use std::io::{Read, Seek};

use crate::probe::ParseError;
use crate::probe::bytes::{fourcc, u16_be, u32_be, u64_be};

use super::boxes::{BoxHdr, Src, next_child};
use super::codec::parse_stsd;
use super::{
    Durations, LAST_CHUNK_SAMPLES_CAP, STSD_CAP, State, Trak, full_box_version, header_times, short,
};

pub(super) fn parse_moov<R: Read + Seek>(
    src: &mut Src<R>,
    moov: &BoxHdr,
    st: &mut State,
) -> Result<(), ParseError> {
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

pub(super) fn check_fits(h: &BoxHdr, head: u64, n: u64, size: u64, what: &str) -> Result<(), ParseError> {
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
    pub(super) stts: Option<BoxHdr>,
    pub(super) stsz: Option<BoxHdr>,
    pub(super) stsc: Option<BoxHdr>,
    pub(super) stco: Option<BoxHdr>,
}

impl Tables {
    pub(super) fn read<R: Read + Seek>(&self, src: &mut Src<R>, t: &mut Trak) -> Result<(), ParseError> {
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
