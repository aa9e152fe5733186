//! The output files while they are made: temporary files beside the output, locked while
//! this run lives, cleaned up after a killed run, and renamed into place durably.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::PackError;

/// What our temporary files are called after the output's name: `.dataset.zip.stimpack-tmp-XXXXXX`.
pub const TEMP_MARKER: &str = ".stimpack-tmp-";

/// The folder a path is in (`.` for a bare file name).
pub(super) fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub(super) fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}{TEMP_MARKER}")
}

/// A temporary file in the output's folder, removed on drop unless persisted. It is locked
/// while this run lives, so another run's clean-up (see [`remove_stale_temps`]) leaves it alone.
pub(super) fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, PackError> {
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .rand_bytes(6)
        .tempfile_in(folder_of(path))
        .map_err(|source| PackError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    lock_exclusive(tmp.as_file());
    Ok(tmp)
}

/// Removes temporary files a killed earlier run left beside `path`: those nobody holds a lock
/// on (the kernel drops a process's locks when it ends, even by `kill -9`). A temporary file of
/// a pack running at the same time is locked, and kept.
pub(super) fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(dir) = fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(&prefix)
            && entry.file_type().is_ok_and(|t| t.is_file())
            && File::open(entry.path()).is_ok_and(|f| lock_exclusive(&f))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Takes an exclusive advisory lock (`flock`) without waiting; whether it was taken, or
/// locks are not available here (then nothing can be known to be in use). Every Unix has
/// `flock` but Solaris (illumos has it).
#[cfg(all(unix, not(target_os = "solaris")))]
pub(super) fn lock_exclusive(f: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own, with integer arguments only.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EWOULDBLOCK)
}

#[cfg(any(not(unix), target_os = "solaris"))]
pub(super) fn lock_exclusive(_f: &File) -> bool {
    true
}

/// Renames a finished temporary file into place and makes the rename durable. Without
/// `force`, the rename itself refuses to replace a file that appeared since the first check.
pub(super) fn persist(tmp: tempfile::NamedTempFile, path: &Path, force: bool) -> Result<(), PackError> {
    let werr = |source| PackError::Write {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644)).map_err(werr)?;
    }
    if force {
        tmp.persist(path).map_err(|e| werr(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => PackError::OutputExists(path.to_path_buf()),
            _ => werr(e.error),
        })?;
    }
    #[cfg(unix)]
    File::open(folder_of(path))
        .and_then(|d| d.sync_all())
        .map_err(werr)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary file of a pack still running (locked) survives another run's clean-up; one
    /// left by a killed run (no lock) does not.
    #[test]
    fn clean_up_keeps_temp_files_in_use() {
        let tmp = tempfile::tempdir().unwrap();
        let output = tmp.path().join("dataset.zip");
        let running = temp_beside(&output).unwrap();
        let stale = tmp.path().join(format!("{}abcdef", temp_prefix(&output)));
        fs::write(&stale, b"half an archive").unwrap();
        remove_stale_temps(&output);
        assert!(running.path().exists());
        assert!(!stale.exists());
        drop(running);
    }
}
