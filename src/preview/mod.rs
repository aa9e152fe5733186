//! `stimpack preview`: check the input, then show it in a browser: a page served on 127.0.0.1
//! with the stimuli read straight from the folder or zip, or (`-o DIR`) a static page to keep.

pub mod page;
pub mod server;

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::{Component, Path};
use std::sync::Arc;

use stimpack_core::{InputKind, Report, ZipInput};

use crate::Exit;
use crate::cli::{PreviewArgs, Verbosity};
use crate::say;
use crate::term;
use page::PageData;
use server::{Media, Site};

/// The static page's file name in `-o DIR`.
pub const PAGE_FILE: &str = "index.html";

/// Runs `stimpack preview`.
pub fn run(args: &PreviewArgs, verbosity: Verbosity) -> io::Result<Exit> {
    let opts = match args.rules.target.platform() {
        Ok(p) => args.rules.to_options().with_platform(p),
        Err(m) => {
            say!("stimpack: {m}");
            return Ok(Exit::Usage);
        }
    };
    let report = match stimpack_core::check(&args.input, &opts) {
        Ok(r) => r,
        Err(e) => {
            say!("stimpack: {}", crate::check_cmd::input_message(&e, "preview"));
            return Ok(Exit::Usage);
        }
    };
    if verbosity > Verbosity::Quiet {
        let s = &report.summary;
        say!(
            "checked {}: {}, {}, {}, {} (the page shows them)",
            term::escape(&report.input),
            count(s.groups, "source"),
            count(s.stimuli, "stimulus"),
            count(s.errors, "error"),
            count(s.warnings, "warning")
        );
    }
    match &args.output {
        Some(dir) => write_static(args, &report, dir),
        None => serve(args, report, verbosity),
    }
}

fn serve(args: &PreviewArgs, report: Report, verbosity: Verbosity) -> io::Result<Exit> {
    let media = match report.input_kind {
        InputKind::Folder => match args.input.canonicalize() {
            Ok(root) => Media::Folder(root),
            Err(e) => {
                say!("stimpack: cannot read {}: {e}", args.input.display());
                return Ok(Exit::Usage);
            }
        },
        InputKind::Zip => match ZipInput::open(&args.input) {
            Ok(zip) => Media::Zip(zip, server::OpenEntries::default()),
            Err(e) => {
                say!("stimpack: {e}");
                return Ok(Exit::Usage);
            }
        },
        InputKind::UrlList => Media::None,
    };
    let mut files = HashSet::new();
    let mut sources = BTreeMap::new();
    for s in report.stimuli() {
        let src = match report.input_kind {
            InputKind::UrlList => s.url.clone(),
            _ => {
                let inside = report.input_path(s);
                let url = server::media_url(&inside);
                files.insert(inside);
                Some(url)
            }
        };
        if let Some(src) = src {
            sources.insert(s.path.as_str(), src);
        }
    }
    let page = page::render(&PageData {
        report: &report,
        media: sources,
        note: None,
        no_player: None,
    });
    let (server, addr) = match server::bind(args.port) {
        Ok(bound) => bound,
        Err(message) => {
            say!("stimpack: {message}");
            return Ok(Exit::Usage);
        }
    };
    let url = format!("http://{addr}/");
    let mut out = term::stdout();
    writeln!(out, "{url}")?;
    out.flush()?;
    if verbosity > Verbosity::Quiet {
        say!("serving on {url} (127.0.0.1 only); press Ctrl-C to stop");
    }
    if args.open {
        open_browser(&url);
    }
    let site = Arc::new(Site { page, files, media });
    server::serve(server, addr.port(), site, verbosity == Verbosity::Verbose);
    Ok(Exit::Ok)
}

