//! Codec naming from the sample description (`stsd`): ffprobe-style names from the sample entry
//! tag and its configuration boxes (`esds`, `avcC`, ...), with sample rate and channels.

use crate::probe::bytes::{fourcc, u16_be, u32_be, u64_be};

use super::{Entry, full_box_version};

/// Iterates the boxes packed in `data`, stopping at the first malformed one.
fn slice_boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut i = 0usize;
    std::iter::from_fn(move || {
        let size = u32_be(data, i)? as usize;
        let t = data.get(i + 4..i + 8)?;
        let typ = [t[0], t[1], t[2], t[3]];
        let end = if size == 0 {
            data.len()
        } else {
            i.checked_add(size)?
        };
        if size != 0 && size < 8 {
            return None;
        }
        let payload = data.get(i + 8..end)?;
        i = end;
        Some((typ, payload))
    })
}

/// Boxes of interest found in a sample entry's extension area (also inside `wave` / `sinf`).
#[derive(Default)]
pub(super) struct Ext {
    pub(super) oti: Option<u8>,
    /// (sample rate, channel configuration) from an AAC AudioSpecificConfig.
    pub(super) asc: Option<(Option<u32>, u8)>,
    pub(super) frma: Option<[u8; 4]>,
    pub(super) little_endian: bool,
    pub(super) pcmc: Option<(bool, u8)>,
}

fn scan_ext(data: &[u8], ext: &mut Ext, depth: u8) {
    for (typ, p) in slice_boxes(data) {
        match &typ {
            b"esds" if ext.oti.is_none() => {
                if let Some((oti, dsi)) = esds_config(p) {
                    ext.oti = Some(oti);
                    ext.asc = dsi.and_then(aac_config);
                }
            }
            b"wave" | b"sinf" if depth < 3 => scan_ext(p, ext, depth + 1),
            b"frma" => {
                if let Some(s) = p.get(0..4) {
                    ext.frma = Some([s[0], s[1], s[2], s[3]]);
                }
            }
            b"enda" => ext.little_endian = u16_be(p, 0).unwrap_or(0) != 0,
            b"pcmC" => {
                if let (Some(&f), Some(&b)) = (p.get(4), p.get(5)) {
                    ext.pcmc = Some((f & 1 != 0, b));
                }
            }
            _ => {}
        }
    }
}

/// objectTypeIndication and DecoderSpecificInfo bytes from an esds payload
/// (ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo).
fn esds_config(p: &[u8]) -> Option<(u8, Option<&[u8]>)> {
    pub(super) fn desc(p: &[u8], mut i: usize) -> Option<(u8, usize, usize)> {
        let tag = *p.get(i)?;
        i += 1;
        let mut len = 0usize;
        for _ in 0..4 {
            let b = *p.get(i)?;
            i += 1;
            len = (len << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        Some((tag, i, len))
    }
    let (tag, mut i, _) = desc(p, 4)?;
    if tag != 3 {
        return None;
    }
    i += 2; // ES_ID
    let flags = *p.get(i)?;
    i += 1;
    if flags & 0x80 != 0 {
        i += 2;
    }
    if flags & 0x40 != 0 {
        i += 1 + usize::from(*p.get(i)?);
    }
    if flags & 0x20 != 0 {
        i += 2;
    }
    let (tag, i, _) = desc(p, i)?;
    if tag != 4 {
        return None;
    }
    let oti = *p.get(i)?;
    let dsi = desc(p, i + 13).and_then(|(tag, j, len)| {
        if tag == 5 {
            p.get(j..j.checked_add(len)?)
        } else {
            None
        }
    });
    Some((oti, dsi))
}

/// (output sample rate, channelConfiguration) from an AAC AudioSpecificConfig.
fn aac_config(d: &[u8]) -> Option<(Option<u32>, u8)> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    struct Bits<'a>(&'a [u8], usize);
    impl Bits<'_> {
        fn get(&mut self, n: usize) -> Option<u32> {
            let mut v = 0u32;
            for _ in 0..n {
                let byte = *self.0.get(self.1 / 8)?;
                v = (v << 1) | u32::from((byte >> (7 - self.1 % 8)) & 1);
                self.1 += 1;
            }
            Some(v)
        }
        fn rate(&mut self) -> Option<Option<u32>> {
            let i = self.get(4)?;
            Some(if i == 15 {
                Some(self.get(24)?)
            } else {
                RATES.get(i as usize).copied()
            })
        }
    }
    let mut b = Bits(d, 0);
    let mut aot = b.get(5)?;
    if aot == 31 {
        aot = 32 + b.get(6)?;
    }
    let mut rate = b.rate()?;
    let chan = b.get(4)? as u8;
    if aot == 5 || aot == 29 {
        // Explicit SBR / PS signalling: the output rate is the extension rate.
        rate = b.rate()?;
    }
    Some((rate, chan))
}

