//! The preview page: one self-contained HTML file (style, script and the report inside it, nothing
//! fetched from the network) that draws the grid in the browser from the embedded report.

use std::collections::BTreeMap;

use serde::Serialize;
use stimpack_core::Report;

const HTML: &str = include_str!("assets/preview.html");
const STYLE: &str = include_str!("assets/preview.css");
const SCRIPT: &str = include_str!("assets/preview.js");

/// What the page's script reads: the report as `check --json` prints it (with whatever readings
/// the check added, loudness included), and where each stimulus can be played from.
#[derive(Debug, Serialize)]
pub struct PageData<'a> {
    /// The check's report.
    pub report: &'a Report,
    /// The player's source for each stimulus path (URL-encoded); missing when it cannot be played.
    pub media: BTreeMap<&'a str, String>,
    /// A line shown above the grid (for a static page of a zip: that it needs the server).
    pub note: Option<String>,
    /// Why a media cell has no player, when the page has none.
    pub no_player: Option<String>,
}

/// The whole page.
pub fn render(data: &PageData) -> String {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_string());
    // Inside <script> only `</script` or `<!--` could end or bend the element: with `<` escaped
    // (JSON allows `\u003c` wherever `<` may appear, which is only inside strings) neither can.
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    // Filled in one pass, so that a marker inside the report's text is never replaced.
    let mut out = String::with_capacity(HTML.len() + STYLE.len() + SCRIPT.len() + json.len());
    let mut rest = HTML;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        match &after[..end] {
            "style" => out.push_str(STYLE),
            "script" => out.push_str(SCRIPT),
            "data" => out.push_str(&json),
            "title" => out.push_str(&escape_html(&data.report.input)),
            "version" => out.push_str(env!("CARGO_PKG_VERSION")),
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Text made safe to place between HTML tags.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stimpack_core::InputKind;

    #[test]
    fn names_that_look_like_html_cannot_end_the_data_script() {
        let report = Report::new(
            "</script><script>alert(1)</script>{{script}}".into(),
            InputKind::Folder,
            vec![],
            vec![],
        );
        let page = render(&PageData {
            report: &report,
            media: BTreeMap::new(),
            note: None,
            no_player: None,
        });
        assert_eq!(
            page.matches("</script>").count(),
            2,
            "only the page's own two scripts end"
        );
        assert!(page.contains(
            "<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;{{script}} — stimpack preview</title>"
        ));
        assert!(!page.contains("{{style}}"));
        assert_eq!(page.matches(SCRIPT).count(), 1);
    }
}
