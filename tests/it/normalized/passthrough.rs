//! `POST /v1/providers/{name}/passthrough` over both providers: the exact upstream call, the
//! credential added by the gateway and never shown (answer, audit log, process log), the
//! allow-list, and writes that need an Idempotency-Key and are sent once.

use proxy_gateway::sim::control::calls::AuthPlacement;
use reqwest::Method;
use serde_json::{Value, json};

use super::{create_user, for_both_providers, send_keyed, upstream_get, upstream_paths};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

fn credential(account: &str) -> &'static str {
    match account {
        "911proxy" => proxy_gateway::sim::DEFAULT_NINE11_APP_KEY,
        _ => proxy_gateway::sim::DEFAULT_HELODATA_TOKEN,
    }
}

fn route(account: &str) -> String {
    format!("/v1/providers/{account}/passthrough")
}

/// The listing of proxy users, as each provider documents it.
fn list_call(account: &str) -> (Value, &'static str) {
    match account {
        "911proxy" => (
            json!({"method": "GET", "path": "/api-gate-way/whitelist-account/list", "query": {"page": 1}}),
            "/api-gate-way/whitelist-account/list",
        ),
        _ => (
            json!({"method": "GET", "path": "/subusers", "query": {"limit": 2, "status": ["active"]}}),
            "/v1/subusers",
        ),
    }
}

async fn pass(app: &TestApp, account: &str, key: Option<&str>, call: &Value) -> (u16, Value) {
    let mut request = app.admin(Method::POST, &route(account)).json(call);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `value` with what the gateway redacts replaced the same way, to compare with a direct read.
fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if k == "password" && !v.is_null() {
                        json!("[redacted]")
                    } else {
                        redacted(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

async fn a_read_passes_through_with_the_credential_the_gateway_adds(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    create_user(&app, account, "seen-through").await;
    let (call, upstream_path) = list_call(account);
    let direct = match account {
        "911proxy" => {
            upstream_get(&app, account, "/whitelist-account/list", &[("page", "1")]).await
        }
        _ => {
            upstream_get(
                &app,
                account,
                "/subusers",
                &[("limit", "2"), ("status", "active")],
            )
            .await
        }
    };
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let (status, answer) = pass(&app, account, None, &call).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], 200);
    assert!(
        answer["content_type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        answer["body"],
        redacted(&direct),
        "the provider's body, secrets removed"
    );
    assert!(answer.get("text").is_none());
    if account == "911proxy" {
        assert_eq!(
            answer["body"]["data"]["list"][0]["password"], "[redacted]",
            "911 lists passwords; passthrough does not show them"
        );
    }
    // Exactly one upstream call: the caller's path and query, the gateway's credential.
    let calls = sims.calls(account);
    assert_eq!(calls.len(), 1, "{calls:?}");
    let sent = &calls[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("GET", upstream_path)
    );
    match account {
        "911proxy" => {
            assert_eq!(sent.auth.placement, AuthPlacement::Query);
            assert_eq!(sent.query_params["page"], "1");
        }
        _ => {
            assert_eq!(sent.auth.placement, AuthPlacement::Bearer);
            assert_eq!(sent.query_params["limit"], "2");
            assert_eq!(sent.query_params["status"], "active");
        }
    }
    assert_eq!(sent.auth.value.as_deref(), Some(credential(account)));
    assert!(!answer.to_string().contains(credential(account)));
}

async fn a_write_needs_a_key_is_sent_once_and_replays(account: &str) {
    let app = spawn_app_with_sims(Db::Postgres, &[]).await;
    let user = create_user(&app, account, "before").await;
    let upstream_id = user["id"].as_str().unwrap().split_once(':').unwrap().1;
    let (call, upstream) = match account {
        "911proxy" => (
            json!({"method": "POST", "path": "/api-gate-way/whitelist-account/change-remark",
                   "body": {"account": upstream_id, "remark": "through"}}),
            (
                "POST",
                "/api-gate-way/whitelist-account/change-remark".to_string(),
            ),
        ),
        _ => (
            json!({"method": "PATCH", "path": format!("/subusers/{upstream_id}"),
                   "body": {"label": "through"}}),
            ("PATCH", format!("/v1/subusers/{upstream_id}")),
        ),
    };
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let (status, refused) = pass(&app, account, None, &call).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (400, Some("Idempotency-Key")),
        "{refused}"
    );
    assert!(sims.calls(account).is_empty(), "refused before any call");

    let (status, answer) = pass(&app, account, Some("remark-1"), &call).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], 200);
    let calls = sims.calls(account);
    assert_eq!(calls.len(), 1, "sent once: {calls:?}");
    assert_eq!(
        (calls[0].method.as_str(), calls[0].path.clone()),
        (upstream.0, upstream.1.clone())
    );
    assert_eq!(calls[0].body_json.as_ref().unwrap(), &call["body"]);
    if account == "helodata" {
        let forwarded = calls[0].headers["idempotency-key"].as_str().unwrap();
        assert!(
            forwarded.starts_with("pgw_"),
            "the derived key is forwarded: {forwarded}"
        );
    }
    let (_, read) = send_keyed(
        &app,
        Method::GET,
        &format!("/v1/proxy-users/{}", user["id"].as_str().unwrap()),
        "r",
        None,
    )
    .await;
    assert_eq!(read["label"], "through", "the change took effect");

    // The same key again: the stored answer, no second call.
    sims.clear_calls();
    let response = app
        .admin(Method::POST, &route(account))
        .header("idempotency-key", "remark-1")
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    assert_eq!(response.json::<Value>().await.unwrap(), answer);
    assert!(upstream_paths(&app, account).is_empty());

    // Audited with method and path.
    let events: Value = app
        .admin(
            Method::GET,
            "/v1/audit-events?operation=providers.passthrough",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "succeeded")
        .expect("the write's event");
    assert_eq!(event["account"], account);
    let request = event["request"].to_string();
    assert!(
        request.contains(call["method"].as_str().unwrap()),
        "{request}"
    );
    assert!(
        request.contains(call["path"].as_str().unwrap()),
        "{request}"
    );
}

