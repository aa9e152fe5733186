//! The progress callbacks a front end implements to show uploads, retries and polling.

use std::time::Duration;

use crate::mabyduck::DatasetStatus;

/// Receives progress from a running upload; every method has an empty default.
///
/// Modelled on `uv-publish`'s `Reporter`: the library calls these from the thread that
/// runs the request, the front end turns them into a progress bar or log lines.
pub trait Reporter {
    /// The platform created the dataset; `dataset_id` is what `stimpack status` takes.
    fn on_dataset_created(&self, dataset_id: &str) {
        let _ = dataset_id;
    }

    /// An upload attempt starts and will send `total_bytes`. A retried upload calls this
    /// again and starts again from zero.
    fn on_upload_start(&self, total_bytes: u64) {
        let _ = total_bytes;
    }

    /// `bytes` more bytes were handed to the connection (an increment, not a total).
    fn on_upload_progress(&self, bytes: u64) {
        let _ = bytes;
    }

    /// The platform accepted the whole file.
    fn on_upload_complete(&self) {}

    /// Attempt number `attempt` (1-based) failed for `reason`; the next one starts after `wait`.
    fn on_retry(&self, attempt: u32, wait: Duration, reason: &str) {
        let _ = (attempt, wait, reason);
    }

    /// A status poll answered `status`.
    fn on_status(&self, status: &DatasetStatus) {
        let _ = status;
    }
}

/// A [`Reporter`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopReporter;

impl Reporter for NoopReporter {}
