//! Scores from a subjective test's ratings: per condition and per source x condition means
//! with 95% intervals, the MUSHRA post-screening of ITU-R BS.1534-3, and win rates for the
//! pairwise types. Pure functions over a table of ratings: no network, no terminal.

mod dist;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use dist::{Z_975, incomplete_beta, t_quantile, wilson_95};

use crate::report::Role;

/// BS.1534-3 post-screening: a hidden reference scored below this (or a mid anchor above
/// it) counts against the rater.
pub const SCREENING_SCORE: f64 = 90.0;

/// BS.1534-3 post-screening: a rater is excluded when more than this fraction of the items
/// they rated count against them.
pub const SCREENING_MAX_FRACTION: f64 = 0.15;

/// The condition names taken as the mid-range anchor when none are given: `lp70`, the
/// standard's 7 kHz low-pass anchor (its 3.5 kHz `lp35` is the low anchor, not screened on).
pub const DEFAULT_MID_ANCHORS: &[&str] = &["lp70"];

/// One rating: who rated which stimulus (source and condition) on which slate (one trial:
/// a MUSHRA page, one pairwise comparison, one ACR item), and the score given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The rater.
    pub rater_id: String,
    /// The trial the rating was given in; ratings of one slate were shown together.
    pub slate_id: String,
    /// The source (the dataset's folder, the platform's `group_id`).
    pub source: String,
    /// The condition (the file name without its extension).
    pub condition: String,
    /// Reference (rated, it is MUSHRA's hidden reference), anchor or condition.
    pub role: Role,
    /// The score given.
    pub score: f64,
}

/// How an experiment type's ratings are summarised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// MUSHRA scores (0-100): mean and t interval, after the BS.1534-3 post-screening.
    Mushra,
    /// Absolute category ratings: the mean opinion score and its t interval.
    MeanOpinionScore,
    /// Pairwise choices: the fraction of comparisons won and its Wilson interval.
    WinRate,
}

impl Method {
    /// The method for a platform experiment type: `mushra`; `binary_*` and `pairwise_*`
    /// are pairwise choices; every other type (`acr_*`, `multi_acr_*`, `inpainting_image`,
    /// and types this version does not know) gives scores summarised as a MOS.
    pub fn for_type(experiment_type: &str) -> Method {
        if experiment_type == "mushra" {
            Method::Mushra
        } else if experiment_type.starts_with("binary_") || experiment_type.starts_with("pairwise") {
            Method::WinRate
        } else {
            Method::MeanOpinionScore
        }
    }
}

/// What [`analyze`] is asked to do. Build with `AnalysisOptions::default()` and the `with_*`
/// methods.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisOptions {
    /// Apply the MUSHRA post-screening (BS.1534-3). Other methods are never screened.
    pub screening: bool,
    /// The conditions that are the mid-range anchor, for the screening; see
    /// [`DEFAULT_MID_ANCHORS`]. Compared without regard to letter case.
    pub mid_anchors: Vec<String>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            screening: true,
            mid_anchors: DEFAULT_MID_ANCHORS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl AnalysisOptions {
    /// Applies the MUSHRA post-screening or keeps every rater.
    pub fn with_screening(mut self, screening: bool) -> Self {
        self.screening = screening;
        self
    }

    /// Names the mid-range anchor conditions (empty: [`DEFAULT_MID_ANCHORS`]).
    pub fn with_mid_anchors(mut self, names: Vec<String>) -> Self {
        if !names.is_empty() {
            self.mid_anchors = names;
        }
        self
    }

    fn is_mid_anchor(&self, condition: &str) -> bool {
        self.mid_anchors.iter().any(|a| a.eq_ignore_ascii_case(condition))
    }
}

/// n, mean, standard deviation and 95% interval of one set of values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// How many values (ratings, or comparisons for a win rate).
    pub n: usize,
    /// Their mean (for a win rate: the fraction won).
    pub mean: f64,
    /// Their sample standard deviation (n - 1 in the denominator); `None` below two values.
    pub sd: Option<f64>,
    /// The 95% interval: mean ± t(0.975, n-1)·sd/√n, or the Wilson interval of a win rate;
    /// `None` where it cannot be computed (one rating).
    pub ci95: Option<[f64; 2]>,
}

/// n, mean, sd and the Student-t 95% interval of `values`; `None` when there are none.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let (n, mean, sd) = mean_sd(values)?;
    let ci95 = sd.and_then(|sd| {
        let t = t_quantile(0.975, (n - 1) as f64)?;
        let half = t * sd / (n as f64).sqrt();
        Some([mean - half, mean + half])
    });
    Some(Summary { n, mean, sd, ci95 })
}

