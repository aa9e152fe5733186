//! The video codec's profile and pixel format, from an MP4/MOV's first video sample entry:
//! `avcC` (with the SPS it carries, as ffprobe reads it) for H.264, `hvcC` for HEVC. Header
//! only: box headers are read with seeks, and only the `stsd` payload (at most 64 KiB).

use std::io::{Read, Seek, SeekFrom};

/// What the decoder configuration says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoConfig {
    /// `h264` or `hevc`.
    pub codec: &'static str,
    /// `profile_idc` (H.264) or `general_profile_idc` (HEVC).
    pub profile_idc: u8,
    /// The profile's name as ffprobe gives it (`High`, `High 4:4:4 Predictive`, `Main 10`).
    pub profile: String,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format: u8,
    /// Bits per luma sample.
    pub bit_depth: u8,
    /// Whether the sample durations (`stts`) vary: `None` when the table is empty (fragmented
    /// files keep their durations in the fragments).
    pub variable_frame_rate: Option<bool>,
}

impl VideoConfig {
    /// The ffprobe pixel format name: `yuv420p`, `yuv444p`, `yuv420p10le`, `gray`, ...
    pub fn pixel_format(&self) -> String {
        let base = match self.chroma_format {
            0 => "gray",
            1 => "yuv420p",
            2 => "yuv422p",
            _ => "yuv444p",
        };
        if self.bit_depth > 8 {
            format!("{base}{}le", self.bit_depth)
        } else {
            base.to_string()
        }
    }
}

/// Most boxes looked at in one container (a hostile file could hold millions of tiny ones).
const MAX_BOXES: usize = 4096;
/// Most bytes of `stsd` read.
const STSD_CAP: u64 = 64 << 10;

struct Hdr {
    typ: [u8; 4],
    body: u64,
    end: u64,
}

fn read_exact_at<R: Read + Seek>(r: &mut R, pos: u64, buf: &mut [u8]) -> Option<()> {
    r.seek(SeekFrom::Start(pos)).ok()?;
    r.read_exact(buf).ok()
}

/// The child boxes of the byte range `start..end`.
fn children<R: Read + Seek>(r: &mut R, start: u64, end: u64) -> Vec<Hdr> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos + 8 <= end && out.len() < MAX_BOXES {
        let mut h = [0u8; 16];
        if read_exact_at(r, pos, &mut h[..8]).is_none() {
            break;
        }
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let typ = [h[4], h[5], h[6], h[7]];
        let (size, head) = match size32 {
            0 => (end - pos, 8),
            1 => {
                if pos + 16 > end || read_exact_at(r, pos + 8, &mut h[8..16]).is_none() {
                    break;
                }
                (u64::from_be_bytes(h[8..16].try_into().unwrap_or([0; 8])), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < head || pos.saturating_add(size) > end {
            break;
        }
        out.push(Hdr {
            typ,
            body: pos + head,
            end: pos + size,
        });
        pos += size;
    }
    out
}

fn child<'a>(boxes: &'a [Hdr], typ: &[u8; 4]) -> Option<&'a Hdr> {
    boxes.iter().find(|b| &b.typ == typ)
}

/// The decoder configuration of the first H.264 or HEVC video track, when the file has one and
/// its configuration can be read.
pub fn video_config<R: Read + Seek>(r: &mut R, len: u64) -> Option<VideoConfig> {
    let top = children(r, 0, len);
    let moov = child(&top, b"moov")?;
    for trak in children(r, moov.body, moov.end)
        .iter()
        .filter(|b| &b.typ == b"trak")
    {
        let mdia_list = children(r, trak.body, trak.end);
        let Some(mdia) = child(&mdia_list, b"mdia") else {
            continue;
        };
        let inner = children(r, mdia.body, mdia.end);
        let Some(minf) = child(&inner, b"minf") else {
            continue;
        };
        let minf_list = children(r, minf.body, minf.end);
        let Some(stbl) = child(&minf_list, b"stbl") else {
            continue;
        };
        let stbl_list = children(r, stbl.body, stbl.end);
        let Some(stsd) = child(&stbl_list, b"stsd") else {
            continue;
        };
        // version/flags (4) and entry count (4), then the first sample entry.
        let entries = children(r, stsd.body + 8, stsd.end.min(stsd.body + STSD_CAP));
        let Some(entry) = entries.first() else { continue };
        // A visual sample entry's fixed part is 78 bytes; its child boxes follow.
        let boxes = children(r, entry.body + 78, entry.end);
        let config = |typ: &[u8; 4], r: &mut R| -> Option<Vec<u8>> {
            let b = child(&boxes, typ)?;
            let n = usize::try_from((b.end - b.body).min(STSD_CAP)).ok()?;
            let mut buf = vec![0u8; n];
            read_exact_at(r, b.body, &mut buf)?;
            Some(buf)
        };
        let cfg = match &entry.typ {
            b"avc1" | b"avc3" => config(b"avcC", r).and_then(|c| avc_config(&c)),
            b"hvc1" | b"hev1" => config(b"hvcC", r).and_then(|c| hevc_config(&c)),
            _ => continue,
        };
        return cfg.map(|mut cfg| {
            cfg.variable_frame_rate = child(&stbl_list, b"stts").and_then(|b| stts_variable(r, b));
            cfg
        });
    }
    None
}

