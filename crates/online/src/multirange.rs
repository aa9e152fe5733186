//! The head and the end of a file in one request: `Range: bytes=0-65535,-65536`, and the
//! `multipart/byteranges` answer (RFC 9110, section 14.6) split into its parts.
//!
//! Why one request: with every file on one host, six at a time, a check is bound by round
//! trips, and the formats that keep their length or last frame at the end (FLAC, MP3, MP4 with
//! `moov` last, Ogg, ...) needed two. Servers answer such a request in one of four ways, and
//! each is handled where the answer is read (`open.rs`): several parts (parsed here); one part,
//! when they merged the two ranges (a small file) or served only the first; the whole file
//! (200), as object stores without multi-range support and nginx for ranges longer than the
//! file do; or 416, as some object stores do. Only the parts' `Content-Range` headers say
//! where their bytes go; the boundary is checked after each part, never searched for inside
//! one, so no payload can be mistaken for a delimiter.
//!
//! Written here rather than taken from a crate: the multipart crates on crates.io parse
//! `multipart/form-data` (field names, file names, streaming to async runtimes); none checks
//! the byte ranges and lengths of a `byteranges` answer, which is all this needs (about 100
//! lines, bounds-checked, fuzzed in the tests below with every cut and byte flip of an answer).

use crate::HEAD_BYTES;

/// The most bytes a two-part answer may take besides its payload (part headers, boundaries).
pub(crate) const OVERHEAD: u64 = 8 << 10;

/// The `Range` value asking for the first and the last [`HEAD_BYTES`] of a file.
pub(crate) fn head_and_end() -> String {
    format!("bytes=0-{},-{HEAD_BYTES}", HEAD_BYTES - 1)
}