/// n, win rate, sd of the outcomes (1 a win, 0 a loss, 0.5 a tie) and the 95% Wilson interval.
pub fn summarize_wins(outcomes: &[f64]) -> Option<Summary> {
    let (n, mean, sd) = mean_sd(outcomes)?;
    let won: f64 = outcomes.iter().sum();
    Some(Summary {
        n,
        mean,
        sd,
        ci95: wilson_95(won, n as f64),
    })
}

fn mean_sd(values: &[f64]) -> Option<(usize, f64, Option<f64>)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (n >= 2).then(|| {
        let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        (squares / (n - 1) as f64).sqrt()
    });
    Some((n, mean, sd))
}

/// One condition over all sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionStats {
    /// The condition.
    pub condition: String,
    /// Its statistics.
    #[serde(flatten)]
    pub summary: Summary,
}

/// One condition of one source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceConditionStats {
    /// The source.
    pub source: String,
    /// The condition.
    pub condition: String,
    /// Its statistics.
    #[serde(flatten)]
    pub summary: Summary,
}

/// A rater left out by the post-screening, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The rater.
    pub rater_id: String,
    /// Why, in words, with the counts.
    pub reason: String,
}

/// The results of an experiment: what `stimpack results --json` prints. Conditions are sorted
/// by name, sources x conditions by source then condition, excluded raters by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// The experiment id.
    pub experiment: String,
    /// The platform's experiment type (`mushra`, `acr_audio`, ...).
    #[serde(rename = "type")]
    pub experiment_type: String,
    /// Every condition over all sources.
    pub conditions: Vec<ConditionStats>,
    /// Every condition of every source.
    pub by_source: Vec<SourceConditionStats>,
    /// Raters left out by the post-screening, each with the reason.
    pub excluded_raters: Vec<Exclusion>,
    /// The platform's own metrics, as it sends them (filled by the caller).
    pub platform_metrics: Vec<serde_json::Value>,
}

/// [`Results`] and how they were reached.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Analysis {
    /// The statistics.
    pub results: Results,
    /// How the scores were summarised.
    pub method: Method,
    /// Whether the MUSHRA post-screening ran.
    pub screened: bool,
    /// Whether a mid-range anchor was rated, so its criterion could be applied.
    pub mid_anchor_rated: bool,
    /// Raters with at least one rating.
    pub raters: usize,
    /// Ratings that went into the statistics (those of excluded raters do not).
    pub ratings_used: usize,
}

/// Summarises the ratings of one experiment of type `experiment_type` (the method follows
/// from it: [`Method::for_type`]). MUSHRA ratings are screened first unless
/// `opts.screening` is false; the excluded raters' ratings are left out of every statistic.
///
/// ```
/// use stimpack_core::stats::{analyze, AnalysisOptions, Rating};
/// use stimpack_core::Role;
/// let rating = |rater: &str, condition: &str, score: f64| Rating {
///     rater_id: rater.into(), slate_id: format!("{rater}-1"), source: "s1".into(),
///     condition: condition.into(), role: Role::Condition, score,
/// };
/// let ratings = [rating("1", "a", 4.0), rating("2", "a", 5.0), rating("3", "a", 3.0)];
/// let analysis = analyze("e1", "acr_audio", &ratings, &AnalysisOptions::default());
/// let a = &analysis.results.conditions[0];
/// assert_eq!((a.summary.n, a.summary.mean, a.summary.sd), (3, 4.0, Some(1.0)));
/// ```
pub fn analyze(
    experiment: &str,
    experiment_type: &str,
    ratings: &[Rating],
    opts: &AnalysisOptions,
) -> Analysis {
    let method = Method::for_type(experiment_type);
    let raters: BTreeSet<&str> = ratings.iter().map(|r| r.rater_id.as_str()).collect();
    let screened = method == Method::Mushra && opts.screening;
    let mid_anchor_rated = ratings.iter().any(|r| opts.is_mid_anchor(&r.condition));
    let excluded_raters = if screened {
        post_screening(ratings, opts)
    } else {
        Vec::new()
    };
    let out: BTreeSet<&str> = excluded_raters.iter().map(|e| e.rater_id.as_str()).collect();
    let kept: Vec<&Rating> = ratings
        .iter()
        .filter(|r| !out.contains(r.rater_id.as_str()))
        .collect();

    // (source, condition) -> values: scores, or the outcomes of comparisons.
    let mut values: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    match method {
        Method::WinRate => {
            for (r, outcome) in comparisons(&kept) {
                values
                    .entry((r.source.as_str(), r.condition.as_str()))
                    .or_default()
                    .push(outcome);
            }
        }
        Method::Mushra | Method::MeanOpinionScore => {
            for r in &kept {
                values
                    .entry((r.source.as_str(), r.condition.as_str()))
                    .or_default()
                    .push(r.score);
            }
        }
    }
    let summarise = |v: &[f64]| match method {
        Method::WinRate => summarize_wins(v),
        Method::Mushra | Method::MeanOpinionScore => summarize(v),
    };
    let mut per_condition: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut by_source = Vec::new();
    for ((source, condition), v) in &values {
        per_condition.entry(condition).or_default().extend_from_slice(v);
        if let Some(summary) = summarise(v) {
            by_source.push(SourceConditionStats {
                source: source.to_string(),
                condition: condition.to_string(),
                summary,
            });
        }
    }
    let conditions = per_condition
        .iter()
        .filter_map(|(condition, v)| {
            Some(ConditionStats {
                condition: condition.to_string(),
                summary: summarise(v)?,
            })
        })
        .collect();
    Analysis {
        results: Results {
            experiment: experiment.to_string(),
            experiment_type: experiment_type.to_string(),
            conditions,
            by_source,
            excluded_raters,
            platform_metrics: Vec::new(),
        },
        method,
        screened,
        mid_anchor_rated,
        raters: raters.len(),
        ratings_used: kept.len(),
    }
}

