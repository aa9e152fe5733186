//! `stimpack formats`: every container, codec and extension stimpack reads, straight from
//! the library's tables (`stimpack_core::supported_formats`), so the list cannot drift from the code.

use std::io::{self, Write};

use serde_json::json;
use stimpack_core::{MediaKind, supported_formats};

use crate::Exit;
use crate::cli::FormatsArgs;
use crate::term;

fn other_kinds() -> Vec<(&'static str, &'static str)> {
    supported_formats()
        .other
        .into_iter()
        .map(|(e, media)| match media {
            MediaKind::ApiRequest => (e, "API-request stimulus (with providers.json)"),
            _ => (e, "embedded stimulus (JavaScript)"),
        })
        .collect()
}

/// Runs `stimpack formats`.
pub fn run(args: &FormatsArgs) -> io::Result<Exit> {
    let mut out = term::stdout();
    if args.json {
        let containers: Vec<_> = supported_formats()
            .formats
            .iter()
            .map(|f| {
                json!({
                    "container": f.name,
                    "media": f.media.map(MediaKind::as_str),
                    "extensions": f.extensions,
                    "codecs": f.codecs,
                })
            })
            .collect();
        let other: Vec<_> = other_kinds()
            .into_iter()
            .map(|(e, what)| json!({ "extension": e, "kind": what }))
            .collect();
        let doc = json!({ "containers": containers, "other": other });
        serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::from)?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    writeln!(
        out,
        "Files are recognised by their bytes; the extension must agree. Codec names are ffprobe's."
    )?;
    for f in supported_formats().formats {
        writeln!(out)?;
        match f.media {
            Some(media) => writeln!(out, "{} ({})", f.name, media.as_str())?,
            None => writeln!(
                out,
                "{} (recognised and named, not accepted as a stimulus)",
                f.name
            )?,
        }
        if !f.extensions.is_empty() {
            let dotted: Vec<String> = f.extensions.iter().map(|e| format!(".{e}")).collect();
            writeln!(out, "  extensions: {}", dotted.join(" "))?;
        }
        if !f.codecs.is_empty() {
            writeln!(out, "  codecs:     {}", f.codecs.join(" "))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Other stimuli")?;
    for (e, what) in other_kinds() {
        writeln!(out, "  .{e:<10} {what}")?;
    }
    out.flush()?;
    Ok(Exit::Ok)
}
