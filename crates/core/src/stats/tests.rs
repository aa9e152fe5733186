//! The statistics against values computed independently (Python 3.11, `statistics` and
//! scipy 1.17.1: `stats.t.ppf`, `stats.binomtest(...).proportion_ci(method="wilson")`).

use super::*;

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(1.0)
}

fn assert_summary(s: &Summary, n: usize, mean: f64, sd: f64, ci: [f64; 2]) {
    assert_eq!(s.n, n, "{s:?}");
    assert!(close(s.mean, mean), "mean {s:?}");
    assert!(close(s.sd.unwrap(), sd), "sd {s:?}");
    let [lo, hi] = s.ci95.unwrap();
    assert!(close(lo, ci[0]) && close(hi, ci[1]), "ci95 {s:?} want {ci:?}");
}

fn rating(rater: &str, slate: &str, source: &str, condition: &str, score: f64) -> Rating {
    let role = if condition == "reference" {
        Role::Reference
    } else if condition.starts_with("lp") {
        Role::Anchor
    } else {
        Role::Condition
    };
    Rating {
        rater_id: rater.into(),
        slate_id: slate.into(),
        source: source.into(),
        condition: condition.into(),
        role,
        score,
    }
}

/// Two good raters; rater 3 scores the hidden reference 70 on one of two pages, rater 4
/// scores the mid anchor 95 on one of two pages.
fn mushra() -> Vec<Rating> {
    let table: [(&str, &str, [f64; 3]); 8] = [
        ("1", "s1", [100.0, 45.0, 70.0]),
        ("1", "s2", [95.0, 50.0, 62.0]),
        ("2", "s1", [92.0, 40.0, 75.0]),
        ("2", "s2", [100.0, 55.0, 66.0]),
        ("3", "s1", [70.0, 50.0, 80.0]),
        ("3", "s2", [100.0, 35.0, 72.0]),
        ("4", "s1", [100.0, 95.0, 60.0]),
        ("4", "s2", [98.0, 40.0, 58.0]),
    ];
    let mut out = Vec::new();
    for (rater, source, scores) in table {
        let slate = format!("{rater}-{source}");
        for (condition, score) in ["reference", "lp70", "codec"].iter().zip(scores) {
            out.push(rating(rater, &slate, source, condition, score));
        }
    }
    out
}

#[test]
fn summary_of_three_scores() {
    let s = summarize(&[4.0, 5.0, 3.0]).unwrap();
    assert_summary(&s, 3, 4.0, 1.0, [1.515_862_288_249_669_7, 6.484_137_711_750_33]);
}

#[test]
fn one_rating_has_no_sd_or_interval_and_none_has_no_summary() {
    let s = summarize(&[61.0]).unwrap();
    assert_eq!((s.n, s.mean, s.sd, s.ci95), (1, 61.0, None, None));
    assert_eq!(summarize(&[]), None);
    let same = summarize(&[3.0, 3.0]).unwrap();
    assert_eq!((same.sd, same.ci95), (Some(0.0), Some([3.0, 3.0])));
}

#[test]
fn mushra_post_screening_excludes_each_rater_with_the_reason() {
    let analysis = analyze("e1", "mushra", &mushra(), &AnalysisOptions::default());
    assert!(analysis.screened && analysis.mid_anchor_rated);
    assert_eq!(analysis.raters, 4);
    assert_eq!(analysis.ratings_used, 12);
    let excluded = &analysis.results.excluded_raters;
    assert_eq!(excluded.len(), 2, "{excluded:?}");
    assert_eq!(excluded[0].rater_id, "3");
    assert_eq!(
        excluded[0].reason,
        "scored the hidden reference below 90 in 1 of 2 items (50%, more than 15%)"
    );
    assert_eq!(excluded[1].rater_id, "4");
    assert_eq!(
        excluded[1].reason,
        "scored the mid anchor above 90 in 1 of 2 items (50%, more than 15%)"
    );
}

