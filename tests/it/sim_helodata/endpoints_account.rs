//! `/users/me…` and `/tokens/{id}…` (§3, §5.1).

use proxy_gateway::sim::helodata::{MAIN_TOKEN_ID, READ_ONLY_TOKEN, READ_ONLY_TOKEN_ID};
use reqwest::Method;
use serde_json::json;

use super::support::{is_id, is_rfc3339_utc, keys, names, start};

#[tokio::test]
async fn users_me_answers_the_documented_fields_and_types() {
    let sim = start().await;
    let r = sim.get("/users/me").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let me = &r.body;
    assert_eq!(
        keys(me),
        names(&[
            "id",
            "email",
            "company",
            "plan",
            "kyc_status",
            "created_at",
            "balance"
        ])
    );
    assert!(is_id(&me["id"], "usr"), "{}", me["id"]);
    assert_eq!(me["email"], "ops@acme.com");
    assert_eq!(me["company"], "Acme Corp");
    assert_eq!(me["plan"], "pro");
    assert_eq!(me["kyc_status"], "approved");
    assert!(is_rfc3339_utc(&me["created_at"]));
    assert_eq!(me["balance"]["currency"], "USD");
    let amount = me["balance"]["amount"].as_f64().expect("a number");
    assert!((5_000.0..6_000.0).contains(&amount), "{amount}");
    assert_eq!((amount * 100.0).round() / 100.0, amount, "two decimals");
}

#[tokio::test]
async fn patching_users_me_changes_company_and_refuses_email() {
    let sim = start().await;
    let r = sim
        .patch("/users/me", &json!({ "company": "Acme Subsidiary" }))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["company"], "Acme Subsidiary");
    assert_eq!(
        sim.get("/users/me").await.body["company"],
        "Acme Subsidiary"
    );
    let r = sim.patch("/users/me", &json!({ "company": null })).await;
    assert_eq!(r.body["company"], serde_json::Value::Null);

    let r = sim
        .patch("/users/me", &json!({ "email": "new@acme.com" }))
        .await;
    r.assert_error(400, "invalid_argument", Some("email"));
    let r = sim.patch("/users/me", &json!({ "company": 5 })).await;
    r.assert_error(400, "invalid_argument", Some("company"));
}

#[tokio::test]
async fn security_shows_mfa_and_enrolling_turns_it_on_once() {
    let sim = start().await;
    let r = sim.get("/users/me/security").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["mfa_enabled"], false);
    assert!(is_rfc3339_utc(&r.body["last_login_at"]));
    assert_eq!(r.body["last_login_ip"], "203.0.113.7");

    let r = sim
        .post("/users/me/security/mfa", &json!({ "method": "totp" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["method"], "totp");
    assert_eq!(r.body["secret"].as_str().map(str::len), Some(32));
    assert_eq!(r.body["recovery_codes"].as_array().map(Vec::len), Some(8));
    assert_eq!(
        sim.get("/users/me/security").await.body["mfa_enabled"],
        true
    );

    sim.post("/users/me/security/mfa", &json!({}))
        .await
        .assert_error(409, "failed_precondition", None);
    sim.post("/users/me/security/mfa", &json!({ "method": "sms" }))
        .await
        .assert_error(400, "invalid_argument", Some("method"));
}

#[tokio::test]
async fn a_rotated_token_is_returned_once_and_the_old_one_works_for_24_hours() {
    let sim = start().await;
    let r = sim
        .post(&format!("/tokens/{READ_ONLY_TOKEN_ID}/rotate"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], READ_ONLY_TOKEN_ID);
    assert_eq!(r.body["scopes"], json!(["read"]));
    let new = r.body["token"].as_str().expect("token").to_string();
    assert!(new.starts_with("hel_live_") && new.len() == 9 + 64, "{new}");
    let grace = r.body["previous_token_expires_at"].clone();
    assert!(is_rfc3339_utc(&grace));

    // Both secrets work during the grace period (AUTH).
    assert_eq!(sim.get_as(&new, "/users/me").await.status, 200);
    assert_eq!(sim.get_as(READ_ONLY_TOKEN, "/users/me").await.status, 200);

    // The main token is the only one allowed to manage tokens (no scope is documented).
    let r = sim
        .call(
            Method::POST,
            &format!("/tokens/{MAIN_TOKEN_ID}/rotate"),
            Some(&new),
            Some(&json!({})),
            &[],
        )
        .await;
    r.assert_error(403, "permission_denied", None);
    sim.post("/tokens/tok_nope/rotate", &json!({}))
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once() {
    let sim = start().await;
    let r = sim.delete(&format!("/tokens/{READ_ONLY_TOKEN_ID}")).await;
    assert_eq!(r.status, 204);
    assert!(r.bytes.is_empty());
    sim.get_as(READ_ONLY_TOKEN, "/users/me")
        .await
        .assert_error(401, "unauthenticated", None);
    sim.delete(&format!("/tokens/{READ_ONLY_TOKEN_ID}"))
        .await
        .assert_error(404, "not_found", None);
}
