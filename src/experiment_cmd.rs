//! `stimpack experiment create|list|show` and `stimpack job create|launch`: experiments made
//! from datasets already on the platform (checked against the experiment type's rules first),
//! jobs with their cost, and launches that spend money only with consent.

use std::io::{self, BufRead, IsTerminal, Write};

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stimpack_client::mabyduck::{
    Consent, CreateExperimentRequest, CreateJobRequest, Experiment, ExperimentDetail, JobCost, LANGUAGES,
    LaunchOutcome, PlatformId, PoolKind, Strategy,
};
use stimpack_client::{Client, ClientError, DatasetStatus};
use stimpack_core::{CheckOptions, DEFAULT_REFERENCE, ExperimentType, Severity, check_stimulus_names};

use crate::Exit;
use crate::cli::{Verbosity, experiment_parser};
use crate::platform::{ConfigError, PlatformArgs, Progress, explain};
use crate::say;
use crate::term::{self, escape};

/// Configuration and exit codes of the experiment commands, shown in `--help`.
pub const PLATFORM_HELP: &str = "Configuration:
  MABYDUCK_API_KEY   the project's API key (or --api-key-file PATH)
  MABYDUCK_PROJECT   the project id (or --project ID)
  MABYDUCK_API_URL   the API base URL (or --api-url URL; default https://api.mabyduck.com)

Exit codes:
  0  done
  1  refused: the datasets break the experiment's rules or are not ready; no such experiment or job
  2  the arguments or configuration are wrong
  3  the platform or the network failed (key refused, an error answer, retries exhausted)";

/// Arguments of `stimpack experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ExperimentCommand,
}

/// The `experiment` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// Create a draft experiment from datasets on the platform, after checking them against
    /// the experiment type's rules; prints its id.
    #[command(after_help = PLATFORM_HELP)]
    Create(ExperimentCreateArgs),
    /// List the project's experiments.
    #[command(after_help = PLATFORM_HELP)]
    List(ListArgs),
    /// Show an experiment with its datasets and jobs.
    #[command(after_help = PLATFORM_HELP)]
    Show(ShowArgs),
}

/// Arguments of `stimpack experiment create`.
#[derive(Debug, Args)]
pub struct ExperimentCreateArgs {
    /// A dataset to rate (its id, as `stimpack upload` prints it); repeat for several.
    #[arg(long = "dataset", value_name = "ID", required = true)]
    pub datasets: Vec<String>,
    /// A dataset shown for training only; repeat for several.
    #[arg(long = "training-dataset", value_name = "ID")]
    pub training_datasets: Vec<String>,
    /// The experiment type.
    #[arg(long = "type", value_name = "TYPE", value_parser = experiment_parser())]
    pub experiment_type: ExperimentType,
    /// The experiment's name (at most 128 characters).
    #[arg(long)]
    pub name: String,
    /// A short title shown at the top of the screen.
    #[arg(long)]
    pub title: Option<String>,
    /// The question or instructions shown at the top of the screen.
    #[arg(long)]
    pub question: Option<String>,
    /// A longer explanation of how to rate.
    #[arg(long)]
    pub description: Option<String>,
    /// The language the experiment is shown in [default: the platform's, en].
    #[arg(long, value_parser = PossibleValuesParser::new(LANGUAGES))]
    pub language: Option<String>,
    /// File name (without extension) of each source's reference, for the MUSHRA rules.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_REFERENCE)]
    pub reference: String,
    /// File name (without extension) of an anchor condition; repeat for several.
    #[arg(long = "anchor", value_name = "NAME")]
    pub anchors: Vec<String>,
    /// Print the new experiment as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// Arguments of `stimpack experiment list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the list as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// Arguments of `stimpack experiment show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The experiment id.
    pub experiment: String,
    /// Print the experiment as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// Arguments of `stimpack job`.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: JobCommand,
}

