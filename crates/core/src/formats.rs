//! What stimpack reads, for listings (`stimpack formats`) and for tools that want to know in
//! advance: a view of the internal tables, so a listing cannot drift from the code.

use crate::report::MediaKind;
use crate::sniff::{Container, EXTENSIONS, ExtensionKind};

/// One container format stimpack recognises by its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Format {
    /// Its name (`WAV`, `MPEG audio`, `MP4/MOV`, ...).
    pub name: &'static str,
    /// What stimuli of this format are; `None` for a format that is recognised and named in
    /// findings but not accepted as a stimulus.
    pub media: Option<MediaKind>,
    /// The extensions (lower-case, without the dot) a file of this format may have.
    pub extensions: Vec<&'static str>,
    /// The codecs read inside it, ffprobe's names; `*` stands for a bit depth and byte order
    /// (`pcm_s*` is `pcm_s16le`, `pcm_s24be`, ...).
    pub codecs: &'static [&'static str],
}

/// Everything stimpack reads: see [`supported_formats`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SupportedFormats {
    /// Media containers, in a stable order (audio, then images, then video).
    pub formats: Vec<Format>,
    /// Stimuli that are not media files, by extension: `req.json` ([`MediaKind::ApiRequest`])
    /// and `js` ([`MediaKind::Embedded`]).
    pub other: Vec<(&'static str, MediaKind)>,
}

impl SupportedFormats {
    /// Every stimulus extension, media or not.
    pub fn extensions(&self) -> impl Iterator<Item = &'static str> + '_ {
        let media = self.formats.iter().flat_map(|f| f.extensions.iter().copied());
        media.chain(self.other.iter().map(|(e, _)| *e))
    }
}

/// The formats, extensions and codecs stimpack reads.
///
/// ```
/// let all = stimpack_core::supported_formats();
/// assert!(all.extensions().any(|e| e == "wav"));
/// let wav = all.formats.iter().find(|f| f.extensions.contains(&"wav")).unwrap();
/// assert!(wav.codecs.contains(&"pcm_s*"));
/// ```
pub fn supported_formats() -> SupportedFormats {
    let formats = Container::ALL
        .iter()
        .map(|&c| {
            let of_c = || {
                EXTENSIONS.iter().filter_map(move |(e, k)| match k {
                    ExtensionKind::Media(m, kc) if *kc == c => Some((*e, *m)),
                    _ => None,
                })
            };
            Format {
                name: c.name(),
                media: of_c().map(|(_, m)| m).next(),
                extensions: of_c().map(|(e, _)| e).collect(),
                codecs: c.codecs(),
            }
        })
        .collect();
    let other = EXTENSIONS
        .iter()
        .filter(|(_, k)| !matches!(k, ExtensionKind::Media(..)))
        .map(|(e, k)| (*e, k.media()))
        .collect();
    SupportedFormats { formats, other }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_extension_is_listed_once() {
        let listed: Vec<_> = supported_formats().extensions().collect();
        let mut table: Vec<_> = EXTENSIONS.iter().map(|(e, _)| *e).collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        table.sort_unstable();
        assert_eq!(sorted, table);
    }
}
