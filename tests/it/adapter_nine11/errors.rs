//! Failures: each class of upstream failure, and which calls are retried (reads) or not
//! (writes: 911 has no idempotency).

use std::time::Duration;

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{Change, NewProxyUser, ProxyUserPatch};
use proxy_gateway::providers::{FailureKind, ProviderAdapter, WriteContext};

use super::*;

fn label_patch() -> ProxyUserPatch {
    ProxyUserPatch {
        label: Change::Set("retry?".into()),
        ..Default::default()
    }
}

async fn count(h: &Harness, path: &str) -> usize {
    h.calls()
        .await
        .iter()
        .filter(|c| c["path"] == format!("/api-gate-way/{path}"))
        .count()
}

#[tokio::test]
async fn a_wrong_app_key_is_credential_rejected() {
    let h = Harness::build(|_| {}, fast_policy(), Some("wrongkey0000")).await;
    let f = upstream(h.adapter.get_proxy_user("alpha83").await.unwrap_err());
    assert_eq!(f.kind, FailureKind::CredentialRejected);
    assert_eq!(f.status, Some(200));
    assert_eq!(f.code.as_deref(), Some("3"));
    assert_eq!(f.message.as_deref(), Some("登录已过期，请重新登录"));
    assert_eq!(count(&h, "whitelist-account/list").await, 1, "not retried");
    let f = upstream(h.adapter.health().await.unwrap_err());
    assert_eq!(f.kind, FailureKind::CredentialRejected);
}

#[tokio::test]
async fn code_156_is_forbidden_with_the_providers_reason() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/add",
        json!({"kind": "provider_error", "code": 156, "times": 1}),
    )
    .await;
    let user = NewProxyUser {
        products: vec![Product::Residential],
        ..Default::default()
    };
    let f = upstream(
        h.adapter
            .create_proxy_users(&[user], &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::Forbidden);
    assert_eq!(f.code.as_deref(), Some("156"));
    assert_eq!(f.message.as_deref(), Some("账号未实名认证"));
}

#[tokio::test]
async fn an_unverified_account_is_forbidden_to_write() {
    let h = Harness::build(
        |o| o.nine11.not_real_name_verified = true,
        fast_policy(),
        None,
    )
    .await;
    let f = upstream(
        h.adapter
            .update_proxy_user("alpha83", &label_patch(), &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::Forbidden);
    assert_eq!(f.code.as_deref(), Some("156"));
}

#[tokio::test]
async fn a_parameter_error_is_rejected() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/change-remark",
        json!({"kind": "provider_error", "code": 400, "message": "参数错误", "times": 1}),
    )
    .await;
    let f = upstream(
        h.adapter
            .update_proxy_user("alpha83", &label_patch(), &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::Rejected);
    assert_eq!(f.code.as_deref(), Some("400"));
    assert_eq!(f.message.as_deref(), Some("参数错误"));
}

#[tokio::test]
async fn malformed_json_is_a_malformed_response() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/list",
        json!({"kind": "malformed_json", "times": 1}),
    )
    .await;
    let f = upstream(h.adapter.get_proxy_user("alpha83").await.unwrap_err());
    assert_eq!(f.kind, FailureKind::MalformedResponse);
    assert_eq!(f.status, Some(200));
}

#[tokio::test]
async fn a_success_envelope_on_an_http_error_is_not_success() {
    let h = Harness::start().await;
    h.fault(
        "user-product/summary",
        json!({"kind": "http_error", "status": 400,
            "body": {"code": 200, "msg": "ok", "data": {"total": 1}}, "times": 1}),
    )
    .await;
    let f = upstream(h.adapter.package_summary().await.unwrap_err());
    assert_eq!(f.kind, FailureKind::Other);
    assert_eq!(f.status, Some(400));
    assert_eq!(f.code.as_deref(), Some("200"));
}

#[tokio::test]
async fn a_server_error_on_a_write_is_not_retried() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/change-remark",
        json!({"kind": "http_error", "status": 503, "times": 3}),
    )
    .await;
    let f = upstream(
        h.adapter
            .update_proxy_user("alpha83", &label_patch(), &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::ServerError);
    assert_eq!(f.status, Some(503));
    assert_eq!(count(&h, "whitelist-account/change-remark").await, 1);
}