/// The `job` subcommands.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Create a draft job (nothing is spent yet); prints its id, and its cost on stderr.
    #[command(after_help = PLATFORM_HELP)]
    Create(JobCreateArgs),
    /// Launch a job: shows its cost and launches only with consent (a terminal's yes, or --yes).
    #[command(after_help = LAUNCH_HELP)]
    Launch(JobLaunchArgs),
}

/// Exit codes of `job launch`, shown in `--help`.
pub const LAUNCH_HELP: &str = "Consent:
  On a terminal (stdin and stderr), the cost is shown and you are asked to confirm.
  Otherwise nothing is launched unless --yes is given; --max-cost caps what --yes accepts.

Exit codes:
  0  launched (or launched already)
  1  not launched: declined at the prompt, or the cost is above --max-cost
  2  not launched: no terminal to ask and no --yes; or the arguments or configuration are wrong
  3  the platform or the network failed";

/// Who may take part, by kind of rater pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolKindArg {
    /// Anyone with the link.
    Anyone,
    /// The project's members.
    Members,
    /// Crowd-sourced raters (paid).
    Crowd,
    /// AI raters.
    Ai,
}

impl From<PoolKindArg> for PoolKind {
    fn from(kind: PoolKindArg) -> Self {
        match kind {
            PoolKindArg::Anyone => PoolKind::Anyone,
            PoolKindArg::Members => PoolKind::Members,
            PoolKindArg::Crowd => PoolKind::Crowd,
            PoolKindArg::Ai => PoolKind::Ai,
        }
    }
}

/// How a job picks stimuli.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Conditions drawn at random.
    Randomized,
    /// Sources in name order.
    Lexicographic,
    /// Where the ratings are least certain.
    Active,
    /// Neighbouring conditions.
    Neighbor,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Randomized => Strategy::Randomized,
            StrategyArg::Lexicographic => Strategy::Lexicographic,
            StrategyArg::Active => Strategy::Active,
            StrategyArg::Neighbor => Strategy::Neighbor,
        }
    }
}

/// Arguments of `stimpack job create`.
#[derive(Debug, Args)]
pub struct JobCreateArgs {
    /// The experiment id.
    pub experiment: String,
    /// How many sessions (times the task is performed).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub sessions: u32,
    /// How many groups of stimuli each rater evaluates.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub comparisons: u32,
    /// Training comparisons before the rated ones [default: the platform's, 2].
    #[arg(long, value_name = "N")]
    pub training: Option<u32>,
    /// How stimuli are picked [default: the platform's, randomized].
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// The rater pool's id (see `stimpack experiment show`).
    #[arg(long, value_name = "ID", conflicts_with = "pool_kind")]
    pub pool: Option<String>,
    /// The kind of rater pool, when the experiment offers one of that kind [default: members].
    #[arg(long, value_enum)]
    pub pool_kind: Option<PoolKindArg>,
    /// Print the job and its cost as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// Arguments of `stimpack job launch`.
#[derive(Debug, Args)]
pub struct JobLaunchArgs {
    /// The experiment id.
    pub experiment: String,
    /// The job id.
    pub job: String,
    /// Launch without asking (needed when stdin or stderr is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Refuse to launch when the cost is higher than AMOUNT (in the job's currency; `50` or
    /// `50EUR`).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_max_cost)]
    pub max_cost: Option<MaxCost>,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

/// `--max-cost`: an amount, and the currency when given.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxCost {
    /// The most to spend.
    pub amount: f64,
    /// The currency it is in, when given (`EUR`).
    pub currency: Option<String>,
}

fn parse_max_cost(s: &str) -> Result<MaxCost, String> {
    let text = s.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, currency) = text.split_at(split);
    let amount: f64 = number
        .trim()
        .parse()
        .ok()
        .filter(|a: &f64| a.is_finite() && *a >= 0.0)
        .ok_or_else(|| format!("'{s}' is not an amount; write it like 50 or 50EUR"))?;
    let currency = currency.trim();
    if !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!("'{s}' is not an amount; write it like 50 or 50EUR"));
    }
    Ok(MaxCost {
        amount,
        currency: (!currency.is_empty()).then(|| currency.to_ascii_uppercase()),
    })
}

