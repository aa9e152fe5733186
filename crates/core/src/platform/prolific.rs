//! Prolific AI Task Builder: a CSV dataset, one row per stimulus. Participants see every
//! column but the `META_` ones; rows that share `META_TASK_GROUP_ID` go to one participant in
//! one submission, so a source's conditions are rated together.

use std::io::{self, Write};

use crate::platform::{ExportRow, Platform, mabyduck_only_kinds, role_name};
use crate::report::{Code, Issue, MediaKind, Report};

/// The columns after the media URL's, in order.
pub const META_COLUMNS: [&str; 6] = [
    "META_TASK_GROUP_ID",
    "META_source",
    "META_condition",
    "META_role",
    "META_duration_s",
    "META_sha256",
];

/// Prolific's findings: a URL that spells out its condition's name (one warning for all of
/// them), and stimuli only Mabyduck runs.
pub fn findings(report: &Report) -> Vec<Issue> {
    let mut issues = mabyduck_only_kinds(report, Platform::Prolific);
    let mut visible: Vec<String> = report
        .stimuli()
        .filter(|s| matches!(s.media, MediaKind::Audio | MediaKind::Image | MediaKind::Video))
        .filter(|s| names_condition(&s.path, &s.condition))
        .map(|s| report.input_path(s))
        .collect();
    if !visible.is_empty() {
        visible.sort();
        let shown: Vec<&str> = visible.iter().take(10).map(String::as_str).collect();
        let more = match visible.len() {
            n if n > 10 => format!(" and {} more", n - 10),
            _ => String::new(),
        };
        let mut issue = Issue::warning(
            Code::ConditionInUrl,
            None,
            format!(
                "participants see every column but the META_ ones, and both the media URL's file name and the id column (source/condition) are the condition's name ({}{more}): in a blind test they can tell the conditions apart by name. Name the files neutrally (e.g. c1, c2, c3 in each source) and keep your own key from those names to the real ones",
                shown.join(", ")
            ),
        );
        issue.paths = visible;
        issues.push(issue);
    }
    issues
}

/// True when the URL's file name (what participants read) holds the condition's name.
fn names_condition(path: &str, condition: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    let condition = condition.to_lowercase();
    !condition.is_empty() && file.contains(&condition)
}

/// The participant-visible media column: `audio_url`, `image_url` or `video_url` when every
/// row is of that kind, `media_url` for a mix.
pub fn media_column(rows: &[ExportRow]) -> &'static str {
    let mut kinds = rows.iter().map(|r| r.media);
    let first = kinds.next();
    if kinds.any(|k| Some(k) != first) {
        return "media_url";
    }
    match first {
        Some(MediaKind::Audio) => "audio_url",
        Some(MediaKind::Image) => "image_url",
        Some(MediaKind::Video) => "video_url",
        _ => "media_url",
    }
}

/// Writes the CSV: header `id,<media>_url,META_TASK_GROUP_ID,META_source,META_condition,
/// META_role,META_duration_s,META_sha256`, one row per stimulus, RFC 4180 quoting, UTF-8,
/// `\n` line ends. Unknown durations and checksums are empty cells.
pub fn write_csv(rows: &[ExportRow], out: impl Write) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    let mut header = vec!["id", media_column(rows)];
    header.extend(META_COLUMNS);
    writer.write_record(&header).map_err(io::Error::other)?;
    for r in rows {
        let duration = r.duration_s.map(|d| d.to_string()).unwrap_or_default();
        writer
            .write_record([
                r.id.as_str(),
                r.url.as_str(),
                r.source.as_str(),
                r.source.as_str(),
                r.condition.as_str(),
                role_name(r.role),
                duration.as_str(),
                r.sha256.as_deref().unwrap_or(""),
            ])
            .map_err(io::Error::other)?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Role;

    fn row(id: &str, url: &str, media: MediaKind) -> ExportRow {
        let (source, condition) = id.split_once('/').unwrap();
        ExportRow {
            id: id.into(),
            url: url.into(),
            source: source.into(),
            condition: condition.into(),
            role: Role::Condition,
            media,
            duration_s: Some(1.5),
            sha256: None,
        }
    }

    #[test]
    fn csv_quotes_commas_and_quotes_and_names_the_media_column() {
        let rows = [row(
            "s \"1\"/a,b",
            "https://h/s%20%221%22/a%2Cb.wav",
            MediaKind::Audio,
        )];
        let mut out = Vec::new();
        write_csv(&rows, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,audio_url,META_TASK_GROUP_ID,META_source,META_condition,META_role,META_duration_s,META_sha256\n\
             \"s \"\"1\"\"/a,b\",https://h/s%20%221%22/a%2Cb.wav,\"s \"\"1\"\"\",\"s \"\"1\"\"\",\"a,b\",condition,1.5,\n"
        );
    }

    #[test]
    fn mixed_media_gets_a_neutral_column() {
        let rows = [
            row("s/a", "https://h/s/a.png", MediaKind::Image),
            row("s/b", "https://h/s/b.mp4", MediaKind::Video),
        ];
        assert_eq!(media_column(&rows), "media_url");
        assert_eq!(media_column(&rows[..1]), "image_url");
    }

    #[test]
    fn condition_names_in_file_names() {
        assert!(names_condition("s1/Codec_MP3.mp3", "codec_mp3"));
        assert!(!names_condition("s1/x7.mp3", "codec_mp3"));
    }
}
