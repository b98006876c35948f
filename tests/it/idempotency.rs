//! Idempotency keys: every keyed write runs once from the caller's side, across restarts,
//! crashes and replicas, checked against the simulators' call logs.

use std::collections::BTreeMap;
use std::time::Duration;

use nix::sys::signal::Signal;
use proxy_gateway::domain::idempotency::{RecordCipher, RecordKey};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{
    Db, TestApp, TestSims, binary, fresh_postgres_url, http_client, problem, spawn_app_with_sims,
    spawn_sims, temp_dir,
};

const GIB: u64 = 1024 * 1024 * 1024;

/// The key helodata receives for a keyed write: `pgw_` and the first 60 hex digits of
/// SHA-256(API key id, "\n", caller's key) — 64 characters, helodata's limit.
fn forwarded_key(api_key_id: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{api_key_id}\n{key}").as_bytes());
    format!("pgw_{}", &hex::encode(digest)[..60])
}

fn nine11_create(label: &str) -> Value {
    json!({"account": "911proxy", "products": ["residential"], "label": label, "traffic_limit_bytes": 2 * GIB})
}

fn upstream_posts(
    sims: &TestSims,
    account: &str,
    path: &str,
) -> Vec<proxy_gateway::sim::control::calls::CallRecord> {
    sims.calls(account)
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .collect()
}

const NINE11_ADD: &str = "/api-gate-way/whitelist-account/add";

async fn post(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::Response {
    app.admin(Method::POST, path)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_replay_returns_the_stored_body_byte_for_byte_and_calls_no_upstream() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app_with_sims(db, &[]).await;
        let sims = app.sims.as_ref().unwrap();
        let first = post(
            &app,
            "/v1/proxy-users",
            "create-1",
            &nine11_create("replayed"),
        )
        .await;
        assert_eq!(first.status(), 201);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let location = first.headers()["location"].clone();
        let first_body = first.bytes().await.unwrap();
        // Key order and whitespace do not change the request's identity.
        let reordered = json!({"traffic_limit_bytes": 2 * GIB, "label": "replayed", "products": ["residential"], "account": "911proxy"});
        let again = post(&app, "/v1/proxy-users", "create-1", &reordered).await;
        assert_eq!(again.status(), 201, "{db:?}");
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.headers()["location"], location);
        assert_eq!(
            again.bytes().await.unwrap(),
            first_body,
            "{db:?}: byte for byte"
        );
        assert_eq!(
            upstream_posts(sims, "911proxy", NINE11_ADD).len(),
            1,
            "{db:?}: one upstream add"
        );
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let replays: f64 = metrics
            .lines()
            .find(|l| l.starts_with("pgw_idempotency_replays_total"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .expect("the replay counter is exported");
        assert!(replays >= 1.0, "{db:?}: replays counted");
    }
}

#[tokio::test]
async fn the_audit_log_records_the_key_and_which_answer_was_a_replay() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    for request_id in ["idem-audit-first", "idem-audit-replay"] {
        let response = app
            .admin(Method::POST, "/v1/proxy-users")
            .header("idempotency-key", "audited")
            .header("x-request-id", request_id)
            .json(&nine11_create("audited"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    for (request_id, replayed) in [("idem-audit-first", false), ("idem-audit-replay", true)] {
        let events: Value = app
            .admin(
                Method::GET,
                &format!("/v1/audit-events?request_id={request_id}"),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let event = &events["data"][0];
        assert_eq!(event["idempotency"]["key"], "audited", "{event}");
        assert_eq!(event["idempotency"]["replayed"], replayed, "{event}");
    }
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_calls_no_upstream() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    assert_eq!(
        post(&app, "/v1/proxy-users", "k", &nine11_create("one"))
            .await
            .status(),
        201
    );
    sims.clear_calls();
    let response = post(&app, "/v1/proxy-users", "k", &nine11_create("two")).await;
    let (status, body) = problem(response).await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "idempotency_key_reused");
    assert_eq!(body["field"], "Idempotency-Key");
    assert!(sims.calls("911proxy").is_empty(), "no upstream call");
    // Another path with the same key is another request too.
    let response = post(
        &app,
        "/v1/proxy-users/batch",
        "k",
        &json!({"account": "911proxy", "users": [{"products": ["residential"]}]}),
    )
    .await;
    assert_eq!(problem(response).await.0, 422);
}

#[tokio::test]
async fn a_request_rejected_before_the_operation_stores_nothing() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let bad = json!({"account": "911proxy", "products": ["residential"], "username": "bad name"});
    let response = post(&app, "/v1/proxy-users", "fix-me", &bad).await;
    assert_eq!(problem(response).await.0, 400);
    let fixed =
        json!({"account": "911proxy", "products": ["residential"], "username": "goodname1"});
    let response = post(&app, "/v1/proxy-users", "fix-me", &fixed).await;
    assert_eq!(
        response.status(),
        201,
        "the same key works once the request is fixed"
    );
}

#[tokio::test]
async fn malformed_keys_are_400_naming_the_header_and_the_setting_can_require_one() {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_REQUIRE_IDEMPOTENCY_KEY", "true")]).await;
    for key in ["x".repeat(65), "tab\tkey".to_string()] {
        let response = post(&app, "/v1/proxy-users", &key, &nine11_create("x")).await;
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("Idempotency-Key")),
            "{key:?}"
        );
    }
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&nine11_create("x"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("Idempotency-Key"))
    );
    let read = app
        .admin(Method::GET, "/v1/proxy-users?account=911proxy")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "reads need no key");
}

