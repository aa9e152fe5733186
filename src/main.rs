//! `stimpack`: the command-line tool. Flags are parsed in `cli`, reports are drawn in `render`,
//! `check_cmd`, `pack_cmd` and `upload` run those commands; `term` keeps the terminal safe
//! (escaped names, quiet broken pipes). Everything else lives in the libraries
//! `stimpack-core` (check, pack) and `stimpack-client` (the platform's API).

mod analyze_args;
mod check_cmd;
mod cli;
mod experiment_cmd;
mod formats;
mod online;
mod pack_cmd;
mod platform;
mod platforms;
mod preview;
mod render;
mod results_cmd;
mod term;
mod upload;
mod version;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command};

/// The process exit status, as documented in `--help`. Ordered by severity: with several
/// inputs the run exits with the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// No errors.
    Ok = 0,
    /// The dataset has errors (or the platform rejected it).
    Findings = 1,
    /// The input could not be read, or the arguments or configuration are wrong.
    Usage = 2,
    /// The platform or the network failed.
    Platform = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    ignore_file_size_signal();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // The message quotes what was typed: escape it like every other message.
            for line in e.render().to_string().lines() {
                say!("{line}");
            }
            return Exit::Usage.into();
        }
        Err(e) => {
            // Help and version go to stdout, which may be a pipe that closes early.
            let _ = e.print();
            return Exit::Ok.into();
        }
    };
    let verbosity = cli.verbosity();
    let result = match &cli.command {
        Command::Check(args) => check_cmd::run(args, verbosity),
        Command::Pack(args) => pack_cmd::run(args, verbosity),
        Command::Upload(args) => upload::upload(args, verbosity),
        Command::Status(args) => upload::status(args, verbosity),
        Command::Datasets(args) => upload::datasets(args, verbosity),
        Command::Experiment(args) => experiment_cmd::experiment(args, verbosity),
        Command::Job(args) => experiment_cmd::job(args, verbosity),
        Command::Results(args) => results_cmd::run(args, verbosity),
        Command::Formats(args) => formats::run(args),
        Command::Preview(args) => preview::run(args, verbosity),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(args.subcommand.as_deref()),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            say!("stimpack: {e}");
            Exit::Usage.into()
        }
    }
}

/// Past a file-size limit (`ulimit -f`) a write fails with EFBIG, which pack reports naming the
/// file and cleans up after, instead of the signal killing the process without a word.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: sets a standard signal's disposition to "ignore" before any thread starts.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

fn completions(shell: clap_complete::Shell) -> io::Result<Exit> {
    let mut out = term::stdout();
    clap_complete::generate(shell, &mut Cli::command(), "stimpack", &mut out);
    out.flush()?;
    Ok(Exit::Ok)
}

fn man(subcommand: Option<&str>) -> io::Result<Exit> {
    let mut command = Cli::command();
    command.build();
    let page = match subcommand {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(sub) => {
                let title = format!("stimpack-{name}");
                sub.clone().display_name(title)
            }
            None => {
                let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
                say!(
                    "stimpack: no subcommand '{name}'; man pages exist for: {}",
                    names.join(", ")
                );
                return Ok(Exit::Usage);
            }
        },
    };
    let mut out = term::stdout();
    clap_mangen::Man::new(page).render(&mut out)?;
    out.flush()?;
    Ok(Exit::Ok)
}
