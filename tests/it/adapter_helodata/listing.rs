//! Reading sub-users: exact normalized values, paging with helodata's cursor behind the
//! adapter's own, upstream and local filters.

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{ProxyUserFilter, ProxyUserId, ProxyUserStatus};
use proxy_gateway::providers::{ProviderAdapter, ProviderError};
use serde_json::json;
use time::macros::datetime;

use super::support::{ACCOUNT, SEEDED, ids, start, walk};

#[tokio::test]
async fn a_seeded_subuser_maps_to_exact_normalized_values() {
    let env = start().await;
    let user = env
        .adapter
        .get_proxy_user("sub_01JWMKF78094CT0T695R5G6203")
        .await
        .expect("seeded user");
    assert_eq!(
        user.id,
        ProxyUserId::new(ACCOUNT, "sub_01JWMKF78094CT0T695R5G6203")
    );
    assert_eq!(
        user.id.to_string(),
        "helo-main:sub_01JWMKF78094CT0T695R5G6203"
    );
    assert_eq!(
        user.provider,
        proxy_gateway::providers::helodata::registration::KIND
    );
    assert_eq!(user.username, "sjaa6j31ee2");
    assert_eq!(user.label.as_deref(), Some("acme-prod"));
    assert_eq!(user.products, vec![Product::Residential, Product::Mobile]);
    assert_eq!(user.status, ProxyUserStatus::Enabled);
    assert_eq!(user.traffic_limit_bytes, None);
    assert_eq!(user.traffic_used_bytes, None);
    assert_eq!(user.concurrency_max, Some(300));
    assert_eq!(user.rps_max, Some(500));
    assert_eq!(user.created_at, Some(datetime!(2025-06-01 02:00:00 UTC)));
    assert!(user.password.is_none());
    assert_eq!(
        *user.provider_data,
        json!({
            "id": "sub_01JWMKF78094CT0T695R5G6203", "name": "sjaa6j31ee2",
            "label": "acme-prod", "products": ["residential", "mobile"], "status": "active",
            "concurrent_max": 300, "rps_max": 500, "created_at": "2025-06-01T02:00:00Z"
        })
    );
}

#[tokio::test]
async fn a_disabled_seeded_subuser_is_disabled() {
    let env = start().await;
    let user = env
        .adapter
        .get_proxy_user("sub_01JZ2947R0F8X175FGWXSJ0H7P")
        .await
        .expect("seeded user");
    assert_eq!(user.username, "sfjke9iihkn");
    assert_eq!(user.label.as_deref(), Some("research"));
    assert_eq!(user.products, vec![Product::Residential]);
    assert_eq!(user.status, ProxyUserStatus::Disabled);
    assert_eq!(
        (user.concurrency_max, user.rps_max),
        (Some(200), Some(1000))
    );
    assert_eq!(user.created_at, Some(datetime!(2025-07-01 06:00:00 UTC)));
}

#[tokio::test]
async fn the_first_page_lists_users_as_get_returns_them() {
    let env = start().await;
    let page = env
        .adapter
        .list_proxy_users(&ProxyUserFilter::default(), None, 50)
        .await
        .expect("page");
    assert_eq!(page.next_cursor, None);
    let expected: Vec<String> = SEEDED.iter().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(ids(&page.users), expected);
    let names: Vec<&str> = page.users.iter().map(|u| u.username.as_str()).collect();
    let seeded_names: Vec<&str> = SEEDED.iter().map(|(_, name, _)| *name).collect();
    assert_eq!(names, seeded_names);
    let one = env.adapter.get_proxy_user(SEEDED[4].0).await.expect("get");
    let listed = &page.users[4];
    assert_eq!(listed.id, one.id);
    assert_eq!(listed.products, vec![Product::Residential, Product::Isp]);
    assert_eq!(listed.provider_data, one.provider_data);
}

#[tokio::test]
async fn paging_with_a_small_limit_visits_every_subuser_exactly_once() {
    let env = start().await;
    let expected: Vec<String> = SEEDED.iter().map(|(id, _, _)| id.to_string()).collect();
    for limit in [1, 2, 5, 7, 11, 12, 13] {
        let users = walk(&env.adapter, &ProxyUserFilter::default(), limit).await;
        assert_eq!(ids(&users), expected, "limit {limit}");
    }
}

#[tokio::test]
async fn pages_ask_helodata_for_no_more_than_they_need() {
    let env = start().await;
    env.clear_calls().await;
    let page = env
        .adapter
        .list_proxy_users(&ProxyUserFilter::default(), None, 5)
        .await
        .expect("page");
    assert_eq!(page.users.len(), 5);
    let calls = env.calls("GET", "/v1/subusers").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["query_params"]["limit"], "5");
    // A gateway page larger than helodata's maximum is filled from several helodata pages.
    let big = env
        .adapter
        .list_proxy_users(
            &ProxyUserFilter::default(),
            page.next_cursor.as_deref(),
            200,
        )
        .await
        .expect("rest");
    assert_eq!(big.users.len(), 7);
    assert_eq!(big.next_cursor, None);
    // helodata's maximum page is taken to be 100 (§11 does not give it).
    let calls = env.calls("GET", "/v1/subusers").await;
    assert_eq!(calls[1]["query_params"]["limit"], "100");
}

