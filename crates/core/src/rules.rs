//! Rules over whole sources and the whole dataset, once every stimulus has been probed:
//! mixed media, inconsistent readings inside a source, missing conditions, experiment rules.

use std::collections::{BTreeMap, BTreeSet};

use crate::options::{CheckOptions, ExperimentType, MUSHRA_MAX_RATED};
use crate::report::{Code, Group, Issue, MediaKind, Role, Stimulus};

/// Every rule, over all groups.
pub fn check_groups(groups: &[Group], opts: &CheckOptions) -> Vec<Issue> {
    let mut issues = Vec::new();
    if groups.iter().all(|g| g.stimuli.is_empty()) {
        issues.push(Issue::error(
            Code::NoStimuli,
            None,
            "the dataset has no stimuli. Put each source in its own folder with one file per condition, \
             like source_1/condition_a.wav",
        ));
    }
    for group in groups {
        mixed_media(group, &mut issues);
        consistency(group, opts, &mut issues);
        if let Some(experiment) = opts.experiment {
            experiment_rules(group, experiment, opts, &mut issues);
        }
    }
    missing_conditions(groups, &mut issues);
    issues
}

fn mixed_media(group: &Group, issues: &mut Vec<Issue>) {
    let kinds: BTreeSet<MediaKind> = group.stimuli.iter().map(|s| s.media).collect();
    if kinds.len() > 1 {
        let counts: Vec<String> = kinds
            .iter()
            .map(|k| {
                format!(
                    "{} {}",
                    group.stimuli.iter().filter(|s| s.media == *k).count(),
                    k.as_str()
                )
            })
            .collect();
        issues.push(Issue::error(
            Code::MixedMedia,
            group.id.clone(),
            format!(
                "the source mixes media kinds ({}); its files are shown together, so they must all be one kind. \
                 Move the odd ones to another source",
                counts.join(", ")
            ),
        ));
    }
}

