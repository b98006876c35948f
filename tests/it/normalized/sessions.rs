//! `/v1/sessions` and `/v1/requests`: helodata's live sessions and request samples normalized
//! and paged, a session ended once per key, and 501 on 911Proxy.

use reqwest::Method;
use serde_json::{Value, json};

use super::upstream_get;
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

async fn all_pages(app: &TestApp, path: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit={limit}");
    for _ in 0..200 {
        let response = app.admin(Method::GET, &url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        out.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => url = format!("{path}{sep}limit={limit}&cursor={c}"),
            None => return out,
        }
    }
    panic!("no end");
}

#[tokio::test]
async fn helodata_sessions_are_listed_read_and_ended_once_per_key() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let mut expected = Vec::new();
    for product in ["residential", "mobile"] {
        let page = upstream_get(
            &app,
            "helodata",
            &format!("/{product}/sessions"),
            &[("limit", "100")],
        )
        .await;
        for s in page["data"].as_array().unwrap() {
            expected.push((product, s.clone()));
        }
    }
    assert!(expected.len() >= 4, "the simulator keeps live sessions");
    // Without an account: helodata only (911Proxy has no sessions), walked 3 at a time.
    let listed = all_pages(&app, "/v1/sessions", 3).await;
    assert_eq!(listed.len(), expected.len());
    for (got, (product, raw)) in listed.iter().zip(&expected) {
        assert_eq!(
            got["id"],
            format!("helodata:{product}:{}", raw["id"].as_str().unwrap())
        );
        assert_eq!(got["account"], "helodata");
        assert_eq!(got["product"], *product);
        assert_eq!(
            got["proxy_user"],
            format!("helodata:{}", raw["subuser"].as_str().unwrap())
        );
        assert_eq!(got["session_id"], raw["session_id"]);
        assert_eq!(
            got["country"],
            raw["region"].as_str().unwrap().to_uppercase()
        );
        assert_eq!(
            (&got["state"], &got["city"], &got["asn"]),
            (&raw["state"], &raw["city"], &raw["asn"])
        );
        assert_eq!(
            (&got["exit_ip"], &got["bytes_used"], &got["requests"]),
            (&raw["exit_ip"], &raw["bytes_used"], &raw["requests"])
        );
        assert_eq!(got["repinned"], raw["repinned"]);
        assert_eq!(got["provider_data"], *raw);
        assert_eq!(got["samples"], json!([]));
    }
    // Filters.
    let mobile = all_pages(&app, "/v1/sessions?product=mobile", 50).await;
    assert_eq!(
        mobile.len(),
        expected.iter().filter(|(p, _)| *p == "mobile").count()
    );
    let user = listed[0]["proxy_user"].as_str().unwrap().to_string();
    let own = all_pages(&app, &format!("/v1/sessions?proxy_user={user}"), 50).await;
    assert!(!own.is_empty() && own.iter().all(|s| s["proxy_user"] == user.as_str()));

    // One session with its samples, then ended (keyed: the replay does not call again).
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let one: Value = app
        .admin(Method::GET, &format!("/v1/sessions/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], id.as_str());
    assert_eq!(one["samples"].as_array().unwrap().len(), 10);
    assert!(one["provider_data"].get("samples").is_none());
    app.sims.as_ref().unwrap().clear_calls();
    for _ in 0..2 {
        let ended = app
            .admin(Method::DELETE, &format!("/v1/sessions/{id}"))
            .header("Idempotency-Key", "end-1")
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status(), 204);
    }
    let deletes: Vec<String> = app
        .sims
        .as_ref()
        .unwrap()
        .calls("helodata")
        .into_iter()
        .filter(|c| c.method == "DELETE")
        .map(|c| c.path)
        .collect();
    let (product, ses) = id["helodata:".len()..].split_once(':').unwrap();
    assert_eq!(deletes, vec![format!("/v1/{product}/sessions/{ses}")]);
    let (status, body) = problem(
        app.admin(Method::GET, &format!("/v1/sessions/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn helodata_request_samples_are_normalized_and_911_answers_501() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let mut raw: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100")];
        if let Some(c) = cursor.as_deref() {
            query.push(("cursor", c));
        }
        let page = upstream_get(&app, "helodata", "/residential/requests", &query).await;
        raw.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(!raw.is_empty());
    let got = all_pages(
        &app,
        "/v1/requests?account=helodata&product=residential",
        100,
    )
    .await;
    assert_eq!(got.len(), raw.len());
    // Small pages walk the same order.
    let mut first = Vec::new();
    let mut url = "/v1/requests?account=helodata&product=residential&limit=7".to_string();
    for _ in 0..3 {
        let body: Value = app
            .admin(Method::GET, &url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        first.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone()),
        );
        let next = body["next_cursor"].as_str().unwrap();
        url = format!("/v1/requests?account=helodata&product=residential&limit=7&cursor={next}");
    }
    let want: Vec<Value> = raw.iter().take(21).map(|r| r["id"].clone()).collect();
    assert_eq!(first, want);
    for (g, r) in got.iter().zip(&raw) {
        assert_eq!(g["id"], r["id"]);
        assert_eq!(g["product"], "residential");
        assert_eq!(
            (&g["status"], &g["exit_ip"], &g["geo"]),
            (&r["status"], &r["exit_ip"], &r["geo"])
        );
        assert_eq!(
            (&g["bytes_in"], &g["bytes_out"], &g["target_domain"]),
            (&r["bytes_in"], &r["bytes_out"], &r["target_domain"])
        );
        assert_eq!(g["provider_data"], *r);
    }
    for path in [
        "/v1/sessions?account=911proxy",
        "/v1/requests?account=911proxy",
        "/v1/sessions/911proxy:residential:ses_1",
    ] {
        let (status, body) = problem(app.admin(Method::GET, path).send().await.unwrap()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (501, Some("unsupported_by_provider")),
            "{path}"
        );
        assert_eq!(body["provider"], "911proxy");
    }
    let (status, body) = problem(
        app.admin(Method::DELETE, "/v1/sessions/911proxy:residential:ses_1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (501, Some("unsupported_by_provider"))
    );
}
