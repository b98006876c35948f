//! Upstream failures through the gateway: each fault of the simulators maps to its public error,
//! retries happen only where allowed, and the circuit breaker opens and recovers.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{create_body, for_both_providers};
use crate::support::{Db, problem, spawn_app_with_sims};

/// The upstream path of each account's proxy-user listing.
fn list_path(account: &str) -> &'static str {
    match account {
        "911proxy" => "/api-gate-way/whitelist-account/list",
        _ => "/v1/subusers",
    }
}

fn create_path(account: &str) -> &'static str {
    match account {
        "911proxy" => "/api-gate-way/whitelist-account/add",
        _ => "/v1/subusers",
    }
}

fn calls_to(app: &crate::support::TestApp, account: &str, method: &str, path: &str) -> usize {
    app.sims
        .as_ref()
        .unwrap()
        .calls(account)
        .iter()
        .filter(|c| c.method == method && c.path == path)
        .count()
}

async fn a_slow_provider_is_504_upstream_timeout(account: &str) {
    let app = spawn_app_with_sims(
        Db::Sqlite,
        &[
            ("PGW_UPSTREAM_TIMEOUT_SECS", "1"),
            ("PGW_UPSTREAM_MAX_RETRIES", "0"),
        ],
    )
    .await;
    app.sims.as_ref().unwrap().fault(
        account,
        json!({"kind": "latency", "ms": 2500, "path": list_path(account)}),
    );
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["code"], "upstream_timeout");
    assert_eq!(body["provider"], account);
    assert_eq!(body["retryable"], true);
}

async fn a_5xx_is_retried_for_reads_then_answered_502(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_UPSTREAM_MAX_RETRIES", "2")]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        account,
        json!({"kind": "http_error", "status": 503, "path": list_path(account)}),
    );
    sims.clear_calls();
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "upstream_error");
    assert_eq!(body["upstream"]["status"], 503);
    assert_eq!(
        calls_to(&app, account, "GET", list_path(account)),
        3,
        "one call and two retries"
    );
}

async fn a_transient_5xx_on_a_read_is_absorbed_by_a_retry(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        account,
        json!({"kind": "http_error", "status": 502, "path": list_path(account), "times": 1}),
    );
    sims.clear_calls();
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls_to(&app, account, "GET", list_path(account)), 2);
}

async fn a_write_without_upstream_idempotency_is_sent_once(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_UPSTREAM_MAX_RETRIES", "2")]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(account, json!({"kind": "http_error", "status": 503, "path": create_path(account), "method": "POST"}));
    sims.clear_calls();
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&create_body(account, "once"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(
        calls_to(&app, account, "POST", create_path(account)),
        1,
        "writes are never retried blindly"
    );
}

async fn a_provider_rate_limit_beyond_the_cap_fails_fast_with_its_retry_after(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_UPSTREAM_RETRY_AFTER_CAP_SECS", "5")]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        account,
        json!({"kind": "rate_limit", "retry_after": 60, "path": list_path(account)}),
    );
    sims.clear_calls();
    let started = std::time::Instant::now();
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "60");
    let (status, body) = problem(response).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "upstream_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no waiting beyond the cap"
    );
    assert_eq!(calls_to(&app, account, "GET", list_path(account)), 1);
}

async fn a_short_provider_rate_limit_is_waited_out(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    app.sims.as_ref().unwrap().fault(
        account,
        json!({"kind": "rate_limit", "retry_after": 1, "path": list_path(account), "times": 1}),
    );
    let started = std::time::Instant::now();
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
}

async fn malformed_json_is_502(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    app.sims.as_ref().unwrap().fault(
        account,
        json!({"kind": "malformed_json", "path": list_path(account)}),
    );
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "upstream_error");
    assert_eq!(
        body["detail"],
        "the provider's answer could not be understood"
    );
}

async fn a_closed_connection_is_502(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_UPSTREAM_MAX_RETRIES", "0")]).await;
    app.sims.as_ref().unwrap().fault(
        account,
        json!({"kind": "close", "path": list_path(account)}),
    );
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "upstream_error");
}

async fn the_provider_refusing_the_gateway_credential_is_502_never_401(account: &str) {
    let (key_setting, bad) = match account {
        "911proxy" => ("PGW_911PROXY_APP_KEY", "wrongappkey123"),
        _ => ("PGW_HELODATA_API_KEY", "hel_live_wrong"),
    };
    let app = spawn_app_with_sims(Db::Sqlite, &[(key_setting, bad)]).await;
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "upstream_error");
    assert_eq!(body["provider"], account);
    assert!(
        !body.to_string().contains(bad),
        "the credential is never echoed"
    );
    match account {
        "911proxy" => assert_eq!(body["upstream"]["code"], "3"),
        _ => assert_eq!(body["upstream"]["status"], 401),
    }
}

