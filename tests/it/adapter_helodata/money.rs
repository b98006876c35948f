//! Account, packages and their summary, and the health probe.

use proxy_gateway::domain::account::Money;
use proxy_gateway::domain::money::Decimal;
use proxy_gateway::domain::packages::{PackageKind, PackageStatus};
use proxy_gateway::domain::products::Product;
use proxy_gateway::providers::ProviderAdapter;
use time::OffsetDateTime;
use time::macros::datetime;

use super::support::start;

const GIB: u64 = 1024 * 1024 * 1024;

#[tokio::test]
async fn account_info_maps_users_me() {
    let env = start().await;
    let info = env.adapter.account_info().await.expect("account");
    assert_eq!(
        info.identity_id.as_deref(),
        Some("usr_01JCHD3R0054G2K7ZBW5ZS89Y2")
    );
    assert_eq!(info.email.as_deref(), Some("ops@acme.com"));
    assert_eq!(info.plan.as_deref(), Some("pro"));
    assert_eq!(
        info.balance,
        Some(Money {
            amount: Decimal::parse("5605.79").unwrap(),
            currency: "USD".into()
        })
    );
    assert_eq!(info.verification.as_deref(), Some("approved"));
    assert_eq!(info.created_at, Some(datetime!(2024-11-13 00:00:00 UTC)));
    assert_eq!(info.provider_data, env.raw_get("/users/me").await);
}

#[tokio::test]
async fn health_is_one_cheap_call() {
    let env = start().await;
    env.adapter.health().await.expect("healthy");
    let calls = env.all_calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["method"], "GET");
    assert_eq!(calls[0]["path"], "/v1/users/me");
}

#[tokio::test]
async fn packages_are_subscriptions_then_isp_batches() {
    let env = start().await;
    let now = OffsetDateTime::now_utc();
    let packages = env.adapter.packages().await.expect("packages");
    let ids: Vec<&str> = packages.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "helo-main:sbn_01JY8VEMM0DGA3S0GQ5HBXGJVY",
            "helo-main:sbn_01JZ3810C04DB3XMNCKR4SMX2X",
            "helo-main:sbn_01K6AB6GM01C5VKD5PJ0FRR4BC",
            "helo-main:sbn_01K7XV4WM06PB1CBW22RFPT6HZ",
            "helo-main:bat_01JZ34K4R0ADWQMAF0EKY8RFY8",
            "helo-main:bat_01K1GCGPR09C3ZT1PBSRRDEX3G",
            "helo-main:bat_01K3XME8R072DES393R9M33AK8",
        ]
    );
    assert!(packages.iter().all(|p| p.account == "helo-main"));

    let canceled = &packages[0];
    assert_eq!(canceled.kind, PackageKind::Subscription);
    assert_eq!(canceled.product, Product::Residential);
    assert_eq!(canceled.name.as_deref(), Some("starter"));
    assert_eq!(canceled.status, PackageStatus::Expired);
    assert_eq!(canceled.traffic_included_bytes, Some(50 * GIB));
    assert_eq!(
        canceled.created_at,
        Some(datetime!(2025-06-21 09:00:00 UTC))
    );
    assert_eq!(
        canceled.expires_at,
        Some(datetime!(2025-07-21 09:00:00 UTC))
    );

    let isp_renewal = &packages[1];
    assert_eq!(isp_renewal.kind, PackageKind::Subscription);
    assert_eq!(isp_renewal.product, Product::Isp);
    assert_eq!(isp_renewal.name, None);
    assert_eq!(isp_renewal.status, PackageStatus::Active);
    assert_eq!(isp_renewal.ip_count, Some(10));
    assert_eq!(isp_renewal.traffic_included_bytes, None);
    assert_eq!(isp_renewal.expires_at, packages[4].expires_at);

    let pro = &packages[2];
    assert_eq!(
        (pro.product, pro.name.as_deref()),
        (Product::Residential, Some("pro"))
    );
    assert_eq!(pro.status, PackageStatus::Active);
    assert_eq!(pro.traffic_included_bytes, Some(536_870_912_000));
    assert!(pro.expires_at.is_some_and(|t| t > now));

    let mobile = &packages[3];
    assert_eq!(
        (mobile.product, mobile.name.as_deref()),
        (Product::Mobile, Some("starter"))
    );
    assert_eq!(mobile.traffic_included_bytes, Some(25 * GIB));

    let us = &packages[4];
    assert_eq!(us.kind, PackageKind::IpBatch);
    assert_eq!(us.product, Product::Isp);
    assert_eq!(us.status, PackageStatus::Active);
    assert_eq!(us.ip_count, Some(10));
    assert_eq!(us.created_at, Some(datetime!(2025-07-01 14:00:00 UTC)));
    assert!(us.expires_at.is_some_and(|t| t > now));
    assert_eq!(us.provider_data["country"], "us");

    let grace = &packages[5];
    assert_eq!(grace.status, PackageStatus::Ending);
    assert_eq!(grace.ip_count, Some(5));
    assert!(grace.expires_at.is_some_and(|t| t < now));

    assert_eq!(packages[6].status, PackageStatus::Active);
    assert_eq!(packages[6].ip_count, Some(5));
}

#[tokio::test]
async fn the_summary_is_derived_from_the_packages() {
    let env = start().await;
    let summary = env.adapter.package_summary().await.expect("summary");
    assert_eq!(summary.total_count, Some(7));
    assert_eq!(summary.active_count, Some(5));
    assert_eq!(summary.expired_count, Some(1));
    // Active bandwidth subscriptions: residential pro (500 GB) and mobile starter (25 GB).
    assert_eq!(summary.total_bytes, Some(525 * GIB));
    // The grace-period batch already expired; nothing that will not renew ends within 7 days.
    assert_eq!(summary.expiring_soon_count, Some(0));
    assert_eq!(summary.expiring_soon_bytes, Some(0));
    assert_eq!(summary.used_bytes, None);
    assert_eq!(summary.remaining_bytes, None);
    assert_eq!(summary.expired_bytes, None);
}

#[tokio::test]
async fn a_paused_subscription_ending_this_week_is_expiring_soon() {
    let env = start().await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/subscriptions/sbn_01K6AB6GM01C5VKD5PJ0FRR4BC/pause",
        env.sim.base_url()
    );
    let res = http
        .post(url)
        .bearer_auth(super::support::main_token())
        .send()
        .await
        .expect("pause");
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let packages = env.adapter.packages().await.expect("packages");
    let paused = &packages[2];
    assert_eq!(paused.status, PackageStatus::Ending);
    let summary = env.adapter.package_summary().await.expect("summary");
    let ends_within_week = paused
        .expires_at
        .is_some_and(|t| t <= OffsetDateTime::now_utc() + time::Duration::days(7));
    assert_eq!(summary.active_count, Some(4));
    assert_eq!(summary.total_bytes, Some(25 * GIB));
    assert_eq!(
        summary.expiring_soon_count,
        Some(u64::from(ends_within_week))
    );
}
