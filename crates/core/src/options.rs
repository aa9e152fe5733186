//! What a check is asked to do: experiment type, reference and anchor names, strictness.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::report::MediaKind;

/// The file name (without extension) of a source's reference, unless told otherwise.
pub const DEFAULT_REFERENCE: &str = "reference";

/// How many rated conditions a MUSHRA page shows at once (anchors and the hidden reference
/// count, the explicit reference does not).
pub const MUSHRA_MAX_RATED: usize = 9;

/// The anchor names a MUSHRA set is read with when no `--anchor` is given (`*` at the end
/// matches any rest; letter case does not matter): `anchor*`, and the standard's low-pass
/// anchors `lowpass*`, `lp35` (3.5 kHz) and `lp70` (7 kHz).
pub const DEFAULT_ANCHORS: &[&str] = &["anchor*", "lowpass*", "lp35", "lp70"];

/// Durations within one source may differ by this fraction before it is worth a warning.
pub const DEFAULT_DURATION_TOLERANCE: f64 = 0.10;

/// Options of a check. Build with `CheckOptions::default()` and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    /// Apply the rules of this experiment type.
    pub experiment: Option<ExperimentType>,
    /// File name (without extension) of the reference condition.
    pub reference: String,
    /// File names (without extension) of the anchor conditions. Empty: the names in
    /// [`DEFAULT_ANCHORS`] are anchors, and none is required.
    pub anchors: Vec<String>,
    /// Turn warnings into errors.
    pub strict: bool,
    /// The verdict is the one `stimpack pack` gives (the default, so `check` and `pack` always
    /// agree): problems that packing repairs (a wrapping folder, zip names without the UTF-8
    /// flag) are warnings. Set it to false for an input that will be used as it is (a zip
    /// uploaded without re-packing): then they are errors.
    pub repack: bool,
    /// Relative duration difference inside one source before it is a warning.
    pub duration_tolerance: f64,
    /// Worker threads for probing; 0 means one per core. `pack` reads its sources with two
    /// threads, or one when this is 1.
    pub threads: usize,
    /// Also decode every audio file completely (slower) to prove its stream is decodable.
    pub decode: bool,
    /// Read hosted files (URL lists) through this opener, as `check --online` does; `None`
    /// (the default): URLs are checked offline, from their names.
    pub online: Option<crate::remote::Online>,
    /// Also measure loudness, peaks, clipping, silence and DC in the decoded audio, with these
    /// thresholds (`None`: off). Decoding for it also does what [`CheckOptions::decode`] does.
    pub analyze: Option<crate::analyze::AnalyzeOptions>,
    /// The platform whose rules the report also gets ([`Platform::apply_rules`]); Mabyduck's
    /// add none.
    ///
    /// [`Platform::apply_rules`]: crate::Platform::apply_rules
    pub platform: crate::Platform,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            experiment: None,
            reference: DEFAULT_REFERENCE.to_string(),
            anchors: Vec::new(),
            strict: false,
            repack: true,
            duration_tolerance: DEFAULT_DURATION_TOLERANCE,
            threads: 0,
            decode: false,
            online: None,
            analyze: None,
            platform: crate::Platform::Mabyduck,
        }
    }
}

impl CheckOptions {
    /// Applies the rules of an experiment type.
    pub fn with_experiment(mut self, experiment: Option<ExperimentType>) -> Self {
        self.experiment = experiment;
        self
    }

    /// Sets the reference's file name (without extension).
    pub fn with_reference(mut self, name: impl Into<String>) -> Self {
        self.reference = name.into();
        self
    }

    /// Sets the anchors' file names (without extension).
    pub fn with_anchors(mut self, names: Vec<String>) -> Self {
        self.anchors = names;
        self
    }

    /// Turns warnings into errors.
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Whether the input will be re-packed or used as it is (see [`CheckOptions::repack`]).
    pub fn with_repack(mut self, repack: bool) -> Self {
        self.repack = repack;
        self
    }

    /// Also decodes every audio file completely (see [`CheckOptions::decode`]).
    pub fn with_decode(mut self, decode: bool) -> Self {
        self.decode = decode;
        self
    }

    /// Reads hosted files through an opener (see [`CheckOptions::online`]).
    pub fn with_online(mut self, online: Option<crate::remote::Online>) -> Self {
        self.online = online;
        self
    }

    /// Whether URL lists may point at loopback and private networks (online, when allowed).
    pub(crate) fn allow_private_urls(&self) -> bool {
        self.online.as_ref().is_some_and(|o| o.allow_private())
    }

    /// Also analyses every audio file's decoded signal (see [`CheckOptions::analyze`]).
    pub fn with_analyze(mut self, analyze: Option<crate::analyze::AnalyzeOptions>) -> Self {
        self.analyze = analyze;
        self
    }

