//! Findings across the stimuli of one source: loudness and leading silence that differ between
//! conditions (`--analyze`), and pictures whose shapes differ (every check).

use crate::options::CheckOptions;
use crate::report::{Code, Group, Issue, MediaKind, Role, Stimulus};

/// The file name of a stimulus, as messages about a source name its members.
fn name(s: &Stimulus) -> &str {
    s.path.rsplit('/').next().unwrap_or(&s.path)
}

/// Findings about each source's stimuli together; `locate` turns a source id into the path
/// findings name.
pub fn check_groups(groups: &[Group], opts: &CheckOptions, locate: &dyn Fn(&str) -> String) -> Vec<Issue> {
    let mut out = Vec::new();
    for g in groups {
        if let Some(a) = &opts.analyze {
            out.extend(loudness(g, a, locate));
            out.extend(silence(g, a, locate));
        }
        out.extend(aspect_ratios(g, locate));
    }
    out
}

fn loudness(g: &Group, opts: &super::AnalyzeOptions, locate: &dyn Fn(&str) -> String) -> Option<Issue> {
    let measured: Vec<(&Stimulus, f64)> = g
        .stimuli
        .iter()
        .filter(|s| s.media == MediaKind::Audio)
        .filter_map(|s| Some((s, s.levels.loudness_lufs?)))
        .collect();
    let (loud, max) = measured.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let (quiet, min) = measured.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    if max - min <= opts.loudness_tolerance_lu {
        return None;
    }
    // Align to the target if given, else to the reference (it should stay as recorded), else
    // to the quietest (only cuts: nothing can clip).
    let reference = measured.iter().find(|(s, _)| s.role == Role::Reference);
    let (level, to) = match (opts.target_lufs, reference) {
        (Some(t), _) => (t, format!("the target ({t:.1} LUFS)")),
        (None, Some((s, l))) => (*l, format!("the reference {} ({l:.1} LUFS)", name(s))),
        (None, None) => (min, format!("the quietest ({min:.1} LUFS)")),
    };
    let gains: Vec<String> = measured
        .iter()
        .filter(|(_, l)| ((level - l) * 10.0).round() != 0.0)
        .map(|(s, l)| format!("{} {:+.1} dB", name(s), level - l))
        .collect();
    // Audio the decoder cannot read (Opus) has no loudness: say so rather than leave it out.
    let unmeasured: Vec<&str> = g
        .stimuli
        .iter()
        .filter(|s| s.media == MediaKind::Audio && s.levels.loudness_lufs.is_none())
        .map(name)
        .collect();
    let unmeasured = match unmeasured.as_slice() {
        [] => String::new(),
        names => format!(" (not measured: {})", names.join(", ")),
    };
    Some(Issue::warning(
        Code::LoudnessMismatch,
        locate(&g.id),
        format!(
            "the conditions differ by {:.1} LU in loudness (more than {:.1}): loudest {} ({max:.1} LUFS), \
             quietest {} ({min:.1} LUFS); listeners prefer the louder one whatever its quality. \
             To align them to {to}, apply: {}{unmeasured}",
            max - min,
            opts.loudness_tolerance_lu,
            name(loud),
            name(quiet),
            gains.join(", ")
        ),
    ))
}

fn silence(g: &Group, opts: &super::AnalyzeOptions, locate: &dyn Fn(&str) -> String) -> Option<Issue> {
    let measured: Vec<(&Stimulus, f64)> = g
        .stimuli
        .iter()
        .filter(|s| s.media == MediaKind::Audio)
        .filter_map(|s| Some((s, s.levels.leading_silence_s?)))
        .collect();
    let (late, max) = measured.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let (early, min) = measured.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    if max - min <= opts.silence_tolerance_s {
        return None;
    }
    Some(Issue::warning(
        Code::SilenceMismatch,
        locate(&g.id),
        format!(
            "the conditions start after different lengths of silence: {} after {:.0} ms, {} after {:.0} ms \
             (a difference over {:.0} ms that listeners hear as an offset when they switch). Trim or pad \
             them to start together",
            name(late),
            max * 1000.0,
            name(early),
            min * 1000.0,
            opts.silence_tolerance_s * 1000.0
        ),
    ))
}

/// Pictures of one source whose width:height differ by more than this factor.
const ASPECT_TOLERANCE: f64 = 1.01;

fn aspect_ratios(g: &Group, locate: &dyn Fn(&str) -> String) -> Option<Issue> {
    let shapes: Vec<(&Stimulus, f64, u32, u32)> = g
        .stimuli
        .iter()
        .filter(|s| matches!(s.media, MediaKind::Image | MediaKind::Video))
        .filter_map(|s| {
            let (mut w, mut h) = (s.reading.width?, s.reading.height?);
            // EXIF orientations 5 to 8 turn the picture a quarter: browsers show it h x w.
            if matches!(s.details.orientation, Some(5..=8)) {
                (w, h) = (h, w);
            }
            (w > 0 && h > 0).then(|| (s, f64::from(w) / f64::from(h), w, h))
        })
        .collect();
    let widest = shapes.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let narrowest = shapes.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    if widest.1 / narrowest.1 <= ASPECT_TOLERANCE {
        return None;
    }
    let shown = |(s, r, w, h): &(&Stimulus, f64, u32, u32)| format!("{} {w}x{h} ({r:.2}:1)", name(s));
    Some(Issue::warning(
        Code::MixedAspectRatios,
        locate(&g.id),
        format!(
            "the pictures of one source have different shapes ({} and {}): shown side by side or one after \
             another, one is letterboxed or cropped. Crop them to one aspect ratio",
            shown(widest),
            shown(narrowest)
        ),
    ))
}
