//! Reads: proxy users (exact normalized values of seeded users, paging, filters, same-name
//! rows), the account, packages, the summary and health.

use proxy_gateway::domain::packages::{PackageKind, PackageStatus};
use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{ProxyUserFilter, ProxyUserStatus};
use proxy_gateway::providers::{Capability, ProviderAdapter};
use secrecy::ExposeSecret;
use time::macros::datetime;

use super::*;

const GB: u64 = 1024 * 1024 * 1024;

/// The seeded usernames (seed 1) in username order.
const SEEDED: [&str; 12] = [
    "alpha83",
    "bravo68",
    "cedar12",
    "garnet92",
    "indigo03",
    "juniper77",
    "maple73",
    "nova07",
    "onyx52",
    "pine89",
    "quartz95",
    "raven72",
];

#[tokio::test]
async fn capabilities_and_products_are_what_911_supports() {
    let h = Harness::start().await;
    assert_eq!(
        h.adapter.kind(),
        proxy_gateway::providers::nine11::registration::KIND
    );
    assert_eq!(h.adapter.account(), ACCOUNT);
    assert!(
        !h.adapter
            .capabilities()
            .contains(&Capability::UpdateRateLimits)
    );
    for c in [
        Capability::ListProxyUsers,
        Capability::CreateProxyUsersBatch,
        Capability::SetPassword,
        Capability::RotatePassword,
        Capability::Usage,
        Capability::Packages,
        Capability::PackageSummary,
        Capability::Account,
    ] {
        assert!(h.adapter.capabilities().contains(&c), "{c:?}");
    }
    assert_eq!(
        h.adapter.products(),
        [
            Product::Residential,
            Product::ResidentialIp,
            Product::Isp,
            Product::Datacenter
        ]
    );
}

#[tokio::test]
async fn a_seeded_user_is_normalized_with_exact_values() {
    let h = Harness::start().await;
    let user = h.adapter.get_proxy_user("alpha83").await.unwrap();
    assert_eq!(user.id.to_string(), "nine:alpha83");
    assert_eq!(
        user.provider,
        proxy_gateway::providers::nine11::registration::KIND
    );
    assert_eq!(user.username, "alpha83");
    assert_eq!(user.label.as_deref(), Some("测试账号"));
    assert_eq!(user.products, vec![Product::Residential]);
    assert_eq!(user.status, ProxyUserStatus::Enabled);
    assert_eq!(user.traffic_limit_bytes, Some(536_870_912_000));
    assert_eq!(user.traffic_used_bytes, Some(307_513_079_808));
    assert_eq!(user.concurrency_max, None);
    assert_eq!(user.rps_max, None);
    assert_eq!(user.created_at, Some(datetime!(2023-12-26 15:06:08 UTC)));
    assert_eq!(user.password.unwrap().expose_secret(), "2RGGsuCu2e");
    assert_eq!(
        *user.provider_data,
        json!({"id": 4424, "username": "alpha83", "created_at": "2023-12-26 23:06:08",
            "remark": "测试账号", "product_type": 9, "usage_flow": 300_305_742,
            "limit_flow": 500, "status": 1})
    );

    let isp = h.adapter.get_proxy_user("maple73").await.unwrap();
    assert_eq!(isp.products, vec![Product::Isp]);
    assert_eq!(isp.status, ProxyUserStatus::Disabled);
    assert_eq!(isp.traffic_limit_bytes, None, "limit_flow 0 is unlimited");
    assert_eq!(isp.traffic_used_bytes, Some(78_353_567_744));
    assert_eq!(isp.created_at, Some(datetime!(2023-06-15 03:12:41 UTC)));
    assert_eq!(isp.label.as_deref(), Some("scraper fleet"));
    let empty_remark = h.adapter.get_proxy_user("indigo03").await.unwrap();
    assert_eq!(empty_remark.label, None);
    assert_eq!(empty_remark.products, vec![Product::Datacenter]);
    assert_eq!(
        h.adapter.get_proxy_user("raven72").await.unwrap().products,
        vec![Product::ResidentialIp]
    );
}

#[tokio::test]
async fn every_seeded_user_matches_its_raw_row() {
    let h = Harness::start().await;
    let page = h
        .adapter
        .list_proxy_users(&ProxyUserFilter::default(), None, 200)
        .await
        .unwrap();
    let names: Vec<&str> = page.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, SEEDED);
    assert_eq!(page.next_cursor, None);
    for user in &page.users {
        let raw = h.raw_accounts_named(&user.username).await.remove(0);
        assert_eq!(
            user.traffic_used_bytes,
            Some(raw["usage_flow"].as_u64().unwrap() * 1024)
        );
        let limit = raw["limit_flow"].as_u64().unwrap();
        assert_eq!(user.traffic_limit_bytes, (limit > 0).then_some(limit * GB));
        assert_eq!(
            user.password.as_ref().unwrap().expose_secret(),
            raw["password"].as_str().unwrap()
        );
        let mut without = raw.clone();
        without.as_object_mut().unwrap().remove("password");
        assert_eq!(*user.provider_data, without);
    }
}

