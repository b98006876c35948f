//! Writes: create → list → patch → rotate → delete, batches, where the app_key goes, the order
//! of PATCH steps, partial application, and validation before any upstream call.

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{
    Change, NewProxyUser, ProxyUserFilter, ProxyUserPatch, ProxyUserStatus,
};
use proxy_gateway::providers::nine11::OLD_PASSWORD_GRACE;
use proxy_gateway::providers::{FailureKind, ProviderAdapter, WriteContext};
use secrecy::ExposeSecret;

use super::*;

const GB: u64 = 1024 * 1024 * 1024;

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn new_user(username: &str, password: &str, product: Product) -> NewProxyUser {
    NewProxyUser {
        products: vec![product],
        username: Some(username.to_string()),
        password: Some(secret(password)),
        ..Default::default()
    }
}

fn ctx() -> WriteContext {
    WriteContext::default()
}

fn s(method: &str, path: &str) -> (String, String) {
    (method.to_string(), path.to_string())
}

/// The JSON bodies of the logged POSTs to `path` (relative to /api-gate-way/).
async fn bodies(h: &Harness, path: &str) -> Vec<Value> {
    h.calls()
        .await
        .into_iter()
        .filter(|c| c["method"] == "POST" && c["path"] == format!("/api-gate-way/{path}"))
        .map(|c| c["body_json"].clone())
        .collect()
}

