//! What a file really is, from its first bytes, and what its extension promises.

use crate::report::MediaKind;

/// A container format recognised from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// RIFF/WAVE, RIFX, RF64, BW64.
    Wav,
    /// AIFF / AIFF-C.
    Aiff,
    /// Native FLAC.
    Flac,
    /// MPEG audio frames (MP3, MP2, MP1), possibly after an ID3v2 tag.
    MpegAudio,
    /// Raw AAC in ADTS frames.
    Adts,
    /// Ogg (Vorbis, Opus, FLAC).
    Ogg,
    /// ISO base media: MP4, M4A, MOV.
    IsoBmff,
    /// Matroska / WebM.
    Matroska,
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF.
    Gif,
    /// BMP.
    Bmp,
    /// WebP.
    WebP,
    /// TIFF.
    Tiff,
}

impl Container {
    /// Every container, in the order `stimpack formats` lists them.
    pub const ALL: &'static [Container] = &[
        Container::Wav,
        Container::Aiff,
        Container::Flac,
        Container::MpegAudio,
        Container::Adts,
        Container::Ogg,
        Container::IsoBmff,
        Container::Matroska,
        Container::Png,
        Container::Jpeg,
        Container::Gif,
        Container::Bmp,
        Container::WebP,
        Container::Tiff,
    ];

    /// The codec names the probers report for this container (ffprobe's names), as shown by
    /// `stimpack formats`; `*` stands for a bit depth and byte order (`pcm_s*` is
    /// `pcm_s16le`, `pcm_s24be`, ...). Matroska is recognised but not measured.
    pub fn codecs(self) -> &'static [&'static str] {
        match self {
            Container::Wav => &[
                "pcm_u8",
                "pcm_s*",
                "pcm_f*",
                "pcm_alaw",
                "pcm_mulaw",
                "adpcm_ima_wav",
                "adpcm_ms",
                "adpcm_g726",
                "mp2",
                "mp3",
            ],
            Container::Aiff => &[
                "pcm_s*",
                "pcm_u8",
                "pcm_f*",
                "pcm_alaw",
                "pcm_mulaw",
                "adpcm_ima_qt",
            ],
            Container::Flac => &["flac"],
            Container::MpegAudio => &["mp3", "mp2", "mp1"],
            Container::Adts => &["aac"],
            Container::Ogg => &["vorbis", "opus", "flac", "speex"],
            Container::IsoBmff => &[
                "aac",
                "mp3",
                "alac",
                "flac",
                "opus",
                "vorbis",
                "ac3",
                "eac3",
                "ac4",
                "dts",
                "amr_nb",
                "amr_wb",
                "mpegh_3d_audio",
                "pcm_*",
                "h264",
                "hevc",
                "vvc",
                "av1",
                "vp8",
                "vp9",
                "mpeg4",
                "mpeg2video",
                "mpeg1video",
                "mjpeg",
                "h263",
                "prores",
            ],
            Container::Matroska => &[],
            Container::Png => &["png"],
            Container::Jpeg => &["jpeg"],
            Container::Gif => &["gif"],
            Container::Bmp => &["bmp"],
            Container::WebP => &["webp"],
            Container::Tiff => &["tiff"],
        }
    }

    /// Lower-case name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Container::Wav => "WAV",
            Container::Aiff => "AIFF",
            Container::Flac => "FLAC",
            Container::MpegAudio => "MPEG audio (MP3)",
            Container::Adts => "AAC (ADTS)",
            Container::Ogg => "Ogg",
            Container::IsoBmff => "MP4/MOV",
            Container::Matroska => "Matroska/WebM",
            Container::Png => "PNG",
            Container::Jpeg => "JPEG",
            Container::Gif => "GIF",
            Container::Bmp => "BMP",
            Container::WebP => "WebP",
            Container::Tiff => "TIFF",
        }
    }
}

/// What an extension stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionKind {
    /// A media file expected to hold this container.
    Media(MediaKind, Container),
    /// `.req.json`: an API-request stimulus.
    ApiRequest,
    /// `.js`: an embedded stimulus.
    Embedded,
}

