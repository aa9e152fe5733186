//! TIFF and BigTIFF: the image directories (IFDs), their chain, and whether the strips or tiles
//! they point to lie inside the file.

use std::io::{Read, Seek};

use crate::probe::bytes::{Endian, Need};
use crate::sniff::Container;

use super::{ImageInfo, Result, Src, check_dims, info, invalid, truncated};

/// Upper bound on the number of TIFF directory entries read.
const MAX_IFD_ENTRIES: u64 = 4096;
/// Upper bound on the number of TIFF strip/tile offsets checked (plus the last one).
const MAX_STRIPS: u64 = 8192;
/// Upper bound on the number of TIFF image directories (pages) walked.
const MAX_IFDS: usize = 1000;
/// Upper bound on the directory entries and strip/tile values read over a whole TIFF IFD chain
/// (one more directory may be finished after it is reached).
const MAX_TIFF_VALUES: u64 = 1 << 20;

#[derive(Clone, Copy)]
struct Tiff {
    le: bool,
    big: bool,
}

impl Tiff {
    fn endian(&self) -> Endian {
        Endian::big_if(!self.le)
    }
    fn u16(&self, b: &[u8]) -> Option<u16> {
        self.endian().u16(b, 0)
    }
    fn u32(&self, b: &[u8]) -> Option<u32> {
        self.endian().u32(b, 0)
    }
    fn u64(&self, b: &[u8]) -> Option<u64> {
        self.endian().u64(b, 0)
    }
    /// Size of the inline value field of an IFD entry.
    fn field(&self) -> usize {
        if self.big { 8 } else { 4 }
    }
    /// Reads an integer of TIFF type `typ` (SHORT, LONG, LONG8) from `b`.
    fn int(&self, typ: u16, b: &[u8]) -> Option<u64> {
        match typ {
            3 => self.u16(b).map(u64::from),
            4 => self.u32(b).map(u64::from),
            16 => self.u64(b),
            _ => None,
        }
    }
    /// The offset stored in a value field (when the value does not fit inline).
    fn offset(&self, field: &[u8]) -> Option<u64> {
        if self.big {
            self.u64(field)
        } else {
            self.u32(field).map(u64::from)
        }
    }
}

/// Size of one value of an integer array type (SHORT, LONG, LONG8).
fn type_size(typ: u16) -> Option<u64> {
    match typ {
        3 => Some(2),
        4 => Some(4),
        16 => Some(8),
        _ => None,
    }
}

/// Size of one value of any TIFF / BigTIFF field type; `None` for unknown types (which readers
/// skip, so they are not checked).
fn value_size(typ: u16) -> Option<u64> {
    match typ {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 | 13 => Some(4),
        5 | 10 | 12 | 16 | 17 | 18 => Some(8),
        _ => None,
    }
}

/// The TIFF name of a field type (for messages).
fn type_name(typ: u16) -> &'static str {
    match typ {
        1 => "BYTE",
        2 => "ASCII",
        3 => "SHORT",
        4 => "LONG",
        5 => "RATIONAL",
        6 => "SBYTE",
        7 => "UNDEFINED",
        8 => "SSHORT",
        9 => "SLONG",
        10 => "SRATIONAL",
        11 => "FLOAT",
        12 => "DOUBLE",
        13 => "IFD",
        16 => "LONG8",
        17 => "SLONG8",
        18 => "IFD8",
        _ => "?",
    }
}

/// The name of a TIFF tag (for messages), or its number.
fn tag_name(tag: u16) -> String {
    let name = match tag {
        254 => "NewSubfileType",
        256 => "ImageWidth",
        257 => "ImageLength",
        258 => "BitsPerSample",
        259 => "Compression",
        262 => "PhotometricInterpretation",
        269 => "DocumentName",
        270 => "ImageDescription",
        271 => "Make",
        272 => "Model",
        273 => "StripOffsets",
        277 => "SamplesPerPixel",
        278 => "RowsPerStrip",
        279 => "StripByteCounts",
        282 => "XResolution",
        283 => "YResolution",
        284 => "PlanarConfiguration",
        285 => "PageName",
        296 => "ResolutionUnit",
        297 => "PageNumber",
        301 => "TransferFunction",
        305 => "Software",
        306 => "DateTime",
        315 => "Artist",
        317 => "Predictor",
        318 => "WhitePoint",
        319 => "PrimaryChromaticities",
        320 => "ColorMap",
        322 => "TileWidth",
        323 => "TileLength",
        324 => "TileOffsets",
        325 => "TileByteCounts",
        330 => "SubIFDs",
        338 => "ExtraSamples",
        339 => "SampleFormat",
        347 => "JPEGTables",
        529 => "YCbCrCoefficients",
        530 => "YCbCrSubSampling",
        532 => "ReferenceBlackWhite",
        700 => "XMP",
        33432 => "Copyright",
        33723 => "IPTC",
        34377 => "Photoshop",
        34665 => "ExifIFD",
        34675 => "ICCProfile",
        _ => return format!("tag {tag}"),
    };
    name.to_string()
}