    /// Also applies the rules of `platform` (formats it takes, sizes, ...).
    pub fn with_platform(mut self, platform: crate::Platform) -> Self {
        self.platform = platform;
        self
    }

    /// Sets the number of probing threads (0: one per core).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// The role a condition plays: the reference, an anchor ([`CheckOptions::is_anchor`]), or a
    /// condition rated against them.
    pub fn role_of(&self, condition: &str) -> crate::report::Role {
        use crate::report::Role;
        if condition == self.reference {
            Role::Reference
        } else if self.is_anchor(condition) {
            Role::Anchor
        } else {
            Role::Condition
        }
    }

    /// Whether a condition is an anchor: one of the names given, or, when none was given,
    /// one matching [`DEFAULT_ANCHORS`].
    pub fn is_anchor(&self, condition: &str) -> bool {
        if !self.anchors.is_empty() {
            return self.anchors.iter().any(|a| a == condition);
        }
        let name = condition.to_lowercase();
        DEFAULT_ANCHORS
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == *pattern,
            })
    }
}

/// Mabyduck's experiment types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum ExperimentType {
    AcrAudio,
    AcrVideo,
    AcrImage,
    MultiAcrEmbed,
    MultiAcrVideo,
    BinaryAudio,
    BinaryImage,
    BinaryVideo,
    InpaintingImage,
    Mushra,
    PairwiseImage,
}

impl ExperimentType {
    /// Every type, in the platform's order.
    pub const ALL: &'static [ExperimentType] = &[
        ExperimentType::AcrAudio,
        ExperimentType::AcrVideo,
        ExperimentType::AcrImage,
        ExperimentType::MultiAcrEmbed,
        ExperimentType::MultiAcrVideo,
        ExperimentType::BinaryAudio,
        ExperimentType::BinaryImage,
        ExperimentType::BinaryVideo,
        ExperimentType::InpaintingImage,
        ExperimentType::Mushra,
        ExperimentType::PairwiseImage,
    ];

    /// The platform's name for the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentType::AcrAudio => "acr_audio",
            ExperimentType::AcrVideo => "acr_video",
            ExperimentType::AcrImage => "acr_image",
            ExperimentType::MultiAcrEmbed => "multi_acr_embed",
            ExperimentType::MultiAcrVideo => "multi_acr_video",
            ExperimentType::BinaryAudio => "binary_audio",
            ExperimentType::BinaryImage => "binary_image",
            ExperimentType::BinaryVideo => "binary_video",
            ExperimentType::InpaintingImage => "inpainting_image",
            ExperimentType::Mushra => "mushra",
            ExperimentType::PairwiseImage => "pairwise_image",
        }
    }

    /// The media kind every stimulus must have.
    pub fn media(self) -> MediaKind {
        match self {
            ExperimentType::AcrAudio | ExperimentType::BinaryAudio | ExperimentType::Mushra => {
                MediaKind::Audio
            }
            ExperimentType::AcrImage
            | ExperimentType::BinaryImage
            | ExperimentType::InpaintingImage
            | ExperimentType::PairwiseImage => MediaKind::Image,
            ExperimentType::AcrVideo | ExperimentType::MultiAcrVideo | ExperimentType::BinaryVideo => {
                MediaKind::Video
            }
            ExperimentType::MultiAcrEmbed => MediaKind::Embedded,
        }
    }

    /// The fewest conditions a source needs (pairwise comparisons need two).
    pub fn min_conditions(self) -> usize {
        match self {
            ExperimentType::BinaryAudio
            | ExperimentType::BinaryImage
            | ExperimentType::BinaryVideo
            | ExperimentType::PairwiseImage => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for ExperimentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An experiment type name that Mabyduck does not have.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown experiment type '{0}'; use one of: {list}", list = ExperimentType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnknownExperiment(pub String);

impl FromStr for ExperimentType {
    type Err = UnknownExperiment;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExperimentType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownExperiment(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_anchor_names_and_their_boundaries() {
        let opts = CheckOptions::default();
        for yes in [
            "anchor",
            "anchor_35",
            "Anchor2",
            "lowpass",
            "lowpass_7k",
            "LP35",
            "lp70",
        ] {
            assert!(opts.is_anchor(yes), "{yes}");
        }
        for no in ["low", "ancho", "lp3", "lp350", "lp7", "my_anchor", "reference"] {
            assert!(!opts.is_anchor(no), "{no}");
        }
    }

    #[test]
    fn named_anchors_replace_the_default_names() {
        let opts = CheckOptions::default().with_anchors(vec!["low".into()]);
        assert!(opts.is_anchor("low"));
        assert!(!opts.is_anchor("anchor"));
        assert!(!opts.is_anchor("lp35"));
    }
}
