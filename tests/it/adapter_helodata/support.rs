//! A simulator plus an adapter pointed at it, and the control-API calls the tests need.

use std::sync::Arc;
use std::time::Duration;

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{NewProxyUser, ProxyUser};
use proxy_gateway::providers::helodata::HelodataAdapter;
use proxy_gateway::providers::registry::AdapterSettings;
use proxy_gateway::providers::{ProviderAdapter, ProviderError, UpstreamFailure};
use proxy_gateway::sim::{self, SimHandle, SimOptions, SimProvider};
use proxy_gateway::upstream::{UpstreamClient, UpstreamPolicy};
use secrecy::SecretString;
use serde_json::Value;

/// The configured account name in every test.
pub const ACCOUNT: &str = "helo-main";

/// The seeded sub-users of seed 1, in helodata's list order: (id, name, label).
pub const SEEDED: [(&str, &str, &str); 12] = [
    ("sub_01JWMKF78094CT0T695R5G6203", "sjaa6j31ee2", "acme-prod"),
    (
        "sub_01JWWRCTR02KW21EPYKQFR1SAW",
        "s9spwbp4q2y",
        "acme-staging",
    ),
    (
        "sub_01JX5W76W09V8B985K2W63S2WN",
        "skvkchshe79",
        "scraper-eu",
    ),
    (
        "sub_01JXE14TC0C5F3VQRS4XY66ZXK",
        "sx5yb1p4epm",
        "scraper-us",
    ),
    (
        "sub_01JXKTHE40AR6Z4VN4QR2SNQ31",
        "s6vharmucii",
        "price-monitor",
    ),
    (
        "sub_01JXV404M0AATNSG3TGBSJR2WQ",
        "srcz9s59eld",
        "ads-verify",
    ),
    (
        "sub_01JY3220W06C9T4D1R74KCYEJW",
        "szq529pu3yd",
        "seo-tracker",
    ),
    ("sub_01JYC9A8M0AGCX6WZEA1TDTYX6", "s3n2601d76t", "mobile-qa"),
    (
        "sub_01JYJKW6G0DD8KWHPSFBFMR5AW",
        "swrfhycibvu",
        "isp-static",
    ),
    (
        "sub_01JYT0RRM0F1DF2TH427J314K3",
        "sbjg2i7hmpl",
        "social-mgmt",
    ),
    ("sub_01JZ2947R0F8X175FGWXSJ0H7P", "sfjke9iihkn", "research"),
    (
        "sub_01JZAVS9R0B15VDTSNF767TQRK",
        "sr3t9v1waxb",
        "legacy-backup",
    ),
];

/// The token of the simulator's main (`*`) account token.
pub fn main_token() -> String {
    SimOptions::new(SimProvider::Helodata).api_key
}

/// The default policy with short backoffs, so retried tests stay fast.
pub fn fast_policy() -> UpstreamPolicy {
    UpstreamPolicy {
        retry_base_delay: Duration::from_millis(5),
        retry_max_delay: Duration::from_millis(20),
        breaker_failure_threshold: 100,
        ..UpstreamPolicy::default()
    }
}

pub struct Env {
    pub sim: SimHandle,
    pub adapter: HelodataAdapter,
    http: reqwest::Client,
}

/// A seed-1 simulator and an adapter with the main token and [`fast_policy`].
pub async fn start() -> Env {
    start_with(&main_token(), fast_policy()).await
}

/// A seed-1 simulator and an adapter with `token` and `policy`.
pub async fn start_with(token: &str, policy: UpstreamPolicy) -> Env {
    proxy_gateway::upstream::tls::install_crypto_provider();
    let sim = sim::spawn(
        SimProvider::Helodata,
        SimOptions::new(SimProvider::Helodata),
    )
    .await
    .expect("simulator starts");
    let adapter = adapter_for(&sim.base_url(), token, policy);
    Env {
        sim,
        adapter,
        http: reqwest::Client::new(),
    }
}

