//! Tests of the 911Proxy simulator, over real HTTP on loopback, against the provider documents
//! (`911proxy-openapi.txt`, `911proxy-notes.md`).

mod accounts;
mod auth;
mod determinism;
mod ip;
mod orders;
mod products;
mod usage;
mod whitelist;

use proxy_gateway::sim::{self, SimHandle, SimOptions, SimProvider};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::macros::datetime;

/// The pinned clock of most tests: 2024-06-15 12:00:00 in UTC+8.
pub(crate) const NOW: OffsetDateTime = datetime!(2024-06-15 04:00:00 UTC);
/// `NOW` as the provider writes it.
pub(crate) const NOW_LOCAL: &str = "2024-06-15 12:00:00";

/// A running simulator and a client for it.
pub(crate) struct Sim {
    handle: SimHandle,
    client: reqwest::Client,
    key: String,
}

impl Sim {
    /// Seed 1, clock pinned at [`NOW`].
    pub(crate) async fn start() -> Sim {
        Sim::start_with(|_| {}).await
    }

    /// Seed 1, clock pinned at [`NOW`], then `tweak`.
    pub(crate) async fn start_with(tweak: impl FnOnce(&mut SimOptions)) -> Sim {
        let mut opts = SimOptions::new(SimProvider::Nine11);
        opts.nine11.now = Some(NOW);
        tweak(&mut opts);
        let key = opts.api_key.clone();
        let handle = sim::spawn(SimProvider::Nine11, opts)
            .await
            .expect("simulator starts");
        Sim {
            handle,
            client: client(),
            key,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api-gate-way/{path}", self.handle.base_url())
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// GET with the app_key in the query; asserts HTTP 200 and a JSON body.
    pub(crate) async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let mut q = vec![("app_key", self.key.as_str())];
        q.extend_from_slice(query);
        self.get_raw(path, &q).await
    }

    /// GET with exactly `query`; asserts HTTP 200 and a JSON body.
    pub(crate) async fn get_raw(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .client
            .get(self.url(path))
            .query(query)
            .send()
            .await
            .expect("request sent");
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.expect("JSON body")
    }

    /// GET returning the content type and the body as text; asserts HTTP 200.
    pub(crate) async fn get_text(&self, path: &str, query: &[(&str, &str)]) -> (String, String) {
        let mut q = vec![("app_key", self.key.as_str())];
        q.extend_from_slice(query);
        let resp = self
            .client
            .get(self.url(path))
            .query(&q)
            .send()
            .await
            .expect("request sent");
        assert_eq!(resp.status(), 200, "GET {path}");
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (ct, resp.text().await.expect("body"))
    }

    /// POST `body` as JSON with the app_key added to the body; asserts HTTP 200.
    pub(crate) async fn post(&self, path: &str, mut body: Value) -> Value {
        if let Value::Object(map) = &mut body {
            map.insert("app_key".into(), Value::String(self.key.clone()));
        }
        self.post_raw(path, &[], body).await
    }

    /// POST `body` as JSON with exactly `query`; asserts HTTP 200.
    pub(crate) async fn post_raw(&self, path: &str, query: &[(&str, &str)], body: Value) -> Value {
        let resp = self
            .client
            .post(self.url(path))
            .query(query)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        assert_eq!(resp.status(), 200, "POST {path}");
        resp.json().await.expect("JSON body")
    }

    /// The account list's items.
    pub(crate) async fn accounts(&self) -> Vec<Value> {
        let v = self.get("whitelist-account/list", &[]).await;
        assert_ok_legacy(&v);
        v["data"]["list"].as_array().expect("list").clone()
    }

    /// The accounts called `name`.
    pub(crate) async fn accounts_named(&self, name: &str) -> Vec<Value> {
        self.accounts()
            .await
            .into_iter()
            .filter(|a| a["username"] == name)
            .collect()
    }
}

/// An HTTP client; reqwest is built without a default rustls provider, so install ring's
/// (another test of the process may have done so already).
pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The object's keys, sorted.
pub(crate) fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .map(Map::keys)
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// Sorted copy of `names`.
pub(crate) fn sorted<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut v = names.to_vec();
    v.sort_unstable();
    v
}

/// `{"code":200,"msg":…,"data":…}`: the older endpoints' success.
#[track_caller]
pub(crate) fn assert_ok_legacy(v: &Value) {
    assert_eq!(v["code"], 200, "{v}");
    assert!(v["msg"].is_string(), "{v}");
    assert_eq!(keys(v), ["code", "data", "msg"], "{v}");
}

/// `{"code":0,"message":…,"data":…}`: the newer endpoints' success.
#[track_caller]
pub(crate) fn assert_ok_modern(v: &Value) {
    assert_eq!(v["code"], 0, "{v}");
    assert!(v["message"].is_string(), "{v}");
    assert_eq!(keys(v), ["code", "data", "message"], "{v}");
}

/// `{"code":400,<msg_key>:…,"errors":{field:[…]}}` naming `field`.
#[track_caller]
pub(crate) fn assert_param_error(v: &Value, msg_key: &str, field: &str) {
    assert_eq!(v["code"], 400, "{v}");
    assert!(v[msg_key].is_string(), "{v}");
    assert_eq!(keys(v), sorted(&["code", msg_key, "errors"]), "{v}");
    assert_eq!(keys(&v["errors"]), [field], "{v}");
    let messages = v["errors"][field].as_array().expect("errors are arrays");
    assert!(
        !messages.is_empty() && messages.iter().all(Value::is_string),
        "{v}"
    );
}

/// `2024-06-15 12:00:00`.
pub(crate) fn is_local_time(s: &str) -> bool {
    time::PrimitiveDateTime::parse(
        s,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    )
    .is_ok()
}

/// `2019-08-24T14:15:22Z`.
pub(crate) fn is_iso_z(s: &str) -> bool {
    s.ends_with('Z')
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// An integer JSON value, as u64.
#[track_caller]
pub(crate) fn int(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}