#[test]
fn mushra_statistics_leave_the_excluded_raters_out() {
    let results = analyze("e1", "mushra", &mushra(), &AnalysisOptions::default()).results;
    let names: Vec<&str> = results.conditions.iter().map(|c| c.condition.as_str()).collect();
    assert_eq!(names, ["codec", "lp70", "reference"]);
    let c = &results.conditions;
    assert_summary(
        &c[0].summary,
        4,
        68.25,
        5.560_275_772_537_426,
        [59.402_360_455_664_876, 77.097_639_544_335_12],
    );
    assert_summary(
        &c[1].summary,
        4,
        47.5,
        6.454_972_243_679_028,
        [37.228_698_716_197_4, 57.771_301_283_802_6],
    );
    assert_summary(
        &c[2].summary,
        4,
        96.75,
        3.947_573_094_109_004,
        [90.468_530_295_907_71, 103.031_469_704_092_29],
    );
    assert_eq!(results.by_source.len(), 6);
    let s1_codec = &results.by_source[0];
    assert_eq!(
        (s1_codec.source.as_str(), s1_codec.condition.as_str()),
        ("s1", "codec")
    );
    assert_summary(
        &s1_codec.summary,
        2,
        72.5,
        3.535_533_905_932_737_8,
        [40.734_488_159_563_27, 104.265_511_840_436_73],
    );
}

#[test]
fn no_screening_keeps_everyone() {
    let opts = AnalysisOptions::default().with_screening(false);
    let analysis = analyze("e1", "mushra", &mushra(), &opts);
    assert!(!analysis.screened);
    assert!(analysis.results.excluded_raters.is_empty());
    let codec = &analysis.results.conditions[0];
    assert_summary(
        &codec.summary,
        8,
        67.875,
        7.717_096_048_940_394,
        [61.423_346_248_859_85, 74.326_653_751_140_16],
    );
}

#[test]
fn fifteen_percent_exactly_is_kept_and_more_is_excluded() {
    // 3 of 20 items is exactly 15%: "more than 15%" excludes only from 4 of 20.
    let rater = |id: &str, low: usize| -> Vec<Rating> {
        (0..20)
            .map(|i| {
                let score = if i < low { 80.0 } else { 100.0 };
                rating(id, &format!("{id}-{i}"), "s1", "reference", score)
            })
            .collect()
    };
    let mut ratings = rater("7", 3);
    ratings.extend(rater("8", 4));
    let excluded = post_screening(&ratings, &AnalysisOptions::default());
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0].rater_id, "8");
    assert!(
        excluded[0].reason.contains("4 of 20 items (20%"),
        "{}",
        excluded[0].reason
    );
}

#[test]
fn the_mid_anchor_is_named_by_the_options_and_both_reasons_are_joined() {
    let mut ratings = Vec::new();
    for (slate, anchor) in [("a", 95.0), ("b", 92.0)] {
        ratings.push(rating("5", slate, "s1", "reference", 50.0));
        ratings.push(rating("5", slate, "s1", "mid_7k", anchor));
    }
    // lp70 is not rated here: only the reference criterion applies.
    let by_default = analyze("e", "mushra", &ratings, &AnalysisOptions::default());
    assert!(!by_default.mid_anchor_rated);
    assert_eq!(
        by_default.results.excluded_raters[0]
            .reason
            .matches("items")
            .count(),
        1
    );
    let opts = AnalysisOptions::default().with_mid_anchors(vec!["MID_7K".into()]);
    let named = analyze("e", "mushra", &ratings, &opts);
    assert!(named.mid_anchor_rated);
    let reason = &named.results.excluded_raters[0].reason;
    assert!(
        reason.contains("hidden reference") && reason.contains("; scored the mid anchor"),
        "{reason}"
    );
}

#[test]
fn acr_types_are_never_screened() {
    let analysis = analyze("e", "acr_audio", &mushra(), &AnalysisOptions::default());
    assert_eq!(analysis.method, Method::MeanOpinionScore);
    assert!(!analysis.screened && analysis.results.excluded_raters.is_empty());
    assert_eq!(analysis.results.conditions[0].summary.n, 8);
}

