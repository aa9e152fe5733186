//! The names a [`Reading`](super::Reading) gives a file's container format and codec, as
//! enums. Each serialises as exactly the string the report has always carried (`wav`,
//! `pcm_s16le`, ...), and a name the enum does not list (a codec tag read from a file, a URL's
//! extension) is kept as it is in `Other`, so no report is lost in a round trip.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines a name enum: its variants with their strings, `Other(String)` for the rest, and
/// the conversions, comparisons and serde impls, all by the string, so that
/// `Other("wav".into()) == Wav` and a known name never deserialises as `Other`.
macro_rules! names {
    (
        $(#[$meta:meta])*
        $name:ident, other: $other_doc:literal {
            $($(#[$vmeta:meta])* $variant:ident = $s:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            #[doc = $other_doc]
            Other(String),
        }

        impl $name {
            /// The name, as the report's JSON carries it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $s,)*
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($s => Self::$variant,)*
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $name {}

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self::from)
            }
        }
    };
}

names! {
    /// A stimulus's container format, as the report names it (`"format"` in JSON): read from
    /// the bytes, or the extension where the bytes were not read (URLs) or could not be.
    ///
    /// ```
    /// use stimpack_core::ContainerFormat;
    /// assert_eq!(ContainerFormat::from("wav"), ContainerFormat::Wav);
    /// assert_eq!(ContainerFormat::Mp3.to_string(), "mp3");
    /// assert_eq!(ContainerFormat::from("m4v"), ContainerFormat::Other("m4v".into()));
    /// ```
    ContainerFormat, other: "Any other name: the extension of a file that is a URL or could not be read (`m4v`, `aifc`, `txt`, empty without one)." {
        /// RIFF/RF64 WAVE.
        Wav = "wav",
        /// AIFF or AIFF-C.
        Aiff = "aiff",
        /// Native FLAC.
        Flac = "flac",
        /// Ogg (Vorbis, Opus, FLAC or Speex inside).
        Ogg = "ogg",
        /// MPEG-1/2 audio layer I.
        Mp1 = "mp1",
        /// MPEG-1/2 audio layer II.
        Mp2 = "mp2",
        /// MPEG-1/2 audio layer III.
        Mp3 = "mp3",
        /// AAC in ADTS frames.
        Aac = "aac",
        /// ISO base media (MP4).
        Mp4 = "mp4",
        /// ISO base media with an `M4A` brand and no video.
        M4a = "m4a",
        /// QuickTime (`qt  ` brand).
        Mov = "mov",
        /// PNG image.
        Png = "png",
        /// JPEG image.
        Jpeg = "jpeg",
        /// GIF image.
        Gif = "gif",
        /// BMP image.
        Bmp = "bmp",
        /// WebP image.
        Webp = "webp",
        /// TIFF image.
        Tiff = "tiff",
        /// A `.req.json` API request.
        Json = "json",
        /// A `.js` embedded stimulus.
        Js = "js",
    }
}

impl Default for ContainerFormat {
    /// No name yet: the checker fills in the extension.
    fn default() -> Self {
        ContainerFormat::Other(String::new())
    }
}

names! {
    /// A stimulus's codec, by ffprobe's name (`"codec"` in JSON).
    ///
    /// ```
    /// use stimpack_core::Codec;
    /// assert_eq!(Codec::from("pcm_s16le"), Codec::PcmS16le);
    /// assert!(Codec::PcmS24be.starts_with("pcm_")); // a codec derefs to its name
    /// assert_eq!(Codec::from("wav_format_0x1234").as_str(), "wav_format_0x1234");
    /// ```
    Codec, other: "Any other name: one built from what the file says (`wav_format_0x1234`, `aifc_XXXX`, an MP4 sample entry's tag, an unusual PCM bit depth)." {
        /// Unsigned 8-bit PCM.
        PcmU8 = "pcm_u8",
        /// Signed 8-bit PCM.
        PcmS8 = "pcm_s8",
        /// Signed 16-bit little-endian PCM.
        PcmS16le = "pcm_s16le",
        /// Signed 16-bit big-endian PCM.
        PcmS16be = "pcm_s16be",
        /// Signed 24-bit little-endian PCM.
        PcmS24le = "pcm_s24le",
        /// Signed 24-bit big-endian PCM.
        PcmS24be = "pcm_s24be",
        /// Signed 32-bit little-endian PCM.
        PcmS32le = "pcm_s32le",
        /// Signed 32-bit big-endian PCM.
        PcmS32be = "pcm_s32be",
        /// Signed 64-bit little-endian PCM.
        PcmS64le = "pcm_s64le",
        /// Signed 64-bit big-endian PCM.
        PcmS64be = "pcm_s64be",
        /// 32-bit little-endian float PCM.
        PcmF32le = "pcm_f32le",
        /// 32-bit big-endian float PCM.
        PcmF32be = "pcm_f32be",
        /// 64-bit little-endian float PCM.
        PcmF64le = "pcm_f64le",
        /// 64-bit big-endian float PCM.
        PcmF64be = "pcm_f64be",
        /// G.711 A-law.
        PcmAlaw = "pcm_alaw",
        /// G.711 mu-law.
        PcmMulaw = "pcm_mulaw",
        /// IMA ADPCM as in WAV.
        AdpcmImaWav = "adpcm_ima_wav",
        /// IMA ADPCM as in QuickTime/AIFF-C (`ima4`).
        AdpcmImaQt = "adpcm_ima_qt",
        /// Microsoft ADPCM.
        AdpcmMs = "adpcm_ms",
        /// G.726 ADPCM.
        AdpcmG726 = "adpcm_g726",
        /// GSM 6.10 as in WAV.
        GsmMs = "gsm_ms",
        /// GSM 6.10 as in AIFF-C.
        Gsm = "gsm",
        /// MACE 3:1.
        Mace3 = "mace3",
        /// MACE 6:1.
        Mace6 = "mace6",
        /// QDesign Music 2.
        Qdm2 = "qdm2",
        /// QDesign Music.
        Qdmc = "qdmc",
        /// Windows Media Audio 1.
        Wmav1 = "wmav1",
        /// Windows Media Audio 2.
        Wmav2 = "wmav2",
        /// MPEG audio layer I.
        Mp1 = "mp1",
        /// MPEG audio layer II.
        Mp2 = "mp2",
        /// MPEG audio layer III.
        Mp3 = "mp3",
        /// AAC.
        Aac = "aac",
        /// FLAC.
        Flac = "flac",
        /// Vorbis.
        Vorbis = "vorbis",
        /// Opus.
        Opus = "opus",
        /// Speex.
        Speex = "speex",
        /// Apple Lossless.
        Alac = "alac",
        /// Dolby Digital.
        Ac3 = "ac3",
        /// Dolby Digital Plus.
        Eac3 = "eac3",
        /// Dolby AC-4.
        Ac4 = "ac4",
        /// DTS.
        Dts = "dts",
        /// AMR narrow-band.
        AmrNb = "amr_nb",
        /// AMR wide-band.
        AmrWb = "amr_wb",
        /// MPEG-H 3D audio.
        MpeghAudio = "mpegh_3d_audio",
        /// H.264 / AVC.
        H264 = "h264",
        /// H.265 / HEVC.
        Hevc = "hevc",
        /// H.266 / VVC.
        Vvc = "vvc",
        /// AV1.
        Av1 = "av1",
        /// VP8.
        Vp8 = "vp8",
        /// VP9.
        Vp9 = "vp9",
        /// MPEG-4 part 2.
        Mpeg4 = "mpeg4",
        /// MPEG-2 video.
        Mpeg2Video = "mpeg2video",
        /// MPEG-1 video.
        Mpeg1Video = "mpeg1video",
        /// Motion JPEG.
        Mjpeg = "mjpeg",
        /// H.263.
        H263 = "h263",
        /// Apple ProRes.
        Prores = "prores",
        /// 3GPP timed text.
        MovText = "mov_text",
        /// WebVTT.
        Webvtt = "webvtt",
        /// TTML.
        Ttml = "ttml",
        /// CEA-608 captions.
        Eia608 = "eia_608",
        /// PNG image.
        Png = "png",
        /// JPEG image.
        Jpeg = "jpeg",
        /// GIF image.
        Gif = "gif",
        /// BMP image.
        Bmp = "bmp",
        /// WebP image.
        Webp = "webp",
        /// TIFF image.
        Tiff = "tiff",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_name_round_trips_to_its_variant_and_an_unknown_one_to_other() {
        for name in [
            "pcm_s24le",
            "h264",
            "mpegh_3d_audio",
            "aifc_ABCD",
            "wav_guid_x",
            "",
        ] {
            let c = Codec::from(name);
            assert_eq!(c.as_str(), name);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            let back: Codec = serde_json::from_str(&json).unwrap();
            assert_eq!(back, c);
            assert_eq!(matches!(back, Codec::Other(_)), matches!(c, Codec::Other(_)));
        }
        assert!(matches!(Codec::from("h264"), Codec::H264));
        assert!(matches!(
            ContainerFormat::from("mov".to_string()),
            ContainerFormat::Mov
        ));
        assert!(matches!(ContainerFormat::from("aifc"), ContainerFormat::Other(_)));
    }

    #[test]
    fn other_with_a_known_name_equals_the_variant() {
        assert_eq!(ContainerFormat::Other("wav".into()), ContainerFormat::Wav);
        assert_eq!(ContainerFormat::default().as_str(), "");
    }
}
