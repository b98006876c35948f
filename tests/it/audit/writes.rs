//! What writes and admin actions record: one event each, with every field, secrets redacted,
//! the provider's answer, and the refusal when the intent cannot be written.

use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{FAST_SEALING, event_of_request, events, request_id, sealed_report, store_of};
use crate::normalized::{GIB, create_body};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

fn time_of(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().expect("a time"), &Rfc3339).expect("RFC 3339")
}

/// A service key with write scope, as a caller other than the admin.
async fn service_key(app: &TestApp) -> (String, String) {
    app.create_key("billing-service", &["read", "write"]).await
}

async fn a_create_through_each_adapter_records_one_event_with_every_field(account: &str) {
    let app = spawn_app_with_sims(Db::Postgres, &[FAST_SEALING]).await;
    let (key_id, token) = service_key(&app).await;
    let body = match account {
        "911proxy" => json!({"account": account, "products": ["residential"], "label": "crawler",
                             "username": "auditee01", "password": "Secr3tPassw0rd", "traffic_limit_bytes": 5 * GIB}),
        _ => create_body(account, "crawler"),
    };
    let rid = request_id();
    // Stored times are whole microseconds.
    let before = proxy_gateway::domain::api_keys::now();
    let response = app
        .client
        .post(app.url("/v1/proxy-users"))
        .bearer_auth(&token)
        .header("X-Request-Id", &rid)
        .header("Idempotency-Key", "create-crawler-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let after = OffsetDateTime::now_utc();

    let event = event_of_request(&app, &rid).await;
    assert!(event["id"].as_str().unwrap().starts_with("aud_"), "{event}");
    assert!(event["sequence"].as_i64().unwrap() > 0);
    let occurred_at = time_of(&event["occurred_at"]);
    let completed_at = time_of(&event["completed_at"]);
    assert!(before <= occurred_at && occurred_at <= completed_at && completed_at <= after);
    assert_eq!(event["request_id"], rid.as_str());
    assert_eq!(
        event["actor"],
        json!({"key_id": key_id, "key_name": "billing-service"})
    );
    assert_eq!(event["client_addr"], "127.0.0.1");
    assert_eq!(event["method"], "POST");
    assert_eq!(event["route"], "/v1/proxy-users");
    assert_eq!(event["operation"], "proxy_users.create");
    assert_eq!(event["provider"], account);
    assert_eq!(event["account"], account);
    assert_eq!(
        event["resource"],
        json!({"type": "proxy_user", "ids": [created["id"]]})
    );
    assert_eq!(event["idempotency"]["key"], "create-crawler-1");
    assert_ne!(
        event["idempotency"]["replayed"], true,
        "a first request is no replay"
    );
    assert_eq!(event["outcome"], "succeeded");
    assert_eq!(event["status"], 201);
    assert_eq!(event["error_code"], Value::Null);
    match account {
        "911proxy" => {
            // 911 answers HTTP 200 with its envelope, and sends no request id.
            assert_eq!(event["upstream"]["status"], 200);
            assert_eq!(event["upstream"]["request_id"], Value::Null);
        }
        _ => {
            assert_eq!(event["upstream"]["status"], 200, "{event}");
            assert!(
                event["upstream"]["request_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("req_"),
                "{event}"
            );
        }
    }
    assert_eq!(event["upstream"]["code"], Value::Null);
    assert!(event["duration_ms"].as_f64().unwrap() > 0.0);
    let mut expected_body = body.clone();
    if account == "911proxy" {
        expected_body["password"] = json!("[redacted]");
    }
    assert_eq!(event["request"], json!({"body": expected_body}));

    // Sealed moments later, and readable by id.
    let report = sealed_report(&app).await;
    assert_eq!(report["intact"], true, "{report}");
    let by_id: Value = app
        .admin(
            Method::GET,
            &format!("/v1/audit-events/{}", event["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["id"], event["id"]);
    assert_eq!(by_id["seal"]["hash"].as_str().unwrap().len(), 64);
    assert_eq!(by_id["seal"]["prev_hash"].as_str().unwrap().len(), 64);
}

crate::normalized::for_both_providers!(
    a_create_through_each_adapter_records_one_event_with_every_field,
);

#[tokio::test]
async fn secrets_never_reach_the_audit_log_in_any_body_shape() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let batch = json!({"account": "911proxy", "users": [
        {"products": ["residential"], "username": "batchaud1", "password": "BatchPassw0rd1"},
        {"products": ["residential"], "username": "batchaud2", "password": "BatchPassw0rd2", "label": "two"}
    ]});
    let rid = request_id();
    let response = app
        .admin(Method::POST, "/v1/proxy-users/batch")
        .header("X-Request-Id", &rid)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["operation"], "proxy_users.create_batch");
    assert_eq!(
        event["request"]["body"]["users"],
        json!([
            {"products": ["residential"], "username": "batchaud1", "password": "[redacted]"},
            {"products": ["residential"], "username": "batchaud2", "password": "[redacted]", "label": "two"}
        ])
    );
    assert_eq!(
        event["resource"]["ids"],
        json!([created["data"][0]["id"], created["data"][1]["id"]])
    );

    // A password in a PATCH and a rotation, a refused helodata create carrying one, a token
    // pasted into a label, and the creation of an API key (whose response holds a token).
    let patch = app
        .admin(Method::PATCH, "/v1/proxy-users/911proxy:batchaud1")
        .json(&json!({"password": "PatchPassw0rd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let rotate = app
        .admin(
            Method::POST,
            "/v1/proxy-users/911proxy:batchaud2/rotate-password",
        )
        .json(&json!({"password": "RotatePassw0rd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rotate.status(), 200);
    let refused = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&json!({"account": "helodata", "products": ["residential"], "password": "HeloPassw0rd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let pasted = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(
            &json!({"account": "911proxy", "products": ["residential"], "label": app.admin_token}),
        )
        .send()
        .await
        .unwrap();
    assert!(pasted.status().is_client_error() || pasted.status().is_success());
    let (_, new_token) = app.create_key("fresh", &["read"]).await;

    let all = events(&app, "").await;
    assert_eq!(all.len(), 6, "{all:?}");
    let text = serde_json::to_string(&all).unwrap();
    for secret in [
        "BatchPassw0rd1",
        "BatchPassw0rd2",
        "PatchPassw0rd",
        "RotatePassw0rd",
        "HeloPassw0rd",
        app.admin_token.as_str(),
        new_token.as_str(),
        proxy_gateway::sim::DEFAULT_NINE11_APP_KEY,
        proxy_gateway::sim::DEFAULT_HELODATA_TOKEN,
    ] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    let by_operation = |name: &str| {
        all.iter()
            .find(|e| e["operation"] == name)
            .unwrap_or_else(|| panic!("no {name} event"))
            .clone()
    };
    assert_eq!(
        by_operation("proxy_users.update")["request"]["body"],
        json!({"password": "[redacted]"})
    );
    assert_eq!(
        by_operation("proxy_users.rotate_password")["request"]["body"],
        json!({"password": "[redacted]"})
    );
    assert_eq!(
        by_operation("api_keys.create")["request"]["body"],
        json!({"name": "fresh", "scopes": ["read"]})
    );
    let refused = all
        .iter()
        .find(|e| e["account"] == "helodata")
        .expect("the refused create");
    assert_eq!(refused["outcome"], "failed");
    assert_eq!(refused["status"], 400);
    assert_eq!(refused["error_code"], "invalid_argument");
    assert_eq!(refused["request"]["body"]["password"], "[redacted]");
}

#[tokio::test]
async fn a_provider_refusal_records_what_the_provider_answered() {
    let app = spawn_app_with_sims(Db::Postgres, &[]).await;
    // helodata's own answer to an unknown sub-user, with its request id header.
    let rid = request_id();
    let response = app
        .admin(
            Method::DELETE,
            "/v1/proxy-users/helodata:sub_00000000000000",
        )
        .header("X-Request-Id", &rid)
        .send()
        .await
        .unwrap();
    let (status, answer) = problem(response).await;
    assert_eq!(status, 404, "{answer}");
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["outcome"], "failed");
    assert_eq!(event["status"], 404);
    assert_eq!(event["error_code"], "not_found");
    assert_eq!(event["upstream"]["status"], 404);
    assert_eq!(event["upstream"]["code"], answer["upstream"]["code"]);
    assert!(
        event["upstream"]["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_"),
        "{event}"
    );
    assert_eq!(
        event["resource"]["ids"],
        json!(["helodata:sub_00000000000000"])
    );

    // An injected provider error code (the simulator's injected answers carry no request id).
    app.sims.as_ref().unwrap().fault(
        "helodata",
        json!({"kind": "provider_error", "code": "kyc_required", "path": "/v1/subusers", "method": "POST", "times": 1}),
    );
    let rid = request_id();
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .header("X-Request-Id", &rid)
        .json(&create_body("helodata", "kyc"))
        .send()
        .await
        .unwrap();
    let (status, problem) = problem(response).await;
    assert_eq!(status, 403, "{problem}");
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["outcome"], "failed");
    assert_eq!(event["status"], 403);
    assert_eq!(event["error_code"], "permission_denied");
    assert_eq!(
        event["upstream"],
        json!({"status": 403, "code": "kyc_required", "request_id": null})
    );
    assert_eq!(event["resource"]["ids"], json!([]));
}

#[tokio::test]
async fn a_write_whose_upstream_call_times_out_reads_unknown() {
    let app = spawn_app_with_sims(
        Db::Sqlite,
        &[
            ("PGW_UPSTREAM_TIMEOUT_SECS", "1"),
            ("PGW_UPSTREAM_MAX_RETRIES", "0"),
        ],
    )
    .await;
    app.sims.as_ref().unwrap().fault(
        "911proxy",
        json!({"kind": "latency", "ms": 2500, "path": "/api-gate-way/whitelist-account/add", "times": 1}),
    );
    let rid = request_id();
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .header("X-Request-Id", &rid)
        .json(&create_body("911proxy", "slow"))
        .send()
        .await
        .unwrap();
    let (status, problem) = problem(response).await;
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["outcome"], "unknown", "{problem}");
    assert_eq!(event["status"], status);
    assert_eq!(event["error_code"], problem["code"]);
    assert!(
        ["upstream_timeout", "outcome_unknown"].contains(&problem["code"].as_str().unwrap()),
        "{problem}"
    );
}

#[tokio::test]
async fn revoking_a_key_is_audited_with_the_key_it_revoked() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (key_id, _) = app.create_key("to-revoke", &["read"]).await;
    let rid = request_id();
    let response = app
        .admin(Method::DELETE, &format!("/v1/api-keys/{key_id}"))
        .header("X-Request-Id", &rid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["operation"], "api_keys.revoke");
    assert_eq!(event["route"], "/v1/api-keys/{id}");
    assert_eq!(
        event["resource"],
        json!({"type": "api_key", "ids": [key_id]})
    );
    assert_eq!(event["account"], Value::Null);
    assert_eq!(event["upstream"], Value::Null);
    assert_eq!(event["outcome"], "succeeded");
    assert_eq!(event["status"], 204);
    assert_eq!(event["request"], Value::Null);
    assert_eq!(event["actor"]["key_name"], "bootstrap-admin");
}

async fn a_refused_intent_write_answers_503_without_calling_the_provider(db: Db) {
    let app = spawn_app_with_sims(db, &[]).await;
    // The audit table refuses every insert (a full disk, a lost privilege, a missing partition
    // all look the same from here).
    match db {
        Db::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            sqlx::raw_sql(
                "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS
                   $$ BEGIN RAISE EXCEPTION 'no space left on device'; END $$;
                 CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_events
                   FOR EACH ROW EXECUTE FUNCTION refuse_insert();",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
            sqlx::raw_sql(
                "CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_events
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
    }
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&create_body("911proxy", "never"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "service_unavailable");
    assert_eq!(
        body["detail"],
        "the audit log cannot record this request, so it was not carried out; retry shortly"
    );
    assert!(sims.calls("911proxy").is_empty(), "no upstream call");
    assert!(sims.calls("helodata").is_empty(), "no upstream call");
    let stored = store_of(&app).await;
    assert_eq!(
        stored
            .audit
            .list(&Default::default(), None, 10)
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_refused_intent_write_answers_503_without_calling_the_provider_on_postgres() {
    a_refused_intent_write_answers_503_without_calling_the_provider(Db::Postgres).await;
}

#[tokio::test]
async fn a_refused_intent_write_answers_503_without_calling_the_provider_on_sqlite() {
    a_refused_intent_write_answers_503_without_calling_the_provider(Db::Sqlite).await;
}
