//! The experiment rules for a dataset that is already on the platform and known only by its
//! stimuli's names (`source/condition.ext` and the group): the rules `check --experiment`
//! applies, with each stimulus's media kind read from its extension.

use std::collections::BTreeMap;

use crate::layout::split_name;
use crate::options::CheckOptions;
use crate::probe::Reading;
use crate::report::{Code, Group, Issue, Stimulus};
use crate::rules;
use crate::sniff;

/// Applies the dataset rules of `opts` (its experiment type above all: media kind, the MUSHRA
/// reference, at least two conditions for pairwise types) to a dataset known by its stimuli
/// only: `(filepath, group)` pairs as a platform lists them (`song_1/codec_a.wav`, `song_1`).
/// The media kind of each comes from its extension, as for a URL list; nothing is downloaded,
/// so readings (durations, rates, sizes) are not compared.
///
/// A stimulus whose extension stimpack does not know is a `unsupported-file` warning and is
/// left out of the rules (the platform took it, so it may be a kind stimpack cannot judge).
/// Findings name the stimuli's paths as given. `opts.experiment` unset applies the general
/// rules only.
///
/// ```
/// use stimpack_core::{check_stimulus_names, CheckOptions, Code, ExperimentType, Severity};
/// let stimuli = [("s1/a.wav", "s1"), ("s1/b.wav", "s1"), ("s2/a.png", "s2"), ("s2/b.png", "s2")];
/// let opts = CheckOptions::default().with_experiment(Some(ExperimentType::BinaryAudio));
/// let issues = check_stimulus_names(stimuli, &opts);
/// assert!(issues.iter().any(|i| i.code == Code::WrongMediaForExperiment && i.severity == Severity::Error));
/// ```
pub fn check_stimulus_names<'a>(
    stimuli: impl IntoIterator<Item = (&'a str, &'a str)>,
    opts: &CheckOptions,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut groups: BTreeMap<String, Vec<Stimulus>> = BTreeMap::new();
    for (path, group) in stimuli {
        let file = path.rsplit('/').next().unwrap_or(path);
        let (condition, extension) = split_name(file);
        let Some(kind) = sniff::extension_kind(&extension) else {
            issues.push(Issue::warning(
                Code::UnsupportedFile,
                path.to_string(),
                format!(
                    "the platform lists this stimulus, but stimpack does not know {}, so it is left out of the \
                     experiment rules. Check that it is a stimulus the experiment can show",
                    if extension.is_empty() {
                        "a name without an extension".to_string()
                    } else {
                        format!("the extension '.{extension}'")
                    }
                ),
            ));
            continue;
        };
        let role = opts.role_of(condition);
        let stimulus = Stimulus {
            path: path.to_string(),
            group: group.to_string(),
            condition: condition.to_string(),
            role,
            media: kind.media(),
            reading: Reading {
                format: extension.as_str().into(),
                ..Reading::default()
            },
            details: Default::default(),
            levels: Default::default(),
            url: None,
        };
        groups.entry(group.to_string()).or_default().push(stimulus);
    }
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(id, mut stimuli)| {
            stimuli.sort_by(|a, b| a.path.cmp(&b.path));
            Group {
                id,
                config: None,
                stimuli,
            }
        })
        .collect();
    issues.extend(rules::check_groups_in(&groups, opts, &|p: &str| p.to_string()));
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::ExperimentType;
    use crate::report::Severity;

    fn errors(issues: &[Issue]) -> Vec<Code> {
        issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| i.code)
            .collect()
    }

    #[test]
    fn mushra_needs_a_reference_in_every_source() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::Mushra));
        let good = [
            ("s1/reference.wav", "s1"),
            ("s1/a.mp3", "s1"),
            ("s2/reference.flac", "s2"),
        ];
        assert!(errors(&check_stimulus_names(good, &opts)).is_empty());
        let bad = [("s1/reference.wav", "s1"), ("s2/a.wav", "s2")];
        let issues = check_stimulus_names(bad, &opts);
        assert_eq!(errors(&issues), [Code::MissingReference], "{issues:?}");
        assert_eq!(issues[0].path.as_deref(), Some("s2"));
    }

    #[test]
    fn pairwise_types_need_two_conditions_and_the_right_media() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::BinaryImage));
        let issues = check_stimulus_names(
            [("s1/a.png", "s1"), ("s2/a.wav", "s2"), ("s2/b.png", "s2")],
            &opts,
        );
        let codes = errors(&issues);
        assert!(codes.contains(&Code::TooFewConditions), "{issues:?}");
        assert!(codes.contains(&Code::WrongMediaForExperiment), "{issues:?}");
    }

    #[test]
    fn unknown_extensions_are_a_warning_and_left_out() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::AcrAudio));
        let issues = check_stimulus_names([("s1/a.wav", "s1"), ("s1/b.xyz", "s1")], &opts);
        assert!(errors(&issues).is_empty(), "{issues:?}");
        assert!(
            issues
                .iter()
                .any(|i| i.code == Code::UnsupportedFile && i.path.as_deref() == Some("s1/b.xyz"))
        );
    }

    #[test]
    fn no_stimuli_is_an_error() {
        let opts = CheckOptions::default().with_experiment(Some(ExperimentType::AcrAudio));
        assert_eq!(errors(&check_stimulus_names([], &opts)), [Code::NoStimuli]);
    }
}