#[test]
fn win_rates_with_wilson_intervals() {
    let mut ratings = Vec::new();
    // a beats b on three slates of four.
    for (slate, a, b) in [("1", 1.0, 0.0), ("2", 1.0, 0.0), ("3", 0.0, 1.0), ("4", 1.0, 0.0)] {
        ratings.push(rating("r", slate, "s1", "a", a));
        ratings.push(rating("r", slate, "s1", "b", b));
    }
    // The same condition twice on one slate is no comparison.
    ratings.push(rating("r", "5", "s1", "a", 1.0));
    ratings.push(rating("r", "5", "s1", "a", 0.0));
    let analysis = analyze("e", "binary_audio", &ratings, &AnalysisOptions::default());
    assert_eq!(analysis.method, Method::WinRate);
    let c = &analysis.results.conditions;
    assert_summary(
        &c[0].summary,
        4,
        0.75,
        0.5,
        [0.300_641_842_582_401_84, 0.954_412_739_190_299_5],
    );
    assert_summary(
        &c[1].summary,
        4,
        0.25,
        0.5,
        [0.045_587_260_809_700_55, 0.699_358_157_417_598_1],
    );
}

#[test]
fn a_tie_counts_half_to_each() {
    let ratings = [rating("r", "1", "s1", "a", 1.0), rating("r", "1", "s1", "b", 1.0)];
    let analysis = analyze("e", "pairwise_image", &ratings, &AnalysisOptions::default());
    let a = &analysis.results.conditions[0].summary;
    assert_eq!((a.n, a.mean), (1, 0.5));
    assert_eq!(a.ci95, wilson_95(0.5, 1.0));
}

#[test]
fn methods_follow_the_type_name() {
    assert_eq!(Method::for_type("mushra"), Method::Mushra);
    assert_eq!(Method::for_type("binary_video"), Method::WinRate);
    assert_eq!(Method::for_type("pairwise_image"), Method::WinRate);
    for t in ["acr_image", "multi_acr_embed", "inpainting_image", "future_type"] {
        assert_eq!(Method::for_type(t), Method::MeanOpinionScore, "{t}");
    }
}

#[test]
fn raters_are_listed_in_numeric_order() {
    let ratings: Vec<Rating> = ["10", "9", "x"]
        .iter()
        .map(|id| rating(id, id, "s1", "reference", 10.0))
        .collect();
    let ids: Vec<String> = post_screening(&ratings, &AnalysisOptions::default())
        .into_iter()
        .map(|e| e.rater_id)
        .collect();
    assert_eq!(ids, ["9", "10", "x"]);
}

#[test]
fn results_serialise_in_the_documented_shape() {
    let results = analyze("e1", "mushra", &mushra(), &AnalysisOptions::default()).results;
    let text = serde_json::to_string(&results).unwrap();
    let in_order = |keys: &[&str], within: &str| {
        let at: Vec<usize> = keys
            .iter()
            .map(|k| {
                within
                    .find(&format!("\"{k}\":"))
                    .unwrap_or_else(|| panic!("{k} in {within}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{keys:?} in {within}");
    };
    in_order(
        &[
            "experiment",
            "type",
            "conditions",
            "by_source",
            "excluded_raters",
            "platform_metrics",
        ],
        &text,
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = serde_json::to_string(&json["conditions"][0]).unwrap();
    assert_eq!(json["conditions"][0].as_object().unwrap().len(), 5, "{first}");
    let condition = serde_json::to_string(&results.conditions[0]).unwrap();
    in_order(&["condition", "n", "mean", "sd", "ci95"], &condition);
    let by_source = serde_json::to_string(&results.by_source[0]).unwrap();
    in_order(&["source", "condition", "n", "mean", "sd", "ci95"], &by_source);
    assert_eq!(json["excluded_raters"][0]["rater_id"], "3");
    let back: Results = serde_json::from_str(&text).unwrap();
    assert_eq!(back, results);
}
