//! The readable report: findings grouped by file, a sources x conditions grid when it fits
//! the terminal, and a summary line. Colour only on a terminal, and never with NO_COLOR.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};

use stimpack_core::{Issue, Report, Role, Severity};

use crate::cli::ColorChoice;

/// Colours on or off.
pub struct Style {
    color: bool,
    width: usize,
}

impl Style {
    /// Resolves `--color` against the terminal and `NO_COLOR`, for output on stdout
    /// (`on_stderr` false) or stderr.
    pub fn new(choice: ColorChoice, on_stderr: bool) -> Self {
        let tty = if on_stderr {
            io::stderr().is_terminal()
        } else {
            io::stdout().is_terminal()
        };
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        };
        let width = terminal_size::terminal_size()
            .map(|(w, _)| usize::from(w.0))
            .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
            .unwrap_or(100);
        Style { color, width }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
        }
    }
}

/// Writes the readable report.
pub fn report(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    let kind = match report.input_kind {
        stimpack_core::InputKind::Folder => "folder",
        stimpack_core::InputKind::Zip => "zip archive",
        stimpack_core::InputKind::UrlList => "URL list",
    };
    writeln!(out, "{} ({kind})", style.paint("1", &report.input))?;
    findings(out, report, style)?;
    grid(out, report, style)?;
    summary(out, report, style)
}

fn findings(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    let mut by_place: BTreeMap<(Option<&str>, Option<u64>), Vec<&Issue>> = BTreeMap::new();
    for issue in &report.issues {
        by_place
            .entry((issue.path.as_deref(), issue.line))
            .or_default()
            .push(issue);
    }
    for ((path, line), issues) in by_place {
        writeln!(out)?;
        let place = match (path, line) {
            (Some(p), Some(l)) => format!("line {l}: {p}"),
            (None, Some(l)) => format!("line {l}"),
            (Some(p), None) => p.to_string(),
            (None, None) => "(dataset)".to_string(),
        };
        writeln!(out, "{}", style.paint("1", &place))?;
        for issue in issues {
            writeln!(
                out,
                "  {}[{}] {}",
                style.severity(issue.severity),
                issue.code.as_str(),
                issue.message
            )?;
        }
    }
    Ok(())
}

/// A sources x conditions table, when it fits the terminal.
fn grid(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    const MAX_ROWS: usize = 40;
    if report.groups.is_empty() || report.groups.len() > MAX_ROWS {
        return Ok(());
    }
    // Columns: references first, then anchors, then the other conditions by name.
    let mut columns: BTreeMap<(u8, &str), ()> = BTreeMap::new();
    for s in report.stimuli() {
        let rank = match s.role {
            Role::Reference => 0,
            Role::Anchor => 1,
            Role::Condition => 2,
        };
        columns.insert((rank, s.condition.as_str()), ());
    }
    let columns: Vec<&str> = columns.keys().map(|(_, c)| *c).collect();
    let first = report
        .groups
        .iter()
        .map(|g| g.id.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let widths: Vec<usize> = columns.iter().map(|c| c.chars().count().max(3)).collect();
    let total = first + widths.iter().map(|w| w + 2).sum::<usize>();
    if total > style.width {
        return Ok(());
    }
    // Findings name paths relative to the input (under a wrapping folder); grouped ones list them.
    let worst: BTreeMap<&str, Severity> = report.issues.iter().fold(BTreeMap::new(), |mut m, i| {
        for p in i.path.iter().chain(&i.paths) {
            let e = m.entry(p.as_str()).or_insert(i.severity);
            *e = (*e).min(i.severity);
        }
        m
    });
    writeln!(out)?;
    write!(out, "{:first$}", "source")?;
    for (c, w) in columns.iter().zip(&widths) {
        write!(out, "  {c:>w$}")?;
    }
    writeln!(out)?;
    for g in &report.groups {
        write!(out, "{:first$}", g.id)?;
        for (c, w) in columns.iter().zip(&widths) {
            let cell = match g.stimuli.iter().find(|s| s.condition == *c) {
                None => style.paint("2", &format!("{:>w$}", "-")),
                Some(s) => match worst.get(report.input_path(s).as_str()) {
                    Some(Severity::Error) => style.paint("31", &format!("{:>w$}", "ERR")),
                    Some(Severity::Warning) => style.paint("33", &format!("{:>w$}", "warn")),
                    None => style.paint("32", &format!("{:>w$}", "ok")),
                },
            };
            write!(out, "  {cell}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn summary(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    let s = &report.summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let size = human_bytes(s.bytes);
    let media = if s.duration_s > 0.0 {
        format!(", {:.1} s of media", s.duration_s)
    } else {
        String::new()
    };
    writeln!(out)?;
    let verdict = if report.ok {
        style.paint("1;32", "ok")
    } else {
        style.paint("1;31", "failed")
    };
    writeln!(
        out,
        "{verdict}: {} in {}{media}{size}; {}, {}",
        if s.stimuli == 1 {
            "1 stimulus".to_string()
        } else {
            format!("{} stimuli", s.stimuli)
        },
        plural(s.groups, "source"),
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
    )
}

fn human_bytes(bytes: u64) -> String {
    if bytes == 0 {
        return String::new();
    }
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!(", {value:.1} {}", units[unit])
}
