//! Rules over whole sources and the whole dataset, once every stimulus has been probed:
//! mixed media, inconsistent readings inside a source, missing and misnamed conditions,
//! experiment rules.

use std::collections::{BTreeMap, BTreeSet};

use crate::layout::{list_paths, split_name};
use crate::options::{CheckOptions, ExperimentType, MUSHRA_MAX_RATED};
use crate::report::{Code, Group, Issue, MediaKind, Role, Severity, Stimulus};

/// Sources needed before conditions are compared across them (missing, misnamed, lone).
pub const MIN_SOURCES_TO_COMPARE: usize = 3;

/// Sources needed before a condition that only one of them has is flagged: with three, one
/// extra condition in one source is a common design (the demo has one).
pub const MIN_SOURCES_FOR_LONE: usize = 4;

/// A condition name this close to a missing one (edit distance, letter case ignored) is
/// suggested as its misspelling: at most this many edits ...
pub const NEAR_MISS_MAX_EDITS: usize = 2;

/// ... and at most one edit per this many characters of the longer name, so `a` is never
/// taken for `b`.
pub const NEAR_MISS_CHARS_PER_EDIT: usize = 3;

/// How many paths a grouped finding's message lists before "and N more" (the `paths` field
/// has them all).
const LISTED: usize = 10;

/// Every rule, over all groups; findings name paths inside the dataset.
pub fn check_groups(groups: &[Group], opts: &CheckOptions) -> Vec<Issue> {
    check_groups_in(groups, opts, &|p: &str| p.to_string())
}

/// Every rule, over all groups; `locate` turns a path inside the dataset into the path that
/// findings name (relative to the input, under a wrapping folder).
pub fn check_groups_in(groups: &[Group], opts: &CheckOptions, locate: &dyn Fn(&str) -> String) -> Vec<Issue> {
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
        mixed_media(group, locate, &mut issues);
        consistency(group, opts, locate, &mut issues);
    }
    if let Some(experiment) = opts.experiment {
        experiment_rules(groups, experiment, opts, locate, &mut issues);
    }
    compare_sources(groups, locate, &mut issues);
    issues
}

/// One finding for a problem found in one or more places. `places` are (path, detail) pairs;
/// one place gives a finding at that path with `one(detail)` as its message, several give one
/// finding with `path` empty, every path in `paths`, and `many(list, count)` as its message.
fn emit(
    issues: &mut Vec<Issue>,
    severity: Severity,
    code: Code,
    mut places: Vec<(String, String)>,
    one: impl FnOnce(&str) -> String,
    many: impl FnOnce(&str, usize) -> String,
) {
    places.sort();
    places.dedup();
    match places.as_slice() {
        [] => {}
        [(path, detail)] => issues.push(Issue::new(severity, code, path.clone(), one(detail))),
        _ => {
            let shown: Vec<String> = places
                .iter()
                .map(|(p, d)| {
                    if d.is_empty() {
                        p.clone()
                    } else {
                        format!("{p} ({d})")
                    }
                })
                .collect();
            let mut issue = Issue::new(
                severity,
                code,
                None,
                many(&list_paths(&shown, LISTED), places.len()),
            );
            issue.paths = places.into_iter().map(|(p, _)| p).collect();
            issues.push(issue);
        }
    }
}

/// Places without details.
fn bare(paths: Vec<String>) -> Vec<(String, String)> {
    paths.into_iter().map(|p| (p, String::new())).collect()
}

