//! What browsers cannot play, from the headers alone (so in every check): WAV codecs (the one
//! codec x browser table is [`WAV_CODECS`]), H.264 profiles and pixel formats beyond what
//! browsers decode, HEVC, CMYK JPEGs, ICC profiles other than sRGB and EXIF rotation.

use std::io::{Read, Seek};

use serde::{Deserialize, Serialize};

use super::{avc, picture};
use crate::probe::{Finding, Reading, mp4};
use crate::report::{Code, MediaKind, Severity};

/// Header facts beyond the basic readings, shown in the report (flattened into the stimulus
/// record; null where they do not apply or the headers do not say).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MediaDetails {
    /// Video: the codec of its first audio track, ffprobe-style (`aac`, `mp3`, `opus`).
    pub audio_codec: Option<String>,
    /// Video: the codec profile (`High`, `High 10`, `High 4:4:4 Predictive`, `Main 10`).
    pub profile: Option<String>,
    /// Video: the pixel format, ffprobe-style (`yuv420p`, `yuv444p`, `yuv420p10le`).
    pub pixel_format: Option<String>,
    /// Video: whether its frame durations vary (from the sample table; null for fragmented
    /// files and codecs other than H.264 and HEVC).
    pub variable_frame_rate: Option<bool>,
    /// Image: the colour type (`gray`, `gray_alpha`, `rgb`, `rgba`, `palette`, `ycbcr`, `cmyk`,
    /// `ycck`).
    pub color: Option<String>,
    /// Image: bits per sample.
    pub bit_depth: Option<u32>,
    /// Image: the embedded ICC profile's description (`sRGB` for a PNG `sRGB` chunk).
    pub icc_profile: Option<String>,
    /// Image: the EXIF orientation (1 is upright; 6 and 8 are quarter turns).
    pub orientation: Option<u32>,
}

/// Whether a browser plays something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// It plays.
    Yes,
    /// It refuses (a media error).
    No,
    /// Not established.
    Unknown,
}

use Support::{No, Unknown, Yes};

/// Which browsers play which codec in a WAV file: (codec as in reports, Chromium (Chrome, Edge),
/// Firefox, Safari). The one place this is written; the README shows the same table (a test
/// keeps them in step). Chromium's column was measured (IMA ADPCM fails with media error 4,
/// A-law, float and MP3-in-WAV play); Firefox's WAV reader takes only PCM, A-law and µ-law.
/// A codec not listed is taken as Chromium unknown, Firefox no, Safari unknown.
pub const WAV_CODECS: &[(&str, Support, Support, Support)] = &[
    ("pcm_u8", Yes, Yes, Yes),
    ("pcm_s16le", Yes, Yes, Yes),
    ("pcm_s24le", Yes, Yes, Yes),
    ("pcm_s32le", Yes, Yes, Yes),
    ("pcm_f32le", Yes, Yes, Yes),
    ("pcm_alaw", Yes, Yes, Yes),
    ("pcm_mulaw", Yes, Yes, Yes),
    ("mp3", Yes, No, Unknown),
    ("adpcm_ima_wav", No, No, Unknown),
    ("adpcm_ms", No, No, Unknown),
    ("gsm_ms", No, No, Unknown),
    ("adpcm_g726", No, No, Unknown),
];

/// The support of a WAV codec in (Chromium, Firefox, Safari).
pub fn wav_support(codec: &str) -> (Support, Support, Support) {
    WAV_CODECS
        .iter()
        .find(|(c, ..)| *c == codec)
        .map_or((Unknown, No, Unknown), |&(_, c, f, s)| (c, f, s))
}

