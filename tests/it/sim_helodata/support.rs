//! A running simulator plus a small client that returns status, headers and JSON together.

use proxy_gateway::sim::{self, SimHandle, SimOptions, SimProvider};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The token `SimOptions::new` gives the main (`*`) token.
pub fn main_token() -> String {
    SimOptions::new(SimProvider::Helodata).api_key
}

pub struct Sim {
    pub handle: SimHandle,
    client: reqwest::Client,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `data` of a list envelope.
    pub fn data(&self) -> &Vec<Value> {
        self.body["data"]
            .as_array()
            .expect("a list envelope with data")
    }

    /// Asserts helodata's error shape (§6.1): `code`, `message`, `request_id` (equal to the
    /// request-id header), and `field` only when expected.
    pub fn assert_error(&self, status: u16, code: &str, field: Option<&str>) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        let rid = self.body["request_id"].as_str().expect("request_id");
        assert!(rid.starts_with("req_"), "{rid}");
        assert_eq!(self.header("x-helodata-request-id"), Some(rid));
        match field {
            Some(f) => assert_eq!(self.body["field"], f, "body: {}", self.body),
            None => assert!(self.body.get("field").is_none(), "body: {}", self.body),
        }
    }
}

/// A simulator with default options (seed 1).
pub async fn start() -> Sim {
    start_with(|_| {}).await
}

/// A simulator with options adjusted by `f`.
pub async fn start_with(f: impl FnOnce(&mut SimOptions)) -> Sim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut opts = SimOptions::new(SimProvider::Helodata);
    opts.control = false;
    f(&mut opts);
    let token = opts.api_key.clone();
    let handle = sim::spawn(SimProvider::Helodata, opts)
        .await
        .expect("simulator starts");
    Sim {
        handle,
        client: reqwest::Client::new(),
        token,
    }
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    /// A request with any token (`None`: no Authorization header) and extra headers.
    pub async fn call(
        &self,
        method: Method,
        path_or_url: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            self.url(path_or_url)
        };
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request is answered");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            bytes,
            body,
        }
    }

    /// A POST with a body sent as is (e.g. not JSON).
    pub async fn post_raw_body(&self, path: &str, body: &[u8]) -> Resp {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .expect("request is answered");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            bytes,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, Some(&self.token), None, &[])
            .await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.call(Method::POST, path, Some(&self.token), Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.call(Method::PATCH, path, Some(&self.token), Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, Some(&self.token), None, &[])
            .await
    }

    /// Every item of a list, following `next_cursor` with the given page size.
    pub async fn all(&self, path: &str, limit: usize) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{sep}limit={limit}");
        let mut out = Vec::new();
        loop {
            let r = self.get(&url).await;
            assert_eq!(r.status, 200, "{}", r.body);
            out.extend(r.data().iter().cloned());
            match r.body["next_cursor"].as_str() {
                Some(c) => url = format!("{path}{sep}limit={limit}&cursor={c}"),
                None => return out,
            }
        }
    }

    /// Creates a residential sub-user and answers the create response.
    pub async fn create_subuser(&self, label: &str) -> Value {
        let r = self
            .post(
                "/subusers",
                &serde_json::json!({ "label": label, "products": ["residential"] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }
}

/// Whether `s` is an RFC 3339 UTC timestamp like `2026-05-01T00:00:00Z`.
pub fn is_rfc3339_utc(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 20
            && s.ends_with('Z')
            && s.as_bytes().get(10) == Some(&b'T')
            && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .is_ok()
    })
}

/// Whether `v` is `prefix_` followed by a 26-character ULID.
pub fn is_id(v: &Value, prefix: &str) -> bool {
    v.as_str().is_some_and(|s| {
        s.strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|u| u.len() == 26 && ulid::Ulid::from_string(u).is_ok())
    })
}

/// The sorted member names of an object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// Sorted owned names, for comparing with [`keys`].
pub fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_string()).collect();
    v.sort();
    v
}