#[tokio::test]
async fn paging_with_a_username_prefix_visits_each_match_exactly_once() {
    let env = start().await;
    let filter = ProxyUserFilter {
        username_prefix: Some("sr".into()),
        ..ProxyUserFilter::default()
    };
    for limit in [1, 2, 3] {
        let users = walk(&env.adapter, &filter, limit).await;
        assert_eq!(
            ids(&users),
            [
                "sub_01JXV404M0AATNSG3TGBSJR2WQ",
                "sub_01JZAVS9R0B15VDTSNF767TQRK"
            ],
            "limit {limit}"
        );
    }
    // Every name starts with "s": the local filter keeps everything, in order.
    let all = ProxyUserFilter {
        username_prefix: Some("s".into()),
        ..ProxyUserFilter::default()
    };
    let expected: Vec<String> = SEEDED.iter().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(ids(&walk(&env.adapter, &all, 5).await), expected);
}

#[tokio::test]
async fn a_page_resumes_after_its_last_user_even_when_earlier_users_were_deleted() {
    let env = start().await;
    // With a local filter the adapter reads full helodata pages and stops in their middle.
    let filter = ProxyUserFilter {
        username_prefix: Some("s".into()),
        ..ProxyUserFilter::default()
    };
    let first = env
        .adapter
        .list_proxy_users(&filter, None, 3)
        .await
        .expect("first");
    assert_eq!(ids(&first.users), [SEEDED[0].0, SEEDED[1].0, SEEDED[2].0]);
    env.raw_delete(&format!("/subusers/{}", SEEDED[0].0)).await;
    let second = env
        .adapter
        .list_proxy_users(&filter, first.next_cursor.as_deref(), 3)
        .await
        .expect("second");
    assert_eq!(ids(&second.users), [SEEDED[3].0, SEEDED[4].0, SEEDED[5].0]);
}

#[tokio::test]
async fn product_status_and_label_filters_go_upstream_and_are_checked_again() {
    let env = start().await;
    env.clear_calls().await;
    let filter = ProxyUserFilter {
        product: Some(Product::Residential),
        status: Some(ProxyUserStatus::Disabled),
        label_contains: Some("BACKUP".into()),
        username_prefix: None,
    };
    let page = env
        .adapter
        .list_proxy_users(&filter, None, 10)
        .await
        .expect("page");
    assert_eq!(ids(&page.users), ["sub_01JZAVS9R0B15VDTSNF767TQRK"]);
    let calls = env.calls("GET", "/v1/subusers").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["query_params"],
        json!({"product": "residential", "status": "disabled", "label_contains": "BACKUP", "limit": "10"})
    );
    let enabled_isp = ProxyUserFilter {
        product: Some(Product::Isp),
        status: Some(ProxyUserStatus::Enabled),
        ..ProxyUserFilter::default()
    };
    let users = walk(&env.adapter, &enabled_isp, 1).await;
    assert_eq!(
        ids(&users),
        [
            "sub_01JXKTHE40AR6Z4VN4QR2SNQ31",
            "sub_01JYJKW6G0DD8KWHPSFBFMR5AW"
        ]
    );
}

#[tokio::test]
async fn a_product_helodata_does_not_sell_lists_nothing_without_a_call() {
    let env = start().await;
    env.clear_calls().await;
    for product in [Product::Datacenter, Product::ResidentialIp] {
        let filter = ProxyUserFilter {
            product: Some(product),
            ..ProxyUserFilter::default()
        };
        let page = env
            .adapter
            .list_proxy_users(&filter, None, 10)
            .await
            .expect("page");
        assert!(page.users.is_empty());
        assert_eq!(page.next_cursor, None);
    }
    assert!(env.all_calls().await.is_empty());
}

#[tokio::test]
async fn a_cursor_the_adapter_did_not_issue_is_invalid_input() {
    let env = start().await;
    let err = env
        .adapter
        .list_proxy_users(&ProxyUserFilter::default(), Some("bm90IG91cnM"), 10)
        .await
        .expect_err("refused");
    match err {
        ProviderError::InvalidInput { field, .. } => assert_eq!(field, "cursor"),
        other => panic!("{other:?}"),
    }
    assert!(env.all_calls().await.is_empty());
}

#[tokio::test]
async fn a_missing_subuser_is_not_found() {
    let env = start().await;
    let err = env
        .adapter
        .get_proxy_user("sub_01JZZZZZZZZZZZZZZZZZZZZZZZ")
        .await
        .expect_err("missing");
    match err {
        ProviderError::NotFound(what) => {
            assert_eq!(what, "helo-main:sub_01JZZZZZZZZZZZZZZZZZZZZZZZ")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.calls("GET", "/v1/subusers/*").await.len(), 1);
}

#[tokio::test]
async fn an_id_that_cannot_be_a_subuser_is_not_found_without_a_call() {
    let env = start().await;
    for id in ["s1a2b3c4d5e", "sub_1/../../users/me", "usr_01HX", "sub_"] {
        let err = env.adapter.get_proxy_user(id).await.expect_err("refused");
        assert!(matches!(err, ProviderError::NotFound(_)), "{id}: {err:?}");
    }
    assert!(env.all_calls().await.is_empty());
}
