//! Refusing outputs that would destroy or pollute the input: an output or manifest that is
//! the input itself, a manifest at the output's path, or either inside the input folder.
//! Paths are compared as the file system resolves them (symbolic links, `./x` and `a/../x`
//! spellings), and existing files also by identity (device and inode), which catches hard
//! links and case-insensitive file systems.

use std::fs;
use std::path::{Path, PathBuf};

use super::{PackError, folder_of};
use crate::report::InputKind;

/// Checks where a pack of `input` (of `kind`) would write `output` and `manifest`. The output
/// folders must exist (they are checked first).
pub(super) fn check(input: &Path, kind: InputKind, output: &Path, manifest: &Path) -> Result<(), PackError> {
    let input_at = fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
    let output_at = resolved(output);
    let manifest_at = resolved(manifest);
    for (path, at) in [(output, &output_at), (manifest, &manifest_at)] {
        if *at == input_at || same_file(path, input) {
            return Err(PackError::OutputIsInput {
                path: path.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
    }
    if output_at == manifest_at || same_file(output, manifest) {
        return Err(PackError::ManifestIsOutput(manifest.to_path_buf()));
    }
    if kind == InputKind::Folder {
        for (path, at) in [(output, &output_at), (manifest, &manifest_at)] {
            if at.starts_with(&input_at) {
                return Err(PackError::OutputInsideInput {
                    path: path.to_path_buf(),
                    input: input.to_path_buf(),
                });
            }
        }
    }
    Ok(())
}

/// Where a path points: the file it names with every link followed when it exists, otherwise
/// its resolved folder joined with its name.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(at) = fs::canonicalize(path) {
        return at;
    }
    let folder = folder_of(path);
    let folder = fs::canonicalize(&folder).unwrap_or(folder);
    match path.file_name() {
        Some(name) => folder.join(name),
        None => folder,
    }
}

/// True when both paths exist and are the same file (following links).
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Without file identities in the standard library, the resolved paths decide alone.
#[cfg(not(unix))]
fn same_file(_a: &Path, _b: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(input: &Path, kind: InputKind, output: &Path, manifest: &Path) -> &'static str {
        match check(input, kind, output, manifest) {
            Ok(()) => "ok",
            Err(PackError::OutputIsInput { .. }) => "is-input",
            Err(PackError::ManifestIsOutput(_)) => "manifest-is-output",
            Err(PackError::OutputInsideInput { .. }) => "inside-input",
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn outputs_that_are_the_input_are_refused_in_any_spelling() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("good.zip"), b"PK").unwrap();
        fs::create_dir(d.join("sub")).unwrap();
        let m = d.join("out.manifest.json");
        let zip = InputKind::Zip;
        assert_eq!(
            refused(&d.join("good.zip"), zip, &d.join("good.zip"), &m),
            "is-input"
        );
        assert_eq!(
            refused(&d.join("good.zip"), zip, &d.join("sub/../good.zip"), &m),
            "is-input"
        );
        assert_eq!(
            refused(&d.join("good.zip"), zip, &d.join("./good.zip"), &m),
            "is-input"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("good.zip"), d.join("link.zip")).unwrap();
            assert_eq!(
                refused(&d.join("good.zip"), zip, &d.join("link.zip"), &m),
                "is-input"
            );
            std::os::unix::fs::symlink(d, d.join("sub/up")).unwrap();
            assert_eq!(
                refused(&d.join("good.zip"), zip, &d.join("sub/up/good.zip"), &m),
                "is-input"
            );
            fs::hard_link(d.join("good.zip"), d.join("hard.zip")).unwrap();
            assert_eq!(
                refused(&d.join("good.zip"), zip, &d.join("hard.zip"), &m),
                "is-input"
            );
        }
        // The manifest is an output too.
        assert_eq!(
            refused(&d.join("good.zip"), zip, &d.join("new.zip"), &d.join("good.zip")),
            "is-input"
        );
        assert_eq!(refused(&d.join("good.zip"), zip, &d.join("new.zip"), &m), "ok");
    }

    #[test]
    fn a_manifest_at_the_output_path_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::create_dir(d.join("in")).unwrap();
        let out = d.join("out.zip");
        let kind = InputKind::Folder;
        assert_eq!(refused(&d.join("in"), kind, &out, &out), "manifest-is-output");
        assert_eq!(
            refused(&d.join("in"), kind, &out, &d.join("in/../out.zip")),
            "manifest-is-output"
        );
    }

    #[test]
    fn outputs_inside_the_input_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::create_dir_all(d.join("in/src_1")).unwrap();
        let kind = InputKind::Folder;
        let m = d.join("out.manifest.json");
        assert_eq!(
            refused(&d.join("in"), kind, &d.join("in/dataset.zip"), &m),
            "inside-input"
        );
        assert_eq!(
            refused(&d.join("in"), kind, &d.join("in/src_1/x.zip"), &m),
            "inside-input"
        );
        assert_eq!(
            refused(&d.join("in"), kind, &d.join("out.zip"), &d.join("in/m.json")),
            "inside-input"
        );
        // A sibling whose name starts like the folder's is outside it.
        assert_eq!(refused(&d.join("in"), kind, &d.join("in2.zip"), &m), "ok");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("in"), d.join("alias")).unwrap();
            assert_eq!(
                refused(&d.join("in"), kind, &d.join("alias/dataset.zip"), &m),
                "inside-input"
            );
        }
    }
}