fn mixed_media(group: &Group, locate: &dyn Fn(&str) -> String, issues: &mut Vec<Issue>) {
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
            locate(&group.id),
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

fn consistency(group: &Group, opts: &CheckOptions, locate: &dyn Fn(&str) -> String, issues: &mut Vec<Issue>) {
    let audio = |s: &Stimulus| s.media == MediaKind::Audio || s.media == MediaKind::Video;
    // Opus always decodes at 48 kHz whatever it was made from, so it is left out of the comparison.
    let rate = |s: &Stimulus| {
        s.sample_rate
            .filter(|_| audio(s) && s.codec.as_deref() != Some("opus"))
    };
    if let Some(list) = spread(group, |s| rate(s).map(|r| format!("{r} Hz"))) {
        issues.push(Issue::warning(
            Code::MixedSampleRates,
            locate(&group.id),
            format!("different sample rates in one source ({list}); listeners may hear the difference. Resample to one rate"),
        ));
    }
    if let Some(list) = spread(group, |s| {
        s.channels.filter(|_| audio(s)).map(|c| format!("{c} ch"))
    }) {
        issues.push(Issue::warning(
            Code::MixedChannels,
            locate(&group.id),
            format!("different channel counts in one source ({list}). Convert them to the same layout"),
        ));
    }
    if let Some(list) = spread(group, |s| match (s.media, s.width, s.height) {
        (MediaKind::Image, Some(w), Some(h)) => Some(format!("{w}x{h}")),
        _ => None,
    }) {
        issues.push(Issue::warning(
            Code::MixedImageSizes,
            locate(&group.id),
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
                locate(&group.id),
                format!(
                    "durations differ by more than {:.0}%: '{short_name}' is {short:.3} s, '{long_name}' is {long:.3} s. \
                     Trim them to the same length",
                    opts.duration_tolerance * 100.0
                ),
            ));
        }
    }
}

