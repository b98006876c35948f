//! The audit log through the running gateway: what a write records (both adapters, secrets
//! redacted), the refusal when the intent cannot be written, the query API and its export,
//! append-only enforcement by the database, the hash chain and its verification, retention,
//! several replicas sealing one chain, and a crash in the middle of an upstream call.

mod append_only;
mod chain;
mod crash;
mod outcomes;
mod query;
mod writes;

use std::time::Duration;

use proxy_gateway::config::DatabaseUrl;
use proxy_gateway::store::{self, Store};
use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

/// Settings that make the worker seal within a tick of the test's pace.
pub const FAST_SEALING: (&str, &str) = ("PGW_AUDIT_SEAL_INTERVAL_MS", "50");

/// The events the query API lists for `query` (first page, up to 200), newest first.
pub async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let response = app
        .admin(Method::GET, &format!("/v1/audit-events?limit=200&{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

/// The one event of a request id.
pub async fn event_of_request(app: &TestApp, request_id: &str) -> Value {
    let found = events(app, &format!("request_id={request_id}")).await;
    assert_eq!(
        found.len(),
        1,
        "exactly one event for {request_id}: {found:?}"
    );
    found[0].clone()
}

/// A store handle on the app's database (the app's own role and credentials).
pub async fn store_of(app: &TestApp) -> Store {
    store::connect(&DatabaseUrl::new(app.database_url.clone()), 2)
        .await
        .expect("connect to the app's store")
}

/// Waits until every event is sealed and returns the verification report.
pub async fn sealed_report(app: &TestApp) -> Value {
    for _ in 0..200 {
        let report: Value = app
            .admin(Method::GET, "/v1/audit-events/verify")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if report["unsealed"] == 0 {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("events stayed unsealed for 10 s");
}

/// A fresh request id, sent as `X-Request-Id` to find the event afterwards.
pub fn request_id() -> String {
    format!("test-{}", ulid::Ulid::generate())
}
