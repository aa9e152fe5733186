//! `stimpack results EXPERIMENT`: downloads the ratings and the platform's own metrics, maps
//! every rating to its source and condition, and shows the library's statistics
//! (`stimpack_core::stats`) as a table with text bars, as JSON, or the raw ratings as CSV.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use stimpack_client::ClientError;
use stimpack_client::mabyduck::{PlacedRating, Rating as PlatformRating};
use stimpack_core::stats::{Analysis, AnalysisOptions, Method, Rating, Summary, analyze};
use stimpack_core::{CheckOptions, DEFAULT_REFERENCE, Role};

use crate::Exit;
use crate::cli::Verbosity;
use crate::experiment_cmd::exit_for;
use crate::platform::{ConfigError, PlatformArgs, Progress, explain};
use crate::say;
use crate::term::{self, escape};

/// Configuration and exit codes of `results`, shown in `--help`.
pub const RESULTS_HELP: &str = "Configuration:
  MABYDUCK_API_KEY   the project's API key (or --api-key-file PATH)
  MABYDUCK_PROJECT   the project id (or --project ID)
  MABYDUCK_API_URL   the API base URL (or --api-url URL; default https://api.mabyduck.com)

Exit codes:
  0  the results were shown
  1  no ratings yet, every rater was excluded, or no such experiment or job
  2  the arguments or configuration are wrong, or the CSV file cannot be written
  3  the platform or the network failed";

/// Arguments of `stimpack results`.
#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// The experiment id.
    pub experiment: String,
    /// Only the ratings of this job.
    #[arg(long, value_name = "ID")]
    pub job: Option<String>,
    /// Print the results as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write every rating, joined with its source, condition and role, to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Keep every rater: skip the MUSHRA post-screening of ITU-R BS.1534-3.
    #[arg(long)]
    pub no_screening: bool,
    /// A condition that is the mid-range anchor, for the screening; repeat for several
    /// [default: lp70].
    #[arg(long = "mid-anchor", value_name = "NAME")]
    pub mid_anchors: Vec<String>,
    /// File name (without extension) of the reference (MUSHRA's hidden reference).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_REFERENCE)]
    pub reference: String,
    /// File name (without extension) of an anchor condition; repeat for several.
    #[arg(long = "anchor", value_name = "NAME")]
    pub anchors: Vec<String>,
    /// For experiments that rate several criteria: the one to summarise.
    #[arg(long, value_name = "NAME")]
    pub dimension: Option<String>,
    /// Also show a table for every source.
    #[arg(long)]
    pub by_source: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

fn fail(message: impl std::fmt::Display, exit: Exit) -> io::Result<Exit> {
    say!("stimpack: {message}");
    Ok(exit)
}

/// A platform rating with the source, condition and role it was mapped to.
struct Mapped<'a> {
    rating: &'a PlatformRating,
    source: String,
    condition: String,
    role: Role,
}

