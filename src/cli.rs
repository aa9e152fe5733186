//! Command-line flags (clap derive), and their resolution into the library's option structs.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use stimpack_core::{CheckOptions, DEFAULT_REFERENCE, ExperimentType};

/// Validate and package media datasets for subjective-evaluation platforms.
#[derive(Debug, Parser)]
#[command(
    name = "stimpack",
    version = crate::version::SHORT,
    long_version = crate::version::LONG,
    about,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Print only the verdict and the errors (no warnings, grid, progress or retry lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also say what is being done and how long it took, on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How much to say on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: the verdict and errors only.
    Quiet,
    /// The default.
    Normal,
    /// `-v`: also what is done and how long it took.
    Verbose,
}

impl Cli {
    /// The verbosity the flags ask for.
    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

/// Exit codes, shown in `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  no errors (warnings allowed unless --strict)
  1  the dataset has errors (nothing was written or uploaded), or the platform rejected it
  2  the input could not be read, the arguments or configuration are wrong
  3  the platform or the network failed (key refused, time-out, retries exhausted)
With several inputs, the worst. The same when stdout is a pipe that closes early.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check dataset folders, zip archives or .txt URL lists, and report everything wrong with them.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Check, then write a clean, reproducible dataset.zip (or cleaned URL list) and its manifest.
    #[command(after_help = EXIT_CODES)]
    Pack(PackArgs),
    /// Check (and pack a folder), upload to Mabyduck (or --platform), wait until the dataset is ready, verify it.
    #[command(after_help = crate::platforms::UPLOAD_HELP)]
    Upload(UploadArgs),
    /// Show a Mabyduck dataset's status, or wait for it.
    #[command(after_help = UPLOAD_HELP)]
    Status(StatusArgs),
    /// List the project's Mabyduck datasets.
    #[command(after_help = DATASETS_HELP)]
    Datasets(DatasetsArgs),
    /// Create, list and show Mabyduck experiments made from uploaded datasets.
    Experiment(crate::experiment_cmd::ExperimentArgs),
    /// Create a Mabyduck job (raters for an experiment) and launch it, with cost confirmation.
    Job(crate::experiment_cmd::JobArgs),
    /// Scores of an experiment: per condition and per source, with 95% intervals and screening.
    #[command(after_help = crate::results_cmd::RESULTS_HELP)]
    Results(crate::results_cmd::ResultsArgs),
    /// List every container format, codec and file extension stimpack reads.
    Formats(FormatsArgs),
    /// Check, then show the dataset in a browser: a sources x conditions grid with a player per
    /// file, served on 127.0.0.1 (or written as a static page with -o).
    #[command(after_help = PREVIEW_HELP)]
    Preview(PreviewArgs),
    /// Print a shell completion script on stdout (see the README for where to put it).
    Completions(CompletionsArgs),
    /// Print the man page (roff) of stimpack, or of one subcommand, on stdout.
    Man(ManArgs),
}

/// Keys and exit codes of `stimpack preview`, shown in `--help`.
pub const PREVIEW_HELP: &str =
    "On the page: 1-9 and 0 switch to that condition of the current row at the same
playback position, space plays or pauses, up and down change rows.

Exit codes:
  0  the page was served until stopped (Ctrl-C), or written with -o
  2  the input could not be read, the port is taken, or the output is refused";

/// Arguments of `stimpack preview`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// A folder, a .zip archive (read in place) or a .txt URL list (played from its URLs).
    pub input: PathBuf,
    /// The port on 127.0.0.1 to serve on; 0 (the default) takes any free port.
    #[arg(long, value_name = "N", default_value_t = 0, conflicts_with = "output")]
    pub port: u16,
    /// Open the page in the system's browser ($BROWSER when set).
    #[arg(long, conflicts_with = "output")]
    pub open: bool,
    /// Write a static page (DIR/index.html) instead of serving: links to the media for a
    /// folder, the URLs for a URL list; for a zip, the readings only (playing needs the server).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Replace an existing DIR/index.html.
    #[arg(long, requires = "output")]
    pub force: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Arguments of `stimpack man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (stimpack-SUBCOMMAND(1)); without it, stimpack(1).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// Arguments of `stimpack formats`.
#[derive(Debug, Args)]
pub struct FormatsArgs {
    /// Print the tables as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `stimpack completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Configuration and exit codes of `stimpack datasets`, shown in `--help`.
