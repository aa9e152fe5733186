//! MPEG audio (MPEG-1/2/2.5 layers I–III: MP1, MP2, MP3) and ADTS AAC probing by walking every frame
//! header to the end of the file without decoding: exact frame and sample counts of what the file holds
//! (also for VBR without Xing/VBRI), with header claims, truncation and garbage reported next to them.

mod adts;
mod mp3;
mod tags;
mod walk;

pub use adts::probe_adts;
#[cfg(test)]
pub use mp3::probe_mpeg_audio;
pub use mp3::probe_mpeg_audio_with;

/// Size of the read buffer managed over the reader.
const BUF_CAP: usize = 64 * 1024;
/// Bytes kept before the requested position when the buffer is refilled (cheap small look-backs).
const KEEP_BACK: u64 = 8 * 1024;
/// Largest single request served by the buffer.
const MAX_GET: usize = 32 * 1024;
/// How far past the leading tags the first frame is searched for.
const FIRST_FRAME_SEARCH: u64 = 1 << 20;
/// Consecutive consistent frames needed to accept the first frame.
const CONFIRM_FIRST: u32 = 3;
/// Consecutive consistent frames needed to accept a frame found while resyncing.
const CONFIRM_RESYNC: u32 = 2;

/// MPEG audio version of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MpegVersion {
    /// MPEG-1 (32, 44.1, 48 kHz).
    Mpeg1,
    /// MPEG-2 low sampling frequencies (16, 22.05, 24 kHz).
    Mpeg2,
    /// The unofficial MPEG-2.5 extension (8, 11.025, 12 kHz).
    Mpeg25,
}

/// Kind of VBR/info header found in the first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VbrHeaderKind {
    /// A Xing header (usually VBR).
    Xing,
    /// An Info header (same layout as Xing, written for CBR streams).
    Info,
    /// A Fraunhofer VBRI header.
    Vbri,
}

/// What walking the frames of a stream found, for MPEG audio and ADTS alike.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameStream {
    /// Sample rate in Hz (for ADTS the AAC core rate: HE-AAC's SBR doubles it when decoded,
    /// which ADTS headers cannot signal).
    pub sample_rate: u32,
    /// Channels of the first frame: 1 or 2 for MPEG audio; for ADTS the channel configuration
    /// (0 = defined in-band by a program config element; configuration 7 is given as 8).
    pub channels: u8,
    /// Complete audio frames present (walked); for MPEG audio without the Xing/Info/VBRI frame.
    /// A final frame that is cut short is not counted.
    pub frames: u64,
    /// Playable samples per channel. MPEG audio: `frames * samples_per_frame` minus the
    /// encoder tag's delay and padding (the padding only as far as the declared end of the
    /// stream is present), the count ffmpeg's decoder outputs for an intact file. ADTS: 1024
    /// per raw data block (one block per frame in practice); encoder priming is not signalled
    /// by ADTS, so this equals what a decoder outputs.
    pub samples: u64,
    /// `samples / sample_rate` in seconds.
    pub duration_s: f64,
    /// Average bitrate of the walked audio frames in kbit/s.
    pub avg_bitrate_kbps: f64,
    /// Byte offset of the first frame (for MPEG audio the Xing/Info/VBRI frame when there is one).
    pub audio_start: u64,
    /// Bytes of the walked audio frames (excluding a Xing/Info/VBRI frame).
    pub audio_bytes: u64,
    /// Bytes of leading ID3v2 tags.
    pub leading_tag_bytes: u64,
    /// Bytes of trailing ID3v1 / APEv2 / Lyrics3 / appended ID3v2 tags.
    pub trailing_tag_bytes: u64,
    /// Unrecognised bytes between the leading tags and the first frame (often zero padding).
    pub leading_junk_bytes: u64,
    /// Garbage bytes skipped between (and after) frames while resyncing.
    pub skipped_bytes: u64,
    /// The part of `skipped_bytes` after the last frame (before any trailing tags).
    pub trailing_junk_bytes: u64,
    /// Set when the stream is incomplete: the last frame is cut short, or (MPEG audio) the
    /// Xing/VBRI header declares more frames than are present. The other fields still describe
    /// what is there.
    pub truncated: Option<String>,
}

