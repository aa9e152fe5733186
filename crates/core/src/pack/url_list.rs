//! The output of a URL list: the cleaned list, one URL a line, in input order.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::PackError;
use super::output::temp_beside;
use super::plan::Plan;
use super::record::archive_info;
use crate::manifest::ArchiveInfo;
use crate::scan::{Origin, Scan};

pub(super) fn write_url_list(
    scan: &Scan,
    plan: &Plan,
    output: &Path,
) -> Result<(tempfile::NamedTempFile, ArchiveInfo), PackError> {
    let tmp = temp_beside(output)?;
    let mut text = String::new();
    for item in &plan.items {
        if let Origin::Url { url, .. } = &scan.entries[item.entry].origin {
            text.push_str(url);
            text.push('\n');
        }
    }
    (|| {
        let mut f = tmp.as_file();
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })()
    .map_err(|source| PackError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    let sha: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    let info = archive_info(output, text.len() as u64, &sha);
    Ok((tmp, info))
}
