//! `/v1/api-keys`: create (token once), list with cursor pagination, read, revoke, restrictions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Db, problem, spawn_app};

#[tokio::test]
async fn create_returns_the_token_once_and_reads_never_show_it() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(db).await;
        let response = app
            .admin(Method::POST, "/v1/api-keys")
            .json(&json!({"name": " billing-service ", "scopes": ["write", "read"], "accounts": ["helodata"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        let created: Value = response.json().await.unwrap();
        let token = created["token"].as_str().unwrap();
        let id = created["id"].as_str().unwrap();
        assert!(token.starts_with("pgw_") && token.len() == 47, "{token}");
        assert!(id.starts_with("key_"));
        assert_eq!(location, format!("/v1/api-keys/{id}"));
        assert_eq!(created["name"], "billing-service");
        assert_eq!(created["scopes"], json!(["read", "write"]));
        assert_eq!(created["accounts"], json!(["helodata"]));
        assert_eq!(created["status"], "active");
        assert_eq!(created["token_prefix"], &token[..16]);
        assert_eq!(created["last_used_at"], Value::Null);

        let read: Value = app
            .admin(Method::GET, &location)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(read["id"], id);
        assert!(read.get("token").is_none());
        let list = app
            .admin(Method::GET, "/v1/api-keys")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!list.contains(token), "{db:?}: no token in lists");
        assert!(
            !list.contains(&app.admin_token),
            "{db:?}: no token in lists"
        );

        // The new key works and its last use is recorded.
        let status = app
            .client
            .get(app.url("/v1/api-keys"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 403, "a read/write key is not admin");
        let read: Value = app
            .admin(Method::GET, &location)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(read["last_used_at"].is_string(), "{db:?}: {read}");
    }
}

#[tokio::test]
async fn listing_walks_every_key_once_through_cursor_and_link_header() {
    let app = spawn_app(Db::Postgres).await;
    for i in 0..5 {
        app.create_key(&format!("svc-{i}"), &["read"]).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/api-keys?limit=2".to_string();
    let mut pages = 0;
    loop {
        let response = app.admin(Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        pages += 1;
        for key in body["data"].as_array().unwrap() {
            seen.push(key["name"].as_str().unwrap().to_string());
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("Link header when there is a next page");
                assert_eq!(
                    link,
                    format!("</v1/api-keys?cursor={cursor}&limit=2>; rel=\"next\"")
                );
                path = format!("/v1/api-keys?cursor={cursor}&limit=2");
            }
            None => {
                assert!(link.is_none());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "bootstrap-admin",
            "svc-0",
            "svc-1",
            "svc-2",
            "svc-3",
            "svc-4"
        ]
    );
}

#[tokio::test]
async fn bad_pagination_parameters_are_400_naming_them() {
    let app = spawn_app(Db::Sqlite).await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=abc", "limit"),
        ("cursor=***", "cursor"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/v1/api-keys?{query}"))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["field"], field, "{query}");
    }
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404_or_400() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .admin(Method::GET, "/v1/api-keys/key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 404);
    let response = app
        .admin(
            Method::DELETE,
            "/v1/api-keys/key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 404);
    let response = app
        .admin(Method::GET, "/v1/api-keys/nope")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "id");
}

#[tokio::test]
async fn revoking_twice_is_not_an_error_and_keeps_the_first_time() {
    let app = spawn_app(Db::Sqlite).await;
    let (id, _) = app.create_key("twice", &["read"]).await;
    let path = format!("/v1/api-keys/{id}");
    assert_eq!(
        app.admin(Method::DELETE, &path)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let first: Value = app
        .admin(Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.admin(Method::DELETE, &path)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let second: Value = app
        .admin(Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "revoked");
    assert_eq!(first["revoked_at"], second["revoked_at"]);
}
