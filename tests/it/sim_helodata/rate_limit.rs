//! The per-token API rate limit (§4, RL).

use proxy_gateway::sim::helodata::{READ_ONLY_TOKEN, RateLimitPlan};

use super::support::{start, start_with};

fn now_secs() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

#[tokio::test]
async fn normal_responses_carry_the_rate_limit_headers() {
    let sim = start().await;
    let first = sim.get("/users/me").await;
    assert_eq!(first.header("x-ratelimit-limit"), Some("100000"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("99999"));
    let reset: u64 = first
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .expect("an epoch in seconds");
    assert!((now_secs()..=now_secs() + 61).contains(&reset), "{reset}");
    let second = sim.get("/subusers").await;
    assert_eq!(second.header("x-ratelimit-remaining"), Some("99998"));
    // Errors count too, and carry the headers.
    let missing = sim.get("/subusers/sub_nope").await;
    assert_eq!(missing.header("x-ratelimit-remaining"), Some("99997"));
}

/// `simulate --benchmark`: a plan no benchmark reaches, so the simulator never throttles one.
#[tokio::test]
async fn the_unmetered_benchmark_plan_never_limits() {
    let sim = start_with(|o| o.helodata.rate_limit = RateLimitPlan::unmetered()).await;
    for _ in 0..5 {
        let r = sim.get("/users/me").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("1000000000"));
    }
}

#[tokio::test]
async fn the_request_over_the_limit_gets_429_with_retry_after() {
    let sim = start_with(|o| {
        o.helodata.rate_limit = RateLimitPlan {
            per_minute: 3,
            per_day: None,
        }
    })
    .await;
    for left in ["2", "1", "0"] {
        let r = sim.get("/users/me").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some(left));
    }
    let over = sim.get("/users/me").await;
    over.assert_error(429, "rate_limited", None);
    assert_eq!(over.body["message"], "API rate limit exceeded");
    let retry: u64 = over
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(over.header("x-ratelimit-limit"), Some("3"));
    // Writes are refused the same way, and nothing happens.
    let write = sim
        .post(
            "/subusers",
            &serde_json::json!({ "label": "x", "products": ["residential"] }),
        )
        .await;
    write.assert_error(429, "rate_limited", None);
    // The limit is per token (RL: "per API key").
    let other = sim.get_as(READ_ONLY_TOKEN, "/subusers").await;
    assert_eq!(other.status, 200);
    assert_eq!(other.data().len(), 12);
}

#[tokio::test]
async fn a_daily_cap_is_reported_and_enforced() {
    let sim = start_with(|o| {
        o.helodata.rate_limit = RateLimitPlan {
            per_minute: 30,
            per_day: Some(2),
        }
    })
    .await;
    let r = sim.get("/users/me").await;
    assert_eq!(r.header("x-ratelimit-limit"), Some("30"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("1"));
    assert_eq!(sim.get("/users/me").await.status, 200);
    let over = sim.get("/users/me").await;
    over.assert_error(429, "rate_limited", None);
    let retry: u64 = over
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry > 3_600, "waits for the day window: {retry}");
}

#[test]
fn the_documented_plans_have_the_documented_numbers() {
    assert_eq!(
        (
            RateLimitPlan::trial().per_minute,
            RateLimitPlan::trial().per_day
        ),
        (30, Some(1_000))
    );
    assert_eq!(RateLimitPlan::starter().per_day, Some(10_000));
    assert_eq!(RateLimitPlan::pro().per_minute, 600);
    assert_eq!(RateLimitPlan::business().per_minute, 1_200);
}