/// Conditions compared across sources (only with [`MIN_SOURCES_TO_COMPARE`] sources or more):
/// a source that lacks a condition more than half of the sources have (with a suggestion when
/// it holds a similar name that fewer than half have), and conditions only one source has.
fn compare_sources(groups: &[Group], locate: &dyn Fn(&str) -> String, issues: &mut Vec<Issue>) {
    let groups: Vec<&Group> = groups.iter().filter(|g| !g.stimuli.is_empty()).collect();
    let n = groups.len();
    if n < MIN_SOURCES_TO_COMPARE {
        return;
    }
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &groups {
        let names: BTreeSet<&str> = g.stimuli.iter().map(|s| s.condition.as_str()).collect();
        for name in names {
            *count.entry(name).or_default() += 1;
        }
    }
    let common: Vec<&str> = count
        .iter()
        .filter(|(_, c)| **c * 2 > n)
        .map(|(name, _)| *name)
        .collect();
    // Conditions explained as a misspelling, so not flagged again as lone.
    let mut explained: BTreeSet<(&str, &str)> = BTreeSet::new();
    for g in &groups {
        let has = |c: &str| g.stimuli.iter().any(|s| s.condition == c);
        let missing: Vec<&str> = common.iter().copied().filter(|c| !has(c)).collect();
        if missing.is_empty() {
            continue;
        }
        // This source's names that fewer than half of the sources have: candidates for typos.
        let mut rare: Vec<&Stimulus> = g
            .stimuli
            .iter()
            .filter(|s| count[s.condition.as_str()] * 2 < n)
            .collect();
        rare.dedup_by(|a, b| a.condition == b.condition);
        let mut suggestions = Vec::new();
        let mut unexplained = Vec::new();
        for m in &missing {
            let best = rare
                .iter()
                .filter(|s| !explained.contains(&(g.id.as_str(), s.condition.as_str())))
                .filter_map(|s| near_miss(&s.condition, m).map(|d| (d, *s)))
                .min_by(|a, b| (a.0, &a.1.condition).cmp(&(b.0, &b.1.condition)));
            match best {
                Some((_, s)) => {
                    explained.insert((g.id.as_str(), s.condition.as_str()));
                    let file = s.path.rsplit('/').next().unwrap_or(&s.path);
                    let (_, ext) = split_name(file);
                    let dot = if ext.is_empty() { "" } else { "." };
                    suggestions.push(format!(
                        "did you mean {m}? {} is named '{}', which most sources lack: rename it to {m}{dot}{ext}",
                        locate(&s.path),
                        s.condition
                    ));
                }
                None => unexplained.push(*m),
            }
        }
        let plural = |v: &[&str]| if v.len() == 1 { "" } else { "s" };
        let quoted = missing
            .iter()
            .map(|m| format!("'{m}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut message = format!(
            "lacks condition{} {quoted} that most other sources have",
            plural(&missing)
        );
        for s in &suggestions {
            message.push_str("; ");
            message.push_str(s);
        }
        if !unexplained.is_empty() {
            message.push_str(&format!(
                ". Add the file{} or check the names",
                plural(&unexplained)
            ));
        }
        issues.push(Issue::warning(Code::MissingConditions, locate(&g.id), message));
    }
    lone_conditions(&groups, &count, &explained, locate, issues);
}

/// Conditions that only one source has, when most condition names are shared by several
/// sources (a dataset that names every file uniquely is not flagged file by file).
fn lone_conditions(
    groups: &[&Group],
    count: &BTreeMap<&str, usize>,
    explained: &BTreeSet<(&str, &str)>,
    locate: &dyn Fn(&str) -> String,
    issues: &mut Vec<Issue>,
) {
    let shared = count.values().filter(|c| **c >= 2).count();
    if groups.len() < MIN_SOURCES_FOR_LONE || shared * 2 <= count.len() {
        return;
    }
    let others = groups.len() - 1;
    for g in groups {
        let mut seen = BTreeSet::new();
        for s in &g.stimuli {
            let name = s.condition.as_str();
            if count[name] != 1 || explained.contains(&(g.id.as_str(), name)) || !seen.insert(name) {
                continue;
            }
            issues.push(Issue::warning(
                Code::LoneCondition,
                locate(&s.path),
                format!(
                    "condition '{name}' is only in this source; none of the other {others} sources has it. \
                     Check its name (a misspelt name makes a condition of its own), or nothing to do if it is meant"
                ),
            ));
        }
    }
}

/// The edit distance between two condition names (letter case ignored) when it is small enough
/// to suggest one for the other: at most [`NEAR_MISS_MAX_EDITS`], and at most one edit per
/// [`NEAR_MISS_CHARS_PER_EDIT`] characters of the longer name.
pub fn near_miss(a: &str, b: &str) -> Option<usize> {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let d = edit_distance(&a, &b);
    let longer = a.len().max(b.len());
    (d <= NEAR_MISS_MAX_EDITS && d * NEAR_MISS_CHARS_PER_EDIT <= longer).then_some(d)
}

/// Levenshtein distance (insertions, deletions, substitutions).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The rules of the named experiment type. The user named it, so a dataset that cannot run it
/// is an error (wrong media, no reference, too few conditions, video the platform cannot
/// play); what the platform works around (a missing anchor it generates, a random subset of
/// conditions) stays a warning. The same finding in several places is one finding.
fn experiment_rules(
    groups: &[Group],
    experiment: ExperimentType,
    opts: &CheckOptions,
    locate: &dyn Fn(&str) -> String,
    issues: &mut Vec<Issue>,
) {
    let want = experiment.media();
    let all = || groups.iter().flat_map(|g| g.stimuli.iter());

    let mut wrong: BTreeMap<MediaKind, Vec<String>> = BTreeMap::new();
    for s in all().filter(|s| s.media != want) {
        wrong.entry(s.media).or_default().push(locate(&s.path));
    }
    for (media, paths) in wrong {
        let (want, media) = (want.as_str(), media.as_str());
        emit(
            issues,
            Severity::Error,
            Code::WrongMediaForExperiment,
            bare(paths),
            |_| {
                format!(
                    "{experiment} takes {want} stimuli; this is {media}. Use {want} files, or name the right --experiment"
                )
            },
            |list, n| {
                format!(
                    "{experiment} takes {want} stimuli; {n} files are {media}: {list}. Use {want} files, or name the \
                     right --experiment"
                )
            },
        );
    }

    if want == MediaKind::Video {
        let mut not_mp4: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut not_fragmented = Vec::new();
        for s in all().filter(|s| s.media == MediaKind::Video) {
            if !matches!(s.format.as_str(), "mp4" | "m4v") {
                not_mp4
                    .entry(s.format.as_str())
                    .or_default()
                    .push(locate(&s.path));
            } else if s.url.is_some() && s.fragmented == Some(false) {
                not_fragmented.push(locate(&s.path));
            }
        }
        for (format, paths) in not_mp4 {
            emit(
                issues,
                Severity::Error,
                Code::VideoNotMp4,
                bare(paths),
                |_| format!("{experiment} plays MP4 video; this is {format}. Re-encode it as H.264 MP4"),
                |list, n| {
                    format!(
                        "{experiment} plays MP4 video; {n} files are {format}: {list}. Re-encode them as H.264 MP4"
                    )
                },
            );
        }
        let remux = "Re-mux with ffmpeg -movflags +frag_keyframe+empty_moov+default_base_moof";
        emit(
            issues,
            Severity::Error,
            Code::VideoNotMp4,
            bare(not_fragmented),
            |_| format!("self-hosted video must be fragmented MP4. {remux}"),
            |list, n| format!("self-hosted video must be fragmented MP4; {n} files are not: {list}. {remux}"),
        );
    }

    let min = experiment.min_conditions();
    let few: Vec<(String, String)> = groups
        .iter()
        .filter(|g| g.stimuli.len() < min)
        .map(|g| (locate(&g.id), g.stimuli.len().to_string()))
        .collect();
    emit(
        issues,
        Severity::Error,
        Code::TooFewConditions,
        few,
        |n| {
            format!(
                "{experiment} compares at least {min} conditions per source; this source has {n}. Add conditions"
            )
        },
        |list, n| {
            format!(
                "{experiment} compares at least {min} conditions per source; {n} sources have fewer (their count \
                 in brackets): {list}. Add conditions"
            )
        },
    );

    if experiment != ExperimentType::Mushra {
        return;
    }
    let without_reference: Vec<String> = groups
        .iter()
        .filter(|g| !g.stimuli.iter().any(|s| s.role == Role::Reference))
        .map(|g| locate(&g.id))
        .collect();
    let reference = &opts.reference;
    let every = groups.len();
    emit(
        issues,
        Severity::Error,
        Code::MissingReference,
        bare(without_reference),
        |_| {
            format!(
                "no reference: MUSHRA needs a file named '{reference}.*' in every source (set another name with \
                 --reference)"
            )
        },
        |list, n| {
            let which = if n == every {
                format!("none of the {n} sources has one")
            } else {
                format!("{n} sources have none: {list}")
            };
            format!(
                "no reference: MUSHRA needs a file named '{reference}.*' in every source, and {which}. Add the \
                 files, or set the reference's name with --reference"
            )
        },
    );
    for anchor in &opts.anchors {
        let without: Vec<String> = groups
            .iter()
            .filter(|g| !g.stimuli.iter().any(|s| &s.condition == anchor))
            .map(|g| locate(&g.id))
            .collect();
        let generate = "the platform can generate one by low-pass filtering the reference, or add the file";
        emit(
            issues,
            Severity::Warning,
            Code::MissingAnchor,
            bare(without),
            |_| format!("no anchor '{anchor}.*'; {generate}"),
            |list, n| format!("no anchor '{anchor}.*' in {n} sources: {list}; {generate}s"),
        );
    }
    // The explicit reference is not rated; anchors and the hidden reference are.
    let crowded: Vec<(String, String)> = groups
        .iter()
        .filter_map(|g| {
            let references = g.stimuli.iter().any(|s| s.role == Role::Reference);
            let rated =
                g.stimuli.iter().filter(|s| s.role != Role::Reference).count() + usize::from(references);
            (rated > MUSHRA_MAX_RATED).then(|| (locate(&g.id), rated.to_string()))
        })
        .collect();
    emit(
        issues,
        Severity::Warning,
        Code::ConditionsSubsampled,
        crowded,
        |rated| {
            format!(
                "{rated} rated conditions (anchors and the hidden reference included); MUSHRA shows at most \
                 {MUSHRA_MAX_RATED} at once, so each trial shows a random subset"
            )
        },
        |list, n| {
            format!(
                "{n} sources have more rated conditions than MUSHRA shows at once ({MUSHRA_MAX_RATED}; anchors and \
                 the hidden reference included, their count in brackets): {list}. Each trial shows a random subset"
            )
        },
    );
}
