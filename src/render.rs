//! The readable report: findings grouped by file, a sources x conditions grid when it fits
//! the terminal, with `--long` every stimulus's readings, and a summary line. Colour only on
//! a terminal, and never with NO_COLOR. Every name and message is escaped (`term::escape`)
//! so a file name cannot drive the terminal. Sizes are decimal (kB, MB: powers of 1000)
//! everywhere, as in the progress bars.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};

use stimpack_core::{InputKind, Issue, Report, Role, Severity, Stimulus};

use crate::cli::{ColorChoice, Verbosity};
use crate::term::escape;

/// How to draw: colour, width, how much to say.
pub struct Style {
    color: bool,
    /// The width the grid must fit in.
    width: usize,
    /// Wrap messages at this width: on a terminal, or when COLUMNS is set.
    wrap: Option<usize>,
    verbosity: Verbosity,
    long: bool,
}

/// The narrowest width messages are wrapped to; narrower terminals get long lines.
const MIN_WRAP: usize = 40;

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
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok());
        let size = if on_stderr {
            terminal_size::terminal_size_of(io::stderr())
        } else {
            terminal_size::terminal_size_of(io::stdout())
        };
        let terminal = if tty {
            size.map(|(w, _)| usize::from(w.0))
        } else {
            None
        };
        let width = terminal.or(columns).unwrap_or(100);
        Style {
            color,
            width,
            wrap: terminal.or(columns).map(|w| w.max(MIN_WRAP)),
            verbosity: Verbosity::Normal,
            long: false,
        }
    }

    /// Says less (`-q`) or more (`-v`).
    pub fn with_verbosity(mut self, verbosity: Verbosity) -> Self {
        self.verbosity = verbosity;
        self
    }

    /// Lists every stimulus's readings (`--long`).
    pub fn with_long(mut self, long: bool) -> Self {
        self.long = long;
        self
    }

    fn quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
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

/// How an input is named on the terminal: `-` is stdin.
fn input_name(report: &Report) -> String {
    if report.input == crate::check_cmd::STDIN {
        "stdin".to_string()
    } else {
        escape(&report.input).into_owned()
    }
}

/// Writes the readable report.
pub fn report(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    let kind = match report.input_kind {
        InputKind::Folder => "folder",
        InputKind::Zip => "zip archive",
        InputKind::UrlList => "URL list",
    };
    writeln!(out, "{} ({kind})", style.paint("1", &input_name(report)))?;
    findings(out, report, style)?;
    if style.long {
        long_listing(out, report, style)?;
    }
    if !style.quiet() {
        grid(out, report, style)?;
    }
    summary(out, report, style)
}

fn findings(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    let mut by_place: BTreeMap<(Option<&str>, Option<u64>), Vec<&Issue>> = BTreeMap::new();
    for issue in &report.issues {
        if style.quiet() && issue.severity != Severity::Error {
            continue;
        }
        by_place
            .entry((issue.path.as_deref(), issue.line))
            .or_default()
            .push(issue);
    }
    for ((path, line), issues) in by_place {
        writeln!(out)?;
        let place = match (path.map(escape), line) {
            (Some(p), Some(l)) => format!("line {l}: {p}"),
            (None, Some(l)) => format!("line {l}"),
            (Some(p), None) => p.into_owned(),
            (None, None) => "(dataset)".to_string(),
        };
        writeln!(out, "{}", style.paint("1", &place))?;
        for issue in issues {
            let severity = match issue.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let head = format!("  {severity}[{}] ", issue.code.as_str());
            let lines = wrap(&escape(&issue.message), head.chars().count(), 4, style.wrap);
            for (n, line) in lines.iter().enumerate() {
                if n == 0 {
                    writeln!(
                        out,
                        "  {}[{}] {line}",
                        style.severity(issue.severity),
                        issue.code.as_str()
                    )?;
                } else {
                    writeln!(out, "    {line}")?;
                }
            }
        }
    }
    Ok(())
}

