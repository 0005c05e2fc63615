//! Retry policy: what is retried, how long to wait, and the clock that waits.
//!
//! Everything here is plain computation over a [`Clock`] and a seeded [`Jitter`], so the
//! tests drive it without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::response::Response;

/// Name of the environment variable that scales every wait of the retry logic (a float,
/// default `1.0`). End-to-end tests set it to e.g. `0.001` so that a `Retry-After: 2` costs
/// 2 ms; decisions (whether a wait is within the bounds) are made on the unscaled value, so a
/// scaled run takes the same path as a real one.
pub const RETRY_SCALE_ENV: &str = crate::env::RETRY_SCALE;

/// How requests are retried. Waits asked by the server (`Retry-After`, `x-ratelimit-reset`)
/// are honoured when within `max_delay` and the remaining `max_total_wait`; otherwise the
/// request fails with an error saying when to try again. Without such a header the wait is
/// exponential backoff with full jitter: uniform in `[0, min(max_delay, base_delay * 2^(n-1))]`
/// before the `n`-th retry.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included (`1` disables retries). Default 5.
    pub max_attempts: u32,
    /// Backoff before the first retry (upper bound of the jitter). Default 1 s.
    pub base_delay: Duration,
    /// Longest single wait, computed or asked by the server. Default 90 s (GitHub asks for
    /// 60 s after a secondary rate limit).
    pub max_delay: Duration,
    /// Longest total of waits for one request. Default 5 min.
    pub max_total_wait: Duration,
    /// Factor applied to every actual sleep (see [`RETRY_SCALE_ENV`]). Default 1.0.
    pub scale: f64,
    /// Seed of the jitter; `None` seeds from the OS. Tests set it for reproducible waits.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(90),
            max_total_wait: Duration::from_secs(300),
            scale: 1.0,
            jitter_seed: None,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(30));
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The duration actually slept for an unscaled wait.
    pub fn scaled(&self, wait: Duration) -> Duration {
        if self.scale == 1.0 {
            return wait;
        }
        Duration::try_from_secs_f64(wait.as_secs_f64() * self.scale).unwrap_or(Duration::ZERO)
    }
}

/// Parses a [`RETRY_SCALE_ENV`] value: a finite, non-negative float.
pub fn parse_scale(value: &str) -> Result<f64, String> {
    let scale: f64 = value
        .trim()
        .parse()
        .map_err(|_| "expected a number such as 1.0 or 0.01".to_owned())?;
    if !scale.is_finite() || scale < 0.0 {
        return Err("expected a finite number >= 0".into());
    }
    Ok(scale)
}

