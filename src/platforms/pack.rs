//! `stimpack pack --platform prolific|datature|coactive`: check with the platform's rules,
//! then write its export (CSV, NDJSON or asset JSON) and the manifest beside it.

use std::io::{self, Write};

use stimpack_core::{Platform, default_manifest_path};

use super::export::{self, Prepared};
use crate::Exit;
use crate::cli::{PackArgs, Verbosity};
use crate::render;
use crate::say;
use crate::term;

/// Runs `pack` for a URL platform; `None` for Mabyduck, which `pack_cmd` serves.
pub fn run(args: &PackArgs, verbosity: Verbosity) -> io::Result<Option<Exit>> {
    let platform = match args.rules.target.platform() {
        Ok(p) => p,
        Err(m) => {
            say!("stimpack: {m}");
            return Ok(Some(Exit::Usage));
        }
    };
    if platform == Platform::Mabyduck {
        return Ok(None);
    }
    if args.input.as_os_str() == crate::check_cmd::STDIN {
        say!("stimpack: pack reads files, not stdin: save the URL list as a .txt file and pack that");
        return Ok(Some(Exit::Usage));
    }
    if let Err(m) = export::check_output(&args.input, &args.output, platform) {
        say!("stimpack: {m}");
        return Ok(Some(Exit::Usage));
    }
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| default_manifest_path(&args.output));
    let opts = args.rules.to_options();
    let prepared = export::prepare(
        &args.input,
        platform,
        &opts,
        args.rules.target.base_url.as_deref(),
        "pack",
    );
    let style = render::Style::new(args.output_format.color, true).with_verbosity(verbosity);
    let mut err = term::stderr();
    let mut out = term::stdout();
    let (report, manifest, rows) = match prepared {
        Err(m) => {
            say!("stimpack: {m}");
            return Ok(Some(Exit::Usage));
        }
        Ok(Prepared::Refused(report)) => {
            if args.output_format.json {
                serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::from)?;
                writeln!(out)?;
                out.flush()?;
            } else {
                render::report(&mut err, &report, &style)?;
            }
            say!(
                "nothing written: fix the errors above (or see `stimpack check --platform {platform}`), then pack again"
            );
            return Ok(Some(Exit::Findings));
        }
        Ok(Prepared::Ready {
            report,
            manifest,
            rows,
        }) => (report, manifest, rows),
    };
    let written = export::write(
        platform,
        &rows,
        &manifest,
        &args.output,
        &manifest_path,
        args.force,
    );
    let (paths, manifest) = match written {
        Ok(w) => w,
        Err(e) => {
            say!("stimpack: {e}");
            return Ok(Some(Exit::Usage));
        }
    };
    if args.output_format.json {
        out.write_all(&manifest.to_json())?;
        out.flush()?;
    } else if verbosity != Verbosity::Quiet {
        render::report(&mut err, &report, &style)?;
    }
    let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    say!(
        "wrote {} ({} rows for {}) and {}",
        files.join(", "),
        rows.len(),
        platform.title(),
        manifest_path.display()
    );
    Ok(Some(Exit::Ok))
}
