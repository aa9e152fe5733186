//! At most so many files read from one host at once, as a browser keeps at most six
//! connections to one host: a permit is held while one file is read, and given back when its
//! reader is dropped. A host that did not answer at all (after the retries) is not asked
//! again in the same run, so a dead host costs one file's retries, not every file's.
//!
//! What each host showed of its range support is remembered too: whether it has served a
//! range (then a small file it sends whole, because the head and end asked for cover it, is no
//! sign of missing range support), and whether it refused a request for two ranges (then files
//! are asked for one range at a time, without first trying two).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

/// Per-host counts of files being read.
#[derive(Debug)]
pub(crate) struct HostLimits {
    limit: usize,
    busy: Mutex<HashMap<String, usize>>,
    freed: Condvar,
    dead: Mutex<HashMap<String, String>>,
    ranges: Mutex<HashMap<String, RangeSupport>>,
}

/// What a host has shown of its range support in this run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RangeSupport {
    /// It has answered a range request with 206.
    pub served: bool,
    /// It answered a request for two ranges with the whole file or 416.
    pub no_multi: bool,
}

/// One file being read from `host`; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct HostPermit {
    limits: Arc<HostLimits>,
    host: String,
}

impl HostLimits {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(HostLimits {
            limit: limit.max(1),
            busy: Mutex::new(HashMap::new()),
            freed: Condvar::new(),
            dead: Mutex::new(HashMap::new()),
            ranges: Mutex::new(HashMap::new()),
        })
    }

    /// Remembers that `host` did not answer, and why.
    pub(crate) fn mark_dead(&self, host: &str, why: &str) {
        if let Ok(mut dead) = self.dead.lock() {
            dead.entry(host.to_string()).or_insert_with(|| why.to_string());
        }
    }

    /// Why `host` did not answer earlier in this run, if it did not.
    pub(crate) fn dead(&self, host: &str) -> Option<String> {
        self.dead.lock().ok()?.get(host).cloned()
    }

    /// What `host` has shown of its range support so far.
    pub(crate) fn ranges(&self, host: &str) -> RangeSupport {
        self.ranges
            .lock()
            .ok()
            .and_then(|r| r.get(host).copied())
            .unwrap_or_default()
    }

    /// Adds what an answer of `host` showed: `learn` sets the fields it shows.
    pub(crate) fn learn(&self, host: &str, learn: impl FnOnce(&mut RangeSupport)) {
        if let Ok(mut ranges) = self.ranges.lock() {
            learn(ranges.entry(host.to_string()).or_default());
        }
    }

    /// Waits until fewer than the limit of files are being read from `host`.
    pub(crate) fn acquire(self: &Arc<Self>, host: &str) -> HostPermit {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while busy.get(host).copied().unwrap_or(0) >= self.limit {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy.entry(host.to_string()).or_insert(0) += 1;
        HostPermit {
            limits: Arc::clone(self),
            host: host.to_string(),
        }
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        let mut busy = self.limits.busy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = busy.get_mut(&self.host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                busy.remove(&self.host);
            }
        }
        self.limits.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn no_more_than_the_limit_per_host_and_other_hosts_go_on() {
        let limits = HostLimits::new(2);
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (limits, now, peak) = (Arc::clone(&limits), Arc::clone(&now), Arc::clone(&peak));
                std::thread::spawn(move || {
                    let _permit = limits.acquire("a.example.com:443");
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        let other = limits.acquire("b.example.com:443");
        drop(other);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
