//! `user-product/list` and `user-product/summary`.

use super::{Sim, assert_ok_legacy, assert_param_error, int, is_local_time, keys};

#[tokio::test]
async fn package_list_has_the_documented_fields_and_page_fields() {
    let sim = Sim::start().await;
    let v = sim.get("user-product/list", &[]).await;
    assert_ok_legacy(&v);
    let data = &v["data"];
    assert_eq!(
        keys(data),
        ["list", "page", "page_size", "total_count", "total_page"]
    );
    assert_eq!(data["page"], 1);
    assert_eq!(data["page_size"], 20);
    assert_eq!(data["total_count"], 9);
    assert_eq!(data["total_page"], 1);
    for p in data["list"].as_array().expect("list") {
        assert_eq!(
            keys(p),
            [
                "created_at",
                "expired_at",
                "id",
                "order",
                "product_type",
                "trade_no"
            ]
        );
        assert!(p["id"].is_u64());
        assert!(is_local_time(p["created_at"].as_str().expect("created_at")));
        assert!(is_local_time(p["expired_at"].as_str().expect("expired_at")));
        assert!(p["created_at"].as_str() < p["expired_at"].as_str());
        assert!([9, 11, 14, 25].contains(&int(&p["product_type"])));
        let trade_no = p["trade_no"].as_str().expect("trade_no");
        assert_eq!(trade_no.len(), 28);
        assert!(trade_no.bytes().all(|b| b.is_ascii_digit()));
        let order = &p["order"];
        assert_eq!(keys(order), ["created_at", "pay_at", "title"]);
        let created = order["created_at"].as_str().expect("order.created_at");
        assert!(is_local_time(created));
        assert!(is_local_time(order["pay_at"].as_str().expect("pay_at")));
        assert!(order["title"].as_str().is_some_and(|t| !t.is_empty()));
        // The trade number starts with the order's creation time.
        let digits: String = created.chars().filter(char::is_ascii_digit).collect();
        assert!(trade_no.starts_with(&digits), "{trade_no} vs {created}");
    }
}

#[tokio::test]
async fn package_list_pages_with_page_and_size() {
    let sim = Sim::start().await;
    let first = sim
        .get("user-product/list", &[("page", "1"), ("size", "2")])
        .await;
    assert_eq!(first["data"]["list"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["data"]["page_size"], 2);
    assert_eq!(first["data"]["total_count"], 9);
    assert_eq!(first["data"]["total_page"], 5);
    let last = sim
        .get("user-product/list", &[("page", "5"), ("size", "2")])
        .await;
    assert_eq!(last["data"]["list"].as_array().map(Vec::len), Some(1));
    assert_eq!(last["data"]["page"], 5);
    let beyond = sim
        .get("user-product/list", &[("page", "6"), ("size", "2")])
        .await;
    assert_eq!(beyond["data"]["list"], serde_json::json!([]));
    for (k, v) in [("page", "0"), ("size", "-1"), ("page", "x")] {
        let e = sim.get("user-product/list", &[(k, v)]).await;
        assert_param_error(&e, "msg", k);
    }
}

#[tokio::test]
async fn package_list_filters_by_exact_trade_no_and_product_type() {
    let sim = Sim::start().await;
    let all = sim.get("user-product/list", &[]).await;
    let first = &all["data"]["list"][0];
    let trade_no = first["trade_no"].as_str().expect("trade_no");
    let one = sim
        .get("user-product/list", &[("trade_no", trade_no)])
        .await;
    assert_eq!(one["data"]["list"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["data"]["list"][0], *first);
    let partial = sim
        .get("user-product/list", &[("trade_no", &trade_no[..10])])
        .await;
    assert_eq!(partial["data"]["total_count"], 0, "no fuzzy search");

    let statics = sim
        .get("user-product/list", &[("product_type", "25")])
        .await;
    let list = statics["data"]["list"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|p| p["product_type"] == 25));
    let e = sim
        .get("user-product/list", &[("product_type", "12")])
        .await;
    assert_param_error(&e, "msg", "product_type");
}

#[tokio::test]
async fn summary_fields_are_kb_and_consistent_with_each_other() {
    let sim = Sim::start().await;
    let v = sim.get("user-product/summary", &[]).await;
    assert_ok_legacy(&v);
    let d = &v["data"];
    assert_eq!(
        keys(d),
        [
            "effective",
            "effective_count",
            "effective_total",
            "effective_used",
            "expired",
            "expired_count",
            "temporary",
            "temporary_count",
            "total",
            "total_count",
            "used"
        ]
    );
    let n = |k: &str| int(&d[k]);
    // Seeded type-9 packages: 5, two expired, one ending within 7 days.
    assert_eq!(n("total_count"), 5);
    assert_eq!(n("expired_count"), 2);
    assert_eq!(n("effective_count"), 3);
    assert_eq!(n("temporary_count"), 1);
    // 5 + 20 + 100 + 1000 + 2×100 GB, in KB.
    assert_eq!(n("total"), 1325 * 1024 * 1024);
    assert_eq!(n("total") - n("used"), n("effective") + n("expired"));
    assert_eq!(n("effective"), n("effective_total") - n("effective_used"));
    assert!(n("temporary") <= n("effective"));
    assert_eq!(
        sim.get("user-product/summary", &[("product_type", "9")])
            .await,
        v
    );
}

#[tokio::test]
async fn summary_of_type_12_is_all_zero_and_other_types_are_refused() {
    let sim = Sim::start().await;
    let v = sim
        .get("user-product/summary", &[("product_type", "12")])
        .await;
    assert_ok_legacy(&v);
    let d = v["data"].as_object().expect("object");
    assert_eq!(d.len(), 11);
    assert!(d.values().all(|x| x == 0));
    for pt in ["11", "25", "3"] {
        let e = sim
            .get("user-product/summary", &[("product_type", pt)])
            .await;
        assert_param_error(&e, "msg", "product_type");
    }
}
