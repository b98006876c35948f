//! `/v1/orders` over both providers: listing and reading what the simulators hold (money as
//! exact decimal text), placing orders exactly once — 911 by reconciling a retry with the
//! order list, helodata by the forwarded Idempotency-Key — and canceling (911 only).

use reqwest::Method;
use serde_json::{Value, json};

use super::{decimal_text, for_both_providers, upstream_get};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

const NINE11_CREATE: &str = "/api-gate-way/order/create";
const NINE11_CLOSE: &str = "/api-gate-way/order/close";

async fn post_order(app: &TestApp, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.admin(Method::POST, "/v1/orders").json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.admin(Method::GET, path).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Every order of the account as the provider lists it (911: newest first).
async fn upstream_orders(app: &TestApp, account: &str) -> Vec<Value> {
    match account {
        "911proxy" => {
            let raw = upstream_get(app, account, "/order/list", &[("page_size", "1000")]).await;
            raw["data"]["list"].as_array().unwrap().clone()
        }
        _ => {
            let raw = upstream_get(app, account, "/orders", &[("limit", "100")]).await;
            assert!(raw["next_cursor"].is_null(), "the seed fits one page");
            raw["data"].as_array().unwrap().clone()
        }
    }
}

fn upstream_order_id(account: &str, raw: &Value) -> String {
    match account {
        "911proxy" => format!("911proxy:{}", raw["trade_no"].as_str().unwrap()),
        _ => format!("helodata:{}", raw["id"].as_str().unwrap()),
    }
}

fn posts(app: &TestApp, account: &str, path: &str) -> usize {
    let sims = app.sims.as_ref().unwrap();
    sims.calls(account)
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .count()
}

fn nine11_order(pid: u64) -> Value {
    json!({"account": "911proxy", "package_id": pid, "payment_method": "911proxy:1", "quantity": 1})
}

async fn every_order_is_listed_once_across_pages_and_reads_back_by_id(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let want = upstream_orders(&app, account).await;
    assert!(want.len() > 3, "the seed has orders: {}", want.len());
    let mut got = Vec::new();
    let mut path = format!("/v1/orders?account={account}&limit=3");
    loop {
        let (status, body) = get_json(&app, &path).await;
        assert_eq!(status, 200, "{body}");
        got.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/orders?account={account}&limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let ids: Vec<String> = got
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let want_ids: Vec<String> = want.iter().map(|o| upstream_order_id(account, o)).collect();
    assert_eq!(ids, want_ids, "every order once, in the provider's order");
    for (view, raw) in got.iter().zip(&want) {
        assert_eq!(view["account"], account);
        assert_eq!(view["provider"], account);
        let (amount_key, paid_key) = match account {
            "911proxy" => ("total_fee", Some("pay_fee")),
            _ => ("total_usd", None),
        };
        assert_eq!(
            view["amount"]["amount"],
            decimal_text(&raw[amount_key]),
            "{view}"
        );
        assert_eq!(view["amount"]["currency"], "USD");
        if let Some(paid) = paid_key {
            assert_eq!(view["paid_amount"]["amount"], decimal_text(&raw[paid]));
        }
        let status = match (account, &raw["status"]) {
            ("911proxy", s) => ["pending", "completed", "canceled", "refunded"]
                [s.as_u64().unwrap() as usize]
                .to_string(),
            (_, s) => s.as_str().unwrap().to_string(),
        };
        assert_eq!(view["status"], status.as_str());
        assert_eq!(view["provider_data"], *raw);
    }
    let first = &got[0];
    let (status, one) = get_json(
        &app,
        &format!("/v1/orders/{}", first["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["id"], first["id"]);
    assert_eq!(one["amount"], first["amount"]);
    let (status, missing) = get_json(&app, &format!("/v1/orders/{account}:ord_nothere")).await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (404, Some("not_found")),
        "{missing}"
    );
}

for_both_providers!(every_order_is_listed_once_across_pages_and_reads_back_by_id);

#[tokio::test]
async fn a_911_listing_filters_by_status_at_911_and_by_time_here() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let want = upstream_orders(&app, "911proxy").await;
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let (status, body) = get_json(
        &app,
        "/v1/orders?account=911proxy&status=completed&limit=100",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let calls = sims.calls("911proxy");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].query_params["status"], "1");
    let paid = want.iter().filter(|o| o["status"] == 1).count();
    assert_eq!(body["data"].as_array().unwrap().len(), paid);
    // The time window: the newest order's own second, from inclusive, to exclusive.
    let newest = want[0]["created_at"].as_str().unwrap();
    let (_, at) = get_json(
        &app,
        &format!("/v1/orders?account=911proxy&from={newest}&limit=100"),
    )
    .await;
    let times: Vec<&str> = at["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["created_at"].as_str().unwrap())
        .collect();
    assert!(
        !times.is_empty() && times.iter().all(|t| *t >= newest),
        "{times:?}"
    );
    let (_, before) = get_json(
        &app,
        &format!("/v1/orders?account=911proxy&to={newest}&limit=100"),
    )
    .await;
    assert!(
        before["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["created_at"].as_str().unwrap() < newest)
    );
    let (status, bad) = get_json(
        &app,
        "/v1/orders?account=911proxy&from=2026-12-02&to=2026-12-01",
    )
    .await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("to")), "{bad}");
}

#[tokio::test]
async fn a_911_order_is_placed_once_and_its_retry_after_a_cut_connection_finds_it() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let before = upstream_orders(&app, "911proxy").await.len();
    sims.fault(
        "911proxy",
        json!({"kind": "close", "phase": "after", "path": NINE11_CREATE, "times": 1}),
    );
    let body = nine11_order(2);
    let (status, cut) = problem(post_order(&app, Some("buy-once"), &body).await).await;
    assert_eq!(
        (status, cut["code"].as_str()),
        (502, Some("outcome_unknown")),
        "{cut}"
    );
    assert_eq!(
        upstream_orders(&app, "911proxy").await.len(),
        before + 1,
        "911 applied it"
    );

    let retried = post_order(&app, Some("buy-once"), &body).await;
    assert_eq!(retried.status(), 201);
    let order: Value = retried.json().await.unwrap();
    let newest = &upstream_orders(&app, "911proxy").await[0];
    assert_eq!(order["id"], upstream_order_id("911proxy", newest));
    assert_eq!(order["status"], "pending");
    assert_eq!(order["amount"]["amount"], "50");
    assert_eq!(
        posts(&app, "911proxy", NINE11_CREATE),
        1,
        "reconciled, not bought again"
    );
    assert_eq!(upstream_orders(&app, "911proxy").await.len(), before + 1);

    // Settled now: the same key replays without any call.
    sims.clear_calls();
    let replay = post_order(&app, Some("buy-once"), &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert!(sims.calls("911proxy").is_empty());
}

#[tokio::test]
async fn a_911_retry_whose_first_attempt_never_arrived_places_the_order_then() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let before = upstream_orders(&app, "911proxy").await.len();
    sims.fault(
        "911proxy",
        json!({"kind": "close", "phase": "before", "path": NINE11_CREATE, "times": 1}),
    );
    let body = nine11_order(1);
    let (status, cut) = problem(post_order(&app, Some("never-arrived"), &body).await).await;
    assert_eq!(
        (status, cut["code"].as_str()),
        (502, Some("outcome_unknown")),
        "{cut}"
    );
    assert_eq!(upstream_orders(&app, "911proxy").await.len(), before);
    let retried = post_order(&app, Some("never-arrived"), &body).await;
    assert_eq!(retried.status(), 201);
    assert_eq!(
        upstream_orders(&app, "911proxy").await.len(),
        before + 1,
        "placed once"
    );
}

#[tokio::test]
async fn an_ambiguous_911_retry_answers_409_naming_what_was_checked_and_buys_nothing() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.fault(
        "911proxy",
        json!({"kind": "close", "phase": "after", "path": NINE11_CREATE, "times": 1}),
    );
    let body = nine11_order(3);
    let (status, _) = problem(post_order(&app, Some("twin"), &body).await).await;
    assert_eq!(status, 502);
    // Someone else buys the same package meanwhile (another key: to the gateway, a stranger).
    let twin = post_order(&app, Some("other-buyer"), &body).await;
    assert_eq!(twin.status(), 201);
    let count = upstream_orders(&app, "911proxy").await.len();

    for _ in 0..2 {
        let (status, unsure) = problem(post_order(&app, Some("twin"), &body).await).await;
        assert_eq!(
            (status, unsure["code"].as_str()),
            (409, Some("outcome_unknown")),
            "{unsure}"
        );
        assert_eq!(unsure["retryable"], false);
        let detail = unsure["detail"].as_str().unwrap();
        assert!(
            detail.contains("package 3") && detail.contains("2 orders match"),
            "{detail}"
        );
        assert_eq!(
            posts(&app, "911proxy", NINE11_CREATE),
            2,
            "nothing sent again"
        );
        assert_eq!(upstream_orders(&app, "911proxy").await.len(), count);
    }
}

