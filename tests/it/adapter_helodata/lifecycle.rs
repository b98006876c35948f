//! A proxy user's life at helodata through the adapter: create, get, patch, rotate, delete.

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{Change, NewProxyUser, ProxyUserPatch, ProxyUserStatus};
use proxy_gateway::providers::{FailureKind, ProviderAdapter, ProviderError, WriteContext};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use super::support::{ACCOUNT, new_user, start, upstream};

fn ctx(key: &str) -> WriteContext {
    WriteContext::with_write_key(key)
}

#[tokio::test]
async fn create_get_patch_rotate_delete() {
    let env = start().await;
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).expect("ns");
    let created = env
        .adapter
        .create_proxy_users(
            &[NewProxyUser {
                products: vec![Product::Residential, Product::Mobile],
                label: Some("lifecycle".into()),
                concurrency_max: Some(100),
                rps_max: Some(50),
                ..NewProxyUser::default()
            }],
            &ctx("life-create"),
        )
        .await
        .expect("created");
    assert_eq!(created.len(), 1);
    let new = &created[0];
    let id = new.user.id.upstream.clone();
    assert!(id.starts_with("sub_"), "{id}");
    assert_eq!(new.user.id.account, ACCOUNT);
    assert_eq!(new.user.label.as_deref(), Some("lifecycle"));
    assert_eq!(
        new.user.products,
        vec![Product::Residential, Product::Mobile]
    );
    assert_eq!(new.user.status, ProxyUserStatus::Enabled);
    assert_eq!(
        (new.user.concurrency_max, new.user.rps_max),
        (Some(100), Some(50))
    );
    assert!(new.user.created_at.is_some_and(|t| t >= before));
    assert!(new.user.password.is_none());
    assert_eq!(new.user.provider_data.get("password"), None);
    let password = new.password.expose_secret().to_string();
    assert_eq!(password.len(), 16);
    assert!(new.user.username.starts_with('s') && new.user.username.len() == 11);

    let got = env.adapter.get_proxy_user(&id).await.expect("get");
    assert_eq!(got.username, new.user.username);
    assert_eq!(got.provider_data, new.user.provider_data);

    let patched = env
        .adapter
        .update_proxy_user(
            &id,
            &ProxyUserPatch {
                label: Change::Set("lifecycle-2".into()),
                status: Some(ProxyUserStatus::Disabled),
                concurrency_max: Some(20),
                rps_max: Some(10),
                ..ProxyUserPatch::default()
            },
            &ctx("life-patch"),
        )
        .await
        .expect("patched");
    assert_eq!(patched.label.as_deref(), Some("lifecycle-2"));
    assert_eq!(patched.status, ProxyUserStatus::Disabled);
    assert_eq!(
        (patched.concurrency_max, patched.rps_max),
        (Some(20), Some(10))
    );
    let patches = env.calls("PATCH", &format!("/v1/subusers/{id}")).await;
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0]["body_json"],
        serde_json::json!({"label": "lifecycle-2", "status": "disabled", "concurrent_max": 20, "rps_max": 10})
    );

    let rotated_at = OffsetDateTime::now_utc();
    let rotated = env
        .adapter
        .rotate_password(&id, None, &ctx("life-rotate"))
        .await
        .expect("rotated");
    assert_ne!(rotated.password.expose_secret(), password);
    assert_eq!(rotated.password.expose_secret().len(), 16);
    assert_eq!(rotated.user.id.upstream, id);
    assert_eq!(rotated.user.label.as_deref(), Some("lifecycle-2"));
    let grace = rotated.old_password_valid_until.expect("grace") - rotated_at;
    assert!(
        grace >= time::Duration::seconds(59) && grace <= time::Duration::seconds(61),
        "{grace}"
    );
    assert_eq!(
        env.calls("POST", &format!("/v1/subusers/{id}/rotate-password"))
            .await
            .len(),
        1
    );

    env.adapter
        .delete_proxy_user(&id, &ctx("life-delete"))
        .await
        .expect("deleted");
    let gone = env.adapter.get_proxy_user(&id).await.expect_err("gone");
    assert!(matches!(gone, ProviderError::NotFound(_)), "{gone:?}");
    let again = env
        .adapter
        .delete_proxy_user(&id, &WriteContext::default())
        .await
        .expect_err("already gone");
    assert!(matches!(again, ProviderError::NotFound(_)), "{again:?}");
}

#[tokio::test]
async fn a_batch_is_one_post_per_user_with_indexed_keys() {
    let env = start().await;
    let created = env
        .adapter
        .create_proxy_users(
            &[
                new_user("batch-a"),
                new_user("batch-b"),
                new_user("batch-c"),
            ],
            &ctx("batch-key"),
        )
        .await
        .expect("created");
    let labels: Vec<_> = created
        .iter()
        .map(|c| c.user.label.clone().unwrap_or_default())
        .collect();
    assert_eq!(labels, ["batch-a", "batch-b", "batch-c"]);
    let posts = env.calls("POST", "/v1/subusers").await;
    let keys: Vec<_> = posts
        .iter()
        .map(|c| c["headers"]["idempotency-key"].clone())
        .collect();
    assert_eq!(keys, ["batch-key-0", "batch-key-1", "batch-key-2"]);
    let bodies: Vec<_> = posts.iter().map(|c| c["body_json"].clone()).collect();
    assert_eq!(
        bodies[1],
        serde_json::json!({"label": "batch-b", "products": ["residential"]})
    );
    // Retrying the whole batch with the same key replays it: same users, same passwords.
    let replayed = env
        .adapter
        .create_proxy_users(
            &[
                new_user("batch-a"),
                new_user("batch-b"),
                new_user("batch-c"),
            ],
            &ctx("batch-key"),
        )
        .await
        .expect("replayed");
    for (a, b) in created.iter().zip(&replayed) {
        assert_eq!(a.user.id, b.user.id);
        assert_eq!(a.password.expose_secret(), b.password.expose_secret());
    }
    assert_eq!(env.subuser_count().await, 15);
}

