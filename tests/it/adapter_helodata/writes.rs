//! What goes on the wire: the bearer token on every call, the forwarded `Idempotency-Key`, and
//! which calls are retried.

use proxy_gateway::domain::proxy_users::{Change, ProxyUserFilter, ProxyUserPatch};
use proxy_gateway::domain::usage::UsageQuery;
use proxy_gateway::providers::{FailureKind, ProviderAdapter, WriteContext};
use serde_json::json;
use time::OffsetDateTime;

use super::support::{main_token, new_user, start, upstream};

fn ctx(key: &str) -> WriteContext {
    WriteContext::with_write_key(key)
}

#[tokio::test]
async fn every_call_carries_the_bearer_token_and_nothing_else_does() {
    let env = start().await;
    let token = main_token();
    let a = &env.adapter;
    a.health().await.expect("health");
    a.list_proxy_users(&ProxyUserFilter::default(), None, 3)
        .await
        .expect("list");
    let created = a
        .create_proxy_users(&[new_user("bearer")], &ctx("bearer-create"))
        .await
        .expect("create");
    let id = created[0].user.id.upstream.clone();
    a.update_proxy_user(
        &id,
        &ProxyUserPatch {
            label: Change::Set("bearer-2".into()),
            ..ProxyUserPatch::default()
        },
        &WriteContext::default(),
    )
    .await
    .expect("patch");
    a.rotate_password(&id, None, &WriteContext::default())
        .await
        .expect("rotate");
    a.delete_proxy_user(&id, &WriteContext::default())
        .await
        .expect("delete");
    let now = OffsetDateTime::now_utc();
    a.usage(&UsageQuery {
        from: now - time::Duration::days(1),
        to: now,
        product: None,
        proxy_user: None,
        group_by: None,
        region: None,
        tag: None,
    })
    .await
    .expect("usage");
    a.account_info().await.expect("account");
    a.packages().await.expect("packages");
    let calls = env.all_calls().await;
    assert!(calls.len() >= 14, "{}", calls.len());
    for call in &calls {
        assert_eq!(call["auth"]["placement"], "bearer", "{call}");
        assert_eq!(call["auth"]["value"], token.as_str(), "{call}");
        assert_eq!(
            call["headers"]["authorization"],
            format!("Bearer {token}"),
            "{call}"
        );
        assert!(!call["query"].as_str().unwrap_or("").contains(&token));
        assert!(!call["body"].as_str().unwrap_or("").contains(&token));
    }
}

#[tokio::test]
async fn writes_forward_the_context_key_and_writes_without_one_send_none() {
    let env = start().await;
    let id = "sub_01JWMKF78094CT0T695R5G6203";
    let patch = ProxyUserPatch {
        label: Change::Set("renamed".into()),
        ..ProxyUserPatch::default()
    };
    env.adapter
        .update_proxy_user(id, &patch, &ctx("patch-key"))
        .await
        .expect("patch");
    env.adapter
        .rotate_password(id, None, &ctx("rotate-key"))
        .await
        .expect("rotate");
    env.adapter
        .update_proxy_user(id, &patch, &WriteContext::default())
        .await
        .expect("patch without key");
    let patches = env.calls("PATCH", &format!("/v1/subusers/{id}")).await;
    assert_eq!(patches[0]["headers"]["idempotency-key"], "patch-key");
    assert_eq!(patches[1]["headers"].get("idempotency-key"), None);
    let rotations = env
        .calls("POST", &format!("/v1/subusers/{id}/rotate-password"))
        .await;
    assert_eq!(rotations[0]["headers"]["idempotency-key"], "rotate-key");
    // Reads never carry one.
    for get in env.calls("GET", "/v1/*").await {
        assert_eq!(get["headers"].get("idempotency-key"), None);
    }
}

#[tokio::test]
async fn a_key_longer_than_helodata_takes_is_cut_to_64_characters() {
    // The gateway's write keys are `pgw_` + 64 hex digits: cut to helodata's 64, they keep 240
    // bits of the digest.
    let env = start().await;
    let long = format!("pgw_{}", "0123456789abcdef".repeat(4));
    env.adapter
        .create_proxy_users(&[new_user("long-key")], &ctx(&long))
        .await
        .expect("created with a fitted key");
    let posts = env.calls("POST", "/v1/subusers").await;
    let sent = posts[0]["headers"]["idempotency-key"]
        .as_str()
        .expect("key");
    assert_eq!(sent, &long[..64]);
}

#[tokio::test]
async fn a_write_with_a_key_is_retried_on_5xx_and_creates_one_subuser() {
    let env = start().await;
    // helodata creates the sub-user, then the answer is lost to a 500.
    env.fault(json!({
        "kind": "http_error", "status": 500, "phase": "after",
        "method": "POST", "path": "/v1/subusers", "times": 1
    }))
    .await;
    let created = env
        .adapter
        .create_proxy_users(&[new_user("retried")], &ctx("retry-key"))
        .await
        .expect("created on the retry");
    let posts = env.calls("POST", "/v1/subusers").await;
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0]["status"], 500);
    assert_eq!(posts[1]["status"], 201);
    for post in &posts {
        assert_eq!(post["headers"]["idempotency-key"], "retry-key");
    }
    assert_eq!(env.subuser_count().await, 13);
    assert_eq!(created[0].user.label.as_deref(), Some("retried"));
}

#[tokio::test]
async fn a_patch_with_a_key_is_retried_on_5xx() {
    let env = start().await;
    env.fault(json!({"kind": "http_error", "status": 503, "method": "PATCH", "times": 2}))
        .await;
    let user = env
        .adapter
        .update_proxy_user(
            "sub_01JWMKF78094CT0T695R5G6203",
            &ProxyUserPatch {
                rps_max: Some(7),
                ..ProxyUserPatch::default()
            },
            &ctx("patch-retry"),
        )
        .await
        .expect("patched on the third attempt");
    assert_eq!(user.rps_max, Some(7));
    assert_eq!(env.calls("PATCH", "/v1/subusers/*").await.len(), 3);
}

#[tokio::test]
async fn a_write_without_a_key_is_not_retried() {
    let env = start().await;
    env.fault(json!({
        "kind": "http_error", "status": 500, "method": "POST", "path": "/v1/subusers", "times": 1
    }))
    .await;
    let failure = upstream(
        env.adapter
            .create_proxy_users(&[new_user("once")], &WriteContext::default())
            .await
            .expect_err("not retried"),
    );
    assert_eq!(failure.kind, FailureKind::ServerError);
    assert_eq!(failure.status, Some(500));
    assert_eq!(env.calls("POST", "/v1/subusers").await.len(), 1);
    assert_eq!(env.subuser_count().await, 12);
}

#[tokio::test]
async fn reads_are_retried_on_5xx_and_dropped_connections() {
    let env = start().await;
    env.fault(json!({"kind": "http_error", "status": 502, "method": "GET", "path": "/v1/users/me", "times": 1}))
        .await;
    env.fault(json!({"kind": "close", "method": "GET", "path": "/v1/users/me", "times": 1}))
        .await;
    let info = env.adapter.account_info().await.expect("third attempt");
    assert_eq!(info.email.as_deref(), Some("ops@acme.com"));
    assert_eq!(env.calls("GET", "/v1/users/me").await.len(), 3);
}