#[tokio::test]
async fn a_key_in_use_answers_409_with_retry_after() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    app.sims.as_ref().unwrap().fault(
        "911proxy",
        json!({"kind": "latency", "ms": 1500, "path": NINE11_ADD, "times": 1}),
    );
    let slow = {
        let client = app.client.clone();
        let url = app.url("/v1/proxy-users");
        let token = app.admin_token.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", "busy")
                .json(&nine11_create("busy"))
                .send()
                .await
                .unwrap()
        })
    };
    // Wait until the first request holds the key and is at the provider.
    for _ in 0..200 {
        if !upstream_posts(app.sims.as_ref().unwrap(), "911proxy", NINE11_ADD).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let response = post(&app, "/v1/proxy-users", "busy", &nine11_create("busy")).await;
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("idempotency_key_in_use"))
    );
    assert_eq!(slow.await.unwrap().status(), 201);
    let replay = post(&app, "/v1/proxy-users", "busy", &nine11_create("busy")).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
}

#[tokio::test]
async fn a_replay_survives_a_gateway_restart() {
    let app = spawn_app_with_sims(Db::Postgres, &[]).await;
    let first = post(
        &app,
        "/v1/proxy-users",
        "survives",
        &nine11_create("restart"),
    )
    .await;
    assert_eq!(first.status(), 201);
    let first_body = first.bytes().await.unwrap();
    let app = app.restart().await;
    let again = post(
        &app,
        "/v1/proxy-users",
        "survives",
        &nine11_create("restart"),
    )
    .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.bytes().await.unwrap(), first_body);
    assert_eq!(
        upstream_posts(app.sims.as_ref().unwrap(), "911proxy", NINE11_ADD).len(),
        1
    );
}

#[tokio::test]
async fn after_expiry_the_same_key_starts_a_new_operation() {
    let app = spawn_app_with_sims(
        Db::Sqlite,
        &[
            ("PGW_IDEMPOTENCY_TTL_SECS", "1"),
            ("PGW_IDEMPOTENCY_SWEEP_SECS", "1"),
        ],
    )
    .await;
    let first: Value = post(
        &app,
        "/v1/proxy-users",
        "short-lived",
        &nine11_create("ttl"),
    )
    .await
    .json()
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = post(
        &app,
        "/v1/proxy-users",
        "short-lived",
        &nine11_create("ttl"),
    )
    .await;
    assert_eq!(second.status(), 201);
    assert!(second.headers().get("idempotent-replayed").is_none());
    let second: Value = second.json().await.unwrap();
    assert_ne!(
        first["id"], second["id"],
        "a new user, with newly generated credentials"
    );
    assert_eq!(
        upstream_posts(app.sims.as_ref().unwrap(), "911proxy", NINE11_ADD).len(),
        2
    );
}

