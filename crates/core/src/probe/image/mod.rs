//! Header-only probing of PNG/APNG, JPEG, GIF, BMP, WebP and TIFF images: dimensions from the
//! headers plus cheap truncation checks (chunk walks, end markers in the last bytes). Pixel data is
//! never read, nothing is allocated from size fields, and hostile input never panics.

mod bmp;
mod gif;
mod jpeg;
mod png;
mod tiff;
mod webp;

use std::io::{self, Read, Seek, SeekFrom};

use super::ParseError;
use super::bytes::u32_le;
use crate::sniff::Container;

use bmp::probe_bmp;
use gif::probe_gif;
use jpeg::probe_jpeg;
use png::probe_png;
use tiff::probe_tiff;
use webp::probe_webp;

/// Upper bound on the number of chunks/segments walked in one file (PNG, JPEG, WebP).
const MAX_CHUNKS: u32 = 100_000;
/// How many bytes at the end of a JPEG/GIF file are searched for the end marker.
const TAIL_WINDOW: u64 = 64;

/// What [`probe_image`] found out about an image from its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The file format.
    pub format: Container,
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

type Result<T> = std::result::Result<T, ParseError>;

fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(ParseError::Invalid(msg.into()))
}

fn truncated<T>(msg: impl Into<String>) -> Result<T> {
    Err(ParseError::Truncated(msg.into()))
}

/// Signature patterns (`None` = any byte) used for sniffing and for recognising a file that ends
/// inside its signature.
const SIGNATURES: &[(Container, &[Option<u8>])] = {
    const fn b(c: u8) -> Option<u8> {
        Some(c)
    }
    const X: Option<u8> = None;
    &[
        (
            Container::Png,
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
        (Container::Jpeg, &[b(0xff), b(0xd8), b(0xff)]),
        (
            Container::Gif,
            &[b(b'G'), b(b'I'), b(b'F'), b(b'8'), b(b'7'), b(b'a')],
        ),
        (
            Container::Gif,
            &[b(b'G'), b(b'I'), b(b'F'), b(b'8'), b(b'9'), b(b'a')],
        ),
        (Container::Bmp, &[b(b'B'), b(b'M')]),
        (
            Container::WebP,
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
        (Container::Tiff, &[b(b'I'), b(b'I'), b(42), b(0)]),
        (Container::Tiff, &[b(b'M'), b(b'M'), b(0), b(42)]),
        (Container::Tiff, &[b(b'I'), b(b'I'), b(43), b(0)]),
        (Container::Tiff, &[b(b'M'), b(b'M'), b(0), b(43)]),
    ]
};

fn matches(head: &[u8], pat: &[Option<u8>]) -> bool {
    head.iter().zip(pat).all(|(h, p)| p.is_none_or(|p| p == *h))
}

/// Recognises the image format from the first bytes of a file (at most 32 are looked at; 12 are
/// enough for every format). Returns `None` when no supported signature matches completely.
pub fn sniff_image(head: &[u8]) -> Option<Container> {
    let head = &head[..head.len().min(32)];
    let fmt = SIGNATURES
        .iter()
        .find(|(_, pat)| head.len() >= pat.len() && matches(head, pat))
        .map(|(f, _)| *f)?;
    if fmt == Container::Bmp && head.len() >= 18 {
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
                    f.name()
                ));
            }
            return invalid("the file does not start with a PNG, JPEG, GIF, BMP, WebP or TIFF signature");
        }
    };
    match fmt {
        Container::Png => probe_png(&mut src),
        Container::Jpeg => probe_jpeg(&mut src),
        Container::Gif => probe_gif(&mut src),
        Container::Bmp => probe_bmp(&mut src),
        Container::WebP => probe_webp(&mut src),
        Container::Tiff => probe_tiff(&mut src),
        other => invalid(format!("{} is not an image format", other.name())),
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

fn check_dims(fmt: Container, width: u64, height: u64) -> Result<(u32, u32)> {
    if width == 0 || height == 0 {
        return invalid(format!(
            "the {} header gives a size of {width}x{height} pixels",
            fmt.name()
        ));
    }
    match (u32::try_from(width), u32::try_from(height)) {
        (Ok(w), Ok(h)) => Ok((w, h)),
        _ => invalid(format!(
            "the {} header gives an impossible size of {width}x{height} pixels",
            fmt.name()
        )),
    }
}

fn info(format: Container, (width, height): (u32, u32)) -> ImageInfo {
    ImageInfo {
        format,
        width,
        height,
        frames: None,
        truncated: None,
        trailing_bytes: 0,
    }
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
    fn check_ok(name: &str, fmt: Container, w: u32, h: u32, frames: Option<u32>) {
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

    fn truncated_msg(name: &str, fmt: Container, w: u32, h: u32) -> String {
        let i = probe_file(name);
        assert_eq!((i.format, i.width, i.height), (fmt, w, h), "{name}");
        i.truncated
            .unwrap_or_else(|| panic!("{name}: truncation not detected"))
    }

    #[test]
    fn good_fixtures() {
        use Container::*;
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
        use Container::*;
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
        let long = chain(5000, 1_000_000);
        let mut r = crate::test_fixtures::CountingReader::new(&long);
        assert_eq!(probe_image(&mut r, long.len() as u64).unwrap().truncated, None);
        eprintln!("{} bytes, {} read in {} calls", long.len(), r.bytes_read, r.calls);
        // the walk stops at its bound: most of the 5000 directories are never read
        assert!(
            r.bytes_read < long.len() as u64 / 2,
            "{} of {}",
            r.bytes_read,
            long.len()
        );
        // a loop back to the first page ends the walk
        assert_eq!(probe_bytes(&chain(50, 8)).unwrap().truncated, None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_image(&load("png.png")), Some(Container::Png));
        assert_eq!(sniff_image(&load("exif.jpg")), Some(Container::Jpeg));
        assert_eq!(sniff_image(&load("gif.gif")), Some(Container::Gif));
        assert_eq!(sniff_image(&load("core.bmp")), Some(Container::Bmp));
        assert_eq!(sniff_image(&load("anim.webp")), Some(Container::WebP));
        assert_eq!(sniff_image(&load("be.tif")), Some(Container::Tiff));
        assert_eq!(sniff_image(&load("tiff.tif")), Some(Container::Tiff));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b"\x89PN"), None);
        assert_eq!(sniff_image(b""), None);
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
        assert_eq!((i.format, i.width, i.height), (Container::Tiff, 70000, 5));
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
