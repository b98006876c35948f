//! `/v1/subscriptions` on helodata (create, read, change, pause, cancel, each write forwarded
//! with the derived key, each visible as a package) and 501 without a call on 911Proxy.

use reqwest::Method;
use serde_json::{Value, json};

use super::{GIB, assert_refused_by_field, send_keyed, upstream_get};
use crate::support::{Db, problem, spawn_app_with_sims};

#[tokio::test]
async fn a_helodata_plan_is_created_changed_paused_and_canceled_and_listed_as_a_package() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (status, created) = send_keyed(
        &app,
        Method::POST,
        "/v1/subscriptions",
        "sub-1",
        Some(json!({"account": "helodata", "product": "residential", "plan": "pro", "cycle": "monthly"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("helodata:sbn_"), "{id}");
    assert_eq!(created["status"], "active");
    assert_eq!(created["plan"], "pro");
    assert_eq!(created["cycle"], "monthly");
    assert_eq!(
        created["price"],
        json!({"amount": "1500", "currency": "USD"})
    );
    assert_eq!(created["traffic_included_bytes"], 500 * GIB);
    assert!(created["renews_at"].is_string() && created["ends_at"].is_null());
    let upstream_id = id.split_once(':').unwrap().1;
    let raw = upstream_get(
        &app,
        "helodata",
        &format!("/subscriptions/{upstream_id}"),
        &[],
    )
    .await;
    assert_eq!(created["provider_data"], raw);

    let (status, packages) = (
        200,
        app.admin(Method::GET, "/v1/packages?account=helodata&limit=200")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap(),
    );
    assert_eq!(status, 200);
    let package = packages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id.as_str());
    assert_eq!(
        package.expect("listed as a package")["kind"],
        "subscription"
    );

    let (status, read) = send_keyed(
        &app,
        Method::GET,
        &format!("/v1/subscriptions/{id}"),
        "-",
        None,
    )
    .await;
    assert_eq!((status, &read["id"]), (200, &created["id"]));

    let (status, changed) = send_keyed(
        &app,
        Method::PATCH,
        &format!("/v1/subscriptions/{id}"),
        "sub-1-annual",
        Some(json!({"cycle": "annual", "plan": "business"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["plan"].as_str(), changed["cycle"].as_str()),
        (Some("business"), Some("annual"))
    );
    // 2,000 GB at $5,000 a month, 12 months 10 % off.
    assert_eq!(changed["price"]["amount"], "54000");

    let (status, paused) = send_keyed(
        &app,
        Method::POST,
        &format!("/v1/subscriptions/{id}/pause"),
        "sub-1-pause",
        None,
    )
    .await;
    assert_eq!(
        (status, paused["status"].as_str()),
        (200, Some("paused")),
        "{paused}"
    );
    assert!(paused["renews_at"].is_null() && paused["ends_at"].is_string());
    let (status, canceled) = send_keyed(
        &app,
        Method::POST,
        &format!("/v1/subscriptions/{id}/cancel"),
        "sub-1-cancel",
        None,
    )
    .await;
    assert_eq!(
        (status, canceled["status"].as_str()),
        (200, Some("canceled")),
        "{canceled}"
    );
    let (status, again) = send_keyed(
        &app,
        Method::POST,
        &format!("/v1/subscriptions/{id}/pause"),
        "sub-1-pause-2",
        None,
    )
    .await;
    assert_eq!(
        status, 409,
        "a canceled subscription cannot be paused: {again}"
    );

    // Every write carried the derived Idempotency-Key upstream.
    let sims = app.sims.as_ref().unwrap();
    let writes: Vec<_> = sims
        .calls("helodata")
        .into_iter()
        .filter(|c| c.path.starts_with("/v1/subscriptions") && c.method != "GET")
        .collect();
    assert_eq!(writes.len(), 5, "{writes:?}");
    assert!(writes.iter().all(|c| {
        c.headers["idempotency-key"]
            .as_str()
            .is_some_and(|k| k.starts_with("pgw_"))
    }));
}

#[tokio::test]
async fn an_isp_batch_renewal_names_its_batch_and_bad_input_is_refused_by_field() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let batches = upstream_get(&app, "helodata", "/isp/batches", &[("limit", "100")]).await;
    let batch = batches["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["status"] == "active")
        .expect("an active seeded batch");
    let batch_id = format!("helodata:{}", batch["id"].as_str().unwrap());
    let (status, renewal) = send_keyed(
        &app,
        Method::POST,
        "/v1/subscriptions",
        "isp-1",
        Some(json!({"account": "helodata", "product": "isp", "cycle": "monthly", "ip_batch": batch_id})),
    )
    .await;
    // A batch may already have a renewal in the seed: 409 then, else 201 naming it.
    if status == 201 {
        assert_eq!(renewal["ip_batch"], batch_id.as_str());
        assert_eq!(renewal["quantity"], batch["quantity"]);
    } else {
        assert_eq!(
            (status, renewal["field"].as_str()),
            (409, Some("ip_batch")),
            "{renewal}"
        );
    }

    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let cases = [
        (
            json!({"account": "helodata", "product": "residential", "cycle": "monthly"}),
            "plan",
        ),
        (
            json!({"account": "helodata", "product": "residential", "plan": "enterprise", "cycle": "monthly"}),
            "plan",
        ),
        (
            json!({"account": "helodata", "product": "isp", "cycle": "monthly"}),
            "ip_batch",
        ),
        (
            json!({"account": "helodata", "product": "isp", "cycle": "monthly", "ip_batch": "911proxy:bat_1"}),
            "ip_batch",
        ),
        (
            json!({"account": "helodata", "product": "datacenter", "plan": "pro", "cycle": "monthly"}),
            "product",
        ),
        (
            json!({"account": "helodata", "product": "residential", "plan": "pro", "cycle": "weekly"}),
            "cycle",
        ),
    ];
    assert_refused_by_field(&app, "/v1/subscriptions", &cases).await;
    let (status, p) = send_keyed(
        &app,
        Method::PATCH,
        "/v1/subscriptions/helodata:sbn_x",
        "empty",
        Some(json!({})),
    )
    .await;
    assert_eq!((status, p["field"].as_str()), (400, Some("body")), "{p}");
    assert!(
        sims.calls("helodata").is_empty(),
        "nothing reached helodata"
    );
    let (status, p) = send_keyed(
        &app,
        Method::GET,
        "/v1/subscriptions/helodata:sbn_nothere",
        "-",
        None,
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (404, Some("not_found")),
        "{p}"
    );
}

#[tokio::test]
async fn nine11_has_no_subscriptions_and_answers_501_without_a_call() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let checks = [
        (
            Method::POST,
            "/v1/subscriptions".to_string(),
            Some(
                json!({"account": "911proxy", "product": "residential", "plan": "pro", "cycle": "monthly"}),
            ),
            "subscriptions.create",
        ),
        (
            Method::GET,
            "/v1/subscriptions/911proxy:1".to_string(),
            None,
            "subscriptions.get",
        ),
        (
            Method::PATCH,
            "/v1/subscriptions/911proxy:1".to_string(),
            Some(json!({"cycle": "annual"})),
            "subscriptions.update",
        ),
        (
            Method::POST,
            "/v1/subscriptions/911proxy:1/pause".to_string(),
            None,
            "subscriptions.pause",
        ),
        (
            Method::POST,
            "/v1/subscriptions/911proxy:1/cancel".to_string(),
            None,
            "subscriptions.cancel",
        ),
    ];
    for (i, (method, path, body, operation)) in checks.into_iter().enumerate() {
        let mut request = app
            .admin(method, &path)
            .header("idempotency-key", format!("n-{i}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let (status, p) = problem(request.send().await.unwrap()).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (501, Some("unsupported_by_provider")),
            "{path}: {p}"
        );
        assert!(p["detail"].as_str().unwrap().contains(operation), "{p}");
    }
    assert!(sims.calls("911proxy").is_empty());
}
