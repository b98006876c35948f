//! `/v1/static-ips` and `/v1/ip-batches`: both providers' static IPs normalized and paged,
//! passwords only when asked for and allowed, stock per country, and helodata's renew, refresh
//! and replace keyed once per key (501 on 911Proxy).

use reqwest::Method;
use serde_json::{Value, json};

use super::upstream_get;
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

async fn all_pages(app: &TestApp, token: Option<&str>, path: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit={limit}");
    for _ in 0..200 {
        let response = app
            .client
            .get(app.url(&url))
            .bearer_auth(token.unwrap_or(&app.admin_token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        out.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => url = format!("{path}{sep}limit={limit}&cursor={c}"),
            None => return out,
        }
    }
    panic!("no end");
}

fn upstream_writes(app: &TestApp, account: &str) -> Vec<String> {
    app.sims
        .as_ref()
        .unwrap()
        .calls(account)
        .into_iter()
        .filter(|c| c.method != "GET")
        .map(|c| format!("{} {}", c.method, c.path))
        .collect()
}

#[tokio::test]
async fn static_ips_of_both_providers_are_listed_with_passwords_only_on_request() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let upstream = upstream_get(&app, "911proxy", "/ip/get-static-ip", &[("size", "100")]).await;
    let rows = upstream["data"]["list"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    let listed = all_pages(&app, None, "/v1/static-ips?account=911proxy", 3).await;
    assert_eq!(listed.len(), rows.len());
    for (got, raw) in listed.iter().zip(&rows) {
        assert_eq!(got["id"], format!("911proxy:{}", raw["id"]));
        assert_eq!(got["ip"], raw["ip"]);
        assert_eq!(got["port"], raw["port"]);
        assert_eq!(
            got["product"],
            if raw["product_type"] == 25 {
                "isp"
            } else {
                "datacenter"
            }
        );
        let status = ["", "active", "expired", "expiring", "maintenance"]
            [raw["status"].as_u64().unwrap() as usize];
        assert_eq!(got["status"], status);
        // The order, as /v1/orders/{id} reads it.
        assert_eq!(
            got["order"],
            format!("911proxy:{}", raw["trade_no"].as_str().unwrap())
        );
        assert!(got.get("password").is_none());
        assert!(got["provider_data"].get("password").is_none());
    }
    let (_, secrets) = app.create_key("secrets", &["read", "secrets:read"]).await;
    let with = all_pages(
        &app,
        Some(&secrets),
        "/v1/static-ips?account=911proxy&include=password",
        100,
    )
    .await;
    assert_eq!(with[0]["password"], rows[0]["password"]);
    let (_, reader) = app.create_key("reader", &["read"]).await;
    let refused = app
        .client
        .get(app.url("/v1/static-ips?include=password"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    let (status, body) = problem(refused).await;
    assert_eq!((status, body["field"].as_str()), (403, Some("include")));

    // helodata: every batch's IPs, each naming its batch.
    let batches = upstream_get(&app, "helodata", "/isp/batches", &[("limit", "100")]).await;
    let mut expected = 0;
    for b in batches["data"].as_array().unwrap() {
        let id = b["id"].as_str().unwrap();
        let ips = upstream_get(
            &app,
            "helodata",
            &format!("/isp/batches/{id}/ips"),
            &[("limit", "100")],
        )
        .await;
        expected += ips["data"].as_array().unwrap().len();
    }
    let helodata = all_pages(&app, None, "/v1/static-ips?account=helodata", 4).await;
    assert_eq!(helodata.len(), expected);
    assert!(helodata.iter().all(|ip| {
        ip["product"] == "isp"
            && ip["ip_batch"]
                .as_str()
                .unwrap()
                .starts_with("helodata:bat_")
            && ip["id"].as_str().unwrap().starts_with("helodata:ip_")
    }));
    let batch = helodata[0]["ip_batch"].as_str().unwrap().to_string();
    let one_batch = all_pages(&app, None, &format!("/v1/static-ips?ip_batch={batch}"), 100).await;
    assert!(!one_batch.is_empty() && one_batch.iter().all(|ip| ip["ip_batch"] == batch.as_str()));
}

#[tokio::test]
async fn availability_reads_both_providers_stock() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let body: Value = app
        .admin(
            Method::GET,
            "/v1/static-ips/availability?account=911proxy&product=isp",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let upstream = upstream_get(&app, "911proxy", "/static-ip-region", &[("isp", "1")]).await;
    let want: Vec<(String, u64)> = upstream["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["number"].as_u64().unwrap(),
            )
        })
        .collect();
    let got: Vec<(String, u64)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["country"].as_str().unwrap().to_string(),
                r["available"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let helodata: Value = app
        .admin(
            Method::GET,
            "/v1/static-ips/availability?account=helodata&country=us",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &helodata["data"][0];
    assert_eq!(
        (row["country"].as_str(), row["currency"].as_str()),
        (Some("US"), Some("USD"))
    );
    assert!(
        row["monthly_price"].as_str().is_some() && !row["cities"].as_array().unwrap().is_empty()
    );
}

#[tokio::test]
async fn helodata_batches_renew_refresh_and_replace_once_per_key_and_911_answers_501() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let batches = upstream_get(&app, "helodata", "/isp/batches", &[("limit", "100")]).await;
    let active = batches["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["status"] == "active")
        .expect("an active batch in the seed")
        .clone();
    let bat = active["id"].as_str().unwrap();
    app.sims.as_ref().unwrap().clear_calls();
    let renew = |key: &'static str| {
        app.admin(
            Method::POST,
            &format!("/v1/ip-batches/helodata:{bat}/renew"),
        )
        .header("Idempotency-Key", key)
        .json(&json!({"months": 1}))
        .send()
    };
    let renewed = renew("renew-1").await.unwrap();
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    assert_eq!(renewed["id"], format!("helodata:{bat}"));
    assert_eq!(renewed["kind"], "ip_batch");
    let before = time::OffsetDateTime::parse(
        active["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let after = time::OffsetDateTime::parse(
        renewed["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(after - before, time::Duration::days(30));
    let again = renew("renew-1").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        upstream_writes(&app, "helodata"),
        vec![format!("POST /v1/isp/batches/{bat}/renew")]
    );

    // A whole number written as a float is that number.
    let float_months = app
        .admin(
            Method::POST,
            &format!("/v1/ip-batches/helodata:{bat}/renew"),
        )
        .header("Idempotency-Key", "renew-2")
        .json(&json!({"months": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(float_months.status(), 200);

    // Replace one IP of that batch: a new, provisioning IP of the same batch.
    let ips = upstream_get(
        &app,
        "helodata",
        &format!("/isp/batches/{bat}/ips"),
        &[("limit", "100")],
    )
    .await;
    let old = ips["data"][0]["id"].as_str().unwrap().to_string();
    let replaced = app
        .admin(
            Method::POST,
            &format!("/v1/static-ips/helodata:{old}/replace"),
        )
        .header("Idempotency-Key", "replace-1")
        .json(&json!({"reason": "target-blocked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 201);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["status"], "provisioning");
    assert_eq!(replaced["ip_batch"], format!("helodata:{bat}"));
    assert_ne!(replaced["id"], format!("helodata:{old}"));

    // "At most 64 characters" counts characters: 64 two-byte ones pass the gateway and
    // helodata; 65 are refused by the gateway before any upstream call.
    let second = ips["data"][1]["id"].as_str().unwrap().to_string();
    let replace_second = |key: &'static str, reason: String| {
        app.admin(
            Method::POST,
            &format!("/v1/static-ips/helodata:{second}/replace"),
        )
        .header("Idempotency-Key", key)
        .json(&json!({ "reason": reason }))
        .send()
    };
    app.sims.as_ref().unwrap().clear_calls();
    let (status, body) = problem(replace_second("replace-65", "é".repeat(65)).await.unwrap()).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    assert!(upstream_writes(&app, "helodata").is_empty());
    let wide = replace_second("replace-64", "é".repeat(64)).await.unwrap();
    assert_eq!(wide.status(), 201);

    // Refresh: every IP of the batch.
    let refreshed = app
        .admin(
            Method::POST,
            &format!("/v1/ip-batches/helodata:{bat}/refresh"),
        )
        .header("Idempotency-Key", "refresh-1")
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    assert_eq!(
        refreshed.json::<Value>().await.unwrap()["id"],
        format!("helodata:{bat}")
    );

    // Bad input and unknown ids.
    let (status, body) = problem(
        app.admin(
            Method::POST,
            &format!("/v1/ip-batches/helodata:{bat}/renew"),
        )
        .json(&json!({"months": 13}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("months")));
    let (status, _) = problem(
        app.admin(Method::POST, "/v1/ip-batches/helodata:bat_nope/renew")
            .json(&json!({"months": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    for (path, body) in [
        ("/v1/ip-batches/911proxy:1/renew", json!({"months": 1})),
        ("/v1/ip-batches/911proxy:1/refresh", json!({})),
        ("/v1/static-ips/911proxy:1/replace", json!({"reason": "x"})),
    ] {
        let (status, problem) = problem(
            app.admin(Method::POST, path)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (501, Some("unsupported_by_provider")),
            "{path}"
        );
    }
}
