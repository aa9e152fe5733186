//! Header-only probing of PNG/APNG, JPEG, GIF, BMP, WebP and TIFF images: dimensions from the
//! headers plus cheap truncation checks (chunk walks, end markers in the last bytes). Pixel data is
//! never read, nothing is allocated from size fields, and hostile input never panics.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// Upper bound on the number of chunks/segments walked in one file (PNG, JPEG, WebP).
const MAX_CHUNKS: u32 = 100_000;
/// Upper bound on the number of TIFF directory entries read.
const MAX_IFD_ENTRIES: u64 = 4096;
/// Upper bound on the number of TIFF strip/tile offsets checked (plus the last one).
const MAX_STRIPS: u64 = 8192;
/// Upper bound on the number of TIFF image directories (pages) walked.
const MAX_IFDS: usize = 1000;
/// Upper bound on the directory entries and strip/tile values read over a whole TIFF IFD chain
/// (one more directory may be finished after it is reached).
const MAX_TIFF_VALUES: u64 = 1 << 20;
/// How many bytes at the end of a JPEG/GIF file are searched for the end marker.
const TAIL_WINDOW: u64 = 64;

/// An image file format recognised by [`sniff_image`] and [`probe_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// PNG, including animated PNG (APNG).
    Png,
    /// JPEG (JFIF/EXIF), baseline, extended, progressive or lossless.
    Jpeg,
    /// GIF87a or GIF89a.
    Gif,
    /// Windows or OS/2 bitmap.
    Bmp,
    /// WebP (lossy, lossless or extended/animated).
    WebP,
    /// TIFF, little- or big-endian, classic or BigTIFF.
    Tiff,
}

impl ImageFormat {
    /// Short lower-case name: "png", "jpeg", "gif", "bmp", "webp" or "tiff".
    pub fn name(&self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Gif => "gif",
            ImageFormat::Bmp => "bmp",
            ImageFormat::WebP => "webp",
            ImageFormat::Tiff => "tiff",
        }
    }

    fn label(&self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Gif => "GIF",
            ImageFormat::Bmp => "BMP",
            ImageFormat::WebP => "WebP",
            ImageFormat::Tiff => "TIFF",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What [`probe_image`] found out about an image from its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The file format.
    pub format: ImageFormat,
    /// Width in pixels (the canvas width for animations), always > 0.
    pub width: u32,
    /// Height in pixels (absolute value for top-down BMPs), always > 0.
    pub height: u32,
    /// Number of frames of an animation when cheaply known: APNG `acTL` frame count, number of
    /// complete `ANMF` chunks of an animated WebP. `None` for still images, GIF and TIFF.
    pub frames: Option<u32>,
    /// Set when the file ends before its structure says it should (the dimensions are still valid);
    /// a user-readable description of what is missing.
    pub truncated: Option<String>,
    /// Bytes after the end of the image's structure (PNG: after `IEND`; WebP: after the RIFF
    /// size), for the formats whose end is known from their structure; 0 otherwise.
    pub trailing_bytes: u64,
}

use super::ParseError;
use super::bytes::{Endian, Need, fourcc, u16_be, u16_le, u24_le, u32_be, u32_le};

type Result<T> = std::result::Result<T, ParseError>;

fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(ParseError::Invalid(msg.into()))
}

fn truncated<T>(msg: impl Into<String>) -> Result<T> {
    Err(ParseError::Truncated(msg.into()))
}

/// Signature patterns (`None` = any byte) used for sniffing and for recognising a file that ends
/// inside its signature.
const SIGNATURES: &[(ImageFormat, &[Option<u8>])] = {
    const fn b(c: u8) -> Option<u8> {
        Some(c)
    }
    const X: Option<u8> = None;
    &[
        (
            ImageFormat::Png,
            &[
                b(0x89),
                b(b'P'),
                b(b'N'),
                b(b'G'),
                b(0x0d),
                b(0x0a),
                b(0x1a),
                b(0x0a),
            ],
        ),
        (ImageFormat::Jpeg, &[b(0xff), b(0xd8), b(0xff)]),
        (
            ImageFormat::Gif,
            &[b(b'G'), b(b'I'), b(b'F'), b(b'8'), b(b'7'), b(b'a')],
        ),
        (
            ImageFormat::Gif,
            &[b(b'G'), b(b'I'), b(b'F'), b(b'8'), b(b'9'), b(b'a')],
        ),
        (ImageFormat::Bmp, &[b(b'B'), b(b'M')]),
        (
            ImageFormat::WebP,
            &[
                b(b'R'),
                b(b'I'),
                b(b'F'),
                b(b'F'),
                X,
                X,
                X,
                X,
                b(b'W'),
                b(b'E'),
                b(b'B'),
                b(b'P'),
            ],
        ),
        (ImageFormat::Tiff, &[b(b'I'), b(b'I'), b(42), b(0)]),
        (ImageFormat::Tiff, &[b(b'M'), b(b'M'), b(0), b(42)]),
        (ImageFormat::Tiff, &[b(b'I'), b(b'I'), b(43), b(0)]),
        (ImageFormat::Tiff, &[b(b'M'), b(b'M'), b(0), b(43)]),
    ]
};

fn matches(head: &[u8], pat: &[Option<u8>]) -> bool {
    head.iter().zip(pat).all(|(h, p)| p.is_none_or(|p| p == *h))
}

/// Recognises the image format from the first bytes of a file (at most 32 are looked at; 12 are
/// enough for every format). Returns `None` when no supported signature matches completely.
pub fn sniff_image(head: &[u8]) -> Option<ImageFormat> {
    let head = &head[..head.len().min(32)];
    let fmt = SIGNATURES
        .iter()
        .find(|(_, pat)| head.len() >= pat.len() && matches(head, pat))
        .map(|(f, _)| *f)?;
    if fmt == ImageFormat::Bmp && head.len() >= 18 {
        // "BM" alone is weak: also require a known DIB header size when it is available.
        let dib = u32_le(head, 14)?;
        if !(dib == 12 || (16..=4096).contains(&dib)) {
            return None;
        }
    }
    Some(fmt)
}

/// Reads the dimensions of a PNG, JPEG, GIF, BMP, WebP or TIFF image from its headers and checks
/// whether the file is complete, reading only headers and a few bytes at the end of the file.
/// `len` is the file length in bytes; the reader must be positioned at 0.
pub fn probe_image<R: Read + Seek>(r: &mut R, len: u64) -> Result<ImageInfo> {
    let mut src = Src { r, pos: None, len };
    if len == 0 {
        return invalid("the file is empty");
    }
    let mut head = [0u8; 32];
    let want = head.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    let n = src.read_at(0, &mut head[..want])?;
    let head = &head[..n];
    let fmt = match sniff_image(head) {
        Some(f) => f,
        None => {
            if let Some((f, _)) = SIGNATURES
                .iter()
                .find(|(_, pat)| !head.is_empty() && head.len() < pat.len() && matches(head, pat))
            {
                return truncated(format!(
                    "the file ends after {n} bytes, inside the {} signature",
                    f.label()
                ));
            }
            return invalid("the file does not start with a PNG, JPEG, GIF, BMP, WebP or TIFF signature");
        }
    };
    match fmt {
        ImageFormat::Png => probe_png(&mut src),
        ImageFormat::Jpeg => probe_jpeg(&mut src),
        ImageFormat::Gif => probe_gif(&mut src),
        ImageFormat::Bmp => probe_bmp(&mut src),
        ImageFormat::WebP => probe_webp(&mut src),
        ImageFormat::Tiff => probe_tiff(&mut src),
    }
}

