//! `stimpack formats`: every container, codec and extension stimpack reads, straight from
//! the library's tables (`stimpack_core::sniff`), so the list cannot drift from the code.

use std::io::{self, Write};

use serde_json::json;
use stimpack_core::sniff::{Container, EXTENSIONS, ExtensionKind};

use crate::Exit;
use crate::cli::FormatsArgs;
use crate::term;

fn extensions_of(container: Container) -> Vec<&'static str> {
    EXTENSIONS
        .iter()
        .filter(|(_, k)| matches!(k, ExtensionKind::Media(_, c) if *c == container))
        .map(|(e, _)| *e)
        .collect()
}

fn media_of(container: Container) -> Option<&'static str> {
    EXTENSIONS.iter().find_map(|(_, k)| match k {
        ExtensionKind::Media(m, c) if *c == container => Some(m.as_str()),
        _ => None,
    })
}

fn other_kinds() -> Vec<(&'static str, &'static str)> {
    EXTENSIONS
        .iter()
        .filter_map(|(e, k)| match k {
            ExtensionKind::ApiRequest => Some((*e, "API-request stimulus (with providers.json)")),
            ExtensionKind::Embedded => Some((*e, "embedded stimulus (JavaScript)")),
            ExtensionKind::Media(..) => None,
        })
        .collect()
}

/// Runs `stimpack formats`.
pub fn run(args: &FormatsArgs) -> io::Result<Exit> {
    let mut out = term::stdout();
    if args.json {
        let containers: Vec<_> = Container::ALL
            .iter()
            .map(|&c| {
                json!({
                    "container": c.name(),
                    "media": media_of(c),
                    "extensions": extensions_of(c),
                    "codecs": c.codecs(),
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
    for &c in Container::ALL {
        let exts = extensions_of(c);
        writeln!(out)?;
        match media_of(c) {
            Some(media) => writeln!(out, "{} ({media})", c.name())?,
            None => writeln!(
                out,
                "{} (recognised and named, not accepted as a stimulus)",
                c.name()
            )?,
        }
        if !exts.is_empty() {
            let dotted: Vec<String> = exts.iter().map(|e| format!(".{e}")).collect();
            writeln!(out, "  extensions: {}", dotted.join(" "))?;
        }
        if !c.codecs().is_empty() {
            writeln!(out, "  codecs:     {}", c.codecs().join(" "))?;
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