/// What walking an MPEG audio stream found. The fields every frame walk has are in
/// [`FrameStream`], reachable directly (`info.frames`) through `Deref`.
#[derive(Debug, Clone, PartialEq)]
pub struct MpegAudioInfo {
    /// What the frame walk found.
    pub stream: FrameStream,
    /// Layer: 1, 2 or 3.
    pub layer: u8,
    /// MPEG version.
    pub version: MpegVersion,
    /// Samples per frame per channel (384, 576 or 1152).
    pub samples_per_frame: u32,
    /// Encoder delay in samples from a LAME/Lavc/Lavf tag (as stored, without the decoder's 529).
    pub encoder_delay: Option<u32>,
    /// Encoder padding at the end in samples from a LAME/Lavc/Lavf tag.
    pub encoder_padding: Option<u32>,
    /// Which VBR/info header the first frame holds, if any.
    pub header_kind: Option<VbrHeaderKind>,
    /// Audio frame count declared by a Xing/Info or VBRI header.
    pub header_frames: Option<u64>,
    /// Encoder string of the LAME-style tag (e.g. `LAME3.100`, `Lavf`), if present.
    pub encoder: Option<String>,
    /// True when the bitrate varies between the walked audio frames.
    pub vbr: bool,
    /// Set instead of `truncated` when frames the header declares are missing but the stream
    /// ends cleanly and a run of damaged bytes lies between frames: they were lost in the
    /// middle, not cut off at the end.
    pub corrupt: Option<String>,
    /// False when the frames were not walked: a hosted file
    /// ([`probe_mpeg_audio_with`]) measured from its Xing/Info header, whose end was checked but
    /// not the frames between (`frames` and `audio_bytes` are the header's).
    pub walked: bool,
}

/// What walking an ADTS AAC stream found; the shared fields are in [`FrameStream`], reachable
/// directly through `Deref`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdtsInfo {
    /// What the frame walk found.
    pub stream: FrameStream,
    /// Audio object type from the header: "Main", "LC", "SSR" or "LTP".
    pub profile: &'static str,
    /// 2 or 4 (the MPEG version bit of the header).
    pub mpeg_version: u8,
}

impl std::ops::Deref for MpegAudioInfo {
    type Target = FrameStream;
    fn deref(&self) -> &FrameStream {
        &self.stream
    }
}

