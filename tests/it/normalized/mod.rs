//! The normalized API over both providers, through HTTP against the simulators: one suite,
//! each behaviour a function of the account name run for `helodata` and `911proxy`, asserting
//! exact normalized values against what the simulator itself answers upstream.

mod account_packages;
mod billing;
mod connection;
mod extract;
mod faults;
mod invoices;
mod locations;
mod orders;
mod passthrough;
mod providers;
mod proxy_users;
mod reports;
mod sessions;
mod snapshots;
mod static_ips;
mod subscriptions;
mod tombstones;
mod unsupported;
mod usage;
mod whitelist;

use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

/// Runs each listed `async fn(account: &str)` as one test per provider account.
macro_rules! for_both_providers {
    ($($case:ident),* $(,)?) => {
        mod on_helodata {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case("helodata").await;
                }
            )*
        }
        mod on_911proxy {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case("911proxy").await;
                }
            )*
        }
    };
}
pub(crate) use for_both_providers;

/// The decimal text a provider's JSON number stands for, as the gateway shows money: a JSON
/// string, never a float (`12.5` → `"12.5"`, `10.0` → `"10"`).
pub fn decimal_text(number: &Value) -> Value {
    let text = number.to_string();
    match text.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => {
            Value::String(whole.into())
        }
        _ => Value::String(text),
    }
}

/// 1 GB as the gateway counts it.
pub const GIB: u64 = 1024 * 1024 * 1024;

/// What the account's simulator answers to a direct upstream GET (bypassing the gateway), as the
/// raw JSON the adapter also sees. It shows in the call log: clear the log before asserting on it.
pub async fn upstream_get(
    app: &TestApp,
    account: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Value {
    let sims = app.sims.as_ref().expect("app with simulators");
    let sim = sims.for_account(account);
    let client = crate::support::http_client();
    let request = match account {
        "911proxy" => client
            .get(format!("{}/api-gate-way{path}", sim.base_url()))
            .query(&[("app_key", proxy_gateway::sim::DEFAULT_NINE11_APP_KEY)])
            .query(query),
        _ => client
            .get(format!("{}{path}", sim.base_url()))
            .bearer_auth(proxy_gateway::sim::DEFAULT_HELODATA_TOKEN)
            .query(query),
    };
    request
        .send()
        .await
        .expect("upstream call")
        .json()
        .await
        .expect("upstream JSON")
}

/// Every proxy user of an account as the upstream lists it (911: data.list; helodata: all pages).
pub async fn upstream_users(app: &TestApp, account: &str) -> Vec<Value> {
    match account {
        "911proxy" => {
            upstream_get(app, account, "/whitelist-account/list", &[]).await["data"]["list"]
                .as_array()
                .expect("911 list")
                .clone()
        }
        _ => {
            let mut users = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut query = vec![("limit", "100")];
                if let Some(c) = cursor.as_deref() {
                    query.push(("cursor", c));
                }
                let page = upstream_get(app, account, "/subusers", &query).await;
                users.extend(
                    page["data"]
                        .as_array()
                        .expect("helodata list")
                        .iter()
                        .cloned(),
                );
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_string()),
                    None => break,
                }
            }
            users
        }
    }
}

/// Every proxy user of `account` through the gateway, walking all pages.
pub async fn gateway_users(app: &TestApp, account: &str) -> Vec<Value> {
    let mut users = Vec::new();
    let mut path = format!("/v1/proxy-users?account={account}&limit=200");
    loop {
        let response = app.admin(Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        users.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/proxy-users?account={account}&limit=200&cursor={cursor}")
            }
            None => return users,
        }
    }
}

/// The upstream id of a raw user (911: username; helodata: id).
pub fn upstream_id(account: &str, raw: &Value) -> String {
    match account {
        "911proxy" => raw["username"].as_str().unwrap().to_string(),
        _ => raw["id"].as_str().unwrap().to_string(),
    }
}

/// A valid create body for the account.
pub fn create_body(account: &str, label: &str) -> Value {
    match account {
        "911proxy" => {
            serde_json::json!({"account": account, "products": ["residential"], "label": label, "traffic_limit_bytes": 5 * GIB})
        }
        _ => {
            serde_json::json!({"account": account, "products": ["residential"], "label": label, "concurrency_max": 100, "rps_max": 200})
        }
    }
}

/// Creates a proxy user labelled `label` through the gateway (keyed), answering its view.
pub async fn create_user(app: &TestApp, account: &str, label: &str) -> Value {
    let (status, created) = send_keyed(
        app,
        reqwest::Method::POST,
        "/v1/proxy-users",
        &format!("create-{label}"),
        Some(create_body(account, label)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

/// Paths of the calls the account's simulator received since the log was last cleared.
pub fn upstream_paths(app: &TestApp, account: &str) -> Vec<String> {
    app.sims
        .as_ref()
        .unwrap()
        .calls(account)
        .into_iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect()
}

/// Sends `body` (if any) with `Idempotency-Key: key` as the admin; the status and the JSON
/// answer (`null` for an empty one).
pub async fn send_keyed(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.admin(method, path).header("idempotency-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// POSTs each body to `path` (a new key each) and checks it is 400 naming its field.
pub async fn assert_refused_by_field(app: &TestApp, path: &str, cases: &[(Value, &str)]) {
    for (i, (body, field)) in cases.iter().enumerate() {
        let key = format!("refused-{i}");
        let (status, p) =
            send_keyed(app, reqwest::Method::POST, path, &key, Some(body.clone())).await;
        assert_eq!(
            (status, p["field"].as_str()),
            (400, Some(*field)),
            "{body}: {p}"
        );
    }
}
