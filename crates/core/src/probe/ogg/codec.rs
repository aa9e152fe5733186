//! Codec identification from the first packet of a logical stream (Vorbis, Opus, FLAC, Speex)
//! and the Opus packet sample count.

use crate::probe::ParseError;
use crate::probe::bytes::{u16_be, u16_le, u32_le, u64_be};

/// Codec identified from an identification header.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ident {
    pub(super) codec: &'static str,
    pub(super) rate: u32,
    pub(super) input_rate: Option<u32>,
    pub(super) channels: u8,
    pub(super) pre_skip: u32,
    /// header packets before the audio (Opus 2, Vorbis 3, FLAC 1 + n, Speex 2 + extra)
    pub(super) header_packets: u64,
}

/// Identifies a codec from the first packet of a stream. `Ok(None)` = not a known audio codec.
pub(super) fn identify(p: &[u8]) -> Result<Option<Ident>, ParseError> {
    if p.starts_with(b"\x01vorbis") {
        if p.len() < 30 {
            return Err(ParseError::Invalid(
                "the Vorbis identification header is too short".into(),
            ));
        }
        let (channels, rate) = (p[11], u32_le(p, 12).unwrap_or(0));
        if u32_le(p, 7).unwrap_or(0) != 0 || channels == 0 || rate == 0 {
            return Err(ParseError::Invalid(format!(
                "the Vorbis identification header is corrupt ({channels} channels, {rate} Hz)"
            )));
        }
        return Ok(Some(Ident {
            codec: "vorbis",
            rate,
            input_rate: None,
            channels,
            pre_skip: 0,
            header_packets: 3,
        }));
    }
    if p.starts_with(b"OpusHead") {
        if p.len() < 19 {
            return Err(ParseError::Invalid("the OpusHead header is too short".into()));
        }
        let channels = p[9];
        if p[8] >= 16 || channels == 0 {
            return Err(ParseError::Invalid(format!(
                "the OpusHead header is corrupt (version {}, {channels} channels)",
                p[8]
            )));
        }
        let input = u32_le(p, 12).unwrap_or(0);
        return Ok(Some(Ident {
            codec: "opus",
            rate: 48_000,
            input_rate: (input > 0).then_some(input),
            channels,
            pre_skip: u32::from(u16_le(p, 10).unwrap_or(0)),
            header_packets: 2,
        }));
    }
    if p.starts_with(b"\x7fFLAC") {
        // 0x7F "FLAC" major minor u16(headers) "fLaC" block-header(4) STREAMINFO(34)
        if p.len() < 51 || &p[9..13] != b"fLaC" || p[13] & 0x7F != 0 {
            return Err(ParseError::Invalid(
                "the Ogg FLAC mapping header is corrupt".into(),
            ));
        }
        let si = &p[17..51];
        let x = u64_be(si, 10).unwrap_or(0);
        let rate = (x >> 44) as u32;
        let channels = ((x >> 41) & 7) as u8 + 1;
        if rate == 0 {
            return Err(ParseError::Invalid(
                "the FLAC STREAMINFO declares a sample rate of 0".into(),
            ));
        }
        let extra = u64::from(u16_be(p, 7).unwrap_or(0));
        return Ok(Some(Ident {
            codec: "flac",
            rate,
            input_rate: None,
            channels,
            pre_skip: 0,
            header_packets: 1 + extra,
        }));
    }
    if p.starts_with(b"Speex   ") {
        if p.len() < 80 {
            return Err(ParseError::Invalid("the Speex header is too short".into()));
        }
        let rate = u32_le(p, 36).unwrap_or(0);
        let channels = u8::try_from(u32_le(p, 48).unwrap_or(0)).unwrap_or(0);
        if rate == 0 || channels == 0 {
            return Err(ParseError::Invalid(format!(
                "the Speex header is corrupt ({channels} channels, {rate} Hz)"
            )));
        }
        return Ok(Some(Ident {
            codec: "speex",
            rate,
            input_rate: None,
            channels,
            pre_skip: 0,
            header_packets: 2 + u64::from(u32_le(p, 68).unwrap_or(0)),
        }));
    }
    Ok(None)
}

pub(super) fn stream_name(p: &[u8]) -> String {
    let known: [(&[u8], &str); 7] = [
        (b"\x80theora", "Theora"),
        (b"\x80kate", "Kate"),
        (b"fishead", "Skeleton"),
        (b"fisbone", "Skeleton"),
        (b"\x01video", "OGM video"),
        (b"BBCD", "Dirac"),
        (b"CELT    ", "CELT"),
    ];
    known
        .iter()
        .find(|(m, _)| p.starts_with(m))
        .map_or_else(|| "an unknown codec".to_string(), |(_, n)| (*n).to_string())
}

/// Duration in 48 kHz samples of an Opus packet, from its TOC byte (RFC 6716 §3.1).
pub(super) fn opus_packet_samples(p: &[u8]) -> Option<u64> {
    let toc = *p.first()?;
    let config = toc >> 3;
    let frame: u64 = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config & 3)],
        12..=15 => [480, 960][usize::from(config & 1)],
        _ => [120, 240, 480, 960][usize::from(config & 3)],
    };
    let count = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(*p.get(1)? & 0x3F),
    };
    Some(frame * count)
}
