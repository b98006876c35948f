//! `/subusers` endpoint by endpoint (§5.2).

use serde_json::{Value, json};

use super::support::{is_id, is_rfc3339_utc, keys, names, start};

const ITEM: &[&str] = &[
    "id",
    "name",
    "label",
    "products",
    "status",
    "concurrent_max",
    "rps_max",
    "created_at",
];

fn is_subuser_name(v: &Value) -> bool {
    v.as_str().is_some_and(|n| {
        n.len() == 11
            && n.starts_with('s')
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[tokio::test]
async fn list_items_have_exactly_the_documented_fields() {
    let sim = start().await;
    let r = sim.get("/subusers").await;
    assert_eq!(r.status, 200);
    assert_eq!(keys(&r.body), names(&["data", "next_cursor"]));
    assert_eq!(r.body["next_cursor"], Value::Null);
    assert_eq!(r.data().len(), 12);
    for s in r.data() {
        assert_eq!(keys(s), names(ITEM));
        assert!(is_id(&s["id"], "sub"));
        assert!(is_subuser_name(&s["name"]), "{}", s["name"]);
        assert!(s["products"].as_array().is_some_and(|p| !p.is_empty()));
        assert!(s["concurrent_max"].is_u64() && s["rps_max"].is_u64());
        assert!(is_rfc3339_utc(&s["created_at"]));
    }
    let first = &r.data()[0];
    assert_eq!(first["label"], "acme-prod");
    assert_eq!(first["products"], json!(["residential", "mobile"]));
    assert_eq!(first["status"], "active");
}

#[tokio::test]
async fn list_filters_by_product_status_and_label() {
    let sim = start().await;
    let disabled = sim.get("/subusers?status=disabled").await;
    let labels: Vec<&str> = disabled
        .data()
        .iter()
        .filter_map(|s| s["label"].as_str())
        .collect();
    assert_eq!(labels, ["research", "legacy-backup"]);
    let isp = sim.get("/subusers?product=isp").await;
    let labels: Vec<&str> = isp
        .data()
        .iter()
        .filter_map(|s| s["label"].as_str())
        .collect();
    assert_eq!(labels, ["price-monitor", "isp-static"]);
    let scrapers = sim.get("/subusers?label_contains=SCRAPER").await;
    assert_eq!(scrapers.data().len(), 2);
    sim.get("/subusers?status=paused")
        .await
        .assert_error(400, "invalid_argument", Some("status"));
    sim.get("/subusers?product=datacenter").await.assert_error(
        400,
        "invalid_argument",
        Some("product"),
    );
}

#[tokio::test]
async fn create_answers_id_name_password_label_products_only() {
    let sim = start().await;
    let r = sim
        .post(
            "/subusers",
            &json!({ "label": "acme-staging", "products": ["residential"],
                     "concurrent_max": 200, "rps_max": 500 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        keys(&r.body),
        names(&["id", "name", "password", "label", "products"])
    );
    assert!(is_id(&r.body["id"], "sub"));
    assert!(is_subuser_name(&r.body["name"]));
    assert_eq!(r.body["password"].as_str().map(str::len), Some(16));
    assert_eq!(r.body["label"], "acme-staging");
    assert_eq!(r.body["products"], json!(["residential"]));

    // The password is never shown again (SUB).
    let id = r.body["id"].as_str().expect("id");
    let got = sim.get(&format!("/subusers/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(keys(&got.body), names(ITEM));
    assert_eq!(got.body["concurrent_max"], 200);
    assert_eq!(got.body["rps_max"], 500);
    assert_eq!(got.body["status"], "active");
}

#[tokio::test]
async fn create_validates_every_field_and_names_it() {
    let sim = start().await;
    let cases = [
        (json!({ "products": ["residential"] }), "label"),
        (
            json!({ "label": "a b!", "products": ["residential"] }),
            "label",
        ),
        (json!({ "label": "x" }), "products"),
        (json!({ "label": "x", "products": [] }), "products"),
        (
            json!({ "label": "x", "products": ["datacenter"] }),
            "products",
        ),
        (
            json!({ "label": "x", "products": ["residential", "residential"] }),
            "products",
        ),
        // Pro caps residential at 600 concurrent and 1,000 rps (§4).
        (
            json!({ "label": "x", "products": ["residential"], "concurrent_max": 601 }),
            "concurrent_max",
        ),
        (
            json!({ "label": "x", "products": ["residential"], "rps_max": 0 }),
            "rps_max",
        ),
        (
            json!({ "label": "x", "products": ["mobile"], "rps_max": 501 }),
            "rps_max",
        ),
        (
            json!({ "label": "x", "products": ["residential"], "name": "s0000000000" }),
            "name",
        ),
    ];
    for (body, field) in cases {
        let r = sim.post("/subusers", &body).await;
        r.assert_error(400, "invalid_argument", Some(field));
    }
    let r = sim
        .call(
            reqwest::Method::POST,
            "/subusers",
            Some(&sim.token),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    r.assert_error(400, "invalid_argument", Some("label"));
    // SUB's own example: residential+mobile at 600/1000 is within the Pro residential caps.
    let r = sim
        .post(
            "/subusers",
            &json!({ "label": "acme-prod-2", "products": ["residential", "mobile"],
                     "concurrent_max": 600, "rps_max": 1000 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn get_patch_rotate_and_delete_of_an_unknown_id_are_404() {
    let sim = start().await;
    sim.get("/subusers/sub_nope")
        .await
        .assert_error(404, "not_found", None);
    sim.patch("/subusers/sub_nope", &json!({ "label": "x" }))
        .await
        .assert_error(404, "not_found", None);
    sim.post("/subusers/sub_nope/rotate-password", &json!({}))
        .await
        .assert_error(404, "not_found", None);
    sim.delete("/subusers/sub_nope")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn patch_changes_label_limits_and_status_and_refuses_name_and_products() {
    let sim = start().await;
    let id = sim.create_subuser("before").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/subusers/{id}");
    let r = sim
        .patch(
            &path,
            &json!({ "label": "after", "concurrent_max": 10, "rps_max": 20, "status": "disabled" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(keys(&r.body), names(ITEM));
    assert_eq!(r.body["label"], "after");
    assert_eq!(r.body["concurrent_max"], 10);
    assert_eq!(r.body["rps_max"], 20);
    assert_eq!(r.body["status"], "disabled");
    sim.patch(&path, &json!({ "status": "paused" }))
        .await
        .assert_error(400, "invalid_argument", Some("status"));
    sim.patch(&path, &json!({ "name": "s1a2b3c4d5e" }))
        .await
        .assert_error(400, "invalid_argument", Some("name"));
    sim.patch(&path, &json!({ "products": ["mobile"] }))
        .await
        .assert_error(400, "invalid_argument", Some("products"));
    sim.patch(&path, &json!({ "concurrent_max": 100000 }))
        .await
        .assert_error(400, "invalid_argument", Some("concurrent_max"));
}

#[tokio::test]
async fn rotate_password_answers_a_new_password_each_time() {
    let sim = start().await;
    let created = sim.create_subuser("rotating").await;
    let id = created["id"].as_str().expect("id");
    let r = sim
        .post(&format!("/subusers/{id}/rotate-password"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(keys(&r.body), names(&["id", "name", "password"]));
    assert_eq!(r.body["id"], created["id"]);
    assert_eq!(r.body["name"], created["name"]);
    let first = r.body["password"].as_str().expect("password").to_string();
    assert_eq!(first.len(), 16);
    assert_ne!(Some(first.as_str()), created["password"].as_str());
    let again = sim
        .post(&format!("/subusers/{id}/rotate-password"), &json!({}))
        .await;
    assert_ne!(again.body["password"].as_str(), Some(first.as_str()));
}

#[tokio::test]
async fn delete_answers_204_and_refuses_while_an_isp_batch_is_bound() {
    let sim = start().await;
    let id = sim.create_subuser("short-lived").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = sim.delete(&format!("/subusers/{id}")).await;
    assert_eq!(r.status, 204);
    assert!(r.bytes.is_empty());
    sim.get(&format!("/subusers/{id}"))
        .await
        .assert_error(404, "not_found", None);

    // isp-static has the seeded US batch bound (D-SUB: unbind first).
    let isp_static = sim.get("/subusers?label_contains=isp-static").await.data()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    sim.delete(&format!("/subusers/{isp_static}"))
        .await
        .assert_error(409, "failed_precondition", None);
}