#[tokio::test]
async fn reads_are_retried_on_server_errors() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/list",
        json!({"kind": "http_error", "status": 502, "times": 2}),
    )
    .await;
    let user = h.adapter.get_proxy_user("alpha83").await.unwrap();
    assert_eq!(user.username, "alpha83");
    let statuses: Vec<Value> = h
        .calls()
        .await
        .iter()
        .map(|c| c["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(502), json!(502), json!(200)]);
}

#[tokio::test]
async fn a_read_that_keeps_failing_is_a_server_error_after_the_retries() {
    let h = Harness::start().await;
    h.fault("user/info", json!({"kind": "http_error", "status": 500}))
        .await;
    let f = upstream(h.adapter.account_info().await.unwrap_err());
    assert_eq!(f.kind, FailureKind::ServerError);
    assert_eq!(count(&h, "user/info").await, 3, "one call and two retries");
}

/// Short timeouts and no breaker trips during the test.
fn impatient() -> UpstreamPolicy {
    UpstreamPolicy {
        timeout: Duration::from_millis(300),
        ..fast_policy()
    }
}

#[tokio::test]
async fn a_write_that_times_out_is_a_timeout_and_not_retried() {
    let h = Harness::build(|_| {}, impatient(), None).await;
    h.fault(
        "whitelist-account/change-remark",
        json!({"kind": "latency", "ms": 1500, "times": 3}),
    )
    .await;
    let f = upstream(
        h.adapter
            .update_proxy_user("alpha83", &label_patch(), &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::Timeout);
    assert_eq!(count(&h, "whitelist-account/change-remark").await, 1);
}

#[tokio::test]
async fn a_read_that_times_out_is_retried_then_a_timeout() {
    let h = Harness::build(|_| {}, impatient(), None).await;
    h.fault(
        "user-product/list",
        json!({"kind": "latency", "ms": 1500, "times": 3}),
    )
    .await;
    let f = upstream(h.adapter.health().await.unwrap_err());
    assert_eq!(f.kind, FailureKind::Timeout);
    assert_eq!(count(&h, "user-product/list").await, 3);
}

#[tokio::test]
async fn http_429_is_rate_limited_with_retry_after() {
    let h = Harness::start().await;
    // Longer than the client's cap (30 s): handed straight to the caller.
    h.fault(
        "whitelist-account/list",
        json!({"kind": "rate_limit", "retry_after": 120, "times": 1}),
    )
    .await;
    let f = upstream(h.adapter.get_proxy_user("alpha83").await.unwrap_err());
    assert_eq!(f.kind, FailureKind::RateLimited);
    assert_eq!(f.status, Some(429));
    assert_eq!(f.retry_after, Some(Duration::from_secs(120)));
    assert_eq!(f.code.as_deref(), Some("429"));
    assert_eq!(count(&h, "whitelist-account/list").await, 1);

    // A short one on a write: not waited out, not retried.
    h.clear_calls().await;
    h.fault(
        "whitelist-account/change-remark",
        json!({"kind": "rate_limit", "retry_after": 1, "times": 1}),
    )
    .await;
    let f = upstream(
        h.adapter
            .update_proxy_user("alpha83", &label_patch(), &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::RateLimited);
    assert_eq!(f.retry_after, Some(Duration::from_secs(1)));
    assert_eq!(count(&h, "whitelist-account/change-remark").await, 1);
}

#[tokio::test]
async fn a_short_429_on_a_read_is_waited_out() {
    let h = Harness::start().await;
    h.fault(
        "user/info",
        json!({"kind": "rate_limit", "retry_after": 1, "times": 1}),
    )
    .await;
    let info = h.adapter.account_info().await.unwrap();
    assert_eq!(info.identity_id.as_deref(), Some("763617"));
    assert_eq!(count(&h, "user/info").await, 2);
}

#[tokio::test]
async fn a_closed_connection_on_a_write_is_unreachable_and_not_retried() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/delete",
        json!({"kind": "close", "times": 3}),
    )
    .await;
    let f = upstream(
        h.adapter
            .delete_proxy_user("alpha83", &WriteContext::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(f.kind, FailureKind::Unreachable);
    assert_eq!(count(&h, "whitelist-account/delete").await, 1);
}

#[tokio::test]
async fn the_app_key_never_appears_in_a_failure() {
    let h = Harness::start().await;
    let key = h.key.clone();
    h.fault(
        "user/info",
        json!({"kind": "provider_error", "code": 3, "message": format!("bad key {key}")}),
    )
    .await;
    let f = upstream(h.adapter.account_info().await.unwrap_err());
    assert_eq!(f.kind, FailureKind::CredentialRejected);
    assert_eq!(f.message.as_deref(), Some("bad key [redacted]"));
}
