//! Early disk writeback while an archive is written through the page cache (where direct I/O
//! is refused, see `outfile`), so that the final `fsync` has little left to do: on Linux, every
//! completed window of the file is handed to the disk at once with
//! `sync_file_range(SYNC_FILE_RANGE_WRITE)`, and the window before it is waited for, which also
//! keeps the dirty page cache we cause to about two windows. Elsewhere this does nothing.
//! These calls are hints only: errors are ignored here and reported by the final `fsync`.

use std::fs::File;

/// Bytes per writeback window.
pub const WINDOW: u64 = 16 << 20;

/// Tracks how much of a file sequentially written from offset 0 has been sent to the disk.
#[derive(Debug, Default)]
pub struct Writeback {
    /// Everything before this offset has been submitted.
    submitted: u64,
    /// Start of the last submitted range, not yet waited for.
    pending: u64,
}

impl Writeback {
    /// The file has been written up to `pos`: submit what completed a window.
    #[inline]
    pub fn advance(&mut self, file: &File, pos: u64) {
        if pos >= self.submitted + WINDOW {
            self.submit(file, pos);
        }
    }

    #[cfg(target_os = "linux")]
    fn submit(&mut self, file: &File, pos: u64) {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        // Wait for the previous window (normally long done: the disk is faster than us), then
        // start this one.
        if self.pending < self.submitted {
            sync_range(fd, self.pending, self.submitted - self.pending, WAIT);
        }
        sync_range(
            fd,
            self.submitted,
            pos - self.submitted,
            libc::SYNC_FILE_RANGE_WRITE,
        );
        self.pending = self.submitted;
        self.submitted = pos;
    }

    #[cfg(not(target_os = "linux"))]
    fn submit(&mut self, _file: &File, pos: u64) {
        self.pending = self.submitted;
        self.submitted = pos;
    }
}

#[cfg(target_os = "linux")]
const WAIT: libc::c_uint =
    libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;

#[cfg(target_os = "linux")]
fn sync_range(fd: std::os::fd::RawFd, offset: u64, len: u64, flags: libc::c_uint) {
    // SAFETY: a plain system call on a file descriptor we own; no memory is passed.
    unsafe {
        libc::sync_file_range(fd, offset as libc::off64_t, len as libc::off64_t, flags);
    }
}
