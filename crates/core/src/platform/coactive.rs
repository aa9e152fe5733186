//! Coactive visual search: images and videos added by URL, with metadata. The rules are its
//! accepted formats; the export is the asset file its API takes (JSON rows of `path` and
//! `metadata`), split into files of at most [`MAX_ROWS_PER_FILE`] rows.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::platform::{ExportRow, Platform, extension, mabyduck_only_kinds, role_name};
use crate::report::{Code, Issue, MediaKind, Report, Severity, Stimulus};

/// Image extensions Coactive accepts.
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp", "ico", "svg", "heic", "heif",
];
/// Video extensions Coactive accepts.
pub const VIDEO_EXTENSIONS: &[&str] = &["ts", "mp4", "mkv", "webm", "flv", "avi", "mpg"];
/// The largest image, in bytes (15 MB).
pub const MAX_IMAGE_BYTES: u64 = 15_000_000;
/// Images smaller than this on either side get a warning.
pub const MIN_IMAGE_SIDE: u32 = 350;
/// The shortest video, in seconds.
pub const MIN_VIDEO_SECONDS: f64 = 5.0;
/// The longest video, in seconds (4 h).
pub const MAX_VIDEO_SECONDS: f64 = 4.0 * 3600.0;
/// The smallest video resolution: the shorter side, in pixels (240p).
pub const MIN_VIDEO_LINES: u32 = 240;
/// The largest video resolution: the shorter side, in pixels (1080p).
pub const MAX_VIDEO_LINES: u32 = 1080;
/// The highest frame rate.
pub const MAX_VIDEO_FPS: f64 = 60.0;
/// The most rows one asset file holds.
pub const MAX_ROWS_PER_FILE: usize = 100_000;

/// Coactive's findings, from what the check read. Readings that are unknown (URL lists are
/// not downloaded) are not judged.
pub fn findings(report: &Report) -> Vec<Issue> {
    let mut issues = mabyduck_only_kinds(report, Platform::Coactive);
    for s in report.stimuli() {
        let path = report.input_path(s);
        let ext = extension(&s.path);
        let issue = |severity, code, message: String| Issue::new(severity, code, path.clone(), message);
        match s.media {
            MediaKind::Audio => issues.push(issue(
                Severity::Error,
                Code::FormatNotAccepted,
                "Coactive takes images and videos, not audio. Leave it out, or use --platform mabyduck or prolific for audio".into(),
            )),
            MediaKind::Image if !IMAGE_EXTENSIONS.contains(&ext.as_str()) => issues.push(issue(
                Severity::Error,
                Code::FormatNotAccepted,
                format!("Coactive does not take .{ext} images. Convert it to PNG or JPEG"),
            )),
            MediaKind::Video if !VIDEO_EXTENSIONS.contains(&ext.as_str()) => issues.push(issue(
                Severity::Error,
                Code::FormatNotAccepted,
                format!(
                    "Coactive does not take .{ext} videos (it takes {}). Remux it to .mp4 (ffmpeg -i in.{ext} -c copy out.mp4)",
                    VIDEO_EXTENSIONS.join(", ")
                ),
            )),
            MediaKind::Image => issues.extend(image_limits(s).into_iter().map(|(sev, code, m)| issue(sev, code, m))),
            MediaKind::Video => {
                if let Some(m) = video_limits(s) {
                    issues.push(issue(Severity::Error, Code::VideoOutOfRange, m));
                }
            }
            MediaKind::ApiRequest | MediaKind::Embedded => {}
        }
    }
    issues
}

fn image_limits(s: &Stimulus) -> Vec<(Severity, Code, String)> {
    let mut out = Vec::new();
    if let Some(bytes) = s.reading.bytes.filter(|&b| b > MAX_IMAGE_BYTES) {
        out.push((
            Severity::Error,
            Code::FileTooLarge,
            format!(
                "{bytes} bytes; Coactive takes images of at most {MAX_IMAGE_BYTES} bytes (15 MB). Re-encode it smaller (JPEG, or fewer pixels)"
            ),
        ));
    }
    if let (Some(w), Some(h)) = (s.reading.width, s.reading.height) {
        if w < MIN_IMAGE_SIDE || h < MIN_IMAGE_SIDE {
            out.push((
                Severity::Warning,
                Code::ImageTooSmall,
                format!(
                    "{w}x{h} pixels; Coactive recommends {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE} or larger, and searches smaller images less well"
                ),
            ));
        }
    }
    out
}

