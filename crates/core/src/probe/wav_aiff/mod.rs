//! WAV (RIFF/RIFX/RF64/BW64) and AIFF/AIFC header probe: walks the chunks with seeks and reports the
//! codec parameters together with the number of sample frames the file really holds, so a file cut
//! short (whose header still declares the full length) is detected and measured to the frame.

mod aiff;
mod wav;

use std::io::{self, Read, Seek};

use super::bytes::Endian;
use super::read_at;

pub use aiff::probe_aiff;
pub use wav::probe_wav;

/// Upper bound on the number of chunks walked before giving up (guards against hostile files).
const MAX_CHUNKS: usize = 100_000;

/// What a WAV or AIFF file declares and what it really holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PcmInfo {
    /// ffprobe-style codec name: `pcm_s16le`, `pcm_s24le`, `pcm_u8`, `pcm_f32le`, `pcm_s16be`,
    /// `pcm_alaw`, `pcm_mulaw`, `adpcm_ima_wav`, ..., or `wav_format_0xNNNN` / `aifc_XXXX` if unknown.
    pub codec: String,
    /// Sample rate in Hz (AIFF: the 80-bit float rounded to the nearest integer).
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u16,
    /// Bits per sample as stored in the header (container size for PCM, e.g. 4 for IMA ADPCM).
    pub bits_per_sample: u16,
    /// Bytes per block (one frame for PCM, one packet for block-based codecs); 0 if unknown.
    pub block_align: u16,
    /// Frames the headers declare (data chunk size / ds64; block-based codecs: whole blocks, or
    /// `fact` when it lies within the last block; AIFF: COMM frame count).
    pub declared_frames: u64,
    /// Frames whose bytes are really present in the file.
    pub frames: u64,
    /// `frames / sample_rate`, in seconds.
    pub duration_s: f64,
    /// Set when the file holds less than its headers declare, with an explanation.
    pub truncated: Option<String>,
    /// Byte offset of the first sample byte.
    pub data_offset: u64,
    /// Number of sample bytes actually present from `data_offset` (clipped to the declared size).
    pub data_len: u64,
    /// Remarks about unusual but tolerated headers (streaming sizes, trailing data, odd sizes).
    pub notes: Vec<String>,
    /// Bytes at the end of the file that are not part of any chunk (see `trailing-data`).
    pub trailing_bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// small helpers

/// Where a file ends against what its outer header (RIFF or FORM) declares.
struct Ends {
    /// The file length.
    len: u64,
    /// The end the outer header declares, if it declares one.
    declared: Option<u64>,
    /// `RIFF` or `FORM`, for messages.
    header: &'static str,
    /// The header's size is a streaming placeholder: ending early is not a cut.
    to_end: bool,
}

impl Ends {
    /// A file shorter than its header declares is cut short (unless already found cut); a
    /// longer one holds trailing data (a note). A file that ends inside a chunk after the
    /// sample data (`cut_inside`: its id and offset) is cut short too.
    fn check(
        &self,
        truncated: &mut Option<String>,
        notes: &mut Vec<String>,
        cut_inside: Option<(String, u64)>,
    ) {
        let (len, header) = (self.len, self.header);
        if let Some(end) = self.declared {
            if end > len && truncated.is_none() && !self.to_end {
                *truncated = Some(format!(
                    "the {header} header declares {end} bytes but the file ends after {len}"
                ));
            } else if end < len {
                notes.push(format!(
                    "{} bytes of trailing data follow the {end} bytes the {header} header declares",
                    len - end
                ));
            }
        }
        if let (None, Some((id, at))) = (&*truncated, cut_inside) {
            *truncated = Some(format!(
                "the file ends inside the '{id}' chunk at offset {at}, after the sample data"
            ));
        }
    }
}

fn plausible_id(id: &[u8]) -> bool {
    id.len() == 4 && id.iter().all(|&c| (0x20..0x7f).contains(&c))
}

/// Frames held in `bytes` bytes of packets of `packet_bytes` bytes carrying `packet_frames`
/// frames each. `whole` counts a trailing partial packet as complete (used when the data is
/// complete and only the writer's block padding is short).
fn frames_in(bytes: u64, packet_bytes: u64, packet_frames: u64, whole: bool) -> u64 {
    if packet_bytes == 0 {
        return 0;
    }
    let packets = if whole {
        bytes.div_ceil(packet_bytes)
    } else {
        bytes / packet_bytes
    };
    packets.saturating_mul(packet_frames)
}

