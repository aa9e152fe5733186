//! `stimpack pack`: check, then write the archive and its manifest. The readable report and
//! progress go to stderr; with `--json` the manifest (or, when refused, the report) goes to
//! stdout.

use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use stimpack_core::pack::source_date_epoch;
use stimpack_core::{PackOptions, PackOutcome, PackProgress};

use crate::Exit;
use crate::cli::PackArgs;
use crate::render;

/// A byte progress bar on stderr, only when stderr is a terminal.
struct Bar(Mutex<Option<ProgressBar>>);

impl Bar {
    fn new() -> Self {
        Bar(Mutex::new(None))
    }
}

impl PackProgress for Bar {
    fn on_start(&self, total_bytes: u64, _entries: usize) {
        if io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "packing {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            if let Ok(mut slot) = self.0.lock() {
                *slot = Some(bar);
            }
        }
    }

    fn on_bytes(&self, n: u64) {
        if let Some(bar) = self.0.lock().ok().and_then(|b| b.clone()) {
            bar.inc(n);
        }
    }

    fn on_finish(&self) {
        if let Some(bar) = self.0.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

/// The library options these flags stand for.
pub fn options(args: &PackArgs) -> Result<PackOptions, stimpack_core::PackError> {
    Ok(PackOptions::new(&args.output)
        .with_manifest(args.manifest.clone())
        .with_force(args.force)
        .with_compress(args.compress)
        .with_source_date_epoch(source_date_epoch()?)
        .with_check(args.rules.to_options()))
}

/// Runs `stimpack pack`.
pub fn run(args: &PackArgs) -> io::Result<Exit> {
    let opts = match options(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("stimpack: {e}");
            return Ok(Exit::Usage);
        }
    };
    let bar = Bar::new();
    let outcome = stimpack_core::pack(&args.input, &opts, &bar);
    bar.on_finish();
    let style = render::Style::new(args.output_format.color, true);
    let mut err = io::stderr().lock();
    let mut out = io::stdout().lock();
    match outcome {
        Err(e) => {
            writeln!(err, "stimpack: {e}")?;
            Ok(Exit::Usage)
        }
        Ok(PackOutcome::Refused(report)) => {
            if args.output_format.json {
                serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::from)?;
                writeln!(out)?;
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
            } else {
                render::report(&mut err, &report, &style)?;
            }
            let sha = manifest.archive.sha256.get(..12).unwrap_or_default();
            writeln!(
                err,
                "wrote {} ({} bytes, sha256 {sha}...) and {}",
                archive_path.display(),
                manifest.archive.bytes,
                manifest_path.display()
            )?;
            out.flush()?;
            Ok(Exit::Ok)
        }
    }
}