/// Reads the details of a stimulus's headers and says what browsers will not play. `open`
/// gives the file's bytes and length; it is called only for pictures and video (audio is
/// judged from its readings), so a check of ten thousand WAVs opens no file twice.
pub fn inspect<R: Read + Seek>(
    media: MediaKind,
    reading: &Reading,
    open: impl FnOnce() -> std::io::Result<(R, u64)>,
) -> (MediaDetails, Vec<Finding>) {
    let mut details = MediaDetails::default();
    let mut findings = Vec::new();
    let file = match media {
        MediaKind::Image | MediaKind::Video => open().ok(),
        _ => None,
    };
    match (media, file) {
        (MediaKind::Audio, _) => findings.extend(wav_finding(reading)),
        (MediaKind::Video, Some((mut r, len))) => {
            let r = &mut r;
            if let Ok(info) = mp4::probe(r, len) {
                details.audio_codec = info
                    .tracks
                    .iter()
                    .find(|t| t.kind == mp4::TrackKind::Audio)
                    .map(|t| {
                        if t.codec.is_empty() {
                            t.codec_tag.trim().to_string()
                        } else {
                            t.codec.clone()
                        }
                    });
            }
            if let Some(cfg) = avc::video_config(r, len) {
                details.profile = Some(cfg.profile.clone());
                details.pixel_format = Some(cfg.pixel_format());
                details.variable_frame_rate = cfg.variable_frame_rate;
                findings.extend(video_finding(&cfg));
            }
        }
        (MediaKind::Image, Some((mut r, len))) => {
            let p = picture::inspect(&mut r, len);
            details.color = p.color.map(str::to_string);
            details.bit_depth = p.bit_depth;
            details.icc_profile = p.icc_profile;
            details.orientation = p.orientation;
            findings.extend(picture_findings(&details));
        }
        _ => {}
    }
    (details, findings)
}

/// The browsers of a (Chromium, Firefox, Safari) row with the support asked.
fn browsers(row: [Support; 3], want: Support) -> Vec<&'static str> {
    ["Chromium (Chrome, Edge)", "Firefox", "Safari"]
        .into_iter()
        .zip(row)
        .filter(|(_, s)| *s == want)
        .map(|(n, _)| n)
        .collect()
}

fn wav_finding(reading: &Reading) -> Option<Finding> {
    // The container as the probe read it from the bytes (RIFF, RIFX, RF64 and BW64 all read
    // as `wav`).
    if reading.format != "wav" {
        return None;
    }
    let codec = reading.codec.as_deref()?;
    let (c, f, s) = wav_support(codec);
    let refuse = browsers([c, f, s], No);
    if refuse.is_empty() {
        return None;
    }
    let play = browsers([c, f, s], Yes);
    let plays = if play.is_empty() {
        "no browser known to play it".to_string()
    } else {
        format!("it plays in {}", play.join(" and "))
    };
    let severity = if c == No {
        Severity::Error
    } else {
        Severity::Warning
    };
    let verb = if refuse.len() > 1 { "do" } else { "does" };
    Some(Finding {
        severity,
        code: Code::NotBrowserPlayable,
        message: format!(
            "{} {verb} not play {codec} audio in WAV ({plays}). Convert it to 16-bit PCM WAV, or to FLAC",
            refuse.join(" and ")
        ),
    })
}

fn video_finding(cfg: &avc::VideoConfig) -> Option<Finding> {
    let pix = cfg.pixel_format();
    match cfg.codec {
        "h264"
            if cfg.chroma_format > 1
                || cfg.bit_depth > 8
                || !matches!(cfg.profile_idc, 66 | 77 | 88 | 100) =>
        {
            Some(Finding::error(
                Code::NotBrowserPlayable,
                format!(
                    "H.264 {} with pixel format {pix}: browsers decode only 8-bit 4:2:0 H.264 \
                     (Baseline, Main, High) and refuse this video. Re-encode it with \
                     `-c:v libx264 -pix_fmt yuv420p -profile:v high`",
                    cfg.profile
                ),
            ))
        }
        "hevc" => Some(Finding {
            severity: Severity::Warning,
            code: Code::NotBrowserPlayable,
            message: format!(
                "HEVC ({} {pix}) plays in Safari, and in Chrome and Edge only where the hardware decodes it; \
                 Firefox does not play it. Re-encode it as H.264 (`-c:v libx264 -pix_fmt yuv420p`) for every browser",
                cfg.profile
            ),
        }),
        _ => None,
    }
}

