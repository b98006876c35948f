//! The real binary killed with SIGKILL while an upstream call is in flight: the intent
//! survives as `pending`, the restarted gateway closes it as `unknown`, and the caller's retry
//! is recorded under the same idempotency key.

use std::time::Duration;

use nix::sys::signal::Signal;
use proxy_gateway::config::DatabaseUrl;
use proxy_gateway::domain::audit::{AuditFilter, Outcome};
use proxy_gateway::store;
use serde_json::{Value, json};

use crate::normalized::create_body;
use crate::support::{binary, fresh_postgres_url, http_client, spawn_sims, temp_dir};

const IDEMPOTENCY_KEY: &str = "crash-create-1";

fn gateway(db: &str, token: &str, sims: &crate::support::TestSims) -> tokio::process::Command {
    let mut cmd = binary::command(&temp_dir());
    cmd.env("PGW_LISTEN", "127.0.0.1:0")
        .env("PGW_DATABASE_URL", db)
        .env("PGW_BOOTSTRAP_ADMIN_KEY", token)
        .env(
            "PGW_HELODATA_API_KEY",
            proxy_gateway::sim::DEFAULT_HELODATA_TOKEN,
        )
        .env("PGW_HELODATA_BASE_URL", sims.helodata.base_url())
        .env(
            "PGW_911PROXY_APP_KEY",
            proxy_gateway::sim::DEFAULT_NINE11_APP_KEY,
        )
        .env("PGW_911PROXY_BASE_URL", sims.nine11.base_url())
        // A pending event older than deadline + grace (4 s) has no one serving it.
        .env("PGW_REQUEST_TIMEOUT_SECS", "3")
        .env("PGW_SHUTDOWN_GRACE_SECS", "1")
        .env("PGW_UPSTREAM_TIMEOUT_SECS", "60")
        .env("PGW_AUDIT_SEAL_INTERVAL_MS", "100")
        // The killed holder's idempotency claim lapses quickly, so the retry can take over.
        .env("PGW_IDEMPOTENCY_LEASE_SECS", "2");
    cmd
}

async fn events_of_the_key(addr: &str, token: &str) -> Vec<Value> {
    let body: Value = http_client()
        .get(format!(
            "http://{addr}/v1/audit-events?idempotency_key={IDEMPOTENCY_KEY}"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sigkill_mid_upstream_call_leaves_a_pending_event_that_reads_unknown_after_restart() {
    let sims = spawn_sims().await;
    let db = fresh_postgres_url().await;
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    // The provider takes 20 s to answer the create: the gateway is killed meanwhile.
    sims.fault(
        "helodata",
        json!({"kind": "latency", "ms": 20000, "path": "/v1/subusers", "method": "POST", "times": 1}),
    );
    let mut served = binary::serve(gateway(&db, &token, &sims)).await;
    let addr = served.addr.clone();
    let send_create = |addr: String, token: String| async move {
        http_client()
            .post(format!("http://{addr}/v1/proxy-users"))
            .bearer_auth(&token)
            .header("Idempotency-Key", IDEMPOTENCY_KEY)
            .json(&create_body("helodata", "crash-test"))
            .send()
            .await
    };
    let in_flight = tokio::spawn(send_create(addr.clone(), token.clone()));
    let upstream_reached = async {
        loop {
            if sims
                .calls("helodata")
                .iter()
                .any(|c| c.method == "POST" && c.path == "/v1/subusers")
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), upstream_reached)
        .await
        .expect("the create reached the provider");
    binary::signal(&served.child, Signal::SIGKILL);
    let status = served.child.wait().await.unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    assert!(
        in_flight.await.unwrap().is_err(),
        "the caller got no answer"
    );

    // Straight after the crash the event is there, pending.
    let stored = store::connect(&DatabaseUrl::new(db.clone()), 2)
        .await
        .unwrap();
    let filter = AuditFilter {
        idempotency_key: Some(IDEMPOTENCY_KEY.to_string()),
        ..AuditFilter::default()
    };
    let left = stored.audit.list(&filter, None, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].outcome, Outcome::Pending);
    assert_eq!(left[0].intent.operation, "proxy_users.create");
    assert_eq!(left[0].intent.account.as_deref(), Some("helodata"));
    stored.admin.close().await;

    // The restarted gateway closes it as unknown once no process can still be serving it.
    let mut restarted = binary::serve(gateway(&db, &token, &sims)).await;
    let addr = restarted.addr.clone();
    let closed = async {
        loop {
            let found = events_of_the_key(&addr, &token).await;
            if found.len() == 1 && found[0]["outcome"] == "unknown" {
                return found[0].clone();
            }
            assert_eq!(found[0]["outcome"], "pending", "{found:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let unknown = tokio::time::timeout(Duration::from_secs(15), closed)
        .await
        .expect("closed as unknown within 15 s");
    assert_eq!(unknown["status"], Value::Null);
    assert_eq!(unknown["error_code"], Value::Null);

    // The caller retries with the same key (409 while the dead holder's claim lasts, then the
    // retry takes over and reconciles); every event carries the key.
    let mut retried = send_create(addr.clone(), token.clone()).await.unwrap();
    for _ in 0..40 {
        if retried.status() != 409 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        retried = send_create(addr.clone(), token.clone()).await.unwrap();
    }
    assert_eq!(retried.status(), 201);
    let events = events_of_the_key(&addr, &token).await;
    assert!(events.len() >= 2, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e["idempotency"]["key"] == IDEMPOTENCY_KEY),
        "{events:?}"
    );
    assert_eq!(
        events[0]["outcome"], "succeeded",
        "the newest event is the retry that succeeded"
    );
    let oldest = events.last().unwrap();
    assert_eq!(oldest["id"], unknown["id"]);
    assert_eq!(oldest["outcome"], "unknown");
    binary::signal(&restarted.child, Signal::SIGTERM);
    assert!(restarted.child.wait().await.unwrap().success());
}