#[tokio::test]
async fn a_helodata_order_forwards_its_key_so_a_retry_after_a_cut_is_one_order() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let before = upstream_orders(&app, "helodata").await.len();
    sims.fault(
        "helodata",
        json!({"kind": "close", "phase": "after", "path": "/v1/orders", "method": "POST", "times": 1}),
    );
    let body = json!({"account": "helodata", "product": "residential", "gb": 3});
    let first = post_order(&app, Some("gb-3"), &body).await;
    let order: Value = if first.status() == 201 {
        // The upstream client retried the keyed write itself (helodata dedupes it).
        first.json().await.unwrap()
    } else {
        let (status, cut) = problem(first).await;
        assert_eq!(
            (status, cut["code"].as_str()),
            (502, Some("outcome_unknown")),
            "{cut}"
        );
        let retried = post_order(&app, Some("gb-3"), &body).await;
        assert_eq!(retried.status(), 201);
        retried.json().await.unwrap()
    };
    assert_eq!(order["status"], "completed");
    assert_eq!(order["product"], "residential");
    assert_eq!(
        order["amount"],
        json!({"amount": "13.5", "currency": "USD"})
    );
    assert_eq!(
        upstream_orders(&app, "helodata").await.len(),
        before + 1,
        "one order"
    );
    let keys: Vec<Value> = sims
        .calls("helodata")
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == "/v1/orders")
        .map(|c| c.headers["idempotency-key"].clone())
        .collect();
    assert!(keys.len() >= 2, "{keys:?}");
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "the same derived key every time: {keys:?}"
    );
}

