//! `POST /v1/proxies/extract`: 911Proxy `ip/v3` in JSON and text, keyed and audited, the
//! whitelist rule said before the call, every limit naming its field; 501 on helodata.

use reqwest::Method;
use serde_json::{Value, json};

use super::upstream_get;
use crate::support::{Db, TestApp, http_client, problem, spawn_app_with_sims};

fn extract_calls(app: &TestApp) -> Vec<proxy_gateway::sim::control::calls::CallRecord> {
    app.sims
        .as_ref()
        .unwrap()
        .calls("911proxy")
        .into_iter()
        .filter(|c| c.path == "/api-gate-way/ip/v3")
        .collect()
}

async fn post(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.admin(Method::POST, "/v1/proxies/extract")
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn extraction_on_911_answers_endpoints_once_per_key_in_json_and_text() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    app.sims.as_ref().unwrap().clear_calls();
    let body = json!({"account": "911proxy", "product": "residential", "country": "us",
                      "count": 5, "session_minutes": 10});
    let first = post(&app, "ex-1", &body).await;
    assert_eq!(first.status(), 200);
    let got: Value = first.json().await.unwrap();
    assert_eq!(got["account"], "911proxy");
    assert_eq!(got["provider"], "911proxy");
    assert_eq!(
        got["warnings"],
        json!([]),
        "the seed whitelists a residential source IP"
    );
    let proxies = got["proxies"].as_array().unwrap();
    assert_eq!(proxies.len(), 5);
    for p in proxies {
        assert!(
            p["host"].as_str().unwrap().len() > 3 && p["port"].as_u64().unwrap() > 0,
            "{p}"
        );
    }
    let calls = extract_calls(&app);
    assert_eq!(calls.len(), 1);
    let q = &calls[0].query_params;
    assert_eq!(
        (
            q["num"].as_str(),
            q["cc"].as_str(),
            q["life"].as_str(),
            q["format"].as_str()
        ),
        (Some("5"), Some("US"), Some("10"), Some("json"))
    );
    assert_eq!(q["app_key"], proxy_gateway::sim::DEFAULT_NINE11_APP_KEY);
    // The same key answers the same endpoints without a second extraction.
    let again = post(&app, "ex-1", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), got);
    assert_eq!(extract_calls(&app).len(), 1);

    let text = post(
        &app,
        "ex-2",
        &json!({"account": "911proxy", "product": "residential",
                                          "count": 3, "format": "text"}),
    )
    .await;
    assert_eq!(text.status(), 200);
    assert!(
        text.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let lines: Vec<String> = text
        .text()
        .await
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| {
        l.rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    }));
    let calls = extract_calls(&app);
    assert_eq!(calls[1].query_params["format"], "text");
}

#[tokio::test]
async fn extraction_warns_without_a_whitelist_for_the_product_and_refuses_without_any() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    // The seed whitelists residential (9) sources only: residential_ip works but is warned.
    let got: Value = post(
        &app,
        "ex-w",
        &json!({"account": "911proxy", "product": "residential_ip", "count": 1}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(got["proxies"].as_array().unwrap().len(), 1);
    let warning = got["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("no whitelisted source IP for residential_ip"),
        "{warning}"
    );
    // With no dynamic whitelist at all 911 refuses: the gateway says so and does not call.
    let listed = upstream_get(&app, "911proxy", "/proxy-ip/list", &[("product_type", "9")]).await;
    let ips: Vec<&str> = listed["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ip"].as_str().unwrap())
        .collect();
    let base = app
        .sims
        .as_ref()
        .unwrap()
        .for_account("911proxy")
        .base_url();
    let deleted: Value = http_client()
        .post(format!("{base}/api-gate-way/proxy-ip/delete"))
        .query(&[("app_key", proxy_gateway::sim::DEFAULT_NINE11_APP_KEY)])
        .json(&json!({"ips": ips.join(","), "product_type": 9}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["code"], 200);
    app.sims.as_ref().unwrap().clear_calls();
    let (status, body) = problem(
        post(
            &app,
            "ex-none",
            &json!({"account": "911proxy", "product": "residential", "count": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str(), body["field"].as_str()),
        (409, Some("conflict"), Some("account"))
    );
    assert!(extract_calls(&app).is_empty());
}

#[tokio::test]
async fn extraction_limits_name_their_field_and_helodata_answers_501() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let base = json!({"account": "911proxy", "product": "residential", "count": 2});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    app.sims.as_ref().unwrap().clear_calls();
    for (n, (body, field)) in [
        (with(json!({"count": 0})), "count"),
        (with(json!({"count": 1001})), "count"),
        (with(json!({"session_minutes": 61})), "session_minutes"),
        (with(json!({"product": "isp"})), "product"),
        (with(json!({"state": "California"})), "country"),
        (with(json!({"protocol": "socks5"})), "protocol"),
        (with(json!({"account": "nope"})), "account"),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, problem) = problem(post(&app, &format!("ex-bad-{n}"), &body).await).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some(field)),
            "{body}: {problem}"
        );
    }
    assert!(extract_calls(&app).is_empty());
    let (status, body) = problem(
        post(
            &app,
            "ex-h",
            &json!({"account": "helodata", "product": "residential", "count": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (501, Some("unsupported_by_provider"))
    );
    assert!(
        body["detail"].as_str().unwrap().contains("proxies.extract"),
        "{body}"
    );
    assert!(app.sims.as_ref().unwrap().calls("helodata").is_empty());
}
