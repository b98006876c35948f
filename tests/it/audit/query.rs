//! The query API: filters, newest-first cursor pages with `Link`, the NDJSON export, one event
//! by id, the scopes it needs, and the setting that audits reads.

use proxy_gateway::domain::api_keys;
use proxy_gateway::domain::audit::{self, NewAuditEvent};
use reqwest::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::{event_of_request, events, request_id, store_of};
use crate::support::{Db, problem, spawn_app, spawn_app_with, spawn_app_with_sims};

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn filters_narrow_the_listing_and_pages_follow_the_cursor_and_link() {
    let app = spawn_app(Db::Postgres).await;
    let (other_id, other_token) = app.create_key("second-admin", &["admin"]).await;
    // Five key creations by the second admin, one refused, then two by the first admin.
    for i in 0..5 {
        let response = app
            .client
            .post(app.url("/v1/api-keys"))
            .bearer_auth(&other_token)
            .json(&json!({"name": format!("by-second-{i}"), "scopes": ["read"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let refused = app
        .client
        .post(app.url("/v1/api-keys"))
        .bearer_auth(&other_token)
        .json(&json!({"name": "", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    for i in 0..2 {
        app.create_key(&format!("by-first-{i}"), &["read"]).await;
    }
    let all = events(&app, "").await;
    assert_eq!(all.len(), 9, "the second admin's creation and 8 more");
    let times: Vec<&str> = all
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");

    let by_other = events(&app, &format!("actor={other_id}")).await;
    assert_eq!(by_other.len(), 6);
    assert!(by_other.iter().all(|e| e["actor"]["key_id"] == other_id));
    let failed = events(&app, &format!("actor={other_id}&outcome=failed")).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], 400);
    assert_eq!(failed[0]["error_code"], "invalid_argument");
    assert_eq!(events(&app, "operation=api_keys.create").await.len(), 9);
    assert_eq!(events(&app, "operation=api_keys.revoke").await.len(), 0);
    let created_id = all[0]["resource"]["ids"][0].as_str().unwrap().to_string();
    assert_eq!(
        ids(&events(&app, &format!("resource_id={created_id}")).await),
        vec![all[0]["id"].as_str().unwrap().to_string()]
    );
    // A time window: from the third-newest event (inclusive) on.
    let from = all[2]["occurred_at"].as_str().unwrap();
    let window = events(&app, &format!("from={}", urlencode(from))).await;
    assert_eq!(ids(&window), ids(&all[..3]));
    let before = events(&app, &format!("to={}", urlencode(from))).await;
    assert_eq!(ids(&before), ids(&all[3..]));

    // Pages of two by the second admin, following `next_cursor` and then `Link`.
    let mut seen = Vec::new();
    let mut path = format!("/v1/audit-events?actor={other_id}&limit=2");
    loop {
        let response = app.admin(Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        seen.extend(ids(body["data"].as_array().unwrap()));
        match (body["next_cursor"].as_str(), link) {
            (Some(cursor), Some(link)) => {
                assert_eq!(
                    link,
                    format!(
                        "</v1/audit-events?cursor={cursor}&limit=2&actor={other_id}>; rel=\"next\""
                    )
                );
                path = link
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_string();
            }
            (None, None) => break,
            other => panic!("cursor and Link disagree: {other:?}"),
        }
    }
    assert_eq!(seen, ids(&by_other));

    for (query, field) in [
        ("from=yesterday", "from"),
        ("outcome=done", "outcome"),
        ("cursor=!!", "cursor"),
        ("limit=500", "limit"),
        ("colour=red", "colour"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/v1/audit-events?{query}"))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["field"], field, "{query}");
    }
}

fn urlencode(value: &str) -> String {
    value.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn the_ndjson_export_streams_every_matching_event_newest_first() {
    let app = spawn_app(Db::Sqlite).await;
    let store = store_of(&app).await;
    // More events than one export page, for two actors.
    let start = api_keys::now() - time::Duration::hours(2);
    for i in 0..1100i64 {
        let at = start + time::Duration::milliseconds(i);
        let actor = if i % 2 == 0 { "key_even" } else { "key_odd" };
        store
            .audit
            .record_intent(&NewAuditEvent {
                id: audit::new_event_id(at),
                occurred_at: at,
                request_id: format!("bulk-{i}"),
                actor_key_id: Some(actor.to_string()),
                actor_key_name: Some(actor.to_string()),
                client_addr: None,
                method: "DELETE".to_string(),
                route: "/v1/proxy-users/{id}".to_string(),
                operation: "proxy_users.delete".to_string(),
                provider: Some("helodata".to_string()),
                account: Some("helodata".to_string()),
                resource_type: Some("proxy_user".to_string()),
                resource_ids: vec![format!("helodata:sub_{i}")],
                idempotency_key: None,
                request_summary: None,
            })
            .await
            .unwrap();
    }
    let response = app
        .admin(Method::GET, "/v1/audit-events?actor=key_even&limit=3")
        .header("Accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    assert!(response.headers().get("link").is_none());
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON event per line"))
        .collect();
    assert_eq!(lines.len(), 550, "the limit does not cut an export");
    let request_ids: Vec<String> = lines
        .iter()
        .map(|e| e["request_id"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (0..1100)
        .rev()
        .filter(|i| i % 2 == 0)
        .map(|i| format!("bulk-{i}"))
        .collect();
    assert_eq!(request_ids, expected);

    // An export can start at a cursor, like a page.
    let first_page: Value = app
        .admin(Method::GET, "/v1/audit-events?actor=key_odd&limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cursor = first_page["next_cursor"].as_str().unwrap();
    let rest = app
        .admin(
            Method::GET,
            &format!("/v1/audit-events?actor=key_odd&cursor={cursor}"),
        )
        .header("Accept", "application/x-ndjson")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rest.lines().count(), 450);
    let first: Value = serde_json::from_str(rest.lines().next().unwrap()).unwrap();
    assert_eq!(first["request_id"], "bulk-899");
}

#[tokio::test]
async fn the_audit_log_needs_audit_read_or_admin_and_reads_are_not_audited_by_default() {
    let app = spawn_app(Db::Sqlite).await;
    let (_, reader) = app.create_key("reader", &["read", "write"]).await;
    let (auditor_id, auditor) = app.create_key("auditor", &["audit:read"]).await;
    for path in [
        "/v1/audit-events",
        "/v1/audit-events/verify",
        "/v1/audit-events/aud_01JDQ7A2V5K8M3N6P9R2T4W7XZ",
    ] {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["detail"], "this API key lacks the 'audit:read' scope");
    }
    let listing: Value = app
        .client
        .get(app.url("/v1/audit-events"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations: Vec<&str> = listing["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, vec!["api_keys.create", "api_keys.create"]);
    assert!(
        events(&app, &format!("actor={auditor_id}"))
            .await
            .is_empty(),
        "the auditor's reads are not audited"
    );
    let missing = app
        .client
        .get(app.url("/v1/audit-events/aud_01JDQ7A2V5K8M3N6P9R2T4W7XZ"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    let (status, _) = problem(missing).await;
    assert_eq!(status, 404);
    let malformed = app
        .client
        .get(app.url("/v1/audit-events/key_01JDQ7A2V5K8M3N6P9R2T4W7XZ"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    let (status, body) = problem(malformed).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("id")));
}

#[tokio::test]
async fn with_audit_reads_on_a_read_is_recorded_with_its_query() {
    let app = spawn_app_with_sims(Db::Postgres, &[("PGW_AUDIT_READS", "true")]).await;
    let rid = request_id();
    let response = app
        .admin(Method::GET, "/v1/proxy-users?account=911proxy&limit=5")
        .header("X-Request-Id", &rid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["method"], "GET");
    assert_eq!(event["operation"], "proxy_users.list");
    assert_eq!(event["account"], "911proxy");
    assert_eq!(event["provider"], "911proxy");
    assert_eq!(event["outcome"], "succeeded");
    assert_eq!(event["status"], 200);
    assert_eq!(event["upstream"]["status"], 200);
    assert_eq!(
        event["request"],
        json!({"query": {"account": "911proxy", "limit": "5"}})
    );
    let time = time::OffsetDateTime::parse(event["occurred_at"].as_str().unwrap(), &Rfc3339);
    assert!(time.is_ok());
}

#[tokio::test]
async fn without_audit_reads_a_read_leaves_no_event() {
    let app = spawn_app_with(Db::Sqlite, &[]).await;
    let rid = request_id();
    let response = app
        .admin(Method::GET, "/v1/api-keys")
        .header("X-Request-Id", &rid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(events(&app, &format!("request_id={rid}")).await.is_empty());
}
