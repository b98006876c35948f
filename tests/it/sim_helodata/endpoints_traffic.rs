//! `/{product}/traffic`, `/{product}/requests` and `/{product}/sessions` (§5.6, §5.7).

use proxy_gateway::sim::helodata::TRAFFIC_TOKEN;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::support::{Sim, is_id, is_rfc3339_utc, keys, names, start};

/// Midnight UTC `days` days before today, as `YYYY-MM-DD`.
fn day(days: i64) -> String {
    let d = OffsetDateTime::now_utc().date() - time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn sum(rows: &Value, field: &str) -> u64 {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| r[field].as_u64().expect("an integer"))
        .sum()
}

async fn traffic(sim: &Sim, product: &str, query: &str) -> Value {
    let r = sim.get(&format!("/{product}/traffic?{query}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[tokio::test]
async fn traffic_answers_from_to_and_rows_in_bytes() {
    let sim = start().await;
    let (from, to) = (day(8), day(1));
    let body = traffic(
        &sim,
        "residential",
        &format!("from={from}&to={to}&group_by=subuser"),
    )
    .await;
    assert_eq!(keys(&body), names(&["from", "to", "rows"]));
    // Plain dates are echoed as RFC 3339 midnights (TRF).
    assert_eq!(body["from"], format!("{from}T00:00:00Z"));
    assert_eq!(body["to"], format!("{to}T00:00:00Z"));
    let rows = body["rows"].as_array().expect("rows");
    // Nine seeded sub-users have residential; the two disabled ones stopped 5-40 days ago.
    assert!((7..=9).contains(&rows.len()), "{}", rows.len());
    for row in rows {
        assert_eq!(
            keys(row),
            names(&[
                "subuser",
                "bytes_in",
                "bytes_out",
                "requests",
                "errors",
                "error_rate"
            ])
        );
        assert!(is_id(&row["subuser"], "sub"));
        assert!(row["bytes_in"].as_u64().is_some_and(|b| b > 1_000_000));
        assert!(row["bytes_out"].is_u64() && row["requests"].is_u64() && row["errors"].is_u64());
        let rate = row["error_rate"].as_f64().expect("a fraction");
        assert!((0.0..=1.0).contains(&rate));
        let expected =
            row["errors"].as_f64().unwrap_or(0.0) / row["requests"].as_f64().unwrap_or(1.0);
        assert!((rate - expected).abs() < 0.0001);
    }
}

#[tokio::test]
async fn traffic_windows_end_exclusively_so_adjacent_windows_add_up() {
    let sim = start().await;
    let q = |f: &str, t: &str| format!("from={f}&to={t}");
    let (a, b, c) = (day(10), day(6), day(2));
    let first = traffic(&sim, "residential", &q(&a, &b)).await;
    let second = traffic(&sim, "residential", &q(&b, &c)).await;
    let whole = traffic(&sim, "residential", &q(&a, &c)).await;
    for field in ["bytes_in", "bytes_out", "requests", "errors"] {
        assert_eq!(
            sum(&first["rows"], field) + sum(&second["rows"], field),
            sum(&whole["rows"], field),
            "{field}"
        );
    }
    // Without group_by: one total row.
    assert_eq!(whole["rows"].as_array().map(Vec::len), Some(1));
    // One day by the hour is exactly 24 rows, the last one starting at 23:00.
    let hours = traffic(
        &sim,
        "residential",
        &format!("from={}&to={}&group_by=hour", day(3), day(2)),
    )
    .await;
    let rows = hours["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 24);
    assert_eq!(rows[0]["hour"], format!("{}T00:00:00Z", day(3)));
    assert_eq!(rows[23]["hour"], format!("{}T23:00:00Z", day(3)));
    // An RFC 3339 window of one hour holds exactly that hour.
    let one = traffic(
        &sim,
        "residential",
        &format!(
            "from={}T05:00:00Z&to={}T06:00:00Z&group_by=hour",
            day(3),
            day(3)
        ),
    )
    .await;
    assert_eq!(one["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["rows"][0], rows[5]);
}

#[tokio::test]
async fn traffic_groups_by_each_documented_dimension() {
    let sim = start().await;
    let window = format!("from={}&to={}", day(3), day(1));
    let by_day = traffic(&sim, "residential", &format!("{window}&group_by=day")).await;
    let days: Vec<&str> = by_day["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["day"].as_str())
        .collect();
    assert_eq!(days, [day(3), day(2)]);
    for dim in ["region", "asn", "tag"] {
        let body = traffic(&sim, "residential", &format!("{window}&group_by={dim}")).await;
        assert!(
            body["rows"].as_array().is_some_and(|r| r.len() > 1),
            "{dim}"
        );
        assert!(body["rows"][0].get(dim).is_some());
    }
    let asn = traffic(&sim, "residential", &format!("{window}&group_by=asn")).await;
    assert!(asn["rows"][0]["asn"].is_u64());
    let carriers = traffic(
        &sim,
        "mobile",
        &format!("{window}&group_by=carrier_name,day"),
    )
    .await;
    let row = &carriers["rows"][0];
    assert!(row["carrier_name"].is_string() && row["day"].is_string());
    for dim in ["ip", "batch", "target_domain", "day"] {
        let body = traffic(&sim, "isp", &format!("{window}&group_by={dim}")).await;
        assert!(!body["rows"].as_array().expect("rows").is_empty(), "{dim}");
    }
    let ips = traffic(&sim, "isp", &format!("{window}&group_by=ip")).await;
    assert_eq!(ips["rows"].as_array().map(Vec::len), Some(20));
}

#[tokio::test]
async fn traffic_filters_and_accepts_a_subuser_id_or_name() {
    let sim = start().await;
    let sub = sim.get("/subusers").await.data()[0].clone();
    let window = format!("from={}&to={}", day(4), day(1));
    let by_id = traffic(
        &sim,
        "residential",
        &format!("{window}&subuser={}", sub["id"].as_str().expect("id")),
    )
    .await;
    let by_name = traffic(
        &sim,
        "residential",
        &format!("{window}&subuser={}", sub["name"].as_str().expect("name")),
    )
    .await;
    assert_eq!(by_id["rows"], by_name["rows"]);
    let grouped = traffic(&sim, "residential", &format!("{window}&group_by=subuser")).await;
    let row = grouped["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["subuser"] == sub["id"])
        .expect("row")
        .clone();
    assert_eq!(by_id["rows"][0]["bytes_in"], row["bytes_in"]);

    let us = traffic(
        &sim,
        "residential",
        &format!("{window}&region=us&group_by=region"),
    )
    .await;
    assert_eq!(us["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(us["rows"][0]["region"], "us");
    let tagged = traffic(
        &sim,
        "residential",
        &format!("{window}&tag=scraper&group_by=tag"),
    )
    .await;
    assert_eq!(tagged["rows"][0]["tag"], "scraper");
    let batch = sim.get("/isp/batches").await.data()[0]["id"].clone();
    let one_batch = traffic(
        &sim,
        "isp",
        &format!(
            "{window}&batch_id={}&group_by=batch",
            batch.as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(one_batch["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(one_batch["rows"][0]["batch"], batch);
}

#[tokio::test]
async fn traffic_input_errors_name_their_field() {
    let sim = start().await;
    let window = format!("from={}&to={}", day(3), day(1));
    let cases = [
        (format!("to={}", day(1)), "from"),
        (format!("from={}", day(1)), "to"),
        (format!("from=yesterday&to={}", day(1)), "from"),
        (format!("from={}&to={}", day(1), day(3)), "to"),
        (format!("from={}&to={}", day(1), day(1)), "to"),
        (format!("{window}&group_by=ip"), "group_by"),
        (format!("{window}&group_by=day,planet"), "group_by"),
        (format!("{window}&region=USA"), "region"),
        (format!("{window}&region=US"), "region"),
    ];
    for (query, field) in cases {
        sim.get(&format!("/residential/traffic?{query}"))
            .await
            .assert_error(400, "invalid_argument", Some(field));
    }
    sim.get(&format!("/isp/traffic?{window}&group_by=hour"))
        .await
        .assert_error(400, "invalid_argument", Some("group_by"));
    sim.get(&format!("/datacenter/traffic?{window}"))
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn traffic_history_covers_90_days_and_nothing_before() {
    let sim = start().await;
    let old = traffic(
        &sim,
        "residential",
        &format!("from={}&to={}", day(200), day(92)),
    )
    .await;
    assert_eq!(old["rows"], json!([]));
    let edge = traffic(
        &sim,
        "residential",
        &format!("from={}&to={}", day(90), day(88)),
    )
    .await;
    assert_eq!(edge["rows"].as_array().map(Vec::len), Some(1));
    // Today so far has data too (history ends now).
    let today = traffic(
        &sim,
        "residential",
        &format!("from={}&to={}", day(0), day(-1)),
    )
    .await;
    if OffsetDateTime::now_utc().hour() > 0 {
        assert_eq!(today["rows"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn a_traffic_read_token_reads_traffic_and_requests_only() {
    let sim = start().await;
    let q = format!("/residential/traffic?from={}&to={}", day(2), day(1));
    assert_eq!(sim.get_as(TRAFFIC_TOKEN, &q).await.status, 200);
    assert_eq!(
        sim.get_as(TRAFFIC_TOKEN, "/mobile/requests").await.status,
        200
    );
    sim.get_as(TRAFFIC_TOKEN, "/subusers")
        .await
        .assert_error(403, "permission_denied", None);
}

#[tokio::test]
async fn requests_answers_the_last_samples_newest_first() {
    let sim = start().await;
    let r = sim.get("/residential/requests?limit=100").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data().len(), 100);
    for s in r.data() {
        assert_eq!(
            keys(s),
            names(&[
                "id",
                "timestamp",
                "subuser",
                "status",
                "exit_ip",
                "geo",
                "asn",
                "bytes_in",
                "bytes_out",
                "tag",
                "target_domain"
            ])
        );
        assert!(is_id(&s["id"], "req"));
        assert!(is_rfc3339_utc(&s["timestamp"]));
        assert!(s["status"].is_u64() && s["asn"].is_u64() && s["bytes_in"].is_u64());
    }
    let stamps: Vec<&str> = r
        .data()
        .iter()
        .filter_map(|s| s["timestamp"].as_str())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let all = sim.all("/residential/requests", 100).await;
    assert_eq!(all.len(), 1_000, "the last 1,000 requests (R-STAT)");

    let mobile = sim.get("/mobile/requests?limit=1").await;
    let m = &mobile.data()[0];
    assert!(m["carrier_name"].is_string());
    assert!(["3g", "lte", "5g", "wifi-handoff"].contains(&m["connection"].as_str().unwrap_or("")));

    let sub = r.data()[0]["subuser"]
        .as_str()
        .expect("subuser")
        .to_string();
    let name = sim.get(&format!("/subusers/{sub}")).await.body["name"]
        .as_str()
        .expect("name")
        .to_string();
    let by_name = sim
        .get(&format!("/residential/requests?subuser={name}&limit=100"))
        .await;
    assert!(!by_name.data().is_empty());
    assert!(by_name.data().iter().all(|s| s["subuser"] == sub.as_str()));
}

#[tokio::test]
async fn sessions_list_get_with_samples_and_end() {
    let sim = start().await;
    let r = sim.get("/residential/sessions").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.data().len(), 8);
    for s in r.data() {
        assert_eq!(
            keys(s),
            names(&[
                "id",
                "subuser",
                "session_id",
                "region",
                "state",
                "city",
                "asn",
                "exit_ip",
                "started_at",
                "expires_at",
                "bytes_used",
                "requests",
                "repinned"
            ])
        );
        assert!(is_id(&s["id"], "ses") && is_id(&s["subuser"], "sub"));
        assert!(s["repinned"].is_boolean() && s["bytes_used"].is_u64() && s["asn"].is_u64());
        let started = OffsetDateTime::parse(s["started_at"].as_str().unwrap_or(""), &Rfc3339)
            .expect("started_at");
        let expires = OffsetDateTime::parse(s["expires_at"].as_str().unwrap_or(""), &Rfc3339)
            .expect("expires_at");
        let ttl = expires - started;
        assert!(
            ttl > time::Duration::ZERO && ttl <= time::Duration::minutes(30),
            "{ttl}"
        );
    }
    let first = r.data()[0].clone();
    let id = first["id"].as_str().expect("id");
    let one = sim.get(&format!("/residential/sessions/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["samples"].as_array().map(Vec::len), Some(10));
    assert_eq!(one.body["session_id"], first["session_id"]);

    let filtered = sim
        .get(&format!(
            "/residential/sessions?session_id={}",
            first["session_id"].as_str().expect("session_id")
        ))
        .await;
    assert_eq!(filtered.data(), &vec![first.clone()]);
    sim.get("/residential/sessions?repinned=maybe")
        .await
        .assert_error(400, "invalid_argument", Some("repinned"));

    // A residential session is not a mobile one.
    sim.get(&format!("/mobile/sessions/{id}"))
        .await
        .assert_error(404, "not_found", None);
    let del = sim.delete(&format!("/residential/sessions/{id}")).await;
    assert_eq!(del.status, 204);
    sim.get(&format!("/residential/sessions/{id}"))
        .await
        .assert_error(404, "not_found", None);
    assert_eq!(sim.get("/mobile/sessions").await.data().len(), 8);
    // ISP has no sessions API (SES).
    sim.get("/isp/sessions")
        .await
        .assert_error(404, "not_found", None);
}
