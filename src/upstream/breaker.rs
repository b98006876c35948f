//! A circuit breaker per provider account: after repeated failures calls fail fast for a
//! cooldown, then one probe call decides whether to close again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::domain::providers::BreakerState;

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

/// Thread-safe breaker; cheap to consult on every call.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

/// Refusal to call: the circuit is open for about this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// Time until a probe may be tried.
    pub retry_after: Duration,
}

impl Breaker {
    /// A closed breaker that opens after `threshold` consecutive failures for `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks to make a call: Ok to go ahead (possibly as the half-open probe), Err to fail fast.
    pub fn acquire(&self) -> Result<(), Rejected> {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => Ok(()),
            Inner::Open { until } => {
                let now = Instant::now();
                if now >= until {
                    *inner = Inner::HalfOpen;
                    Ok(())
                } else {
                    Err(Rejected {
                        retry_after: until - now,
                    })
                }
            }
            Inner::HalfOpen => Err(Rejected {
                retry_after: Duration::from_secs(1),
            }),
        }
    }

    /// The call worked (or failed in a way that says nothing about the upstream's health).
    pub fn record_success(&self) {
        *self.lock() = Inner::Closed { failures: 0 };
    }

    /// The call failed in a way that counts (5xx, connection error, timeout).
    pub fn record_failure(&self) {
        let mut inner = self.lock();
        let opened = Inner::Open {
            until: Instant::now() + self.cooldown,
        };
        *inner = match *inner {
            Inner::Closed { failures } if failures + 1 >= self.threshold => opened,
            Inner::Closed { failures } => Inner::Closed {
                failures: failures + 1,
            },
            Inner::HalfOpen | Inner::Open { .. } => opened,
        };
    }

    /// The state now (an open breaker whose cooldown ended reads as half-open).
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::Open { until } if Instant::now() >= until => BreakerState::HalfOpen,
            Inner::Open { .. } => BreakerState::Open,
            Inner::HalfOpen => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_failures_and_fails_fast() {
        let breaker = Breaker::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            breaker.acquire().unwrap();
            breaker.record_failure();
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.acquire().unwrap();
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        let rejected = breaker.acquire().unwrap_err();
        assert!(rejected.retry_after > Duration::from_secs(50));
    }

    #[test]
    fn a_success_resets_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(60));
        breaker.record_failure();
        breaker.record_success();
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn after_cooldown_one_probe_decides() {
        let breaker = Breaker::new(1, Duration::from_millis(10));
        breaker.record_failure();
        std::thread::sleep(Duration::from_millis(20));
        breaker.acquire().expect("the probe goes through");
        assert!(breaker.acquire().is_err(), "only one probe at a time");
        breaker.record_failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        std::thread::sleep(Duration::from_millis(20));
        breaker.acquire().unwrap();
        breaker.record_success();
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.acquire().unwrap();
    }
}