fn picture_findings(d: &MediaDetails) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(c @ ("cmyk" | "ycck")) = d.color.as_deref() {
        out.push(Finding::error(
            Code::NotBrowserPlayable,
            format!(
                "a {} JPEG: browsers show CMYK pictures with wrong colours (or not at all), differently \
                 from one browser to another. Convert it to RGB (sRGB)",
                c.to_uppercase()
            ),
        ));
    }
    if let Some(p) = d.icc_profile.as_deref().filter(|p| !picture::is_srgb(p)) {
        out.push(Finding {
            severity: Severity::Warning,
            code: Code::NonSrgbProfile,
            message: format!(
                "the picture carries the colour profile '{p}', not sRGB: its colours differ between screens \
                 and browsers that manage colour and those that do not. Convert it to sRGB"
            ),
        });
    }
    if let Some(o) = d.orientation.filter(|&o| o != 1) {
        let how = match o {
            2 => "mirrored",
            3 => "turned 180°",
            4 => "flipped upside down",
            5 | 7 => "turned a quarter and mirrored",
            6 => "turned a quarter clockwise",
            8 => "turned a quarter anticlockwise",
            _ => "in an unknown orientation",
        };
        out.push(Finding {
            severity: Severity::Warning,
            code: Code::RotatedImage,
            message: format!(
                "the EXIF orientation is {o} ({how}): browsers turn the picture, other viewers and tools may \
                 not, so participants may see it otherwise than you. Apply the rotation to the pixels and \
                 drop the tag"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(s: Support) -> &'static str {
        match s {
            Yes => "yes",
            No => "no",
            Unknown => "?",
        }
    }

    /// The README's WAV codec x browser table is this module's, row for row.
    #[test]
    fn the_readme_table_is_wav_codecs() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        let rows: Vec<String> = readme
            .lines()
            .skip_while(|l| !l.starts_with("| WAV codec |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(str::to_string)
            .collect();
        let ours: Vec<String> = WAV_CODECS
            .iter()
            .map(|&(c, a, b, d)| format!("| `{c}` | {} | {} | {} |", mark(a), mark(b), mark(d)))
            .collect();
        assert_eq!(rows, ours);
    }

    /// Hostile headers: every prefix and many one-byte changes of every picture and video
    /// fixture (and of this module's own) are read without a panic.
    #[test]
    fn no_panic_sweep() {
        let mut all = Vec::new();
        for kind in ["image", "video", "analyze"] {
            let dir = crate::test_fixtures::fixture_path(kind);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| {
                    [".jpg", ".png", ".webp", ".mp4", ".mov", ".m4a"]
                        .iter()
                        .any(|x| n.ends_with(x))
                })
                .collect();
            names.sort();
            all.extend(names.into_iter().map(|n| format!("{kind}/{n}")));
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for path in &all {
            let b = crate::test_fixtures::fixture(path);
            let media = if path.ends_with(".mp4") || path.ends_with(".mov") || path.ends_with(".m4a") {
                MediaKind::Video
            } else {
                MediaKind::Image
            };
            let read = |bytes: Vec<u8>| {
                let len = bytes.len() as u64;
                inspect(media, &Reading::default(), || {
                    Ok((std::io::Cursor::new(bytes), len))
                })
            };
            for cut in (0..b.len()).step_by((b.len() / 40).max(1)) {
                read(b[..cut].to_vec());
            }
            for _ in 0..64 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut c = b.clone();
                let i = (seed % b.len() as u64) as usize;
                c[i] ^= (seed >> 56) as u8 | 1;
                read(c);
            }
        }
    }

    #[test]
    fn unlisted_wav_codecs_are_firefox_no() {
        assert_eq!(wav_support("wmav2"), (Unknown, No, Unknown));
        assert_eq!(wav_support("pcm_s16le"), (Yes, Yes, Yes));
    }
}