#[tokio::test]
async fn helodata_receives_the_derived_key_on_every_retry() {
    // The gateway's own retries of a keyed write: a cut connection after helodata created the
    // user, then a 503; helodata dedupes with the forwarded key and replays its 201.
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let expected = forwarded_key(&app.admin_key_id().await, "hd-create");
    assert_eq!(expected.len(), 64);
    sims.fault("helodata", json!({"kind": "close", "phase": "after", "path": "/v1/subusers", "method": "POST", "times": 1}));
    sims.fault("helodata", json!({"kind": "http_error", "status": 503, "path": "/v1/subusers", "method": "POST", "times": 1}));
    let body = json!({"account": "helodata", "products": ["residential"], "label": "derived"});
    let response = post(&app, "/v1/proxy-users", "hd-create", &body).await;
    assert_eq!(response.status(), 201);
    let posts = upstream_posts(sims, "helodata", "/v1/subusers");
    assert_eq!(posts.len(), 3);
    assert!(
        posts
            .iter()
            .all(|c| c.headers["idempotency-key"] == expected.as_str()),
        "the same derived key on every attempt"
    );
    let listed: Value = app
        .admin(
            Method::GET,
            "/v1/proxy-users?account=helodata&label_contains=derived",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "exactly one sub-user created"
    );

    // The caller's retry after an unknown outcome (no gateway retries left) sends the same key.
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_UPSTREAM_MAX_RETRIES", "0")]).await;
    let sims = app.sims.as_ref().unwrap();
    let expected = forwarded_key(&app.admin_key_id().await, "hd-again");
    sims.fault("helodata", json!({"kind": "close", "phase": "after", "path": "/v1/subusers", "method": "POST", "times": 1}));
    let body = json!({"account": "helodata", "products": ["residential"], "label": "again"});
    let (status, problem) = problem(post(&app, "/v1/proxy-users", "hd-again", &body).await).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (502, Some("outcome_unknown")),
        "{problem}"
    );
    assert_eq!(
        post(&app, "/v1/proxy-users", "hd-again", &body)
            .await
            .status(),
        201
    );
    let posts = upstream_posts(sims, "helodata", "/v1/subusers");
    assert_eq!(posts.len(), 2);
    assert!(
        posts
            .iter()
            .all(|c| c.headers["idempotency-key"] == expected.as_str())
    );
    let listed: Value = app
        .admin(
            Method::GET,
            "/v1/proxy-users?account=helodata&label_contains=again",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unknown_outcome_is_reconciled_on_retry_without_a_second_create() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        "911proxy",
        json!({"kind": "close", "phase": "after", "path": NINE11_ADD, "times": 1}),
    );
    let body = nine11_create("unknown-outcome");
    let response = post(&app, "/v1/proxy-users", "unsure", &body).await;
    let (status, problem) = problem(response).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (502, Some("outcome_unknown")),
        "{problem}"
    );
    assert_eq!(problem["retryable"], true);
    let retried = post(&app, "/v1/proxy-users", "unsure", &body).await;
    assert_eq!(retried.status(), 201);
    let created: Value = retried.json().await.unwrap();
    let adds = upstream_posts(sims, "911proxy", NINE11_ADD);
    assert_eq!(adds.len(), 1, "reconciled: the add was not sent again");
    // The retry regenerated exactly what the first attempt sent (drawn from the record's
    // stream, nothing stored before the call): the password answered is the one 911 holds.
    let sent = adds[0].body_json.as_ref().unwrap()["accounts"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        sent,
        format!(
            "{}:{}",
            created["username"].as_str().unwrap(),
            created["password"].as_str().unwrap()
        )
    );
    let listed: Value = app
        .admin(
            Method::GET,
            "/v1/proxy-users?account=911proxy&label_contains=unknown-outcome",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_patch_that_stopped_midway_resumes_where_it_stopped() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let created: Value = post(&app, "/v1/proxy-users", "mk", &nine11_create("patchme"))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/v1/proxy-users/{}", created["id"].as_str().unwrap());
    sims.clear_calls();
    sims.fault("911proxy", json!({"kind": "close", "phase": "after", "path": "/api-gate-way/whitelist-account/change-limit", "times": 1}));
    let patch = json!({"label": "patched", "traffic_limit_bytes": 9 * GIB, "status": "disabled"});
    let first = app
        .admin(Method::PATCH, &path)
        .header("idempotency-key", "p1")
        .json(&patch)
        .send()
        .await
        .unwrap();
    let (status, problem) = problem(first).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (502, Some("outcome_unknown")),
        "{problem}"
    );
    let retried = app
        .admin(Method::PATCH, &path)
        .header("idempotency-key", "p1")
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    let user: Value = retried.json().await.unwrap();
    assert_eq!(
        (user["label"].as_str(), user["status"].as_str()),
        (Some("patched"), Some("disabled"))
    );
    assert_eq!(user["traffic_limit_bytes"], json!(9 * GIB));
    let count = |p: &str| {
        upstream_posts(
            sims,
            "911proxy",
            &format!("/api-gate-way/whitelist-account/{p}"),
        )
        .len()
    };
    assert_eq!(
        count("change-remark"),
        1,
        "the journaled step is not repeated"
    );
    assert_eq!(
        count("change-limit"),
        2,
        "the step whose answer was lost is sent again"
    );
    assert_eq!(count("disable"), 1);
}

