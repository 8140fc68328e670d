//! When to send a request again, and how long to wait first.
//!
//! GitLab throttles with 429 and names the wait (`Retry-After`, else
//! `RateLimit-Reset`); proxies in front of it answer 502/503/504 while it
//! restarts. A call the operation table marks idempotent (the reads) is
//! retried through both, and through a connection that breaks; the others
//! never are: `retry` and `play` start new work each time, so sending one
//! twice could start a job twice.

use std::time::Duration;

pub(crate) use crate::error::transient::{is_retryable_error, is_retryable_status};
use backon::BackoffBuilder;

/// How the client retries reading requests. On by default; see
/// [`ClientBuilder::retry`](crate::ClientBuilder::retry) and
/// [`ClientBuilder::no_retry`](crate::ClientBuilder::no_retry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_wait: Duration,
    jitter: bool,
    max_resumes: u32,
}

impl Default for RetryPolicy {
    /// Four attempts, backing off from 500 ms up to 30 s with jitter,
    /// waiting at most 60 s for a rate limit to reset, and at most 16
    /// resumes of one download.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
            jitter: true,
            max_resumes: 16,
        }
    }
}

impl RetryPolicy {
    /// A policy that sends every request once.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// How many times a request may be sent in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff; each further one doubles, up to [`Self::max_backoff`].
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a 429 may ask for; a longer one is not waited out, and
    /// the 429 is returned at once with its [`RateLimit`](crate::RateLimit).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Whether backoffs are randomised (on by default), so that many clients
    /// throttled together do not all return at the same instant.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// How many times one download (a job log, an artifact) may be resumed
    /// after its connection broke, in all (16 by default). Breaks in a row
    /// without a byte of progress are bounded by
    /// [`max_attempts`](Self::max_attempts) as well; this bounds a server
    /// that sends a byte and breaks, again and again.
    pub fn max_resumes(mut self, resumes: u32) -> Self {
        self.max_resumes = resumes;
        self
    }

    pub(crate) fn resumes(&self) -> u32 {
        self.max_resumes
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoffs between attempts, in order.
    pub(crate) fn backoffs(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        if self.jitter { builder.with_jitter().build() } else { builder.build() }
    }

    /// Whether a wait the server asked for is short enough to wait out.
    pub(crate) fn accepts_wait(&self, wait: Duration) -> bool {
        wait <= self.max_wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stops_after_the_attempts() {
        let policy = RetryPolicy::default()
            .max_attempts(5)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300))
            .jitter(false);
        // backon multiplies in f32, so compare whole milliseconds.
        let waits: Vec<_> = policy.backoffs().map(|d| d.as_millis()).collect();
        assert_eq!(waits, [100, 200, 300, 300]);
        assert_eq!(RetryPolicy::none().backoffs().count(), 0);
    }

    #[test]
    fn jitter_keeps_each_backoff_within_its_step() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_millis(100)).max_attempts(4);
        for (i, wait) in policy.backoffs().enumerate() {
            let step = Duration::from_millis(100 << i);
            let tolerance = Duration::from_micros(10);
            assert!(wait + tolerance >= step && wait <= step * 2 + tolerance, "attempt {i}: {wait:?}");
        }
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        assert!(is_retryable_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_retryable_status(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!is_retryable_status(StatusCode::NOT_FOUND));
        assert!(RetryPolicy::default().accepts_wait(Duration::from_secs(60)));
        assert!(!RetryPolicy::default().accepts_wait(Duration::from_secs(61)));
    }
}
