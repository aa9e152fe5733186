//! Packs a dataset with the library alone, to measure it without the CLI:
//! `cargo run --release -p stimpack-core --example pack -- pack INPUT -o OUT [--force] [--compress] [--strict]`
//! (the same arguments as `stimpack pack`, so `bench/pack.sh target/release/examples/pack` works).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use stimpack_core::{CheckOptions, NoopReporter, PackOptions, PackOutcome, pack};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("pack") {
        args.next();
    }
    let (mut input, mut output) = (None, None);
    let mut opts = PackOptions::default();
    let mut check = CheckOptions::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-o" => output = args.next().map(PathBuf::from),
            "--force" => opts.force = true,
            "--compress" => opts.compress = true,
            "--strict" => check.strict = true,
            _ => input = Some(PathBuf::from(a)),
        }
    }
    let (Some(input), Some(output)) = (input, output) else {
        eprintln!("usage: pack INPUT -o OUT [--force] [--compress] [--strict]");
        return ExitCode::from(2);
    };
    opts.output = output;
    opts.check = check;
    let start = Instant::now();
    match pack(&input, &opts, &NoopReporter) {
        Ok(PackOutcome::Written {
            manifest,
            archive_path,
            ..
        }) => {
            eprintln!(
                "wrote {} ({} bytes, {} stimuli) in {:.2?}",
                archive_path.display(),
                manifest.archive.bytes,
                manifest.summary.stimuli,
                start.elapsed()
            );
            ExitCode::SUCCESS
        }
        Ok(PackOutcome::Refused(report)) => {
            for i in &report.issues {
                eprintln!("{:?} {} {:?}: {}", i.severity, i.code.as_str(), i.path, i.message);
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