/// One IFD entry of interest: type, count and the raw value field.
#[derive(Clone, Copy)]
struct Entry {
    typ: u16,
    count: u64,
    field: [u8; 8],
}

/// Values of an integer array tag: the first up to [`MAX_STRIPS`] values and, if there are more,
/// the last one (with its index). `Err` holds a truncation message; `pre` starts it ("the " or
/// "page 2's ").
fn read_tiff_array<R: Read + Seek>(
    src: &mut Src<'_, R>,
    t: Tiff,
    e: &Entry,
    pre: &str,
    what: &str,
) -> Result<std::result::Result<Vec<(u64, u64)>, String>> {
    let Some(size) = type_size(e.typ) else {
        return Ok(Ok(Vec::new()));
    };
    if size == 8 && !t.big {
        // LONG8 exists only in BigTIFF: leave such a table unchecked.
        return Ok(Ok(Vec::new()));
    }
    let total = e.count.saturating_mul(size);
    let head_n = e.count.min(MAX_STRIPS);
    let mut vals = Vec::new();
    if total <= t.field() as u64 {
        for i in 0..head_n {
            let at = (i * size) as usize;
            if let Some(v) = t.int(e.typ, &e.field[at..]) {
                vals.push((i, v));
            }
        }
        return Ok(Ok(vals));
    }
    let off = t.offset(&e.field).need("TIFF directory entry")?;
    if off.saturating_add(total) > src.len {
        return Ok(Err(format!(
            "{pre}{what} table ({} entries at byte {off}) extends beyond the end of the file ({} bytes)",
            e.count, src.len
        )));
    }
    let mut buf = vec![0u8; (head_n * size) as usize];
    src.read_full(off, &mut buf, &format!("{what} table"))?;
    for (i, chunk) in buf.chunks_exact(size as usize).enumerate() {
        if let Some(v) = t.int(e.typ, chunk) {
            vals.push((i as u64, v));
        }
    }
    if e.count > head_n {
        let mut last = [0u8; 8];
        let at = off + (e.count - 1) * size;
        src.read_full(at, &mut last[..size as usize], &format!("{what} table"))?;
        if let Some(v) = t.int(e.typ, &last) {
            vals.push((e.count - 1, v));
        }
    }
    Ok(Ok(vals))
}

/// One image directory (IFD) as far as the file holds it.
struct Ifd {
    /// The declared number of entries.
    count: u64,
    /// The entries the file holds (at most [`MAX_IFD_ENTRIES`]) as (tag, entry), in file order.
    entries: Vec<(u16, Entry)>,
    /// Some declared entries are missing: the file ends inside the entry table.
    table_cut: bool,
    /// The offset of the next IFD (0: none); `None` when the file ends before that field.
    next: Option<u64>,
}

/// Reads the IFD at `at`; `Ok(None)` when the file ends inside its entry count.
fn read_ifd<R: Read + Seek>(src: &mut Src<'_, R>, t: Tiff, at: u64) -> Result<Option<Ifd>> {
    let len = src.len;
    let cs = if t.big { 8 } else { 2 };
    let mut cb = [0u8; 8];
    if src.read_at(at, &mut cb[..cs])? < cs {
        return Ok(None);
    }
    let count = if t.big {
        t.u64(&cb)
    } else {
        t.u16(&cb).map(u64::from)
    }
    .need("TIFF image directory")?;
    let esize: u64 = if t.big { 20 } else { 12 };
    let first = at.saturating_add(cs as u64);
    let shown = count.min(MAX_IFD_ENTRIES);
    let mut buf = vec![0u8; (shown * esize) as usize];
    let got = src.read_at(first, &mut buf)?;
    let avail = got / esize as usize;
    let mut entries = Vec::with_capacity(avail);
    for e in buf[..avail * esize as usize].chunks_exact(esize as usize) {
        let what = "TIFF directory entry";
        let tag = t.u16(&e[0..2]).need(what)?;
        let typ = t.u16(&e[2..4]).need(what)?;
        let (count, field) = if t.big {
            (t.u64(&e[4..12]).need(what)?, &e[12..20])
        } else {
            (u64::from(t.u32(&e[4..8]).need(what)?), &e[8..12])
        };
        let mut f = [0u8; 8];
        f[..field.len()].copy_from_slice(field);
        entries.push((tag, Entry { typ, count, field: f }));
    }
    let table_end = count.checked_mul(esize).and_then(|b| first.checked_add(b));
    let table_cut = (avail as u64) < shown || table_end.is_none_or(|e| e > len);
    let mut next = None;
    if let (Some(end), false) = (table_end, table_cut) {
        let mut nb = [0u8; 8];
        let n = t.field();
        if src.read_at(end, &mut nb[..n])? == n {
            next = t.offset(&nb[..n]);
        }
    }
    Ok(Some(Ifd {
        count,
        entries,
        table_cut,
        next,
    }))
}