/// An adapter built as the registry builds one.
pub fn adapter_for(base_url: &str, token: &str, policy: UpstreamPolicy) -> HelodataAdapter {
    let client = UpstreamClient::new(ACCOUNT, base_url, policy).expect("client");
    HelodataAdapter::new(
        AdapterSettings {
            account: ACCOUNT.to_string(),
            credential: SecretString::from(token.to_string()),
            timezone: jiff::tz::TimeZone::UTC,
            list_snapshot_ttl: std::time::Duration::ZERO,
        },
        Arc::new(client),
    )
}

impl Env {
    /// The call log, filtered by method and path (exact, or a prefix ending in `*`).
    pub async fn calls(&self, method: &str, path: &str) -> Vec<Value> {
        let url = format!("{}/calls", self.sim.control_url());
        let body: Value = self
            .http
            .get(url)
            .query(&[("method", method), ("path", path)])
            .send()
            .await
            .expect("call log")
            .json()
            .await
            .expect("call log JSON");
        body["calls"].as_array().cloned().unwrap_or_default()
    }

    /// Every call in the log.
    pub async fn all_calls(&self) -> Vec<Value> {
        let url = format!("{}/calls", self.sim.control_url());
        let body: Value = self
            .http
            .get(url)
            .send()
            .await
            .expect("call log")
            .json()
            .await
            .expect("call log JSON");
        body["calls"].as_array().cloned().unwrap_or_default()
    }

    pub async fn clear_calls(&self) {
        let url = format!("{}/calls", self.sim.control_url());
        let res = self.http.delete(url).send().await.expect("clear");
        assert_eq!(res.status(), 200);
    }

    /// Adds a fault rule.
    pub async fn fault(&self, rule: Value) {
        let url = format!("{}/faults", self.sim.control_url());
        let res = self.http.post(url).json(&rule).send().await.expect("fault");
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }

    /// A GET straight to the simulator with the main token, bypassing the adapter.
    pub async fn raw_get(&self, path: &str) -> Value {
        let res = self
            .http
            .get(format!("{}{path}", self.sim.base_url()))
            .bearer_auth(main_token())
            .send()
            .await
            .expect("raw GET");
        assert_eq!(res.status(), 200, "{path}");
        res.json().await.expect("JSON")
    }

    /// A DELETE straight to the simulator with the main token.
    pub async fn raw_delete(&self, path: &str) {
        let res = self
            .http
            .delete(format!("{}{path}", self.sim.base_url()))
            .bearer_auth(main_token())
            .send()
            .await
            .expect("raw DELETE");
        assert_eq!(res.status(), 204, "{path}");
    }

    /// How many sub-users the simulator holds.
    pub async fn subuser_count(&self) -> usize {
        self.raw_get("/subusers?limit=100").await["data"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    }
}

/// A valid residential create.
pub fn new_user(label: &str) -> NewProxyUser {
    NewProxyUser {
        products: vec![Product::Residential],
        label: Some(label.to_string()),
        ..NewProxyUser::default()
    }
}

/// The upstream failure inside an adapter error.
pub fn upstream(err: ProviderError) -> UpstreamFailure {
    match err {
        ProviderError::Upstream(f) => f,
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

/// The upstream ids of users, in order.
pub fn ids(users: &[ProxyUser]) -> Vec<String> {
    users.iter().map(|u| u.id.upstream.clone()).collect()
}

/// Walks every page of a listing.
pub async fn walk(
    adapter: &HelodataAdapter,
    filter: &proxy_gateway::domain::proxy_users::ProxyUserFilter,
    limit: u32,
) -> Vec<ProxyUser> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page = adapter
            .list_proxy_users(filter, cursor.as_deref(), limit)
            .await
            .expect("page");
        assert!(page.users.len() <= limit as usize);
        out.extend(page.users);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
    panic!("the listing never ended");
}
