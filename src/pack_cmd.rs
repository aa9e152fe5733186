//! `stimpack pack`: check, then write the archive and its manifest. The readable report and
//! progress go to stderr; with `--json` the manifest (or, when refused, the report) goes to
//! stdout.

use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use stimpack_core::{PackError, PackOptions, PackOutcome, PackReporter};

use crate::Exit;
use crate::cli::{PackArgs, Verbosity};
use crate::render;
use crate::say;
use crate::term;

/// A byte progress bar on stderr, only when stderr is a terminal (and not with `-q`).
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    show: bool,
}

impl Bar {
    fn new(show: bool) -> Self {
        Bar {
            bar: Mutex::new(None),
            show,
        }
    }
}

impl PackReporter for Bar {
    fn on_start(&self, total_bytes: u64, _entries: usize) {
        if self.show && io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "packing {bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            if let Ok(mut slot) = self.bar.lock() {
                *slot = Some(bar);
            }
        }
    }

    fn on_bytes(&self, n: u64) {
        if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
            bar.inc(n);
        }
    }

    fn on_finish(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org): the time of the pack, in Unix seconds, that
/// the CLI passes to the library; unset or empty: none. The message of the error names the
/// variable and what to do.
pub fn source_date_epoch() -> Result<Option<i64>, String> {
    parse_source_date_epoch(std::env::var_os("SOURCE_DATE_EPOCH"))
}

fn parse_source_date_epoch(value: Option<std::ffi::OsString>) -> Result<Option<i64>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = value.to_string_lossy();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    trimmed.parse().map(Some).map_err(|_| {
        format!("SOURCE_DATE_EPOCH='{text}' is not a Unix time in seconds. Set it to an integer or unset it")
    })
}

/// The library options these flags stand for.
pub fn options(args: &PackArgs) -> Result<PackOptions, String> {
    Ok(PackOptions::new(&args.output)
        .with_manifest(args.manifest.clone())
        .with_force(args.force)
        .with_compress(args.compress)
        .with_source_date_epoch(source_date_epoch()?)
        .with_check(args.rules.to_options()))
}

/// The library's message, with the flag that answers it where there is one.
fn message(e: &PackError) -> String {
    match e {
        PackError::OutputExists(path) => format!(
            "{}: already exists. Use --force to overwrite it, or choose another output path",
            path.display()
        ),
        PackError::Input(e) => crate::check_cmd::input_message(e, "pack"),
        _ => e.to_string(),
    }
}

/// Runs `stimpack pack`.
///
/// Whatever happens to stdout and stderr (a pipe closed early), the work is finished and the
/// exit code is the verdict: the writers stop writing quietly instead of failing.
pub fn run(args: &PackArgs, verbosity: Verbosity) -> io::Result<Exit> {
    if let Some(exit) = crate::platforms::pack::run(args, verbosity)? {
        return Ok(exit);
    }
    if args.input.as_os_str() == crate::check_cmd::STDIN {
        say!(
            "stimpack: pack reads files, not stdin: save the URL list as a .txt file (its path goes in the manifest) and pack that"
        );
        return Ok(Exit::Usage);
    }
    let opts = match options(args) {
        Ok(o) => o,
        Err(e) => {
            say!("stimpack: {e}");
            return Ok(Exit::Usage);
        }
    };
    let started = Instant::now();
    if verbosity == Verbosity::Verbose {
        say!("packing {} into {}", args.input.display(), args.output.display());
    }
    let bar = Bar::new(verbosity != Verbosity::Quiet);
    let progress = crate::online::Progress::start(args.rules.online.online, verbosity);
    let outcome = stimpack_core::pack(&args.input, &opts, &bar);
    if let Some(line) = progress.and_then(crate::online::Progress::finish) {
        say!("{line}");
    }
    bar.on_finish();
    let style = render::Style::new(args.output_format.color, true).with_verbosity(verbosity);
    let mut err = term::stderr();
    let mut out = term::stdout();
    match outcome {
        Err(e) => {
            writeln!(err, "stimpack: {}", term::escape(&message(&e)))?;
            Ok(Exit::Usage)
        }
        Ok(PackOutcome::Refused(report)) => {
            if args.output_format.json {
                serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::from)?;
                writeln!(out)?;
                out.flush()?;
            } else {
                render::report(&mut err, &report, &style)?;
            }
            writeln!(
                err,
                "nothing written: fix the errors above (or see `stimpack check`), then pack again"
            )?;
            Ok(Exit::Findings)
        }
        Ok(PackOutcome::Written {
            report,
            manifest,
            archive_path,
            manifest_path,
        }) => {
            if args.output_format.json {
                out.write_all(&manifest.to_json())?;
            } else if verbosity != Verbosity::Quiet {
                render::report(&mut err, &report, &style)?;
            }
            let sha = manifest.archive.sha256.get(..12).unwrap_or_default();
            let wrote = format!(
                "wrote {} ({}, {} bytes, sha256 {sha}...) and {}",
                archive_path.display(),
                render::human_bytes(manifest.archive.bytes),
                manifest.archive.bytes,
                manifest_path.display()
            );
            writeln!(err, "{}", term::escape(&wrote))?;
            out.flush()?;
            if verbosity == Verbosity::Verbose {
                writeln!(err, "packed in {:.2} s", started.elapsed().as_secs_f64())?;
            }
            Ok(Exit::Ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_is_parsed_trimmed_and_refused_when_not_seconds() {
        let parse = |v: &str| parse_source_date_epoch(Some(v.into()));
        assert_eq!(parse_source_date_epoch(None), Ok(None));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(parse(" 1700000000\n"), Ok(Some(1_700_000_000)));
        assert_eq!(parse("-1"), Ok(Some(-1)));
        let e = parse("1.5").unwrap_err();
        assert!(
            e.starts_with("SOURCE_DATE_EPOCH='1.5' is not a Unix time in seconds"),
            "{e}"
        );
    }
}