/// The out-of-line value of `ifd` that the end of the file cuts first (the lowest offset among
/// those running past the end; strip and tile tables are left to [`check_tiff_data`]).
fn check_tiff_values(t: Tiff, ifd: &Ifd, len: u64, pre: &str) -> Option<String> {
    let mut first: Option<(u64, String)> = None;
    for (tag, e) in &ifd.entries {
        if matches!(tag, 273 | 279 | 324 | 325) {
            continue;
        }
        let Some(size) = value_size(e.typ) else {
            continue;
        };
        let total = e.count.checked_mul(size);
        if total.is_some_and(|n| n <= t.field() as u64) {
            continue;
        }
        let Some(off) = t.offset(&e.field) else {
            continue;
        };
        let end = total.and_then(|n| off.checked_add(n));
        if end.is_some_and(|end| end <= len) || first.as_ref().is_some_and(|(o, _)| *o <= off) {
            continue;
        }
        let to = end.map_or_else(|| "beyond".to_string(), |e| e.to_string());
        let msg = format!(
            "{pre}{} value ({} {} values at bytes {off} to {to}) lies beyond the end of the file ({len} bytes)",
            tag_name(*tag),
            e.count,
            type_name(e.typ)
        );
        first = Some((off, msg));
    }
    first.map(|(_, m)| m)
}

/// Checks that the strips or tiles of one IFD lie within the file; a truncation message if not.
/// `pre` starts the messages ("" or "page 2's "); `budget` counts the values read.
fn check_tiff_data<R: Read + Seek>(
    src: &mut Src<'_, R>,
    t: Tiff,
    ifd: &Ifd,
    pre: &str,
    budget: &mut u64,
) -> Result<Option<String>> {
    let len = src.len;
    let find = |want: u16| ifd.entries.iter().find(|(tag, _)| *tag == want).map(|(_, e)| *e);
    let the = if pre.is_empty() { "the " } else { pre };
    for (offs, cnts, what) in [(273, 279, "strip"), (324, 325, "tile")] {
        let (Some(oe), Some(ce)) = (find(offs), find(cnts)) else {
            continue;
        };
        *budget = budget.saturating_sub(oe.count.min(MAX_STRIPS).saturating_add(ce.count.min(MAX_STRIPS)));
        let offsets = match read_tiff_array(src, t, &oe, the, &format!("{what} offset"))? {
            Ok(v) => v,
            Err(m) => return Ok(Some(m)),
        };
        let counts = match read_tiff_array(src, t, &ce, the, &format!("{what} byte count"))? {
            Ok(v) => v,
            Err(m) => return Ok(Some(m)),
        };
        let total = oe.count.min(ce.count);
        for ((i, off), (j, cnt)) in offsets.iter().zip(counts.iter()) {
            if i != j || *i >= total {
                continue;
            }
            let end = off.saturating_add(*cnt);
            if *cnt > 0 && end > len {
                return Ok(Some(format!(
                    "{pre}{what} {} of {total} should occupy bytes {off} to {end} but the file ends after {len} bytes",
                    i + 1
                )));
            }
        }
    }
    Ok(None)
}