// ---------------------------------------------------------------------------------------------
// chunk walking shared by WAV and AIFF

pub(super) struct ChunkHdr {
    id: [u8; 4],
    size: u32,
    /// offset of the payload
    payload: u64,
}

pub(super) enum Walk {
    Chunk(ChunkHdr),
    /// clean end of file (or of the declared container)
    End,
    /// 1..7 bytes left, or bytes that are not a chunk header
    Trailing(u64),
}

/// Reads the chunk header at `pos`. `odd_prev` tells that the previous chunk had an odd size, so
/// a writer that forgot the pad byte is tolerated (header one byte earlier).
fn next_chunk<R: Read + Seek>(r: &mut R, pos: u64, len: u64, be: bool, odd_prev: bool) -> io::Result<Walk> {
    if pos >= len {
        return Ok(Walk::End);
    }
    let mut h = [0u8; 8];
    let n = read_at(r, pos, &mut h)?;
    if n == 8 && plausible_id(&h[0..4]) {
        return Ok(Walk::Chunk(ChunkHdr {
            id: [h[0], h[1], h[2], h[3]],
            size: Endian::big_if(be).u32(&h, 4).unwrap_or(0),
            payload: pos + 8,
        }));
    }
    if odd_prev && pos > 0 {
        let mut h2 = [0u8; 8];
        if read_at(r, pos - 1, &mut h2)? == 8 && plausible_id(&h2[0..4]) {
            return Ok(Walk::Chunk(ChunkHdr {
                id: [h2[0], h2[1], h2[2], h2[3]],
                size: Endian::big_if(be).u32(&h2, 4).unwrap_or(0),
                payload: pos + 7,
            }));
        }
    }
    Ok(Walk::Trailing(len - pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ParseError;
    use std::io::Cursor;

    fn load(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("audio/{name}"))
    }

    fn wav(b: &[u8]) -> Result<PcmInfo, ParseError> {
        probe_wav(&mut Cursor::new(b), b.len() as u64)
    }

    fn aiff(b: &[u8]) -> Result<PcmInfo, ParseError> {
        probe_aiff(&mut Cursor::new(b), b.len() as u64)
    }

    /// (codec, rate, channels, bits, block_align, declared, frames, data_offset, data_len)
    type Expect = (&'static str, u32, u16, u16, u16, u64, u64, u64, u64);

    fn check(i: &PcmInfo, e: Expect) {
        assert_eq!(i.codec, e.0);
        assert_eq!(i.sample_rate, e.1);
        assert_eq!(i.channels, e.2);
        assert_eq!(i.bits_per_sample, e.3);
        assert_eq!(i.block_align, e.4);
        assert_eq!(i.declared_frames, e.5);
        assert_eq!(i.frames, e.6);
        assert_eq!(i.data_offset, e.7);
        assert_eq!(i.data_len, e.8);
        assert!((i.duration_s - e.6 as f64 / f64::from(e.1)).abs() < 1e-12);
    }

    // Expected values: ffprobe -show_streams (codec_name, sample_rate, channels, bits_per_sample,
    // duration_ts) and `ffmpeg -i f -f s16le -ac 1 - | wc -c` / 2 for the frame counts; offsets
    // from the hex dump (`xxd f | head`).
    #[test]
    fn wav_fixtures() {
        let i = wav(&load("wav_s16le.wav")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 8000, 8000, 44, 16000)); // ffprobe 8000 / 1.0 s
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        assert_eq!(i.duration_s, 1.0);

        // 3 channels: WAVE_FORMAT_EXTENSIBLE with the PCM sub-format GUID; ffprobe 2000 / 0.25 s
        let i = wav(&load("wav_s24le_3ch_ext.wav")).unwrap();
        check(&i, ("pcm_s24le", 8000, 3, 24, 9, 2000, 2000, 68, 18000));
        assert_eq!(i.truncated, None);

        let i = wav(&load("wav_f32le.wav")).unwrap(); // ffprobe 4000 / 0.5 s
        check(&i, ("pcm_f32le", 8000, 1, 32, 4, 4000, 4000, 80, 16000));
        assert_eq!(i.truncated, None);

        let i = wav(&load("wav_rf64.wav")).unwrap(); // RF64 + ds64; ffprobe 4000 / 0.5 s
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 4000, 4000, 80, 8000));
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);

        // IMA ADPCM: fact = 4082 = 2 blocks of 2041; ffprobe duration_ts 4082, decode 4082
        let i = wav(&load("wav_ima_adpcm.wav")).unwrap();
        check(&i, ("adpcm_ima_wav", 8000, 1, 4, 1024, 4082, 4082, 60, 2048));
        assert_eq!(i.truncated, None);

        let i = wav(&load("wav_mulaw.wav")).unwrap(); // ffprobe 4000
        check(&i, ("pcm_mulaw", 8000, 1, 8, 1, 4000, 4000, 58, 4000));
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn ima_adpcm_fact_wrong_by_more_than_a_block() {
        // regression: libsndfile writes a fact chunk of half the frames for stereo IMA ADPCM
        // (757 for 1500 frames); the blocks hold 3 x 505 = 1515, which ffmpeg, sox and libsndfile
        // itself decode (ffprobe's duration_ts 1536 counts 4-bit nibbles of the data size)
        let b = load("wav_ima_adpcm_sndfile.wav");
        let i = wav(&b).unwrap();
        check(&i, ("adpcm_ima_wav", 8000, 2, 4, 512, 1515, 1515, 60, 1536));
        assert_eq!(i.truncated, None);
        assert_eq!(
            i.notes,
            vec![
                "the fact chunk declares 757 frames but the data chunk holds 1515 (3 blocks of 505); the block count is used"
            ]
        );
        // a fact within the last block is trusted: it tells how many of its samples are valid
        let mut n = b.clone();
        n[48..52].copy_from_slice(&1500u32.to_le_bytes());
        let i = wav(&n).unwrap();
        assert_eq!((i.declared_frames, i.frames, i.notes.len()), (1500, 1500, 0));
        // a fact larger than the blocks hold is wrong too
        n[48..52].copy_from_slice(&1516u32.to_le_bytes());
        assert_eq!(wav(&n).unwrap().frames, 1515);
        // cut after 2 of the 3 blocks: 1010 frames present, 1515 declared
        let i = wav(&b[..60 + 1024 + 100]).unwrap();
        assert_eq!((i.declared_frames, i.frames), (1515, 1010));
        assert!(i.truncated.is_some());
        // GSM 6.10 gets the same treatment: 65-byte blocks of 320 samples
        let mut g = load("wav_ima_adpcm.wav");
        g[20..22].copy_from_slice(&0x31u16.to_le_bytes());
        g[32..34].copy_from_slice(&65u16.to_le_bytes());
        g[38..40].copy_from_slice(&320u16.to_le_bytes());
        let i = wav(&g).unwrap();
        // 2048 bytes = 31.5 blocks; fact 4082 is more than a block short of 32 x 320
        assert_eq!((i.codec.as_str(), i.frames), ("gsm_ms", 32 * 320));
    }

    #[test]
    fn wav_truncated_and_streaming() {
        // head -c 8044: ffprobe still says 1.0 s from the header; decode gives 4000 samples
        let i = wav(&load("wav_s16le_trunc.wav")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 8000, 4000, 44, 8000));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the data chunk declares 16000 bytes but the file ends after 8000 of them")
        );

        // RIFF and data sizes 0xFFFFFFFF: runs to the end of the file (ffprobe 8000 too)
        let i = wav(&load("wav_s16le_ffff.wav")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 8000, 8000, 44, 16000));
        assert_eq!(i.truncated, None);
        assert_eq!(i.notes.len(), 2, "{:?}", i.notes);
        assert!(i.notes[0].contains("0xFFFFFFFF"));

        // data size 0 (another streaming convention)
        let mut b = load("wav_s16le.wav");
        b[40..44].copy_from_slice(&0u32.to_le_bytes());
        let i = wav(&b).unwrap();
        assert_eq!((i.frames, i.declared_frames), (8000, 8000));
        assert!(i.notes[0].contains("size is 0"));

        // a genuinely empty data chunk followed by another chunk
        let mut b = load("wav_s16le.wav")[..44].to_vec();
        b[40..44].copy_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
        let sz = (b.len() - 8) as u32;
        b[4..8].copy_from_slice(&sz.to_le_bytes());
        let i = wav(&b).unwrap();
        assert_eq!((i.frames, i.declared_frames, i.truncated.clone()), (0, 0, None));

        // RIFF size larger than the file while the data is complete: a chunk after data is cut
        let mut b = load("wav_s16le.wav");
        b[4..8].copy_from_slice(&(16036u32 + 100).to_le_bytes());
        let i = wav(&b).unwrap();
        assert_eq!(i.frames, 8000);
        assert!(i.truncated.unwrap().contains("RIFF header declares 16144 bytes"));

        // trailing data after the RIFF: fine, noted
        let mut b = load("wav_s16le.wav");
        b.extend_from_slice(&[0u8; 10]);
        let i = wav(&b).unwrap();
        assert_eq!((i.frames, i.truncated.clone()), (8000, None));
        assert!(!i.notes.is_empty());
    }

    #[test]
    fn wav_cut_points() {
        let b = load("wav_s16le.wav");
        // inside the data: frames = whole frames present
        for cut in [44usize, 45, 46, 1000, 16043] {
            let i = wav(&b[..cut]).unwrap();
            assert_eq!(i.frames, (cut as u64 - 44) / 2, "cut {cut}");
            assert_eq!(i.declared_frames, 8000);
            assert!(i.truncated.is_some());
        }
        // inside the headers
        for cut in [1usize, 4, 11, 12, 13, 20, 35, 36, 40, 43] {
            match wav(&b[..cut]) {
                Err(ParseError::Truncated(_)) => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        assert!(matches!(wav(&[]), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn wav_invalid() {
        assert!(matches!(
            wav(b"not a wav file at all"),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            wav(b"RIFF\x04\x00\x00\x00AVI "),
            Err(ParseError::Invalid(_))
        ));
        let b = load("wav_s16le.wav");
        // no data chunk
        let mut n = b[..36].to_vec();
        n[4..8].copy_from_slice(&28u32.to_le_bytes());
        let e = wav(&n).unwrap_err();
        assert!(matches!(e, ParseError::Invalid(_)));
        assert_eq!(e.to_string(), "the WAV file has no data chunk");
        // no fmt chunk
        let mut n = b.clone();
        n[12..16].copy_from_slice(b"junk");
        assert!(matches!(wav(&n), Err(ParseError::Invalid(_))));
        // 0 channels / 0 rate / 0 block align
        for (at, v) in [(22usize, 0u8), (24, 0), (32, 0)] {
            let mut n = b.clone();
            n[at] = v;
            n[at + 1] = 0;
            if at == 24 {
                n[26] = 0;
                n[27] = 0;
            }
            assert!(matches!(wav(&n), Err(ParseError::Invalid(_))), "{at}");
        }
        // absurd fmt size
        let mut n = b.clone();
        n[16..20].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(matches!(wav(&n), Err(ParseError::Truncated(_))));
        // absurd data size: reported as truncated, frames from what is present
        let mut n = b.clone();
        n[40..44].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
        let i = wav(&n).unwrap();
        assert_eq!(i.frames, 8000);
        assert!(i.truncated.is_some());
        // IMA ADPCM with block align 0 and 1 sample per block: no division by zero
        let mut n = load("wav_ima_adpcm.wav");
        n[32..34].copy_from_slice(&0u16.to_le_bytes());
        n[38..40].copy_from_slice(&1u16.to_le_bytes());
        let i = wav(&n).unwrap();
        assert_eq!((i.declared_frames, i.frames), (4082, 4082)); // from fact
        // unknown format tag
        let mut n = b.clone();
        n[20..22].copy_from_slice(&0x1234u16.to_le_bytes());
        assert_eq!(wav(&n).unwrap().codec, "wav_format_0x1234");
    }

    #[test]
    fn rifx_and_odd_chunks() {
        // build a RIFX (big-endian) file by hand with an odd-sized chunk before data
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFX\x00\x00\x00\x00WAVEfmt \x00\x00\x00\x10");
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&2u16.to_be_bytes());
        b.extend_from_slice(&44100u32.to_be_bytes());
        b.extend_from_slice(&(44100u32 * 4).to_be_bytes());
        b.extend_from_slice(&4u16.to_be_bytes());
        b.extend_from_slice(&16u16.to_be_bytes());
        b.extend_from_slice(b"odd \x00\x00\x00\x03abc\x00");
        b.extend_from_slice(b"data\x00\x00\x01\x90");
        b.extend_from_slice(&[0u8; 400]);
        let sz = (b.len() - 8) as u32;
        b[4..8].copy_from_slice(&sz.to_be_bytes());
        let i = wav(&b).unwrap();
        assert_eq!(i.codec, "pcm_s16be");
        assert_eq!((i.sample_rate, i.channels, i.frames), (44100, 2, 100));
        assert_eq!(i.truncated, None);
        // a writer that forgot the pad byte
        let mut c = b.clone();
        c.remove(b.len() - 400 - 8 - 1);
        let sz = (c.len() - 8) as u32;
        c[4..8].copy_from_slice(&sz.to_be_bytes());
        let i = wav(&c).unwrap();
        assert_eq!((i.frames, i.truncated.clone()), (100, None));
    }

    #[test]
    fn aiff_fixtures() {
        // ffprobe: pcm_s16be 8000 Hz mono, duration_ts 8000; decode 8000
        let i = aiff(&load("aiff_s16be.aiff")).unwrap();
        check(&i, ("pcm_s16be", 8000, 1, 16, 2, 8000, 8000, 54, 16000));
        assert_eq!(i.truncated, None);
        assert!(i.notes.is_empty(), "{:?}", i.notes);
        // AIFC 'sowt': ffprobe pcm_s16le, duration_ts 4000
        let i = aiff(&load("aifc_sowt.aiff")).unwrap();
        check(&i, ("pcm_s16le", 8000, 1, 16, 2, 4000, 4000, 72, 8000));
        assert_eq!(i.truncated, None);

        let b = load("aiff_s16be.aiff");
        let i = aiff(&b[..8054]).unwrap();
        assert_eq!((i.declared_frames, i.frames), (8000, 4000));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the SSND chunk declares 16000 bytes of samples but the file ends after 8000 of them")
        );
        assert!(matches!(aiff(&[]), Err(ParseError::Invalid(_))));
        for cut in [3usize, 12, 20, 37, 38, 40, 50] {
            match aiff(&b[..cut]) {
                Err(ParseError::Truncated(_)) => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        assert!(matches!(aiff(&b[..20]), Err(ParseError::Truncated(_))));
        assert!(matches!(aiff(b"FORM\0\0\0\x04WAVE"), Err(ParseError::Invalid(_))));
        assert!(matches!(
            aiff(&load("wav_s16le.wav")),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(wav(&b), Err(ParseError::Invalid(_))));
    }

    fn sweep(b: &[u8], f: fn(&[u8]) -> Result<PcmInfo, ParseError>) {
        for cut in 0..=b.len() {
            let _ = f(&b[..cut]);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for k in 0..400 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut c = b.to_vec();
            let span = if k % 2 == 0 { 128.min(c.len()) } else { c.len() };
            let at = (seed % span as u64) as usize;
            c[at] = (seed >> 32) as u8;
            let _ = f(&c);
            // also a 0xFF burst (absurd sizes)
            let end = (at + 4).min(c.len());
            c[at..end].fill(0xFF);
            let _ = f(&c);
        }
    }

    #[test]
    fn no_panic_sweep() {
        for name in [
            "wav_s16le.wav",
            "wav_s24le_3ch_ext.wav",
            "wav_f32le.wav",
            "wav_rf64.wav",
            "wav_ima_adpcm.wav",
            "wav_mulaw.wav",
            "wav_s16le_trunc.wav",
            "wav_s16le_ffff.wav",
        ] {
            sweep(&load(name), wav);
        }
        for name in ["aiff_s16be.aiff", "aifc_sowt.aiff"] {
            sweep(&load(name), aiff);
        }
    }
}