pub(super) fn parse_stsd(p: &[u8], handler: Option<[u8; 4]>, timescale: u32) -> Entry {
    let mut e = Entry::default();
    let stsd_version = full_box_version(p);
    let Some(size) = u32_be(p, 8) else {
        return e;
    };
    let Some(t) = p.get(12..16) else {
        return e;
    };
    let tag = [t[0], t[1], t[2], t[3]];
    e.tag = fourcc(&tag);
    let end = 8usize.saturating_add(size as usize).min(p.len());
    let entry = p.get(8..end).unwrap_or(&[]);
    let mut ext = Ext::default();
    let mut bits = 16u16;
    let mut lpcm: Option<(u32, u32)> = None;
    match handler.as_ref() {
        Some(b"vide") => {
            e.width = u16_be(entry, 32).map(u32::from).filter(|&w| w > 0);
            e.height = u16_be(entry, 34).map(u32::from).filter(|&h| h > 0);
            if let Some(x) = entry.get(86..) {
                scan_ext(x, &mut ext, 0);
            }
        }
        Some(b"soun") => {
            let version = if stsd_version == 0 {
                u16_be(entry, 16).unwrap_or(0)
            } else {
                0
            };
            let ext_at = match version {
                1 => 52,
                2 => 72,
                _ => 36,
            };
            if version == 2 {
                let rate = u64_be(entry, 40).map(f64::from_bits).unwrap_or(0.0);
                if (1.0..4.0e9).contains(&rate) {
                    e.rate_field = rate.round() as u32;
                }
                e.channels = u32_be(entry, 48).and_then(|c| u16::try_from(c).ok());
                let b = u32_be(entry, 56).unwrap_or(0);
                bits = u16::try_from(b).unwrap_or(0);
                lpcm = Some((u32_be(entry, 60).unwrap_or(0), b));
            } else {
                e.channels = u16_be(entry, 24);
                bits = u16_be(entry, 26).unwrap_or(16);
                e.rate_field = u32_be(entry, 32).unwrap_or(0) >> 16;
            }
            if let Some(x) = entry.get(ext_at..) {
                scan_ext(x, &mut ext, 0);
            }
            e.rate_field = pick_rate(e.rate_field, timescale).unwrap_or(0);
            let aac = matches!(ext.oti, Some(0x40 | 0x66..=0x68));
            if let (true, b"mp4a", Some((rate, chan))) = (aac, &tag, ext.asc) {
                if let Some(r) = rate {
                    e.rate_field = r;
                }
                let c = match chan {
                    1..=6 => u16::from(chan),
                    7 | 12 | 14 => 8,
                    11 => 7,
                    13 => 24,
                    _ => 0,
                };
                if c > 0 {
                    e.channels = Some(c);
                }
            }
        }
        _ => {}
    }
    let real = match &tag {
        b"encv" | b"enca" | b"encs" | b"enct" => ext.frma.unwrap_or(tag),
        _ => tag,
    };
    e.codec = codec_name(&real, &ext, bits, lpcm);
    e
}

/// Audio sample rate: the sample entry field, unless it is 0 or cannot be right.
fn pick_rate(field: u32, timescale: u32) -> Option<u32> {
    let r = if field == 0
        || (field != timescale && timescale > 65535)
        || (timescale != 0 && u64::from(field) * 2 == u64::from(timescale))
    {
        timescale
    } else {
        field
    };
    (r > 0).then_some(r)
}

fn pcm_name(kind: &str, bits: u32, le: bool) -> String {
    if bits <= 8 {
        return format!("pcm_{kind}8");
    }
    format!("pcm_{kind}{bits}{}", if le { "le" } else { "be" })
}

pub(super) fn codec_name(tag: &[u8; 4], ext: &Ext, bits: u16, lpcm: Option<(u32, u32)>) -> String {
    let bits32 = u32::from(bits);
    let s = match tag {
        b"avc1" | b"avc2" | b"avc3" | b"avc4" => "h264",
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "hevc",
        b"vvc1" | b"vvi1" => "vvc",
        b"av01" => "av1",
        b"vp08" => "vp8",
        b"vp09" => "vp9",
        b"mp4v" => match ext.oti {
            Some(0x60..=0x65) => "mpeg2video",
            Some(0x6a) => "mpeg1video",
            Some(0x6c) => "mjpeg",
            Some(0x21) => "h264",
            _ => "mpeg4",
        },
        b"s263" | b"h263" => "h263",
        b"jpeg" | b"mjpa" => "mjpeg",
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "prores",
        b"mp4a" => match ext.oti {
            Some(0x69 | 0x6b) => "mp3",
            Some(0xa5) => "ac3",
            Some(0xa6) => "eac3",
            Some(0xa9) => "dts",
            Some(0xad) => "opus",
            Some(0xdd) => "vorbis",
            _ => "aac",
        },
        b".mp3" => "mp3",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b"ac-4" => "ac4",
        b"alac" => "alac",
        b"dtsc" | b"dtsh" | b"dtsl" | b"dtse" => "dts",
        b"samr" => "amr_nb",
        b"sawb" => "amr_wb",
        b"mha1" | b"mhm1" => "mpegh_3d_audio",
        b"ulaw" => "pcm_mulaw",
        b"alaw" => "pcm_alaw",
        b"raw " => "pcm_u8",
        b"sowt" => return pcm_name("s", bits32, true),
        b"twos" => return pcm_name("s", bits32, false),
        b"in24" => return pcm_name("s", 24, ext.little_endian),
        b"in32" => return pcm_name("s", 32, ext.little_endian),
        b"fl32" => return pcm_name("f", 32, ext.little_endian),
        b"fl64" => return pcm_name("f", 64, ext.little_endian),
        b"lpcm" => {
            let (flags, b) = lpcm.unwrap_or((4, bits32));
            let le = flags & 2 == 0;
            return if flags & 1 != 0 {
                pcm_name("f", b, le)
            } else if b <= 8 && flags & 4 == 0 {
                "pcm_u8".into()
            } else {
                pcm_name("s", b, le)
            };
        }
        b"ipcm" | b"fpcm" => {
            let (le, b) = ext.pcmc.unwrap_or((false, bits as u8));
            let kind = if tag == b"fpcm" { "f" } else { "s" };
            return pcm_name(kind, u32::from(b), le);
        }
        b"tx3g" | b"text" => "mov_text",
        b"wvtt" => "webvtt",
        b"stpp" => "ttml",
        b"c608" => "eia_608",
        _ => "",
    };
    s.into()
}
