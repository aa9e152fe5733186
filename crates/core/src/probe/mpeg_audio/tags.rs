//! Tags around the audio: leading ID3v2 tags, trailing ID3v1, APEv2 and Lyrics3 tags, so that
//! the frame walk covers only the audio between them.

use std::io::{Read, Seek};

use crate::probe::bytes::{id3v2_len, syncsafe, u32_le};
use crate::probe::{ParseError, read_at};

pub(super) struct Region {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) leading_tag_bytes: u64,
    pub(super) trailing_tag_bytes: u64,
}

pub(super) fn find_region<R: Read + Seek>(r: &mut R, len: u64) -> Result<Region, ParseError> {
    // leading ID3v2 tags (several may follow each other)
    let mut start = 0u64;
    let mut h = [0u8; 10];
    for _ in 0..1000 {
        let got = read_at(r, start, &mut h)?;
        let Some(tag) = id3v2_len(&h[..got]) else {
            break;
        };
        let tag_end = start.saturating_add(tag);
        if tag_end > len {
            return Err(ParseError::Truncated(format!(
                "the ID3v2 tag at byte {start} declares {tag} bytes but the file ends after {len}"
            )));
        }
        start = tag_end;
    }
    // trailing tags, in any order, until none is recognised
    let mut end = len;
    let mut tail = [0u8; 32];
    for _ in 0..16 {
        let avail = end - start;
        // ID3v1
        if avail >= 128 {
            let got = read_at(r, end - 128, &mut tail[..3])?;
            if got == 3 && &tail[..3] == b"TAG" {
                end -= 128;
                continue;
            }
        }
        // APEv2 footer
        if avail >= 32 {
            let got = read_at(r, end - 32, &mut tail)?;
            if got == 32 && &tail[..8] == b"APETAGEX" {
                let size = u64::from(u32_le(&tail, 12).unwrap_or(0));
                let flags = u32_le(&tail, 20).unwrap_or(0);
                let total = size + if flags & 0x8000_0000 != 0 { 32 } else { 0 };
                if (32..=avail).contains(&total) {
                    end -= total;
                    continue;
                }
            }
        }
        // appended ID3v2 with footer
        if avail >= 20 {
            let got = read_at(r, end - 10, &mut tail[..10])?;
            if got == 10 && &tail[..3] == b"3DI" {
                if let Some(size) = syncsafe(&tail[6..10]) {
                    let total = size + 20;
                    if total <= avail {
                        let got = read_at(r, end - total, &mut tail[..3])?;
                        if got == 3 && &tail[..3] == b"ID3" {
                            end -= total;
                            continue;
                        }
                    }
                }
            }
        }
        // Lyrics3 v2 ("LYRICSBEGIN" ... 6-digit size "LYRICS200")
        if avail >= 15 + 11 {
            let got = read_at(r, end - 15, &mut tail[..15])?;
            if got == 15 && &tail[6..15] == b"LYRICS200" {
                let digits = &tail[..6];
                if digits.iter().all(u8::is_ascii_digit) {
                    let size = digits.iter().fold(0u64, |a, &d| a * 10 + (d - b'0') as u64);
                    let total = size + 15;
                    if total <= avail {
                        let got = read_at(r, end - total, &mut tail[..11])?;
                        if got == 11 && &tail[..11] == b"LYRICSBEGIN" {
                            end -= total;
                            continue;
                        }
                    }
                }
            }
            // Lyrics3 v1 ("LYRICSBEGIN" ... up to 5100 bytes ... "LYRICSEND")
            let got = read_at(r, end - 9, &mut tail[..9])?;
            if got == 9 && &tail[..9] == b"LYRICSEND" {
                let back = (avail - 9).min(5100 + 11);
                let mut area = vec![0u8; back as usize];
                let got = read_at(r, end - 9 - back, &mut area)?;
                if let Some(i) = area[..got].windows(11).rposition(|w| w == b"LYRICSBEGIN") {
                    end = end - 9 - back + i as u64;
                    continue;
                }
            }
        }
        break;
    }
    Ok(Region {
        start,
        end,
        leading_tag_bytes: start,
        trailing_tag_bytes: len - end,
    })
}

// ---------------------------------------------------------------------------------------------
