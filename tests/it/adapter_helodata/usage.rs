//! Usage from `GET /{product}/traffic`, checked against the simulator's own rows for the same
//! closed window.

use std::collections::BTreeMap;

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::ProxyUserId;
use proxy_gateway::domain::usage::{UsageGroupBy, UsageQuery, UsageRow};
use proxy_gateway::providers::ProviderAdapter;
use serde_json::Value;
use time::{Date, OffsetDateTime, Time};

use super::support::{ACCOUNT, Env, start};

/// Two whole UTC days ending at yesterday's midnight: closed, so the numbers do not move.
fn window() -> (OffsetDateTime, OffsetDateTime) {
    let today = OffsetDateTime::now_utc().date();
    let to = today
        .previous_day()
        .expect("day")
        .with_time(Time::MIDNIGHT)
        .assume_utc();
    (to - time::Duration::days(2), to)
}

fn query(group_by: Option<UsageGroupBy>) -> UsageQuery {
    let (from, to) = window();
    UsageQuery {
        from,
        to,
        product: None,
        proxy_user: None,
        group_by,
        region: None,
        tag: None,
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// The simulator's rows for one product, fetched directly.
async fn raw_rows(env: &Env, product: &str, extra: &str) -> Vec<Value> {
    let (from, to) = window();
    let path = format!(
        "/{product}/traffic?from={}&to={}{extra}",
        rfc3339(from),
        rfc3339(to)
    );
    env.raw_get(&path).await["rows"]
        .as_array()
        .cloned()
        .expect("rows")
}

fn n(row: &Value, field: &str) -> u64 {
    row[field].as_u64().expect(field)
}

/// The expected row for a set of raw rows.
fn sum(rows: &[&Value]) -> (u64, u64, u64, u64) {
    rows.iter().fold((0, 0, 0, 0), |acc, r| {
        (
            acc.0 + n(r, "bytes_in"),
            acc.1 + n(r, "bytes_out"),
            acc.2 + n(r, "requests"),
            acc.3 + n(r, "errors"),
        )
    })
}

fn counters(row: &UsageRow) -> (u64, u64, u64, u64) {
    assert_eq!(
        row.bytes,
        row.bytes_in.expect("in") + row.bytes_out.expect("out")
    );
    (
        row.bytes_in.expect("in"),
        row.bytes_out.expect("out"),
        row.requests.expect("requests"),
        row.errors.expect("errors"),
    )
}

#[tokio::test]
async fn the_total_sums_every_product_into_one_row() {
    let env = start().await;
    let rows = env.adapter.usage(&query(None)).await.expect("usage");
    let mut raw = Vec::new();
    for product in ["residential", "mobile", "isp"] {
        raw.extend(raw_rows(&env, product, "").await);
    }
    assert_eq!(rows.len(), 1);
    let total = &rows[0];
    assert_eq!(total.account, ACCOUNT);
    assert_eq!(
        (total.day, &total.proxy_user, total.product),
        (None, &None, None)
    );
    assert_eq!(counters(total), sum(&raw.iter().collect::<Vec<_>>()));
    assert!(total.bytes > 0);
    // One call per product, RFC 3339 UTC, to exclusive on both sides.
    let (from, to) = window();
    for product in ["residential", "mobile", "isp"] {
        let calls = env.calls("GET", &format!("/v1/{product}/traffic")).await;
        let adapter_call = &calls[0];
        assert_eq!(adapter_call["query_params"]["from"], rfc3339(from));
        assert_eq!(adapter_call["query_params"]["to"], rfc3339(to));
        assert!(rfc3339(to).ends_with('Z'));
        assert_eq!(adapter_call["query_params"].get("group_by"), None);
    }
}

#[tokio::test]
async fn one_product_is_one_call() {
    let env = start().await;
    let rows = env
        .adapter
        .usage(&UsageQuery {
            product: Some(Product::Mobile),
            ..query(None)
        })
        .await
        .expect("usage");
    let raw = raw_rows(&env, "mobile", "").await;
    assert_eq!(counters(&rows[0]), sum(&raw.iter().collect::<Vec<_>>()));
    assert_eq!(env.calls("GET", "/v1/residential/traffic").await.len(), 0);
    assert_eq!(env.calls("GET", "/v1/isp/traffic").await.len(), 0);
}

#[tokio::test]
async fn grouping_by_day_merges_the_products_per_day() {
    let env = start().await;
    let rows = env
        .adapter
        .usage(&query(Some(UsageGroupBy::Day)))
        .await
        .expect("usage");
    let mut raw = Vec::new();
    for product in ["residential", "mobile", "isp"] {
        raw.extend(raw_rows(&env, product, "&group_by=day").await);
    }
    let (from, _) = window();
    let days: Vec<Option<Date>> = rows.iter().map(|r| r.day).collect();
    assert_eq!(days, [Some(from.date()), from.date().next_day()]);
    for row in &rows {
        let key = row.day.expect("day").to_string();
        let matching: Vec<&Value> = raw.iter().filter(|r| r["day"] == key.as_str()).collect();
        assert_eq!(matching.len(), 3, "{key}");
        assert_eq!(counters(row), sum(&matching), "{key}");
        assert_eq!((&row.proxy_user, row.product), (&None, None));
    }
    assert_eq!(
        env.calls("GET", "/v1/isp/traffic").await[0]["query_params"]["group_by"],
        "day"
    );
}

#[tokio::test]
async fn grouping_by_product_gives_one_row_per_product() {
    let env = start().await;
    let rows = env
        .adapter
        .usage(&query(Some(UsageGroupBy::Product)))
        .await
        .expect("usage");
    let products: Vec<Option<Product>> = rows.iter().map(|r| r.product).collect();
    assert_eq!(
        products,
        [
            Some(Product::Residential),
            Some(Product::Mobile),
            Some(Product::Isp)
        ]
    );
    for (row, name) in rows.iter().zip(["residential", "mobile", "isp"]) {
        let raw = raw_rows(&env, name, "").await;
        assert_eq!(
            counters(row),
            sum(&raw.iter().collect::<Vec<_>>()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn grouping_by_proxy_user_gives_gateway_ids_and_attributes_isp_batches() {
    let env = start().await;
    let rows = env
        .adapter
        .usage(&query(Some(UsageGroupBy::ProxyUser)))
        .await
        .expect("usage");
    // Expected: residential and mobile by sub-user; ISP by batch, each batch to its sub-user.
    let batches = env.raw_get("/isp/batches").await;
    let owner: BTreeMap<String, Option<String>> = batches["data"]
        .as_array()
        .expect("batches")
        .iter()
        .map(|b| {
            (
                b["id"].as_str().expect("id").to_string(),
                b["subuser"].as_str().map(str::to_string),
            )
        })
        .collect();
    let mut expected: BTreeMap<Option<String>, Vec<Value>> = BTreeMap::new();
    for product in ["residential", "mobile"] {
        for r in raw_rows(&env, product, "&group_by=subuser").await {
            let key = r["subuser"].as_str().map(str::to_string);
            expected.entry(key).or_default().push(r);
        }
    }
    for r in raw_rows(&env, "isp", "&group_by=batch").await {
        let key = owner
            .get(r["batch"].as_str().expect("batch"))
            .cloned()
            .flatten();
        expected.entry(key).or_default().push(r);
    }
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        assert_eq!(row.account, ACCOUNT);
        let key = row.proxy_user.as_ref().map(|id| {
            assert_eq!(id.account, ACCOUNT);
            id.upstream.clone()
        });
        let raw = expected.get(&key).expect("an expected row");
        assert_eq!(
            counters(row),
            sum(&raw.iter().collect::<Vec<_>>()),
            "{key:?}"
        );
    }
    // The unbound DE batch's traffic is the one row without a proxy user, last.
    assert_eq!(rows.last().map(|r| r.proxy_user.is_none()), Some(true));
    // price-monitor has residential and ISP traffic, merged into one row.
    let price_monitor = ProxyUserId::new(ACCOUNT, "sub_01JXKTHE40AR6Z4VN4QR2SNQ31");
    assert_eq!(
        rows.iter()
            .filter(|r| r.proxy_user.as_ref() == Some(&price_monitor))
            .count(),
        1
    );
    assert_eq!(
        expected
            .get(&Some("sub_01JXKTHE40AR6Z4VN4QR2SNQ31".to_string()))
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn one_proxy_users_usage_sends_the_subuser_filter() {
    let env = start().await;
    let id = ProxyUserId::new(ACCOUNT, "sub_01JWMKF78094CT0T695R5G6203");
    let rows = env
        .adapter
        .usage(&UsageQuery {
            proxy_user: Some(id.clone()),
            ..query(None)
        })
        .await
        .expect("usage");
    let mut raw = Vec::new();
    for product in ["residential", "mobile", "isp"] {
        raw.extend(raw_rows(&env, product, &format!("&subuser={}", id.upstream)).await);
    }
    assert_eq!(counters(&rows[0]), sum(&raw.iter().collect::<Vec<_>>()));
    assert!(rows[0].bytes > 0);
    let call = &env.calls("GET", "/v1/residential/traffic").await[0];
    assert_eq!(call["query_params"]["subuser"], id.upstream.as_str());
}

#[tokio::test]
async fn a_product_or_account_this_adapter_does_not_serve_has_no_usage_and_no_call() {
    let env = start().await;
    let rows = env
        .adapter
        .usage(&UsageQuery {
            product: Some(Product::Datacenter),
            ..query(None)
        })
        .await
        .expect("usage");
    assert!(rows.is_empty());
    let rows = env
        .adapter
        .usage(&UsageQuery {
            proxy_user: Some(ProxyUserId::new("other-account", "sub_1")),
            ..query(None)
        })
        .await
        .expect("usage");
    assert!(rows.is_empty());
    assert!(env.all_calls().await.is_empty());
}

#[tokio::test]
async fn a_window_without_traffic_totals_zero() {
    let env = start().await;
    let from = time::macros::datetime!(2001-01-01 00:00:00 UTC);
    let rows = env
        .adapter
        .usage(&UsageQuery {
            from,
            to: from + time::Duration::days(1),
            product: None,
            proxy_user: None,
            group_by: None,
            region: None,
            tag: None,
        })
        .await
        .expect("usage");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].bytes, 0);
    assert_eq!(counters(&rows[0]), (0, 0, 0, 0));
}