/// A reader that remembers its position so sequential reads do not seek (a seek empties the
/// caller's `BufReader`).
struct Src<'a, R> {
    r: &'a mut R,
    pos: Option<u64>,
    len: u64,
}

impl<R: Read + Seek> Src<'_, R> {
    /// Reads up to `buf.len()` bytes at `off`; returns how many were read (fewer only at EOF).
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<usize> {
        if self.pos != Some(off) {
            self.pos = None;
            self.r.seek(SeekFrom::Start(off))?;
        }
        let mut n = 0;
        while n < buf.len() {
            match self.r.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.pos = None;
                    return Err(e.into());
                }
            }
        }
        self.pos = Some(off.saturating_add(n as u64));
        Ok(n)
    }

    /// Reads exactly `buf.len()` bytes at `off`, or fails with `Truncated` naming `what`.
    fn read_full(&mut self, off: u64, buf: &mut [u8], what: &str) -> Result<()> {
        let n = self.read_at(off, buf)?;
        if n < buf.len() {
            return truncated(format!(
                "the file ends after {} bytes, inside the {what}",
                off.saturating_add(n as u64)
            ));
        }
        Ok(())
    }

    /// Reads the last bytes of the file starting no earlier than `from` (at most [`TAIL_WINDOW`]).
    fn tail(&mut self, from: u64) -> Result<Vec<u8>> {
        let start = self.len.saturating_sub(TAIL_WINDOW).max(from);
        if start >= self.len {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; (self.len - start) as usize];
        let n = self.read_at(start, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
}

fn check_dims(fmt: ImageFormat, width: u64, height: u64) -> Result<(u32, u32)> {
    if width == 0 || height == 0 {
        return invalid(format!(
            "the {} header gives a size of {width}x{height} pixels",
            fmt.label()
        ));
    }
    match (u32::try_from(width), u32::try_from(height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => invalid(format!(
            "the {} header gives an impossible size of {width}x{height} pixels",
            fmt.label()
        )),
    }
}

fn info(format: ImageFormat, (width, height): (u32, u32)) -> ImageInfo {
    ImageInfo {
        format,
        width,
        height,
        frames: None,
        truncated: None,
        trailing_bytes: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// PNG

fn probe_png<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 33];
    src.read_full(0, &mut h, "PNG header (signature and IHDR chunk)")?;
    if &h[12..16] != b"IHDR" || u32_be(&h, 8).need("PNG header")? != 13 {
        return invalid("the first PNG chunk is not a 13-byte IHDR header");
    }
    if crc32fast::hash(&h[12..29]) != u32_be(&h, 29).need("PNG header")? {
        return invalid("the PNG header (IHDR chunk) fails its checksum: the header is corrupt");
    }
    let (w, hh) = (
        u32_be(&h, 16).need("PNG header")?,
        u32_be(&h, 20).need("PNG header")?,
    );
    if w > 0x7fff_ffff || hh > 0x7fff_ffff {
        return invalid(format!(
            "the PNG header gives an impossible size of {w}x{hh} pixels"
        ));
    }
    let mut out = info(
        ImageFormat::Png,
        check_dims(ImageFormat::Png, w.into(), hh.into())?,
    );

    let mut pos: u64 = 33;
    let mut last = String::from("IHDR");
    for _ in 0..MAX_CHUNKS {
        if pos >= len {
            out.truncated = Some(format!(
                "the file ends after the {last} chunk at byte {pos}; IEND is missing"
            ));
            break;
        }
        let mut c = [0u8; 12];
        let n = src.read_at(pos, &mut c)?;
        if n < 8 {
            out.truncated = Some(format!(
                "the file ends after {} bytes, inside the header of the chunk at byte {pos}; IEND is missing",
                pos.saturating_add(n as u64)
            ));
            break;
        }
        let clen = u32_be(&c, 0).need("PNG chunk header")?;
        let ty = &c[4..8];
        if clen > 0x7fff_ffff || !ty.iter().all(u8::is_ascii_alphabetic) {
            return invalid(format!(
                "the PNG chunk header at byte {pos} is corrupt (type {:?}, length {clen})",
                fourcc(ty)
            ));
        }
        let name = fourcc(ty);
        if ty == b"acTL" && n >= 12 && out.frames.is_none() {
            out.frames = Some(u32_be(&c, 8).need("PNG chunk header")?);
        }
        let end = pos.saturating_add(12).saturating_add(u64::from(clen));
        if end > len {
            out.truncated = Some(format!(
                "the file ends inside the {name} chunk at byte {len} (the chunk starts at byte {pos} and declares {clen} bytes of data); IEND is missing"
            ));
            break;
        }
        if ty == b"IEND" {
            out.trailing_bytes = len - end;
            break;
        }
        pos = end;
        last = name;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// JPEG

fn jpeg_marker_name(m: u8) -> String {
    match m {
        0xc4 => "DHT".into(),
        0xcc => "DAC".into(),
        0xc0..=0xcf => format!("SOF{}", m - 0xc0),
        0xda => "SOS".into(),
        0xdb => "DQT".into(),
        0xdc => "DNL".into(),
        0xdd => "DRI".into(),
        0xe0..=0xef => format!("APP{}", m - 0xe0),
        0xfe => "COM".into(),
        _ => format!("0xFF{m:02X}"),
    }
}

fn is_sof(m: u8) -> bool {
    matches!(m, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf)
}

fn probe_jpeg<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut pos: u64 = 2; // after SOI
    let mut dims: Option<(u32, u32)> = None;
    // Set when the file ends before the scan data: (description).
    let mut cut: Option<String> = None;
    let mut scan_start: Option<u64> = None;

    'walk: for _ in 0..MAX_CHUNKS {
        let mut b = [0u8; 2];
        let n = src.read_at(pos, &mut b)?;
        if n < 2 {
            cut = Some(format!(
                "the file ends after {} bytes, in the JPEG headers before the image data",
                pos.saturating_add(n as u64)
            ));
            break;
        }
        if b[0] != 0xff {
            return invalid(format!(
                "expected a JPEG marker at byte {pos} but found the byte 0x{:02X}",
                b[0]
            ));
        }
        let mut m = b[1];
        let mut p = pos.saturating_add(2);
        // Fill bytes: any number of 0xFF before the marker code.
        let mut fills = 0u32;
        while m == 0xff {
            fills += 1;
            if fills > 65_536 {
                return invalid(format!("too many 0xFF fill bytes after byte {pos}"));
            }
            let mut one = [0u8; 1];
            if src.read_at(p, &mut one)? == 0 {
                cut = Some(format!(
                    "the file ends after {p} bytes, in the JPEG headers before the image data"
                ));
                break 'walk;
            }
            m = one[0];
            p += 1;
        }
        let mpos = p - 2;
        match m {
            0x00 => {
                return invalid(format!("expected a JPEG marker at byte {mpos} but found 0xFF00"));
            }
            0x01 | 0xd0..=0xd7 => {
                pos = p;
                continue;
            }
            0xd8 => return invalid(format!("a second JPEG start marker (SOI) at byte {mpos}")),
            0xd9 => {
                return invalid(format!(
                    "the JPEG end marker (EOI) at byte {mpos} comes before any image data"
                ));
            }
            _ => {}
        }
        let name = jpeg_marker_name(m);
        let mut lb = [0u8; 8];
        let want = if is_sof(m) && dims.is_none() { 7 } else { 2 };
        let got = src.read_at(p, &mut lb[..want])?;
        if got < 2 {
            cut = Some(format!(
                "the file ends after {} bytes, inside the {name} marker at byte {mpos}",
                p.saturating_add(got as u64)
            ));
            break;
        }
        let seg_len = u16_be(&lb, 0).need("JPEG segment header")?;
        if seg_len < 2 || (want == 7 && seg_len < 8) {
            return invalid(format!(
                "the JPEG {name} segment at byte {mpos} has an impossible length of {seg_len}"
            ));
        }
        let seg_end = p.saturating_add(u64::from(seg_len));
        if want == 7 {
            if got < 7 {
                return truncated(format!(
                    "the file ends after {} bytes, inside the JPEG frame header ({name}) at byte {mpos}",
                    p.saturating_add(got as u64)
                ));
            }
            let hgt = u16_be(&lb, 3).need("JPEG segment header")?;
            let wid = u16_be(&lb, 5).need("JPEG segment header")?;
            if hgt == 0 {
                return invalid(format!(
                    "the JPEG frame header gives a height of 0 (defined later by a DNL marker), which is not supported (width {wid})"
                ));
            }
            dims = Some(check_dims(ImageFormat::Jpeg, wid.into(), hgt.into())?);
        }
        if seg_end > len {
            cut = Some(format!(
                "the file ends inside the {name} segment at byte {len} (the segment starts at byte {mpos} and declares {seg_len} bytes)"
            ));
            break;
        }
        if m == 0xda {
            if dims.is_none() {
                return invalid("the JPEG image data (SOS) starts before any frame header (SOF)");
            }
            scan_start = Some(seg_end);
            break;
        }
        pos = seg_end;
    }

    let Some(d) = dims else {
        return match cut {
            Some(c) => truncated(format!(
                "{c}; the frame header (SOF) with the image size was not reached"
            )),
            None => invalid("no JPEG frame header (SOF) found in the first segments"),
        };
    };
    let mut out = info(ImageFormat::Jpeg, d);
    if let Some(c) = cut {
        out.truncated = Some(c);
        return Ok(out);
    }
    let Some(start) = scan_start else {
        // Segment cap reached: no claim either way.
        return Ok(out);
    };
    if start >= len {
        out.truncated = Some(format!(
            "the file ends after {len} bytes, right after the scan header: the image data is missing"
        ));
        return Ok(out);
    }
    let tail = src.tail(start)?;
    let has_eoi = tail.windows(2).any(|w| w == [0xff, 0xd9]);
    if !has_eoi {
        // Not at the end: look for it from the image data on (the entropy-coded data never holds
        // FF D9), so that bytes appended after a whole image are not taken for a cut.
        match find_forward(src, start, [0xff, 0xd9])? {
            Some(eoi) => out.trailing_bytes = len - (eoi + 2),
            None => {
                out.truncated = Some("the JPEG end marker is missing: the file is probably cut short".into());
            }
        }
    }
    Ok(out)
}

/// Offset of the first `pat` at or after `from`, reading forward in windows.
fn find_forward<R: Read + Seek>(src: &mut Src<'_, R>, from: u64, pat: [u8; 2]) -> Result<Option<u64>> {
    let mut buf = vec![0u8; 64 << 10];
    let mut pos = from;
    while pos < src.len {
        let n = src.read_at(pos, &mut buf)?;
        if n < 2 {
            return Ok(None);
        }
        if let Some(i) = buf[..n].windows(2).position(|w| w == pat) {
            return Ok(Some(pos + i as u64));
        }
        // The last byte again: the pattern may straddle two windows.
        pos += n as u64 - 1;
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// GIF

fn probe_gif<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 13];
    src.read_full(0, &mut h, "GIF header (logical screen descriptor)")?;
    let d = check_dims(
        ImageFormat::Gif,
        u16_le(&h, 6).need("GIF header")?.into(),
        u16_le(&h, 8).need("GIF header")?.into(),
    )?;
    let mut out = info(ImageFormat::Gif, d);
    // The trailer 0x3B follows the 0x00 terminator of the last block (or, in a file without any
    // image, the global colour table); trailing zero padding is tolerated.
    let flags = h[10];
    let gct = if flags & 0x80 != 0 {
        3u64 << ((flags & 7) + 1)
    } else {
        0
    };
    let tail_start = len.saturating_sub(TAIL_WINDOW).max(13);
    let tail = src.tail(13)?;
    let ok = match tail.iter().rposition(|&b| b != 0) {
        Some(i) if tail[i] == 0x3b => (i > 0 && tail[i - 1] == 0) || tail_start + i as u64 == 13 + gct,
        _ => false,
    };
    if !ok {
        // Not at the end: walk the blocks, so that bytes appended after a whole image are not
        // taken for a cut.
        if let Some(end) = gif_end(src, 13 + gct)? {
            out.trailing_bytes = len - end;
            return Ok(out);
        }
    }
    if !ok {
        out.truncated = Some(if len <= 13 {
            "the file ends right after the GIF header: the image data and the trailer are missing".into()
        } else {
            "the GIF trailer byte (0x3B) is missing at the end: the file is probably cut short".into()
        });
    }
    Ok(out)
}

/// Where a GIF's trailer ends, walking its blocks from `pos` (after the global colour table);
/// `None` if the file ends first or a block is not a GIF block.
fn gif_end<R: Read + Seek>(src: &mut Src<'_, R>, mut pos: u64) -> Result<Option<u64>> {
    // Sub-blocks are at most 256 bytes apart: read the file in windows, not a seek per block.
    let mut win = Vec::new();
    let mut win_start = 0u64;
    let mut byte_at = |src: &mut Src<'_, R>, at: u64| -> Result<Option<u8>> {
        if at < win_start || at - win_start >= win.len() as u64 {
            win.resize(64 << 10, 0);
            let n = src.read_at(at, &mut win)?;
            win.truncate(n);
            win_start = at;
        }
        Ok(win.get((at - win_start) as usize).copied())
    };
    loop {
        let Some(b) = byte_at(src, pos)? else {
            return Ok(None);
        };
        // extension: introducer, label, sub-blocks; image: descriptor, local colour table,
        // LZW code size, sub-blocks
        let mut at = match b {
            0x3b => return Ok(Some(pos + 1)),
            0x21 => pos + 2,
            0x2c => {
                let Some(flags) = byte_at(src, pos + 9)? else {
                    return Ok(None);
                };
                let lct = if flags & 0x80 != 0 {
                    3u64 << ((flags & 7) + 1)
                } else {
                    0
                };
                pos + 10 + lct + 1
            }
            _ => return Ok(None),
        };
        loop {
            let Some(n) = byte_at(src, at)? else {
                return Ok(None);
            };
            at += 1 + u64::from(n);
            if n == 0 {
                break;
            }
        }
        pos = at;
    }
}

// ---------------------------------------------------------------------------------------------
// BMP

fn probe_bmp<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 54];
    let n = src.read_at(0, &mut h)?;
    if n < 18 {
        return truncated(format!(
            "the file ends after {n} bytes, inside the BMP file header"
        ));
    }
    let data_off = u64::from(u32_le(&h, 10).need("BMP header")?);
    let dib = u32_le(&h, 14).need("BMP header")?;
    let need = 14 + (dib.min(40) as usize);
    if dib == 12 || (16..=4096).contains(&dib) {
        if n < need {
            return truncated(format!(
                "the file ends after {n} bytes, inside the BMP header ({dib}-byte DIB header)"
            ));
        }
    } else {
        return invalid(format!("unknown BMP header size of {dib} bytes"));
    }
    let (w, hgt, planes, bpp, comp, img_size): (i64, i64, u16, u16, u32, u32) = if dib == 12 {
        (
            u16_le(&h, 18).need("BMP header")?.into(),
            u16_le(&h, 20).need("BMP header")?.into(),
            u16_le(&h, 22).need("BMP header")?,
            u16_le(&h, 24).need("BMP header")?,
            0,
            0,
        )
    } else {
        (
            (u32_le(&h, 18).need("BMP header")? as i32).into(),
            (u32_le(&h, 22).need("BMP header")? as i32).into(),
            u16_le(&h, 26).need("BMP header")?,
            u16_le(&h, 28).need("BMP header")?,
            if dib >= 20 {
                u32_le(&h, 30).need("BMP header")?
            } else {
                0
            },
            if dib >= 24 {
                u32_le(&h, 34).need("BMP header")?
            } else {
                0
            },
        )
    };
    if w < 0 {
        return invalid(format!("the BMP header gives a negative width of {w}"));
    }
    if planes != 1 {
        return invalid(format!(
            "the BMP header gives {planes} colour planes instead of 1"
        ));
    }
    let compressed = matches!(comp, 1 | 2 | 4 | 5 | 12 | 13);
    let bpp_ok = matches!(bpp, 1 | 2 | 4 | 8 | 16 | 24 | 32 | 48 | 64) || (bpp == 0 && compressed);
    if !bpp_ok {
        return invalid(format!("the BMP header gives {bpp} bits per pixel"));
    }
    let d = check_dims(ImageFormat::Bmp, w.unsigned_abs(), hgt.unsigned_abs())?;
    let mut out = info(ImageFormat::Bmp, d);
    if data_off < 14 + u64::from(dib) {
        return invalid(format!(
            "the BMP pixel data offset ({data_off}) points inside the headers"
        ));
    }
    let data_len = if compressed {
        u64::from(img_size)
    } else {
        // Rows are padded to a multiple of 4 bytes.
        let stride = (u64::from(d.0) * u64::from(bpp)).div_ceil(32) * 4;
        stride.saturating_mul(u64::from(d.1))
    };
    let end = data_off.saturating_add(data_len);
    if data_off > len {
        out.truncated = Some(format!(
            "the pixel data should start at byte {data_off} but the file ends after {len} bytes"
        ));
    } else if end > len {
        out.truncated = Some(format!(
            "the pixel data should end at byte {end} ({data_len} bytes from byte {data_off}) but the file ends after {len} bytes"
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// WebP

fn probe_webp<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
    let len = src.len;
    let mut h = [0u8; 30];
    let n = src.read_at(0, &mut h)?;
    if n < 20 {
        return truncated(format!("the file ends after {n} bytes, inside the WebP header"));
    }
    let riff_size = u32_le(&h, 4).need("WebP header")?;
    if riff_size < 12 {
        return invalid(format!(
            "the RIFF header declares an impossible size of {riff_size} bytes"
        ));
    }
    let riff_end = 8 + u64::from(riff_size);
    let first = &h[12..16];
    let data = &h[20..n];
    let need = match first {
        b"VP8 " | b"VP8X" => 10,
        b"VP8L" => 5,
        _ => {
            return invalid(format!(
                "the first WebP chunk is {:?}, not VP8, VP8L or VP8X",
                fourcc(first)
            ));
        }
    };
    if data.len() < need {
        return truncated(format!(
            "the file ends after {n} bytes, inside the WebP {} header",
            fourcc(first).trim_end()
        ));
    }
    let mut animated = false;
    let (w, hgt): (u64, u64) = match first {
        b"VP8 " => {
            if data[0] & 1 != 0 {
                return invalid("the first VP8 frame is not a key frame");
            }
            if data[3..6] != [0x9d, 0x01, 0x2a] {
                return invalid("the VP8 frame header lacks its start code (9D 01 2A)");
            }
            (
                (u16_le(data, 6).need("WebP frame header")? & 0x3fff).into(),
                (u16_le(data, 8).need("WebP frame header")? & 0x3fff).into(),
            )
        }
        b"VP8L" => {
            if data[0] != 0x2f {
                return invalid("the VP8L header lacks its signature byte (0x2F)");
            }
            let bits = u32_le(data, 1).need("WebP frame header")?;
            if bits >> 29 != 0 {
                return invalid("the VP8L header has an unknown version number");
            }
            (u64::from(bits & 0x3fff) + 1, u64::from((bits >> 14) & 0x3fff) + 1)
        }
        _ => {
            animated = data[0] & 0x02 != 0;
            let w = u24_le(data, 4).need("WebP VP8X header")?;
            let hh = u24_le(data, 7).need("WebP VP8X header")?;
            (u64::from(w) + 1, u64::from(hh) + 1)
        }
    };
    let mut out = info(ImageFormat::WebP, check_dims(ImageFormat::WebP, w, hgt)?);
    if riff_end > len {
        out.truncated = Some(format!(
            "the RIFF header declares {riff_end} bytes but the file ends after {len}"
        ));
    }
    // Walk the top-level chunks (few for still images; one ANMF per frame for animations).
    let limit = riff_end.min(len);
    out.trailing_bytes = len - limit;
    let mut pos: u64 = 12;
    let mut anmf = 0u32;
    for _ in 0..MAX_CHUNKS {
        if pos >= limit {
            break;
        }
        let mut c = [0u8; 8];
        let got = src.read_at(pos, &mut c)?;
        if got < 8 || limit - pos < 8 {
            if out.truncated.is_none() {
                out.truncated = Some(format!(
                    "the file ends after {limit} bytes, inside the header of the chunk at byte {pos}"
                ));
            }
            break;
        }
        let size = u64::from(u32_le(&c, 4).need("WebP chunk header")?);
        let end = pos + 8 + size;
        if end > limit {
            if out.truncated.is_none() {
                out.truncated = Some(format!(
                    "the {} chunk at byte {pos} declares {size} bytes but the RIFF data ends after {limit}",
                    fourcc(&c[0..4]).trim_end()
                ));
            }
            break;
        }
        if &c[0..4] == b"ANMF" {
            anmf = anmf.saturating_add(1);
        }
        pos = end + (size & 1);
    }
    if animated {
        out.frames = Some(anmf);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// TIFF

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

fn probe_tiff<R: Read + Seek>(src: &mut Src<'_, R>) -> Result<ImageInfo> {
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
    let mut out = info(ImageFormat::Tiff, check_dims(ImageFormat::Tiff, w, hh)?);
    out.truncated = check_tiff_chain(src, t, hdr_len as u64, ifd, first)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn load(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("image/{name}"))
    }

    fn probe_bytes(b: &[u8]) -> Result<ImageInfo> {
        probe_image(&mut Cursor::new(b), b.len() as u64)
    }

    fn probe_file(name: &str) -> ImageInfo {
        probe_bytes(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Asserts format, 33x17 (ffprobe: width=33 height=17 for every ffmpeg-made fixture), frames
    /// and no truncation.
    fn check_ok(name: &str, fmt: ImageFormat, w: u32, h: u32, frames: Option<u32>) {
        let i = probe_file(name);
        assert_eq!(
            i,
            ImageInfo {
                format: fmt,
                width: w,
                height: h,
                frames,
                truncated: None,
                trailing_bytes: 0,
            },
            "{name}"
        );
    }

    fn truncated_msg(name: &str, fmt: ImageFormat, w: u32, h: u32) -> String {
        let i = probe_file(name);
        assert_eq!((i.format, i.width, i.height), (fmt, w, h), "{name}");
        i.truncated
            .unwrap_or_else(|| panic!("{name}: truncation not detected"))
    }

    #[test]
    fn good_fixtures() {
        use ImageFormat::*;
        // Sizes: ffprobe -show_entries stream=width,height reports 33x17 for all of these
        // (16x12 for be.tif). ffprobe cannot decode animated WebP ("image data not found");
        // anim.webp was written with -frames:v 3 and holds 3 ANMF chunks (python chunk walk).
        check_ok("png.png", Png, 33, 17, None);
        // ffprobe -count_frames: nb_read_frames=3
        check_ok("apng.png", Png, 33, 17, Some(3));
        check_ok("baseline.jpg", Jpeg, 33, 17, None);
        check_ok("progressive.jpg", Jpeg, 33, 17, None);
        check_ok("exif.jpg", Jpeg, 33, 17, None);
        check_ok("gif.gif", Gif, 33, 17, None);
        check_ok("bmp.bmp", Bmp, 33, 17, None);
        check_ok("core.bmp", Bmp, 33, 17, None);
        check_ok("topdown.bmp", Bmp, 33, 17, None);
        check_ok("lossy.webp", WebP, 33, 17, None);
        check_ok("lossless.webp", WebP, 33, 17, None);
        check_ok("anim.webp", WebP, 33, 17, Some(3));
        check_ok("tiff.tif", Tiff, 33, 17, None);
        check_ok("be.tif", Tiff, 16, 12, None);
        // tiffinfo: two 8x6 directories at 152 and 564
        check_ok("multi.tif", Tiff, 8, 6, None);
    }

    #[test]
    fn truncated_fixtures() {
        use ImageFormat::*;
        let m = truncated_msg("trunc.png", Png, 33, 17);
        assert_eq!(
            m,
            "the file ends inside the IDAT chunk at byte 129 (the chunk starts at byte 54 and declares 181 bytes of data); IEND is missing"
        );
        let m = truncated_msg("trunc.jpg", Jpeg, 33, 17);
        assert_eq!(
            m,
            "the JPEG end marker is missing: the file is probably cut short"
        );
        let m = truncated_msg("trunc.gif", Gif, 33, 17);
        assert!(m.contains("trailer"), "{m}");
        // lossy.webp is 404 bytes (RIFF size 396), trunc.webp keeps 364
        let m = truncated_msg("trunc.webp", WebP, 33, 17);
        assert_eq!(
            m,
            "the RIFF header declares 404 bytes but the file ends after 364"
        );
        // be.tif: one 192-byte strip at byte 122, file cut to 264 bytes
        let m = truncated_msg("trunc.tif", Tiff, 16, 12);
        assert_eq!(
            m,
            "strip 1 of 1 should occupy bytes 122 to 314 but the file ends after 264 bytes"
        );
        // multi.tif (832 bytes) cut to 624: page 2's directory (at 564, 16 entries) is cut;
        // libtiff: "Failed to read directory at offset 564"
        let m = truncated_msg("trunc_multi.tif", Tiff, 8, 6);
        assert_eq!(
            m,
            "the file ends after 624 bytes, inside page 2's image directory (IFD) at byte 564, which declares 16 entries"
        );
    }

    /// multi.tif: strip 8..152, IFD 1 at 152 (16 entries, next-IFD field 346..350), values
    /// BitsPerSample 350..356, PrimaryChromaticities 356..404, WhitePoint 404..420; strip
    /// 420..564, IFD 2 at 564 (next field 758..762), values 762..768, 768..816, 816..832.
    #[test]
    fn tiff_pages() {
        let b = load("multi.tif");
        let cut = |n: usize| probe_bytes(&b[..n]).unwrap().truncated;
        // every cut after the first size tags is flagged, and none before the end
        for n in 190..b.len() {
            assert!(cut(n).is_some(), "multi.tif[..{n}]");
        }
        for n in 1..190 {
            assert!(is_trunc(&probe_bytes(&b[..n])), "multi.tif[..{n}]");
        }
        let msg = |n: usize| cut(n).unwrap();
        assert_eq!(
            msg(300),
            "the file ends after 300 bytes, inside the first image directory (IFD) at byte 152, which declares 16 entries"
        );
        assert_eq!(
            msg(348),
            "the file ends after 348 bytes, inside the first image directory (IFD) at byte 152: the offset of the next directory is cut off"
        );
        assert_eq!(
            msg(353),
            "page 1's BitsPerSample value (3 SHORT values at bytes 350 to 356) lies beyond the end of the file (353 bytes)"
        );
        // 50%: page 1's WhitePoint is cut
        assert_eq!(
            msg(380),
            "page 1's PrimaryChromaticities value (6 RATIONAL values at bytes 356 to 404) lies beyond the end of the file (380 bytes)"
        );
        assert_eq!(
            msg(416),
            "page 1's WhitePoint value (2 RATIONAL values at bytes 404 to 420) lies beyond the end of the file (416 bytes)"
        );
        assert_eq!(
            msg(560),
            "page 2's directory at byte 564 lies beyond the end of the file (560 bytes)"
        );
        assert_eq!(
            msg(565),
            "the file ends after 565 bytes, inside page 2's image directory (IFD) at byte 564"
        );
        // 90%
        assert_eq!(
            msg(748),
            "the file ends after 748 bytes, inside page 2's image directory (IFD) at byte 564, which declares 16 entries"
        );
        assert_eq!(
            msg(760),
            "the file ends after 760 bytes, inside page 2's image directory (IFD) at byte 564: the offset of the next directory is cut off"
        );
        assert_eq!(
            msg(790),
            "page 2's PrimaryChromaticities value (6 RATIONAL values at bytes 768 to 816) lies beyond the end of the file (790 bytes)"
        );
        // the last 1-7 bytes missing
        for k in 1..8 {
            let n = b.len() - k;
            assert_eq!(
                msg(n),
                format!(
                    "page 2's WhitePoint value (2 RATIONAL values at bytes 816 to 832) lies beyond the end of the file ({n} bytes)"
                )
            );
        }
        // single-page tiff.tif (IFD at 1381 with 13 entries, ending the file)
        let t = load("tiff.tif");
        for k in 1..5 {
            let n = t.len() - k;
            let m = probe_bytes(&t[..n]).unwrap().truncated.unwrap();
            assert!(m.ends_with("the offset of the next directory is cut off"), "{m}");
        }
        for k in 5..8 {
            let m = probe_bytes(&t[..t.len() - k]).unwrap().truncated.unwrap();
            assert!(m.contains("which declares 13 entries"), "{m}");
        }

        // page 2's strip moved past the end of the file
        let mut c = b.clone();
        c[658..662].copy_from_slice(&800u32.to_le_bytes());
        assert_eq!(
            probe_bytes(&c).unwrap().truncated.unwrap(),
            "page 2's strip 1 of 1 should occupy bytes 800 to 944 but the file ends after 832 bytes"
        );
        // page 2's next-IFD offset past the end, into the header, back to page 1, to itself
        let mut c = b.clone();
        c[758..762].copy_from_slice(&887_388u32.to_le_bytes());
        assert_eq!(
            probe_bytes(&c).unwrap().truncated.unwrap(),
            "page 3's directory at byte 887388 lies beyond the end of the file (832 bytes)"
        );
        for next in [4u32, 152, 564] {
            let mut c = b.clone();
            c[758..762].copy_from_slice(&next.to_le_bytes());
            assert_eq!(probe_bytes(&c).unwrap().truncated, None, "next {next}");
        }
        // an out-of-line value with an absurd offset; a value of an unknown type is skipped
        let mut c = b.clone();
        c[330..334].copy_from_slice(&u32::MAX.to_le_bytes());
        let m = probe_bytes(&c).unwrap().truncated.unwrap();
        assert!(
            m.starts_with("page 1's WhitePoint value (2 RATIONAL values at bytes 4294967295 to"),
            "{m}"
        );
        let mut c = b.clone();
        c[324..326].copy_from_slice(&99u16.to_le_bytes());
        c[330..334].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(probe_bytes(&c).unwrap().truncated, None);
        // an empty page-2 directory is damage, not truncation
        let mut c = b.clone();
        c[564..566].copy_from_slice(&[0, 0]);
        assert_eq!(probe_bytes(&c).unwrap().truncated, None);
    }

    /// A little-endian TIFF of `pages` 1x1 directories chained one after the other, the last
    /// one pointing to `last_next`.
    fn chain(pages: u32, last_next: u32) -> Vec<u8> {
        let mut b = b"II*\x00".to_vec();
        b.extend_from_slice(&8u32.to_le_bytes());
        for p in 0..pages {
            let at = b.len() as u32;
            b.extend_from_slice(&2u16.to_le_bytes());
            for tag in [256u16, 257] {
                b.extend_from_slice(&tag.to_le_bytes());
                b.extend_from_slice(&3u16.to_le_bytes());
                b.extend_from_slice(&1u32.to_le_bytes());
                b.extend_from_slice(&1u32.to_le_bytes());
            }
            let next = if p + 1 == pages { last_next } else { at + 30 };
            b.extend_from_slice(&next.to_le_bytes());
        }
        b
    }

    #[test]
    fn tiff_chain_is_bounded() {
        let b = chain(3, 0);
        assert_eq!(probe_bytes(&b).unwrap().truncated, None);
        let m = probe_bytes(&chain(3, 1_000_000)).unwrap().truncated.unwrap();
        assert_eq!(
            m,
            "page 4's directory at byte 1000000 lies beyond the end of the file (98 bytes)"
        );
        let m = probe_bytes(&chain(999, 1_000_000)).unwrap().truncated.unwrap();
        assert!(m.starts_with("page 1000's directory at byte 1000000"), "{m}");
        // past the walk bound the chain is not followed further
        let t = std::time::Instant::now();
        assert_eq!(probe_bytes(&chain(5000, 1_000_000)).unwrap().truncated, None);
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
        // a loop back to the first page ends the walk
        assert_eq!(probe_bytes(&chain(50, 8)).unwrap().truncated, None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_image(&load("png.png")), Some(ImageFormat::Png));
        assert_eq!(sniff_image(&load("exif.jpg")), Some(ImageFormat::Jpeg));
        assert_eq!(sniff_image(&load("gif.gif")), Some(ImageFormat::Gif));
        assert_eq!(sniff_image(&load("core.bmp")), Some(ImageFormat::Bmp));
        assert_eq!(sniff_image(&load("anim.webp")), Some(ImageFormat::WebP));
        assert_eq!(sniff_image(&load("be.tif")), Some(ImageFormat::Tiff));
        assert_eq!(sniff_image(&load("tiff.tif")), Some(ImageFormat::Tiff));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b"\x89PN"), None);
        assert_eq!(sniff_image(b""), None);
        assert_eq!(ImageFormat::WebP.name(), "webp");
        assert_eq!(ImageFormat::Jpeg.to_string(), "jpeg");
    }

    fn is_trunc(r: &Result<ImageInfo>) -> bool {
        matches!(r, Err(ParseError::Truncated(_)))
    }
    fn is_invalid(r: &Result<ImageInfo>) -> bool {
        matches!(r, Err(ParseError::Invalid(_)))
    }

    #[test]
    fn empty_and_garbage() {
        assert!(is_invalid(&probe_bytes(b"")));
        let mut x: u32 = 12345;
        let junk: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(is_invalid(&probe_bytes(&junk)));
        assert!(is_invalid(&probe_bytes(b"hello world, not an image")));
        // a prefix of a signature is a truncated file
        let r = probe_bytes(b"\x89PNG");
        assert!(is_trunc(&r), "{r:?}");
        assert!(is_trunc(&probe_bytes(b"GIF8")));
    }

    /// Header prefixes: too short for the dimensions => Err(Truncated); long enough => Ok with
    /// the truncated field set.
    #[test]
    fn prefixes() {
        for (name, header_len) in [
            ("png.png", 33usize), // signature + IHDR
            ("gif.gif", 13),
            ("bmp.bmp", 54),
            ("core.bmp", 26),
            ("lossy.webp", 30),
            ("lossless.webp", 25),
        ] {
            let b = load(name);
            for n in 1..header_len {
                let r = probe_bytes(&b[..n]);
                assert!(is_trunc(&r), "{name}[..{n}]: {r:?}");
            }
            for n in header_len..b.len() {
                let i = probe_bytes(&b[..n]).unwrap_or_else(|e| panic!("{name}[..{n}]: {e}"));
                assert_eq!((i.width, i.height), (33, 17));
                assert!(i.truncated.is_some(), "{name}[..{n}] not flagged");
            }
        }
        // JPEG: the frame header ends at a known position; before it Err(Truncated), after it Ok
        // with truncated set (all prefixes lack the final EOI).
        let b = load("exif.jpg");
        let sof = b.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        let eoi = b.len() - 16; // 16 zero bytes of padding follow the EOI marker
        assert_eq!(b[eoi - 2..eoi], [0xff, 0xd9]);
        for n in 1..eoi - 1 {
            let r = probe_bytes(&b[..n]);
            if n < sof + 9 {
                assert!(is_trunc(&r), "exif.jpg[..{n}]: {r:?}");
            } else {
                let i = r.unwrap();
                assert_eq!((i.width, i.height), (33, 17));
                assert!(i.truncated.is_some(), "exif.jpg[..{n}] not flagged");
            }
        }
        // TIFF with the IFD at the end: any cut before the IFD is an error.
        let b = load("tiff.tif");
        for n in 1..1381 {
            assert!(is_trunc(&probe_bytes(&b[..n])), "tiff.tif[..{n}]");
        }
        // be.tif: IFD at 8, strip data 122..314
        let b = load("be.tif");
        for n in 122..b.len() {
            let i = probe_bytes(&b[..n]).unwrap();
            assert!(i.truncated.is_some(), "be.tif[..{n}]");
        }
        // APNG cut inside the fdAT chunks: frames still known from acTL
        let b = load("apng.png");
        let i = probe_bytes(&b[..400]).unwrap();
        assert_eq!(i.frames, Some(3));
        assert!(i.truncated.unwrap().contains("fdAT"));
        // animated WebP cut after the first frame: the complete ANMF chunks are counted
        let b = load("anim.webp");
        let i = probe_bytes(&b[..600]).unwrap();
        assert_eq!(i.frames, Some(1));
        assert!(i.truncated.is_some());
    }

    fn set_crc(b: &mut [u8]) {
        let c = crc32fast::hash(&b[12..29]);
        b[29..33].copy_from_slice(&c.to_be_bytes());
    }

    #[test]
    fn corrupt_headers() {
        // PNG: IHDR checksum mismatch, zero width (with fixed CRC), corrupt chunk length
        let mut b = load("png.png");
        b[17] ^= 1;
        assert!(is_invalid(&probe_bytes(&b)));
        set_crc(&mut b);
        assert_eq!(probe_bytes(&b).unwrap().width, 33 ^ (1 << 16));
        b[16..20].copy_from_slice(&[0; 4]);
        set_crc(&mut b);
        assert!(is_invalid(&probe_bytes(&b)));
        let mut b = load("png.png");
        b[33..37].copy_from_slice(&[0xff; 4]);
        assert!(is_invalid(&probe_bytes(&b)));
        // absurd but well-formed chunk length: truncated, not an error
        let mut b = load("png.png");
        b[54..58].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        let m = probe_bytes(&b).unwrap().truncated.unwrap();
        assert!(m.contains("IDAT"), "{m}");
        // no IEND at all (junk-free file ending after IDAT)
        let b = load("png.png");
        let m = probe_bytes(&b[..247]).unwrap().truncated.unwrap();
        assert_eq!(
            m,
            "the file ends after the IDAT chunk at byte 247; IEND is missing"
        );

        // JPEG: APP segment length running past EOF before SOF => Err(Truncated)
        let mut b = load("exif.jpg");
        b[4..6].copy_from_slice(&[0xff, 0xff]);
        assert!(is_trunc(&probe_bytes(&b)));
        // a segment length of 0 is invalid
        let mut b = load("exif.jpg");
        b[4..6].copy_from_slice(&[0, 0]);
        assert!(is_invalid(&probe_bytes(&b)));
        // zero width in SOF0
        let mut b = load("baseline.jpg");
        let sof = b.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        b[sof + 7..sof + 9].copy_from_slice(&[0, 0]);
        assert!(is_invalid(&probe_bytes(&b)));
        // EOI followed by a few garbage bytes is fine
        let mut b = load("baseline.jpg");
        b.extend_from_slice(b"junk");
        assert_eq!(probe_bytes(&b).unwrap().truncated, None);

        // GIF: zero height; trailing zero padding is fine
        let mut b = load("gif.gif");
        b[8..10].copy_from_slice(&[0, 0]);
        assert!(is_invalid(&probe_bytes(&b)));
        let mut b = load("gif.gif");
        b.extend_from_slice(&[0; 10]);
        assert_eq!(probe_bytes(&b).unwrap().truncated, None);

        // BMP: absurd pixel offset / height => truncated field; bad header size => invalid
        let mut b = load("bmp.bmp");
        b[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(probe_bytes(&b).unwrap().truncated.is_some());
        let mut b = load("bmp.bmp");
        b[22..26].copy_from_slice(&i32::MIN.to_le_bytes());
        let i = probe_bytes(&b).unwrap();
        assert_eq!(i.height, 1 << 31);
        assert!(i.truncated.is_some());
        let mut b = load("bmp.bmp");
        b[14..18].copy_from_slice(&13u32.to_le_bytes());
        assert!(is_invalid(&probe_bytes(&b)));
        let mut b = load("bmp.bmp");
        b[18..22].copy_from_slice(&(-5i32).to_le_bytes());
        assert!(is_invalid(&probe_bytes(&b)));
        // pixel data: 17 rows of 100 bytes (33*3 padded to 4) from byte 54 = 1754 = file size
        let b = load("bmp.bmp");
        let m = probe_bytes(&b[..1753]).unwrap().truncated.unwrap();
        assert_eq!(
            m,
            "the pixel data should end at byte 1754 (1700 bytes from byte 54) but the file ends after 1753 bytes"
        );

        // WebP: absurd RIFF size => truncated; bad VP8 start code => invalid
        let mut b = load("lossy.webp");
        b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(probe_bytes(&b).unwrap().truncated.is_some());
        let mut b = load("lossy.webp");
        b[23] = 0;
        assert!(is_invalid(&probe_bytes(&b)));
        let mut b = load("lossless.webp");
        b[20] = 0x2e;
        assert!(is_invalid(&probe_bytes(&b)));
        // a chunk declaring more than the RIFF size
        let mut b = load("anim.webp");
        b[0x30..0x34].copy_from_slice(&0x7000_0000u32.to_le_bytes());
        let m = probe_bytes(&b).unwrap().truncated.unwrap();
        assert!(m.contains("ANMF chunk at byte 44"), "{m}");

        // TIFF: IFD offset beyond EOF => Err(Truncated); zero => invalid; absurd strip offset
        let mut b = load("be.tif");
        b[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(is_trunc(&probe_bytes(&b)));
        let mut b = load("be.tif");
        b[4..8].copy_from_slice(&[0; 4]);
        assert!(is_invalid(&probe_bytes(&b)));
        let mut b = load("tiff.tif");
        // entry 6 of the IFD at 1381 is StripOffsets (LONG, count 1, value 8)
        let v = 1381 + 2 + 6 * 12 + 8;
        b[v..v + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(probe_bytes(&b).unwrap().truncated.is_some());
        // absurd entry count: the IFD runs past EOF after the size tags => truncated field
        let mut b = load("be.tif");
        b[8..10].copy_from_slice(&[0xff, 0xff]);
        let m = probe_bytes(&b).unwrap().truncated.unwrap();
        assert!(m.contains("65535 entries"), "{m}");
    }

    #[test]
    fn big_tiff() {
        // hand-made BigTIFF: header, IFD at 16 with width (LONG8) 70000 and height (SHORT) 5
        let mut b = Vec::new();
        b.extend_from_slice(b"II\x2b\x00\x08\x00\x00\x00");
        b.extend_from_slice(&16u64.to_le_bytes());
        b.extend_from_slice(&2u64.to_le_bytes());
        b.extend_from_slice(&256u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&70000u64.to_le_bytes());
        b.extend_from_slice(&257u16.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&[5, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&0u64.to_le_bytes());
        let i = probe_bytes(&b).unwrap();
        assert_eq!((i.format, i.width, i.height), (ImageFormat::Tiff, 70000, 5));
        assert_eq!(i.truncated, None);
        // 8-byte next-IFD offset past the end; cut inside it
        let n = b.len();
        b[n - 8..].copy_from_slice(&1000u64.to_le_bytes());
        let m = probe_bytes(&b).unwrap().truncated.unwrap();
        assert_eq!(
            m,
            "page 2's directory at byte 1000 lies beyond the end of the file (72 bytes)"
        );
        let m = probe_bytes(&b[..n - 3]).unwrap().truncated.unwrap();
        assert!(m.ends_with("the offset of the next directory is cut off"), "{m}");
        // an out-of-line LONG8 pair past the end (BitsPerSample, 2 x 8 bytes > the 8-byte field)
        b[n - 8..].copy_from_slice(&0u64.to_le_bytes());
        b[16..24].copy_from_slice(&3u64.to_le_bytes());
        b.splice(
            n - 8..n - 8,
            [
                258u16.to_le_bytes().as_slice(),
                &16u16.to_le_bytes(),
                &2u64.to_le_bytes(),
                &80u64.to_le_bytes(),
            ]
            .concat(),
        );
        let m = probe_bytes(&b).unwrap().truncated.unwrap();
        assert_eq!(
            m,
            "the BitsPerSample value (2 LONG8 values at bytes 80 to 96) lies beyond the end of the file (92 bytes)"
        );
    }

    #[test]
    fn long8_in_classic_tiff() {
        // LONG8 (type 16) does not fit the 4-byte value field of a classic TIFF entry
        let mut b = load("be.tif");
        b[12..14].copy_from_slice(&16u16.to_be_bytes()); // entry 0 (ImageWidth) type
        assert!(is_invalid(&probe_bytes(&b)));
        // the same for a strip offset table: not checked, no panic
        let mut b = load("be.tif");
        b[10 + 5 * 12 + 2..10 + 5 * 12 + 4].copy_from_slice(&16u16.to_be_bytes());
        assert_eq!(probe_bytes(&b).unwrap().truncated, None);
    }

    #[test]
    fn io_error() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        impl Seek for Failing {
            fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
                Ok(0)
            }
        }
        let r = probe_image(&mut Failing, 100);
        assert!(matches!(r, Err(ParseError::Io(_))));
        assert!(r.unwrap_err().to_string().contains("disk on fire"));
    }

    const ALL: &[&str] = &[
        "png.png",
        "apng.png",
        "baseline.jpg",
        "progressive.jpg",
        "exif.jpg",
        "gif.gif",
        "bmp.bmp",
        "core.bmp",
        "topdown.bmp",
        "lossy.webp",
        "lossless.webp",
        "anim.webp",
        "tiff.tif",
        "be.tif",
        "trunc.png",
        "trunc.jpg",
        "trunc.gif",
        "trunc.webp",
        "trunc.tif",
        "multi.tif",
        "trunc_multi.tif",
    ];

    #[test]
    fn no_panic_sweep() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for name in ALL {
            let b = load(name);
            for n in 0..=b.len() {
                let _ = probe_bytes(&b[..n]);
            }
            // claim a longer file than the data holds (len disagrees with the reader)
            let _ = probe_image(&mut Cursor::new(&b), b.len() as u64 * 2 + 100);
            // every position set to a few telling values
            for pos in 0..b.len() {
                for v in [0x00, 0x01, 0x10, 0x2b, 0x7f, 0x80, 0xff] {
                    let mut c = b.clone();
                    c[pos] = v;
                    let _ = probe_bytes(&c);
                }
            }
            for _ in 0..400 {
                let mut c = b.clone();
                let pos = (next() % c.len() as u64) as usize;
                // favour the header region where the parsers look
                let pos = if next() % 2 == 0 {
                    pos % 64.min(c.len())
                } else {
                    pos
                };
                c[pos] = next() as u8;
                let _ = probe_bytes(&c);
            }
        }
    }
}
