//! The newer endpoints: `order/*`, `user/info`, `payment/groups`, `activity/*` (code 0).

use serde_json::{Value, json};

use super::{Sim, assert_ok_modern, assert_param_error, int, is_iso_z, keys};

const ORDER_FIELDS: [&str; 8] = [
    "created_at",
    "id",
    "pay_fee",
    "product_id",
    "product_name",
    "status",
    "total_fee",
    "trade_no",
];

#[tokio::test]
async fn order_list_has_message_pagination_and_iso_times() {
    let sim = Sim::start().await;
    let v = sim.get("order/list", &[]).await;
    assert_ok_modern(&v);
    assert_eq!(keys(&v["data"]), ["list", "pagination"]);
    assert_eq!(
        v["data"]["pagination"],
        json!({"total": 13, "page_no": 1, "page_size": 20, "total_pages": 1})
    );
    let list = v["data"]["list"].as_array().expect("list");
    assert_eq!(list.len(), 13);
    for o in list {
        assert_eq!(keys(o), ORDER_FIELDS);
        assert!(o["id"].is_u64() && o["product_id"].is_u64());
        assert!(o["total_fee"].is_f64() && o["pay_fee"].is_f64());
        assert!((0..=3).contains(&int(&o["status"])));
        assert!(is_iso_z(o["created_at"].as_str().expect("created_at")));
    }
    let ids: Vec<u64> = list.iter().map(|o| int(&o["id"])).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
}

#[tokio::test]
async fn order_list_pages_with_page_no_and_page_size_and_filters() {
    let sim = Sim::start().await;
    let v = sim
        .get("order/list", &[("page_no", "3"), ("page_size", "5")])
        .await;
    assert_eq!(
        v["data"]["pagination"],
        json!({"total": 13, "page_no": 3, "page_size": 5, "total_pages": 3})
    );
    assert_eq!(v["data"]["list"].as_array().map(Vec::len), Some(3));

    let paid = sim.get("order/list", &[("status", "1")]).await;
    let list = paid["data"]["list"].as_array().expect("list");
    assert_eq!(list.len(), 10);
    assert!(list.iter().all(|o| o["status"] == 1));

    let top_ups = sim.get("order/list", &[("product_type", "3")]).await;
    assert_eq!(top_ups["data"]["pagination"]["total"], 1);
    // 13, 15 and 20 are in the description table, though not in the enumerated values.
    for pt in ["13", "15", "20", "28"] {
        let v = sim.get("order/list", &[("product_type", pt)]).await;
        assert_ok_modern(&v);
    }
    let tn = list[0]["trade_no"].as_str().expect("trade_no");
    let one = sim.get("order/list", &[("trade_no", tn)]).await;
    assert_eq!(one["data"]["list"], json!([list[0]]));

    for (k, bad) in [
        ("status", "4"),
        ("product_type", "2"),
        ("product_type", "22"),
        ("page_no", "0"),
        ("page_size", "x"),
    ] {
        assert_param_error(&sim.get("order/list", &[(k, bad)]).await, "message", k);
    }
}

#[tokio::test]
async fn created_order_is_pending_listed_first_and_closable_once() {
    let sim = Sim::start().await;
    let v = sim
        .post("order/create", json!({"pid": 2, "pm_id": 1, "amount": 3}))
        .await;
    assert_ok_modern(&v);
    let order = &v["data"];
    assert_eq!(keys(order), ORDER_FIELDS);
    assert_eq!(order["product_id"], 2);
    assert_eq!(order["product_name"], "进阶级");
    assert_eq!(order["total_fee"], 150.0);
    assert_eq!(order["pay_fee"], 150.0);
    assert_eq!(order["status"], 0);
    assert_eq!(order["created_at"], "2024-06-15T04:00:00Z");
    let tn = order["trade_no"].as_str().expect("trade_no");
    assert!(tn.starts_with("20240615120000") && tn.len() == 28);

    let list = sim.get("order/list", &[]).await;
    assert_eq!(list["data"]["list"][0], *order);
    assert_eq!(list["data"]["pagination"]["total"], 14);

    let closed = sim.post("order/close", json!({"trade_no": tn})).await;
    assert_eq!(
        closed,
        json!({"code": 0, "message": "操作成功", "data": null})
    );
    let again = sim.get("order/list", &[("trade_no", tn)]).await;
    assert_eq!(again["data"]["list"][0]["status"], 2);
    let twice = sim.post("order/close", json!({"trade_no": tn})).await;
    assert_param_error(&twice, "message", "trade_no");
    let ghost = sim.post("order/close", json!({"trade_no": "123"})).await;
    assert_param_error(&ghost, "message", "trade_no");
}