/// Splits `text` into lines at spaces so that the first fits in `width - first_indent`
/// and the others in `width - indent`. A word longer than a line stays whole. No width:
/// one line.
fn wrap(text: &str, first_indent: usize, indent: usize, width: Option<usize>) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut room = width.saturating_sub(first_indent).max(1);
    for word in text.split(' ') {
        let len = line.chars().count();
        let wlen = word.chars().count();
        if len > 0 && len + 1 + wlen > room {
            lines.push(std::mem::take(&mut line));
            room = width.saturating_sub(indent).max(1);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// With `--long`: one line per stimulus with what it holds, like `ls -l`.
fn long_listing(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    let rows: Vec<[String; 5]> = report.stimuli().map(long_row).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", style.paint("1", "stimuli"))?;
    for [path, codec, duration, detail, size] in &rows {
        let line = format!(
            "  {path:<w0$}  {codec:<w1$}  {duration:>w2$}  {detail:<w3$}  {size:>w4$}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn long_row(s: &Stimulus) -> [String; 5] {
    let codec = match &s.reading.codec {
        Some(c) if c.as_str() != s.reading.format.as_str() => format!("{}/{c}", s.reading.format),
        _ => s.reading.format.to_string(),
    };
    let duration = s
        .reading
        .duration_s
        .map(|d| format!("{d:.2} s"))
        .unwrap_or_else(|| "-".into());
    let mut detail = Vec::new();
    if let Some(rate) = s.reading.sample_rate {
        detail.push(format!("{rate} Hz"));
    }
    if let Some(ch) = s.reading.channels {
        detail.push(format!("{ch} ch"));
    }
    if let (Some(w), Some(h)) = (s.reading.width, s.reading.height) {
        detail.push(format!("{w}x{h}"));
    }
    if let Some(fps) = s.reading.fps {
        detail.push(format!("{fps:.2} fps"));
    }
    let size = s.reading.bytes.map(human_bytes).unwrap_or_else(|| "-".into());
    [
        escape(&s.path).into_owned(),
        escape(&codec).into_owned(),
        duration,
        detail.join(", "),
        size,
    ]
}

/// A sources x conditions table, when it fits the terminal; a note saying why when not.
fn grid(out: &mut impl Write, report: &Report, style: &Style) -> io::Result<()> {
    const MAX_ROWS: usize = 40;
    if report.groups.is_empty() {
        return Ok(());
    }
    if report.groups.len() > MAX_ROWS {
        writeln!(out)?;
        writeln!(
            out,
            "(no sources x conditions grid: {} sources are more than the {MAX_ROWS} it shows; --long lists every stimulus)",
            report.groups.len()
        )?;
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
    let labels: Vec<String> = columns.iter().map(|c| escape(c).into_owned()).collect();
    let ids: Vec<String> = report.groups.iter().map(|g| escape(&g.id).into_owned()).collect();
    let first = ids.iter().map(|id| id.chars().count()).max().unwrap_or(0).max(6);
    // With --analyze the cells also show each stimulus's loudness (LUFS): `-23.0 ok`.
    let loudness = report.stimuli().any(|s| s.levels.loudness_lufs.is_some());
    let cell_min = if loudness { 11 } else { 3 };
    let widths: Vec<usize> = labels.iter().map(|c| c.chars().count().max(cell_min)).collect();
    let total = first + widths.iter().map(|w| w + 2).sum::<usize>();
    if total > style.width {
        writeln!(out)?;
        writeln!(
            out,
            "(no sources x conditions grid: its {} columns need {total} characters, the terminal has {}; --long lists every stimulus)",
            columns.len(),
            style.width
        )?;
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
    if loudness {
        writeln!(out, "(integrated loudness in LUFS)")?;
    }
    write!(out, "{:first$}", "source")?;
    for (c, w) in labels.iter().zip(&widths) {
        write!(out, "  {c:>w$}")?;
    }
    writeln!(out)?;
    for (g, id) in report.groups.iter().zip(&ids) {
        write!(out, "{id:first$}")?;
        for (c, w) in columns.iter().zip(&widths) {
            let cell = match g.stimuli.iter().find(|s| s.condition == *c) {
                None => style.paint("2", &format!("{:>w$}", "-")),
                Some(s) => {
                    let text = |status: &str| match s.levels.loudness_lufs.filter(|_| loudness) {
                        Some(l) => format!("{:>w$}", format!("{l:.1} {status}")),
                        None => format!("{status:>w$}"),
                    };
                    match worst.get(report.input_path(s).as_str()) {
                        Some(Severity::Error) => style.paint("31", &text("ERR")),
                        Some(Severity::Warning) => style.paint("33", &text("warn")),
                        None => style.paint("32", &text("ok")),
                    }
                }
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
    let size = if s.bytes > 0 {
        format!(", {}", human_bytes(s.bytes))
    } else {
        String::new()
    };
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

/// A size in decimal units (1 kB = 1000 bytes), as indicatif's `decimal_bytes` shows it.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_keeps_long_words_whole() {
        let lines = wrap("aaa bbb ccc dddddddddddd e", 2, 4, Some(12));
        assert_eq!(lines, ["aaa bbb", "ccc", "dddddddddddd", "e"]);
        assert_eq!(wrap("a b", 0, 0, None), ["a b"]);
    }

    #[test]
    fn sizes_are_decimal() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_073_099), "1.1 MB");
        assert_eq!(human_bytes(1500), "1.5 kB");
    }
}
