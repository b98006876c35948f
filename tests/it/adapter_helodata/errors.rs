//! helodata's failures as the adapter classifies them, over HTTP.

use std::time::Duration;

use proxy_gateway::providers::{FailureKind, ProviderAdapter, WriteContext};
use proxy_gateway::sim::helodata::READ_ONLY_TOKEN;
use proxy_gateway::upstream::UpstreamPolicy;
use serde_json::json;

use super::support::{adapter_for, fast_policy, new_user, start, start_with, upstream};

#[tokio::test]
async fn a_wrong_token_is_credential_rejected() {
    let env = start_with(
        "hel_live_wrong0000000000000000000000000000000000000000000000000000000000",
        fast_policy(),
    )
    .await;
    let failure = upstream(env.adapter.health().await.expect_err("refused"));
    assert_eq!(failure.kind, FailureKind::CredentialRejected);
    assert_eq!(failure.status, Some(401));
    assert_eq!(failure.code.as_deref(), Some("unauthenticated"));
    assert!(
        failure
            .request_id
            .as_deref()
            .is_some_and(|r| r.starts_with("req_"))
    );
    assert!(!failure.message.unwrap_or_default().contains("wrong0000"));
}

#[tokio::test]
async fn a_read_only_token_is_forbidden_to_create() {
    let env = start_with(READ_ONLY_TOKEN, fast_policy()).await;
    let failure = upstream(
        env.adapter
            .create_proxy_users(&[new_user("nope")], &WriteContext::default())
            .await
            .expect_err("refused"),
    );
    assert_eq!(failure.kind, FailureKind::Forbidden);
    assert_eq!(failure.status, Some(403));
    assert_eq!(failure.code.as_deref(), Some("permission_denied"));
    assert_eq!(
        failure.message.as_deref(),
        Some("this token lacks the subusers:write scope")
    );
    // Reading is within its scope.
    env.adapter.health().await.expect("read allowed");
}

#[tokio::test]
async fn insufficient_balance_is_its_own_kind() {
    let env = start().await;
    env.fault(json!({"kind": "provider_error", "code": "insufficient_balance", "path": "/v1/subusers", "method": "POST"}))
        .await;
    let failure = upstream(
        env.adapter
            .create_proxy_users(&[new_user("broke")], &WriteContext::default())
            .await
            .expect_err("refused"),
    );
    assert_eq!(failure.kind, FailureKind::InsufficientBalance);
    assert_eq!(failure.status, Some(402));
    assert_eq!(failure.code.as_deref(), Some("insufficient_balance"));
    assert_eq!(
        failure.message.as_deref(),
        Some("Insufficient balance and auto top-up could not charge")
    );
}

#[tokio::test]
async fn kyc_required_is_forbidden_in_either_spelling() {
    let env = start().await;
    for code in ["kyc_required", "kyc-required"] {
        env.fault(json!({"kind": "provider_error", "code": code, "path": "/v1/mobile/traffic", "times": 1}))
            .await;
        let now = time::OffsetDateTime::now_utc();
        let failure = upstream(
            env.adapter
                .usage(&proxy_gateway::domain::usage::UsageQuery {
                    from: now - time::Duration::days(1),
                    to: now,
                    product: Some(proxy_gateway::domain::products::Product::Mobile),
                    proxy_user: None,
                    group_by: None,
                    region: None,
                    tag: None,
                })
                .await
                .expect_err("refused"),
        );
        assert_eq!(failure.kind, FailureKind::Forbidden, "{code}");
        assert_eq!(failure.status, Some(403));
        assert_eq!(failure.code.as_deref(), Some(code));
        assert_eq!(
            failure.message.as_deref(),
            Some("KYC verification is required")
        );
    }
}