async fn an_unverified_account_is_403_with_the_providers_reason(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let code = match account {
        "911proxy" => json!(156),
        _ => json!("kyc_required"),
    };
    app.sims.as_ref().unwrap().fault(account, json!({"kind": "provider_error", "code": code, "path": create_path(account), "method": "POST"}));
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&create_body(account, "kyc"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "permission_denied");
    assert!(body["upstream"]["message"].is_string());
}

async fn the_breaker_opens_after_repeated_failures_and_recovers(account: &str) {
    let app = spawn_app_with_sims(
        Db::Sqlite,
        &[
            ("PGW_UPSTREAM_MAX_RETRIES", "0"),
            ("PGW_UPSTREAM_BREAKER_THRESHOLD", "2"),
            ("PGW_UPSTREAM_BREAKER_COOLDOWN_SECS", "1"),
        ],
    )
    .await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        account,
        json!({"kind": "http_error", "status": 500, "path": list_path(account), "times": 2}),
    );
    let path = format!("/v1/proxy-users?account={account}");
    for _ in 0..2 {
        let response = app.admin(Method::GET, &path).send().await.unwrap();
        assert_eq!(problem(response).await.0, 502);
    }
    let providers: Value = app
        .admin(Method::GET, "/v1/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let state = providers["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == account)
        .unwrap()["circuit_breaker"]
        .clone();
    assert_eq!(state, "open");
    sims.clear_calls();
    let response = app.admin(Method::GET, &path).send().await.unwrap();
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("upstream_unavailable"))
    );
    assert_eq!(
        calls_to(&app, account, "GET", list_path(account)),
        0,
        "an open breaker makes no call"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let response = app.admin(Method::GET, &path).send().await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "the half-open probe succeeds and closes the breaker"
    );
    let providers: Value = app
        .admin(Method::GET, "/v1/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let state = providers["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == account)
        .unwrap()["circuit_breaker"]
        .clone();
    assert_eq!(state, "closed");
}

async fn every_response_reports_upstream_and_gateway_time(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    app.sims.as_ref().unwrap().fault(
        account,
        json!({"kind": "latency", "ms": 150, "path": list_path(account), "times": 1}),
    );
    let response = app
        .admin(Method::GET, &format!("/v1/proxy-users?account={account}"))
        .send()
        .await
        .unwrap();
    let timing = response.headers()["server-timing"]
        .to_str()
        .unwrap()
        .to_string();
    let upstream: f64 = timing
        .split(", ")
        .find_map(|part| part.strip_prefix("upstream;dur="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(upstream >= 150.0, "{timing}");
    assert!(timing.contains("gateway;dur="), "{timing}");
}

for_both_providers!(
    a_slow_provider_is_504_upstream_timeout,
    a_5xx_is_retried_for_reads_then_answered_502,
    a_transient_5xx_on_a_read_is_absorbed_by_a_retry,
    a_write_without_upstream_idempotency_is_sent_once,
    a_provider_rate_limit_beyond_the_cap_fails_fast_with_its_retry_after,
    a_short_provider_rate_limit_is_waited_out,
    malformed_json_is_502,
    a_closed_connection_is_502,
    the_provider_refusing_the_gateway_credential_is_502_never_401,
    an_unverified_account_is_403_with_the_providers_reason,
    the_breaker_opens_after_repeated_failures_and_recovers,
    every_response_reports_upstream_and_gateway_time,
);

/// A keyed helodata write that times out (the answer lost after helodata acted) counts as a
/// breaker failure like a 5xx: at a threshold of one, the upstream client's retry of it is
/// refused by the open breaker without a call.
#[tokio::test]
async fn a_timed_out_write_opens_the_breaker_and_its_retry_makes_no_call() {
    let app = spawn_app_with_sims(
        Db::Sqlite,
        &[
            ("PGW_UPSTREAM_TIMEOUT_SECS", "1"),
            ("PGW_UPSTREAM_BREAKER_THRESHOLD", "1"),
            ("PGW_UPSTREAM_BREAKER_COOLDOWN_SECS", "30"),
        ],
    )
    .await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        "helodata",
        json!({"kind": "hang", "phase": "after", "path": "/v1/subusers", "method": "POST", "times": 1}),
    );
    sims.clear_calls();
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .header("idempotency-key", "breaker-write")
        .json(&create_body("helodata", "breaker"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(
        calls_to(&app, "helodata", "POST", "/v1/subusers"),
        1,
        "{body}"
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("outcome_unknown")),
        "{body}"
    );
}
