//! `GET /metrics`: what Prometheus scrapes shows the requests served, the upstream attempts,
//! retries and breaker state, and the store pool; it can require a token or move to a listener
//! of its own.
//!
//! Counters are process-wide, so assertions compare a scrape before and after the requests.

use std::time::Duration;

use nix::sys::signal::Signal;
use reqwest::Method;
use serde_json::json;

use super::value;
use crate::support::{
    Db, TestApp, binary, spawn_app, spawn_app_with, spawn_app_with_sims, temp_dir,
};

async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

fn http(text: &str, method: &str, route: &str, status: &str) -> f64 {
    value(
        text,
        "pgw_http_requests_total",
        &[("method", method), ("route", route), ("status", status)],
    )
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status() {
    let app = spawn_app(Db::Sqlite).await;
    let before = scrape(&app).await;

    for _ in 0..2 {
        let ok = app.admin(Method::GET, "/v1/api-keys").send().await.unwrap();
        assert_eq!(ok.status(), 200);
    }
    let anonymous = app
        .client
        .get(app.url("/v1/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let missing = app
        .admin(Method::GET, "/v1/api-keys/key_01JWMKF78094CT0T695R5G6203")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let nowhere = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);

    let after = scrape(&app).await;
    let delta = |method, route, status| {
        http(&after, method, route, status) - http(&before, method, route, status)
    };
    assert_eq!(delta("GET", "/v1/api-keys", "200"), 2.0, "{after}");
    assert_eq!(delta("GET", "/v1/api-keys", "401"), 1.0, "{after}");
    assert_eq!(delta("GET", "/v1/api-keys/{id}", "404"), 1.0, "{after}");
    assert_eq!(delta("GET", "unmatched", "404"), 1.0, "{after}");
    assert!(
        !after.contains("/no/such/page") && !after.contains("key_01JWMKF78094CT0T695R5G6203"),
        "raw paths never become labels"
    );
    let timed = |text: &str| {
        value(
            text,
            "pgw_http_request_duration_seconds_count",
            &[
                ("method", "GET"),
                ("route", "/v1/api-keys"),
                ("status", "200"),
            ],
        )
    };
    assert_eq!(timed(&after) - timed(&before), 2.0);
    assert!(after.contains("# TYPE pgw_http_request_duration_seconds histogram"));
    // The first scrape itself was served and counted before the second one rendered.
    assert!(http(&after, "GET", "/metrics", "200") >= 1.0);
}

#[tokio::test]
async fn upstream_attempts_retries_and_the_breaker_are_exported() {
    let app = spawn_app_with_sims(
        Db::Sqlite,
        &[
            ("PGW_UPSTREAM_MAX_RETRIES", "2"),
            ("PGW_UPSTREAM_BREAKER_THRESHOLD", "3"),
            ("PGW_UPSTREAM_BREAKER_COOLDOWN_SECS", "600"),
        ],
    )
    .await;
    let sims = app.sims.as_ref().unwrap();
    let attempts = |text: &str, outcome: &str| {
        value(
            text,
            "pgw_upstream_requests_total",
            &[
                ("account", "helodata"),
                ("provider", "helodata"),
                ("operation", "GET /subusers"),
                ("outcome", outcome),
            ],
        )
    };
    let retries = |text: &str| {
        value(
            text,
            "pgw_upstream_retries_total",
            &[
                ("account", "helodata"),
                ("provider", "helodata"),
                ("operation", "GET /subusers"),
                ("reason", "server_error"),
            ],
        )
    };
    let breaker = |text: &str, state: &str| {
        super::sample(
            text,
            "pgw_upstream_circuit_breaker_state",
            &[
                ("account", "helodata"),
                ("provider", "helodata"),
                ("state", state),
            ],
        )
    };
    let before = scrape(&app).await;
    assert_eq!(breaker(&before, "closed"), Some(1.0), "{before}");
    assert_eq!(breaker(&before, "open"), Some(0.0));

    // Two 503s, then an answer: three attempts, two retries, the breaker stays closed.
    sims.fault(
        "helodata",
        json!({"kind": "http_error", "status": 503, "path": "/v1/subusers", "times": 2}),
    );
    let response = app
        .admin(Method::GET, "/v1/proxy-users?account=helodata")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let recovered = scrape(&app).await;
    assert_eq!(
        attempts(&recovered, "server_error") - attempts(&before, "server_error"),
        2.0
    );
    assert_eq!(
        attempts(&recovered, "success") - attempts(&before, "success"),
        1.0
    );
    assert_eq!(retries(&recovered) - retries(&before), 2.0);
    let timed = value(
        &recovered,
        "pgw_upstream_request_duration_seconds_count",
        &[
            ("account", "helodata"),
            ("provider", "helodata"),
            ("operation", "GET /subusers"),
            ("outcome", "success"),
        ],
    );
    assert!(timed >= 1.0, "{recovered}");
    assert_eq!(breaker(&recovered, "closed"), Some(1.0));

    // Three failures in a row open the breaker; the next call is refused without being sent.
    sims.fault(
        "helodata",
        json!({"kind": "http_error", "status": 503, "path": "/v1/subusers"}),
    );
    for _ in 0..2 {
        let response = app
            .admin(Method::GET, "/v1/proxy-users?account=helodata")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_server_error(), "{}", response.status());
    }
    let opened = scrape(&app).await;
    assert_eq!(breaker(&opened, "open"), Some(1.0), "{opened}");
    assert_eq!(breaker(&opened, "closed"), Some(0.0));
    assert!(attempts(&opened, "circuit_open") - attempts(&recovered, "circuit_open") >= 1.0);
    // The 911 account was never called and its breaker is closed.
    assert_eq!(
        super::sample(
            &opened,
            "pgw_upstream_circuit_breaker_state",
            &[
                ("account", "911proxy"),
                ("provider", "911proxy"),
                ("state", "closed")
            ],
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn the_store_pool_is_exported() {
    let app = spawn_app_with(Db::Postgres, &[("PGW_DATABASE_MAX_CONNECTIONS", "7")]).await;
    let text = scrape(&app).await;
    let backend = [("backend", "postgres")];
    assert_eq!(
        super::sample(&text, "pgw_store_pool_max_connections", &backend),
        Some(7.0),
        "{text}"
    );
    let open = super::sample(&text, "pgw_store_pool_connections", &backend).unwrap();
    let idle = super::sample(&text, "pgw_store_pool_idle_connections", &backend).unwrap();
    assert!((1.0..=7.0).contains(&open) && idle <= open, "{open} {idle}");
}

#[tokio::test]
async fn idempotency_and_audit_counters_are_exported_from_the_start() {
    let app = spawn_app(Db::Sqlite).await;
    let text = scrape(&app).await;
    for (name, labels) in [
        ("pgw_idempotency_replays_total", vec![]),
        ("pgw_idempotency_conflicts_total", vec![("kind", "in_use")]),
        ("pgw_idempotency_conflicts_total", vec![("kind", "reused")]),
        ("pgw_audit_write_failures_total", vec![]),
    ] {
        assert!(
            super::sample(&text, name, &labels).is_some(),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("# TYPE pgw_idempotency_replays_total counter"));
}

#[tokio::test]
async fn a_metrics_token_is_required_when_configured() {
    let app = spawn_app_with(
        Db::Sqlite,
        &[("PGW_METRICS_TOKEN", "prometheus-scrape-token")],
    )
    .await;
    let anonymous = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"metrics\""
    );
    let (_, body) = crate::support::problem(anonymous).await;
    assert_eq!(body["code"], "unauthenticated");

    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("prometheus-scrape-tokeN")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // An API key is not the metrics token.
    let api_key = app.admin(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(api_key.status(), 401);

    let scraped = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("prometheus-scrape-token")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.text().await.unwrap().contains("pgw_build_info"));
}

#[tokio::test]
async fn a_metrics_listener_of_its_own_serves_metrics_and_the_api_port_does_not() {
    let dir = temp_dir();
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let mut cmd = binary::command(&dir);
    cmd.env("PGW_LISTEN", "127.0.0.1:0")
        .env("PGW_METRICS_LISTEN", "127.0.0.1:0")
        .env("PGW_BOOTSTRAP_ADMIN_KEY", &token)
        .env("PGW_SANDBOX", "false");
    let mut served = binary::serve(cmd).await;
    let printed = served.stderr_lines.join("");
    let metrics_addr = printed
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .unwrap_or_else(|| panic!("the metrics address is printed:\n{printed}"))
        .to_string();
    assert_ne!(metrics_addr, served.addr);
    let client = crate::support::http_client();

    let api = client
        .get(format!("http://{}/v1/api-keys", served.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    let on_api_port = client
        .get(format!("http://{}/metrics", served.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(on_api_port.status(), 404, "not on the API port");

    let text = client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        http(&text, "GET", "/v1/api-keys", "200"),
        1.0,
        "the API request shows on the metrics listener:\n{text}"
    );
    let other = client
        .get(format!("http://{metrics_addr}/v1/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        404,
        "the metrics listener serves nothing else"
    );

    binary::signal(&served.child, Signal::SIGTERM);
    let status = tokio::time::timeout(Duration::from_secs(15), served.child.wait())
        .await
        .expect("exits")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        tokio::net::TcpStream::connect(&metrics_addr).await.is_err(),
        "the metrics listener is closed too"
    );
}

#[test]
fn the_readme_lists_every_metric() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for name in proxy_gateway::telemetry::metrics::NAMES {
        assert!(readme.contains(&format!("`{name}`")), "README lacks {name}");
    }
}