/// The settings of a real gateway process pointed at the test's simulators.
fn gateway_env(
    sims: &TestSims,
    database_url: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = [
        ("PGW_LISTEN", "127.0.0.1:0".to_string()),
        ("PGW_DATABASE_URL", database_url.to_string()),
        ("PGW_BOOTSTRAP_ADMIN_KEY", token.to_string()),
        (
            "PGW_HELODATA_API_KEY",
            proxy_gateway::sim::DEFAULT_HELODATA_TOKEN.to_string(),
        ),
        ("PGW_HELODATA_BASE_URL", sims.helodata.base_url()),
        (
            "PGW_911PROXY_APP_KEY",
            proxy_gateway::sim::DEFAULT_NINE11_APP_KEY.to_string(),
        ),
        ("PGW_911PROXY_BASE_URL", sims.nine11.base_url()),
        ("PGW_911PROXY_TIMEZONE", "+08:00".to_string()),
        ("PGW_LOG_LEVEL", "warn".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_string(), (*v).to_string());
    }
    env
}

async fn start_gateway(env: &BTreeMap<String, String>) -> binary::Served {
    let mut cmd = binary::command(&temp_dir());
    cmd.envs(env);
    binary::serve(cmd).await
}

#[tokio::test]
async fn fifty_concurrent_identical_posts_across_two_processes_make_one_upstream_mutation() {
    let sims = spawn_sims().await;
    sims.fault(
        "911proxy",
        json!({"kind": "latency", "ms": 400, "phase": "after", "path": NINE11_ADD}),
    );
    let database_url = fresh_postgres_url().await;
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let env = gateway_env(&sims, &database_url, &token, &[]);
    let (a, b) = tokio::join!(start_gateway(&env), start_gateway(&env));
    let client = http_client();
    let body = nine11_create("fifty");
    let requests = (0..50).map(|i| {
        let url = format!(
            "http://{}/v1/proxy-users",
            if i % 2 == 0 { &a.addr } else { &b.addr }
        );
        let request = client
            .post(url)
            .bearer_auth(&token)
            .header("idempotency-key", "fifty-1")
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            (status, replayed, response.bytes().await.unwrap())
        }
    });
    let results = futures::future::join_all(requests).await;
    assert_eq!(
        upstream_posts(&sims, "911proxy", NINE11_ADD).len(),
        1,
        "exactly one upstream mutation"
    );
    let originals: Vec<_> = results
        .iter()
        .filter(|(s, replayed, _)| *s == 201 && !replayed)
        .collect();
    assert_eq!(originals.len(), 1, "exactly one original response");
    for (status, replayed, bytes) in &results {
        match status {
            201 if *replayed => assert_eq!(bytes, &originals[0].2, "replays are identical"),
            201 => {}
            409 => {}
            other => panic!(
                "unexpected status {other}: {}",
                String::from_utf8_lossy(bytes)
            ),
        }
    }
}