impl ExtensionKind {
    /// The media kind the extension promises.
    pub fn media(self) -> MediaKind {
        match self {
            ExtensionKind::Media(m, _) => m,
            ExtensionKind::ApiRequest => MediaKind::ApiRequest,
            ExtensionKind::Embedded => MediaKind::Embedded,
        }
    }
}

/// Every extension accepted as a stimulus, lower-case, with what it promises.
pub const EXTENSIONS: &[(&str, ExtensionKind)] = {
    use Container::*;
    use ExtensionKind::Media;
    use MediaKind::{Audio, Image, Video};
    &[
        ("wav", Media(Audio, Wav)),
        ("wave", Media(Audio, Wav)),
        ("aif", Media(Audio, Aiff)),
        ("aiff", Media(Audio, Aiff)),
        ("aifc", Media(Audio, Aiff)),
        ("flac", Media(Audio, Flac)),
        ("mp3", Media(Audio, MpegAudio)),
        ("mp2", Media(Audio, MpegAudio)),
        ("aac", Media(Audio, Adts)),
        ("ogg", Media(Audio, Ogg)),
        ("oga", Media(Audio, Ogg)),
        ("opus", Media(Audio, Ogg)),
        ("m4a", Media(Audio, IsoBmff)),
        ("png", Media(Image, Png)),
        ("jpg", Media(Image, Jpeg)),
        ("jpeg", Media(Image, Jpeg)),
        ("gif", Media(Image, Gif)),
        ("bmp", Media(Image, Bmp)),
        ("webp", Media(Image, WebP)),
        ("tif", Media(Image, Tiff)),
        ("tiff", Media(Image, Tiff)),
        ("mp4", Media(Video, IsoBmff)),
        ("m4v", Media(Video, IsoBmff)),
        ("mov", Media(Video, IsoBmff)),
        ("req.json", ExtensionKind::ApiRequest),
        ("js", ExtensionKind::Embedded),
    ]
};

/// What a (lower-case) extension stands for, if it is a stimulus extension.
pub fn extension_kind(ext: &str) -> Option<ExtensionKind> {
    EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, k)| *k)
}

/// How many bytes [`sniff`] wants to see.
pub const SNIFF_LEN: usize = 64;

/// The container a file's first bytes show, if any. An ID3v2 tag must already be skipped.
pub fn sniff(head: &[u8]) -> Option<Container> {
    let at = |i: usize, magic: &[u8]| head.get(i..i + magic.len()) == Some(magic);
    if (at(0, b"RIFF") || at(0, b"RIFX") || at(0, b"RF64") || at(0, b"BW64")) && at(8, b"WAVE") {
        return Some(Container::Wav);
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Some(Container::Aiff);
    }
    if at(0, b"fLaC") {
        return Some(Container::Flac);
    }
    if at(0, b"OggS") {
        return Some(Container::Ogg);
    }
    if at(4, b"ftyp")
        || at(4, b"moov")
        || at(4, b"mdat")
        || at(4, b"wide")
        || at(4, b"free")
        || at(4, b"skip")
    {
        return Some(Container::IsoBmff);
    }
    if at(0, &[0x1a, 0x45, 0xdf, 0xa3]) {
        return Some(Container::Matroska);
    }
    // Images by the image prober's own signatures (a BMP also needs its DIB header in view).
    match crate::probe::image::sniff_image(head) {
        Some(Container::Bmp) if head.len() < 26 => {}
        Some(f) => return Some(f),
        None => {}
    }
    if let [0xff, b1, ..] = head {
        if b1 & 0xf6 == 0xf0 {
            return Some(Container::Adts);
        }
        // MPEG audio sync: 11 set bits, a valid version and a layer.
        if b1 & 0xe0 == 0xe0 && b1 & 0x18 != 0x08 && b1 & 0x06 != 0 {
            return Some(Container::MpegAudio);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_headers() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(Container::Wav));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Container::WebP));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(Container::IsoBmff));
        assert_eq!(sniff(&[0xff, 0xfb, 0x90, 0x64]), Some(Container::MpegAudio));
        assert_eq!(sniff(&[0xff, 0xf1, 0x50, 0x80]), Some(Container::Adts));
        assert_eq!(sniff(b"hello world"), None);
        assert_eq!(sniff(b""), None);
    }
}