/// Walks the IFD chain from the first IFD (at `at`, already read) and returns the first sign
/// of truncation: an entry table, an out-of-line value, a strip or tile, or the next IFD past
/// the end of the file. At most [`MAX_IFDS`] IFDs are walked; a loop ends the walk.
fn check_tiff_chain<R: Read + Seek>(
    src: &mut Src<'_, R>,
    t: Tiff,
    hdr_len: u64,
    mut at: u64,
    first: Ifd,
) -> Result<Option<String>> {
    let len = src.len;
    let single = first.next == Some(0);
    let mut visited = std::collections::HashSet::new();
    visited.insert(at);
    let mut budget = MAX_TIFF_VALUES;
    let mut ifd = first;
    let mut page = 1usize;
    loop {
        let (dir, pre) = if page == 1 {
            let pre = if single {
                String::new()
            } else {
                "page 1's ".to_string()
            };
            ("the first image directory (IFD)".to_string(), pre)
        } else {
            (
                format!("page {page}'s image directory (IFD)"),
                format!("page {page}'s "),
            )
        };
        if ifd.table_cut {
            return Ok(Some(format!(
                "the file ends after {len} bytes, inside {dir} at byte {at}, which declares {} entries",
                ifd.count
            )));
        }
        let Some(next) = ifd.next else {
            return Ok(Some(format!(
                "the file ends after {len} bytes, inside {dir} at byte {at}: the offset of the next directory is cut off"
            )));
        };
        let the = if pre.is_empty() { "the " } else { pre.as_str() };
        if let Some(m) = check_tiff_values(t, &ifd, len, the) {
            return Ok(Some(m));
        }
        budget = budget.saturating_sub(ifd.count.min(MAX_IFD_ENTRIES));
        if let Some(m) = check_tiff_data(src, t, &ifd, &pre, &mut budget)? {
            return Ok(Some(m));
        }
        if next == 0 || next < hdr_len || page >= MAX_IFDS || budget == 0 || !visited.insert(next) {
            // the last page, a corrupt link, a loop or enough work: nothing more to check
            return Ok(None);
        }
        page += 1;
        if next >= len {
            return Ok(Some(format!(
                "page {page}'s directory at byte {next} lies beyond the end of the file ({len} bytes)"
            )));
        }
        at = next;
        ifd = match read_ifd(src, t, at)? {
            Some(i) if i.count > 0 => i,
            Some(_) => return Ok(None), // an empty directory is damage, not truncation
            None => {
                return Ok(Some(format!(
                    "the file ends after {len} bytes, inside page {page}'s image directory (IFD) at byte {at}"
                )));
            }
        };
    }
}

pub(super) fn probe_tiff<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 16];
    let n = src.read_at(0, &mut h)?;
    let le = h[0] == b'I';
    let t0 = Tiff { le, big: false };
    let big = n >= 4 && t0.u16(&h[2..4]) == Some(43);
    let t = Tiff { le, big };
    let hdr_len = if big { 16 } else { 8 };
    if n < hdr_len {
        return truncated(format!("the file ends after {n} bytes, inside the TIFF header"));
    }
    let ifd = if big {
        if t.u16(&h[4..6]) != Some(8) || t.u16(&h[6..8]) != Some(0) {
            return invalid("the BigTIFF header has an unsupported offset size");
        }
        t.u64(&h[8..16]).need("TIFF header")?
    } else {
        u64::from(t.u32(&h[4..8]).need("TIFF header")?)
    };
    if ifd < hdr_len as u64 {
        return invalid(format!(
            "the first TIFF image directory (IFD) offset {ifd} points into the header"
        ));
    }
    if ifd >= len {
        return truncated(format!(
            "the first image directory (IFD) should be at byte {ifd} but the file ends after {len} bytes"
        ));
    }
    let Some(first) = read_ifd(src, t, ifd)? else {
        return truncated(format!(
            "the file ends after {len} bytes, inside the first TIFF image directory (IFD)"
        ));
    };
    let count = first.count;
    if count == 0 {
        return invalid(format!("the TIFF image directory at byte {ifd} is empty"));
    }
    let mut width = None;
    let mut height = None;
    for (tag, e) in &first.entries {
        let (tag, typ, count) = (*tag, e.typ, e.count);
        if tag != 256 && tag != 257 {
            continue;
        }
        let fits = type_size(typ).is_some_and(|sz| sz <= t.field() as u64);
        let v = if count >= 1 && fits {
            t.int(typ, &e.field)
        } else {
            None
        };
        let Some(v) = v else {
            return invalid(format!(
                "the TIFF {} tag has an unexpected type ({typ}) or count ({count})",
                if tag == 256 { "ImageWidth" } else { "ImageLength" }
            ));
        };
        if tag == 256 {
            width = Some(v);
        } else {
            height = Some(v);
        }
    }
    let (Some(w), Some(hh)) = (width, height) else {
        if first.table_cut {
            return truncated(format!(
                "the file ends after {len} bytes, inside the first image directory (IFD) at byte {ifd} before the image size"
            ));
        }
        return invalid("the first TIFF image directory has no ImageWidth or ImageLength tag");
    };
    let mut out = info(Container::Tiff, check_dims(Container::Tiff, w, hh)?);
    out.truncated = check_tiff_chain(src, t, hdr_len as u64, ifd, first)?;
    Ok(out)
}