/// Runs `stimpack results`.
pub fn run(args: &ResultsArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match args.platform.client() {
        Ok(c) => c,
        Err(ConfigError(m)) => return fail(m, Exit::Usage),
    };
    let progress = Progress::new(verbosity);
    let detail = match client.experiment(&args.experiment, &progress) {
        Ok(d) => d,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    if let Some(job) = &args.job {
        if !detail.jobs.iter().any(|j| &j.id == job) {
            let e = ClientError::JobNotFound {
                experiment_id: args.experiment.clone(),
                job_id: job.clone(),
                project_id: client.project_id().to_owned(),
            };
            return fail(e, Exit::Findings);
        }
    }
    let placed = match client.placed_ratings(&detail, args.job.as_deref(), &progress) {
        Ok(p) => p,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    for (dataset, e) in &placed.unread_datasets {
        say!(
            "warning: the stimuli of dataset {dataset} could not be read ({}); its ratings are placed by name",
            explain(e)
        );
    }
    let dimensions: BTreeSet<Option<&str>> = placed
        .placed
        .iter()
        .map(|p| p.rating.dimension.as_deref())
        .collect();
    let chosen: Vec<&PlacedRating> = match &args.dimension {
        Some(want) => {
            if !dimensions.contains(&Some(want.as_str())) {
                let known: Vec<&str> = dimensions.iter().flatten().copied().collect();
                return fail(
                    format!(
                        "no rating of dimension '{want}'; the experiment's ratings have {}",
                        if known.is_empty() {
                            "no dimension".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                    Exit::Usage,
                );
            }
            placed
                .placed
                .iter()
                .filter(|p| p.rating.dimension.as_deref() == Some(want.as_str()))
                .collect()
        }
        None if dimensions.len() > 1 => {
            let known: Vec<&str> = dimensions.iter().map(|d| d.unwrap_or("(none)")).collect();
            return fail(
                format!(
                    "the ratings cover {} dimensions ({}); choose one with --dimension NAME",
                    known.len(),
                    known.join(", ")
                ),
                Exit::Usage,
            );
        }
        None => placed.placed.iter().collect(),
    };
    let roles = CheckOptions::default()
        .with_reference(args.reference.clone())
        .with_anchors(args.anchors.clone());
    let mapped: Vec<Mapped> = chosen
        .into_iter()
        .map(|p| {
            let role = roles.role_of(&p.condition);
            Mapped {
                rating: &p.rating,
                source: p.source.clone(),
                condition: p.condition.clone(),
                role,
            }
        })
        .collect();
    let unplaced = placed.unplaced;
    let mut unscored = 0usize;
    let table: Vec<Rating> = mapped
        .iter()
        .filter_map(|m| {
            let Some(score) = m.rating.score.filter(|s| s.is_finite()) else {
                unscored += 1;
                return None;
            };
            Some(Rating {
                rater_id: m.rating.rater_id.clone(),
                slate_id: m.rating.slate_id.clone(),
                source: m.source.clone(),
                condition: m.condition.clone(),
                role: m.role,
                score,
            })
        })
        .collect();
    let metrics = match client.metrics(&args.experiment, args.job.as_deref(), &progress) {
        Ok(m) => m,
        Err(e) => {
            say!(
                "warning: the platform's own metrics could not be read: {}",
                explain(&e)
            );
            Vec::new()
        }
    };
    drop(progress);
    if unplaced > 0 {
        say!(
            "warning: {unplaced} rating{} name a stimulus that is in none of the experiment's datasets; left out",
            if unplaced == 1 { "" } else { "s" }
        );
    }
    if unscored > 0 && verbosity != Verbosity::Quiet {
        say!(
            "{unscored} rating{} without a score left out",
            if unscored == 1 { "" } else { "s" }
        );
    }
    let opts = AnalysisOptions::default()
        .with_screening(!args.no_screening)
        .with_mid_anchors(args.mid_anchors.clone());
    let mut analysis = analyze(&detail.id, &detail.experiment_type, &table, &opts);
    analysis.results.platform_metrics = metrics
        .iter()
        .filter_map(|m| serde_json::to_value(m).ok())
        .collect();

    if let Some(path) = &args.csv {
        let excluded: BTreeSet<&str> = analysis
            .results
            .excluded_raters
            .iter()
            .map(|e| e.rater_id.as_str())
            .collect();
        if let Err(e) = write_csv(path, &mapped, &excluded) {
            return fail(
                format!(
                    "cannot write {}: {e}. Check the folder exists and is writable",
                    path.display()
                ),
                Exit::Usage,
            );
        }
        if verbosity != Verbosity::Quiet {
            say!("wrote {} ratings to {}", mapped.len(), path.display());
        }
    }
    if args.json {
        let mut out = term::stdout();
        serde_json::to_writer_pretty(&mut out, &analysis.results).map_err(io::Error::from)?;
        writeln!(out)?;
        out.flush()?;
    } else if !table.is_empty() {
        render(&mut term::stdout(), &analysis, args.by_source, &opts)?;
    }
    if table.is_empty() {
        say!(
            "no ratings yet for experiment {}{}: launch a job (`stimpack job launch`) and wait for sessions to finish",
            args.experiment,
            args.job
                .as_deref()
                .map(|j| format!(" job {j}"))
                .unwrap_or_default()
        );
        return Ok(Exit::Findings);
    }
    if analysis.results.conditions.is_empty() {
        say!("every rater was excluded by the post-screening; --no-screening keeps them");
        return Ok(Exit::Findings);
    }
    Ok(Exit::Ok)
}

/// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Every rating, one row each, written whole or not at all (`export::atomic_write`).
fn write_csv(path: &std::path::Path, rows: &[Mapped<'_>], excluded: &BTreeSet<&str>) -> io::Result<()> {
    crate::platforms::export::atomic_write(path, true, |out| {
        writeln!(
            out,
            "rater_id,session_id,job_id,slate_id,stimulus_id,stimulus,source,condition,role,dimension,score,excluded"
        )?;
        for m in rows {
            let r = m.rating;
            let score = r.score.map(|s| s.to_string()).unwrap_or_default();
            let fields = [
                r.rater_id.as_str(),
                r.session_id.as_deref().unwrap_or(""),
                r.job_id.as_deref().unwrap_or(""),
                r.slate_id.as_str(),
                r.stimulus_id.as_str(),
                r.stimulus.as_str(),
                m.source.as_str(),
                m.condition.as_str(),
                stimpack_core::platform::role_name(m.role),
                r.dimension.as_deref().unwrap_or(""),
                score.as_str(),
                if excluded.contains(r.rater_id.as_str()) {
                    "true"
                } else {
                    "false"
                },
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(out, "{}", line.join(","))?;
        }
        Ok(())
    })
    .map(drop)
}

/// Width of the interval bars, in characters.
const BAR: usize = 40;

/// The range the bars are drawn over: MUSHRA's 0-100, a win rate's 0-1, an ACR scale's 1-5
/// when every value fits, else what the values span.
fn scale(analysis: &Analysis) -> (f64, f64) {
    match analysis.method {
        Method::Mushra => (0.0, 100.0),
        Method::WinRate => (0.0, 1.0),
        _ => {
            let values = analysis.results.conditions.iter().flat_map(|c| {
                let [lo, hi] = c.summary.ci95.unwrap_or([c.summary.mean, c.summary.mean]);
                [lo, hi, c.summary.mean]
            });
            let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
            if lo >= 1.0 && hi <= 5.0 || !lo.is_finite() {
                (1.0, 5.0)
            } else if hi > lo {
                (lo, hi)
            } else {
                (lo - 1.0, hi + 1.0)
            }
        }
    }
}

/// `[----*---]` placed on the scale: the interval's ends, the mean.
fn bar(summary: &Summary, (lo, hi): (f64, f64)) -> String {
    let at = |v: f64| {
        (((v - lo) / (hi - lo) * (BAR - 1) as f64)
            .round()
            .clamp(0.0, (BAR - 1) as f64)) as usize
    };
    let mut cells = vec![' '; BAR];
    if let Some([a, b]) = summary.ci95 {
        let (a, b) = (at(a), at(b));
        for cell in &mut cells[a..=b] {
            *cell = '-';
        }
        cells[a] = '[';
        cells[b] = ']';
    }
    cells[at(summary.mean)] = '*';
    cells.into_iter().collect()
}

fn render(
    out: &mut impl Write,
    analysis: &Analysis,
    by_source: bool,
    opts: &AnalysisOptions,
) -> io::Result<()> {
    let results = &analysis.results;
    let excluded = results.excluded_raters.len();
    let screening = if analysis.screened {
        format!(", {excluded} excluded by the BS.1534-3 post-screening")
    } else {
        String::new()
    };
    writeln!(
        out,
        "experiment {} ({}): {} rater{}{screening}; {} rating{} used",
        escape(&results.experiment),
        escape(&results.experiment_type),
        analysis.raters,
        if analysis.raters == 1 { "" } else { "s" },
        analysis.ratings_used,
        if analysis.ratings_used == 1 { "" } else { "s" },
    )?;
    if analysis.screened && !analysis.mid_anchor_rated {
        writeln!(
            out,
            "(no mid anchor rated ({}): only the hidden-reference criterion applied; name it with --mid-anchor)",
            opts.mid_anchors.join(", ")
        )?;
    }
    let range = scale(analysis);
    let rows: Vec<(String, &Summary)> = results
        .conditions
        .iter()
        .map(|c| (escape(&c.condition).into_owned(), &c.summary))
        .collect();
    table(out, "condition", rows, analysis.method, range)?;
    if by_source {
        let mut sources: Vec<&str> = results.by_source.iter().map(|s| s.source.as_str()).collect();
        sources.dedup();
        for source in sources {
            writeln!(out)?;
            writeln!(out, "source {}", escape(source))?;
            let rows = results
                .by_source
                .iter()
                .filter(|s| s.source == source)
                .map(|s| (escape(&s.condition).into_owned(), &s.summary))
                .collect();
            table(out, "condition", rows, analysis.method, range)?;
        }
    }
    if excluded > 0 {
        writeln!(out)?;
        writeln!(out, "excluded raters:")?;
        for e in &results.excluded_raters {
            writeln!(out, "  {}  {}", escape(&e.rater_id), escape(&e.reason))?;
        }
    }
    if !results.platform_metrics.is_empty() {
        let kinds: Vec<String> = results
            .platform_metrics
            .iter()
            .filter_map(|m| {
                m.get("kind")
                    .and_then(|k| k.as_str())
                    .map(|k| escape(k).into_owned())
            })
            .collect();
        writeln!(out)?;
        writeln!(
            out,
            "the platform's own metrics (in --json): {}",
            kinds.join(", ")
        )?;
    }
    out.flush()
}

fn table(
    out: &mut impl Write,
    label: &str,
    mut rows: Vec<(String, &Summary)>,
    method: Method,
    range: (f64, f64),
) -> io::Result<()> {
    rows.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean).then_with(|| a.0.cmp(&b.0)));
    let width = rows
        .iter()
        .map(|(name, _)| name.chars().count())
        .chain([label.len()])
        .max()
        .unwrap_or(0);
    let (what, digits) = match method {
        Method::WinRate => ("win rate", 3),
        Method::MeanOpinionScore => ("MOS", 2),
        _ => ("mean", 1),
    };
    let scale_line = format!(
        "{:<half$}{:>rest$}",
        format_number(range.0),
        format_number(range.1),
        half = BAR / 2,
        rest = BAR - BAR / 2
    );
    writeln!(
        out,
        "{label:width$}  {:>5}  {what:>8}  {:>7}  {:17}  {scale_line}",
        "n", "sd", "95% interval"
    )?;
    for (name, s) in rows {
        let sd =
            s.sd.map(|v| format!("{v:.digits$}"))
                .unwrap_or_else(|| "-".into());
        let ci = s
            .ci95
            .map(|[lo, hi]| format!("[{lo:.digits$}, {hi:.digits$}]"))
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{name:width$}  {:>5}  {:>8.digits$}  {sd:>7}  {ci:17}  {}",
            s.n,
            s.mean,
            bar(s, range)
        )?;
    }
    Ok(())
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a"), "a");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn bars_mark_the_interval_and_the_mean() {
        let s = Summary {
            n: 3,
            mean: 50.0,
            sd: Some(1.0),
            ci95: Some([25.0, 75.0]),
        };
        let drawn = bar(&s, (0.0, 100.0));
        assert_eq!(drawn.chars().count(), BAR);
        // 25, 50 and 75 of 0-100 fall on cells 10, 20 and 29 of 0-39.
        assert_eq!(drawn.trim(), "[---------*--------]");
        assert_eq!(drawn.find('['), Some(10));
        let single = Summary {
            ci95: None,
            sd: None,
            ..s
        };
        assert_eq!(bar(&single, (0.0, 100.0)).trim(), "*");
    }
}
