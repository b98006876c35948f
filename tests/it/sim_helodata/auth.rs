//! Bearer tokens and scopes (§3).

use proxy_gateway::sim::helodata::{
    ORDERS_TOKEN, READ_ONLY_TOKEN, SUBUSERS_TOKEN, SimToken, TRAFFIC_TOKEN,
};
use reqwest::Method;
use serde_json::json;

use super::support::start;
use super::support::start_with;

#[tokio::test]
async fn no_token_or_a_bad_token_is_401_in_helodatas_error_shape() {
    let sim = start().await;
    let none = sim.call(Method::GET, "/users/me", None, None, &[]).await;
    none.assert_error(401, "unauthenticated", None);
    assert!(none.header("x-ratelimit-limit").is_none());
    sim.get_as("hel_live_wrong", "/users/me")
        .await
        .assert_error(401, "unauthenticated", None);
    let basic = sim
        .call(
            Method::GET,
            "/users/me",
            None,
            None,
            &[("authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    basic.assert_error(401, "unauthenticated", None);
    // Writes and unknown paths are refused before anything else.
    sim.call(Method::POST, "/subusers", None, Some(&json!({})), &[])
        .await
        .assert_error(401, "unauthenticated", None);
    sim.call(Method::GET, "/nowhere", None, None, &[])
        .await
        .assert_error(401, "unauthenticated", None);
}

#[tokio::test]
async fn a_read_only_token_reads_everything_and_writes_nothing() {
    let sim = start().await;
    for path in [
        "/users/me",
        "/subusers",
        "/orders",
        "/isp/batches",
        "/invoices",
    ] {
        assert_eq!(
            sim.get_as(READ_ONLY_TOKEN, path).await.status,
            200,
            "{path}"
        );
    }
    let create = sim
        .call(
            Method::POST,
            "/subusers",
            Some(READ_ONLY_TOKEN),
            Some(&json!({ "label": "x", "products": ["residential"] })),
            &[],
        )
        .await;
    create.assert_error(403, "permission_denied", None);
    assert!(
        create.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("subusers:write")
    );
    assert_eq!(
        sim.get("/subusers").await.data().len(),
        12,
        "nothing was created"
    );
    for (method, path) in [
        (Method::POST, "/orders"),
        (Method::POST, "/whitelists"),
        (Method::POST, "/reports"),
        (Method::PATCH, "/users/me"),
    ] {
        sim.call(method, path, Some(READ_ONLY_TOKEN), Some(&json!({})), &[])
            .await
            .assert_error(403, "permission_denied", None);
    }
}

#[tokio::test]
async fn write_scopes_open_their_own_resources_only() {
    let sim = start().await;
    let sub = sim
        .call(
            Method::POST,
            "/subusers",
            Some(SUBUSERS_TOKEN),
            Some(&json!({ "label": "by-scope", "products": ["residential"] })),
            &[],
        )
        .await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    sim.call(
        Method::POST,
        "/orders",
        Some(SUBUSERS_TOKEN),
        Some(&json!({ "product": "residential", "gb": 1 })),
        &[],
    )
    .await
    .assert_error(403, "permission_denied", None);
    let order = sim
        .call(
            Method::POST,
            "/orders",
            Some(ORDERS_TOKEN),
            Some(&json!({ "product": "residential", "gb": 1 })),
            &[],
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    sim.call(
        Method::DELETE,
        &format!("/subusers/{}", sub.body["id"].as_str().unwrap_or("")),
        Some(ORDERS_TOKEN),
        None,
        &[],
    )
    .await
    .assert_error(403, "permission_denied", None);
    // traffic:read alone does not read sub-users.
    sim.get_as(TRAFFIC_TOKEN, "/users/me")
        .await
        .assert_error(403, "permission_denied", None);
}

#[tokio::test]
async fn configured_extra_tokens_replace_the_default_ones() {
    let sim = start_with(|o| {
        o.helodata.extra_tokens = Some(vec![SimToken {
            id: "tok_custom".into(),
            token: "hel_live_custom".into(),
            name: "custom".into(),
            scopes: vec!["whitelists:write".into()],
        }])
    })
    .await;
    sim.get_as(READ_ONLY_TOKEN, "/users/me")
        .await
        .assert_error(401, "unauthenticated", None);
    sim.get_as("hel_live_custom", "/users/me")
        .await
        .assert_error(403, "permission_denied", None);
    let r = sim
        .call(
            Method::POST,
            "/whitelists",
            Some("hel_live_custom"),
            Some(&json!({})),
            &[],
        )
        .await;
    r.assert_error(400, "invalid_argument", Some("subuser"));
}

#[tokio::test]
async fn a_custom_api_key_is_the_full_access_token() {
    let sim = start_with(|o| o.api_key = "K".into()).await;
    assert_eq!(sim.get_as("K", "/users/me").await.status, 200);
    sim.get_as(&super::support::main_token(), "/users/me")
        .await
        .assert_error(401, "unauthenticated", None);
}