/// The exit code a client failure stands for, for these commands.
pub(crate) fn exit_for(e: &ClientError) -> Exit {
    match e {
        ClientError::ExperimentNotFound { .. } | ClientError::JobNotFound { .. } => Exit::Findings,
        ClientError::InvalidField { .. } => Exit::Usage,
        other => crate::upload::exit_for(other),
    }
}

fn fail(message: impl std::fmt::Display, exit: Exit) -> io::Result<Exit> {
    say!("stimpack: {message}");
    Ok(exit)
}

fn client_or_exit(platform: &PlatformArgs) -> Result<Client, Exit> {
    platform.client().map_err(|ConfigError(m)| {
        say!("stimpack: {m}");
        Exit::Usage
    })
}

fn print_json(value: &impl Serialize) -> io::Result<()> {
    let mut out = term::stdout();
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()
}

/// Runs `stimpack experiment ...`.
pub fn experiment(args: &ExperimentArgs, verbosity: Verbosity) -> io::Result<Exit> {
    match &args.command {
        ExperimentCommand::Create(a) => create(a, verbosity),
        ExperimentCommand::List(a) => list(a, verbosity),
        ExperimentCommand::Show(a) => show(a, verbosity),
    }
}

/// Runs `stimpack job ...`.
pub fn job(args: &JobArgs, verbosity: Verbosity) -> io::Result<Exit> {
    match &args.command {
        JobCommand::Create(a) => create_job(a, verbosity),
        JobCommand::Launch(a) => launch(a, verbosity),
    }
}

