//! app_key in the query or the JSON body; missing or wrong gives code 3 on HTTP 200.

use serde_json::json;

use super::{Sim, assert_ok_legacy, assert_ok_modern, assert_param_error, keys};

const EXPIRED_ZH: &str = "登录已过期，请重新登录";
const EXPIRED_EN: &str = "Your session has expired, please log in again";

#[tokio::test]
async fn app_key_in_the_query_authenticates_get_and_post() {
    let sim = Sim::start().await;
    let v = sim
        .get_raw("whitelist-account/list", &[("app_key", sim.key())])
        .await;
    assert_ok_legacy(&v);
    let v = sim
        .post_raw(
            "whitelist-account/add",
            &[("app_key", sim.key())],
            json!({"accounts": "query01:secret12"}),
        )
        .await;
    assert_ok_legacy(&v);
    assert_eq!(sim.accounts_named("query01").await.len(), 1);
}

#[tokio::test]
async fn app_key_in_the_json_body_authenticates_post() {
    let sim = Sim::start().await;
    let v = sim
        .post_raw(
            "whitelist-account/add",
            &[],
            json!({"app_key": sim.key(), "accounts": "body01:secret12"}),
        )
        .await;
    assert_ok_legacy(&v);
    assert_eq!(sim.accounts_named("body01").await.len(), 1);
}

#[tokio::test]
async fn missing_app_key_gives_code_3_with_http_200() {
    let sim = Sim::start().await;
    let v = sim.get_raw("whitelist-account/list", &[]).await;
    assert_eq!(v, json!({"code": 3, "msg": EXPIRED_ZH, "data": null}));
    let v = sim
        .post_raw(
            "whitelist-account/add",
            &[],
            json!({"accounts": "nokey01:secret12"}),
        )
        .await;
    assert_eq!(v, json!({"code": 3, "msg": EXPIRED_ZH, "data": null}));
    let v = sim
        .get_raw("whitelist-account/list", &[("app_key", "")])
        .await;
    assert_eq!(v["code"], 3);
    assert!(sim.accounts_named("nokey01").await.is_empty());
}

#[tokio::test]
async fn wrong_app_key_gives_code_3_with_http_200() {
    let sim = Sim::start().await;
    let v = sim
        .get_raw("user-product/list", &[("app_key", "not-the-key")])
        .await;
    assert_eq!(v, json!({"code": 3, "msg": EXPIRED_ZH, "data": null}));
    let v = sim
        .post_raw(
            "whitelist-account/delete",
            &[],
            json!({"app_key": "not-the-key", "accounts": "x"}),
        )
        .await;
    assert_eq!(v["code"], 3);
}

#[tokio::test]
async fn language_en_gives_the_english_message() {
    let sim = Sim::start().await;
    let v = sim
        .get_raw("whitelist-account/list", &[("language", "en")])
        .await;
    assert_eq!(v, json!({"code": 3, "msg": EXPIRED_EN, "data": null}));
    let v = sim
        .get("whitelist-account/list", &[("language", "en")])
        .await;
    assert_eq!(v["msg"], "Request successful");
}

#[tokio::test]
async fn code_3_on_a_newer_endpoint_says_message() {
    let sim = Sim::start().await;
    let v = sim.get_raw("order/list", &[("app_key", "wrong")]).await;
    assert_eq!(v, json!({"code": 3, "message": EXPIRED_ZH, "data": null}));
    assert_ok_modern(&sim.get("order/list", &[]).await);
}

#[tokio::test]
async fn body_app_key_wins_over_the_query_one() {
    let sim = Sim::start().await;
    let v = sim
        .post_raw(
            "whitelist-account/add",
            &[("app_key", sim.key())],
            json!({"app_key": "wrong", "accounts": "both01:secret12"}),
        )
        .await;
    assert_eq!(v["code"], 3);
}

#[tokio::test]
async fn every_route_demands_the_app_key() {
    let sim = Sim::start().await;
    let gets = [
        "whitelist-account/list",
        "user-usage-flow/total",
        "user-product/list",
        "user-product/summary",
        "ip/v3",
        "ip/dynamic-citys",
        "ip/dynamic-citys/search",
        "ip/dynamic-states",
        "ip/dynamic-states/search",
        "ip/get-static-ip",
        "static-ip-region",
        "order/list",
        "user/info",
        "payment/groups",
        "activity/balance-recharge-gift-ratio",
        "proxy-ip/list",
        "white-ip/quota",
    ];
    for path in gets {
        let v = sim.get_raw(path, &[]).await;
        assert_eq!(v["code"], 3, "{path}: {v}");
        assert_eq!(v["data"], json!(null), "{path}");
    }
    let posts = [
        "whitelist-account/add",
        "whitelist-account/delete",
        "whitelist-account/disable",
        "whitelist-account/enable",
        "whitelist-account/change-password",
        "whitelist-account/change-remark",
        "whitelist-account/change-limit",
        "order/create",
        "order/close",
        "proxy-ip/add",
        "proxy-ip/delete",
    ];
    for path in posts {
        let v = sim.post_raw(path, &[], json!({})).await;
        assert_eq!(v["code"], 3, "{path}: {v}");
    }
}

#[tokio::test]
async fn malformed_json_body_with_a_valid_query_key_is_a_parameter_error() {
    let sim = Sim::start().await;
    let resp = super::client()
        .post(sim.url("whitelist-account/add"))
        .query(&[("app_key", sim.key())])
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.expect("json");
    assert_param_error(&v, "msg", "body");
    assert_eq!(keys(&v), ["code", "errors", "msg"]);
}

#[tokio::test]
async fn account_without_real_name_verification_gets_code_156_on_writes() {
    let sim = Sim::start_with(|o| o.nine11.not_real_name_verified = true).await;
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "kyc01:secret12"}),
        )
        .await;
    assert_eq!(v["code"], 156);
    assert_eq!(v["data"], json!(null));
    assert!(v["msg"].is_string());
    assert_eq!(sim.get("ip/v3", &[]).await["code"], 156);
    assert_ok_legacy(&sim.get("whitelist-account/list", &[]).await);
    let info = sim.get("user/info", &[]).await;
    assert_eq!(info["data"]["is_real_name"], false);
}