impl std::ops::Deref for AdtsInfo {
    type Target = FrameStream;
    fn deref(&self) -> &FrameStream {
        &self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ParseError;
    use std::io::Cursor;

    fn fixture(name: &str) -> Vec<u8> {
        crate::test_fixtures::fixture(&format!("mp3/{name}"))
    }

    fn mp(data: &[u8]) -> Result<MpegAudioInfo, ParseError> {
        probe_mpeg_audio(&mut Cursor::new(data), data.len() as u64)
    }

    fn adts(data: &[u8]) -> Result<AdtsInfo, ParseError> {
        probe_adts(&mut Cursor::new(data), data.len() as u64)
    }

    fn mp_file(name: &str) -> MpegAudioInfo {
        mp(&fixture(name)).unwrap()
    }

    fn invalid_msg(r: Result<impl std::fmt::Debug, ParseError>) -> String {
        match r {
            Err(ParseError::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn truncated_msg(r: Result<impl std::fmt::Debug, ParseError>) -> String {
        match r {
            Err(ParseError::Truncated(m)) => m,
            other => panic!("expected Truncated, got {other:?}"),
        }
    }

    /// Length of ffmpeg's leading (empty) ID3v2 tag in the fixtures.
    const FF_ID3: usize = 20;

    // Expected values: `ffmpeg -i f -f s16le - | wc -c` / 2 (mono) for the decoded sample count,
    // `ffprobe -show_streams -show_format -count_frames` for duration / nb_read_frames.

    #[test]
    fn cbr_info() {
        let i = mp_file("cbr_info.mp3");
        assert_eq!(i.layer, 3);
        assert_eq!(i.version, MpegVersion::Mpeg1);
        assert_eq!((i.sample_rate, i.channels), (32000, 1));
        assert_eq!(i.frames, 29); // ffprobe nb_read_frames=29
        assert_eq!(i.samples_per_frame, 1152);
        assert_eq!(i.header_kind, Some(VbrHeaderKind::Info));
        assert_eq!(i.header_frames, Some(29));
        assert_eq!(i.encoder.as_deref(), Some("Lavf lame"));
        assert_eq!((i.encoder_delay, i.encoder_padding), (Some(576), Some(832)));
        // ffmpeg decodes 32000 samples (29*1152 - 576 - 832); ffprobe duration 1.044 = 29*1152/32000
        assert_eq!(i.samples, 32000);
        assert_eq!(i.duration_s, 1.0);
        assert!(!i.vbr);
        assert_eq!(i.avg_bitrate_kbps, 32.0); // ffprobe bit_rate=32000
        assert_eq!((i.audio_start, i.audio_bytes), (20, 29 * 144));
        assert_eq!((i.leading_tag_bytes, i.trailing_tag_bytes), (20, 0));
        assert_eq!((i.leading_junk_bytes, i.skipped_bytes), (0, 0));
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn vbr_xing() {
        let i = mp_file("vbr_xing.mp3");
        assert_eq!(i.header_kind, Some(VbrHeaderKind::Xing));
        assert_eq!((i.frames, i.header_frames), (43, Some(43))); // ffprobe nb_read_frames=43
        assert_eq!((i.encoder_delay, i.encoder_padding), (Some(576), Some(960)));
        // ffmpeg decodes 48000 samples = 43*1152 - 576 - 960; ffprobe duration 1.548 (untrimmed)
        assert_eq!(i.samples, 48000);
        assert_eq!(i.duration_s, 1.5);
        assert!(i.vbr);
        assert_eq!(i.audio_bytes, 10080);
        assert!((i.avg_bitrate_kbps - 52.093).abs() < 0.001);
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn vbr_without_xing() {
        let i = mp_file("vbr_noxing.mp3");
        assert_eq!(i.header_kind, None);
        assert_eq!((i.frames, i.header_frames), (43, None));
        assert_eq!((i.encoder_delay, i.encoder_padding), (None, None));
        // ffmpeg decodes all 43*1152 = 49536 samples (no gapless info); ffprobe estimates
        // 1.548149 s from the first frame's bitrate (on a 30-minute file of this kind: 3055.5 s
        // instead of 1800.05 s, while this walk matches the decoded count to the sample)
        assert_eq!(i.samples, 49536);
        assert_eq!(i.duration_s, 1.548);
        assert!(i.vbr);
        assert_eq!((i.audio_start, i.skipped_bytes), (20, 0));
    }

    #[test]
    fn id3v2_and_id3v1() {
        let i = mp_file("id3_tags.mp3");
        assert_eq!((i.leading_tag_bytes, i.trailing_tag_bytes), (55, 128));
        assert_eq!((i.frames, i.samples), (29, 32000)); // ffmpeg decodes 32000
        assert_eq!((i.leading_junk_bytes, i.skipped_bytes), (0, 0));
        assert_eq!(i.truncated, None);
    }

    #[test]
    fn mpeg2_and_mpeg25() {
        let i = mp_file("mpeg2_22k.mp3");
        assert_eq!(
            (i.version, i.layer, i.sample_rate),
            (MpegVersion::Mpeg2, 3, 22050)
        );
        assert_eq!(
            (i.frames, i.samples_per_frame, i.header_frames),
            (41, 576, Some(41))
        );
        assert_eq!((i.encoder_delay, i.encoder_padding), (Some(576), Some(990)));
        // ffmpeg decodes 22050 = 41*576 - 576 - 990; ffprobe duration 1.071020 = 41*576/22050
        // (ffprobe -count_frames says 40: the last frame lies wholly in the trimmed padding)
        assert_eq!(i.samples, 22050);
        assert!(!i.vbr);

        let i = mp_file("mpeg25_8k.mp3");
        assert_eq!(
            (i.version, i.layer, i.sample_rate),
            (MpegVersion::Mpeg25, 3, 8000)
        );
        assert_eq!(
            (i.frames, i.samples_per_frame, i.header_frames),
            (16, 576, Some(16))
        );
        // ffmpeg decodes 8000 = 16*576 - 576 - 640; ffprobe duration 1.152 = 16*576/8000
        assert_eq!(i.samples, 8000);
        assert_eq!(i.avg_bitrate_kbps.round(), 16.0);
        // the Info frame is written at 24 kb/s, the audio at 16 kb/s: not VBR
        assert!(!i.vbr);
        assert_eq!(i.audio_bytes, 16 * 144);
    }

    #[test]
    fn layer2() {
        let i = mp_file("layer2.mp2");
        assert_eq!(
            (i.version, i.layer, i.sample_rate, i.channels),
            (MpegVersion::Mpeg1, 2, 32000, 1)
        );
        // ffmpeg decodes 32256 = 28*1152; ffprobe duration 1.008, nb_read_frames=28
        assert_eq!((i.frames, i.samples, i.duration_s), (28, 32256, 1.008));
        assert_eq!((i.header_kind, i.encoder_delay), (None, None));
        assert_eq!((i.audio_start, i.audio_bytes), (0, 8064));
        assert_eq!(i.avg_bitrate_kbps, 64.0);
    }

    #[test]
    fn truncated_fixture() {
        let i = mp_file("truncated.mp3");
        assert_eq!((i.frames, i.header_frames), (28, Some(29)));
        // 28*1152 - 576: the padding lay in the missing frame. ffmpeg decodes 32000 here: it
        // decodes the cut frame too (nb_read_frames=29); we count only complete frames.
        assert_eq!(i.samples, 31680);
        let t = i.stream.truncated.unwrap();
        assert!(
            t.contains("last MPEG audio frame (at byte 4232) needs 144 bytes but only 107 remain"),
            "{t}"
        );
        assert!(
            t.contains("Info header declares 29 audio frames but only 28 are present"),
            "{t}"
        );
    }

    #[test]
    fn garbage_in_the_middle() {
        let i = mp_file("garbage.mp3");
        // all 43 frames of vbr_noxing.mp3 and the 300 inserted bytes. ffmpeg decodes one frame
        // fewer (48384 samples, nb_read_frames=42): it loses a frame while resyncing.
        assert_eq!((i.frames, i.samples, i.skipped_bytes), (43, 49536, 300));
        assert_eq!(i.truncated, None);
        assert!(i.vbr);
    }

    #[test]
    fn adts_fixtures() {
        let i = adts(&fixture("adts.aac")).unwrap();
        assert_eq!(
            (i.sample_rate, i.channels, i.profile, i.mpeg_version),
            (16000, 1, "LC", 4)
        );
        // ffmpeg decodes 25600 = 25*1024 samples (priming included, ADTS has no gapless info);
        // ffprobe estimates 1.599905 s from the bitrate
        assert_eq!((i.frames, i.samples, i.duration_s), (25, 25600, 1.6));
        assert_eq!((i.audio_bytes, i.skipped_bytes), (6759, 0));
        assert_eq!(i.truncated, None);

        // ID3v2 in front and ID3v1 behind (as some tools write them) are skipped, not garbage
        let mut d = id3v2(50, false);
        d.extend(fixture("adts.aac"));
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, 0);
        d.extend(v1);
        let i = adts(&d).unwrap();
        assert_eq!((i.frames, i.samples, i.skipped_bytes), (25, 25600, 0));
        assert_eq!(
            (i.audio_start, i.leading_tag_bytes, i.trailing_tag_bytes),
            (60, 60, 128)
        );

        let i = adts(&fixture("adts_truncated.aac")).unwrap();
        // ffmpeg decodes 24576 = 24*1024 (it drops the cut frame)
        assert_eq!((i.frames, i.samples), (24, 24576));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the last ADTS frame (at byte 6478) needs 281 bytes but only 231 remain")
        );
    }

    fn id3v2(body: usize, footer: bool) -> Vec<u8> {
        let mut t = b"ID3\x04\x00".to_vec();
        t.push(if footer { 0x10 } else { 0 });
        let s = body as u32;
        t.extend([
            (s >> 21) as u8 & 0x7F,
            (s >> 14) as u8 & 0x7F,
            (s >> 7) as u8 & 0x7F,
            s as u8 & 0x7F,
        ]);
        t.extend(std::iter::repeat_n(0u8, body));
        if footer {
            let mut f = t[..10].to_vec();
            f[..3].copy_from_slice(b"3DI");
            t.extend(f);
        }
        t
    }

    #[test]
    fn stacked_tags_at_both_ends() {
        let base = fixture("cbr_info.mp3");
        let audio = &base[FF_ID3..];
        let mut d = id3v2(300, true);
        d.extend(id3v2(40, false));
        let lead = d.len() as u64;
        d.extend_from_slice(audio);
        // APEv2 with header: header 32 + item + footer 32; size field = item + footer
        let item = b"\x05\x00\x00\x00\x00\x00\x00\x00Title\x00Hello";
        let mut ape_hdr = b"APETAGEX".to_vec();
        ape_hdr.extend(2000u32.to_le_bytes());
        ape_hdr.extend(((item.len() + 32) as u32).to_le_bytes());
        ape_hdr.extend(1u32.to_le_bytes());
        ape_hdr.extend(0xA000_0000u32.to_le_bytes());
        ape_hdr.extend([0u8; 8]);
        let mut ape_ftr = ape_hdr.clone();
        ape_ftr[20..24].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        d.extend(&ape_hdr);
        d.extend(item);
        d.extend(&ape_ftr);
        // Lyrics3 v2
        let lyr = b"LYRICSBEGININD00002\x31\x30LYR00005hello";
        d.extend(lyr);
        d.extend(format!("{:06}LYRICS200", lyr.len()).as_bytes());
        // appended ID3v2 with footer, then ID3v1
        d.extend(id3v2(25, true));
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b' ');
        d.extend(v1);
        let i = mp(&d).unwrap();
        assert_eq!(i.leading_tag_bytes, lead);
        assert_eq!(i.trailing_tag_bytes, (d.len() - audio.len()) as u64 - lead);
        assert_eq!(
            (i.frames, i.samples, i.skipped_bytes, i.leading_junk_bytes),
            (29, 32000, 0, 0)
        );
        assert_eq!(i.truncated, None);

        // Lyrics3 v1 and zero padding after the ID3v2 tag
        let mut d = id3v2(10, false);
        d.extend([0u8; 77]);
        d.extend_from_slice(audio);
        d.extend(b"LYRICSBEGINsome words LYRICSEND");
        let i = mp(&d).unwrap();
        assert_eq!(
            (i.leading_tag_bytes, i.leading_junk_bytes, i.trailing_tag_bytes),
            (20, 77, 31)
        );
        assert_eq!((i.frames, i.skipped_bytes, i.stream.truncated), (29, 0, None));
    }

    /// MPEG-1 layer I, 32 kHz, 32 kb/s, mono: 48-byte frames.
    fn layer1_frames(n: usize) -> Vec<u8> {
        let mut d = Vec::new();
        for _ in 0..n {
            d.extend([0xFF, 0xFF, 0x18, 0xC0]);
            d.extend([0u8; 44]);
        }
        d
    }

    #[test]
    fn layer1_synthetic() {
        let i = mp(&layer1_frames(10)).unwrap();
        assert_eq!(
            (i.layer, i.version, i.sample_rate),
            (1, MpegVersion::Mpeg1, 32000)
        );
        assert_eq!((i.frames, i.samples_per_frame, i.samples), (10, 384, 3840));
        assert_eq!(i.avg_bitrate_kbps, 32.0);
    }

    #[test]
    fn vbri_header() {
        let base = fixture("vbr_noxing.mp3");
        let build = |declared: u32| {
            // a 144-byte MPEG-1 layer III 32 kb/s mono frame holding a VBRI header
            let mut f = vec![0u8; 144];
            f[..4].copy_from_slice(&[0xFF, 0xFB, 0x18, 0xC4]);
            f[36..40].copy_from_slice(b"VBRI");
            f[50..54].copy_from_slice(&declared.to_be_bytes());
            let mut d = f;
            d.extend_from_slice(&base[FF_ID3..]);
            d
        };
        let i = mp(&build(43)).unwrap();
        assert_eq!(i.header_kind, Some(VbrHeaderKind::Vbri));
        // VBRI counts are not consistently defined: a hosted file with one is walked too
        assert_eq!(hosted(&build(43)).unwrap(), i);
        assert_eq!((i.frames, i.header_frames, i.samples), (43, Some(43), 49536));
        assert_eq!(
            (i.audio_start, i.encoder_delay, i.stream.truncated),
            (0, None, None)
        );
        let i = mp(&build(50)).unwrap();
        assert_eq!(
            i.truncated.as_deref(),
            Some("the VBRI header declares 50 audio frames but only 43 are present")
        );
    }

    #[test]
    fn free_format_is_rejected() {
        let mut d = Vec::new();
        for _ in 0..10 {
            d.extend([0xFF, 0xFB, 0x08, 0xC4]);
            d.extend([0x11u8; 296]);
        }
        assert_eq!(invalid_msg(mp(&d)), "free-format bitrate is not supported");
    }

    #[test]
    fn truncation_points() {
        let base = fixture("cbr_info.mp3");
        const INFO: usize = 180; // the Info frame is written at 40 kb/s, the audio at 32 kb/s
        // inside the Info frame: nothing usable
        let m = truncated_msg(mp(&base[..100]));
        assert_eq!(
            m,
            "the first MPEG audio frame (at byte 20) needs 180 bytes but the file ends after 100"
        );
        // exactly after the Info frame
        let m = truncated_msg(mp(&base[..FF_ID3 + INFO]));
        assert_eq!(
            m,
            "the file holds only the Info header frame but it declares 29 audio frames"
        );
        // at a frame boundary after 10 audio frames
        let i = mp(&base[..FF_ID3 + INFO + 10 * 144]).unwrap();
        assert_eq!((i.frames, i.samples), (10, 10 * 1152 - 576));
        assert_eq!(
            i.truncated.as_deref(),
            Some("the Info header declares 29 audio frames but only 10 are present")
        );
        // inside a header
        let i = mp(&base[..FF_ID3 + INFO + 10 * 144 + 2]).unwrap();
        assert_eq!(
            i.truncated.as_deref(),
            Some(
                "the file ends inside the header of the frame at byte 1640; the Info header declares 29 audio frames but only 10 are present"
            )
        );
        // every cut leaves frames consistent with what is present
        for cut in (FF_ID3 + INFO + 144..base.len()).step_by(7) {
            let i = mp(&base[..cut]).unwrap();
            assert_eq!(i.frames, ((cut - FF_ID3 - INFO) / 144) as u64, "cut {cut}");
            assert!(i.truncated.is_some(), "cut {cut}");
        }
        // ADTS cut inside the first frame
        let a = fixture("adts.aac");
        assert!(truncated_msg(adts(&a[..100])).starts_with("the first ADTS frame (at byte 0) needs"));
    }

    /// Regression (issue 9, item 7): damage in the middle of an MP3 (a run of bad bytes with
    /// valid frames after it) was reported as truncation ("cut short").
    #[test]
    fn damage_in_the_middle_is_corrupt_not_truncated() {
        let base = fixture("cbr_info.mp3");
        const INFO: usize = 180;
        let frame = |i: usize| FF_ID3 + INFO + i * 144;
        // Frames 10 to 15 overwritten with zeros: 23 of the 29 declared frames remain.
        let mut zeroed = base.clone();
        zeroed[frame(10)..frame(16)].fill(0);
        let i = mp(&zeroed).unwrap();
        assert_eq!((i.frames, i.truncated.as_deref()), (23, None));
        let why = i.corrupt.expect("corrupt");
        assert!(
            why.starts_with(&format!(
                "864 bytes from byte {} on are not MPEG audio frames",
                frame(10)
            )),
            "{why}"
        );
        assert!(
            why.contains("the Info header declares 29 audio frames but only 23 are present"),
            "{why}"
        );
        // Bytes lost in transfer: frame 10's header survives but its data is short.
        let mut cut = base[..frame(10) + 50].to_vec();
        cut.extend_from_slice(&base[frame(14)..]);
        let i = mp(&cut).unwrap();
        assert!(i.corrupt.is_some() && i.truncated.is_none(), "{i:?}");
        // The boundary: the same damage and the end cut off too is truncation (what is missing
        // cannot be told apart), with the damaged bytes still counted.
        let i = mp(&zeroed[..zeroed.len() - 37]).unwrap();
        assert!(i.corrupt.is_none() && i.truncated.is_some(), "{i:?}");
        assert_eq!(i.skipped_bytes, 864);
        // Junk inserted between frames loses nothing: not corrupt (a warning elsewhere).
        let i = mp_file("garbage.mp3");
        assert_eq!((i.corrupt, i.stream.truncated), (None, None));
        // Junk after the last frame is not damage in the middle.
        let mut tail = base[..frame(29)].to_vec();
        tail.extend_from_slice(&[0u8; 300]);
        assert_eq!(mp(&tail).unwrap().corrupt, None);
    }

    fn hosted(data: &[u8]) -> Result<MpegAudioInfo, ParseError> {
        probe_mpeg_audio_with(&mut Cursor::new(data), data.len() as u64, true)
    }

    /// `cbr_info.mp3` grown to `n` audio frames (its own 29 over and over), with its Info
    /// header's frame and byte counts set to match.
    fn long_cbr(n: usize) -> Vec<u8> {
        const INFO: usize = 180;
        let base = fixture("cbr_info.mp3");
        let mut d = base[..FF_ID3 + INFO].to_vec();
        let at = d.windows(4).position(|w| w == b"Info").unwrap();
        d[at + 8..at + 12].copy_from_slice(&(n as u32).to_be_bytes());
        d[at + 12..at + 16].copy_from_slice(&((INFO + n * 144) as u32).to_be_bytes());
        for i in 0..n {
            let f = FF_ID3 + INFO + (i % 29) * 144;
            d.extend_from_slice(&base[f..f + 144]);
        }
        d
    }

    /// A reader that counts the bytes it hands out.
    struct Counted<'a>(Cursor<&'a [u8]>, u64);

    impl std::io::Read for Counted<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n as u64;
            Ok(n)
        }
    }

