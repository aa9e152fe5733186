//! The one byte reader every prober uses: bounds-checked integer getters that return `None`
//! past the end of the slice (never panic, never a silent 0), four-character codes, the
//! sample-count-to-seconds conversion and the ID3v2 tag length.

use super::ParseError;

/// Byte order of a multi-byte field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    /// Most significant byte first (AIFF, MP4, PNG, JPEG, Motorola TIFF).
    Big,
    /// Least significant byte first (RIFF, GIF, BMP, Intel TIFF).
    Little,
}

impl Endian {
    /// Big-endian if `big`, little-endian otherwise.
    pub(crate) fn big_if(big: bool) -> Self {
        if big { Endian::Big } else { Endian::Little }
    }

    /// The `N` bytes at `at`, if the slice holds them.
    fn take<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
        b.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    /// The 16-bit integer at `at`.
    pub(crate) fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let a = Self::take(b, at)?;
        Some(match self {
            Endian::Big => u16::from_be_bytes(a),
            Endian::Little => u16::from_le_bytes(a),
        })
    }

    /// The 24-bit integer at `at` (FLAC block sizes, WebP canvas sizes).
    pub(crate) fn u24(self, b: &[u8], at: usize) -> Option<u32> {
        let [x, y, z] = Self::take(b, at)?;
        Some(match self {
            Endian::Big => u32::from_be_bytes([0, x, y, z]),
            Endian::Little => u32::from_le_bytes([x, y, z, 0]),
        })
    }

    /// The 32-bit integer at `at`.
    pub(crate) fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let a = Self::take(b, at)?;
        Some(match self {
            Endian::Big => u32::from_be_bytes(a),
            Endian::Little => u32::from_le_bytes(a),
        })
    }

    /// The 64-bit integer at `at`.
    pub(crate) fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let a = Self::take(b, at)?;
        Some(match self {
            Endian::Big => u64::from_be_bytes(a),
            Endian::Little => u64::from_le_bytes(a),
        })
    }
}

/// Big-endian 16-bit integer at `at`.
pub(crate) fn u16_be(b: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16(b, at)
}

/// Big-endian 24-bit integer at `at`.
pub(crate) fn u24_be(b: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u24(b, at)
}

/// Big-endian 32-bit integer at `at`.
pub(crate) fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32(b, at)
}

/// Big-endian 64-bit integer at `at`.
pub(crate) fn u64_be(b: &[u8], at: usize) -> Option<u64> {
    Endian::Big.u64(b, at)
}

/// Little-endian 16-bit integer at `at`.
pub(crate) fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Endian::Little.u16(b, at)
}

/// Little-endian 24-bit integer at `at`.
pub(crate) fn u24_le(b: &[u8], at: usize) -> Option<u32> {
    Endian::Little.u24(b, at)
}

/// Little-endian 32-bit integer at `at`.
pub(crate) fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Endian::Little.u32(b, at)
}

/// Little-endian 64-bit integer at `at`.
pub(crate) fn u64_le(b: &[u8], at: usize) -> Option<u64> {
    Endian::Little.u64(b, at)
}

/// Turns a field the slice does not hold into a [`ParseError::Truncated`] naming it.
pub(crate) trait Need<T> {
    /// The value, or "the {what} is cut short".
    fn need(self, what: &str) -> Result<T, ParseError>;
}

impl<T> Need<T> for Option<T> {
    fn need(self, what: &str) -> Result<T, ParseError> {
        self.ok_or_else(|| ParseError::Truncated(format!("the {what} is cut short")))
    }
}

/// A chunk or box tag for messages: printable ASCII kept, anything else shown as `?`.
pub(crate) fn fourcc(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                char::from(c)
            } else {
                '?'
            }
        })
        .collect()
}

/// Seconds held by `samples` samples (or frames) at `rate` per second; 0 for a zero rate.
pub(crate) fn duration(samples: u64, rate: u32) -> f64 {
    if rate == 0 {
        0.0
    } else {
        samples as f64 / f64::from(rate)
    }
}