#[tokio::test]
async fn a_gateway_killed_mid_call_is_resumed_after_restart_with_exactly_one_user() {
    let sims = spawn_sims().await;
    // The add is applied, then its answer is held for 3 s: the gateway dies meanwhile.
    sims.fault(
        "911proxy",
        json!({"kind": "latency", "ms": 3000, "phase": "after", "path": NINE11_ADD, "times": 1}),
    );
    let database_url = fresh_postgres_url().await;
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let env = gateway_env(
        &sims,
        &database_url,
        &token,
        &[("PGW_IDEMPOTENCY_LEASE_SECS", "2")],
    );
    let mut first = start_gateway(&env).await;
    let client = http_client();
    let body = nine11_create("killed");
    let url = format!("http://{}/v1/proxy-users", first.addr);
    let in_flight = {
        let request = client
            .post(url)
            .bearer_auth(&token)
            .header("idempotency-key", "kill-1")
            .json(&body);
        tokio::spawn(async move { request.send().await })
    };
    for _ in 0..100 {
        if !upstream_posts(&sims, "911proxy", NINE11_ADD).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        upstream_posts(&sims, "911proxy", NINE11_ADD).len(),
        1,
        "the add reached the provider"
    );
    binary::signal(&first.child, Signal::SIGKILL);
    let _ = first.child.wait().await;
    assert!(
        in_flight.await.unwrap().is_err(),
        "the caller got no answer"
    );

    let second = start_gateway(&env).await;
    let url = format!("http://{}/v1/proxy-users", second.addr);
    let mut final_status = 0;
    let mut created = Value::Null;
    for _ in 0..40 {
        let response = client
            .post(&url)
            .bearer_auth(&token)
            .header("idempotency-key", "kill-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        final_status = response.status().as_u16();
        if final_status != 409 {
            created = response.json().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(final_status, 201, "{created}");
    assert!(created["password"].is_string());
    assert_eq!(
        upstream_posts(&sims, "911proxy", NINE11_ADD).len(),
        1,
        "not sent a second time"
    );
    let listed: Value = client
        .get(format!(
            "http://{}/v1/proxy-users?account=911proxy&label_contains=killed",
            second.addr
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "exactly one proxy user"
    );
    assert_eq!(listed["data"][0]["id"], created["id"]);
}

#[tokio::test]
async fn a_keyed_api_key_create_replays_its_token_and_an_interrupted_one_revokes_the_orphan() {
    let app = crate::support::spawn_app(Db::Sqlite).await;
    let body = json!({"name": "replayed-key", "scopes": ["read"]});
    let first = post(&app, "/v1/api-keys", "key-create", &body).await;
    assert_eq!(first.status(), 201);
    let first = first.bytes().await.unwrap();
    let again = post(&app, "/v1/api-keys", "key-create", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.bytes().await.unwrap(),
        first,
        "the same token, once created"
    );

    // An attempt that stored its key and died before answering: its record is in progress,
    // lease expired, with the key id journaled.
    let orphan: Value = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "orphan", "scopes": ["read"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let orphan_id = orphan["id"].as_str().unwrap().to_string();
    let store = proxy_gateway::store::connect(
        &proxy_gateway::config::DatabaseUrl::new(app.database_url.clone()),
        2,
    )
    .await
    .unwrap();
    let admin_id = app.admin_key_id().await;
    let body = json!({"name": "interrupted", "scopes": ["read"]});
    let key = proxy_gateway::domain::idempotency::IdempotencyKey::parse("interrupted").unwrap();
    let print = proxy_gateway::domain::idempotency::fingerprint(
        "POST",
        "/v1/api-keys",
        body.to_string().as_bytes(),
    );
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    store
        .idempotency
        .begin(&proxy_gateway::domain::idempotency::BeginRequest {
            api_key_id: &admin_id,
            key: &key,
            fingerprint: &print,
            method: "POST",
            route: "/v1/api-keys",
            owner: "dead",
            now: long_ago,
            lease: Duration::from_secs(60),
            ttl: Duration::from_secs(86_400),
        })
        .await
        .unwrap();
    store
        .idempotency
        .save_progress(
            &admin_id,
            "interrupted",
            "dead",
            // Encrypted as the gateway does it: under the caller's token, bound to the record.
            &RecordCipher::new(
                &RecordKey::derive(&app.admin_token),
                &admin_id,
                "interrupted",
            )
            .seal_progress(&json!({"key_id": orphan_id})),
            long_ago + time::Duration::minutes(1),
        )
        .await
        .unwrap();
    let resumed = post(&app, "/v1/api-keys", "interrupted", &body).await;
    assert_eq!(resumed.status(), 201);
    let created: Value = resumed.json().await.unwrap();
    assert_ne!(created["id"], orphan_id.as_str());
    let orphan: Value = app
        .admin(Method::GET, &format!("/v1/api-keys/{orphan_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        orphan["status"], "revoked",
        "the token nobody saw no longer works"
    );
}

/// Every idempotency record as stored: the key, the response body and the progress (as text).
async fn stored_records(app: &TestApp, db: Db) -> Vec<(String, Vec<u8>, Option<String>)> {
    match db {
        Db::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            sqlx::query_as(
                "SELECT idempotency_key, response_body, progress::text FROM idempotency_keys",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
            sqlx::query_as("SELECT idempotency_key, response_body, progress FROM idempotency_keys")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    }
}

/// Overwrites one record's stored response body, as someone with database access could.
async fn overwrite_body(app: &TestApp, db: Db, key: &str, body: &[u8]) {
    let done = match db {
        Db::Postgres => {
            sqlx::query("UPDATE idempotency_keys SET response_body = $1 WHERE idempotency_key = $2")
                .bind(body)
                .bind(key)
                .execute(&sqlx::PgPool::connect(&app.database_url).await.unwrap())
                .await
                .unwrap()
                .rows_affected()
        }
        Db::Sqlite => {
            sqlx::query("UPDATE idempotency_keys SET response_body = ?1 WHERE idempotency_key = ?2")
                .bind(body)
                .bind(key)
                .execute(&sqlx::SqlitePool::connect(&app.database_url).await.unwrap())
                .await
                .unwrap()
                .rows_affected()
        }
    };
    assert_eq!(done, 1);
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn stored_responses_hold_no_secret_in_clear_and_an_altered_one_is_refused() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app_with_sims(db, &[]).await;
        // A 911 create: the gateway generates the password (drawn from the record's own
        // stream, so nothing is journaled before the call) and answers it once.
        let created = post(
            &app,
            "/v1/proxy-users",
            "at-rest-user",
            &nine11_create("at-rest"),
        )
        .await;
        assert_eq!(created.status(), 201);
        let user: Value = created.json().await.unwrap();
        let password = user["password"]
            .as_str()
            .expect("the one-time password")
            .to_string();
        // An API key create: the token is in this response only.
        let body = json!({"name": "at-rest", "scopes": ["read"]});
        let key = post(&app, "/v1/api-keys", "at-rest-key", &body).await;
        assert_eq!(key.status(), 201);
        let key_body = key.bytes().await.unwrap();
        let token = serde_json::from_slice::<Value>(&key_body).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();

        let records = stored_records(&app, db).await;
        assert_eq!(records.len(), 2, "{db:?}");
        for (idempotency_key, body, progress) in &records {
            for secret in [&password, &token] {
                assert!(
                    !holds(body, secret),
                    "{db:?} {idempotency_key}: body in clear"
                );
                assert!(
                    !progress
                        .as_deref()
                        .unwrap_or_default()
                        .contains(secret.as_str()),
                    "{db:?} {idempotency_key}: progress in clear"
                );
            }
            assert!(
                !holds(body, "\"id\""),
                "{db:?} {idempotency_key}: no JSON in clear"
            );
        }
        let plan = records.iter().find(|r| r.0 == "at-rest-user").unwrap();
        assert_eq!(
            plan.2, None,
            "{db:?}: no plan is stored for drawn credentials"
        );

        // The replay still answers the original bytes.
        let again = post(&app, "/v1/api-keys", "at-rest-key", &body).await;
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.bytes().await.unwrap(), key_body, "{db:?}");

        // Each stored body is bound to its record: moved to another, it is refused, not served.
        let user_body = records
            .iter()
            .find(|r| r.0 == "at-rest-user")
            .unwrap()
            .1
            .clone();
        overwrite_body(&app, db, "at-rest-key", &user_body).await;
        let moved = post(&app, "/v1/api-keys", "at-rest-key", &body).await;
        let (status, problem_body) = problem(moved).await;
        assert_eq!(status, 500, "{db:?}: {problem_body}");
        assert_eq!(problem_body["code"], "internal");
        assert!(!problem_body.to_string().contains(password.as_str()));
        // A body put back in clear is refused as well.
        overwrite_body(&app, db, "at-rest-key", &key_body).await;
        let (status, _) = problem(post(&app, "/v1/api-keys", "at-rest-key", &body).await).await;
        assert_eq!(status, 500, "{db:?}");
    }
}