async fn refused_calls_reach_no_provider(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let (_, read_write) = app.create_key("no-admin", &["read", "write"]).await;
    let (call, _) = list_call(account);
    let response = app
        .client
        .post(app.url(&route(account)))
        .bearer_auth(&read_write)
        .json(&call)
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("permission_denied")),
        "{body}"
    );

    let forbidden: &[&str] = match account {
        "911proxy" => &["/v1/subusers", "/api-gate-way-other/x", "/"],
        _ => &[
            "/tokens/tok_1/rotate",
            "/tokens",
            "/users/me/security",
            "/users/me/security/mfa",
            "/api-gate-way/order/list",
        ],
    };
    for (i, path) in forbidden.iter().enumerate() {
        let (status, body) = pass(
            &app,
            account,
            Some(&format!("forbidden-{i}")),
            &json!({"method": "GET", "path": path}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (403, Some("permission_denied"), Some("path")),
            "{path}: {body}"
        );
    }
    for (i, case) in [
        (
            json!({"method": "GET", "path": "/subusers/../tokens"}),
            "path",
        ),
        (
            json!({"method": "GET", "path": "/api-gate-way/order/%2e%2e/x"}),
            "path",
        ),
        (json!({"method": "GET", "path": "subusers"}), "path"),
        (json!({"method": "TRACE", "path": "/subusers"}), "method"),
        (
            json!({"method": "GET", "path": "/subusers", "query": {"a": {"b": 1}}}),
            "query.a",
        ),
        (
            json!({"method": "GET", "path": "/subusers", "headers": {}}),
            "headers",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (call, field) = case;
        let (status, body) = pass(&app, account, Some(&format!("bad-{i}")), &call).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{call}: {body}"
        );
    }
    if account == "911proxy" {
        for (i, case) in [
            (json!({"method": "GET", "path": "/api-gate-way/order/list", "query": {"app_key": "mine"}}), "query.app_key"),
            (json!({"method": "POST", "path": "/api-gate-way/order/close", "body": {"APP_KEY": "mine", "trade_no": "x"}}), "body.app_key"),
        ]
        .into_iter()
        .enumerate()
        {
            let (call, field) = case;
            let (status, body) = pass(&app, account, Some(&format!("app-key-{i}")), &call).await;
            assert_eq!((status, body["field"].as_str()), (400, Some(field)), "{body}");
        }
    }
    let (status, _) = pass(&app, "nosuchaccount", None, &list_call(account).0).await;
    assert_eq!(status, 404);
    assert!(
        sims.calls(account).is_empty(),
        "nothing reached the provider"
    );
}

