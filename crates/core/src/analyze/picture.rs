//! What a picture's headers say about how browsers show it: colour type and bit depth, the
//! embedded ICC profile's description, and the EXIF orientation. JPEG (markers up to the first
//! scan), PNG (chunks up to the first `IDAT`) and WebP (`VP8X`, `ICCP`, `EXIF`); header only.

use std::io::{Read, Seek, SeekFrom};

/// Colour and orientation facts of one picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PictureInfo {
    /// `gray`, `gray_alpha`, `rgb`, `rgba`, `palette`, `ycbcr`, `cmyk` or `ycck`.
    pub color: Option<&'static str>,
    /// Bits per sample.
    pub bit_depth: Option<u32>,
    /// The embedded ICC profile's description (`sRGB IEC61966-2.1`, `Display P3`), or `sRGB`
    /// for a PNG `sRGB` chunk; `(no description)` when the profile has none.
    pub icc_profile: Option<String>,
    /// EXIF orientation (1 to 8).
    pub orientation: Option<u32>,
}

/// Most bytes of ICC profile (all its pieces) read; real profiles are a few KiB, some 500 KiB.
const MAX_ICC: usize = 4 << 20;
/// Most markers or chunks looked at.
const MAX_SEGMENTS: usize = 10_000;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn read_at<R: Read + Seek>(r: &mut R, pos: u64, n: usize) -> Option<Vec<u8>> {
    r.seek(SeekFrom::Start(pos)).ok()?;
    let mut buf = Vec::new();
    r.take(n as u64).read_to_end(&mut buf).ok()?;
    (buf.len() == n).then_some(buf)
}

/// Reads what it can; `None` fields where the headers do not say or cannot be read.
pub fn inspect<R: Read + Seek>(r: &mut R, len: u64) -> PictureInfo {
    let Some(head) = read_at(r, 0, 16.min(len as usize)) else {
        return PictureInfo::default();
    };
    if head.starts_with(&[0xFF, 0xD8]) {
        jpeg(r, len)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(r, len)
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        webp(r, len)
    } else {
        PictureInfo::default()
    }
}

fn jpeg<R: Read + Seek>(r: &mut R, len: u64) -> PictureInfo {
    let mut info = PictureInfo::default();
    let mut pos = 2u64;
    let mut components = None;
    let mut adobe_transform = None;
    let mut icc: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut icc_bytes = 0usize;
    for _ in 0..MAX_SEGMENTS {
        let Some(m) = read_at(r, pos, 4) else { break };
        if m[0] != 0xFF {
            break;
        }
        let marker = m[1];
        if marker == 0xFF {
            pos += 1; // fill byte
            continue;
        }
        if matches!(marker, 0xD0..=0xD7 | 0x01) {
            pos += 2;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let seg = u64::from(u16::from_be_bytes([m[2], m[3]]));
        if seg < 2 || pos + 2 + seg > len {
            break;
        }
        let body_len = (seg - 2) as usize;
        let sof = matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        let wanted = match marker {
            _ if sof => body_len.min(6),
            0xE1 | 0xEE => body_len.min(64 << 10),
            0xE2 if icc_bytes + body_len <= MAX_ICC => body_len,
            _ => 0,
        };
        if wanted > 0 {
            let Some(body) = read_at(r, pos + 4, wanted) else {
                break;
            };
            match marker {
                _ if sof => {
                    info.bit_depth = body.first().map(|&b| u32::from(b));
                    components = body.get(5).copied();
                }
                0xE1 if body.starts_with(b"Exif\0\0") => info.orientation = exif_orientation(&body[6..]),
                0xEE if body.starts_with(b"Adobe") => adobe_transform = body.get(11).copied(),
                0xE2 if body.starts_with(b"ICC_PROFILE\0") && body.len() > 14 => {
                    icc_bytes += body.len() - 14;
                    icc.push((body[12], body[14..].to_vec()));
                }
                _ => {}
            }
        }
        pos += 2 + seg;
    }
    info.color = match components {
        Some(1) => Some("gray"),
        Some(3) => Some(if adobe_transform == Some(0) {
            "rgb"
        } else {
            "ycbcr"
        }),
        Some(4) => Some(if adobe_transform == Some(2) {
            "ycck"
        } else {
            "cmyk"
        }),
        _ => None,
    };
    if !icc.is_empty() {
        icc.sort_by_key(|(seq, _)| *seq);
        let profile: Vec<u8> = icc.into_iter().flat_map(|(_, b)| b).collect();
        info.icc_profile = Some(icc_description(&profile));
    }
    info
}

fn png<R: Read + Seek>(r: &mut R, len: u64) -> PictureInfo {
    let mut info = PictureInfo::default();
    let mut pos = 8u64;
    for _ in 0..MAX_SEGMENTS {
        let Some(h) = read_at(r, pos, 8) else { break };
        let n = u64::from(be32(&h, 0).unwrap_or(0));
        let typ = &h[4..8];
        if typ == b"IDAT" || typ == b"IEND" || pos + 12 + n > len {
            break;
        }
        let wanted = match typ {
            b"IHDR" => 13,
            b"iCCP" | b"eXIf" if n as usize <= MAX_ICC => n as usize,
            _ => 0,
        };
        if wanted > 0 {
            let Some(body) = read_at(r, pos + 8, wanted) else {
                break;
            };
            match typ {
                b"IHDR" => {
                    info.bit_depth = body.get(8).map(|&b| u32::from(b));
                    info.color = match body.get(9) {
                        Some(0) => Some("gray"),
                        Some(2) => Some("rgb"),
                        Some(3) => Some("palette"),
                        Some(4) => Some("gray_alpha"),
                        Some(6) => Some("rgba"),
                        _ => None,
                    };
                }
                b"iCCP" => {
                    // name, NUL, compression method (0: zlib), the compressed profile
                    if let Some(nul) = body.iter().position(|&b| b == 0) {
                        let data = body.get(nul + 2..).unwrap_or(&[]);
                        let mut profile = Vec::new();
                        let mut z = flate2::read::ZlibDecoder::new(data).take(MAX_ICC as u64);
                        info.icc_profile = Some(match z.read_to_end(&mut profile) {
                            Ok(_) => icc_description(&profile),
                            Err(_) => "(unreadable)".to_string(),
                        });
                    }
                }
                b"eXIf" => info.orientation = exif_orientation(&body),
                _ => {}
            }
        }
        if typ == b"sRGB" {
            info.icc_profile = Some("sRGB".to_string());
        }
        pos += 12 + n;
    }
    info
}

fn webp<R: Read + Seek>(r: &mut R, len: u64) -> PictureInfo {
    let mut info = PictureInfo::default();
    let mut pos = 12u64;
    for _ in 0..MAX_SEGMENTS {
        let Some(h) = read_at(r, pos, 8) else { break };
        let n = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
        let typ = &h[0..4];
        if pos + 8 + n > len {
            break;
        }
        match typ {
            b"ICCP" | b"EXIF" if n as usize <= MAX_ICC => {
                let Some(body) = read_at(r, pos + 8, n as usize) else {
                    break;
                };
                if typ == b"ICCP" {
                    info.icc_profile = Some(icc_description(&body));
                } else {
                    let tiff = body.strip_prefix(b"Exif\0\0").unwrap_or(&body);
                    info.orientation = exif_orientation(tiff);
                }
            }
            b"VP8 " | b"VP8L" => {
                info.color
                    .get_or_insert(if typ == b"VP8L" { "rgba" } else { "ycbcr" });
                info.bit_depth.get_or_insert(8);
            }
            _ => {}
        }
        pos += 8 + n + (n & 1);
    }
    info
}

/// The orientation tag (0x0112) of IFD0 of a TIFF-structured EXIF block.
fn exif_orientation(tiff: &[u8]) -> Option<u32> {
    let le = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(1000)).find_map(|i| {
        let e = ifd.checked_add(2 + i * 12)?;
        (u16_at(e)? == 0x0112).then(|| u16_at(e + 8).map(u32::from))?
    })
}

