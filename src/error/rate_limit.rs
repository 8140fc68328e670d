//! GitLab's rate-limit figures: how long a throttled client should wait, and
//! how many requests it has left.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// GitLab's rate-limit figures, from `Retry-After` and the `RateLimit-*` headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `Retry-After`: how long GitLab asks the client to wait.
    pub retry_after: Option<Duration>,
    /// `RateLimit-Limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `RateLimit-Remaining`: requests left in the window.
    pub remaining: Option<u64>,
    /// `RateLimit-Reset`: when the window resets, in seconds since the Unix epoch.
    pub reset_at: Option<u64>,
}

impl RateLimit {
    /// The figures in `headers`, or `None` when there are none.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let limit = RateLimit {
            retry_after: number("retry-after").map(Duration::from_secs),
            limit: number("ratelimit-limit"),
            remaining: number("ratelimit-remaining"),
            reset_at: number("ratelimit-reset"),
        };
        (limit != RateLimit::default()).then_some(limit)
    }

    /// How long to wait before the next request: `Retry-After`, else the time
    /// until `RateLimit-Reset` measured against `now` (seconds since the epoch).
    pub fn wait(&self, now: u64) -> Option<Duration> {
        self.retry_after.or_else(|| self.reset_at.map(|reset| Duration::from_secs(reset.saturating_sub(now))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{CONTENT_TYPE, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn rate_limit_reset_gives_the_wait_when_retry_after_is_missing() {
        let h = headers(&[("ratelimit-limit", "600"), ("ratelimit-remaining", "0"), ("ratelimit-reset", "1700000060")]);
        let limit = RateLimit::from_headers(&h).unwrap();
        assert_eq!((limit.limit, limit.remaining), (Some(600), Some(0)));
        assert_eq!(limit.wait(1_700_000_000), Some(Duration::from_secs(60)));
        assert_eq!(limit.wait(1_800_000_000), Some(Duration::ZERO));
        assert_eq!(RateLimit::from_headers(&headers(&[(CONTENT_TYPE.as_str(), "x")])), None);
    }
}
