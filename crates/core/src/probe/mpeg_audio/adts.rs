//! ADTS (AAC in raw frames, `.aac`): frame headers and the stream's profile, rate and channels.

use std::io::{Read, Seek};

use crate::probe::ParseError;

use super::tags::find_region;
use super::walk::{FrameHeader, Window, no_first_frame, scan, walk};
use super::{AdtsInfo, CONFIRM_FIRST, FIRST_FRAME_SEARCH};

// ADTS

const ADTS_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

#[derive(Debug, Clone, Copy)]
struct AdtsHeader {
    pub(super) key: [u8; 2],
    pub(super) mpeg4: bool,
    pub(super) profile: u8,
    pub(super) sample_rate: u32,
    pub(super) channels: u8,
    pub(super) len: u32,
    pub(super) blocks: u32,
}

impl FrameHeader for AdtsHeader {
    const HEADER_LEN: usize = 7;

    fn parse(b: &[u8]) -> Option<Self> {
        let b = b.get(..7)?;
        if b[0] != 0xFF || b[1] & 0xF6 != 0xF0 {
            return None;
        }
        let header_len = if b[1] & 1 == 0 { 9 } else { 7 };
        let sf = ((b[2] >> 2) & 0xF) as usize;
        let sample_rate = *ADTS_RATES.get(sf)?;
        let len = (((b[3] & 3) as u32) << 11) | ((b[4] as u32) << 3) | ((b[5] >> 5) as u32);
        if len <= header_len {
            return None;
        }
        Some(AdtsHeader {
            key: [b[1] & 0xFE, b[2] & 0xFC],
            mpeg4: b[1] & 0x08 == 0,
            profile: b[2] >> 6,
            sample_rate,
            channels: ((b[2] & 1) << 2) | (b[3] >> 6),
            len,
            blocks: (b[6] & 3) as u32 + 1,
        })
    }

    fn frame_len(&self) -> u64 {
        self.len as u64
    }

    fn same_stream(&self, other: &Self) -> bool {
        self.key == other.key
    }

    fn partial_sync(b: &[u8]) -> bool {
        match b {
            [0xFF] => true,
            [0xFF, x, ..] => x & 0xF6 == 0xF0,
            _ => false,
        }
    }
}

/// Walks an ADTS AAC stream, reader at 0, `len` = file length in bytes.
pub fn probe_adts<R: Read + Seek>(r: &mut R, len: u64) -> Result<AdtsInfo, ParseError> {
    let region = find_region(r, len)?;
    let mut w = Window::new(r, region.end);
    let limit = region.start.saturating_add(FIRST_FRAME_SEARCH);
    let found = scan::<AdtsHeader, R>(&mut w, region.start, limit, None, CONFIRM_FIRST, |_, _| Ok(()))?;
    let Some((first_pos, first)) = found else {
        return Err(no_first_frame::<AdtsHeader, R>(&mut w, region.start, "ADTS")?);
    };
    let mut blocks = 0u64;
    let st = walk(&mut w, first_pos, &first, "ADTS", |h: &AdtsHeader| {
        blocks += h.blocks as u64
    })?;
    if st.frames == 0 {
        return Err(match st.truncated {
            Some(t) => ParseError::Truncated(t),
            None => ParseError::Invalid("the file holds no ADTS frames".into()),
        });
    }
    st.check_mostly_frames(len, "ADTS")?;
    let samples = blocks * 1024;
    Ok(AdtsInfo {
        stream: st.stream(
            &region,
            first_pos,
            first.sample_rate,
            if first.channels == 7 { 8 } else { first.channels },
            samples,
            samples,
            st.truncated.clone(),
        ),
        profile: ["Main", "LC", "SSR", "LTP"][(first.profile & 3) as usize],
        mpeg_version: if first.mpeg4 { 4 } else { 2 },
    })
}
