//! `Idempotency-Key` on writes (overview "幂等性").

use proxy_gateway::sim::helodata::SUBUSERS_TOKEN;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Resp, Sim, start};

async fn post_with_key(sim: &Sim, token: &str, path: &str, body: &Value, key: &str) -> Resp {
    sim.call(
        Method::POST,
        path,
        Some(token),
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

#[tokio::test]
async fn the_same_key_and_body_replay_the_first_response_and_create_once() {
    let sim = start().await;
    let body = json!({ "label": "idem", "products": ["residential"] });
    let first = post_with_key(&sim, &sim.token, "/subusers", &body, "create-idem-1").await;
    assert_eq!(first.status, 201);
    assert!(first.header("idempotent-replayed").is_none());
    let second = post_with_key(&sim, &sim.token, "/subusers", &body, "create-idem-1").await;
    assert_eq!(second.status, 201);
    assert_eq!(
        second.bytes, first.bytes,
        "byte-identical, password included"
    );
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    // The replay still gets its own request id.
    assert_ne!(
        second.header("x-helodata-request-id"),
        first.header("x-helodata-request-id")
    );
    let labels: Vec<Value> = sim
        .get("/subusers?label_contains=idem")
        .await
        .data()
        .iter()
        .map(|s| s["label"].clone())
        .collect();
    assert_eq!(labels, [json!("idem")]);
}

#[tokio::test]
async fn the_same_json_with_other_key_order_or_spacing_is_the_same_request() {
    let sim = start().await;
    let first = sim
        .call(
            Method::POST,
            "/orders",
            Some(&sim.token),
            Some(&json!({ "product": "residential", "gb": 50 })),
            &[("idempotency-key", "order-2026-05-28-001")],
        )
        .await;
    assert_eq!(first.status, 201);
    let res = reqwest::Client::new()
        .post(sim.url("/orders"))
        .bearer_auth(&sim.token)
        .header("idempotency-key", "order-2026-05-28-001")
        .header("content-type", "application/json")
        .body("{ \"gb\" : 50,\n \"product\": \"residential\" }")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status().as_u16(), 201);
    let bytes = res.bytes().await.expect("body");
    assert_eq!(bytes.as_ref(), first.bytes.as_slice());
    assert_eq!(sim.get("/orders").await.data().len(), 10, "9 seeded + 1");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_changes_nothing() {
    let sim = start().await;
    let key = "order-reuse";
    let first = post_with_key(
        &sim,
        &sim.token,
        "/orders",
        &json!({ "product": "residential", "gb": 50 }),
        key,
    )
    .await;
    assert_eq!(first.status, 201);
    let other = post_with_key(
        &sim,
        &sim.token,
        "/orders",
        &json!({ "product": "residential", "gb": 51 }),
        key,
    )
    .await;
    other.assert_error(422, "idempotency_key_reused", Some("Idempotency-Key"));
    // Another path under the same key is another request too.
    let elsewhere = post_with_key(
        &sim,
        &sim.token,
        "/subusers",
        &json!({ "label": "x", "products": ["residential"] }),
        key,
    )
    .await;
    elsewhere.assert_error(422, "idempotency_key_reused", Some("Idempotency-Key"));
    assert_eq!(sim.get("/orders").await.data().len(), 10);
}

#[tokio::test]
async fn keys_are_scoped_per_token() {
    let sim = start().await;
    let body = json!({ "label": "scoped", "products": ["residential"] });
    let a = post_with_key(&sim, &sim.token, "/subusers", &body, "shared-key").await;
    let b = post_with_key(&sim, SUBUSERS_TOKEN, "/subusers", &body, "shared-key").await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(
        sim.get("/subusers?label_contains=scoped")
            .await
            .data()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_refused_write_is_not_remembered_and_bad_keys_are_400() {
    let sim = start().await;
    let bad = post_with_key(
        &sim,
        &sim.token,
        "/subusers",
        &json!({ "label": "retry" }),
        "fix-and-retry",
    )
    .await;
    bad.assert_error(400, "invalid_argument", Some("products"));
    let fixed = post_with_key(
        &sim,
        &sim.token,
        "/subusers",
        &json!({ "label": "retry", "products": ["residential"] }),
        "fix-and-retry",
    )
    .await;
    assert_eq!(fixed.status, 201, "{}", fixed.body);

    let long = "k".repeat(65);
    post_with_key(
        &sim,
        &sim.token,
        "/subusers",
        &json!({ "label": "long", "products": ["residential"] }),
        &long,
    )
    .await
    .assert_error(400, "invalid_argument", Some("Idempotency-Key"));
    let ok = post_with_key(
        &sim,
        &sim.token,
        "/subusers",
        &json!({ "label": "max", "products": ["residential"] }),
        &"k".repeat(64),
    )
    .await;
    assert_eq!(ok.status, 201);
}

#[tokio::test]
async fn a_retried_delete_replays_its_204() {
    let sim = start().await;
    let id = sim.create_subuser("to-delete").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/subusers/{id}");
    let del = |key: &'static str| {
        let path = path.clone();
        let sim = &sim;
        async move {
            sim.call(
                Method::DELETE,
                &path,
                Some(&sim.token),
                None,
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    assert_eq!(del("del-1").await.status, 204);
    let again = del("del-1").await;
    assert_eq!(again.status, 204, "a retried delete replays its 204");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    del("del-2").await.assert_error(404, "not_found", None);
}
