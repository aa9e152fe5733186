//! Datature Nexus batch prediction: a dataset is one NDJSON file, one
//! `{"kind":"Image","url":...}` line per image. Images only.

use std::io::{self, Write};

use serde::Serialize;

use crate::platform::{ExportRow, Platform, extension, mabyduck_only_kinds};
use crate::report::{Code, Issue, MediaKind, Report};

/// The image extensions Datature is taken to fetch. Nothing public lists them: these are
/// the still-image formats stimpack reads, GIF left out (animated, and not a photo format
/// detection models are run on). The guess, in one place.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff"];

/// Datature's findings: anything but an image of [`IMAGE_EXTENSIONS`] is an error.
pub fn findings(report: &Report) -> Vec<Issue> {
    let mut issues = mabyduck_only_kinds(report, Platform::Datature);
    for s in report.stimuli() {
        let ext = extension(&s.path);
        let problem = match s.media {
            MediaKind::Audio | MediaKind::Video => Some(format!(
                "Datature batch datasets take images only, and this is {}. Leave it out, or use --platform coactive or mabyduck for {} stimuli",
                s.media.as_str(),
                s.media.as_str()
            )),
            MediaKind::Image if !IMAGE_EXTENSIONS.contains(&ext.as_str()) => Some(format!(
                "Datature is not known to take .{ext} images (it takes {}). Convert it to PNG or JPEG",
                IMAGE_EXTENSIONS.join(", ")
            )),
            _ => None,
        };
        if let Some(message) = problem {
            issues.push(Issue::error(
                Code::FormatNotAccepted,
                report.input_path(s),
                message,
            ));
        }
    }
    issues
}

#[derive(Serialize)]
struct Line<'a> {
    kind: &'static str,
    url: &'a str,
}

/// Writes one `{"kind":"Image","url":"..."}` line per row, each ending in `\n`.
pub fn write_ndjson(rows: &[ExportRow], mut out: impl Write) -> io::Result<()> {
    for r in rows {
        serde_json::to_writer(
            &mut out,
            &Line {
                kind: "Image",
                url: &r.url,
            },
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Role;

    #[test]
    fn one_json_object_per_line() {
        let row = ExportRow {
            id: "s/a".into(),
            url: "https://h/s/a\".png".into(),
            source: "s".into(),
            condition: "a".into(),
            role: Role::Condition,
            media: MediaKind::Image,
            duration_s: None,
            sha256: None,
        };
        let mut out = Vec::new();
        write_ndjson(&[row.clone(), row], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"kind\":\"Image\",\"url\":\"https://h/s/a\\\".png\"}\n".repeat(2)
        );
    }
}
