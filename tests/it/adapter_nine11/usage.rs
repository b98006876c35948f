//! Usage: the window sent in the account's zone with an inclusive end, KB to bytes, and each
//! grouping's upstream calls.

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::ProxyUserId;
use proxy_gateway::domain::usage::{UsageGroupBy, UsageQuery, UsageRow};
use proxy_gateway::providers::ProviderAdapter;
use time::macros::{date, datetime};

use super::*;

const START_LOCAL: &str = "2024-06-01 08:00:00";
const END_LOCAL: &str = "2024-06-08 07:59:59";

/// `[2024-06-01T00:00Z, 2024-06-08T00:00Z)`.
fn week(group_by: Option<UsageGroupBy>) -> UsageQuery {
    UsageQuery {
        from: datetime!(2024-06-01 00:00:00 UTC),
        to: datetime!(2024-06-08 00:00:00 UTC),
        product: None,
        proxy_user: None,
        group_by,
        region: None,
        tag: None,
    }
}

fn row(bytes: u64) -> UsageRow {
    UsageRow::bytes_only(ACCOUNT, bytes)
}

impl Harness {
    /// 911's own daily list for the week, with extra filters: `(day, KB)`.
    async fn raw_days(&self, extra: &[(&str, &str)]) -> Vec<(String, u64)> {
        let mut query = vec![("start_time", START_LOCAL), ("end_time", END_LOCAL)];
        query.extend_from_slice(extra);
        self.raw_get("user-usage-flow/total", &query).await["list"]
            .as_array()
            .expect("list")
            .iter()
            .map(|d| {
                (
                    d["day"].as_str().unwrap().to_string(),
                    d["flow"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    async fn raw_total_bytes(&self, extra: &[(&str, &str)]) -> u64 {
        self.raw_days(extra)
            .await
            .iter()
            .map(|(_, kb)| kb * 1024)
            .sum()
    }
}

#[tokio::test]
async fn a_total_sends_the_window_in_local_time_with_an_inclusive_end() {
    let h = Harness::start().await;
    let rows = h.adapter.usage(&week(None)).await.unwrap();
    let calls = h.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["path"], "/api-gate-way/user-usage-flow/total");
    assert_eq!(calls[0]["query_params"]["start_time"], START_LOCAL);
    assert_eq!(calls[0]["query_params"]["end_time"], END_LOCAL);
    assert!(calls[0]["query_params"].get("username").is_none());
    let bytes = h.raw_total_bytes(&[]).await;
    assert!(bytes > 0);
    assert_eq!(rows, vec![row(bytes)]);
}

#[tokio::test]
async fn by_day_is_one_row_per_911_day_in_bytes() {
    let h = Harness::start().await;
    let rows = h
        .adapter
        .usage(&week(Some(UsageGroupBy::Day)))
        .await
        .unwrap();
    let raw = h.raw_days(&[]).await;
    assert!(!raw.is_empty());
    assert_eq!(rows.len(), raw.len());
    // The window touches the local days 06-01 to 06-08 (days without traffic are left out).
    assert!(
        rows.iter()
            .all(|r| (date!(2024 - 06 - 01)..=date!(2024 - 06 - 08)).contains(&r.day.unwrap()))
    );
    for (row, (day, kb)) in rows.iter().zip(&raw) {
        assert_eq!(row.day.unwrap().to_string(), *day);
        assert_eq!(row.bytes, kb * 1024);
        assert_eq!(row.account, ACCOUNT);
        assert_eq!(
            (row.bytes_in, row.bytes_out, row.requests, row.errors),
            (None, None, None, None)
        );
        assert_eq!((row.product, row.proxy_user.clone()), (None, None));
    }
}

#[tokio::test]
async fn by_product_is_one_call_per_product_type() {
    let h = Harness::start().await;
    let rows = h
        .adapter
        .usage(&week(Some(UsageGroupBy::Product)))
        .await
        .unwrap();
    let types: Vec<String> = h
        .calls()
        .await
        .iter()
        .map(|c| {
            c["query_params"]["product_type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, ["9", "11", "25", "14"]);
    let mut expected = Vec::new();
    for (t, product) in [
        ("9", Product::Residential),
        ("11", Product::ResidentialIp),
        ("25", Product::Isp),
        ("14", Product::Datacenter),
    ] {
        expected.push(UsageRow {
            product: Some(product),
            ..row(h.raw_total_bytes(&[("product_type", t)]).await)
        });
    }
    assert_eq!(rows, expected);
}

#[tokio::test]
async fn by_proxy_user_is_one_call_per_username_in_username_order() {
    let h = Harness::start().await;
    let rows = h
        .adapter
        .usage(&week(Some(UsageGroupBy::ProxyUser)))
        .await
        .unwrap();
    let calls = h.call_paths().await;
    assert_eq!(calls[0], ("GET".into(), "whitelist-account/list".into()));
    assert_eq!(calls.len(), 13, "{calls:?}");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r.proxy_user.as_ref().unwrap().upstream.as_str())
        .collect();
    assert_eq!(names.len(), 12);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    for r in &rows {
        let name = r.proxy_user.as_ref().unwrap().upstream.as_str();
        assert_eq!(r.proxy_user.as_ref().unwrap().account, ACCOUNT);
        assert_eq!(
            r.bytes,
            h.raw_total_bytes(&[("username", name)]).await,
            "{name}"
        );
    }
}

#[tokio::test]
async fn filters_send_username_and_product_type() {
    let h = Harness::start().await;
    let query = UsageQuery {
        product: Some(Product::Residential),
        proxy_user: Some(ProxyUserId::new(ACCOUNT, "alpha83")),
        ..week(None)
    };
    let rows = h.adapter.usage(&query).await.unwrap();
    let calls = h.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["query_params"]["username"], "alpha83");
    assert_eq!(calls[0]["query_params"]["product_type"], "9");
    let bytes = h
        .raw_total_bytes(&[("username", "alpha83"), ("product_type", "9")])
        .await;
    assert!(bytes > 0);
    assert_eq!(rows, vec![row(bytes)]);
}

#[tokio::test]
async fn a_product_911_does_not_sell_or_another_accounts_user_has_no_usage_and_no_call() {
    let h = Harness::start().await;
    let mobile = UsageQuery {
        product: Some(Product::Mobile),
        ..week(None)
    };
    assert_eq!(h.adapter.usage(&mobile).await.unwrap(), vec![row(0)]);
    let elsewhere = UsageQuery {
        proxy_user: Some(ProxyUserId::new("other", "alpha83")),
        ..week(Some(UsageGroupBy::Day))
    };
    assert_eq!(h.adapter.usage(&elsewhere).await.unwrap(), vec![]);
    assert!(h.calls().await.is_empty());
}

#[tokio::test]
async fn an_empty_window_is_invalid_input_without_a_call() {
    let h = Harness::start().await;
    let backwards = UsageQuery {
        to: datetime!(2024-06-01 00:00:00 UTC),
        ..week(None)
    };
    let err = h.adapter.usage(&backwards).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidInput { field, .. } if field == "to"),
        "{err:?}"
    );
    assert!(h.calls().await.is_empty());
}