pub const DATASETS_HELP: &str = "Configuration:
  MABYDUCK_API_KEY   the project's API key (or --api-key-file PATH)
  MABYDUCK_PROJECT   the project id (or --project ID)
  MABYDUCK_API_URL   the API base URL (or --api-url URL; default https://api.mabyduck.com)

Exit codes:
  0  the list was printed (an empty project prints only the header)
  2  the arguments or configuration are wrong (no key, no project, bad URL)
  3  the platform or the network failed (key refused, an error answer, retries exhausted)";

/// Configuration and exit codes of the platform commands, shown in `--help`.
pub const UPLOAD_HELP: &str = "Configuration:
  MABYDUCK_API_KEY   the project's API key (or --api-key-file PATH)
  MABYDUCK_PROJECT   the project id (or --project ID)
  MABYDUCK_API_URL   the API base URL (or --api-url URL; default https://api.mabyduck.com)

Exit codes:
  0  done
  1  the dataset has errors, processing failed, the platform's stimuli differ from ours,
     or (status) no dataset has that id in the project
  2  the input could not be read, the arguments or configuration are wrong
  3  the platform or the network failed (key refused, time-out, retries exhausted)";

/// Arguments of `stimpack pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// A folder, a .zip archive (re-packed clean) or a .txt URL list (written cleaned).
    pub input: PathBuf,
    /// Where to write: a .zip (or a .txt for a URL list).
    #[arg(short, long, value_name = "PATH")]
    pub output: PathBuf,
    /// Where to write the manifest [default: beside the output, NAME.manifest.json].
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Replace an existing output.
    #[arg(long)]
    pub force: bool,
    /// Deflate uncompressed PCM audio (WAV/AIFF); everything else is stored as is.
    #[arg(long)]
    pub compress: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output_format: PackOutputArgs,
}

/// Flags that choose how `pack` shows its results.
#[derive(Debug, Args)]
pub struct PackOutputArgs {
    /// Print the manifest as JSON on stdout when the archive is written (the check report
    /// when it is refused); the readable report then stays off stderr.
    #[arg(long)]
    pub json: bool,
    /// When to use colour in the readable report (on stderr).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Arguments of `stimpack upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// A folder (packed first), a .zip (uploaded as is) or a .txt URL list.
    pub input: PathBuf,
    /// The dataset's name on the platform (at most 64 characters).
    #[arg(long)]
    pub name: String,
    /// Return once the file is uploaded, without waiting for processing.
    #[arg(long)]
    pub no_wait: bool,
    /// Keep the zip packed from a folder at this path (otherwise it is deleted).
    #[arg(long, value_name = "PATH")]
    pub keep: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub wait: crate::platform::WaitArgs,
    #[command(flatten)]
    pub platform: crate::platform::PlatformArgs,
    #[command(flatten)]
    pub targets: crate::platforms::upload::PlatformUploadArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Arguments of `stimpack status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The dataset id (printed by `stimpack upload`).
    pub id: String,
    /// Wait until processing ends.
    #[arg(long)]
    pub wait: bool,
    /// Print the dataset as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub timeout: crate::platform::WaitArgs,
    #[command(flatten)]
    pub platform: crate::platform::PlatformArgs,
}

/// Arguments of `stimpack datasets`.
#[derive(Debug, Args)]
pub struct DatasetsArgs {
    /// Print the list as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub platform: crate::platform::PlatformArgs,
}

/// Arguments of `stimpack check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Folders (one sub-folder per source), .zip archives, or .txt files with one URL per
    /// line; `-` reads a URL list from stdin. Several inputs get one report each.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Also list every stimulus with its format, duration, rate and size (like `ls -l`).
    #[arg(short, long)]
    pub long: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags that choose the rules.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Apply the rules of this Mabyduck experiment type.
    #[arg(long, value_name = "TYPE", value_parser = experiment_parser())]
    pub experiment: Option<ExperimentType>,
    /// File name (without extension) of each source's reference.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_REFERENCE)]
    pub reference: String,
    /// File name (without extension) of an anchor condition; repeat for several. Without it,
    /// names matching anchor*, lowpass*, lp35 and lp70 are anchors.
    #[arg(long = "anchor", value_name = "NAME")]
    pub anchors: Vec<String>,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Also decode every audio file completely, to prove its audio stream is intact (slower).
    #[arg(long)]
    pub decode: bool,
    #[command(flatten)]
    pub analyze: crate::analyze_args::AnalyzeArgs,
    /// Probing threads: 0 (the default) is one per core; at most 256. With 1, `pack` also
    /// reads its sources with one thread.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    #[command(flatten)]
    pub target: crate::platforms::TargetArgs,
    #[command(flatten)]
    pub online: crate::online::OnlineArgs,
}

/// Flags that choose how results are shown.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print the report as one JSON document on stdout (and nothing else there); with several
    /// inputs, one report per line (JSON Lines).
    #[arg(long)]
    pub json: bool,
    /// When to use colour in the readable report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Accepts the platform's experiment types, and lists them in `--help`.
pub(crate) fn experiment_parser() -> impl TypedValueParser<Value = ExperimentType> {
    PossibleValuesParser::new(ExperimentType::ALL.iter().map(|t| t.as_str()))
        .try_map(|s| s.parse::<ExperimentType>())
}

/// The most probing threads `--threads` accepts. More threads than cores only add memory
/// (each holds a read buffer) and contention: probing is short reads of headers.
pub const MAX_THREADS: usize = 256;

fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of threads; give 0 (one per core) to {MAX_THREADS}"))?;
    if n > MAX_THREADS {
        return Err(format!(
            "{n} threads is more than the {MAX_THREADS} allowed; use 0 for one per core ({} here)",
            cores()
        ));
    }
    Ok(n)
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl RuleArgs {
    /// The library options these flags stand for.
    pub fn to_options(&self) -> CheckOptions {
        CheckOptions::default()
            .with_experiment(self.experiment)
            .with_reference(self.reference.clone())
            .with_anchors(self.anchors.clone())
            .with_strict(self.strict)
            .with_threads(self.threads)
            .with_decode(self.decode)
            .with_online(self.online.to_online())
            .with_analyze(self.analyze.to_options())
    }
}
