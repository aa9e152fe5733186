//! Compare the stimuli the platform reports with the ones the local manifest expects,
//! so that nothing is lost or regrouped silently.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::types::Stimulus;

/// How many entries of each kind a mismatch message lists before "and N more".
const SHOWN_PER_KIND: usize = 10;

/// A stimulus the local manifest says the dataset holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExpectedStimulus {
    /// `source/condition.ext`.
    pub filepath: String,
    /// The source folder.
    pub group_id: String,
}

impl ExpectedStimulus {
    /// Build one from its parts.
    pub fn new(filepath: impl Into<String>, group_id: impl Into<String>) -> Self {
        Self {
            filepath: filepath.into(),
            group_id: group_id.into(),
        }
    }
}

/// A stimulus found in a different group than expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Regrouped {
    /// The file.
    pub filepath: String,
    /// The group the manifest has.
    pub expected_group: String,
    /// The group the platform reports.
    pub actual_group: String,
}

/// Every difference between expected and reported stimuli, each list sorted by path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StimulusMismatch {
    /// Expected but not reported.
    pub missing: Vec<ExpectedStimulus>,
    /// Reported but not expected (a second report of one path counts here too).
    pub unexpected: Vec<Stimulus>,
    /// Reported under another group.
    pub regrouped: Vec<Regrouped>,
}

impl StimulusMismatch {
    /// True when expected and reported agree.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.regrouped.is_empty()
    }
}

impl fmt::Display for StimulusMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T>(
            f: &mut fmt::Formatter<'_>,
            first: &mut bool,
            what: &str,
            items: &[T],
            show: impl Fn(&T) -> String,
        ) -> fmt::Result {
            if items.is_empty() {
                return Ok(());
            }
            if !*first {
                f.write_str("; ")?;
            }
            *first = false;
            write!(f, "{} {what}: ", items.len())?;
            let shown: Vec<String> = items.iter().take(SHOWN_PER_KIND).map(show).collect();
            f.write_str(&shown.join(", "))?;
            if items.len() > SHOWN_PER_KIND {
                write!(f, " and {} more", items.len() - SHOWN_PER_KIND)?;
            }
            Ok(())
        }
        let mut first = true;
        list(f, &mut first, "missing", &self.missing, |s| {
            format!("{} (group {})", s.filepath, s.group_id)
        })?;
        list(f, &mut first, "unexpected", &self.unexpected, |s| {
            format!("{} (group {})", s.filepath, s.group_id)
        })?;
        list(f, &mut first, "regrouped", &self.regrouped, |r| {
            format!(
                "{} (group {} instead of {})",
                r.filepath, r.actual_group, r.expected_group
            )
        })
    }
}

/// Compare `actual` (from the platform) with `expected` (from the manifest).
/// Paths are compared exactly; order does not matter.
pub fn verify_stimuli(expected: &[ExpectedStimulus], actual: &[Stimulus]) -> Result<(), StimulusMismatch> {
    let mut want: BTreeMap<&str, &str> = BTreeMap::new();
    let mut mismatch = StimulusMismatch::default();
    for e in expected {
        want.insert(&e.filepath, &e.group_id);
    }
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for a in actual {
        if seen.insert(&a.filepath, ()).is_some() {
            mismatch.unexpected.push(a.clone());
            continue;
        }
        match want.remove(a.filepath.as_str()) {
            None => mismatch.unexpected.push(a.clone()),
            Some(group) if group != a.group_id => mismatch.regrouped.push(Regrouped {
                filepath: a.filepath.clone(),
                expected_group: group.to_owned(),
                actual_group: a.group_id.clone(),
            }),
            Some(_) => {}
        }
    }
    mismatch.missing = want
        .into_iter()
        .map(|(filepath, group_id)| ExpectedStimulus::new(filepath, group_id))
        .collect();
    mismatch
        .unexpected
        .sort_by(|a, b| (&a.filepath, &a.group_id).cmp(&(&b.filepath, &b.group_id)));
    mismatch.regrouped.sort_by(|a, b| a.filepath.cmp(&b.filepath));
    if mismatch.is_empty() {
        Ok(())
    } else {
        Err(mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actual(list: &[(&str, &str)]) -> Vec<Stimulus> {
        list.iter()
            .map(|(f, g)| Stimulus {
                filepath: (*f).into(),
                group_id: (*g).into(),
            })
            .collect()
    }

    #[test]
    fn same_set_in_any_order_matches() {
        let expected = [
            ExpectedStimulus::new("s1/a.wav", "s1"),
            ExpectedStimulus::new("s2/a.wav", "s2"),
        ];
        let got = actual(&[("s2/a.wav", "s2"), ("s1/a.wav", "s1")]);
        assert_eq!(verify_stimuli(&expected, &got), Ok(()));
    }

    #[test]
    fn reports_missing_unexpected_regrouped_and_duplicates() {
        let expected = [
            ExpectedStimulus::new("s1/a.wav", "s1"),
            ExpectedStimulus::new("s1/b.wav", "s1"),
            ExpectedStimulus::new("s2/a.wav", "s2"),
        ];
        let got = actual(&[
            ("s2/a.wav", "s9"),
            ("s1/a.wav", "s1"),
            ("s1/a.wav", "s1"),
            ("s3/x.wav", "s3"),
        ]);
        let m = verify_stimuli(&expected, &got).unwrap_err();
        assert_eq!(m.missing, [ExpectedStimulus::new("s1/b.wav", "s1")]);
        assert_eq!(m.unexpected, actual(&[("s1/a.wav", "s1"), ("s3/x.wav", "s3")]));
        assert_eq!(
            m.regrouped,
            [Regrouped {
                filepath: "s2/a.wav".into(),
                expected_group: "s2".into(),
                actual_group: "s9".into()
            }]
        );
        assert_eq!(
            m.to_string(),
            "1 missing: s1/b.wav (group s1); 2 unexpected: s1/a.wav (group s1), s3/x.wav (group s3); \
             1 regrouped: s2/a.wav (group s9 instead of s2)"
        );
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let expected: Vec<ExpectedStimulus> = (0..15)
            .map(|i| ExpectedStimulus::new(format!("s/{i:02}.wav"), "s"))
            .collect();
        let m = verify_stimuli(&expected, &[]).unwrap_err();
        assert_eq!(m.missing.len(), 15, "the data keeps everything");
        assert!(m.to_string().ends_with("s/09.wav (group s) and 5 more"), "{m}");
    }
}
