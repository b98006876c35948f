//! Every failure path answers in the one problem+json shape, with the request id of the
//! response header in the body; authentication and scopes are enforced on `/v1`.

use reqwest::Method;
use serde_json::json;

use crate::support::{Db, problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn missing_key_is_401_naming_the_authorization_header() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .client
        .get(app.url("/v1/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"proxy-gateway\""
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthenticated");
    assert_eq!(body["field"], "Authorization");
    assert_eq!(body["type"], "urn:proxy-gateway:problem:unauthenticated");
    assert_eq!(body["retryable"], false);
}

#[tokio::test]
async fn malformed_and_unknown_keys_are_401() {
    let app = spawn_app(Db::Sqlite).await;
    let unknown = proxy_gateway::domain::api_keys::Token::generate();
    for token in ["not-a-key", "pgw_short", unknown.expose()] {
        let response = app
            .client
            .get(app.url("/v1/api-keys"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(body["code"], "unauthenticated");
        assert!(
            !body.to_string().contains(token),
            "the token is never echoed"
        );
    }
}

#[tokio::test]
async fn a_key_with_the_same_prefix_but_another_secret_is_refused() {
    let app = spawn_app(Db::Sqlite).await;
    let forged = format!(
        "{}{}",
        &app.admin_token[..20],
        "A".repeat(app.admin_token.len() - 20)
    );
    assert_ne!(forged, app.admin_token);
    let response = app
        .client
        .get(app.url("/v1/api-keys"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 401);
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(db).await;
        let (id, token) = app.create_key("to-revoke", &["admin"]).await;
        let ok = app
            .client
            .get(app.url("/v1/api-keys"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{db:?}");
        let revoked = app
            .admin(Method::DELETE, &format!("/v1/api-keys/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 204);
        let response = app
            .client
            .get(app.url("/v1/api-keys"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 401, "{db:?}");
        assert_eq!(body["detail"], "the API key has been revoked");
    }
}

#[tokio::test]
async fn a_read_key_gets_403_on_admin_routes() {
    let app = spawn_app(Db::Sqlite).await;
    let (_, token) = app.create_key("reader", &["read"]).await;
    let requests = [
        app.client.get(app.url("/v1/api-keys")),
        app.client
            .post(app.url("/v1/api-keys"))
            .json(&json!({"name": "x", "scopes": ["read"]})),
        app.client
            .delete(app.url("/v1/api-keys/key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")),
    ];
    for request in requests {
        let response = request.bearer_auth(&token).send().await.unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 403);
        assert_eq!(body["code"], "permission_denied");
        assert_eq!(body["detail"], "this API key lacks the 'admin' scope");
    }
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field() {
    let app = spawn_app(Db::Sqlite).await;
    let cases: [(&str, &str); 7] = [
        (r#"{"scopes":["read"]}"#, "name"),
        (r#"{"name":"svc"}"#, "scopes"),
        (r#"{"name":42,"scopes":["read"]}"#, "name"),
        (r#"{"name":"svc","scopes":"read"}"#, "scopes"),
        (r#"{"name":"svc","scopes":["root"]}"#, "scopes[0]"),
        (
            r#"{"name":"svc","scopes":["read"],"colour":"red"}"#,
            "colour",
        ),
        (r#"{"name":"svc","scopes":["read""#, "body"),
    ];
    for (body, field) in cases {
        let response = app
            .admin(Method::POST, "/v1/api-keys")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, problem) = problem(response).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(problem["code"], "invalid_argument", "{body}");
        assert_eq!(problem["field"], field, "{body}");
    }
}

#[tokio::test]
async fn invalid_values_are_400_naming_the_field() {
    let app = spawn_app(Db::Sqlite).await;
    let cases = [
        (json!({"name": "   ", "scopes": ["read"]}), "name"),
        (json!({"name": "svc", "scopes": []}), "scopes"),
        (
            json!({"name": "svc", "scopes": ["read"], "accounts": ["Not Valid"]}),
            "accounts",
        ),
        (
            json!({"name": "svc", "scopes": ["read"], "accounts": []}),
            "accounts",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .admin(Method::POST, "/v1/api-keys")
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, problem) = problem(response).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(problem["field"], field, "{body}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .admin(Method::POST, "/v1/api-keys")
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 415);
    assert_eq!(body["code"], "unsupported_media_type");
    assert_eq!(body["field"], "Content-Type");
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_in_the_error_shape() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .admin(Method::GET, "/v1/nothing-here")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");

    let response = app.admin(Method::PUT, "/v1/api-keys").send().await.unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_string();
    let (status, body) = problem(response).await;
    assert_eq!(status, 405);
    assert_eq!(body["code"], "method_not_allowed");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(Db::Sqlite, &[("PGW_BODY_LIMIT_BYTES", "4096")]).await;
    let big = json!({"name": "x".repeat(10_000), "scopes": ["read"]});
    let response = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&big)
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn a_safe_caller_request_id_is_echoed_and_an_unsafe_one_replaced() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .client
        .get(app.url("/v1/api-keys"))
        .header("x-request-id", "trace-42.abc:1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-42.abc:1");
    let (_, body) = problem(response).await;
    assert_eq!(body["request_id"], "trace-42.abc:1");

    let response = app
        .client
        .get(app.url("/v1/api-keys"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("req_") && id.len() == 30, "{id}");
    let (_, body) = problem(response).await;
    assert_eq!(body["request_id"], id.as_str());

    let ok = app.admin(Method::GET, "/v1/api-keys").send().await.unwrap();
    assert!(
        ok.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    assert!(
        ok.headers()["server-timing"]
            .to_str()
            .unwrap()
            .starts_with("upstream;dur=")
    );
}

#[tokio::test]
async fn probes_need_no_key_and_readyz_names_the_store() {
    let app = spawn_app(Db::Sqlite).await;
    let health: serde_json::Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok"}));
    let ready: serde_json::Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready, json!({"status": "ready", "store": "sqlite"}));
}

#[tokio::test]
async fn readyz_is_503_when_the_postgres_database_goes_away() {
    let app = spawn_app(Db::Postgres).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&crate::support::test_database_url())
            .await
            .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "service_unavailable");
    assert_eq!(body["retryable"], true);
    // An authenticated route answers 503 too, never a 500 or a hang.
    let response = app.admin(Method::GET, "/v1/api-keys").send().await.unwrap();
    assert_eq!(problem(response).await.0, 503);
}
