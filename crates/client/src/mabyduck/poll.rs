//! Polling a dataset until processing ends: fast at first, then backing off to a cap,
//! within an overall time-out.

use std::thread;
use std::time::{Duration, Instant};

use super::{Client, CreatedDataset, DatasetDetail, DatasetStatus};
use crate::error::ClientError;
use crate::reporter::Reporter;

/// The first wait between polls.
pub const DEFAULT_POLL_INITIAL: Duration = Duration::from_millis(500);
/// The wait doubles up to this.
pub const DEFAULT_POLL_MAX_INTERVAL: Duration = Duration::from_secs(10);
/// Give up waiting (the dataset may still finish) after this long.
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How to poll a dataset's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollOptions {
    /// Wait after the first poll; doubles after each poll.
    pub initial_interval: Duration,
    /// The wait never grows past this.
    pub max_interval: Duration,
    /// Overall limit; then [`ClientError::PollTimeout`] with the dataset id.
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            initial_interval: DEFAULT_POLL_INITIAL,
            max_interval: DEFAULT_POLL_MAX_INTERVAL,
            timeout: DEFAULT_POLL_TIMEOUT,
        }
    }
}

impl Client {
    /// Poll the `status_url` of a just-uploaded dataset until it is `ready`.
    ///
    /// `error` ends with [`ClientError::ProcessingFailed`] carrying the server's text;
    /// running out of time with [`ClientError::PollTimeout`] carrying the dataset id.
    pub fn wait_until_ready(
        &self,
        created: &CreatedDataset,
        poll: &PollOptions,
        reporter: &dyn Reporter,
    ) -> Result<(), ClientError> {
        poll_loop(&created.id, poll, reporter, || {
            let answer = self.status(created, reporter)?;
            Ok((answer.status, answer.error))
        })
    }

    /// Wait for a dataset known only by id (`stimpack status ID --wait`), polling its
    /// detail, and return the detail once `ready`.
    pub fn wait_for_dataset(
        &self,
        dataset_id: &str,
        poll: &PollOptions,
        reporter: &dyn Reporter,
    ) -> Result<DatasetDetail, ClientError> {
        let mut last = None;
        poll_loop(dataset_id, poll, reporter, || {
            let detail = self.dataset_detail(dataset_id, reporter)?;
            let status = detail.status.clone().unwrap_or(DatasetStatus::Unknown);
            let error = detail.error.clone();
            last = Some(detail);
            Ok((status, error))
        })?;
        Ok(last.expect("poll_loop returns Ok only after a poll"))
    }
}

fn poll_loop(
    dataset_id: &str,
    poll: &PollOptions,
    reporter: &dyn Reporter,
    mut fetch: impl FnMut() -> Result<(DatasetStatus, Option<String>), ClientError>,
) -> Result<(), ClientError> {
    let start = Instant::now();
    let mut interval = poll.initial_interval;
    loop {
        let (status, error) = fetch()?;
        reporter.on_status(&status);
        match status {
            DatasetStatus::Ready => return Ok(()),
            DatasetStatus::Error => {
                return Err(ClientError::ProcessingFailed {
                    dataset_id: dataset_id.to_owned(),
                    message: error
                        .filter(|e| !e.trim().is_empty())
                        .unwrap_or_else(|| "no reason given".to_owned()),
                });
            }
            // `draft` right after an upload means the platform has not seen it yet.
            _ => {}
        }
        let waited = start.elapsed();
        if waited >= poll.timeout {
            return Err(ClientError::PollTimeout {
                dataset_id: dataset_id.to_owned(),
                waited,
                last_status: status,
            });
        }
        // The last sleep is shortened so one poll lands right at the deadline.
        thread::sleep(interval.min(poll.timeout - waited));
        interval = interval.saturating_mul(2).min(poll.max_interval);
    }
}