#[tokio::test]
async fn create_list_patch_rotate_delete_lifecycle() {
    let h = Harness::start().await;
    let asked = NewProxyUser {
        label: Some("测试 lifecycle".into()),
        traffic_limit_bytes: Some(5 * GB),
        ..new_user("life01", "Passw0rd1", Product::Isp)
    };
    let created = h
        .adapter
        .create_proxy_users(&[asked], &ctx())
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    let c = &created[0];
    assert_eq!(c.password.expose_secret(), "Passw0rd1");
    assert_eq!(c.user.id.to_string(), "nine:life01");
    assert_eq!(c.user.username, "life01");
    assert_eq!(c.user.label.as_deref(), Some("测试 lifecycle"));
    assert_eq!(c.user.products, vec![Product::Isp]);
    assert_eq!(c.user.status, ProxyUserStatus::Enabled);
    assert_eq!(c.user.traffic_limit_bytes, Some(5_368_709_120));
    assert_eq!(c.user.traffic_used_bytes, Some(0));
    // 911's add answers nothing and the list is not read back (a create costs the same at
    // any account size): 911's own record shows from the next read on.
    assert_eq!(c.user.created_at, None);
    assert_eq!(
        *c.user.provider_data,
        json!({}),
        "911's add answers no object"
    );
    assert_eq!(
        c.user.password.as_ref().unwrap().expose_secret(),
        "Passw0rd1"
    );
    assert_eq!(
        h.call_paths().await,
        [
            s("GET", "whitelist-account/list"),
            s("POST", "whitelist-account/add"),
            s("POST", "whitelist-account/change-limit"),
        ]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/add").await,
        [json!({"accounts": "life01:Passw0rd1", "remark": "测试 lifecycle", "product_type": 25})]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/change-limit").await,
        [json!({"account": "life01", "limit": 5})]
    );

    let listed = h
        .adapter
        .list_proxy_users(
            &ProxyUserFilter {
                username_prefix: Some("life".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(listed.users.len(), 1);
    assert_eq!(listed.users[0].id.to_string(), "nine:life01");
    assert_eq!(
        listed.users[0].created_at,
        Some(NOW),
        "911's record, read back"
    );
    assert_eq!(listed.users[0].provider_data["remark"], "测试 lifecycle");

    h.clear_calls().await;
    let patch = ProxyUserPatch {
        label: Change::Set("renamed".into()),
        traffic_limit_bytes: Change::Clear,
        status: Some(ProxyUserStatus::Disabled),
        ..Default::default()
    };
    let updated = h
        .adapter
        .update_proxy_user("life01", &patch, &ctx())
        .await
        .unwrap();
    assert_eq!(updated.label.as_deref(), Some("renamed"));
    assert_eq!(updated.traffic_limit_bytes, None);
    assert_eq!(updated.status, ProxyUserStatus::Disabled);
    assert_eq!(
        h.call_paths().await,
        [
            s("GET", "whitelist-account/list"),
            s("POST", "whitelist-account/change-remark"),
            s("POST", "whitelist-account/change-limit"),
            s("POST", "whitelist-account/disable"),
            s("GET", "whitelist-account/list"),
        ]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/change-limit").await,
        [json!({"account": "life01", "limit": 0})]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/disable").await,
        [json!({"accounts": "life01"})]
    );

    h.clear_calls().await;
    let before = OffsetDateTime::now_utc();
    let rotated = h
        .adapter
        .rotate_password("life01", None, &ctx())
        .await
        .unwrap();
    let after = OffsetDateTime::now_utc();
    let new_password = rotated.password.expose_secret().to_string();
    assert_eq!(new_password.len(), 16);
    assert!(new_password.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_ne!(new_password, "Passw0rd1");
    assert_eq!(
        rotated.user.password.as_ref().unwrap().expose_secret(),
        new_password
    );
    let until = rotated.old_password_valid_until.unwrap();
    assert!(
        before + OLD_PASSWORD_GRACE <= until && until <= after + OLD_PASSWORD_GRACE,
        "{until}"
    );
    assert_eq!(OLD_PASSWORD_GRACE, time::Duration::minutes(5));
    assert_eq!(
        h.call_paths().await,
        [
            s("GET", "whitelist-account/list"),
            s("POST", "whitelist-account/change-password"),
            s("GET", "whitelist-account/list"),
        ]
    );
    assert_eq!(
        h.raw_accounts_named("life01").await[0]["password"],
        new_password
    );
    let chosen = h
        .adapter
        .rotate_password("life01", Some(&secret("Chosen123")), &ctx())
        .await
        .unwrap();
    assert_eq!(chosen.password.expose_secret(), "Chosen123");
    assert_eq!(
        h.raw_accounts_named("life01").await[0]["password"],
        "Chosen123"
    );

    h.clear_calls().await;
    h.adapter.delete_proxy_user("life01", &ctx()).await.unwrap();
    assert_eq!(
        bodies(&h, "whitelist-account/delete").await,
        [json!({"accounts": "life01"})]
    );
    assert!(h.raw_accounts_named("life01").await.is_empty());
    let gone = h.adapter.get_proxy_user("life01").await.unwrap_err();
    assert!(matches!(gone, ProviderError::NotFound(_)), "{gone:?}");
}

#[tokio::test]
async fn a_batch_is_one_add_call_with_the_exact_comma_body() {
    let h = Harness::start().await;
    let users = [
        NewProxyUser {
            label: Some("fleet".into()),
            traffic_limit_bytes: Some(2 * GB),
            ..new_user("batch1", "secretA1", Product::Residential)
        },
        NewProxyUser {
            label: Some("fleet".into()),
            ..new_user("batch2", "secretB2", Product::Residential)
        },
        NewProxyUser {
            label: Some("fleet".into()),
            traffic_limit_bytes: Some(102_400 * GB),
            ..new_user("batch3", "secretC3", Product::Residential)
        },
    ];
    let created = h.adapter.create_proxy_users(&users, &ctx()).await.unwrap();
    let names: Vec<&str> = created.iter().map(|c| c.user.username.as_str()).collect();
    assert_eq!(names, ["batch1", "batch2", "batch3"]);
    let passwords: Vec<&str> = created.iter().map(|c| c.password.expose_secret()).collect();
    assert_eq!(passwords, ["secretA1", "secretB2", "secretC3"]);
    assert_eq!(
        created
            .iter()
            .map(|c| c.user.traffic_limit_bytes)
            .collect::<Vec<_>>(),
        [Some(2 * GB), None, Some(102_400 * GB)]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/add").await,
        [json!({
            "accounts": "batch1:secretA1,batch2:secretB2,batch3:secretC3",
            "remark": "fleet",
            "product_type": 9
        })]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/change-limit").await,
        [
            json!({"account": "batch1", "limit": 2}),
            json!({"account": "batch3", "limit": 102_400})
        ]
    );
}

#[tokio::test]
async fn a_mixed_batch_is_one_add_per_product_and_label() {
    let h = Harness::start().await;
    let users = [
        new_user("mixa1", "secret01", Product::Residential),
        new_user("mixb1", "secret02", Product::Isp),
        new_user("mixa2", "secret03", Product::Residential),
        NewProxyUser {
            label: Some("x".into()),
            ..new_user("mixa3", "secret04", Product::Residential)
        },
    ];
    let created = h.adapter.create_proxy_users(&users, &ctx()).await.unwrap();
    assert_eq!(created.len(), 4);
    assert_eq!(created[1].user.products, vec![Product::Isp]);
    assert_eq!(created[3].user.label.as_deref(), Some("x"));
    assert_eq!(
        bodies(&h, "whitelist-account/add").await,
        [
            json!({"accounts": "mixa1:secret01,mixa2:secret03", "remark": "", "product_type": 9}),
            json!({"accounts": "mixb1:secret02", "remark": "", "product_type": 25}),
            json!({"accounts": "mixa3:secret04", "remark": "x", "product_type": 9}),
        ]
    );
}

#[tokio::test]
async fn missing_credentials_are_generated_within_911s_rules() {
    let h = Harness::start().await;
    let users = [
        NewProxyUser {
            products: vec![Product::Datacenter],
            ..Default::default()
        },
        NewProxyUser {
            products: vec![Product::Datacenter],
            username: Some("chosen1".into()),
            ..Default::default()
        },
    ];
    let created = h.adapter.create_proxy_users(&users, &ctx()).await.unwrap();
    let name = &created[0].user.username;
    assert_eq!(name.len(), 12);
    assert!(name.as_bytes()[0].is_ascii_lowercase(), "{name}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{name}"
    );
    assert_eq!(created[1].user.username, "chosen1");
    for c in &created {
        let password = c.password.expose_secret();
        assert_eq!(password.len(), 16);
        assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
        let raw = h.raw_accounts_named(&c.user.username).await;
        assert_eq!(raw[0]["password"], password);
        assert_eq!(raw[0]["product_type"], 14);
    }
}

#[tokio::test]
async fn an_existing_username_conflicts_before_any_write() {
    let h = Harness::start().await;
    let err = h
        .adapter
        .create_proxy_users(&[new_user("alpha83", "secret01", Product::Isp)], &ctx())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Conflict { field: Some(f), .. } if f == "username"),
        "{err:?}"
    );
    let batch = [
        new_user("fresh01", "secret01", Product::Residential),
        new_user("bravo68", "secret02", Product::Residential),
    ];
    let err = h
        .adapter
        .create_proxy_users(&batch, &ctx())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Conflict { field: Some(f), .. } if f == "users[1].username"),
        "{err:?}"
    );
    assert_eq!(
        h.call_paths().await,
        [
            s("GET", "whitelist-account/list"),
            s("GET", "whitelist-account/list")
        ]
    );
}