/// Lists the distinct values of a reading with the files that have each.
fn spread<T: Ord + std::fmt::Display>(
    group: &Group,
    value: impl Fn(&Stimulus) -> Option<T>,
) -> Option<String> {
    let mut by_value: BTreeMap<T, Vec<&str>> = BTreeMap::new();
    for s in &group.stimuli {
        if let Some(v) = value(s) {
            by_value.entry(v).or_default().push(&s.condition);
        }
    }
    (by_value.len() > 1).then(|| {
        by_value
            .iter()
            .map(|(v, names)| format!("{v}: {}", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn consistency(group: &Group, opts: &CheckOptions, issues: &mut Vec<Issue>) {
    let audio = |s: &Stimulus| s.media == MediaKind::Audio || s.media == MediaKind::Video;
    // Opus always decodes at 48 kHz whatever it was made from, so it is left out of the comparison.
    let rate = |s: &Stimulus| {
        s.sample_rate
            .filter(|_| audio(s) && s.codec.as_deref() != Some("opus"))
    };
    if let Some(list) = spread(group, |s| rate(s).map(|r| format!("{r} Hz"))) {
        issues.push(Issue::warning(
            Code::MixedSampleRates,
            group.id.clone(),
            format!("different sample rates in one source ({list}); listeners may hear the difference. Resample to one rate"),
        ));
    }
    if let Some(list) = spread(group, |s| {
        s.channels.filter(|_| audio(s)).map(|c| format!("{c} ch"))
    }) {
        issues.push(Issue::warning(
            Code::MixedChannels,
            group.id.clone(),
            format!("different channel counts in one source ({list}). Convert them to the same layout"),
        ));
    }
    if let Some(list) = spread(group, |s| match (s.media, s.width, s.height) {
        (MediaKind::Image, Some(w), Some(h)) => Some(format!("{w}x{h}")),
        _ => None,
    }) {
        issues.push(Issue::warning(
            Code::MixedImageSizes,
            group.id.clone(),
            format!("images of different sizes in one source ({list}). Scale them to one size"),
        ));
    }
    let timed: Vec<(&str, f64)> = group
        .stimuli
        .iter()
        .filter(|s| matches!(s.media, MediaKind::Audio | MediaKind::Video))
        .filter_map(|s| Some((s.condition.as_str(), s.duration_s?)))
        .collect();
    let shortest = timed.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let longest = timed.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(&(short_name, short)), Some(&(long_name, long))) = (shortest, longest) {
        if long > 0.0 && (long - short) / long > opts.duration_tolerance {
            issues.push(Issue::warning(
                Code::DurationMismatch,
                group.id.clone(),
                format!(
                    "durations differ by more than {:.0}%: '{short_name}' is {short:.3} s, '{long_name}' is {long:.3} s. \
                     Trim them to the same length",
                    opts.duration_tolerance * 100.0
                ),
            ));
        }
    }
}

/// Conditions that more than half of the sources have.
fn missing_conditions(groups: &[Group], issues: &mut Vec<Issue>) {
    let groups: Vec<&Group> = groups.iter().filter(|g| !g.stimuli.is_empty()).collect();
    if groups.len() < 3 {
        return;
    }
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &groups {
        let names: BTreeSet<&str> = g.stimuli.iter().map(|s| s.condition.as_str()).collect();
        for n in names {
            *count.entry(n).or_default() += 1;
        }
    }
    let common: Vec<&str> = count
        .iter()
        .filter(|(_, n)| **n * 2 > groups.len())
        .map(|(c, _)| *c)
        .collect();
    for g in groups {
        let missing: Vec<&str> = common
            .iter()
            .copied()
            .filter(|c| !g.stimuli.iter().any(|s| s.condition == *c))
            .collect();
        if !missing.is_empty() {
            issues.push(Issue::warning(
                Code::MissingConditions,
                g.id.clone(),
                format!(
                    "lacks condition{} {} that most other sources have. Add the file{} or check the names",
                    if missing.len() == 1 { "" } else { "s" },
                    missing
                        .iter()
                        .map(|m| format!("'{m}'"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if missing.len() == 1 { "" } else { "s" },
                ),
            ));
        }
    }
}

fn experiment_rules(group: &Group, experiment: ExperimentType, opts: &CheckOptions, issues: &mut Vec<Issue>) {
    let want = experiment.media();
    for s in group.stimuli.iter().filter(|s| s.media != want) {
        issues.push(Issue::warning(
            Code::WrongMediaForExperiment,
            s.path.clone(),
            format!(
                "{experiment} takes {} stimuli, this is {}",
                want.as_str(),
                s.media.as_str()
            ),
        ));
    }
    if want == MediaKind::Video {
        for s in group.stimuli.iter().filter(|s| s.media == MediaKind::Video) {
            let mp4 = matches!(s.format.as_str(), "mp4" | "m4v");
            if !mp4 {
                issues.push(Issue::warning(
                    Code::VideoNotMp4,
                    s.path.clone(),
                    format!(
                        "{experiment} plays MP4 video; this is {}. Re-encode it as H.264 MP4",
                        s.format
                    ),
                ));
            } else if s.url.is_some() && s.fragmented == Some(false) {
                issues.push(Issue::warning(
                    Code::VideoNotMp4,
                    s.path.clone(),
                    "self-hosted video must be fragmented MP4. Re-mux with \
                     ffmpeg -movflags +frag_keyframe+empty_moov+default_base_moof",
                ));
            }
        }
    }
    let conditions = group.stimuli.len();
    if conditions < experiment.min_conditions() {
        issues.push(Issue::warning(
            Code::TooFewConditions,
            group.id.clone(),
            format!(
                "{experiment} compares at least {} conditions per source; this source has {conditions}",
                experiment.min_conditions()
            ),
        ));
    }
    if experiment == ExperimentType::Mushra {
        if !group.stimuli.iter().any(|s| s.role == Role::Reference) {
            issues.push(Issue::warning(
                Code::MissingReference,
                group.id.clone(),
                format!(
                    "no reference: MUSHRA needs a file named '{}.*' in every source (set another name with --reference)",
                    opts.reference
                ),
            ));
        }
        for anchor in &opts.anchors {
            if !group.stimuli.iter().any(|s| &s.condition == anchor) {
                issues.push(Issue::warning(
                    Code::MissingAnchor,
                    group.id.clone(),
                    format!(
                        "no anchor '{anchor}.*'; the platform can generate one by low-pass filtering the reference, \
                         or add the file"
                    ),
                ));
            }
        }
        // The explicit reference is not rated; anchors and the hidden reference are.
        let rated = group.stimuli.iter().filter(|s| s.role != Role::Reference).count()
            + usize::from(group.stimuli.iter().any(|s| s.role == Role::Reference));
        if rated > MUSHRA_MAX_RATED {
            issues.push(Issue::warning(
                Code::ConditionsSubsampled,
                group.id.clone(),
                format!(
                    "{rated} rated conditions (anchors and the hidden reference included); MUSHRA shows at most \
                     {MUSHRA_MAX_RATED} at once, so each trial shows a random subset"
                ),
            ));
        }
    }
}