/// A 28-bit ID3v2 "syncsafe" integer (7 bits per byte) from the first 4 bytes of `b`; `None`
/// if a byte has its high bit set or `b` is short.
pub(crate) fn syncsafe(b: &[u8]) -> Option<u64> {
    b.get(..4)?
        .iter()
        .try_fold(0u64, |acc, &x| (x < 0x80).then_some(acc << 7 | u64::from(x)))
}

/// Total length of an ID3v2 tag whose 10-byte header starts `head` (header and footer
/// included), if it is one: `ID3`, a version byte and revision that are not 0xFF, and a
/// syncsafe size (no byte with the high bit set).
pub(crate) fn id3v2_len(head: &[u8]) -> Option<u64> {
    if head.len() < 10 || &head[..3] != b"ID3" || head[3] == 0xFF || head[4] == 0xFF {
        return None;
    }
    let size = syncsafe(&head[6..10])?;
    let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_are_bounds_checked() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u16_be(&b, 0), Some(0x0102));
        assert_eq!(u16_le(&b, 6), Some(0x0807));
        assert_eq!(u32_be(&b, 4), Some(0x0506_0708));
        assert_eq!(u32_le(&b, 0), Some(0x0403_0201));
        assert_eq!(u64_be(&b, 0), Some(0x0102_0304_0506_0708));
        assert_eq!(u64_le(&b, 0), Some(0x0807_0605_0403_0201));
        assert_eq!(u24_be(&b, 5), Some(0x0006_0708));
        assert_eq!(u24_le(&b, 0), Some(0x0003_0201));
        assert_eq!(u24_le(&b, 6), None);
        assert_eq!(u16_be(&b, 7), None);
        assert_eq!(u32_le(&b, 5), None);
        assert_eq!(u64_be(&b, 1), None);
        assert_eq!(u32_be(&b, usize::MAX - 1), None);
        assert_eq!(u16_le(&[], 0), None);
    }

    #[test]
    fn missing_field_is_truncation_naming_it() {
        let e = u32_be(&[0, 1], 0).need("PNG header").unwrap_err();
        assert!(matches!(&e, ParseError::Truncated(m) if m == "the PNG header is cut short"));
        assert_eq!(u16_be(&[0, 1], 0).need("x").unwrap(), 1);
    }

    #[test]
    fn fourcc_shows_unprintable_bytes_as_question_marks() {
        assert_eq!(fourcc(b"fmt "), "fmt ");
        assert_eq!(fourcc(&[0xa9, b'n', 0, 0x7f]), "?n??");
    }

    #[test]
    fn duration_of_zero_rate_is_zero() {
        assert_eq!(duration(44_100, 44_100), 1.0);
        assert_eq!(duration(10, 0), 0.0);
    }

    #[test]
    fn id3v2_len_edge_cases() {
        assert_eq!(id3v2_len(b"ID3\x04\0\0\0\0\x02\x01rest"), Some(10 + 257));
        // footer flag adds 10 bytes
        assert_eq!(id3v2_len(b"ID3\x04\0\x10\0\0\0\x01"), Some(21));
        // largest syncsafe size
        assert_eq!(id3v2_len(b"ID3\x04\0\0\x7f\x7f\x7f\x7f"), Some(10 + 0x0fff_ffff));
        // a size byte with the high bit set is not syncsafe
        assert_eq!(id3v2_len(b"ID3\x04\0\0\x80\0\0\0"), None);
        assert_eq!(id3v2_len(b"ID3\x04\0\0\0\0\0\x80"), None);
        // version or revision 0xFF is never a tag
        assert_eq!(id3v2_len(b"ID3\xff\0\0\0\0\0\x01"), None);
        assert_eq!(id3v2_len(b"ID3\x04\xff\0\0\0\0\x01"), None);
        // short header, other magic
        assert_eq!(id3v2_len(b"ID3\x04\0\0\0\0\0"), None);
        assert_eq!(id3v2_len(b"TAG\x04\0\0\0\0\0\x01"), None);
    }
}
