//! `/orders` (§5.3) and `/subscriptions` (§5.5).

use proxy_gateway::sim::helodata::KycStatus;
use serde_json::json;

use super::support::{is_id, is_rfc3339_utc, keys, names, start, start_with};

async fn balance(sim: &super::support::Sim) -> f64 {
    sim.get("/users/me").await.body["balance"]["amount"]
        .as_f64()
        .expect("amount")
}

#[tokio::test]
async fn a_bandwidth_order_completes_at_once_as_in_the_example() {
    let sim = start().await;
    let before = balance(&sim).await;
    let r = sim
        .post("/orders", &json!({ "product": "residential", "gb": 50 }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        keys(&r.body),
        names(&[
            "id",
            "product",
            "status",
            "total_usd",
            "details",
            "created_at"
        ])
    );
    assert!(is_id(&r.body["id"], "ord"));
    assert_eq!(r.body["product"], "residential");
    assert_eq!(r.body["status"], "completed");
    assert_eq!(r.body["total_usd"], 225.0);
    assert_eq!(r.body["details"], json!({ "gb": 50, "price_per_gb": 4.5 }));
    assert!(is_rfc3339_utc(&r.body["created_at"]));
    let after = balance(&sim).await;
    assert!(
        (before - 225.0 - after).abs() < 0.001,
        "{before} -> {after}"
    );

    let mobile = sim
        .post("/orders", &json!({ "product": "mobile", "gb": 10 }))
        .await;
    assert_eq!(mobile.body["total_usd"], 80.0);
    assert_eq!(mobile.body["details"]["price_per_gb"], 8.0);
}

#[tokio::test]
async fn an_isp_order_is_provisioning_with_its_batch_as_in_the_example() {
    let sim = start().await;
    let r = sim
        .post(
            "/orders",
            &json!({ "product": "isp", "country": "us", "city": "newyork",
                     "quantity": 20, "months": 1 }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["total_usd"], 120.0);
    let d = &r.body["details"];
    assert_eq!(
        keys(d),
        names(&[
            "batch_id",
            "quantity",
            "country",
            "city",
            "asn",
            "expires_at"
        ])
    );
    assert!(is_id(&d["batch_id"], "bat"));
    assert_eq!(d["quantity"], 20);
    assert_eq!(d["country"], "us");
    assert_eq!(d["city"], "newyork");
    assert_eq!(d["asn"], serde_json::Value::Null);
    assert!(is_rfc3339_utc(&d["expires_at"]));

    // Annual billing is 10% off (D-ORD): 5 IPs × 12 months × 6.00 × 0.9.
    let annual = sim
        .post(
            "/orders",
            &json!({ "product": "isp", "country": "us", "asn": 7922, "quantity": 5, "months": 12 }),
        )
        .await;
    assert_eq!(annual.status, 201, "{}", annual.body);
    assert_eq!(annual.body["total_usd"], 324.0);
    assert_eq!(annual.body["details"]["asn"], 7922);
}

#[tokio::test]
async fn orders_are_listed_and_fetched() {
    let sim = start().await;
    let all = sim.get("/orders").await;
    assert_eq!(all.status, 200);
    assert_eq!(
        all.data().len(),
        9,
        "6 bandwidth and 3 ISP orders are seeded"
    );
    let isp = sim.get("/orders?product=isp").await;
    assert_eq!(isp.data().len(), 3);
    let created = sim
        .post("/orders", &json!({ "product": "residential", "gb": 1 }))
        .await;
    let id = created.body["id"].as_str().expect("id");
    let got = sim.get(&format!("/orders/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, created.body);
    assert_eq!(sim.get("/orders").await.data().last(), Some(&created.body));
    sim.get("/orders/ord_nope")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn order_input_is_checked_field_by_field() {
    let sim = start().await;
    let cases = [
        (json!({}), "product"),
        (json!({ "product": "datacenter", "gb": 5 }), "product"),
        (json!({ "product": "residential" }), "gb"),
        (json!({ "product": "residential", "gb": 0 }), "gb"),
        (json!({ "product": "residential", "gb": "50" }), "gb"),
        (
            json!({ "product": "isp", "quantity": 5, "months": 1 }),
            "country",
        ),
        (
            json!({ "product": "isp", "country": "xx", "quantity": 5, "months": 1 }),
            "country",
        ),
        (
            json!({ "product": "isp", "country": "us", "quantity": 4, "months": 1 }),
            "quantity",
        ),
        (
            json!({ "product": "isp", "country": "us", "quantity": 5001, "months": 1 }),
            "quantity",
        ),
        (
            json!({ "product": "isp", "country": "us", "quantity": 5 }),
            "months",
        ),
        (
            json!({ "product": "isp", "country": "tr", "city": "istanbul", "quantity": 5, "months": 1 }),
            "city",
        ),
        (
            json!({ "product": "isp", "country": "us", "city": "paris", "quantity": 5, "months": 1 }),
            "city",
        ),
        (
            json!({ "product": "isp", "country": "us", "asn": 3320, "quantity": 5, "months": 1 }),
            "asn",
        ),
        (
            json!({ "product": "isp", "country": "us", "quantity": 5, "months": 1, "subuser": "sub_nope" }),
            "subuser",
        ),
    ];
    for (body, field) in cases {
        sim.post("/orders", &body)
            .await
            .assert_error(400, "invalid_argument", Some(field));
    }
    let r = sim.post_raw_body("/orders", b"{not json").await;
    r.assert_error(400, "invalid_argument", None);
}

#[tokio::test]
async fn an_order_beyond_the_balance_is_402_insufficient_balance() {
    let sim = start().await;
    let before = balance(&sim).await;
    let r = sim
        .post(
            "/orders",
            &json!({ "product": "residential", "gb": 100000 }),
        )
        .await;
    r.assert_error(402, "insufficient_balance", None);
    assert_eq!(balance(&sim).await, before);
    assert_eq!(sim.get("/orders").await.data().len(), 9);
}

#[tokio::test]
async fn mobile_and_isp_need_kyc_but_residential_does_not() {
    let sim = start_with(|o| o.helodata.kyc_status = KycStatus::Pending).await;
    assert_eq!(sim.get("/users/me").await.body["kyc_status"], "pending");
    sim.post("/orders", &json!({ "product": "mobile", "gb": 1 }))
        .await
        .assert_error(403, "kyc_required", None);
    sim.post(
        "/orders",
        &json!({ "product": "isp", "country": "us", "quantity": 5, "months": 1 }),
    )
    .await
    .assert_error(403, "kyc_required", None);
    let r = sim
        .post("/orders", &json!({ "product": "residential", "gb": 1 }))
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn subscriptions_list_get_and_create_with_plan_prices() {
    let sim = start().await;
    let list = sim.get("/subscriptions").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.data().len(), 4);
    let bandwidth = &list.data()[0];
    assert_eq!(
        keys(bandwidth),
        names(&[
            "id",
            "product",
            "plan",
            "cycle",
            "gb_included",
            "price_usd",
            "status",
            "renews_at",
            "ends_at",
            "created_at"
        ])
    );
    assert!(is_id(&bandwidth["id"], "sbn"));
    let isp = list
        .data()
        .iter()
        .find(|s| s["product"] == "isp")
        .expect("an ISP subscription");
    assert_eq!(
        keys(isp),
        names(&[
            "id",
            "product",
            "batch_id",
            "cycle",
            "quantity",
            "price_usd",
            "status",
            "renews_at",
            "ends_at",
            "created_at"
        ])
    );
    assert_eq!(isp["quantity"], 10);
    assert_eq!(isp["price_usd"], 60.0);
    let active = sim.get("/subscriptions?status=active").await;
    assert_eq!(active.data().len(), 3);

    let r = sim
        .post(
            "/subscriptions",
            &json!({ "product": "residential", "plan": "pro", "cycle": "monthly" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["gb_included"], 500);
    assert_eq!(r.body["price_usd"], 1500.0);
    assert_eq!(r.body["status"], "active");
    assert!(is_rfc3339_utc(&r.body["renews_at"]));
    let id = r.body["id"].as_str().expect("id");
    assert_eq!(sim.get(&format!("/subscriptions/{id}")).await.body, r.body);

    let annual = sim
        .post(
            "/subscriptions",
            &json!({ "product": "mobile", "plan": "starter", "cycle": "annual" }),
        )
        .await;
    assert_eq!(annual.body["gb_included"], 25);
    // Starter gets no annual discount (B-PLN: Pro and up).
    assert_eq!(annual.body["price_usd"], 2400.0);
    sim.post(
        "/subscriptions",
        &json!({ "product": "mobile", "plan": "business", "cycle": "annual" }),
    )
    .await
    .assert_error(402, "insufficient_balance", None);

    for (body, field) in [
        (
            json!({ "product": "residential", "plan": "gold", "cycle": "monthly" }),
            "plan",
        ),
        (
            json!({ "product": "residential", "plan": "enterprise", "cycle": "monthly" }),
            "plan",
        ),
        (
            json!({ "product": "residential", "plan": "pro", "cycle": "weekly" }),
            "cycle",
        ),
        (json!({ "product": "isp", "cycle": "monthly" }), "batch_id"),
    ] {
        sim.post("/subscriptions", &body)
            .await
            .assert_error(400, "invalid_argument", Some(field));
    }
    sim.get("/subscriptions/sbn_nope")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn subscriptions_change_pause_and_cancel() {
    let sim = start().await;
    let r = sim
        .post(
            "/subscriptions",
            &json!({ "product": "residential", "plan": "starter", "cycle": "monthly" }),
        )
        .await;
    let path = format!("/subscriptions/{}", r.body["id"].as_str().expect("id"));
    let renews_at = r.body["renews_at"].clone();

    let r = sim
        .patch(&path, &json!({ "plan": "pro", "cycle": "annual" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["plan"], "pro");
    assert_eq!(r.body["cycle"], "annual");
    assert_eq!(r.body["price_usd"], 16200.0);
    sim.patch(&path, &json!({ "quantity": 10 }))
        .await
        .assert_error(400, "invalid_argument", Some("quantity"));

    let r = sim.post(&format!("{path}/pause"), &json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "paused");
    assert_eq!(r.body["renews_at"], serde_json::Value::Null);
    assert_eq!(r.body["ends_at"], renews_at);
    sim.post(&format!("{path}/pause"), &json!({}))
        .await
        .assert_error(409, "failed_precondition", None);

    let r = sim.post(&format!("{path}/cancel"), &json!({})).await;
    assert_eq!(r.body["status"], "canceled");
    assert_eq!(r.body["ends_at"], renews_at);
    sim.post(&format!("{path}/cancel"), &json!({}))
        .await
        .assert_error(409, "failed_precondition", None);
    sim.patch(&path, &json!({ "cycle": "monthly" }))
        .await
        .assert_error(409, "failed_precondition", None);
}

#[tokio::test]
async fn an_isp_subscription_renews_a_batch_and_only_one_per_batch() {
    let sim = start().await;
    let batches = sim.get("/isp/batches").await;
    let de = batches
        .data()
        .iter()
        .find(|b| b["country"] == "de")
        .expect("the seeded DE batch");
    let r = sim
        .post(
            "/subscriptions",
            &json!({ "product": "isp", "batch_id": de["id"], "cycle": "annual" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["batch_id"], de["id"]);
    assert_eq!(r.body["quantity"], 5);
    // 5 IPs × 5.50 × 12 × 0.9.
    assert_eq!(r.body["price_usd"], 297.0);
    assert_eq!(r.body["renews_at"], de["expires_at"]);
    sim.post(
        "/subscriptions",
        &json!({ "product": "isp", "batch_id": de["id"], "cycle": "monthly" }),
    )
    .await
    .assert_error(409, "already_exists", Some("batch_id"));
    let r = sim
        .patch(
            &format!("/subscriptions/{}", r.body["id"].as_str().expect("id")),
            &json!({ "quantity": 10 }),
        )
        .await;
    assert_eq!(r.body["quantity"], 10);
    assert_eq!(r.body["price_usd"], 594.0);
}
