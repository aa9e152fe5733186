//! Command-line flags (clap derive), and their resolution into the library's option structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use stimpack_core::{CheckOptions, DEFAULT_REFERENCE, ExperimentType};

/// Validate and package media datasets for subjective-evaluation platforms.
#[derive(Debug, Parser)]
#[command(name = "stimpack", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Exit codes, shown in `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  no errors (warnings allowed unless --strict)
  1  the dataset has errors (nothing was written or uploaded), or the platform rejected it
  2  the input could not be read, the arguments or configuration are wrong
  3  the platform or the network failed (key refused, time-out, retries exhausted)";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a dataset folder, zip archive or .txt URL list, and report everything wrong with it.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Check, then write a clean, reproducible dataset.zip (or cleaned URL list) and its manifest.
    #[command(after_help = EXIT_CODES)]
    Pack(PackArgs),
    /// Check (and pack a folder), upload to Mabyduck, wait until the dataset is ready, verify it.
    #[command(after_help = UPLOAD_HELP)]
    Upload(UploadArgs),
    /// Show a Mabyduck dataset's status, or wait for it.
    #[command(after_help = UPLOAD_HELP)]
    Status(StatusArgs),
    /// List the project's Mabyduck datasets.
    #[command(after_help = UPLOAD_HELP)]
    Datasets(DatasetsArgs),
}

/// Configuration and exit codes of the platform commands, shown in `--help`.
pub const UPLOAD_HELP: &str = "Configuration:
  MABYDUCK_API_KEY   the project's API key (or --api-key-file PATH)
  MABYDUCK_PROJECT   the project id (or --project ID)
  MABYDUCK_API_URL   the API base URL (or --api-url URL; default https://api.mabyduck.com)

Exit codes:
  0  done
  1  the dataset has errors, processing failed, or the platform's stimuli differ from ours
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
    pub output_format: OutputArgs,
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
    /// A folder (one sub-folder per source), a .zip archive, or a .txt file with one URL per line.
    pub input: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags that choose the rules.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Apply the rules of this Mabyduck experiment type.
    #[arg(long, value_name = "TYPE", value_parser = parse_experiment)]
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
    /// Probing threads (default: one per core); with 1, `pack` also reads with one thread.
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    pub threads: usize,
}

/// Flags that choose how results are shown.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print the report as one JSON document on stdout (and nothing else there).
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

fn parse_experiment(s: &str) -> Result<ExperimentType, String> {
    s.parse()
        .map_err(|e: stimpack_core::options::UnknownExperiment| e.to_string())
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
    }
}
