//! `GET /v1/payment-methods` and `/v1/promotions` over both providers: 911Proxy's
//! `payment/groups` and `activity/balance-recharge-gift-ratio` normalized to exact decimal
//! money, each read one upstream GET and nothing else; helodata answers 501 without a call.

use reqwest::Method;
use serde_json::Value;

use super::{decimal_text, for_both_providers, upstream_get};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

/// Reads `path` through the gateway and returns the upstream calls it made (method, path and
/// the query without the credential).
async fn read_with_calls(app: &TestApp, account: &str, path: &str) -> (u16, Value, Vec<String>) {
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let response = app.admin(Method::GET, path).send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let calls = sims
        .calls(account)
        .into_iter()
        .map(|c| {
            let mut query: Vec<String> = c
                .query_params
                .iter()
                .filter(|(k, _)| k.as_str() != "app_key")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            query.sort();
            format!("{} {} {}", c.method, c.path, query.join("&"))
        })
        .collect();
    (status, body, calls)
}

fn assert_unsupported(status: u16, body: &Value, calls: &[String], operation: &str) {
    assert_eq!(
        (status, body["code"].as_str()),
        (501, Some("unsupported_by_provider")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().unwrap().contains(operation),
        "{body}"
    );
    assert!(calls.is_empty(), "a 501 calls nothing upstream: {calls:?}");
}

async fn payment_methods_are_the_providers_with_exact_amounts(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let path = format!("/v1/payment-methods?account={account}");
    let (status, body, calls) = read_with_calls(&app, account, &path).await;
    if account == "helodata" {
        return assert_unsupported(status, &body, &calls, "payment_methods.list");
    }
    assert_eq!(status, 200, "{body}");
    assert_eq!(calls, ["GET /api-gate-way/payment/groups "]);
    let raw = upstream_get(&app, account, "/payment/groups", &[]).await;
    let mut want = Vec::new();
    for group in raw["data"]["list"].as_array().unwrap() {
        for item in group["items"].as_array().unwrap() {
            want.push((group["name"].clone(), item.clone()));
        }
    }
    let got = body["data"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    assert!(
        want.iter().any(|(_, i)| i["disabled"] == true),
        "the seed has a disabled method"
    );
    for (view, (group_name, item)) in got.iter().zip(&want) {
        assert_eq!(view["id"], format!("911proxy:{}", item["id"]));
        assert_eq!(view["account"], "911proxy");
        assert_eq!(view["provider"], "911proxy");
        assert_eq!(view["name"], item["title"]);
        assert_eq!(view["group"], item["group"]);
        assert_eq!(view["group_name"], *group_name);
        assert_eq!(view["available"], item["disabled"] != true);
        assert_eq!(view["logo_url"], item["logo"]);
        for (field, key) in [("min_amount", "min"), ("max_amount", "max")] {
            assert_eq!(view[field]["amount"], decimal_text(&item[key]), "{field}");
            assert_eq!(view[field]["currency"], "USD");
        }
        assert_eq!(view["provider_data"], *item);
    }
}

async fn promotions_are_the_top_up_tiers_smallest_first(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let path = format!("/v1/promotions?account={account}");
    let (status, body, calls) = read_with_calls(&app, account, &path).await;
    if account == "helodata" {
        return assert_unsupported(status, &body, &calls, "promotions.list");
    }
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        calls,
        ["GET /api-gate-way/activity/balance-recharge-gift-ratio "]
    );
    let raw = upstream_get(&app, account, "/activity/balance-recharge-gift-ratio", &[]).await;
    let mut tiers: Vec<Value> = raw["data"]["list"].as_array().unwrap().clone();
    tiers.sort_by_key(|t| t["amount"].as_i64().unwrap());
    let got = body["data"].as_array().unwrap();
    assert_eq!(got.len(), tiers.len());
    assert!(!got.is_empty());
    for (view, tier) in got.iter().zip(&tiers) {
        assert_eq!(
            view["id"],
            format!("911proxy:top_up_bonus_{}", tier["amount"])
        );
        assert_eq!(view["kind"], "top_up_bonus");
        assert_eq!(view["min_amount"]["amount"], decimal_text(&tier["amount"]));
        assert_eq!(view["min_amount"]["currency"], "USD");
        assert_eq!(view["ratio"], decimal_text(&tier["ratio"]));
        assert_eq!(view["provider_data"], *tier);
    }
}

for_both_providers!(
    payment_methods_are_the_providers_with_exact_amounts,
    promotions_are_the_top_up_tiers_smallest_first,
);

/// Without an account named, a list covers the accounts that have one (helodata is left out,
/// not a 501); an account that does not exist is bad input.
#[tokio::test]
async fn lists_over_every_account_leave_out_the_ones_without_them() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    for path in ["/v1/payment-methods", "/v1/promotions"] {
        let body: Value = app
            .admin(Method::GET, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = body["data"].as_array().unwrap();
        assert!(!data.is_empty(), "{path}");
        assert!(data.iter().all(|v| v["account"] == "911proxy"), "{path}");
    }
    let (status, problem) = problem(
        app.admin(Method::GET, "/v1/promotions?account=nope")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_argument"))
    );
}
