//! Rate limits as the gateway counts them: GCRA (the generic cell rate algorithm), the
//! arithmetic every limiter store applies the same way — in memory for one process, in one
//! Postgres statement or one Redis script across replicas — so a limit means the same wherever
//! its counter lives. A limit of `requests_per_minute` with `burst` lets `burst` requests pass
//! at once and then one every `60 s / requests_per_minute`; its whole state is one instant,
//! the theoretical arrival time (TAT) of the next request.

use std::fmt;
use std::time::Duration;

/// A limit: `requests_per_minute` sustained, up to `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per minute, sustained.
    pub requests_per_minute: u32,
    /// Requests that may pass at once (at least 1).
    pub burst: u32,
}

/// The most requests per minute a limit may name (one per 10 µs).
pub const MAX_PER_MINUTE: u32 = 6_000_000;

impl RateLimit {
    /// A limit whose burst is its whole minute: `n` requests pass in any minute that starts
    /// with a full bucket, as callers read "n per minute".
    pub fn per_minute(requests_per_minute: u32) -> Result<RateLimit, String> {
        RateLimit::new(requests_per_minute, requests_per_minute)
    }

    /// A checked limit.
    pub fn new(requests_per_minute: u32, burst: u32) -> Result<RateLimit, String> {
        if !(1..=MAX_PER_MINUTE).contains(&requests_per_minute) {
            return Err(format!(
                "requests_per_minute must be between 1 and {MAX_PER_MINUTE}"
            ));
        }
        if burst == 0 || burst > requests_per_minute.max(1) * 10 {
            return Err("burst must be between 1 and ten times requests_per_minute".into());
        }
        Ok(RateLimit {
            requests_per_minute,
            burst,
        })
    }

    /// Reads `600/min`, `10/s` or `3600/h`, with an optional ` burst N` (e.g. `600/min burst
    /// 100`); without one the burst is the minute's count.
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let bad = || {
            format!("'{text}' is not a rate like 600/min, 10/s or 3600/h (optionally `burst N`)")
        };
        let mut words = text.split_whitespace();
        let rate = words.next().ok_or_else(bad)?;
        let (count, unit) = rate.split_once('/').ok_or_else(bad)?;
        let count: u64 = count.parse().map_err(|_| bad())?;
        let per_minute = match unit {
            "s" | "sec" | "second" => count.checked_mul(60),
            "min" | "minute" | "m" => Some(count),
            "h" | "hour" => count.is_multiple_of(60).then_some(count / 60),
            _ => None,
        }
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(bad)?;
        let burst = match (words.next(), words.next(), words.next()) {
            (None, _, _) => per_minute,
            (Some("burst"), Some(n), None) => n.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        };
        RateLimit::new(per_minute, burst)
    }

    /// The time one request takes from the budget, in microseconds.
    pub fn emission_us(self) -> i64 {
        60_000_000 / i64::from(self.requests_per_minute)
    }

    /// How far ahead of now the TAT may run: the whole burst.
    pub fn horizon_us(self) -> i64 {
        self.emission_us() * i64::from(self.burst)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/min burst {}", self.requests_per_minute, self.burst)
    }
}

/// One check's answer: whether the request passes, and what the headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may pass.
    pub allowed: bool,
    /// Requests that could pass right now after this one.
    pub remaining: u32,
    /// Time until the budget is whole again.
    pub reset_after: Duration,
    /// When refused: time until one request would pass.
    pub retry_after: Option<Duration>,
}

/// The GCRA step: given the stored TAT (`None` for a key never seen) and now, both in
/// microseconds since the epoch, the decision and the TAT to store (`None` when refused:
/// a refusal changes nothing, so a flood of refused requests costs no budget).
pub fn check(limit: RateLimit, tat_us: Option<i64>, now_us: i64) -> (Decision, Option<i64>) {
    let emission = limit.emission_us();
    let horizon = limit.horizon_us();
    let start = tat_us.map_or(now_us, |tat| tat.max(now_us));
    let next = start + emission;
    let ahead = next - now_us;
    if ahead > horizon {
        let current = start - now_us;
        let decision = Decision {
            allowed: false,
            remaining: 0,
            reset_after: micros(current),
            retry_after: Some(micros(ahead - horizon)),
        };
        return (decision, None);
    }
    let decision = Decision {
        allowed: true,
        remaining: u32::try_from((horizon - ahead) / emission).unwrap_or(u32::MAX),
        reset_after: micros(ahead),
        retry_after: None,
    };
    (decision, Some(next))
}

fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: i64 = 60_000_000;

    #[test]
    fn sixty_a_minute_lets_sixty_pass_then_refuses_until_the_next_request_fits() {
        let limit = RateLimit::per_minute(60).unwrap();
        let now = 1_000 * MINUTE;
        let mut tat = None;
        for n in 0..60 {
            let (decision, next) = check(limit, tat, now);
            assert!(decision.allowed, "request {n}");
            assert_eq!(decision.remaining, 59 - n);
            tat = next;
        }
        let (refused, unchanged) = check(limit, tat, now);
        assert!(!refused.allowed);
        assert_eq!(unchanged, None);
        assert_eq!(refused.retry_after, Some(Duration::from_secs(1)));
        assert_eq!(refused.reset_after, Duration::from_secs(60));
        // One second later one request fits; a minute later the whole budget is back.
        assert!(check(limit, tat, now + 1_000_000).0.allowed);
        let (later, _) = check(limit, tat, now + MINUTE);
        assert!(later.allowed);
        assert_eq!(later.remaining, 59);
    }

    #[test]
    fn limits_parse_from_settings_text() {
        assert_eq!(
            RateLimit::parse("600/min").unwrap(),
            RateLimit::new(600, 600).unwrap()
        );
        assert_eq!(
            RateLimit::parse("10/s").unwrap(),
            RateLimit::new(600, 600).unwrap()
        );
        assert_eq!(
            RateLimit::parse("3600/h").unwrap(),
            RateLimit::new(60, 60).unwrap()
        );
        assert_eq!(
            RateLimit::parse("600/min burst 20").unwrap(),
            RateLimit::new(600, 20).unwrap()
        );
        for bad in [
            "",
            "600",
            "600/day",
            "0/min",
            "x/min",
            "600/min burst",
            "600/min burst 0",
            "90/h",
        ] {
            assert!(RateLimit::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        /// Over any sequence of arrivals, what passes in any window of w seconds is at most
        /// burst + w × rate: the limit's promise, whatever the order of requests.
        #[test]
        fn no_window_passes_more_than_the_burst_and_the_rate_allow(
            rpm in 1u32..1200,
            burst_factor in 1u32..3,
            gaps in proptest::collection::vec(0i64..3_000_000, 1..300),
        ) {
            let limit = RateLimit::new(rpm, (rpm * burst_factor).max(1)).unwrap();
            let mut tat = None;
            let mut now = 0i64;
            let mut passed = Vec::new();
            for gap in gaps {
                now += gap;
                let (decision, next) = check(limit, tat, now);
                if decision.allowed {
                    passed.push(now);
                    tat = next;
                }
            }
            for (i, start) in passed.iter().enumerate() {
                for window in [1_000_000i64, 10_000_000, 60_000_000] {
                    let inside = passed[i..].iter().take_while(|t| **t < start + window).count() as i64;
                    let allowed = i64::from(limit.burst) + window / limit.emission_us();
                    prop_assert!(inside <= allowed, "{inside} > {allowed} in {window} µs");
                }
            }
        }
    }
}
