//! `stimpack check`: one report per input, the exit code the worst of them. `-` reads a URL
//! list from stdin. With `--json`, one input prints one pretty JSON document (as it always
//! has); several print one compact report per line (JSON Lines), in the order given.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use stimpack_core::{CheckOptions, InputError, Report};

use crate::Exit;
use crate::cli::{CheckArgs, Verbosity};
use crate::render;
use crate::say;
use crate::term;

/// The input name `-`: a URL list read from stdin.
pub const STDIN: &str = "-";

/// Runs `stimpack check`.
pub fn run(args: &CheckArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let opts = match args.rules.target.platform() {
        Ok(p) => args.rules.to_options().with_platform(p),
        Err(m) => {
            say!("stimpack: {m}");
            return Ok(Exit::Usage);
        }
    };
    if args.inputs.iter().filter(|i| i.as_os_str() == STDIN).count() > 1 {
        say!("stimpack: `-` (stdin) can be given only once");
        return Ok(Exit::Usage);
    }
    let several = args.inputs.len() > 1;
    let style = render::Style::new(args.output.color, false)
        .with_verbosity(verbosity)
        .with_long(args.long);
    // One write per buffer, not per line: pretty JSON of 2,000 stimuli is 77,000 lines, and
    // stdout alone flushes at every newline.
    let mut out = io::BufWriter::with_capacity(1 << 16, term::stdout());
    let mut worst = Exit::Ok;
    for (i, input) in args.inputs.iter().enumerate() {
        let started = Instant::now();
        if verbosity == Verbosity::Verbose {
            say!("checking {} with {}", shown(input), threads_text(&opts));
        }
        let progress = crate::online::Progress::start(opts.online.is_some(), verbosity);
        let checked = check_one(input, &opts);
        let fetched = progress.and_then(crate::online::Progress::finish);
        let report = match checked {
            Ok(r) => r,
            Err(message) => {
                say!("stimpack: {message}");
                worst = worst.max(Exit::Usage);
                continue;
            }
        };
        if args.output.json {
            if several {
                serde_json::to_writer(&mut out, &report).map_err(io::Error::from)?;
            } else {
                serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::from)?;
            }
            writeln!(out)?;
        } else {
            if several && i > 0 {
                writeln!(out)?;
            }
            render::report(&mut out, &report, &style)?;
        }
        out.flush()?;
        if let Some(line) = fetched {
            say!("{line}");
        }
        if verbosity == Verbosity::Verbose {
            say!(
                "checked {} in {:.2} s",
                shown(input),
                started.elapsed().as_secs_f64()
            );
        }
        worst = worst.max(if report.ok { Exit::Ok } else { Exit::Findings });
    }
    Ok(worst)
}

fn shown(input: &Path) -> String {
    if input.as_os_str() == STDIN {
        "the URL list on stdin".to_string()
    } else {
        input.display().to_string()
    }
}

fn threads_text(opts: &CheckOptions) -> String {
    match opts.threads {
        0 => format!("{} threads (one per core)", crate::cli::cores()),
        1 => "1 thread".to_string(),
        n => format!("{n} threads"),
    }
}

/// Checks one input; the error is a whole message naming it.
fn check_one(input: &Path, opts: &CheckOptions) -> Result<Report, String> {
    if input.as_os_str() != STDIN {
        return stimpack_core::check(input, opts).map_err(|e| input_message(&e, "check"));
    }
    stimpack_core::check_url_list_from(io::stdin().lock(), STDIN, opts).map_err(|e| e.to_string())
}

/// The library's message, with what `stimpack COMMAND` takes when the path is missing.
pub fn input_message(e: &InputError, command: &str) -> String {
    match e {
        InputError::NotFound(_) => {
            format!("{e}; `stimpack {command}` takes a folder, a .zip or a .txt URL list")
        }
        _ => e.to_string(),
    }
}