fn create(args: &ExperimentCreateArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match client_or_exit(&args.platform) {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let request = CreateExperimentRequest {
        name: args.name.clone(),
        experiment_type: args.experiment_type.as_str().to_owned(),
        language: args.language.clone(),
        datasets: args
            .datasets
            .iter()
            .map(|d| PlatformId::from(d.as_str()))
            .collect(),
        training_datasets: args
            .training_datasets
            .iter()
            .map(|d| PlatformId::from(d.as_str()))
            .collect(),
        title: args.title.clone(),
        question: args.question.clone(),
        description: args.description.clone(),
        introduction: None,
    };
    if let Err(e) = request.validate() {
        return fail(e, Exit::Usage);
    }
    // The same rules as `check --experiment TYPE`, over the stimuli the platform holds.
    let opts = CheckOptions::default()
        .with_experiment(Some(args.experiment_type))
        .with_reference(args.reference.clone())
        .with_anchors(args.anchors.clone());
    let progress = Progress::new(verbosity);
    let mut errors = 0;
    let all = args.datasets.iter().chain(&args.training_datasets);
    for dataset in all {
        let detail = match client.dataset_detail(dataset, &progress) {
            Ok(d) => d,
            Err(e) => return fail(explain(&e), exit_for(&e)),
        };
        match detail.status {
            Some(DatasetStatus::Ready) | None => {}
            Some(DatasetStatus::Error) => {
                let why = detail.error.as_deref().unwrap_or("no reason given");
                return fail(
                    format!("dataset {dataset} failed processing ({why}); nothing created. Upload it again"),
                    Exit::Findings,
                );
            }
            Some(status) => {
                return fail(
                    format!(
                        "dataset {dataset} is {status}, not ready; nothing created. Wait with `stimpack status {dataset} --wait`"
                    ),
                    Exit::Findings,
                );
            }
        }
        let stimuli = detail
            .stimuli
            .iter()
            .map(|s| (s.filepath.as_str(), s.group_id.as_str()));
        for issue in check_stimulus_names(stimuli, &opts) {
            if issue.severity == Severity::Error {
                errors += 1;
            } else if verbosity == Verbosity::Quiet {
                continue;
            }
            say!("dataset {dataset}: {issue}");
        }
    }
    if errors > 0 {
        let plural = if errors == 1 { "" } else { "s" };
        return fail(
            format!(
                "nothing created: {errors} error{plural} above; the datasets cannot run a {} experiment. \
                 Fix them and upload again, or choose another --type",
                args.experiment_type
            ),
            Exit::Findings,
        );
    }
    let created = match client.create_experiment(&request, &progress) {
        Ok(e) => e,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    drop(progress);
    if args.json {
        print_json(&created)?;
    } else {
        let mut out = term::stdout();
        writeln!(out, "{}", escape(&created.id))?;
        out.flush()?;
    }
    if verbosity != Verbosity::Quiet {
        say!(
            "created experiment {} '{}' ({}, {} dataset{}); next: stimpack job create {} --sessions N --comparisons N",
            created.id,
            created.name,
            created.experiment_type,
            args.datasets.len(),
            if args.datasets.len() == 1 { "" } else { "s" },
            created.id
        );
    }
    Ok(Exit::Ok)
}

fn list(args: &ListArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match client_or_exit(&args.platform) {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let progress = Progress::new(verbosity);
    let list: Vec<Experiment> = match client.list_experiments(&progress) {
        Ok(l) => l,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    drop(progress);
    if args.json {
        print_json(&list)?;
        return Ok(Exit::Ok);
    }
    let rows: Vec<[String; 5]> = list
        .iter()
        .map(|e| {
            [
                escape(&e.id).into_owned(),
                escape(&e.experiment_type).into_owned(),
                e.job_ids.len().to_string(),
                escape(e.date_created.as_deref().unwrap_or("-")).into_owned(),
                escape(&e.name).into_owned(),
            ]
        })
        .collect();
    let width = rows
        .iter()
        .map(|r| r[0].chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut out = term::stdout();
    writeln!(
        out,
        "{:width$}  {:16}  {:4}  {:25}  name",
        "id", "type", "jobs", "created"
    )?;
    for [id, kind, jobs, created, name] in &rows {
        writeln!(out, "{id:width$}  {kind:16}  {jobs:>4}  {created:25}  {name}")?;
    }
    out.flush()?;
    Ok(Exit::Ok)
}

fn show(args: &ShowArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match client_or_exit(&args.platform) {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let progress = Progress::new(verbosity);
    let detail: ExperimentDetail = match client.experiment(&args.experiment, &progress) {
        Ok(d) => d,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    drop(progress);
    if args.json {
        print_json(&detail)?;
        return Ok(Exit::Ok);
    }
    let mut out = term::stdout();
    writeln!(
        out,
        "experiment {} '{}': {}, language {}",
        escape(&detail.id),
        escape(&detail.name),
        escape(&detail.experiment_type),
        escape(detail.language.as_deref().unwrap_or("-"))
    )?;
    for (label, list) in [
        ("dataset", &detail.datasets),
        ("training dataset", &detail.training_datasets),
    ] {
        for d in list {
            let status = d.status.as_deref().unwrap_or("-");
            let deleted = if d.is_deleted { ", files deleted" } else { "" };
            writeln!(
                out,
                "  {label} {} '{}' ({}{deleted})",
                escape(&d.id),
                escape(&d.name),
                escape(status)
            )?;
        }
    }
    if detail.jobs.is_empty() {
        writeln!(
            out,
            "  no jobs yet: stimpack job create {} --sessions N --comparisons N",
            escape(&detail.id)
        )?;
    }
    for j in &detail.jobs {
        let pool = j
            .rater_pool
            .as_ref()
            .map(|p| format!("pool {} '{}'", p.id, p.name))
            .unwrap_or_else(|| "no pool".into());
        let launched = match &j.date_launched {
            Some(date) => format!("launched {date}"),
            None => "not launched".into(),
        };
        writeln!(
            out,
            "  job {} {}: {} sessions x {} comparisons, {}, {}",
            escape(&j.id),
            escape(&j.status),
            j.num_sessions,
            j.num_comparisons,
            escape(&pool),
            escape(&launched)
        )?;
    }
    out.flush()?;
    Ok(Exit::Ok)
}

/// `job create --json`.
#[derive(Serialize)]
struct JobView<'a> {
    id: &'a str,
    experiment: &'a str,
    sessions: u32,
    comparisons: u32,
    training: Option<u32>,
    pool: Option<&'a str>,
    cost: Option<&'a JobCost>,
}

fn create_job(args: &JobCreateArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match client_or_exit(&args.platform) {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let progress = Progress::new(verbosity);
    let pool = match &args.pool {
        Some(id) => id.clone(),
        None => {
            let kind = args.pool_kind.unwrap_or(PoolKindArg::Members);
            let name = kind
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default();
            let pools = match client.rater_pools(&args.experiment, Some(kind.into()), &progress) {
                Ok(p) => p,
                Err(e) => return fail(explain(&e), exit_for(&e)),
            };
            match pools.as_slice() {
                [one] => one.id.clone(),
                [] => {
                    return fail(
                        format!(
                            "experiment {} offers no rater pool of kind {name}; choose another --pool-kind or give --pool ID",
                            args.experiment
                        ),
                        Exit::Findings,
                    );
                }
                several => {
                    let listed: Vec<String> =
                        several.iter().map(|p| format!("{} ({})", p.id, p.name)).collect();
                    return fail(
                        format!(
                            "experiment {} has {} rater pools of kind {name}: {}. Choose one with --pool ID",
                            args.experiment,
                            several.len(),
                            listed.join(", ")
                        ),
                        Exit::Usage,
                    );
                }
            }
        }
    };
    let request = CreateJobRequest {
        rater_pool: PlatformId(pool.clone()),
        num_sessions: args.sessions,
        num_comparisons: args.comparisons,
        num_training: args.training,
        strategy: args.strategy.map(Strategy::from),
    };
    let job = match client.create_job(&args.experiment, &request, &progress) {
        Ok(j) => j,
        Err(e) => return fail(explain(&e), exit_for(&e)),
    };
    let cost = client.job_cost(&args.experiment, &job.id, &progress);
    drop(progress);
    if args.json {
        print_json(&JobView {
            id: &job.id,
            experiment: &args.experiment,
            sessions: args.sessions,
            comparisons: args.comparisons,
            training: job.num_training.or(args.training),
            pool: Some(&pool),
            cost: cost.as_ref().ok(),
        })?;
    } else {
        let mut out = term::stdout();
        writeln!(out, "{}", escape(&job.id))?;
        out.flush()?;
    }
    match cost {
        Ok(cost) => {
            say!(
                "job {} created (a draft: nothing is spent until it is launched)",
                job.id
            );
            say!("cost: {cost}");
            if verbosity != Verbosity::Quiet {
                say!("next: stimpack job launch {} {}", args.experiment, job.id);
            }
            Ok(Exit::Ok)
        }
        Err(e) => fail(
            format!(
                "job {} was created, but its cost could not be fetched: {}",
                job.id,
                explain(&e)
            ),
            exit_for(&e),
        ),
    }
}

/// Why a launch did not happen.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NoLaunch {
    /// No terminal to ask and no `--yes`.
    NoConsent,
    /// The cost is above `--max-cost`.
    TooDear,
    /// Declined at the prompt.
    Declined,
}

fn launch(args: &JobLaunchArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let client = match client_or_exit(&args.platform) {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    let terminal = io::stdin().is_terminal() && io::stderr().is_terminal();
    let mut why = None;
    let mut consent = |cost: &JobCost, before: Option<&JobCost>| -> Consent {
        if before.is_some() {
            say!("the cost confirmation expired; fetched it again");
        }
        say!("cost: {cost}");
        if let Some(max) = &args.max_cost {
            if let Some(currency) = max
                .currency
                .as_deref()
                .filter(|c| !c.eq_ignore_ascii_case(&cost.currency))
            {
                say!(
                    "not launched: the cost is in {}, and --max-cost is in {currency}",
                    cost.currency
                );
                why = Some(NoLaunch::TooDear);
                return Consent::No;
            }
            if cost.cost > max.amount {
                say!(
                    "not launched: {:.2} {} is more than --max-cost {:.2}",
                    cost.cost,
                    cost.currency,
                    max.amount
                );
                why = Some(NoLaunch::TooDear);
                return Consent::No;
            }
        }
        // Consent given for this amount stands when only the token was renewed.
        if args.yes || before.is_some_and(|b| b.same_amount(cost)) {
            return Consent::Yes;
        }
        if !terminal {
            why = Some(NoLaunch::NoConsent);
            return Consent::No;
        }
        let mut err = term::stderr();
        let _ = write!(
            err,
            "Launch job {} of experiment {} for {:.2} {}? [y/N] ",
            escape(&args.job),
            escape(&args.experiment),
            cost.cost,
            escape(&cost.currency)
        );
        let _ = err.flush();
        drop(err);
        let mut answer = String::new();
        let read = io::stdin().lock().read_line(&mut answer).unwrap_or(0);
        if read > 0 && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            Consent::Yes
        } else {
            why = Some(NoLaunch::Declined);
            Consent::No
        }
    };
    let progress = Progress::new(verbosity);
    let outcome = client.launch_with_consent(&args.experiment, &args.job, &mut consent, &progress);
    drop(progress);
    match outcome {
        Ok(LaunchOutcome::Launched(cost)) => {
            say!(
                "launched job {} of experiment {} ({cost})",
                args.job,
                args.experiment
            );
            if verbosity != Verbosity::Quiet {
                say!(
                    "results as they come in: stimpack results {} --job {}",
                    args.experiment,
                    args.job
                );
            }
            Ok(Exit::Ok)
        }
        Ok(LaunchOutcome::AlreadyLaunched(date)) => {
            say!(
                "job {} was launched already{}; nothing done",
                args.job,
                date.map(|d| format!(" ({d})")).unwrap_or_default()
            );
            Ok(Exit::Ok)
        }
        Ok(LaunchOutcome::Declined(_)) => Ok(match why {
            Some(NoLaunch::NoConsent) => {
                say!(
                    "not launched: there is no terminal to ask for consent. Run again with --yes to launch at this cost \
                     (and --max-cost AMOUNT to cap it)"
                );
                Exit::Usage
            }
            Some(NoLaunch::TooDear) => Exit::Findings,
            Some(NoLaunch::Declined) | None => {
                say!("not launched");
                Exit::Findings
            }
        }),
        // A newer client's outcome this CLI does not know: say so rather than exit in silence.
        Ok(other) => fail(
            format!(
                "the launch of job {} ended as {other:?}, which this stimpack cannot describe; check the job with \
                 `stimpack experiment show {}`",
                args.job, args.experiment
            ),
            Exit::Platform,
        ),
        Err(e) => fail(explain(&e), exit_for(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_cost_takes_an_amount_and_an_optional_currency() {
        let parse = |s| parse_max_cost(s).unwrap();
        assert_eq!(
            parse("50"),
            MaxCost {
                amount: 50.0,
                currency: None
            }
        );
        assert_eq!(
            parse("12.5 eur"),
            MaxCost {
                amount: 12.5,
                currency: Some("EUR".into())
            }
        );
        assert_eq!(parse("0USD").currency.as_deref(), Some("USD"));
        for bad in ["", "-1", "abc", "5 E U R", "inf", "NaN"] {
            assert!(parse_max_cost(bad).is_err(), "{bad}");
        }
    }
}