#[tokio::test]
async fn bad_orders_are_refused_by_field_before_any_call() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let cases = [
        (
            json!({"account": "911proxy", "payment_method": "911proxy:1", "package_id": 1, "gb": 5}),
            "gb",
        ),
        (
            json!({"account": "911proxy", "package_id": 1}),
            "payment_method",
        ),
        (
            json!({"account": "911proxy", "payment_method": "helodata:1", "package_id": 1}),
            "payment_method",
        ),
        (
            json!({"account": "911proxy", "payment_method": "911proxy:1", "package_id": 1, "top_up_amount": "1.5"}),
            "top_up_amount",
        ),
        (
            json!({"account": "helodata", "product": "residential"}),
            "gb",
        ),
        (
            json!({"account": "helodata", "product": "isp", "country": "us", "quantity": 4, "months": 1}),
            "quantity",
        ),
        (
            json!({"account": "helodata", "product": "residential", "gb": 1, "package_id": 2}),
            "package_id",
        ),
        (
            json!({"account": "helodata", "product": "datacenter"}),
            "product",
        ),
        (
            json!({"account": "nowhere", "product": "residential", "gb": 1}),
            "account",
        ),
        (
            json!({"account": "helodata", "product": "residential", "gb": 1, "colour": "red"}),
            "colour",
        ),
    ];
    for (i, (body, field)) in cases.iter().enumerate() {
        let (status, p) = problem(post_order(&app, Some(&format!("bad-{i}")), body).await).await;
        assert_eq!(
            (status, p["field"].as_str()),
            (400, Some(*field)),
            "{body}: {p}"
        );
    }
    let (status, p) = problem(post_order(&app, None, &nine11_order(1)).await).await;
    assert_eq!(
        (status, p["field"].as_str()),
        (400, Some("Idempotency-Key")),
        "{p}"
    );
    let writes: Vec<_> = ["911proxy", "helodata"]
        .iter()
        .flat_map(|a| sims.calls(a))
        .filter(|c| c.method == "POST")
        .collect();
    assert!(writes.is_empty(), "no order was sent: {writes:?}");
}