#[tokio::test]
async fn the_app_key_is_in_the_query_and_never_in_a_body() {
    let h = Harness::start().await;
    h.adapter
        .create_proxy_users(
            &[NewProxyUser {
                traffic_limit_bytes: Some(GB),
                ..new_user("keyed1", "secret01", Product::Residential)
            }],
            &ctx(),
        )
        .await
        .unwrap();
    let patch = ProxyUserPatch {
        password: Some(secret("secret02")),
        label: Change::Set("l".into()),
        status: Some(ProxyUserStatus::Disabled),
        ..Default::default()
    };
    h.adapter
        .update_proxy_user("keyed1", &patch, &ctx())
        .await
        .unwrap();
    h.adapter
        .rotate_password("keyed1", None, &ctx())
        .await
        .unwrap();
    h.adapter.delete_proxy_user("keyed1", &ctx()).await.unwrap();
    h.adapter.health().await.unwrap();
    h.adapter.account_info().await.unwrap();

    let calls = h.calls().await;
    let posts = calls.iter().filter(|c| c["method"] == "POST").count();
    assert_eq!(posts, 7, "add, change-limit, 3 patch steps, rotate, delete");
    for call in &calls {
        assert_eq!(call["auth"]["placement"], "query", "{call}");
        assert_eq!(call["auth"]["value"], h.key.as_str(), "{call}");
        assert_eq!(call["query_params"]["app_key"], h.key.as_str(), "{call}");
        assert!(
            !call["body"].as_str().unwrap_or_default().contains(&h.key),
            "{call}"
        );
        if call["method"] == "POST" {
            let body = call["body_json"].as_object().expect("a JSON body");
            assert!(!body.contains_key("app_key"), "{call}");
        }
    }
}

