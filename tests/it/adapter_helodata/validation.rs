//! Input helodata cannot take is refused before any upstream call, naming the gateway field.

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{Change, NewProxyUser, ProxyUserPatch};
use proxy_gateway::providers::{ProviderAdapter, ProviderError, WriteContext};
use secrecy::SecretString;

use super::support::{new_user, start};

const SEEDED_ID: &str = "sub_01JWMKF78094CT0T695R5G6203";

fn key() -> WriteContext {
    WriteContext::with_write_key("k")
}

fn invalid_field(err: ProviderError) -> String {
    match err {
        ProviderError::InvalidInput { field, .. } => field,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn unsupported(err: ProviderError) -> (&'static str, String) {
    match err {
        ProviderError::Unsupported { operation, detail } => (operation, detail.unwrap_or_default()),
        other => panic!("expected unsupported, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_creates_name_the_field_and_make_no_call() {
    let env = start().await;
    let with = |f: &dyn Fn(&mut NewProxyUser)| {
        let mut u = new_user("valid");
        f(&mut u);
        u
    };
    let cases: Vec<(Vec<NewProxyUser>, &str)> = vec![
        (
            vec![with(&|u| u.username = Some("mine".into()))],
            "username",
        ),
        (
            vec![with(&|u| u.password = Some(SecretString::from("pw123456")))],
            "password",
        ),
        (vec![with(&|u| u.products.clear())], "products"),
        (
            vec![with(&|u| u.products = vec![Product::Datacenter])],
            "products",
        ),
        (vec![with(&|u| u.products.push(Product::Other))], "products"),
        (vec![with(&|u| u.label = None)], "label"),
        (vec![with(&|u| u.label = Some(String::new()))], "label"),
        (vec![with(&|u| u.label = Some("x".repeat(65)))], "label"),
        (vec![with(&|u| u.label = Some("bad/label".into()))], "label"),
        (
            vec![with(&|u| u.concurrency_max = Some(0))],
            "concurrency_max",
        ),
        (vec![with(&|u| u.rps_max = Some(0))], "rps_max"),
        (
            vec![new_user("a"), new_user("b"), with(&|u| u.label = None)],
            "users[2].label",
        ),
        (
            vec![with(&|u| u.username = Some("x".into())), new_user("b")],
            "users[0].username",
        ),
        (vec![], "users"),
    ];
    for (users, field) in cases {
        let err = env
            .adapter
            .create_proxy_users(&users, &key())
            .await
            .expect_err(field);
        assert_eq!(invalid_field(err), field);
    }
    assert!(env.all_calls().await.is_empty());
}

#[tokio::test]
async fn the_messages_say_helodata_issues_usernames_and_passwords() {
    let env = start().await;
    let mut u = new_user("x");
    u.password = Some(SecretString::from("chosen-pw"));
    match env.adapter.create_proxy_users(&[u], &key()).await {
        Err(ProviderError::InvalidInput { message, .. }) => {
            assert!(
                message.contains("helodata issues the password"),
                "{message}"
            );
            assert!(!message.contains("chosen-pw"));
        }
        other => panic!("{other:?}"),
    }
    let mut u = new_user("x");
    u.username = Some("mine".into());
    match env.adapter.create_proxy_users(&[u], &key()).await {
        Err(ProviderError::InvalidInput { message, .. }) => {
            assert!(
                message.contains("helodata issues the username"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_traffic_limit_is_unsupported_on_create_and_patch() {
    let env = start().await;
    let mut u = new_user("capped");
    u.traffic_limit_bytes = Some(1 << 30);
    let (op, detail) = unsupported(
        env.adapter
            .create_proxy_users(&[new_user("ok"), u], &key())
            .await
            .expect_err("unsupported"),
    );
    assert_eq!(op, "proxy_users.update.traffic_limit_bytes");
    assert!(detail.contains("no per-sub-user traffic quota"), "{detail}");
    for change in [Change::Set(1 << 30), Change::Clear] {
        let (op, _) = unsupported(
            env.adapter
                .update_proxy_user(
                    SEEDED_ID,
                    &ProxyUserPatch {
                        traffic_limit_bytes: change,
                        ..ProxyUserPatch::default()
                    },
                    &key(),
                )
                .await
                .expect_err("unsupported"),
        );
        assert_eq!(op, "proxy_users.update.traffic_limit_bytes");
    }
    assert!(env.all_calls().await.is_empty());
}

#[tokio::test]
async fn chosen_passwords_are_unsupported_on_patch_and_rotate() {
    let env = start().await;
    let (op, detail) = unsupported(
        env.adapter
            .update_proxy_user(
                SEEDED_ID,
                &ProxyUserPatch {
                    password: Some(SecretString::from("chosen-pw")),
                    label: Change::Set("x".into()),
                    ..ProxyUserPatch::default()
                },
                &key(),
            )
            .await
            .expect_err("unsupported"),
    );
    assert_eq!(op, "proxy_users.update.password");
    assert_eq!(detail, "helodata issues passwords; use rotate-password");
    let (op, _) = unsupported(
        env.adapter
            .rotate_password(SEEDED_ID, Some(&SecretString::from("chosen-pw")), &key())
            .await
            .expect_err("unsupported"),
    );
    assert_eq!(op, "proxy_users.update.password");
    assert!(env.all_calls().await.is_empty());
}

#[tokio::test]
async fn invalid_patches_name_the_field_and_make_no_call() {
    let env = start().await;
    let cases: Vec<(ProxyUserPatch, &str)> = vec![
        (
            ProxyUserPatch {
                label: Change::Clear,
                ..ProxyUserPatch::default()
            },
            "label",
        ),
        (
            ProxyUserPatch {
                label: Change::Set("no/slashes".into()),
                ..ProxyUserPatch::default()
            },
            "label",
        ),
        (
            ProxyUserPatch {
                concurrency_max: Some(0),
                ..ProxyUserPatch::default()
            },
            "concurrency_max",
        ),
        (
            ProxyUserPatch {
                rps_max: Some(0),
                ..ProxyUserPatch::default()
            },
            "rps_max",
        ),
    ];
    for (patch, field) in cases {
        let err = env
            .adapter
            .update_proxy_user(SEEDED_ID, &patch, &key())
            .await
            .expect_err(field);
        assert_eq!(invalid_field(err), field);
    }
    assert!(env.all_calls().await.is_empty());
}