/// One part of an answer: bytes of the file from `start`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub start: u64,
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/byteranges` content type, when it is one.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/byteranges") {
        return None;
    }
    params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// Splits a `multipart/byteranges` body into its parts and the file's length, checking that
/// every part is whole, lies in what [`head_and_end`] asked for, and agrees on the length.
/// The error says what is wrong, in words.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<(Vec<Part>, u64), String> {
    let delimiter = [b"--", boundary.as_bytes()].concat();
    // The first delimiter starts the body or a line (a preamble may come before it).
    let mut pos = find(body, &delimiter, 0)
        .filter(|&at| at == 0 || body[at - 1] == b'\n')
        .ok_or("no boundary line")?
        + delimiter.len();
    let mut parts = Vec::new();
    let mut total = None;
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        if parts.len() == 2 {
            return Err("more parts than the two ranges asked for".into());
        }
        pos = skip_line(body, pos).ok_or("a boundary line does not end")?;
        let mut range = None;
        let mut lines = 0;
        loop {
            let end = skip_line(body, pos).ok_or("the part's headers do not end")?;
            let line = trim_eol(&body[pos..end]);
            pos = end;
            if line.is_empty() {
                break;
            }
            lines += 1;
            if lines > 16 {
                return Err("a part has too many header lines".into());
            }
            let text = std::str::from_utf8(line).map_err(|_| "a part header is not text")?;
            if let Some((name, value)) = text.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-range")
            {
                range = Some(
                    content_range(value)
                        .ok_or_else(|| format!("the part range '{}' cannot be read", value.trim()))?,
                );
            }
        }
        let (start, last, len) = range.ok_or("a part has no Content-Range")?;
        if *total.get_or_insert(len) != len {
            return Err("the parts disagree on the file's length".into());
        }
        if !asked(start, last + 1, len) {
            return Err(format!(
                "the part {start}-{last} is not one of the ranges asked for"
            ));
        }
        let size = usize::try_from(last - start + 1).map_err(|_| "a part is too long")?;
        let data = body
            .get(pos..pos + size)
            .ok_or("a part is shorter than its Content-Range")?;
        parts.push(Part {
            start,
            data: data.to_vec(),
        });
        pos += size;
        // CRLF (or LF), then the next delimiter, right after the part's bytes.
        let next = match body.get(pos..pos + 2) {
            Some(b"\r\n") => pos + 2,
            _ if body.get(pos) == Some(&b'\n') => pos + 1,
            _ => return Err("a part is longer than its Content-Range".into()),
        };
        if body.get(next..next + delimiter.len()) != Some(&delimiter[..]) {
            return Err("a part is longer than its Content-Range".into());
        }
        pos = next + delimiter.len();
    }
    match total {
        Some(total) => Ok((parts, total)),
        None => Err("the answer has no parts".into()),
    }
}

/// Whether `start..end` of a file of `len` bytes lies in its first or last [`HEAD_BYTES`] (or
/// both, when they touch: a server may merge them into one part).
pub(crate) fn asked(start: u64, end: u64, len: u64) -> bool {
    let tail = len.saturating_sub(HEAD_BYTES);
    start < end && end <= len && (end <= HEAD_BYTES || start >= tail || tail <= HEAD_BYTES)
}

/// `bytes a-b/len` as (a, b, len), with a ≤ b < len.
pub(crate) fn content_range(value: &str) -> Option<(u64, u64, u64)> {
    let (range, len) = value.trim().strip_prefix("bytes")?.trim().split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, len): (u64, u64, u64) = (
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        len.trim().parse().ok()?,
    );
    (a <= b && b < len).then_some((a, b, len))
}

/// Where the line starting at `pos` ends (after its LF).
fn skip_line(body: &[u8], pos: usize) -> Option<usize> {
    let rest = body.get(pos..)?;
    let lf = rest.iter().take(1024).position(|&b| b == b'\n')?;
    Some(pos + lf + 1)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| at + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEN: u64 = 1_000_000;

    fn answer(parts: &[(u64, u64)], boundary: &str) -> Vec<u8> {
        let mut body = b"\r\n".to_vec();
        for &(a, b) in parts {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Type: audio/flac\r\nContent-Range: bytes {a}-{b}/{LEN}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend((a..=b).map(|i| (i % 251) as u8));
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        body
    }

    fn head_and_tail() -> Vec<(u64, u64)> {
        vec![(0, HEAD_BYTES - 1), (LEN - HEAD_BYTES, LEN - 1)]
    }

    #[test]
    fn two_parts_give_the_head_and_the_end() {
        let (parts, total) = parse(&answer(&head_and_tail(), "B0und"), "B0und").unwrap();
        assert_eq!(total, LEN);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].start, LEN - HEAD_BYTES);
        assert_eq!(parts[1].data.len() as u64, HEAD_BYTES);
        assert_eq!(parts[1].data[0], ((LEN - HEAD_BYTES) % 251) as u8);
    }

    #[test]
    fn a_payload_holding_the_boundary_is_not_cut_there() {
        let mut body = answer(&head_and_tail(), "xyz");
        let at = body.windows(6).position(|w| w == b"\r\n\r\n\0\x01").unwrap() + 4 + 100;
        body[at..at + 7].copy_from_slice(b"\r\n--xyz");
        let (parts, _) = parse(&body, "xyz").unwrap();
        assert_eq!(&parts[0].data[100..107], b"\r\n--xyz");
    }

    #[test]
    fn content_types_and_boundaries() {
        assert_eq!(boundary("multipart/byteranges; boundary=3d6b1f"), Some("3d6b1f"));
        assert_eq!(boundary("Multipart/ByteRanges;boundary=\"a b\""), Some("a b"));
        assert_eq!(boundary("multipart/form-data; boundary=x"), None);
        assert_eq!(boundary("multipart/byteranges"), None);
        assert_eq!(head_and_end(), "bytes=0-65535,-65536");
    }

    #[test]
    fn wrong_answers_are_refused_with_a_reason() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (answer(&head_and_tail(), "other"), "no boundary"),
            (answer(&[(0, 10), (20, 30), (40, 50)], "b"), "more parts"),
            (answer(&[(1000, 200_000)], "b"), "not one of the ranges"),
            (answer(&[(500_000, 500_100)], "b"), "not one of the ranges"),
            (answer(&[], "b"), "no parts"),
            (
                String::from_utf8(answer(&[(0, 10)], "b"))
                    .unwrap()
                    .replace("0-10/", "0-20/")
                    .into_bytes(),
                "shorter than its Content-Range",
            ),
            (
                String::from_utf8(answer(&[(0, 10)], "b"))
                    .unwrap()
                    .replace("0-10/", "0-5/")
                    .into_bytes(),
                "longer than its Content-Range",
            ),
            (
                String::from_utf8(answer(&[(0, 10)], "b"))
                    .unwrap()
                    .replace("bytes 0-10/1000000", "bytes 0-10/*")
                    .into_bytes(),
                "cannot be read",
            ),
        ];
        for (body, why) in cases {
            let err = parse(&body, "b").unwrap_err();
            assert!(err.contains(why), "{err} (wanted: {why})");
        }
    }

    /// Every cut of a good answer, and every byte of its headers and boundaries flipped, gives
    /// the file's bytes or an error: never a panic, never bytes put in the wrong place.
    #[test]
    fn cut_or_damaged_answers_never_panic_or_give_wrong_bytes() {
        let good = answer(&[(0, 99), (LEN - 50, LEN - 1)], "b");
        let payload = |i: usize| {
            let first = good.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let second = good
                .windows(4)
                .skip(first)
                .position(|w| w == b"\r\n\r\n")
                .unwrap()
                + first
                + 4;
            (first..first + 100).contains(&i) || (second..second + 50).contains(&i)
        };
        let check = |body: &[u8]| {
            if let Ok((parts, total)) = parse(body, "b") {
                assert_eq!(total, LEN);
                for p in parts {
                    for (i, &byte) in p.data.iter().enumerate() {
                        assert_eq!(byte, ((p.start + i as u64) % 251) as u8);
                    }
                }
            }
        };
        for cut in 0..good.len() {
            check(&good[..cut]);
            assert!(
                parse(&good[..cut], "b").is_err() || cut + 2 >= good.len(),
                "cut at {cut}"
            );
        }
        for i in (0..good.len()).filter(|&i| !payload(i)) {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut bad = good.clone();
                bad[i] ^= flip;
                check(&bad);
            }
        }
    }
}
