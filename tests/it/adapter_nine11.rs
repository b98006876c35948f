//! Tests of the 911Proxy adapter against the 911 simulator over real HTTP, built exactly as the
//! registry builds it. What the adapter sent is read back from the simulator's call log.

mod errors;
mod lifecycle;
mod reads;
mod usage;

use std::sync::Arc;
use std::time::Duration;

use proxy_gateway::providers::nine11::Nine11Adapter;
use proxy_gateway::providers::registry::AdapterSettings;
use proxy_gateway::providers::{ProviderError, UpstreamFailure};
use proxy_gateway::sim::{self, SimHandle, SimOptions, SimProvider};
use proxy_gateway::upstream::{UpstreamClient, UpstreamPolicy};
use secrecy::SecretString;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

/// The account name every test configures.
pub(crate) const ACCOUNT: &str = "nine";
/// The simulator's pinned clock: 2024-06-15 12:00:00 in UTC+8.
pub(crate) const NOW: OffsetDateTime = datetime!(2024-06-15 04:00:00 UTC);

/// A simulator, an adapter pointed at it, and a plain client for the control API.
pub(crate) struct Harness {
    pub sim: SimHandle,
    pub adapter: Nine11Adapter,
    pub key: String,
    http: reqwest::Client,
}

/// Fast retries so tests that exercise them stay quick.
pub(crate) fn fast_policy() -> UpstreamPolicy {
    UpstreamPolicy {
        retry_base_delay: Duration::from_millis(5),
        retry_max_delay: Duration::from_millis(20),
        ..UpstreamPolicy::default()
    }
}

impl Harness {
    /// Seed 1, clock pinned at [`NOW`], the simulator's own app_key, fast retries.
    pub(crate) async fn start() -> Harness {
        Harness::build(|_| {}, fast_policy(), None).await
    }

    /// As [`Harness::start`] with simulator options, policy and (optionally) a different key.
    pub(crate) async fn build(
        tweak: impl FnOnce(&mut SimOptions),
        policy: UpstreamPolicy,
        key: Option<&str>,
    ) -> Harness {
        proxy_gateway::upstream::tls::install_crypto_provider();
        let mut opts = SimOptions::new(SimProvider::Nine11);
        opts.nine11.now = Some(NOW);
        tweak(&mut opts);
        let sim_key = opts.api_key.clone();
        let sim = sim::spawn(SimProvider::Nine11, opts)
            .await
            .expect("simulator starts");
        let key = key.map_or(sim_key, str::to_string);
        let client =
            Arc::new(UpstreamClient::new(ACCOUNT, &sim.base_url(), policy).expect("client builds"));
        let settings = AdapterSettings {
            account: ACCOUNT.to_string(),
            credential: SecretString::from(key.clone()),
            timezone: proxy_gateway::config::parse_timezone("+08:00").expect("zone"),
            list_snapshot_ttl: std::time::Duration::ZERO,
        };
        Harness {
            adapter: Nine11Adapter::new(settings, client),
            key,
            http: reqwest::Client::new(),
            sim,
        }
    }

    /// Every call the simulator logged, oldest first.
    pub(crate) async fn calls(&self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!("{}/calls", self.sim.control_url()))
            .send()
            .await
            .expect("call log")
            .json()
            .await
            .expect("JSON");
        v["calls"].as_array().expect("calls").clone()
    }

    /// `(method, path without /api-gate-way)` of every logged call.
    pub(crate) async fn call_paths(&self) -> Vec<(String, String)> {
        self.calls()
            .await
            .iter()
            .map(|c| {
                (
                    c["method"].as_str().unwrap_or_default().to_string(),
                    c["path"]
                        .as_str()
                        .unwrap_or_default()
                        .trim_start_matches("/api-gate-way/")
                        .to_string(),
                )
            })
            .collect()
    }

    /// Empties the call log.
    pub(crate) async fn clear_calls(&self) {
        self.http
            .delete(format!("{}/calls", self.sim.control_url()))
            .send()
            .await
            .expect("clear calls");
    }

    /// Adds a fault rule; `path` is relative to `/api-gate-way/`.
    pub(crate) async fn fault(&self, path: &str, mut rule: Value) {
        rule["path"] = json!(format!("/api-gate-way/{path}"));
        let resp = self
            .http
            .post(format!("{}/faults", self.sim.control_url()))
            .json(&rule)
            .send()
            .await
            .expect("add fault");
        assert_eq!(resp.status(), 201, "{:?}", resp.text().await);
    }

    /// A GET straight to the simulator (bypassing the adapter), its `data`.
    pub(crate) async fn raw_get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let mut q = vec![("app_key", self.key.as_str())];
        q.extend_from_slice(query);
        let v: Value = self
            .http
            .get(format!("{}/api-gate-way/{path}", self.sim.base_url()))
            .query(&q)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        v["data"].clone()
    }

    /// A POST straight to the simulator (bypassing the adapter); the whole envelope.
    pub(crate) async fn raw_post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}/api-gate-way/{path}", self.sim.base_url()))
            .query(&[("app_key", self.key.as_str())])
            .json(&body)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON")
    }

    /// The raw account rows called `name`.
    pub(crate) async fn raw_accounts_named(&self, name: &str) -> Vec<Value> {
        self.raw_get("whitelist-account/list", &[])
            .await
            .get("list")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a["username"] == name)
            .collect()
    }
}

/// The classified upstream failure inside `err` (unwrapping nothing else).
#[track_caller]
pub(crate) fn upstream(err: ProviderError) -> UpstreamFailure {
    match err {
        ProviderError::Upstream(failure) => failure,
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}