/// Every pair of differently conditioned ratings on one slate is one comparison: the higher
/// score wins (1), the lower loses (0), equal scores are a tie (0.5 each).
fn comparisons<'r>(ratings: &[&'r Rating]) -> Vec<(&'r Rating, f64)> {
    let mut slates: BTreeMap<&str, Vec<&Rating>> = BTreeMap::new();
    for r in ratings {
        slates.entry(r.slate_id.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    for slate in slates.values() {
        for (i, a) in slate.iter().enumerate() {
            for b in &slate[i + 1..] {
                if a.condition == b.condition {
                    continue;
                }
                let (x, y) = match a.score.partial_cmp(&b.score) {
                    Some(Ordering::Greater) => (1.0, 0.0),
                    Some(Ordering::Less) => (0.0, 1.0),
                    _ => (0.5, 0.5),
                };
                out.push((*a, x));
                out.push((*b, y));
            }
        }
    }
    out
}

/// The post-screening of ITU-R BS.1534-3 (section 4.1.2): a rater is excluded who scored the
/// hidden reference below 90 in more than 15% of the items (slates) where they rated it, or
/// the mid-range anchor above 90 in more than 15% of the items where they rated it.
pub fn post_screening(ratings: &[Rating], opts: &AnalysisOptions) -> Vec<Exclusion> {
    #[derive(Default)]
    struct Tally<'a> {
        reference_items: BTreeSet<&'a str>,
        reference_low: BTreeSet<&'a str>,
        anchor_items: BTreeSet<&'a str>,
        anchor_high: BTreeSet<&'a str>,
    }
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for r in ratings {
        let tally = tallies.entry(r.rater_id.as_str()).or_default();
        if r.role == Role::Reference {
            tally.reference_items.insert(&r.slate_id);
            if r.score < SCREENING_SCORE {
                tally.reference_low.insert(&r.slate_id);
            }
        }
        if opts.is_mid_anchor(&r.condition) {
            tally.anchor_items.insert(&r.slate_id);
            if r.score > SCREENING_SCORE {
                tally.anchor_high.insert(&r.slate_id);
            }
        }
    }
    let over = |bad: usize, all: usize| all > 0 && bad as f64 > SCREENING_MAX_FRACTION * all as f64;
    let percent = |bad: usize, all: usize| 100.0 * bad as f64 / all as f64;
    let limit = SCREENING_MAX_FRACTION * 100.0;
    let mut out: Vec<Exclusion> = tallies
        .into_iter()
        .filter_map(|(rater, t)| {
            let mut reasons = Vec::new();
            let (bad, all) = (t.reference_low.len(), t.reference_items.len());
            if over(bad, all) {
                reasons.push(format!(
                    "scored the hidden reference below {SCREENING_SCORE} in {bad} of {all} items ({:.0}%, more than {limit:.0}%)",
                    percent(bad, all)
                ));
            }
            let (bad, all) = (t.anchor_high.len(), t.anchor_items.len());
            if over(bad, all) {
                reasons.push(format!(
                    "scored the mid anchor above {SCREENING_SCORE} in {bad} of {all} items ({:.0}%, more than {limit:.0}%)",
                    percent(bad, all)
                ));
            }
            (!reasons.is_empty()).then(|| Exclusion {
                rater_id: rater.to_string(),
                reason: reasons.join("; "),
            })
        })
        .collect();
    out.sort_by(|a, b| natural(&a.rater_id, &b.rater_id));
    out
}

/// Numbers in numeric order (`9` before `10`), other ids as text after them.
fn natural(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests;
