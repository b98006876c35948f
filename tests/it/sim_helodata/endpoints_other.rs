//! `/whitelists` (§5.8), `/reports` (§5.9), `/residential/locations` and `/invoices` (§5.10).

use std::time::Duration;

use serde_json::{Value, json};

use super::support::{is_id, is_rfc3339_utc, keys, names, start, start_with};

async fn residential_subuser(sim: &super::support::Sim) -> String {
    sim.create_subuser("wl-owner").await["id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[tokio::test]
async fn whitelist_entries_are_created_listed_and_deleted() {
    let sim = start().await;
    let sub = residential_subuser(&sim).await;
    let r = sim
        .post(
            "/whitelists",
            &json!({ "subuser": sub, "product": "residential", "ip": "203.0.113.5",
                     "label": "prod-eu-west-1" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        keys(&r.body),
        names(&[
            "id",
            "subuser",
            "product",
            "ip",
            "label",
            "active",
            "created_at"
        ])
    );
    assert!(is_id(&r.body["id"], "wl"));
    assert_eq!(r.body["subuser"], sub.as_str());
    assert_eq!(r.body["product"], "residential");
    assert_eq!(r.body["ip"], "203.0.113.5");
    assert_eq!(r.body["label"], "prod-eu-west-1");
    assert_eq!(r.body["active"], true);
    assert!(is_rfc3339_utc(&r.body["created_at"]));

    // T-407's example has no label.
    let r2 = sim
        .post(
            "/whitelists",
            &json!({ "subuser": sub, "product": "residential", "ip": "2001:db8::/64" }),
        )
        .await;
    assert_eq!(r2.status, 201, "{}", r2.body);
    assert_eq!(r2.body["label"], Value::Null);

    let list = sim.get(&format!("/whitelists?subuser={sub}")).await;
    assert_eq!(list.data(), &vec![r.body.clone(), r2.body.clone()]);
    let id = r.body["id"].as_str().expect("id");
    assert_eq!(sim.delete(&format!("/whitelists/{id}")).await.status, 204);
    assert_eq!(
        sim.get(&format!("/whitelists?subuser={sub}")).await.data(),
        &vec![r2.body]
    );
    sim.delete(&format!("/whitelists/{id}"))
        .await
        .assert_error(404, "not_found", None);
    // Seeded entries exist for other sub-users.
    assert!(sim.get("/whitelists").await.data().len() > 2);
}

#[tokio::test]
async fn whitelists_accept_the_documented_formats_only() {
    let sim = start().await;
    let sub = residential_subuser(&sim).await;
    let add = |ip: &str| json!({ "subuser": sub, "product": "residential", "ip": ip });
    for ok in [
        "198.51.100.7",
        "198.51.100.0/24",
        "198.51.101.0/28",
        "2001:db8::1",
        "2001:db8:1::/64",
    ] {
        let r = sim.post("/whitelists", &add(ok)).await;
        assert_eq!(r.status, 201, "{ok}: {}", r.body);
    }
    for bad in [
        "198.51.0.0/16",
        "198.51.100.0/23",
        "2001:db8::/48",
        "not-an-ip",
        "300.1.1.1",
    ] {
        sim.post("/whitelists", &add(bad))
            .await
            .assert_error(400, "invalid_argument", Some("ip"));
    }
    sim.post("/whitelists", &add("198.51.100.7"))
        .await
        .assert_error(409, "already_exists", Some("ip"));
    let cases = [
        (
            json!({ "product": "residential", "ip": "192.0.2.1" }),
            "subuser",
        ),
        (
            json!({ "subuser": "sub_nope", "product": "residential", "ip": "192.0.2.1" }),
            "subuser",
        ),
        (json!({ "subuser": sub, "ip": "192.0.2.1" }), "product"),
        (
            json!({ "subuser": sub, "product": "mobile", "ip": "192.0.2.1" }),
            "product",
        ),
        (
            json!({ "subuser": sub, "product": "isp", "ip": "192.0.2.1" }),
            "product",
        ),
        (json!({ "subuser": sub, "product": "residential" }), "ip"),
    ];
    for (body, field) in cases {
        sim.post("/whitelists", &body)
            .await
            .assert_error(400, "invalid_argument", Some(field));
    }
}

#[tokio::test]
async fn a_whitelist_holds_at_most_50_entries_per_subuser_and_product() {
    let sim = start().await;
    let sub = residential_subuser(&sim).await;
    for i in 0..50 {
        let r = sim
            .post(
                "/whitelists",
                &json!({ "subuser": sub, "product": "residential", "ip": format!("192.0.2.{i}") }),
            )
            .await;
        assert_eq!(r.status, 201, "entry {i}: {}", r.body);
    }
    sim.post(
        "/whitelists",
        &json!({ "subuser": sub, "product": "residential", "ip": "192.0.2.200" }),
    )
    .await
    .assert_error(409, "failed_precondition", Some("ip"));
    assert_eq!(
        sim.all(&format!("/whitelists?subuser={sub}"), 100)
            .await
            .len(),
        50
    );
}

#[tokio::test]
async fn reports_are_created_from_the_documented_example_and_run() {
    let sim = start_with(|o| o.helodata.report_run = Some(Duration::from_millis(300))).await;
    let example = json!({
        "name": "weekly-traffic-2", "type": "traffic",
        "filters": { "products": ["residential", "mobile"] },
        "schedule": "0 9 * * MON", "format": "csv",
        "destination": { "type": "email", "email": "ops@acme.com" }
    });
    let r = sim.post("/reports", &example).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        keys(&r.body),
        names(&[
            "id",
            "name",
            "type",
            "filters",
            "schedule",
            "format",
            "destination",
            "created_at",
            "updated_at",
            "recent_runs"
        ])
    );
    assert!(is_id(&r.body["id"], "rep"));
    assert_eq!(r.body["type"], "traffic");
    assert_eq!(r.body["destination"], example["destination"]);
    assert_eq!(r.body["recent_runs"], json!([]));
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(sim.get(&format!("/reports/{id}")).await.body, r.body);

    let run = sim.post(&format!("/reports/{id}/run"), &json!({})).await;
    assert_eq!(run.status, 202, "{}", run.body);
    assert!(is_id(&run.body["id"], "run"));
    assert_eq!(run.body["report_id"], id.as_str());
    assert_eq!(run.body["status"], "running");
    assert_eq!(run.body["download_url"], Value::Null);
    let run_id = run.body["id"].as_str().expect("id").to_string();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let done = sim.get(&format!("/reports/runs/{run_id}")).await;
    assert_eq!(done.body["status"], "succeeded");
    // A pre-signed link at the host the run was asked at; it serves the CSV without a token.
    let link = done.body["download_url"]
        .as_str()
        .expect("download_url")
        .to_string();
    assert!(
        link.contains("/report-files/") && link.contains(".csv?sig="),
        "{link}"
    );
    let file = crate::support::http_client()
        .get(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert!(
        file.text()
            .await
            .unwrap()
            .starts_with("report,run,type,day,bytes\n")
    );
    let forged = crate::support::http_client()
        .get(link.replace("sig=", "sig=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "a wrong signature is refused");
    assert!(is_rfc3339_utc(&done.body["completed_at"]));
    let listed = sim.get("/reports").await;
    assert_eq!(listed.data().len(), 3);
    let mine = listed
        .data()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .expect("listed");
    assert_eq!(mine["recent_runs"][0]["id"], run_id.as_str());
    // Seeded definitions come with recent runs.
    assert_eq!(
        listed.data()[0]["recent_runs"].as_array().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn reports_are_validated_updated_and_deleted() {
    let sim = start().await;
    let base = json!({ "name": "r", "type": "subusers",
                       "destination": { "type": "webhook", "url": "https://acme.example/hook",
                                        "signing_secret": "s3cret" } });
    let r = sim.post("/reports", &base).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["schedule"], Value::Null);
    assert_eq!(r.body["format"], "csv");
    assert!(
        r.body["destination"].get("signing_secret").is_none(),
        "write-only"
    );
    let mut bad = Vec::new();
    for (k, v, field) in [
        ("type", json!("weather"), "type"),
        ("schedule", json!("every monday"), "schedule"),
        ("format", json!("xlsx"), "format"),
        ("destination", json!({ "type": "ftp" }), "destination.type"),
        (
            "destination",
            json!({ "type": "s3", "bucket": "b", "prefix": "p" }),
            "destination.role_arn",
        ),
        (
            "destination",
            json!({ "type": "email", "email": "nobody" }),
            "destination.email",
        ),
        (
            "filters",
            json!({ "products": ["datacenter"] }),
            "filters.products",
        ),
    ] {
        let mut body = base.clone();
        body[k] = v;
        bad.push((body, field));
    }
    for (body, field) in bad {
        sim.post("/reports", &body)
            .await
            .assert_error(400, "invalid_argument", Some(field));
    }
    let path = format!("/reports/{}", r.body["id"].as_str().expect("id"));
    let p = sim
        .patch(
            &path,
            &json!({ "schedule": "0 6 1 * *", "name": "monthly" }),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["schedule"], "0 6 1 * *");
    assert_eq!(p.body["name"], "monthly");
    sim.patch(&path, &json!({ "type": "traffic" }))
        .await
        .assert_error(400, "invalid_argument", Some("type"));
    assert_eq!(sim.delete(&path).await.status, 204);
    sim.get(&path).await.assert_error(404, "not_found", None);
    sim.get("/reports/runs/run_nope")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn locations_list_at_least_20_countries_with_states_and_cities() {
    let sim = start().await;
    let r = sim.get("/residential/locations").await;
    assert_eq!(r.status, 200);
    assert!(r.data().len() >= 20);
    for c in r.data() {
        assert_eq!(keys(c), names(&["country", "name", "states"]));
        let states = c["states"].as_array().expect("states");
        assert!(!states.is_empty());
        for s in states {
            assert_eq!(keys(s), names(&["state", "name", "cities"]));
            assert!(!s["cities"].as_array().expect("cities").is_empty());
        }
    }
    let us = sim.get("/residential/locations?country=us").await;
    let ca = us.data()[0]["states"]
        .as_array()
        .expect("states")
        .iter()
        .find(|s| s["state"] == "ca")
        .expect("California")
        .clone();
    let cities: Vec<&str> = ca["cities"]
        .as_array()
        .expect("cities")
        .iter()
        .filter_map(|c| c["city"].as_str())
        .collect();
    assert_eq!(cities, ["la", "sf", "sandiego"]);
    // No /mobile/locations was ever seen (§5.10).
    sim.get("/mobile/locations")
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn invoices_filter_by_issue_date_and_status() {
    let sim = start().await;
    let all = sim.get("/invoices").await;
    assert_eq!(all.status, 200);
    assert_eq!(all.data().len(), 6);
    let inv = &all.data()[0];
    assert_eq!(
        keys(inv),
        names(&[
            "id",
            "number",
            "status",
            "currency",
            "total_usd",
            "period_start",
            "period_end",
            "issued_at",
            "due_at",
            "paid_at",
            "lines"
        ])
    );
    assert!(is_id(&inv["id"], "inv"));
    let lines_total: f64 = inv["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["amount_usd"].as_f64())
        .sum();
    assert!((lines_total - inv["total_usd"].as_f64().unwrap_or(0.0)).abs() < 0.001);

    let statuses: Vec<&str> = all
        .data()
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert_eq!(statuses, ["paid", "paid", "paid", "failed", "paid", "due"]);
    assert_eq!(sim.get("/invoices?status=due").await.data().len(), 1);

    // A plain-date `to` includes its day (B-INV's example is to=2026-05-31).
    let issued = all.data()[2]["issued_at"].as_str().expect("issued_at");
    let date = &issued[..10];
    let upto = sim.get(&format!("/invoices?to={date}")).await;
    assert_eq!(upto.data().len(), 3);
    let exclusive = sim.get(&format!("/invoices?to={issued}")).await;
    assert_eq!(exclusive.data().len(), 2);
    let from = sim.get(&format!("/invoices?from={date}")).await;
    assert_eq!(from.data().len(), 4);
    sim.get("/invoices?status=void")
        .await
        .assert_error(400, "invalid_argument", Some("status"));
    sim.get("/invoices?from=soon")
        .await
        .assert_error(400, "invalid_argument", Some("from"));
}

#[tokio::test]
async fn an_invoice_pdf_is_a_pdf() {
    let sim = start().await;
    let id = sim.get("/invoices").await.data()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = sim.get(&format!("/invoices/{id}/pdf")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r.bytes.starts_with(b"%PDF-1.4"));
    assert!(r.bytes.ends_with(b"%%EOF\n"));
    sim.get("/invoices/inv_01HX/pdf")
        .await
        .assert_error(404, "not_found", None);
}
