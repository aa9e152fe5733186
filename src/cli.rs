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
  1  the dataset has errors (nothing was written or uploaded)
  2  the input could not be read, or the arguments are wrong";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a dataset folder, zip archive or .txt URL list, and report everything wrong with it.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
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
    /// File name (without extension) of an anchor condition; repeat for several.
    #[arg(long = "anchor", value_name = "NAME")]
    pub anchors: Vec<String>,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Also decode every audio file completely, to prove its audio stream is intact (slower).
    #[arg(long)]
    pub decode: bool,
    /// Probing threads (default: one per core).
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