/// The `desc` tag of an ICC profile: `desc` text (v2) or the first `mluc` record (v4).
pub fn icc_description(p: &[u8]) -> String {
    let found = (|| {
        let count = usize::try_from(be32(p, 128)?).ok()?;
        let tag = (0..count.min(1000)).find_map(|i| {
            let e = 132 + i * 12;
            (p.get(e..e + 4)? == b"desc").then_some(())?;
            Some((be32(p, e + 4)? as usize, be32(p, e + 8)? as usize))
        })?;
        let (off, size) = tag;
        let t = p.get(off..off.checked_add(size)?)?;
        match t.get(0..4)? {
            b"desc" => {
                let n = be32(t, 8)? as usize;
                let text = t.get(12..12 + n.min(t.len().saturating_sub(12)))?;
                Some(
                    String::from_utf8_lossy(text)
                        .trim_end_matches('\0')
                        .trim()
                        .to_string(),
                )
            }
            b"mluc" => {
                let len = be32(t, 20)? as usize;
                let at = be32(t, 24)? as usize;
                let units: Vec<u16> = t
                    .get(at..at.checked_add(len)?)?
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                Some(
                    String::from_utf16_lossy(&units)
                        .trim_end_matches('\0')
                        .trim()
                        .to_string(),
                )
            }
            _ => None,
        }
    })();
    match found {
        Some(d) if !d.is_empty() => d.chars().filter(|c| !c.is_control()).take(200).collect(),
        _ => "(no description)".to_string(),
    }
}

/// Whether a profile description names sRGB (`sRGB IEC61966-2.1`, `sRGB built-in`, ...).
pub fn is_srgb(description: &str) -> bool {
    description.to_ascii_lowercase().contains("srgb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_orientation_both_byte_orders() {
        let le = [
            b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,
        ];
        assert_eq!(exif_orientation(&le), Some(6));
        let be = [
            b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0,
        ];
        assert_eq!(exif_orientation(&be), Some(8));
        assert_eq!(exif_orientation(&le[..12]), None);
    }

    #[test]
    fn icc_without_a_description_says_so() {
        assert_eq!(icc_description(&[0; 10]), "(no description)");
        assert!(is_srgb("sRGB IEC61966-2.1"));
        assert!(!is_srgb("Display P3"));
    }
}
