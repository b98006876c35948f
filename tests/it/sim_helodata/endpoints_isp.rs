//! ISP batches, IPs, inventory and batch whitelists (§5.4, §5.8).

use serde_json::{Value, json};

use super::support::{Sim, is_id, is_rfc3339_utc, keys, names, start};

async fn batch(sim: &Sim, country: &str) -> Value {
    sim.get("/isp/batches")
        .await
        .data()
        .iter()
        .find(|b| b["country"] == country)
        .cloned()
        .expect("a seeded batch")
}

fn path(b: &Value, rest: &str) -> String {
    format!("/isp/batches/{}{rest}", b["id"].as_str().expect("id"))
}

#[tokio::test]
async fn batches_are_listed_with_their_lifecycle_status() {
    let sim = start().await;
    let r = sim.get("/isp/batches").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data().len(), 3);
    for b in r.data() {
        assert_eq!(
            keys(b),
            names(&[
                "id",
                "order_id",
                "subuser",
                "country",
                "city",
                "asn",
                "quantity",
                "price_usd",
                "status",
                "auto_renew",
                "created_at",
                "expires_at"
            ])
        );
        assert!(is_id(&b["id"], "bat") && is_id(&b["order_id"], "ord"));
        assert!(is_rfc3339_utc(&b["expires_at"]));
    }
    let statuses: Vec<(&str, &str)> = r
        .data()
        .iter()
        .map(|b| {
            (
                b["country"].as_str().unwrap_or(""),
                b["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("us", "active"), ("gb", "grace-period"), ("de", "active")]
    );
    let grace = sim.get("/isp/batches?status=grace-period").await;
    assert_eq!(grace.data().len(), 1);
    let us = batch(&sim, "us").await;
    assert_eq!(sim.get(&path(&us, "")).await.body, us);
    sim.get("/isp/batches/bat_nope")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn batch_ips_carry_the_download_fields_and_the_batch_user() {
    let sim = start().await;
    let us = batch(&sim, "us").await;
    let r = sim.get(&path(&us, "/ips")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data().len(), 10);
    let isp_static = sim.get("/subusers?label_contains=isp-static").await.data()[0].clone();
    for ip in r.data() {
        assert_eq!(
            keys(ip),
            names(&[
                "id",
                "batch_id",
                "ip",
                "port",
                "user",
                "country",
                "city",
                "asn",
                "carrier",
                "status",
                "health",
                "replaces",
                "created_at"
            ])
        );
        assert!(is_id(&ip["id"], "ip"));
        assert_eq!(ip["port"], 8000);
        assert_eq!(ip["country"], "us");
        assert_eq!(ip["city"], "newyork");
        assert_eq!(ip["status"], "active");
        assert_eq!(
            ip["user"],
            format!("helo_{}", isp_static["name"].as_str().expect("name"))
        );
        assert!(
            ip["ip"]
                .as_str()
                .is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok())
        );
        assert!(ip["health"].as_u64().is_some_and(|h| h <= 100));
    }
}

#[tokio::test]
async fn renewing_extends_expiry_by_whole_months_and_charges() {
    let sim = start().await;
    let us = batch(&sim, "us").await;
    let expires = time::OffsetDateTime::parse(
        us["expires_at"].as_str().expect("expires_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339");
    let r = sim
        .post(&path(&us, "/renew"), &json!({ "months": 2 }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let renewed = time::OffsetDateTime::parse(
        r.body["expires_at"].as_str().expect("expires_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339");
    assert_eq!(renewed - expires, time::Duration::days(60));
    sim.post(&path(&us, "/renew"), &json!({}))
        .await
        .assert_error(400, "invalid_argument", Some("months"));
    // A batch in its grace period can still be renewed (D-EXT).
    let gb = batch(&sim, "gb").await;
    let r = sim
        .post(&path(&gb, "/renew"), &json!({ "months": 1 }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "active");
}

#[tokio::test]
async fn refresh_replaces_every_ip_once_per_billing_period() {
    let sim = start().await;
    let de = batch(&sim, "de").await;
    let before: Vec<Value> = sim.get(&path(&de, "/ips")).await.data().clone();
    let r = sim.post(&path(&de, "/refresh"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after: Vec<Value> = sim.get(&path(&de, "/ips")).await.data().clone();
    assert_eq!(after.len(), 5);
    for ip in &after {
        assert!(!before.iter().any(|b| b["id"] == ip["id"]));
        assert!(before.iter().any(|b| b["id"] == ip["replaces"]));
        assert_eq!(ip["status"], "provisioning");
    }
    sim.post(&path(&de, "/refresh"), &json!({}))
        .await
        .assert_error(409, "failed_precondition", None);
    let gb = batch(&sim, "gb").await;
    sim.post(&path(&gb, "/refresh"), &json!({}))
        .await
        .assert_error(409, "failed_precondition", None);
}

#[tokio::test]
async fn replacing_an_ip_releases_it_and_provisions_a_new_one() {
    let sim = start().await;
    let us = batch(&sim, "us").await;
    let old = sim.get(&path(&us, "/ips")).await.data()[0].clone();
    let old_id = old["id"].as_str().expect("id");
    let r = sim
        .post(
            &format!("/isp/ips/{old_id}/replace"),
            &json!({ "reason": "target-blocked" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(is_id(&r.body["id"], "ip"));
    assert_eq!(r.body["replaces"], old["id"]);
    assert_eq!(r.body["status"], "provisioning");
    assert_eq!(r.body["batch_id"], us["id"]);
    assert_eq!(r.body["charged_usd"], 0.0, "within the 10% allowance");
    let ips = sim.get(&path(&us, "/ips")).await;
    assert_eq!(ips.data().len(), 10);
    assert!(!ips.data().iter().any(|ip| ip["id"] == old["id"]));
    sim.post(
        &format!("/isp/ips/{old_id}/replace"),
        &json!({ "reason": "target-blocked" }),
    )
    .await
    .assert_error(409, "failed_precondition", None);
    sim.post(&format!("/isp/ips/{old_id}/replace"), &json!({}))
        .await
        .assert_error(400, "invalid_argument", Some("reason"));
    sim.post("/isp/ips/ip_nope/replace", &json!({ "reason": "slow" }))
        .await
        .assert_error(404, "not_found", None);

    // The allowance is 10% of 10 IPs: the second replacement this period is billed at 6.00.
    let next = ips.data()[0]["id"].as_str().expect("id").to_string();
    let r = sim
        .post(
            &format!("/isp/ips/{next}/replace"),
            &json!({ "reason": "slow" }),
        )
        .await;
    assert_eq!(r.body["charged_usd"], 6.0);
}

#[tokio::test]
async fn an_ip_answers_its_recent_sampled_requests() {
    let sim = start().await;
    let us = batch(&sim, "us").await;
    let ip = sim.get(&path(&us, "/ips")).await.data()[0].clone();
    let r = sim
        .get(&format!(
            "/isp/ips/{}/requests?limit=100",
            ip["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(r.status, 200);
    assert!(!r.data().is_empty());
    for s in r.data() {
        assert_eq!(s["ip_id"], ip["id"]);
        assert_eq!(s["exit_ip"], ip["ip"]);
        assert_eq!(s["batch_id"], us["id"]);
    }
    sim.get("/isp/ips/ip_nope/requests")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn inventory_lists_countries_with_price_stock_and_cities() {
    let sim = start().await;
    let r = sim.get("/isp/inventory").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data().len(), 20);
    let us = r
        .data()
        .iter()
        .find(|c| c["country"] == "us")
        .expect("us")
        .clone();
    assert_eq!(
        keys(&us),
        names(&[
            "country",
            "tier",
            "available",
            "price_usd",
            "cities",
            "asns"
        ])
    );
    assert_eq!(us["tier"], 1);
    assert_eq!(us["price_usd"], 6.0);
    let tier1 = sim.get("/isp/inventory?tier=1").await;
    let codes: Vec<&str> = tier1
        .data()
        .iter()
        .filter_map(|c| c["country"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "au", "br", "ca", "de", "fr", "gb", "in", "jp", "kr", "nl", "sg", "us"
        ]
    );
    let tr = sim.get("/isp/inventory?country=tr").await;
    assert_eq!(tr.data()[0]["cities"], json!([]));

    // Buying takes stock out.
    let available = us["available"].as_u64().expect("available");
    sim.post(
        "/orders",
        &json!({ "product": "isp", "country": "us", "quantity": 7, "months": 1 }),
    )
    .await;
    let after = sim.get("/isp/inventory?country=us").await;
    assert_eq!(after.data()[0]["available"], available - 7);
    let r = sim
        .post(
            "/orders",
            &json!({ "product": "isp", "country": "us", "quantity": 5000, "months": 1,
                     "city": "newyork" }),
        )
        .await;
    r.assert_error(409, "failed_precondition", Some("quantity"));
}

#[tokio::test]
async fn batch_whitelists_add_list_and_remove() {
    let sim = start().await;
    let us = batch(&sim, "us").await;
    let list = sim.get(&path(&us, "/whitelist")).await;
    assert_eq!(list.data().len(), 2);
    let r = sim
        .post(
            &path(&us, "/whitelist"),
            &json!({ "ip": "198.51.100.9", "label": "ci" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        keys(&r.body),
        names(&["id", "batch_id", "ip", "label", "active", "created_at"])
    );
    assert!(is_id(&r.body["id"], "wl"));
    assert_eq!(r.body["batch_id"], us["id"]);
    let id = r.body["id"].as_str().expect("id");
    assert_eq!(sim.get(&path(&us, "/whitelist")).await.data().len(), 3);
    let del = sim.delete(&path(&us, &format!("/whitelist/{id}"))).await;
    assert_eq!(del.status, 204);
    sim.delete(&path(&us, &format!("/whitelist/{id}")))
        .await
        .assert_error(404, "not_found", None);
    sim.post(&path(&us, "/whitelist"), &json!({ "ip": "10.0.0.0/8" }))
        .await
        .assert_error(400, "invalid_argument", Some("ip"));
    // A batch entry is not reachable through /whitelists.
    let other = sim.get(&path(&us, "/whitelist")).await.data()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    sim.delete(&format!("/whitelists/{other}"))
        .await
        .assert_error(404, "not_found", None);
}