/// Source of the current time and of sleeping, injectable so that tests do not wait.
pub trait Clock: Send + Sync {
    /// Wall-clock now (rate-limit resets and HTTP dates are wall-clock times).
    fn now(&self) -> SystemTime;
    /// Blocks for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Deterministic source of jitter (and of multipart boundaries): splitmix64 over an atomic
/// counter, so a shared client can draw from it without a lock.
#[derive(Debug)]
pub struct Jitter {
    state: AtomicU64,
}

impl Jitter {
    /// A generator starting from `seed`, or from OS randomness when `None`.
    pub fn new(seed: Option<u64>) -> Self {
        Jitter {
            state: AtomicU64::new(seed.unwrap_or_else(os_seed)),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, max]` (millisecond resolution).
    pub fn up_to(&self, max: Duration) -> Duration {
        let millis = max.as_millis().min(u128::from(u64::MAX - 1)) as u64;
        Duration::from_millis(self.next_u64() % (millis + 1))
    }
}

fn os_seed() -> u64 {
    use std::hash::BuildHasher;
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // `RandomState` is keyed from OS randomness once per process.
    std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id()))
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (RFC 9110 section 10.2.3). A date in the
/// past gives zero. `None` for a value that is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses `x-ratelimit-reset` (UTC epoch seconds) into the time the limit resets.
pub fn parse_reset(value: &str) -> Option<SystemTime> {
    let secs: u64 = value.trim().parse().ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// GitHub advises waiting at least this long after a secondary rate limit that names no wait.
pub const SECONDARY_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Why a response is to be retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryableStatus {
    /// 429, or GitHub's 403 primary/secondary rate limit: the server did not process the
    /// request, so any request may be repeated.
    RateLimited {
        /// The wait the server asked for, if any.
        wait: Option<Duration>,
        /// When the limit resets, if the server said.
        resets_at: Option<SystemTime>,
    },
    /// A transient server failure (5xx but 501/505, 408); only idempotent requests repeat.
    Transient {
        /// The wait the server asked for (`Retry-After` on 503), if any.
        wait: Option<Duration>,
    },
}

/// Classifies a response for the retry loop; `None` means it is final.
pub fn classify_status(response: &Response, now: SystemTime) -> Option<RetryableStatus> {
    let retry_after = response
        .header("retry-after")
        .and_then(|v| parse_retry_after(v, now));
    let resets_at = response.header("x-ratelimit-reset").and_then(parse_reset);
    let exhausted = response
        .header("x-ratelimit-remaining")
        .is_some_and(|v| v.trim() == "0");
    let reset_wait = resets_at.map(|at| {
        // One second of slack: the reset is whole seconds and clocks differ a little.
        at.duration_since(now).unwrap_or(Duration::ZERO) + Duration::from_secs(1)
    });
    match response.status {
        429 => Some(RetryableStatus::RateLimited {
            wait: retry_after.or(if exhausted { reset_wait } else { None }),
            resets_at,
        }),
        403 => {
            if retry_after.is_some() {
                Some(RetryableStatus::RateLimited {
                    wait: retry_after,
                    resets_at,
                })
            } else if exhausted && resets_at.is_some() {
                Some(RetryableStatus::RateLimited {
                    wait: reset_wait,
                    resets_at,
                })
            } else if String::from_utf8_lossy(&response.body)
                .to_ascii_lowercase()
                .contains("secondary rate limit")
            {
                Some(RetryableStatus::RateLimited {
                    wait: Some(SECONDARY_RATE_LIMIT_WAIT),
                    resets_at,
                })
            } else {
                None
            }
        }
        408 => Some(RetryableStatus::Transient { wait: retry_after }),
        501 | 505 => None,
        500..=599 => Some(RetryableStatus::Transient { wait: retry_after }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response::for_test(status, headers, body.as_bytes().to_vec())
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let ceilings: Vec<u64> = (1..=7)
            .map(|n| p.backoff_ceiling(n).as_millis() as u64)
            .collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(5));
        assert_eq!(p.backoff_ceiling(0), Duration::from_millis(500));
    }

    #[test]
    fn full_jitter_is_bounded_and_reproducible() {
        let a = Jitter::new(Some(7));
        let b = Jitter::new(Some(7));
        let max = Duration::from_millis(1000);
        let xs: Vec<Duration> = (0..200).map(|_| a.up_to(max)).collect();
        let ys: Vec<Duration> = (0..200).map(|_| b.up_to(max)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|d| *d <= max));
        // Spread over the range, not stuck at one end.
        assert!(xs.iter().any(|d| *d < Duration::from_millis(250)));
        assert!(xs.iter().any(|d| *d > Duration::from_millis(750)));
        assert_eq!(a.up_to(Duration::ZERO), Duration::ZERO);
        assert_ne!(
            Jitter::new(Some(1)).next_u64(),
            Jitter::new(Some(2)).next_u64()
        );
    }

    #[test]
    fn scale() {
        let p = RetryPolicy {
            scale: 0.01,
            ..RetryPolicy::default()
        };
        assert_eq!(p.scaled(Duration::from_secs(2)), Duration::from_millis(20));
        assert_eq!(
            RetryPolicy::default().scaled(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        assert_eq!(parse_scale(" 0.5 "), Ok(0.5));
        assert_eq!(parse_scale("0"), Ok(0.0));
        assert!(parse_scale("-1").is_err());
        assert!(parse_scale("NaN").is_err());
        assert!(parse_scale("inf").is_err());
        assert!(parse_scale("fast").is_err());
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = at(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // RFC 850 and asctime forms are HTTP dates too.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:10 2015", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a past date means now"
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_reset("1445412540"), Some(at(1_445_412_540)));
        assert_eq!(parse_reset("x"), None);
    }

    #[test]
    fn classifies_rate_limits_and_transient_failures() {
        let now = at(1000);
        let c = |r: &Response| classify_status(r, now);
        assert_eq!(c(&response(200, &[], "")), None);
        assert_eq!(c(&response(404, &[], "")), None);
        assert_eq!(c(&response(422, &[], "")), None);
        assert_eq!(c(&response(501, &[], "")), None);
        assert_eq!(
            c(&response(500, &[], "")),
            Some(RetryableStatus::Transient { wait: None })
        );
        assert_eq!(
            c(&response(503, &[("retry-after", "3")], "")),
            Some(RetryableStatus::Transient {
                wait: Some(Duration::from_secs(3))
            })
        );
        assert_eq!(
            c(&response(429, &[("retry-after", "7")], "")),
            Some(RetryableStatus::RateLimited {
                wait: Some(Duration::from_secs(7)),
                resets_at: None
            })
        );
        assert_eq!(
            c(&response(429, &[], "")),
            Some(RetryableStatus::RateLimited {
                wait: None,
                resets_at: None
            })
        );
        // Secondary rate limit with Retry-After.
        assert_eq!(
            c(&response(403, &[("retry-after", "60")], "")),
            Some(RetryableStatus::RateLimited {
                wait: Some(Duration::from_secs(60)),
                resets_at: None
            })
        );
        // Primary rate limit exhausted: wait until the reset (+1 s of slack).
        assert_eq!(
            c(&response(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1030")
                ],
                ""
            )),
            Some(RetryableStatus::RateLimited {
                wait: Some(Duration::from_secs(31)),
                resets_at: Some(at(1030))
            })
        );
        // Secondary rate limit named only in the body.
        assert_eq!(
            c(&response(
                403,
                &[],
                r#"{"message":"You have exceeded a secondary rate limit."}"#
            )),
            Some(RetryableStatus::RateLimited {
                wait: Some(SECONDARY_RATE_LIMIT_WAIT),
                resets_at: None
            })
        );
        // A plain permission error is final.
        assert_eq!(
            c(&response(
                403,
                &[
                    ("x-ratelimit-remaining", "4999"),
                    ("x-ratelimit-reset", "1030")
                ],
                r#"{"message":"Resource not accessible by integration"}"#
            )),
            None
        );
    }
}
