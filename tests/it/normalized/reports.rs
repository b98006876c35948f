//! `/v1/reports` and `/v1/report-runs` on helodata: a report created, listed, read, changed,
//! run until its run succeeds and deleted, each write forwarded with the derived key; a
//! webhook's signing secret never shown or audited; 501 without a call on 911Proxy.

use reqwest::Method;
use serde_json::{Value, json};

use super::{assert_refused_by_field, send_keyed, upstream_get};
use crate::support::{Db, problem, spawn_app_with_sims};

const SECRET: &str = "whsec_report_signing_0123456789";

#[tokio::test]
async fn a_report_is_created_run_changed_and_deleted_and_its_secret_never_shown() {
    let app = spawn_app_with_sims(Db::Postgres, &[]).await;
    let body = json!({"account": "helodata", "name": "weekly-traffic", "type": "proxy_users",
        "products": ["residential", "mobile"], "schedule": "0 9 * * MON",
        "destination": {"type": "webhook", "url": "https://hooks.example.com/reports", "signing_secret": SECRET}});
    let (status, created) =
        send_keyed(&app, Method::POST, "/v1/reports", "rep-1", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("helodata:rep_"), "{id}");
    assert_eq!(created["type"], "proxy_users");
    assert_eq!(created["products"], json!(["residential", "mobile"]));
    assert_eq!(created["schedule"], "0 9 * * MON");
    assert_eq!(
        created["destination"],
        json!({"type": "webhook", "url": "https://hooks.example.com/reports"})
    );
    let upstream_id = id.split_once(':').unwrap().1.to_string();
    let raw = upstream_get(&app, "helodata", &format!("/reports/{upstream_id}"), &[]).await;
    assert_eq!(raw["type"], "subusers", "helodata's name for the kind");

    let (status, listed) = send_keyed(
        &app,
        Method::GET,
        "/v1/reports?account=helodata&type=proxy_users",
        "-",
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str())
    );

    let (status, run) = send_keyed(
        &app,
        Method::POST,
        &format!("/v1/reports/{id}/run"),
        "rep-1-run",
        None,
    )
    .await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(
        (run["status"].as_str(), run["report"].as_str()),
        (Some("running"), Some(id.as_str()))
    );
    assert_eq!(run["download_available"], false);
    let run_id = run["id"].as_str().unwrap().to_string();
    let mut done = Value::Null;
    for _ in 0..40 {
        let (status, read) = send_keyed(
            &app,
            Method::GET,
            &format!("/v1/report-runs/{run_id}"),
            "-",
            None,
        )
        .await;
        assert_eq!(status, 200, "{read}");
        if read["status"] == "succeeded" {
            done = read;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done["download_available"], true, "{done}");
    assert!(done["download_expires_at"].is_string());
    assert!(
        done["provider_data"].get("download_url").is_none(),
        "a pre-signed URL is not shown"
    );
    // The file, streamed from the pre-signed link (no bearer token sent there), equal to what
    // the link serves directly.
    let response = app
        .admin(Method::GET, &format!("/v1/report-runs/{run_id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"weekly-traffic.csv\""
    );
    let csv = response.text().await.unwrap();
    assert!(csv.starts_with("report,run,type,day,bytes\n"), "{csv}");
    assert_eq!(csv.lines().count(), 8);
    let run_upstream = run_id.split_once(':').unwrap().1.to_string();
    let link = upstream_get(
        &app,
        "helodata",
        &format!("/reports/runs/{run_upstream}"),
        &[],
    )
    .await["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    let direct = crate::support::http_client()
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, direct);
    // A run without a file yet is a conflict, not a download.
    let (status, again) = send_keyed(
        &app,
        Method::POST,
        &format!("/v1/reports/{id}/run"),
        "rep-1-run-2",
        None,
    )
    .await;
    assert_eq!(status, 202);
    let pending = again["id"].as_str().unwrap();
    let (status, p) = send_keyed(
        &app,
        Method::GET,
        &format!("/v1/report-runs/{pending}/download"),
        "-",
        None,
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("conflict")), "{p}");

    let (status, changed) = send_keyed(
        &app,
        Method::PATCH,
        &format!("/v1/reports/{id}"),
        "rep-1-patch",
        Some(json!({"schedule": null, "name": "on-demand traffic"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert!(changed["schedule"].is_null());
    assert_eq!(changed["name"], "on-demand traffic");
    let (status, read) =
        send_keyed(&app, Method::GET, &format!("/v1/reports/{id}"), "-", None).await;
    assert_eq!(status, 200);
    // Newest first: the run still going, then the one that succeeded.
    let runs: Vec<&str> = read["recent_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1], run_id.as_str());

    let (status, _) = send_keyed(
        &app,
        Method::DELETE,
        &format!("/v1/reports/{id}"),
        "rep-1-del",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, gone) =
        send_keyed(&app, Method::GET, &format!("/v1/reports/{id}"), "-", None).await;
    assert_eq!(
        (status, gone["code"].as_str()),
        (404, Some("not_found")),
        "{gone}"
    );

    // Every write reached helodata with the derived key; the secret is in no answer and no
    // audit event.
    let sims = app.sims.as_ref().unwrap();
    let writes: Vec<_> = sims
        .calls("helodata")
        .into_iter()
        .filter(|c| c.path.starts_with("/v1/reports") && c.method != "GET")
        .collect();
    assert_eq!(writes.len(), 5, "{writes:?}");
    assert!(writes.iter().all(|c| {
        c.headers["idempotency-key"]
            .as_str()
            .is_some_and(|k| k.starts_with("pgw_"))
    }));
    let audit: Value = app
        .admin(Method::GET, "/v1/audit-events?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    assert!(text.contains("reports.create"), "the create is audited");
    assert!(
        !text.contains(SECRET),
        "the signing secret is not in the audit log"
    );
    assert!(!created.to_string().contains(SECRET));
}

#[tokio::test]
async fn bad_reports_are_refused_by_field_and_911_has_none() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let base = json!({"account": "helodata", "name": "r", "type": "traffic",
        "destination": {"type": "email", "email": "ops@example.com"}});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("schedule", json!("every monday")), "schedule"),
        (
            with("destination", json!({"type": "ftp"})),
            "destination.type",
        ),
        (
            with(
                "destination",
                json!({"type": "s3", "bucket": "b", "prefix": "p"}),
            ),
            "destination.role_arn",
        ),
        (
            with("destination", json!({"type": "email", "email": "nobody"})),
            "destination.email",
        ),
        (with("format", json!("xlsx")), "format"),
        (with("name", json!("a/b")), "name"),
        (with("products", json!(["datacenter"])), "products"),
        (with("type", json!("everything")), "type"),
    ];
    assert_refused_by_field(&app, "/v1/reports", &cases).await;
    let (status, p) = send_keyed(
        &app,
        Method::PATCH,
        "/v1/reports/helodata:rep_x",
        "empty",
        Some(json!({})),
    )
    .await;
    assert_eq!((status, p["field"].as_str()), (400, Some("body")), "{p}");
    assert!(
        sims.calls("helodata").is_empty(),
        "nothing reached helodata"
    );

    let checks = [
        (
            Method::GET,
            "/v1/reports?account=911proxy",
            None,
            "reports.list",
        ),
        (
            Method::POST,
            "/v1/reports",
            Some(
                json!({"account": "911proxy", "name": "r", "type": "traffic", "destination": {"type": "email", "email": "a@b.c"}}),
            ),
            "reports.create",
        ),
        (
            Method::GET,
            "/v1/reports/911proxy:rep_1",
            None,
            "reports.get",
        ),
        (
            Method::PATCH,
            "/v1/reports/911proxy:rep_1",
            Some(json!({"name": "x"})),
            "reports.update",
        ),
        (
            Method::DELETE,
            "/v1/reports/911proxy:rep_1",
            None,
            "reports.delete",
        ),
        (
            Method::POST,
            "/v1/reports/911proxy:rep_1/run",
            None,
            "reports.run",
        ),
        (
            Method::GET,
            "/v1/report-runs/911proxy:run_1",
            None,
            "report_runs.get",
        ),
        (
            Method::GET,
            "/v1/report-runs/911proxy:run_1/download",
            None,
            "report_runs.download",
        ),
    ];
    for (i, (method, path, body, operation)) in checks.into_iter().enumerate() {
        let mut request = app
            .admin(method, path)
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

    // A seeded run's link expired days ago: a conflict naming when, and no fetch.
    let seeded = upstream_get(&app, "helodata", "/reports", &[]).await;
    let old_run = seeded["data"][0]["recent_runs"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, p) = send_keyed(
        &app,
        Method::GET,
        &format!("/v1/report-runs/helodata:{old_run}/download"),
        "-",
        None,
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("conflict")), "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("could be downloaded until"),
        "{p}"
    );
}