#[tokio::test]
async fn a_rate_limited_write_is_rate_limited_with_retry_after() {
    let env = start().await;
    env.fault(json!({"kind": "rate_limit", "retry_after": 7, "method": "POST", "times": 1}))
        .await;
    let failure = upstream(
        env.adapter
            .create_proxy_users(&[new_user("slow")], &WriteContext::default())
            .await
            .expect_err("limited"),
    );
    assert_eq!(failure.kind, FailureKind::RateLimited);
    assert_eq!(failure.status, Some(429));
    assert_eq!(failure.code.as_deref(), Some("rate_limited"));
    assert_eq!(failure.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(env.calls("POST", "/v1/subusers").await.len(), 1);
}

#[tokio::test]
async fn a_read_asked_to_wait_past_the_cap_is_rate_limited_at_once() {
    let env = start().await;
    env.fault(json!({"kind": "rate_limit", "retry_after": 120, "path": "/v1/users/me"}))
        .await;
    let failure = upstream(env.adapter.account_info().await.expect_err("limited"));
    assert_eq!(failure.kind, FailureKind::RateLimited);
    assert_eq!(failure.retry_after, Some(Duration::from_secs(120)));
    assert_eq!(failure.status, Some(429));
    assert_eq!(env.calls("GET", "/v1/users/me").await.len(), 1);
}

#[tokio::test]
async fn a_short_rate_limit_on_a_read_is_waited_out() {
    let env = start().await;
    env.fault(json!({"kind": "rate_limit", "retry_after": 1, "path": "/v1/users/me", "times": 1}))
        .await;
    env.adapter.account_info().await.expect("second attempt");
    assert_eq!(env.calls("GET", "/v1/users/me").await.len(), 2);
}

#[tokio::test]
async fn malformed_json_is_a_malformed_response() {
    let env = start().await;
    env.fault(json!({"kind": "malformed_json", "path": "/v1/users/me"}))
        .await;
    let failure = upstream(env.adapter.account_info().await.expect_err("malformed"));
    assert_eq!(failure.kind, FailureKind::MalformedResponse);
    assert_eq!(failure.status, Some(200));
    env.fault(json!({"kind": "malformed_json", "phase": "after", "path": "/v1/subusers"}))
        .await;
    let failure = upstream(
        env.adapter
            .list_proxy_users(&Default::default(), None, 5)
            .await
            .expect_err("malformed"),
    );
    assert_eq!(failure.kind, FailureKind::MalformedResponse);
}

#[tokio::test]
async fn latency_past_the_policy_timeout_is_a_timeout() {
    let policy = UpstreamPolicy {
        timeout: Duration::from_millis(300),
        max_retries: 0,
        ..fast_policy()
    };
    let env = start_with(&super::support::main_token(), policy).await;
    env.fault(json!({"kind": "latency", "ms": 2000, "path": "/v1/users/me"}))
        .await;
    let failure = upstream(env.adapter.health().await.expect_err("too slow"));
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(failure.status, None);
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    proxy_gateway::upstream::tls::install_crypto_provider();
    let policy = UpstreamPolicy {
        max_retries: 0,
        ..fast_policy()
    };
    let adapter = adapter_for(
        &format!("http://{addr}/v1"),
        &super::support::main_token(),
        policy,
    );
    let failure = upstream(adapter.health().await.expect_err("nobody there"));
    assert_eq!(failure.kind, FailureKind::Unreachable);
}

#[tokio::test]
async fn an_open_circuit_is_circuit_open() {
    let policy = UpstreamPolicy {
        max_retries: 0,
        breaker_failure_threshold: 2,
        breaker_cooldown: Duration::from_secs(60),
        ..fast_policy()
    };
    let env = start_with(&super::support::main_token(), policy).await;
    env.fault(json!({"kind": "http_error", "status": 503, "path": "/v1/users/me"}))
        .await;
    for _ in 0..2 {
        let failure = upstream(env.adapter.health().await.expect_err("5xx"));
        assert_eq!(failure.kind, FailureKind::ServerError);
    }
    let failure = upstream(env.adapter.health().await.expect_err("open"));
    assert_eq!(failure.kind, FailureKind::CircuitOpen);
    assert!(failure.retry_after.is_some());
    assert_eq!(env.calls("GET", "/v1/users/me").await.len(), 2);
}