    impl std::io::Seek for Counted<'_> {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            self.0.seek(to)
        }
    }

    /// Issue 13: a hosted MP3 was read whole even with a Xing/Info header that gives its length.
    /// With costly reads, the header's counts give the same readings as the walk, from the head
    /// and the tail only.
    #[test]
    fn hosted_mp3_with_a_length_header_is_measured_from_it_like_the_walk() {
        for name in [
            "cbr_info.mp3",
            "vbr_xing.mp3",
            "id3_tags.mp3",
            "mpeg2_22k.mp3",
            "mpeg25_8k.mp3",
        ] {
            let d = fixture(name);
            let (local, online) = (mp(&d).unwrap(), hosted(&d).unwrap());
            assert!(local.walked && !online.walked, "{name}");
            assert_eq!(
                MpegAudioInfo {
                    walked: true,
                    ..online
                },
                local,
                "{name}"
            );
        }
        let d = long_cbr(20_000);
        let local = mp(&d).unwrap();
        assert_eq!((local.frames, local.stream.truncated.as_deref()), (20_000, None));
        let mut r = Counted(Cursor::new(&d[..]), 0);
        let online = probe_mpeg_audio_with(&mut r, d.len() as u64, true).unwrap();
        assert_eq!(online.stream, local.stream);
        assert!(r.1 < 200_000, "{} of {} bytes read", r.1, d.len());
    }

    /// What costly reads still walk, with the local result: no Xing/Info length, a VBRI header,
    /// a file shorter or longer than the header says.
    #[test]
    fn hosted_mp3_without_a_usable_length_header_is_walked() {
        for name in ["vbr_noxing.mp3", "truncated.mp3", "garbage.mp3", "layer2.mp2"] {
            let d = fixture(name);
            let online = hosted(&d).unwrap();
            assert!(online.walked, "{name}");
            assert_eq!(online, mp(&d).unwrap(), "{name}");
        }
        let d = long_cbr(3000);
        // cut at a frame boundary, inside a frame, and with junk after the last frame
        let mut longer = d.clone();
        longer.extend_from_slice(&[0x55; 700]);
        for d in [&d[..d.len() - 144], &d[..d.len() - 1000], &longer[..]] {
            let online = hosted(d).unwrap();
            assert!(online.walked);
            assert_eq!(online, mp(d).unwrap());
        }
        let cut = hosted(&d[..d.len() - 1000]).unwrap();
        assert!(
            cut.stream
                .truncated
                .unwrap()
                .contains("the Info header declares 3000 audio frames but only 2993 are present")
        );
    }

    /// The limit of costly reads: frames lost in the middle of a stream whose end is where its
    /// header says go unseen (only a local check, which walks every frame, finds them).
    #[test]
    fn hosted_mp3_damage_in_the_middle_is_not_seen() {
        let mut d = long_cbr(3000);
        let from = FF_ID3 + 180 + 1000 * 144;
        d[from..from + 6 * 144].fill(0);
        assert!(mp(&d).unwrap().corrupt.is_some());
        let online = hosted(&d).unwrap();
        assert_eq!(
            (online.frames, online.corrupt, online.walked),
            (3000, None, false)
        );
    }

    #[test]
    fn not_this_format() {
        assert_eq!(
            invalid_msg(mp(&[])),
            "the file holds no audio data after its tags"
        );
        assert_eq!(
            invalid_msg(adts(&[])),
            "the file holds no audio data after its tags"
        );
        let mut x = 0x1234_5678u32;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        assert!(invalid_msg(mp(&noise)).starts_with("no MPEG audio frame found"));
        assert!(invalid_msg(adts(&noise)).starts_with("no ADTS frame found"));
        assert!(invalid_msg(mp(&[0xFF; 5000])).starts_with("no MPEG audio frame found"));
        // the two formats do not take each other's frames
        assert!(invalid_msg(adts(&fixture("cbr_info.mp3"))).starts_with("no ADTS frame found"));
        assert!(invalid_msg(adts(&fixture("layer2.mp2"))).starts_with("no ADTS frame found"));
        assert!(invalid_msg(mp(&fixture("adts.aac"))).starts_with("no MPEG audio frame found"));
        // only tags
        assert_eq!(
            invalid_msg(mp(&id3v2(100, false))),
            "the file holds no audio data after its tags"
        );
        // an ID3v2 tag larger than the file
        let mut d = b"ID3\x03\x00\x00\x7F\x7F\x7F\x7F".to_vec();
        d.extend(fixture("cbr_info.mp3"));
        assert_eq!(
            truncated_msg(mp(&d)),
            "the ID3v2 tag at byte 0 declares 268435465 bytes but the file ends after 4386"
        );
        // a few frames drowned in garbage
        let mut d = layer1_frames(3);
        d.extend(std::iter::repeat_n(b'x', 1000));
        assert_eq!(
            invalid_msg(mp(&d)),
            "only 144 of 1144 bytes are valid MPEG audio frames"
        );
    }

    #[test]
    fn caller_len_larger_than_file() {
        let d = fixture("cbr_info.mp3");
        let i = probe_mpeg_audio(&mut Cursor::new(&d), d.len() as u64 + 1000).unwrap();
        assert_eq!((i.frames, i.samples, i.stream.truncated), (29, 32000, None));
        // a wrong length must never panic, whatever the content
        for name in ALL {
            let d = fixture(name);
            for extra in [1u64, 9000, 70_000, u64::MAX / 2] {
                for cut in [0, 3, 100, d.len() / 2, d.len()] {
                    let len = cut as u64 + extra;
                    let _ = probe_mpeg_audio(&mut Cursor::new(&d[..cut]), len);
                    let _ = probe_adts(&mut Cursor::new(&d[..cut]), len);
                }
            }
        }
    }

    const ALL: [&str; 11] = [
        "cbr_info.mp3",
        "vbr_xing.mp3",
        "vbr_noxing.mp3",
        "id3_tags.mp3",
        "mpeg2_22k.mp3",
        "mpeg25_8k.mp3",
        "layer2.mp2",
        "truncated.mp3",
        "garbage.mp3",
        "adts.aac",
        "adts_truncated.aac",
    ];

    #[test]
    fn no_panic_sweep() {
        for name in ALL {
            let d = fixture(name);
            let step = (d.len() / 600).max(1);
            for cut in (0..=d.len()).step_by(step) {
                let _ = mp(&d[..cut]);
                let _ = adts(&d[..cut]);
                let _ = hosted(&d[..cut]);
            }
            let mut x = 0x9E37_79B9u32 ^ d.len() as u32;
            for k in 0..300 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let mut c = d.clone();
                let at = x as usize % c.len();
                c[at] = match k % 3 {
                    0 => 0xFF,
                    1 => 0x00,
                    _ => (x >> 8) as u8,
                };
                let _ = mp(&c);
                let _ = adts(&c);
                let _ = hosted(&c);
            }
        }
    }
}