async fn a_credential_the_provider_echoes_is_never_shown(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let secret = credential(account);
    let sims = app.sims.as_ref().unwrap();
    let (call, path) = list_call(account);
    let fault = match account {
        "911proxy" => json!({"kind": "provider_error", "code": 3, "status": 200,
            "message": format!("Your session has expired, app_key {secret} is invalid"), "path": path}),
        _ => json!({"kind": "provider_error", "code": "unauthorized", "status": 401,
            "message": format!("token {secret} was revoked"), "path": path}),
    };
    sims.fault(account, fault);
    let (status, answer) = pass(&app, account, None, &call).await;
    assert_eq!(status, 200, "the provider answered: {answer}");
    let expected_status = if account == "911proxy" { 200 } else { 401 };
    assert_eq!(answer["status"], expected_status, "its status as it was");
    let text = answer.to_string();
    assert!(!text.contains(secret), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    let events = app
        .admin(
            Method::GET,
            "/v1/audit-events?operation=providers.passthrough",
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        events.contains(path.trim_start_matches("/v1")),
        "audited with its path"
    );
    assert!(!events.contains(secret), "{events}");
}

for_both_providers!(
    a_read_passes_through_with_the_credential_the_gateway_adds,
    a_write_needs_a_key_is_sent_once_and_replays,
    refused_calls_reach_no_provider,
    a_credential_the_provider_echoes_is_never_shown,
);

/// 911 has no idempotency: a passthrough write whose outcome is unknown is not sent again on
/// the caller's retry; the answer says why.
#[tokio::test]
async fn a_911_passthrough_write_with_an_unknown_outcome_is_not_resent() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let path = "/api-gate-way/order/close";
    sims.fault(
        "911proxy",
        json!({"kind": "close", "phase": "after", "path": path, "times": 1}),
    );
    let call = json!({"method": "POST", "path": path, "body": {"trade_no": "T1"}});
    let (status, first) = pass(&app, "911proxy", Some("close-1"), &call).await;
    assert!(status >= 500, "{status} {first}");
    sims.clear_calls();
    let (status, again) = pass(&app, "911proxy", Some("close-1"), &call).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("outcome_unknown")),
        "{again}"
    );
    assert!(sims.calls("911proxy").is_empty(), "not sent again");
}

/// The real binary, logging at debug level, calls a provider that echoes the credential and
/// one that fails: the process log never holds either credential.
#[tokio::test]
async fn the_process_log_never_holds_a_credential() {
    let sims = crate::support::spawn_sims().await;
    let dir = crate::support::temp_dir();
    let admin = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let mut cmd = crate::support::binary::command(&dir);
    cmd.env("PGW_LISTEN", "127.0.0.1:0")
        .env("PGW_DATABASE_URL", crate::support::fresh_sqlite_url())
        .env("PGW_BOOTSTRAP_ADMIN_KEY", &admin)
        .env("PGW_LOG_LEVEL", "debug")
        .env(
            "PGW_HELODATA_API_KEY",
            proxy_gateway::sim::DEFAULT_HELODATA_TOKEN,
        )
        .env("PGW_HELODATA_BASE_URL", sims.helodata.base_url())
        .env(
            "PGW_911PROXY_APP_KEY",
            proxy_gateway::sim::DEFAULT_NINE11_APP_KEY,
        )
        .env("PGW_911PROXY_BASE_URL", sims.nine11.base_url());
    let served = crate::support::binary::serve(cmd).await;
    let client = crate::support::http_client();
    for account in ["911proxy", "helodata"] {
        let (call, path) = list_call(account);
        sims.fault(
            account,
            json!({"kind": "http_error", "status": 500, "times": 1, "path": path,
                   "body": {"echo": format!("credential {}", credential(account))}}),
        );
        sims.fault(
            account,
            json!({"kind": "close", "phase": "before", "times": 3, "path": path}),
        );
        for _ in 0..2 {
            let response = client
                .post(format!("http://{}{}", served.addr, route(account)))
                .bearer_auth(&admin)
                .header("idempotency-key", format!("log-{account}"))
                .json(&call)
                .send()
                .await
                .unwrap();
            assert!(!response.text().await.unwrap().contains(credential(account)));
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = served.later_stderr.lock().unwrap().clone();
    assert!(log.contains("passthrough"), "the calls were logged: {log}");
    for account in ["911proxy", "helodata"] {
        assert!(
            !log.contains(credential(account)),
            "{account} credential in the log"
        );
    }
}
