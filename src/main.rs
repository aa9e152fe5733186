//! `stimpack`: the command-line tool. Flags are parsed in `cli`, reports are drawn in `render`,
//! `pack_cmd` and `upload` run those commands; everything else lives in the libraries
//! `stimpack-core` (check, pack) and `stimpack-client` (the platform's API).

mod cli;
mod pack_cmd;
mod platform;
mod render;
mod upload;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{CheckArgs, Cli, Command};

/// The process exit status, as documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        Err(e) => {
            let code = if e.use_stderr() { Exit::Usage } else { Exit::Ok };
            let _ = e.print();
            return code.into();
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Pack(args) => pack_cmd::run(&args),
        Command::Upload(args) => upload::upload(&args),
        Command::Status(args) => upload::status(&args),
        Command::Datasets(args) => upload::datasets(&args),
    };
    match result {
        Ok(exit) => exit.into(),
        // A closed pipe (`stimpack check x | head`) is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Ok.into(),
        Err(e) => {
            eprintln!("stimpack: {e}");
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

fn check(args: &CheckArgs) -> io::Result<Exit> {
    let opts = args.rules.to_options();
    let report = match stimpack_core::check(&args.input, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("stimpack: {e}");
            return Ok(Exit::Usage);
        }
    };
    let mut out = io::stdout().lock();
    if args.output.json {
        serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let style = render::Style::new(args.output.color, false);
        render::report(&mut out, &report, &style)?;
    }
    out.flush()?;
    Ok(if report.ok { Exit::Ok } else { Exit::Findings })
}