/// Whether a time-to-sample table holds more than one frame duration, leaving out its last
/// entry when that is a single sample (muxers often shorten the last frame) and durations one
/// tick apart (rounding of a timescale that does not divide the rate).
fn stts_variable<R: Read + Seek>(r: &mut R, stts: &Hdr) -> Option<bool> {
    let n = usize::try_from((stts.end - stts.body).min(STSD_CAP)).ok()?;
    let mut b = vec![0u8; n];
    read_exact_at(r, stts.body, &mut b)?;
    let count = usize::try_from(u32::from_be_bytes(b.get(4..8)?.try_into().ok()?)).ok()?;
    let entries: Vec<(u32, u32)> = b
        .get(8..)?
        .chunks_exact(8)
        .take(count)
        .map(|e| {
            let n = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
            let d = u32::from_be_bytes([e[4], e[5], e[6], e[7]]);
            (n, d)
        })
        .collect();
    let kept = match entries.split_last() {
        Some(((1, _), rest)) if !rest.is_empty() => rest,
        _ => &entries[..],
    };
    let (min, max) = kept.iter().fold(None, |acc: Option<(u32, u32)>, &(_, d)| {
        Some(acc.map_or((d, d), |(lo, hi)| (lo.min(d), hi.max(d))))
    })?;
    Some(max - min > 1)
}

/// Reads an `AVCDecoderConfigurationRecord`: the profile from its header, chroma format and bit
/// depth from its first SPS (the optional extension fields are not written by every muxer).
pub fn avc_config(c: &[u8]) -> Option<VideoConfig> {
    let profile_idc = *c.get(1)?;
    let constraints = *c.get(2)?;
    let mut cfg = VideoConfig {
        codec: "h264",
        profile_idc,
        profile: avc_profile(profile_idc, constraints).to_string(),
        chroma_format: 1,
        bit_depth: 8,
        variable_frame_rate: None,
    };
    let n_sps = c.get(5)? & 0x1F;
    if n_sps > 0 {
        let len = usize::from(u16::from_be_bytes([*c.get(6)?, *c.get(7)?]));
        let nal = c.get(8..8 + len)?;
        if let Some((chroma, depth)) = sps_format(nal) {
            cfg.chroma_format = chroma;
            cfg.bit_depth = depth;
        }
    }
    Some(cfg)
}

fn avc_profile(idc: u8, constraints: u8) -> &'static str {
    match idc {
        66 if constraints & 0x40 != 0 => "Constrained Baseline",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 => "High 10",
        122 => "High 4:2:2",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4 Intra",
        _ => "unknown",
    }
}

/// Reads bits of an RBSP (emulation-prevention bytes removed).
struct Bits {
    data: Vec<u8>,
    pos: usize,
}

impl Bits {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, _| Some(acc << 1 | self.bit()?))
    }

    /// Exp-Golomb `ue(v)`.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }
}

/// Chroma format and luma bit depth from an H.264 SPS NAL unit (header byte included).
fn sps_format(nal: &[u8]) -> Option<(u8, u8)> {
    let mut data = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal.get(1..)? {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        data.push(b);
    }
    let mut r = Bits { data, pos: 0 };
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    if matches!(
        profile,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        let chroma = r.ue()?;
        if chroma == 3 {
            r.bit()?; // separate_colour_plane_flag
        }
        let depth = r.ue()? + 8;
        return Some((u8::try_from(chroma).ok()?.min(3), u8::try_from(depth).ok()?));
    }
    Some((1, 8))
}

/// Reads an `HEVCDecoderConfigurationRecord`'s fixed header.
pub fn hevc_config(c: &[u8]) -> Option<VideoConfig> {
    let profile_idc = c.get(1)? & 0x1F;
    let profile = match profile_idc {
        1 => "Main",
        2 => "Main 10",
        3 => "Main Still Picture",
        4 => "Rext",
        _ => "unknown",
    };
    Some(VideoConfig {
        codec: "hevc",
        profile_idc,
        profile: profile.to_string(),
        chroma_format: c.get(16)? & 0x03,
        bit_depth: (c.get(17)? & 0x07) + 8,
        variable_frame_rate: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        // 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3
        let mut b = Bits {
            data: vec![0b1010_0110, 0b0100_0000],
            pos: 0,
        };
        assert_eq!(
            [b.ue(), b.ue(), b.ue(), b.ue()],
            [Some(0), Some(1), Some(2), Some(3)]
        );
        assert_eq!(b.ue(), None);
    }

    #[test]
    fn hostile_configs_read_as_nothing() {
        assert_eq!(avc_config(&[]), None);
        assert_eq!(hevc_config(&[1, 2, 3]), None);
        // an SPS count with no SPS behind it
        assert_eq!(avc_config(&[1, 100, 0, 30, 0xFF, 0xE1, 0x00, 0x40]), None);
    }
}