#[tokio::test]
async fn a_single_create_forwards_the_context_key_unchanged() {
    let env = start().await;
    env.adapter
        .create_proxy_users(&[new_user("single")], &ctx("one-key"))
        .await
        .expect("created");
    let posts = env.calls("POST", "/v1/subusers").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["headers"]["idempotency-key"], "one-key");
}

#[tokio::test]
async fn an_empty_patch_reads_the_user_without_writing() {
    let env = start().await;
    let user = env
        .adapter
        .update_proxy_user(
            "sub_01JWMKF78094CT0T695R5G6203",
            &ProxyUserPatch::default(),
            &ctx("noop"),
        )
        .await
        .expect("user");
    assert_eq!(user.username, "sjaa6j31ee2");
    assert!(env.calls("PATCH", "/v1/subusers/*").await.is_empty());
}

#[tokio::test]
async fn helodatas_own_validation_names_the_gateway_field() {
    let env = start().await;
    // The Pro plan's residential cap is 600 concurrent connections (§4).
    let mut too_many = new_user("too-many");
    too_many.concurrency_max = Some(5_000);
    let failure = upstream(
        env.adapter
            .create_proxy_users(&[too_many.clone()], &WriteContext::default())
            .await
            .expect_err("refused"),
    );
    assert_eq!(failure.kind, FailureKind::Rejected);
    assert_eq!(failure.status, Some(400));
    assert_eq!(failure.code.as_deref(), Some("invalid_argument"));
    assert_eq!(failure.field.as_deref(), Some("concurrency_max"));
    assert!(
        failure
            .request_id
            .as_deref()
            .is_some_and(|r| r.starts_with("req_"))
    );
    // In a batch the first user was created before the second was refused: the error says so.
    match env
        .adapter
        .create_proxy_users(&[new_user("fine"), too_many], &WriteContext::default())
        .await
        .expect_err("refused")
    {
        ProviderError::PartiallyApplied {
            failed,
            created,
            cause,
            ..
        } => {
            assert_eq!(failed, "users");
            assert_eq!(created.len(), 1);
            assert!(created[0].starts_with("sub_"), "{created:?}");
            let failure = upstream(*cause);
            assert_eq!(failure.field.as_deref(), Some("users[1].concurrency_max"));
        }
        other => panic!("expected PartiallyApplied, got {other:?}"),
    }
    let failure = upstream(
        env.adapter
            .update_proxy_user(
                "sub_01JWMKF78094CT0T695R5G6203",
                &ProxyUserPatch {
                    rps_max: Some(1_000_000),
                    ..ProxyUserPatch::default()
                },
                &WriteContext::default(),
            )
            .await
            .expect_err("refused"),
    );
    assert_eq!(failure.kind, FailureKind::Rejected);
    assert_eq!(failure.field.as_deref(), Some("rps_max"));
}

#[tokio::test]
async fn deleting_a_subuser_with_a_bound_isp_batch_is_a_conflict() {
    let env = start().await;
    let failure = upstream(
        env.adapter
            .delete_proxy_user("sub_01JYJKW6G0DD8KWHPSFBFMR5AW", &WriteContext::default())
            .await
            .expect_err("refused"),
    );
    assert_eq!(failure.kind, FailureKind::Conflict);
    assert_eq!(failure.status, Some(409));
    assert_eq!(failure.code.as_deref(), Some("failed_precondition"));
}

#[tokio::test]
async fn a_created_user_keeps_its_password_when_reading_it_back_fails() {
    let env = start().await;
    env.fault(serde_json::json!({"kind": "http_error", "status": 503, "method": "GET", "path": "/v1/subusers/*"}))
        .await;
    let created = env
        .adapter
        .create_proxy_users(&[new_user("read-back")], &ctx("read-back"))
        .await
        .expect("created despite the failed read");
    let new = &created[0];
    assert_eq!(new.password.expose_secret().len(), 16);
    assert_eq!(new.user.label.as_deref(), Some("read-back"));
    assert_eq!(new.user.products, vec![Product::Residential]);
    assert_eq!(new.user.status, ProxyUserStatus::Enabled);
    assert_eq!(new.user.concurrency_max, None);
    assert_eq!(new.user.created_at, None);
    assert_eq!(new.user.provider_data.get("password"), None);
    assert_eq!(new.user.provider_data["label"], "read-back");
    // The read was retried like any read, then given up.
    assert_eq!(env.calls("GET", "/v1/subusers/*").await.len(), 3);
}