#[tokio::test]
async fn pages_are_in_username_order_and_the_cursor_survives_inserts_and_deletes() {
    let h = Harness::start().await;
    let all = ProxyUserFilter::default();
    let first = h.adapter.list_proxy_users(&all, None, 5).await.unwrap();
    let names: Vec<&str> = first.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, SEEDED[..5]);
    let cursor = first.next_cursor.expect("more pages");

    // Between pages: a user that sorts before the cursor appears, one on the first page and
    // one on the next page go away.
    let added = h
        .raw_post(
            "whitelist-account/add",
            json!({"accounts": "aaa1:secret1", "product_type": 9}),
        )
        .await;
    assert_eq!(added["code"], 200, "{added}");
    for gone in ["bravo68", "juniper77"] {
        let deleted = h
            .raw_post("whitelist-account/delete", json!({"accounts": gone}))
            .await;
        assert_eq!(deleted["code"], 200, "{deleted}");
    }

    let second = h
        .adapter
        .list_proxy_users(&all, Some(&cursor), 5)
        .await
        .unwrap();
    let names: Vec<&str> = second.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["maple73", "nova07", "onyx52", "pine89", "quartz95"]);
    let third = h
        .adapter
        .list_proxy_users(&all, second.next_cursor.as_deref(), 5)
        .await
        .unwrap();
    let names: Vec<&str> = third.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["raven72"]);
    assert_eq!(third.next_cursor, None);
}

#[tokio::test]
async fn a_cursor_not_made_by_the_adapter_is_invalid_input() {
    let h = Harness::start().await;
    let err = h
        .adapter
        .list_proxy_users(&ProxyUserFilter::default(), Some("!!not a cursor"), 5)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidInput { field, .. } if field == "cursor"),
        "{err:?}"
    );
    assert!(h.calls().await.is_empty());
}

#[tokio::test]
async fn filters_apply_before_paging() {
    let h = Harness::start().await;
    let residential_enabled = ProxyUserFilter {
        product: Some(Product::Residential),
        status: Some(ProxyUserStatus::Enabled),
        ..Default::default()
    };
    let page = h
        .adapter
        .list_proxy_users(&residential_enabled, None, 3)
        .await
        .unwrap();
    let names: Vec<&str> = page.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["alpha83", "bravo68", "cedar12"]);
    let rest = h
        .adapter
        .list_proxy_users(&residential_enabled, page.next_cursor.as_deref(), 50)
        .await
        .unwrap();
    let names: Vec<&str> = rest.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(
        names,
        ["garnet92", "nova07", "onyx52", "pine89", "quartz95"]
    );

    let labelled = ProxyUserFilter {
        label_contains: Some("SCRAPER".into()),
        ..Default::default()
    };
    let page = h
        .adapter
        .list_proxy_users(&labelled, None, 50)
        .await
        .unwrap();
    let names: Vec<&str> = page.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["maple73", "nova07", "pine89", "quartz95"]);
}

