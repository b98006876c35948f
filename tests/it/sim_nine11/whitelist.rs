//! `proxy-ip/*` and `white-ip/quota` (the notes' whitelist endpoints).

use serde_json::{Value, json};

use super::{Sim, assert_ok_legacy, assert_param_error, is_iso_z, keys};

fn ips(v: &Value) -> Vec<String> {
    v["data"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|w| w["ip"].as_str().expect("ip").to_string())
        .collect()
}

#[tokio::test]
async fn whitelist_items_follow_the_white_ip_schema() {
    let sim = Sim::start().await;
    let v = sim.get("proxy-ip/list", &[]).await;
    assert_ok_legacy(&v);
    let list = v["data"]["list"].as_array().expect("list");
    assert_eq!(list.len(), 4);
    for w in list {
        assert_eq!(keys(w), ["created_at", "id", "ip", "remark"]);
        assert!(w["id"].is_u64() && w["remark"].is_string());
        assert!(is_iso_z(w["created_at"].as_str().expect("created_at")));
    }
    let nine = sim.get("proxy-ip/list", &[("product_type", "9")]).await;
    assert_eq!(ips(&nine).len(), 3);
    let quota = sim.get("white-ip/quota", &[("product_type", "9")]).await;
    assert_ok_legacy(&quota);
    assert_eq!(quota["data"], json!({"quota": 20, "used": 3}));
}

#[tokio::test]
async fn added_ips_are_listed_counted_and_deleted() {
    let sim = Sim::start().await;
    let v = sim
        .post(
            "proxy-ip/add",
            json!({"ips": "203.0.113.7,2001:db8::1", "product_type": 14, "remark": "lab"}),
        )
        .await;
    assert_eq!(v, json!({"code": 200, "msg": "请求成功", "data": null}));
    let list = sim.get("proxy-ip/list", &[("product_type", "14")]).await;
    assert_eq!(ips(&list), ["203.0.113.7", "2001:db8::1"]);
    assert_eq!(list["data"]["list"][0]["remark"], "lab");
    assert_eq!(
        list["data"]["list"][0]["created_at"],
        "2024-06-15T04:00:00Z"
    );
    let quota = sim.get("white-ip/quota", &[("product_type", "14")]).await;
    assert_eq!(quota["data"]["used"], 2);

    // Adding an IP already on the list does not duplicate it.
    sim.post(
        "proxy-ip/add",
        json!({"ips": "203.0.113.7", "product_type": 14}),
    )
    .await;
    let list = sim.get("proxy-ip/list", &[("product_type", "14")]).await;
    assert_eq!(ips(&list).len(), 2);

    let v = sim
        .post(
            "proxy-ip/delete",
            json!({"ips": "203.0.113.7", "product_type": 14}),
        )
        .await;
    assert_ok_legacy(&v);
    let list = sim.get("proxy-ip/list", &[("product_type", "14")]).await;
    assert_eq!(ips(&list), ["2001:db8::1"]);
}

#[tokio::test]
async fn whitelist_refuses_bad_ips_unknown_deletes_and_quota_overflow() {
    let sim = Sim::start().await;
    assert_param_error(
        &sim.post("proxy-ip/add", json!({"ips": "300.1.1.1"})).await,
        "msg",
        "ips",
    );
    assert_param_error(&sim.post("proxy-ip/add", json!({})).await, "msg", "ips");
    assert_param_error(
        &sim.post(
            "proxy-ip/add",
            json!({"ips": "203.0.113.9", "product_type": 11}),
        )
        .await,
        "msg",
        "user_product_id",
    );
    assert_param_error(
        &sim.post("proxy-ip/delete", json!({"ips": "203.0.113.250"}))
            .await,
        "msg",
        "ips",
    );
    let many: Vec<String> = (1..=18).map(|i| format!("198.18.0.{i}")).collect();
    let v = sim
        .post(
            "proxy-ip/add",
            json!({"ips": many.join(","), "product_type": 9}),
        )
        .await;
    assert_param_error(&v, "msg", "ips");
    let nine = sim.get("proxy-ip/list", &[("product_type", "9")]).await;
    assert_eq!(ips(&nine).len(), 3, "nothing added past the quota");
}

#[tokio::test]
async fn type_11_whitelist_needs_a_type_11_package() {
    let sim = Sim::start().await;
    let packages = sim
        .get("user-product/list", &[("product_type", "11")])
        .await;
    let id = packages["data"]["list"][0]["id"].clone();
    let v = sim
        .post(
            "proxy-ip/add",
            json!({"ips": "203.0.113.11", "product_type": 11, "user_product_id": id}),
        )
        .await;
    assert_ok_legacy(&v);
    let other = sim.get("user-product/list", &[("product_type", "9")]).await;
    let v = sim
        .post(
            "proxy-ip/add",
            json!({"ips": "203.0.113.12", "product_type": 11,
                   "user_product_id": other["data"]["list"][0]["id"]}),
        )
        .await;
    assert_param_error(&v, "msg", "user_product_id");
}