/// Writes `DIR/index.html`: players with relative links for a folder, the URLs for a URL list,
/// and for a zip the readings and findings with a note that playing needs the server.
fn write_static(args: &PreviewArgs, report: &Report, dir: &Path) -> io::Result<Exit> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        say!("stimpack: cannot create the folder {}: {e}", dir.display());
        return Ok(Exit::Usage);
    }
    let dir_real = dir.canonicalize()?;
    let input_real = args.input.canonicalize()?;
    if report.input_kind == InputKind::Folder && dir_real.starts_with(&input_real) {
        say!(
            "stimpack: {} is inside the dataset folder {}: the page would become part of the dataset. Write it beside the folder (e.g. -o {})",
            dir.display(),
            args.input.display(),
            input_real
                .parent()
                .map_or_else(|| "preview".into(), |p| p.join("preview").display().to_string())
        );
        return Ok(Exit::Usage);
    }
    let target = dir.join(PAGE_FILE);
    if target.exists() && !args.force {
        say!(
            "stimpack: {} exists; use --force to replace it, or another folder",
            target.display()
        );
        return Ok(Exit::Usage);
    }
    let mut sources = BTreeMap::new();
    let (mut note, mut no_player) = (None, None);
    match report.input_kind {
        InputKind::Folder => {
            let base = relative_url(&dir_real, &input_real);
            for s in report.stimuli() {
                let inside = report.input_path(s);
                let segments: Vec<&str> = inside.split('/').collect();
                sources.insert(
                    s.path.as_str(),
                    format!("{base}{}", server::encode_path(&segments)),
                );
            }
        }
        InputKind::Zip => {
            let name = args.input.display().to_string();
            note = Some(format!(
                "The stimuli are inside the zip {name}: a browser cannot play them from this page. \
                 Run `stimpack preview {name}` to hear and see them."
            ));
            no_player = Some("inside the zip; play it with `stimpack preview`".to_string());
        }
        InputKind::UrlList => {
            for s in report.stimuli() {
                if let Some(url) = &s.url {
                    sources.insert(s.path.as_str(), url.clone());
                }
            }
        }
    }
    let page = page::render(&PageData {
        report,
        media: sources,
        note,
        no_player,
    });
    let mut tmp = tempfile::NamedTempFile::new_in(&dir_real)?;
    tmp.write_all(page.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Err(e) = tmp.persist(&target) {
        say!("stimpack: cannot write {}: {}", target.display(), e.error);
        return Ok(Exit::Usage);
    }
    let mut out = term::stdout();
    writeln!(out, "{}", target.display())?;
    out.flush()?;
    Ok(Exit::Ok)
}

/// `1 error`, `2 errors`, `3 stimuli`.
fn count(n: usize, one: &str) -> String {
    let many = match one {
        "stimulus" => "stimuli".to_string(),
        _ => format!("{one}s"),
    };
    format!("{n} {}", if n == 1 { one } else { &many })
}

/// A relative URL (ending in `/`) from folder `from` to folder `to`, both canonical; an
/// absolute `file:` URL when they share no root (another drive on Windows).
fn relative_url(from: &Path, to: &Path) -> String {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let names = |c: &[Component]| -> Vec<String> {
        c.iter()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    if common == 0 {
        let all = names(&b);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        return format!("file:///{}/", server::encode_path(&refs));
    }
    let mut url = "../".repeat(a.len() - common);
    let down = names(&b[common..]);
    for n in &down {
        url.push_str(&server::encode_path(&[n.as_str()]));
        url.push('/');
    }
    url
}

/// Opens the URL in the system's browser (`$BROWSER` when set); says so when it cannot.
fn open_browser(url: &str) {
    let mut command = match std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Some(browser) => std::process::Command::new(browser),
        None if cfg!(target_os = "macos") => std::process::Command::new("open"),
        None if cfg!(windows) => {
            let mut c = std::process::Command::new("cmd");
            c.args(["/C", "start", ""]);
            c
        }
        None => std::process::Command::new("xdg-open"),
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Err(e) = command.spawn() {
        say!("stimpack: could not open a browser ({e}); open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_climb_then_descend() {
        assert_eq!(
            relative_url(Path::new("/a/b/out"), Path::new("/a/b/study")),
            "../study/"
        );
        assert_eq!(
            relative_url(Path::new("/a/out/x"), Path::new("/a/my study")),
            "../../my%20study/"
        );
        assert_eq!(relative_url(Path::new("/a"), Path::new("/a/s")), "s/");
    }
}
