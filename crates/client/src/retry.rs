//! When and how long to wait before retrying a request: exponential backoff with full
//! jitter, capped, and the server's `Retry-After` when it sends one.
//!
//! Hand-written rather than `backon`: backon's blocking retry cannot replace the next
//! delay with a server-given `Retry-After` (its `adjust` hook exists only for async), and
//! its jitter adds up to one more delay on top instead of drawing the whole delay
//! ("full jitter"). What remains is one loop and the function below.

use std::time::{Duration, SystemTime};

/// First backoff ceiling: the first retry waits between 0 and this.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(500);
/// No backoff wait is longer than this.
pub const DEFAULT_RETRY_CAP: Duration = Duration::from_secs(30);
/// Attempts in all, the first one included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;
/// The longest `Retry-After` honoured; longer requests wait this long.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How often and how long to retry 408, 429, 5xx and dropped connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Ceiling of the first wait; it doubles with each retry.
    pub base: Duration,
    /// The ceiling never grows past this.
    pub cap: Duration,
    /// Attempts in all, the first one included (0 is taken as 1).
    pub max_attempts: u32,
    /// A server's `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: DEFAULT_RETRY_BASE,
            cap: DEFAULT_RETRY_CAP,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// The most the wait after failed attempt `attempt` (1-based) can be:
    /// `min(cap, base * 2^(attempt-1))`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A random wait in `0..=ceiling(attempt)` ("full jitter", so many clients that failed
    /// together do not come back together).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt).as_nanos().min(u128::from(u64::MAX)) as u64;
        Duration::from_nanos(fastrand::u64(..=ceiling))
    }

    /// The wait before the next attempt: the server's `Retry-After` (at most
    /// `max_retry_after`) when given, else [`Self::backoff`].
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }
}

/// Parse a `Retry-After` value: delay seconds or an HTTP-date (a past date means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_and_caps() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let ceilings: Vec<u128> = (1..=5).map(|a| p.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 500, 500]);
        assert_eq!(p.ceiling(200), Duration::from_millis(500), "no overflow");
    }

    #[test]
    fn backoff_stays_within_ceiling() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            for _ in 0..50 {
                assert!(p.backoff(attempt) <= p.ceiling(attempt));
            }
        }
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.wait(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(p.wait(1, Some(Duration::from_secs(9999))), p.max_retry_after);
    }

    #[test]
    fn parses_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
