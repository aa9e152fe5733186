//! Derive `(filepath, group_id)` stimuli from an upload, as the platform does.

use std::fs::File;
use std::path::Path;

/// Files in a dataset zip that configure the platform and are not stimuli.
const NOT_STIMULI: [&str; 2] = ["config.json", "providers.json"];

/// Every `source/condition.ext` entry; folders, non-stimulus files and `__MACOSX` skipped.
pub(crate) fn from_zip(path: &Path) -> Result<Vec<(String, String)>, String> {
    let file = File::open(path).map_err(|e| format!("could not open upload: {e}"))?;
    let archive = zip::ZipArchive::new(file)
        .map_err(|e| format!("The uploaded file is not a valid zip archive ({e})."))?;
    let mut out = Vec::new();
    for name in archive.file_names() {
        let name = name.map_err(|e| format!("The zip archive has an unreadable entry name ({e})."))?;
        let name: &str = &name;
        if name.ends_with('/') || name.starts_with("__MACOSX/") {
            continue;
        }
        let parts: Vec<&str> = name.split('/').collect();
        let base = parts.last().copied().unwrap_or("");
        if NOT_STIMULI.contains(&base) {
            continue;
        }
        if parts.len() != 2 {
            return Err(format!(
                "Unexpected file '{name}': files must be in exactly one folder (source/condition.ext)."
            ));
        }
        out.push((name.to_owned(), parts[0].to_owned()));
    }
    out.sort();
    if out.is_empty() {
        return Err("The archive contains no stimuli.".into());
    }
    Ok(out)
}

/// One URL per line; the last two path segments are `source/condition.ext`.
pub(crate) fn from_url_list(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("could not read upload: {e}"))?;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let without_query = line.split(['?', '#']).next().unwrap_or("");
        let after_scheme = without_query
            .split_once("://")
            .map(|(_, rest)| rest)
            .ok_or_else(|| format!("Not a URL: '{line}'."))?;
        let segments: Vec<&str> = after_scheme
            .split('/')
            .skip(1)
            .filter(|s| !s.is_empty())
            .collect();
        let [.., source, condition] = segments.as_slice() else {
            return Err(format!("URL '{line}' has fewer than two path segments."));
        };
        out.push((format!("{source}/{condition}"), (*source).to_owned()));
    }
    out.sort();
    if out.is_empty() {
        return Err("The URL list is empty.".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn url_list_uses_last_two_segments_without_query() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("urls.txt");
        std::fs::write(
            &path,
            "https://cdn.example.com/x/s1/a.wav?sig=abc\n\n  https://cdn.example.com/s2/b.mp4#t \n",
        )
        .unwrap();
        assert_eq!(
            from_url_list(&path).unwrap(),
            [
                ("s1/a.wav".to_owned(), "s1".to_owned()),
                ("s2/b.mp4".to_owned(), "s2".to_owned())
            ]
        );
        std::fs::write(&path, "https://cdn.example.com/a.wav\n").unwrap();
        assert!(from_url_list(&path).is_err());
    }

    #[test]
    fn zip_entries_become_stimuli_and_config_files_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.zip");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let options =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for name in ["s2/b.wav", "s1/a.wav", "s1/config.json", "providers.json"] {
            zip.start_file(name, options).unwrap();
            zip.write_all(b"x").unwrap();
        }
        zip.add_directory("s3/", options).unwrap();
        zip.finish().unwrap();
        assert_eq!(
            from_zip(&path).unwrap(),
            [
                ("s1/a.wav".to_owned(), "s1".to_owned()),
                ("s2/b.wav".to_owned(), "s2".to_owned())
            ]
        );
        std::fs::write(&path, b"not a zip").unwrap();
        assert!(from_zip(&path).unwrap_err().contains("not a valid zip"));
    }
}