/// Every limit the video breaks, in one message.
fn video_limits(s: &Stimulus) -> Option<String> {
    let r = &s.reading;
    let mut broken = Vec::new();
    if let Some(d) = r.duration_s {
        if d < MIN_VIDEO_SECONDS {
            broken.push(format!("{d:.2} s long, shorter than {MIN_VIDEO_SECONDS} s"));
        } else if d > MAX_VIDEO_SECONDS {
            broken.push(format!("{:.2} h long, longer than 4 h", d / 3600.0));
        }
    }
    if let (Some(w), Some(h)) = (r.width, r.height) {
        let lines = w.min(h);
        if lines < MIN_VIDEO_LINES {
            broken.push(format!("{w}x{h}, below {MIN_VIDEO_LINES}p"));
        } else if lines > MAX_VIDEO_LINES {
            broken.push(format!("{w}x{h}, above {MAX_VIDEO_LINES}p"));
        }
    }
    if let Some(fps) = r.fps.filter(|&f| f > MAX_VIDEO_FPS + 0.01) {
        broken.push(format!("{fps:.2} fps, above {MAX_VIDEO_FPS} fps"));
    }
    if broken.is_empty() {
        return None;
    }
    Some(format!(
        "the video is {}; Coactive takes videos of 5 s to 4 h, 240p to 1080p, at most 60 fps. Cut or re-encode it (ffmpeg -vf scale=-2:1080 -r 30)",
        broken.join("; ")
    ))
}

/// One asset as Coactive's API takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset<'a> {
    /// The URL Coactive fetches.
    pub path: &'a str,
    /// Where it came from.
    pub metadata: AssetMetadata<'a>,
}

/// An asset's metadata: the dataset's names for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetMetadata<'a> {
    /// The source.
    pub source: &'a str,
    /// The condition.
    pub condition: &'a str,
    /// `reference`, `anchor` or `condition`.
    pub role: &'static str,
}

/// The asset record of a row.
pub fn asset(row: &ExportRow) -> Asset<'_> {
    Asset {
        path: &row.url,
        metadata: AssetMetadata {
            source: &row.source,
            condition: &row.condition,
            role: role_name(row.role),
        },
    }
}

/// The asset types a set of rows needs: `image`, `video`, or both.
pub fn asset_types(rows: &[ExportRow]) -> Vec<&'static str> {
    let mut types = Vec::new();
    if rows.iter().any(|r| r.media == MediaKind::Image) {
        types.push("image");
    }
    if rows.iter().any(|r| r.media == MediaKind::Video) {
        types.push("video");
    }
    types
}

/// Writes the rows as a JSON array of assets, one per line.
pub fn write_assets(rows: &[ExportRow], mut out: impl Write) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, r) in rows.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, &asset(r))?;
    }
    out.write_all(b"\n]\n")?;
    out.flush()
}

/// The files `write_asset_files` writes for `rows`: `out.json` when they fit in one, else
/// `out-1.json`, `out-2.json`, ... of at most `max_rows` rows each.
pub fn asset_file_paths(output: &Path, rows: usize, max_rows: usize) -> Vec<PathBuf> {
    let max_rows = max_rows.max(1);
    let parts = rows.div_ceil(max_rows).max(1);
    if parts == 1 {
        return vec![output.to_path_buf()];
    }
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "assets".into());
    (1..=parts)
        .map(|i| output.with_file_name(format!("{stem}-{i}.json")))
        .collect()
}