#[tokio::test]
async fn patch_steps_follow_password_label_limit_status() {
    let h = Harness::start().await;
    let patch = ProxyUserPatch {
        status: Some(ProxyUserStatus::Enabled),
        traffic_limit_bytes: Change::Set(3 * GB),
        label: Change::Clear,
        password: Some(secret("NewPass9")),
        ..Default::default()
    };
    let user = h
        .adapter
        .update_proxy_user("maple73", &patch, &ctx())
        .await
        .unwrap();
    assert_eq!(user.status, ProxyUserStatus::Enabled);
    assert_eq!(user.traffic_limit_bytes, Some(3 * GB));
    assert_eq!(user.label, None);
    assert_eq!(user.password.unwrap().expose_secret(), "NewPass9");
    assert_eq!(
        h.call_paths().await,
        [
            s("GET", "whitelist-account/list"),
            s("POST", "whitelist-account/change-password"),
            s("POST", "whitelist-account/change-remark"),
            s("POST", "whitelist-account/change-limit"),
            s("POST", "whitelist-account/enable"),
            s("GET", "whitelist-account/list"),
        ]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/change-password").await,
        [json!({"account": "maple73", "password": "NewPass9"})]
    );
    assert_eq!(
        bodies(&h, "whitelist-account/change-remark").await,
        [json!({"account": "maple73", "remark": ""})]
    );
}

#[tokio::test]
async fn a_failure_on_the_second_patch_step_is_partially_applied_and_not_retried() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/change-remark",
        json!({"kind": "http_error", "status": 500, "times": 1}),
    )
    .await;
    let patch = ProxyUserPatch {
        password: Some(secret("Partial1")),
        label: Change::Set("never".into()),
        status: Some(ProxyUserStatus::Disabled),
        ..Default::default()
    };
    let err = h
        .adapter
        .update_proxy_user("alpha83", &patch, &ctx())
        .await
        .unwrap_err();
    match err {
        ProviderError::PartiallyApplied {
            applied,
            failed,
            created,
            cause,
        } => {
            assert_eq!(applied, vec!["password"]);
            assert_eq!(failed, "label");
            assert!(created.is_empty(), "a patch creates nothing");
            let cause = upstream(*cause);
            assert_eq!(cause.kind, FailureKind::ServerError);
            assert_eq!(cause.status, Some(500));
        }
        other => panic!("expected PartiallyApplied, got {other:?}"),
    }
    assert_eq!(
        h.call_paths().await,
        [
            s("GET", "whitelist-account/list"),
            s("POST", "whitelist-account/change-password"),
            s("POST", "whitelist-account/change-remark"),
        ]
    );
    let raw = h.raw_accounts_named("alpha83").await.remove(0);
    assert_eq!(raw["password"], "Partial1");
    assert_eq!(raw["remark"], "测试账号");
    assert_eq!(raw["status"], 1);
}

#[tokio::test]
async fn a_failing_limit_after_add_is_partially_applied() {
    let h = Harness::start().await;
    h.fault(
        "whitelist-account/change-limit",
        json!({"kind": "provider_error", "code": 400, "times": 1}),
    )
    .await;
    let asked = NewProxyUser {
        traffic_limit_bytes: Some(GB),
        ..new_user("halfway1", "secret01", Product::Residential)
    };
    let err = h
        .adapter
        .create_proxy_users(&[asked], &ctx())
        .await
        .unwrap_err();
    match err {
        ProviderError::PartiallyApplied {
            applied,
            failed,
            created,
            ..
        } => {
            assert_eq!(applied, vec!["users"]);
            assert_eq!(failed, "traffic_limit_bytes");
            assert_eq!(created, vec!["halfway1"], "the user the add made is named");
        }
        other => panic!("expected PartiallyApplied, got {other:?}"),
    }
    assert_eq!(h.raw_accounts_named("halfway1").await.len(), 1);
}

#[tokio::test]
async fn writes_to_an_unknown_user_are_not_found_without_a_write() {
    let h = Harness::start().await;
    let patch = ProxyUserPatch {
        label: Change::Set("x".into()),
        ..Default::default()
    };
    let errors = [
        h.adapter
            .update_proxy_user("nobody1", &patch, &ctx())
            .await
            .unwrap_err(),
        h.adapter
            .rotate_password("nobody1", None, &ctx())
            .await
            .unwrap_err(),
        h.adapter
            .delete_proxy_user("nobody1", &ctx())
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, ProviderError::NotFound(_)), "{err:?}");
    }
    assert!(h.calls().await.iter().all(|c| c["method"] == "GET"));
}