#[tokio::test]
async fn order_create_prices_coupons_top_ups_and_renewals() {
    let sim = Sim::start().await;
    let create = |body: Value| sim.post("order/create", body);
    let v = create(json!({"pid": 3, "pm_id": 4, "coupon_sn": "WELCOME10"})).await;
    assert_eq!(v["data"]["total_fee"], 200.0);
    assert_eq!(v["data"]["pay_fee"], 180.0);

    let v = create(json!({"pid": 8, "pm_id": 1, "recharge_amount": 100})).await;
    assert_eq!(v["data"]["total_fee"], 100.0);
    assert_eq!(v["data"]["product_name"], "余额充值");

    let ips = sim.get("ip/get-static-ip", &[("size", "2")]).await;
    let upids: Vec<String> = ips["data"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|ip| ip["id"].to_string())
        .collect();
    let v =
        create(json!({"pid": 9, "pm_id": 1, "upids": upids.join(","), "renew_duration": 2})).await;
    assert_ok_modern(&v);
    assert_eq!(v["data"]["total_fee"], 24.0);
}

#[tokio::test]
async fn order_create_refuses_bad_parameters() {
    let sim = Sim::start().await;
    let cases = [
        (json!({"pm_id": 1}), "pid"),
        (json!({"pid": 999, "pm_id": 1}), "pid"),
        (json!({"pid": 1}), "pm_id"),
        (json!({"pid": 1, "pm_id": 3}), "pm_id"),
        (json!({"pid": 1, "pm_id": 77}), "pm_id"),
        (json!({"pid": 1, "pm_id": 1, "amount": 0}), "amount"),
        (
            json!({"pid": 1, "pm_id": 1, "coupon_sn": "NOPE"}),
            "coupon_sn",
        ),
        (json!({"pid": 8, "pm_id": 1}), "recharge_amount"),
        (json!({"pid": 9, "pm_id": 1, "upids": "1,2"}), "upids"),
        (json!({"pid": 9, "pm_id": 1}), "upids"),
        (json!({"pid": 4, "pm_id": 1, "amount": 100}), "pm_id"),
    ];
    for (body, field) in cases {
        let v = sim.post("order/create", body.clone()).await;
        assert_param_error(&v, "message", field);
    }
    assert_eq!(
        sim.get("order/list", &[]).await["data"]["pagination"]["total"],
        13,
        "nothing created"
    );
}

#[tokio::test]
async fn user_info_matches_the_user_schema() {
    let sim = Sim::start().await;
    let v = sim.get("user/info", &[]).await;
    assert_ok_modern(&v);
    let u = &v["data"];
    assert_eq!(
        keys(u),
        [
            "balance",
            "created_at",
            "email",
            "id",
            "is_real_name",
            "phone",
            "status"
        ]
    );
    assert!(u["id"].is_u64());
    assert!(u["email"].as_str().is_some_and(|e| e.contains('@')));
    assert!(u["phone"].is_string());
    assert!(u["balance"].is_f64());
    assert!(u["status"].is_u64());
    assert_eq!(u["is_real_name"], true);
    assert!(is_iso_z(u["created_at"].as_str().expect("created_at")));
}

#[tokio::test]
async fn payment_groups_list_methods_under_data_list() {
    let sim = Sim::start().await;
    let v = sim.get("payment/groups", &[]).await;
    assert_ok_modern(&v);
    let groups = v["data"]["list"].as_array().expect("list");
    assert!(!groups.is_empty());
    let mut ids = Vec::new();
    for g in groups {
        assert_eq!(keys(g), ["items", "logos", "name"]);
        assert!(
            g["logos"]
                .as_array()
                .is_some_and(|l| l.iter().all(Value::is_string))
        );
        for m in g["items"].as_array().expect("items") {
            assert_eq!(
                keys(m),
                ["disabled", "group", "id", "logo", "max", "min", "title"]
            );
            assert!(m["disabled"].is_boolean());
            assert!(m["min"].is_number() && m["max"].is_number());
            ids.push(int(&m["id"]));
        }
    }
    assert_eq!(ids, [1, 2, 3, 4, 5]);

    let top_up = sim.get("order/list", &[("product_type", "3")]).await;
    let tn = top_up["data"]["list"][0]["trade_no"]
        .as_str()
        .expect("tn")
        .to_string();
    let v = sim.get("payment/groups", &[("trade_no", &tn)]).await;
    let groups = v["data"]["list"].as_array().expect("list");
    assert!(
        groups
            .iter()
            .flat_map(|g| g["items"].as_array().into_iter().flatten())
            .all(|m| m["group"] != "balance"),
        "a top-up cannot be paid from the balance"
    );
    assert_param_error(
        &sim.get("payment/groups", &[("trade_no", "404")]).await,
        "message",
        "trade_no",
    );
}

#[tokio::test]
async fn gift_ratio_says_code_0_with_msg() {
    let sim = Sim::start().await;
    let v = sim
        .get(
            "activity/balance-recharge-gift-ratio",
            &[("language", "en")],
        )
        .await;
    assert_eq!(keys(&v), ["code", "data", "msg"]);
    assert_eq!(v["code"], 0);
    assert_eq!(v["msg"], "Operation successful");
    let list = v["data"]["list"].as_array().expect("list");
    assert!(!list.is_empty());
    for r in list {
        assert_eq!(keys(r), ["amount", "ratio"]);
        assert!(r["amount"].is_u64() && r["ratio"].is_f64());
    }
}