/// Writes the rows into [`asset_file_paths`], each through `write_assets`; returns the paths.
pub fn write_asset_files(rows: &[ExportRow], output: &Path, max_rows: usize) -> io::Result<Vec<PathBuf>> {
    let paths = asset_file_paths(output, rows.len(), max_rows);
    let chunk = max_rows.max(1);
    for (i, path) in paths.iter().enumerate() {
        let part = rows.chunks(chunk).nth(i).unwrap_or(&[]);
        let mut file = io::BufWriter::new(fs::File::create(path)?);
        write_assets(part, &mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Role;

    fn row(i: usize) -> ExportRow {
        ExportRow {
            id: format!("s/c{i}"),
            url: format!("https://h/s/c{i}.png"),
            source: "s".into(),
            condition: format!("c{i}"),
            role: Role::Reference,
            media: MediaKind::Image,
            duration_s: None,
            sha256: None,
        }
    }

    fn stimulus(path: &str, media: MediaKind, reading: crate::probe::Reading) -> Stimulus {
        let (group, file) = path.split_once('/').unwrap();
        Stimulus {
            path: path.into(),
            group: group.into(),
            condition: file.split('.').next().unwrap().into(),
            role: Role::Condition,
            media,
            reading,
            details: Default::default(),
            levels: Default::default(),
            url: None,
        }
    }

    fn codes_of(stimuli: Vec<Stimulus>) -> Vec<(String, Code, Severity)> {
        let groups = vec![crate::report::Group {
            id: "s".into(),
            config: None,
            stimuli,
        }];
        let report = Report::new("in".into(), crate::report::InputKind::Folder, groups, Vec::new());
        findings(&report)
            .into_iter()
            .map(|i| (i.path.unwrap_or_default(), i.code, i.severity))
            .collect()
    }

    #[test]
    fn limits_at_their_edges() {
        use crate::probe::Reading;
        let image = |bytes, w, h| Reading {
            bytes: Some(bytes),
            width: Some(w),
            height: Some(h),
            ..Reading::default()
        };
        let video = |d, w, h, fps| Reading {
            duration_s: Some(d),
            width: Some(w),
            height: Some(h),
            fps: Some(fps),
            ..Reading::default()
        };
        let got = codes_of(vec![
            stimulus(
                "s/big.jpg",
                MediaKind::Image,
                image(MAX_IMAGE_BYTES + 1, 4000, 3000),
            ),
            stimulus("s/edge.jpg", MediaKind::Image, image(MAX_IMAGE_BYTES, 350, 350)),
            stimulus("s/thin.png", MediaKind::Image, image(10, 349, 2000)),
            stimulus("s/ok.mp4", MediaKind::Video, video(5.0, 1920, 1080, 60.0)),
            stimulus("s/portrait.mp4", MediaKind::Video, video(60.0, 1080, 1920, 30.0)),
            stimulus("s/uhd.mp4", MediaKind::Video, video(60.0, 3840, 2160, 30.0)),
            stimulus("s/fast.mp4", MediaKind::Video, video(60.0, 1280, 720, 120.0)),
            stimulus(
                "s/long.mp4",
                MediaKind::Video,
                video(4.0 * 3600.0 + 1.0, 640, 480, 25.0),
            ),
            stimulus("s/tiny.mp4", MediaKind::Video, video(60.0, 426, 239, 25.0)),
        ]);
        // In the report's order: by path.
        assert_eq!(
            got,
            [
                ("s/big.jpg".into(), Code::FileTooLarge, Severity::Error),
                ("s/fast.mp4".into(), Code::VideoOutOfRange, Severity::Error),
                ("s/long.mp4".into(), Code::VideoOutOfRange, Severity::Error),
                ("s/thin.png".into(), Code::ImageTooSmall, Severity::Warning),
                ("s/tiny.mp4".into(), Code::VideoOutOfRange, Severity::Error),
                ("s/uhd.mp4".into(), Code::VideoOutOfRange, Severity::Error),
            ]
        );
    }

    #[test]
    fn assets_are_path_and_metadata() {
        let mut out = Vec::new();
        write_assets(&[row(1)], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\n{\"path\":\"https://h/s/c1.png\",\"metadata\":{\"source\":\"s\",\"condition\":\"c1\",\"role\":\"reference\"}}\n]\n"
        );
    }

    #[test]
    fn more_rows_than_a_file_holds_are_split() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<ExportRow> = (0..5).map(row).collect();
        let paths = write_asset_files(&rows, &dir.path().join("a.json"), 2).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a-1.json", "a-2.json", "a-3.json"]);
        let last: serde_json::Value = serde_json::from_slice(&fs::read(&paths[2]).unwrap()).unwrap();
        assert_eq!(last.as_array().unwrap().len(), 1);
        let one = write_asset_files(&rows, &dir.path().join("b.json"), 100_000).unwrap();
        assert_eq!(one, [dir.path().join("b.json")]);
    }
}
