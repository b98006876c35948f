//! `GET /v1/providers` and the health probe.

use reqwest::Method;
use serde_json::{Value, json};

use super::for_both_providers;
use crate::support::{Db, problem, spawn_app, spawn_app_with, spawn_app_with_sims};

#[tokio::test]
async fn providers_lists_each_account_with_kind_products_and_capabilities() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let body: Value = app
        .admin(Method::GET, "/v1/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["sandbox"], false);
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["911proxy", "helodata"]);
    let nine11 = &body["data"][0];
    assert_eq!(nine11["kind"], "911proxy");
    assert_eq!(
        nine11["products"],
        json!(["residential", "residential_ip", "isp", "datacenter"])
    );
    let helodata = &body["data"][1];
    assert_eq!(
        helodata["products"],
        json!(["residential", "mobile", "isp"])
    );
    for provider in [nine11, helodata] {
        let caps: Vec<&str> = provider["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for needed in [
            "proxy_users.list",
            "proxy_users.get",
            "proxy_users.create",
            "proxy_users.delete",
            "usage.get",
            "account.get",
            "packages.list",
            "whitelist_entries.list",
            "whitelist_entries.create",
            "whitelist_entries.delete",
            "whitelist_entries.quota",
            "proxies.connection",
        ] {
            assert!(
                caps.contains(&needed),
                "{}: {needed} in {caps:?}",
                provider["name"]
            );
        }
        assert_eq!(provider["circuit_breaker"], "closed");
        assert_eq!(provider["sandbox"], false);
    }
    let nine11_caps = nine11["capabilities"].to_string();
    let helodata_caps = helodata["capabilities"].to_string();
    assert!(
        nine11_caps.contains("proxy_users.update.traffic_limit_bytes")
            && !helodata_caps.contains("proxy_users.update.traffic_limit_bytes")
    );
    assert!(
        helodata_caps.contains("proxy_users.update.rate_limits")
            && !nine11_caps.contains("proxy_users.update.rate_limits")
    );
    for nine11_only in [
        "\"proxies.extract\"",
        "\"proxies.connection.password\"",
        "\"whitelist_entries.scope.account\"",
    ] {
        assert!(nine11_caps.contains(nine11_only) && !helodata_caps.contains(nine11_only));
    }
    // Where a whitelist entry may live: 911 per account and product, helodata per proxy
    // user or IP batch (the 400s of the other scopes are tested in whitelist.rs).
    for helodata_only in [
        "\"whitelist_entries.scope.proxy_user\"",
        "\"whitelist_entries.scope.ip_batch\"",
    ] {
        assert!(helodata_caps.contains(helodata_only) && !nine11_caps.contains(helodata_only));
    }
}

#[tokio::test]
async fn sandbox_mode_serves_simulated_accounts_and_says_so() {
    let app = spawn_app_with(Db::Sqlite, &[("PGW_SANDBOX", "true")]).await;
    let body: Value = app
        .admin(Method::GET, "/v1/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["sandbox"], true);
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["sandbox"] == true)
    );
    let users: Value = app
        .admin(Method::GET, "/v1/proxy-users?limit=200")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let accounts: Vec<&str> = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["account"].as_str().unwrap())
        .collect();
    assert!(
        accounts.contains(&"911proxy") && accounts.contains(&"helodata"),
        "{accounts:?}"
    );
}

#[tokio::test]
async fn without_accounts_and_without_sandbox_nothing_is_listed() {
    let app = spawn_app(Db::Sqlite).await;
    let body: Value = app
        .admin(Method::GET, "/v1/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"sandbox": false, "data": []}));
}

async fn health_reports_latency_and_outcome(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_UPSTREAM_MAX_RETRIES", "0")]).await;
    let body: Value = app
        .admin(Method::GET, &format!("/v1/providers/{account}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["account"], account);
    assert_eq!(body["outcome"], "ok");
    assert!(body["latency_ms"].as_f64().unwrap() > 0.0);
    app.sims
        .as_ref()
        .unwrap()
        .fault(account, json!({"kind": "http_error", "status": 500}));
    let response = app
        .admin(Method::GET, &format!("/v1/providers/{account}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "failed");
    assert_eq!(body["error"]["code"], "upstream_error");
    let response = app
        .admin(Method::GET, "/v1/providers/nowhere/health")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 404);
}

for_both_providers!(health_reports_latency_and_outcome);
