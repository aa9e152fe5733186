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
#[cfg(test)]
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
        s.reading
            .sample_rate
            .filter(|_| audio(s) && s.reading.codec.as_deref() != Some("opus"))
    };
    if let Some(list) = spread(group, |s| rate(s).map(|r| format!("{r} Hz"))) {
        issues.push(Issue::warning(
            Code::MixedSampleRates,
            locate(&group.id),
            format!("different sample rates in one source ({list}); listeners may hear the difference. Resample to one rate"),
        ));
    }
    if let Some(list) = spread(group, |s| {
        s.reading.channels.filter(|_| audio(s)).map(|c| format!("{c} ch"))
    }) {
        issues.push(Issue::warning(
            Code::MixedChannels,
            locate(&group.id),
            format!("different channel counts in one source ({list}). Convert them to the same layout"),
        ));
    }
    if let Some(list) = spread(group, |s| match (s.media, s.reading.width, s.reading.height) {
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
        .filter_map(|s| Some((s.condition.as_str(), s.reading.duration_s?)))
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
            if !matches!(s.reading.format.as_str(), "mp4" | "m4v") {
                not_mp4
                    .entry(s.reading.format.as_str())
                    .or_default()
                    .push(locate(&s.path));
            } else if s.url.is_some() && s.reading.fragmented == Some(false) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::DEFAULT_DURATION_TOLERANCE;
    use crate::probe::Reading;

    fn stim(group: &str, condition: &str, media: MediaKind, role: Role) -> Stimulus {
        Stimulus {
            path: format!("{group}/{condition}.x"),
            group: group.to_string(),
            condition: condition.to_string(),
            role,
            media,
            reading: Reading {
                format: "x".into(),
                bytes: Some(1),
                ..Reading::default()
            },
            details: Default::default(),
            levels: Default::default(),
            url: None,
        }
    }

    /// Sources named s1, s2, ... with the conditions given (audio, role by name).
    fn groups(sources: &[&[&str]]) -> Vec<Group> {
        sources
            .iter()
            .enumerate()
            .map(|(i, conditions)| {
                let id = format!("s{}", i + 1);
                let stimuli = conditions
                    .iter()
                    .map(|c| {
                        let role = if *c == "reference" {
                            Role::Reference
                        } else {
                            Role::Condition
                        };
                        stim(&id, c, MediaKind::Audio, role)
                    })
                    .collect();
                Group {
                    id,
                    config: None,
                    stimuli,
                }
            })
            .collect()
    }

    fn found(issues: &[Issue], code: Code) -> Vec<&Issue> {
        issues.iter().filter(|i| i.code == code).collect()
    }

    #[test]
    fn near_miss_boundaries() {
        assert_eq!(near_miss("codec_ops", "codec_opus"), Some(1));
        assert_eq!(
            near_miss("Codec_Opus", "codec_opus"),
            Some(0),
            "letter case is free"
        );
        assert_eq!(near_miss("ref", "reff"), Some(1), "3 edits per char: 1 * 3 <= 4");
        assert_eq!(near_miss("lo", "low"), Some(1), "1 * 3 <= 3");
        assert_eq!(near_miss("a", "b"), None, "1 * 3 > 1");
        assert_eq!(near_miss("ab", "ac"), None, "1 * 3 > 2");
        assert_eq!(near_miss("lp35", "lp70"), None, "2 * 3 > 4");
        assert_eq!(near_miss("codec_aac", "codec_mp3"), None, "3 edits");
        assert_eq!(near_miss("codec_mp3_song2", "codec_mp3"), None, "6 edits");
        assert_eq!(near_miss("condition_a", "condition_b"), Some(1));
    }

    #[test]
    fn conditions_are_compared_from_three_sources_on() {
        let two = groups(&[&["a", "b"], &["a"]]);
        assert!(check_groups(&two, &CheckOptions::default()).is_empty());
        let three = groups(&[&["a", "b"], &["a", "b"], &["a"]]);
        let issues = check_groups(&three, &CheckOptions::default());
        let missing = found(&issues, Code::MissingConditions);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].path.as_deref(), Some("s3"));
        assert!(missing[0].message.ends_with("Add the file or check the names"));
    }

    #[test]
    fn a_suggestion_needs_a_name_most_sources_lack() {
        // s3 lacks codec_opus and holds codec_ops, which only it has: a suggestion.
        let g = groups(&[&["codec_opus", "x"], &["codec_opus", "x"], &["codec_ops", "x"]]);
        let issues = check_groups(&g, &CheckOptions::default());
        let missing = found(&issues, Code::MissingConditions);
        assert!(
            missing[0]
                .message
                .contains("did you mean codec_opus? s3/codec_ops.x"),
            "{}",
            missing[0].message
        );
        assert!(
            !missing[0].message.contains("Add the file"),
            "every missing name is explained"
        );
        // A similar name that most sources have is a condition of its own, not a typo.
        let g = groups(&[
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b"],
            &["cond_b"],
        ]);
        let issues = check_groups(&g, &CheckOptions::default());
        let missing = found(&issues, Code::MissingConditions);
        assert_eq!(missing[0].path.as_deref(), Some("s4"));
        assert!(
            !missing[0].message.contains("did you mean"),
            "{}",
            missing[0].message
        );
    }

    #[test]
    fn lone_conditions_from_four_sources_on_when_most_names_are_shared() {
        let three = groups(&[&["a", "b", "extra"], &["a", "b"], &["a", "b"]]);
        assert!(
            found(
                &check_groups(&three, &CheckOptions::default()),
                Code::LoneCondition
            )
            .is_empty()
        );
        let four = groups(&[&["a", "b", "extra"], &["a", "b"], &["a", "b"], &["a", "b"]]);
        let issues = check_groups(&four, &CheckOptions::default());
        let lone = found(&issues, Code::LoneCondition);
        assert_eq!(lone.len(), 1);
        assert_eq!(lone[0].path.as_deref(), Some("s1/extra.x"));
        assert_eq!(lone[0].severity, Severity::Warning);
        // Every file named uniquely: no name is shared, nothing is flagged file by file.
        let unique = groups(&[
            &["s1_a", "s1_b"],
            &["s2_a", "s2_b"],
            &["s3_a", "s3_b"],
            &["s4_a", "s4_b"],
        ]);
        assert!(
            found(
                &check_groups(&unique, &CheckOptions::default()),
                Code::LoneCondition
            )
            .is_empty()
        );
        // Half of the names shared is not "most": not flagged.
        let half = groups(&[&["a", "x1"], &["a", "x2"], &["a"], &["a"]]);
        assert!(
            found(
                &check_groups(&half, &CheckOptions::default()),
                Code::LoneCondition
            )
            .is_empty()
        );
    }

    #[test]
    fn experiment_findings_are_errors_grouped_when_repeated() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::AcrImage));
        // One wrong file: a finding at its path.
        let mut one = groups(&[&["a"]]);
        one[0].stimuli[0].media = MediaKind::Image;
        one[0]
            .stimuli
            .push(stim("s1", "b", MediaKind::Audio, Role::Condition));
        let issues = check_groups(&one, &opts);
        let wrong = found(&issues, Code::WrongMediaForExperiment);
        assert_eq!(wrong.len(), 1);
        assert_eq!(
            (wrong[0].severity, wrong[0].path.as_deref()),
            (Severity::Error, Some("s1/b.x"))
        );
        assert!(wrong[0].paths.is_empty());
        // Two: one finding listing both, and another for another media kind.
        let mut two = groups(&[&["a", "b"]]);
        two[0]
            .stimuli
            .push(stim("s1", "v", MediaKind::Video, Role::Condition));
        let issues = check_groups(&two, &opts);
        let wrong = found(&issues, Code::WrongMediaForExperiment);
        assert_eq!(wrong.len(), 2);
        let audio = wrong.iter().find(|i| i.message.contains("are audio")).unwrap();
        assert_eq!(audio.path, None);
        assert_eq!(audio.paths, ["s1/a.x", "s1/b.x"]);
    }

    #[test]
    fn grouped_findings_name_paths_where_they_are() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::Mushra));
        let g = groups(&[&["a"], &["a"]]);
        let issues = check_groups_in(&g, &opts, &|p: &str| format!("wrap/{p}"));
        let missing = found(&issues, Code::MissingReference);
        assert_eq!(missing[0].paths, ["wrap/s1", "wrap/s2"]);
        assert!(
            missing[0].message.contains("none of the 2 sources"),
            "{}",
            missing[0].message
        );
    }

    #[test]
    fn grouped_messages_list_ten_paths_then_count_the_rest() {
        let mut issues = Vec::new();
        let places: Vec<(String, String)> = (0..12).map(|i| (format!("p{i:02}"), String::new())).collect();
        emit(
            &mut issues,
            Severity::Error,
            Code::MissingReference,
            places,
            |_| String::new(),
            |list, n| format!("{n}: {list}"),
        );
        assert_eq!(
            issues[0].message,
            "12: p00, p01, p02, p03, p04, p05, p06, p07, p08, p09 and 2 more"
        );
        assert_eq!(issues[0].paths.len(), 12);
    }

    /// A MUSHRA source whose rated conditions (every file but the reference, plus the hidden
    /// reference) number `rated`.
    fn mushra_source(rated: usize) -> Vec<Group> {
        let names: Vec<String> = (1..rated).map(|i| format!("c{i}")).collect();
        let mut conditions: Vec<&str> = names.iter().map(String::as_str).collect();
        conditions.push("reference");
        groups(&[&conditions])
    }

    #[test]
    fn mushra_shows_nine_rated_conditions_and_subsamples_ten() {
        let opts = CheckOptions::default()
            .with_experiment(Some(ExperimentType::Mushra))
            .with_anchors(Vec::new());
        assert_eq!(MUSHRA_MAX_RATED, 9);
        let nine = check_groups(&mushra_source(9), &opts);
        assert!(found(&nine, Code::ConditionsSubsampled).is_empty(), "{nine:?}");
        let ten = check_groups(&mushra_source(10), &opts);
        let subsampled = found(&ten, Code::ConditionsSubsampled);
        assert_eq!(subsampled.len(), 1, "{ten:?}");
        assert_eq!(subsampled[0].severity, Severity::Warning);
        assert!(
            subsampled[0].message.starts_with("10 rated conditions"),
            "{}",
            subsampled[0].message
        );
    }

    #[test]
    fn too_few_conditions_at_exactly_the_minimum_and_one_below() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::BinaryAudio));
        assert_eq!(ExperimentType::BinaryAudio.min_conditions(), 2);
        let two = check_groups(&groups(&[&["a", "b"]]), &opts);
        assert!(found(&two, Code::TooFewConditions).is_empty(), "{two:?}");
        let one = check_groups(&groups(&[&["a"]]), &opts);
        let few = found(&one, Code::TooFewConditions);
        assert_eq!(few.len(), 1);
        assert_eq!(few[0].severity, Severity::Error);
    }

    #[test]
    fn one_media_kind_is_not_mixed_two_are() {
        let one = groups(&[&["a", "b"]]);
        assert!(found(&check_groups(&one, &CheckOptions::default()), Code::MixedMedia).is_empty());
        let mut two = groups(&[&["a", "b"]]);
        two[0].stimuli[1].media = MediaKind::Image;
        assert_eq!(
            found(&check_groups(&two, &CheckOptions::default()), Code::MixedMedia).len(),
            1
        );
    }

    #[test]
    fn one_sample_rate_is_consistent_two_are_mixed() {
        let with_rates = |rates: &[u32]| {
            let mut g = groups(&[&["a", "b"]]);
            for (s, r) in g[0].stimuli.iter_mut().zip(rates) {
                s.reading.sample_rate = Some(*r);
            }
            check_groups(&g, &CheckOptions::default())
        };
        assert!(found(&with_rates(&[48_000, 48_000]), Code::MixedSampleRates).is_empty());
        assert_eq!(
            found(&with_rates(&[48_000, 44_100]), Code::MixedSampleRates).len(),
            1
        );
    }

    #[test]
    fn durations_exactly_at_the_tolerance_pass_and_just_over_warn() {
        let with_durations = |long: f64, short: f64| {
            let mut g = groups(&[&["a", "b"]]);
            g[0].stimuli[0].reading.duration_s = Some(long);
            g[0].stimuli[1].reading.duration_s = Some(short);
            check_groups(&g, &CheckOptions::default())
        };
        assert_eq!(DEFAULT_DURATION_TOLERANCE, 0.10);
        // (10 - 9) / 10 is exactly the tolerance.
        assert!(found(&with_durations(10.0, 9.0), Code::DurationMismatch).is_empty());
        assert_eq!(
            found(&with_durations(10.0, 8.999), Code::DurationMismatch).len(),
            1
        );
        // All silent (zero length): nothing to divide by, nothing to report.
        assert!(found(&with_durations(0.0, 0.0), Code::DurationMismatch).is_empty());
    }

    #[test]
    fn a_condition_is_expected_when_more_than_half_of_the_sources_have_it() {
        // Four sources: `b` in exactly half of them is not expected of the others.
        let half = groups(&[&["a", "b"], &["a", "b"], &["a"], &["a"]]);
        assert!(
            found(
                &check_groups(&half, &CheckOptions::default()),
                Code::MissingConditions
            )
            .is_empty()
        );
        // In three of four: the fourth lacks it.
        let most = groups(&[&["a", "b"], &["a", "b"], &["a", "b"], &["a"]]);
        let issues = check_groups(&most, &CheckOptions::default());
        let missing = found(&issues, Code::MissingConditions);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].path.as_deref(), Some("s4"));
    }

    #[test]
    fn a_misspelling_is_suggested_only_from_names_fewer_than_half_have() {
        // The one missing-conditions finding: where, and whether it suggests a misspelling.
        let missing = |sources: &[&[&str]]| {
            let issues = check_groups(&groups(sources), &CheckOptions::default());
            let found = found(&issues, Code::MissingConditions);
            assert_eq!(found.len(), 1, "{issues:?}");
            (
                found[0].path.clone(),
                found[0].message.contains("did you mean cond_b?"),
            )
        };
        // Five sources; s5 lacks `cond_b`. `cond_c` is in two of five (fewer than half): a typo.
        let fewer: &[&[&str]] = &[
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b", "cond_c"],
            &["cond_a", "cond_c"],
        ];
        assert_eq!(missing(fewer), (Some("s5".to_string()), true));
        // Four sources; `cond_c` in exactly half of them is a condition of its own.
        let half: &[&[&str]] = &[
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b"],
            &["cond_a", "cond_b", "cond_c"],
            &["cond_a", "cond_c"],
        ];
        assert_eq!(missing(half), (Some("s4".to_string()), false));
    }

    #[test]
    fn a_name_two_sources_share_counts_as_shared_for_lone_conditions() {
        // Every name but `lone` is in exactly two sources: most names are shared.
        let pairs = groups(&[&["a", "x"], &["a", "x"], &["b", "y"], &["b", "y", "lone"]]);
        let issues = check_groups(&pairs, &CheckOptions::default());
        let lone = found(&issues, Code::LoneCondition);
        assert_eq!(lone.len(), 1, "{issues:?}");
        assert_eq!(lone[0].path.as_deref(), Some("s4/lone.x"));
        // Exactly half of the names shared (a, b of a, b, c, d): not "most", nothing flagged.
        let half = groups(&[&["a", "b", "c"], &["a", "b", "d"], &["a", "b"], &["a", "b"]]);
        assert!(
            found(
                &check_groups(&half, &CheckOptions::default()),
                Code::LoneCondition
            )
            .is_empty()
        );
        // Just over half (2 of 3): flagged.
        let over = groups(&[&["a", "b", "x1"], &["a", "b"], &["a", "b"], &["a", "b"]]);
        assert_eq!(
            found(
                &check_groups(&over, &CheckOptions::default()),
                Code::LoneCondition
            )
            .len(),
            1
        );
    }

    #[test]
    fn near_miss_allows_exactly_two_edits() {
        assert_eq!(NEAR_MISS_MAX_EDITS, 2);
        assert_eq!(near_miss("condition_ab", "condition_cd"), Some(2));
        assert_eq!(near_miss("condition_abc", "condition_def"), None);
        // Two edits need six characters: 2 * 3 <= 6, and not five.
        assert_eq!(near_miss("abcdxy", "abcdef"), Some(2));
        assert_eq!(near_miss("abcxy", "abcde"), None);
    }
}
