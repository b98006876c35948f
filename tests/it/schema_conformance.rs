//! The API answers as its OpenAPI document says, for the cases schemathesis found wrong: a
//! method a route does not serve, whole numbers written as floats, a `null` body, times at the
//! ends of the calendar, `null` where a field cannot be cleared, and the limits of query text.

use reqwest::Method;
use serde_json::json;

use crate::support::{Db, problem, spawn_app, spawn_app_with_sims};

#[tokio::test]
async fn a_method_a_route_does_not_serve_is_405_before_the_idempotency_guard() {
    let app = spawn_app(Db::Sqlite).await;
    let created = app
        .admin(Method::POST, "/v1/api-keys")
        .header("Idempotency-Key", "k-405")
        .json(&json!({"name": "svc", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // The same key with another method: the route has no PUT, so this is 405, not 422
    // idempotency_key_reused, and nothing is claimed.
    let put = app
        .admin(Method::PUT, "/v1/api-keys")
        .header("Idempotency-Key", "k-405")
        .json(&json!({"name": "other", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.headers()["allow"], "GET,HEAD,POST");
    let (status, body) = problem(put).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );

    // Also without a key at all: the method is wrong whoever asks.
    let anonymous = app
        .client
        .delete(app.url("/v1/proxy-users/batch"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.headers()["allow"], "POST");
    assert_eq!(problem(anonymous).await.0, 405);
}

#[tokio::test]
async fn whole_numbers_written_as_floats_are_integers() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let created = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&json!({"account": "911proxy", "products": ["residential"], "traffic_limit_bytes": 5368709120.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user: serde_json::Value = created.json().await.unwrap();
    assert_eq!(user["traffic_limit_bytes"], 5368709120u64);

    let fraction = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&json!({"account": "911proxy", "products": ["residential"], "traffic_limit_bytes": 1.5}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(fraction).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("traffic_limit_bytes"))
    );
}

#[tokio::test]
async fn rotate_password_takes_a_null_body_as_no_body() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let user: serde_json::Value = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&json!({"account": "911proxy", "products": ["residential"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = user["id"].as_str().unwrap();
    let rotated = app
        .admin(
            Method::POST,
            &format!("/v1/proxy-users/{id}/rotate-password"),
        )
        .header("content-type", "application/json")
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    let rotated: serde_json::Value = rotated.json().await.unwrap();
    assert_ne!(rotated["password"], user["password"]);
}

#[tokio::test]
async fn usage_times_at_the_ends_of_the_calendar_are_400_not_500() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    for (query, field) in [
        // 9999-12-31T23:30-05:00 is in year 10000 in UTC: converting it used to panic (500).
        (
            "from=9999-12-31T23:00:00-05:00&to=9999-12-31T23:30:00-05:00",
            "to",
        ),
        ("from=0000-01-01T05:00:00%2B08:00&to=0000-01-02", "from"),
        // The default `from` (7 days before `to`) would be before year 0000.
        ("to=0000-01-03", "from"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/v1/usage?{query}"))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}"
        );
    }
    let ok = app
        .admin(Method::GET, "/v1/usage?from=0000-01-01&to=0000-01-02")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_patch_refuses_null_for_fields_that_cannot_be_cleared() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    for field in ["status", "concurrency_max", "rps_max", "password"] {
        let response = app
            .admin(Method::PATCH, "/v1/proxy-users/911proxy:user01")
            .json(&json!({ field: null }))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!((status, body["field"].as_str()), (400, Some(field)));
    }
}

#[tokio::test]
async fn query_text_follows_the_documented_enums_and_limits() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let long = "a".repeat(257);
    for (query, field) in [
        (format!("label_contains={long}"), "label_contains"),
        (format!("username_prefix={long}"), "username_prefix"),
        ("include=".to_string(), "include"),
        ("include=token".to_string(), "include"),
        ("product=other".to_string(), "product"),
        // `?limit=` is not an integer; serde_html_form used to read it as absent.
        ("limit=".to_string(), "limit"),
        ("limit=5x".to_string(), "limit"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/v1/proxy-users?{query}"))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}"
        );
    }
    let fine = app
        .admin(
            Method::GET,
            &format!("/v1/proxy-users?label_contains={}", "a".repeat(256)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn caps_fit_the_documented_32_bit_integer() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    // 2^31 fits a u32 but not the document's int32: refused before the account's provider is
    // asked (911 would otherwise answer 501, helodata would take it).
    for account in ["911proxy", "helodata"] {
        let response = app
            .admin(Method::POST, "/v1/proxy-users")
            .json(&json!({"account": account, "products": ["residential"], "label": "caps", "rps_max": 2147483648u64}))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("rps_max")),
            "{account}"
        );
    }
}

#[tokio::test]
async fn an_audit_event_without_query_or_body_shows_request_null_as_the_document_allows() {
    let app = spawn_app(Db::Sqlite).await;
    let created: serde_json::Value = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "svc", "scopes": ["read"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let revoked = app
        .admin(Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let events: serde_json::Value = app
        .admin(Method::GET, "/v1/audit-events?limit=10")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let delete = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == "DELETE")
        .expect("the revocation's event");
    assert_eq!(delete["request"], serde_json::Value::Null);
    let spec: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema = &spec["components"]["schemas"]["AuditEventView"]["properties"]["request"];
    assert!(
        schema.to_string().contains("\"null\""),
        "request is declared nullable: {schema}"
    );
}

#[tokio::test]
async fn every_operation_routed_to_a_provider_declares_501_and_the_document_says_why() {
    let app = spawn_app(Db::Sqlite).await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let description = spec["info"]["description"].as_str().unwrap();
    assert!(
        description.contains(
            "Every operation routed to a provider declares `501 unsupported_by_provider`"
        )
    );
    // The gateway's own resources never reach a provider's capabilities.
    let own = ["/v1/api-keys", "/v1/audit-events", "/v1/providers"];
    let mut checked = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") || own.iter().any(|o| path.starts_with(o)) {
            continue;
        }
        for (method, operation) in operations.as_object().unwrap() {
            if !["get", "post", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                operation["responses"].get("501").is_some(),
                "{method} {path} does not declare 501"
            );
            checked += 1;
        }
    }
    assert!(checked >= 29, "{checked} operations");
}