#[tokio::test]
async fn a_pending_911_order_is_canceled_once_and_helodata_has_no_cancel() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let created = post_order(&app, Some("to-cancel"), &nine11_order(1)).await;
    assert_eq!(created.status(), 201);
    let order: Value = created.json().await.unwrap();
    let path = format!("/v1/orders/{}/cancel", order["id"].as_str().unwrap());
    let cancel = |key: &'static str| {
        app.admin(Method::POST, &path)
            .header("idempotency-key", key)
            .send()
    };
    let canceled = cancel("cancel-1").await.unwrap();
    assert_eq!(canceled.status(), 200);
    let canceled: Value = canceled.json().await.unwrap();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(posts(&app, "911proxy", NINE11_CLOSE), 1);
    let (status, again) = problem(cancel("cancel-2").await.unwrap()).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("conflict")),
        "{again}"
    );
    assert_eq!(posts(&app, "911proxy", NINE11_CLOSE), 1);

    let helodata = upstream_orders(&app, "helodata").await;
    let id = upstream_order_id("helodata", &helodata[0]);
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let response = app
        .admin(Method::POST, &format!("/v1/orders/{id}/cancel"))
        .header("idempotency-key", "cancel-h")
        .send()
        .await
        .unwrap();
    let (status, p) = problem(response).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (501, Some("unsupported_by_provider")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("orders.cancel"));
    assert!(sims.calls("helodata").is_empty());
}

#[tokio::test]
async fn a_911_top_up_order_lists_only_the_methods_it_can_be_paid_with() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let body = json!({"account": "911proxy", "package_id": 8, "payment_method": "911proxy:1", "top_up_amount": "100"});
    let created = post_order(&app, Some("top-up"), &body).await;
    assert_eq!(created.status(), 201);
    let order: Value = created.json().await.unwrap();
    assert_eq!(order["amount"]["amount"], "100");
    let (_, all) = get_json(&app, "/v1/payment-methods?account=911proxy").await;
    let groups = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["group"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(groups(&all).iter().any(|g| g == "balance"), "{all}");
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let id = order["id"].as_str().unwrap();
    let (status, for_order) = get_json(&app, &format!("/v1/payment-methods?order={id}")).await;
    assert_eq!(status, 200, "{for_order}");
    let calls = sims.calls("911proxy");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].query_params["trade_no"],
        id.split_once(':').unwrap().1
    );
    assert!(
        !groups(&for_order).iter().any(|g| g == "balance"),
        "a top-up is not paid from the balance: {for_order}"
    );
    assert_eq!(
        groups(&for_order).len(),
        groups(&all).len() - groups(&all).iter().filter(|g| *g == "balance").count()
    );
    let (status, p) = get_json(
        &app,
        &format!("/v1/payment-methods?account=helodata&order={id}"),
    )
    .await;
    assert_eq!((status, p["field"].as_str()), (400, Some("order")), "{p}");
}