/// The field an `InvalidInput` names.
#[track_caller]
fn invalid_field(err: ProviderError) -> String {
    match err {
        ProviderError::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn validation_failures_make_no_upstream_call() {
    let h = Harness::start().await;
    let base = || new_user("valid01", "secret01", Product::Residential);
    let cases: Vec<(NewProxyUser, &str)> = vec![
        (
            NewProxyUser {
                username: Some("bad_name".into()),
                ..base()
            },
            "username",
        ),
        (
            NewProxyUser {
                username: Some("x".repeat(33)),
                ..base()
            },
            "username",
        ),
        (
            NewProxyUser {
                password: Some(secret("short")),
                ..base()
            },
            "password",
        ),
        (
            NewProxyUser {
                password: Some(secret("has space1")),
                ..base()
            },
            "password",
        ),
        (
            NewProxyUser {
                label: Some("a".repeat(65)),
                ..base()
            },
            "label",
        ),
        (
            NewProxyUser {
                label: Some("测".repeat(33)),
                ..base()
            },
            "label",
        ),
        (
            NewProxyUser {
                products: vec![],
                ..base()
            },
            "products",
        ),
        (
            NewProxyUser {
                products: vec![Product::Mobile],
                ..base()
            },
            "products",
        ),
        (
            NewProxyUser {
                products: vec![Product::Residential, Product::Isp],
                ..base()
            },
            "products",
        ),
        (
            NewProxyUser {
                traffic_limit_bytes: Some(0),
                ..base()
            },
            "traffic_limit_bytes",
        ),
        (
            NewProxyUser {
                traffic_limit_bytes: Some(GB + 1),
                ..base()
            },
            "traffic_limit_bytes",
        ),
        (
            NewProxyUser {
                traffic_limit_bytes: Some(102_401 * GB),
                ..base()
            },
            "traffic_limit_bytes",
        ),
    ];
    for (user, field) in cases {
        let err = h.adapter.create_proxy_users(&[user], &ctx()).await;
        assert_eq!(invalid_field(err.unwrap_err()), field);
    }

    let mut batch = vec![base(), base(), base(), base()];
    for (i, u) in batch.iter_mut().enumerate() {
        u.username = Some(format!("valid0{i}"));
    }
    batch[3].username = Some("not valid".into());
    let err = h.adapter.create_proxy_users(&batch, &ctx()).await;
    assert_eq!(invalid_field(err.unwrap_err()), "users[3].username");

    let zero_limit = h
        .adapter
        .create_proxy_users(
            &[NewProxyUser {
                traffic_limit_bytes: Some(0),
                ..base()
            }],
            &ctx(),
        )
        .await
        .unwrap_err();
    assert!(
        zero_limit.to_string().contains("null for unlimited"),
        "{zero_limit}"
    );

    let capped = NewProxyUser {
        concurrency_max: Some(10),
        ..base()
    };
    let err = h
        .adapter
        .create_proxy_users(&[capped], &ctx())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Unsupported {
                operation: "proxy_users.update.rate_limits",
                ..
            }
        ),
        "{err:?}"
    );

    let patches: Vec<(ProxyUserPatch, &str)> = vec![
        (
            ProxyUserPatch {
                password: Some(secret("bad pass!")),
                ..Default::default()
            },
            "password",
        ),
        (
            ProxyUserPatch {
                label: Change::Set("测".repeat(33)),
                ..Default::default()
            },
            "label",
        ),
        (
            ProxyUserPatch {
                traffic_limit_bytes: Change::Set(0),
                ..Default::default()
            },
            "traffic_limit_bytes",
        ),
        (
            ProxyUserPatch {
                // A valid first field does not get sent when a later one is invalid.
                password: Some(secret("Valid123")),
                traffic_limit_bytes: Change::Set(GB / 2),
                ..Default::default()
            },
            "traffic_limit_bytes",
        ),
    ];
    for (patch, field) in patches {
        let err = h.adapter.update_proxy_user("alpha83", &patch, &ctx()).await;
        assert_eq!(invalid_field(err.unwrap_err()), field);
    }
    let rps = ProxyUserPatch {
        rps_max: Some(5),
        ..Default::default()
    };
    let err = h
        .adapter
        .update_proxy_user("alpha83", &rps, &ctx())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Unsupported { .. }), "{err:?}");
    let err = h
        .adapter
        .rotate_password("alpha83", Some(&secret("12345")), &ctx())
        .await;
    assert_eq!(invalid_field(err.unwrap_err()), "password");

    assert_eq!(h.calls().await, Vec::<Value>::new());
}