#[tokio::test]
async fn an_unknown_user_is_not_found() {
    let h = Harness::start().await;
    let err = h.adapter.get_proxy_user("nobody1").await.unwrap_err();
    assert!(matches!(err, ProviderError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn one_username_under_two_product_types_is_one_user_keeping_every_row() {
    let h = Harness::start().await;
    let added = h
        .raw_post(
            "whitelist-account/add",
            json!({"accounts": "alpha83:other123", "product_type": 25, "remark": "isp twin"}),
        )
        .await;
    assert_eq!(added["code"], 200, "{added}");
    let user = h.adapter.get_proxy_user("alpha83").await.unwrap();
    assert_eq!(user.products, vec![Product::Residential, Product::Isp]);
    // The oldest row (the seeded one) speaks for the user.
    assert_eq!(user.label.as_deref(), Some("测试账号"));
    assert_eq!(user.password.unwrap().expose_secret(), "2RGGsuCu2e");
    assert_eq!(user.traffic_used_bytes, Some(307_513_079_808));
    let rows = user
        .provider_data
        .as_array()
        .expect("one object per 911 row");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["product_type"], 9);
    assert_eq!(rows[1]["product_type"], 25);
    assert_eq!(rows[1]["remark"], "isp twin");
    assert!(rows.iter().all(|r| r.get("password").is_none()));
    let all = h
        .adapter
        .list_proxy_users(&ProxyUserFilter::default(), None, 200)
        .await
        .unwrap();
    assert_eq!(all.users.len(), 12, "still one user per username");
}

#[tokio::test]
async fn account_info_reads_user_info() {
    let h = Harness::start().await;
    let info = h.adapter.account_info().await.unwrap();
    assert_eq!(info.identity_id.as_deref(), Some("763617"));
    assert_eq!(info.email.as_deref(), Some("sim763617@example.com"));
    let balance = info.balance.unwrap();
    assert_eq!(
        (balance.amount.as_str(), balance.currency.as_str()),
        ("1829.7", "USD")
    );
    assert_eq!(info.verification.as_deref(), Some("real_name_verified"));
    assert_eq!(info.created_at, Some(datetime!(2023-01-31 21:39:20 UTC)));
    assert_eq!(info.provider_data["is_real_name"], true);
    assert_eq!(h.call_paths().await, [("GET".into(), "user/info".into())]);
}

#[tokio::test]
async fn an_unverified_account_says_so() {
    let h = Harness::build(
        |o| o.nine11.not_real_name_verified = true,
        fast_policy(),
        None,
    )
    .await;
    let info = h.adapter.account_info().await.unwrap();
    assert_eq!(info.verification.as_deref(), Some("real_name_unverified"));
}

#[tokio::test]
async fn packages_walk_every_page_and_expire_by_their_end() {
    // The simulator's clock follows the system here, so "expired" means the same to both.
    let mut h = Harness::build(|o| o.nine11.now = None, fast_policy(), None).await;
    h.adapter = h.adapter.with_package_page_size(4);
    let packages = h.adapter.packages().await.unwrap();
    let ids: Vec<&str> = packages.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "nine:890", "nine:889", "nine:884", "nine:877", "nine:874", "nine:866", "nine:858",
            "nine:856", "nine:854"
        ]
    );
    let calls = h.calls().await;
    let pages: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| {
            (
                c["query_params"]["page"].as_str().unwrap(),
                c["query_params"]["size"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(pages, [("1", "4"), ("2", "4"), ("3", "4")]);

    let expired: Vec<&str> = packages
        .iter()
        .filter(|p| p.status == PackageStatus::Expired)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(expired, ["nine:866", "nine:856", "nine:854"]);
    assert!(
        packages
            .iter()
            .filter(|p| p.status != PackageStatus::Expired)
            .all(|p| p.status == PackageStatus::Active)
    );
    let first = &packages[0];
    assert_eq!(first.kind, PackageKind::Package);
    assert_eq!(first.account, ACCOUNT);
    assert_eq!(first.product, Product::Residential);
    assert_eq!(first.name.as_deref(), Some("专业级"));
    let raw_created = first.provider_data["created_at"].as_str().unwrap();
    let local = time::PrimitiveDateTime::parse(
        raw_created,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    )
    .unwrap();
    assert_eq!(
        first.created_at,
        Some(
            local
                .assume_offset(time::macros::offset!(+8))
                .to_offset(time::UtcOffset::UTC)
        )
    );
    assert_eq!(
        packages.iter().map(|p| p.product).collect::<Vec<_>>(),
        [
            Product::Residential,
            Product::Isp,
            Product::ResidentialIp,
            Product::Residential,
            Product::Datacenter,
            Product::Isp,
            Product::Residential,
            Product::Residential,
            Product::Residential
        ]
    );
}

#[tokio::test]
async fn the_package_summary_is_in_bytes_and_covers_every_type() {
    let h = Harness::start().await;
    let s = h.adapter.package_summary().await.unwrap();
    // Traffic figures: user-product/summary of types 9 and 12 (none of type 12 here).
    assert_eq!(s.total_bytes, Some(1_389_363_200 * 1024));
    assert_eq!(s.remaining_bytes, Some(404_750_336 * 1024));
    assert_eq!(s.used_bytes, Some(970_247_372 * 1024));
    assert_eq!(s.expiring_soon_bytes, Some(304_087_040 * 1024));
    assert_eq!(s.expired_bytes, Some(14_365_492 * 1024));
    assert_eq!(s.provider_data["summaries"]["9"]["total"], 1_389_363_200u64);
    // Counts: the summary's five traffic packages, plus the IP packages it does not summarise.
    let packages = h.adapter.packages().await.unwrap();
    let others: Vec<_> = packages
        .iter()
        .filter(|p| !matches!(p.provider_data["product_type"].as_i64(), Some(9 | 12)))
        .collect();
    assert_eq!(others.len(), 4);
    let active = others
        .iter()
        .filter(|p| matches!(p.status, PackageStatus::Active | PackageStatus::Ending))
        .count() as u64;
    let expired = others
        .iter()
        .filter(|p| p.status == PackageStatus::Expired)
        .count() as u64;
    assert_eq!(s.total_count, Some(5 + 4));
    assert_eq!(s.active_count, Some(3 + active));
    assert_eq!(s.expired_count, Some(2 + expired));
    assert_eq!(s.provider_data["counted_from_the_package_list"], 4);
    let summary_types: Vec<String> = h
        .calls()
        .await
        .iter()
        .filter(|c| {
            c["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/user-product/summary"))
        })
        .map(|c| {
            c["query_params"]["product_type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = summary_types.clone();
    sorted.sort();
    assert_eq!(sorted, ["12", "9"]);
}

#[tokio::test]
async fn health_is_one_cheap_call() {
    let h = Harness::start().await;
    h.adapter.health().await.unwrap();
    let calls = h.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["path"], "/api-gate-way/user-product/list");
    assert_eq!(calls[0]["query_params"]["page"], "1");
    assert_eq!(calls[0]["query_params"]["size"], "1");
}
