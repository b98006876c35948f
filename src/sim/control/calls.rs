//! The call log: what each request that reached the provider routes looked like, in arrival
//! order, so the gateway's tests can assert what it sent and where it put the credential.

use std::collections::VecDeque;

use axum::http::request::Parts;
use serde::Serialize;
use serde_json::{Map, Value};

use super::faults::AppliedFault;

/// How many calls the log keeps; older ones are dropped first.
pub const MAX_CALLS: usize = 10_000;
/// How much of a request body the log keeps (the handler still gets all of it).
pub const MAX_LOGGED_BODY: usize = 64 * 1024;
/// The request headers worth asserting on.
const LOGGED_HEADERS: [&str; 5] = [
    "authorization",
    "idempotency-key",
    "content-type",
    "user-agent",
    "x-request-id",
];
/// Where 911 takes its credential, in the query or in the body.
const CREDENTIAL_PARAM: &str = "app_key";

/// One request as the simulator received it, and how it was answered.
#[derive(Clone, Debug, Serialize)]
pub struct CallRecord {
    /// Arrival order, unique for the life of the simulator (not reset with the log).
    pub seq: u64,
    /// When the request (head and body) had arrived, RFC 3339 UTC.
    pub received_at: String,
    pub method: String,
    pub path: String,
    /// The raw query string, `None` without `?`.
    pub query: Option<String>,
    /// The query decoded; a repeated name becomes an array of its values.
    pub query_params: Map<String, Value>,
    /// The present ones of `authorization`, `idempotency-key`, `content-type`, `user-agent`,
    /// `x-request-id`.
    pub headers: Map<String, Value>,
    /// The body as text (lossy UTF-8), cut at [`MAX_LOGGED_BODY`] bytes.
    pub body: String,
    pub body_truncated: bool,
    /// The body parsed, when it is JSON.
    pub body_json: Option<Value>,
    /// Where the credential was sent.
    pub auth: Auth,
    /// The HTTP status answered; `None` while in flight, or when the connection was closed or
    /// held without an answer.
    pub status: Option<u16>,
    /// The injected fault, if one was applied.
    pub fault: Option<AppliedFault>,
    /// Time from arrival to the answer (or to the close), once there was one.
    pub duration_ms: Option<u64>,
}

/// The credential as seen: the first found of a Bearer header, `app_key` in the query, `app_key`
/// in a JSON or form body, any other `Authorization` header.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Auth {
    pub placement: AuthPlacement,
    pub value: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthPlacement {
    Bearer,
    Query,
    Body,
    /// An `Authorization` header with a scheme other than Bearer; the value is the whole header.
    Header,
    None,
}

impl CallRecord {
    /// Describes a request; `seq`, `status`, `fault` and `duration_ms` are filled in later.
    pub fn describe(parts: &Parts, body: &[u8]) -> Self {
        let query = parts.uri.query().map(str::to_owned);
        let query_params = query.as_deref().map(decode_form).unwrap_or_default();
        let mut headers = Map::new();
        for name in LOGGED_HEADERS {
            if let Some(value) = parts.headers.get(name) {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                headers.insert(name.to_owned(), Value::String(value));
            }
        }
        let body_truncated = body.len() > MAX_LOGGED_BODY;
        let body_text = String::from_utf8_lossy(&body[..body.len().min(MAX_LOGGED_BODY)]);
        let body_json = if body.is_empty() {
            None
        } else {
            serde_json::from_slice(body).ok()
        };
        let content_type = headers
            .get("content-type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let body_form = if content_type.starts_with("application/x-www-form-urlencoded") {
            Some(decode_form(&body_text))
        } else {
            None
        };
        let authorization = headers.get("authorization").and_then(Value::as_str);
        let auth = find_auth(
            authorization,
            &query_params,
            body_json.as_ref(),
            body_form.as_ref(),
        );
        CallRecord {
            seq: 0,
            received_at: now_rfc3339(),
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query,
            query_params,
            headers,
            body: body_text.into_owned(),
            body_truncated,
            body_json,
            auth,
            status: None,
            fault: None,
            duration_ms: None,
        }
    }

    /// Whether the caller asked for English messages (911's `language=en`, query or body).
    pub fn wants_english(&self) -> bool {
        let in_body = self
            .body_json
            .as_ref()
            .and_then(|body| body.get("language"))
            .and_then(Value::as_str);
        let in_query = self.query_params.get("language").and_then(Value::as_str);
        in_query.or(in_body) == Some("en")
    }
}

fn find_auth(
    authorization: Option<&str>,
    query: &Map<String, Value>,
    body_json: Option<&Value>,
    body_form: Option<&Map<String, Value>>,
) -> Auth {
    let auth = |placement, value: Option<&str>| Auth {
        placement,
        value: value.map(str::to_owned),
    };
    if let Some(header) = authorization {
        let mut words = header.splitn(2, ' ');
        let scheme = words.next().unwrap_or_default();
        if scheme.eq_ignore_ascii_case("bearer") {
            return auth(
                AuthPlacement::Bearer,
                Some(words.next().unwrap_or("").trim()),
            );
        }
    }
    if let Some(value) = query.get(CREDENTIAL_PARAM) {
        return auth(AuthPlacement::Query, Some(&scalar_text(value)));
    }
    let in_body = body_json
        .and_then(|body| body.get(CREDENTIAL_PARAM))
        .or_else(|| body_form.and_then(|form| form.get(CREDENTIAL_PARAM)));
    if let Some(value) = in_body {
        return auth(AuthPlacement::Body, Some(&scalar_text(value)));
    }
    match authorization {
        Some(header) => auth(AuthPlacement::Header, Some(header)),
        None => auth(AuthPlacement::None, None),
    }
}

/// A credential value as text: strings as they are, anything else as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `a=1&b=2&a=3` as `{"a":["1","3"],"b":"2"}`; undecodable input gives what decoded before it.
pub fn decode_form(input: &str) -> Map<String, Value> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(input).unwrap_or_default();
    let mut map = Map::new();
    for (name, value) in pairs {
        match map.get_mut(&name) {
            None => {
                map.insert(name, Value::String(value));
            }
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => {
                let first = first.take();
                map.insert(name, Value::Array(vec![first, Value::String(value)]));
            }
        }
    }
    map
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The bounded log.
#[derive(Debug, Default)]
pub struct CallLog {
    entries: VecDeque<CallRecord>,
    last_seq: u64,
    dropped: u64,
}

/// Which calls `GET /__sim/calls` returns.
#[derive(Debug, Default)]
pub struct CallFilter {
    /// Exact path, or a prefix ending in `*`.
    pub path: Option<String>,
    /// Upper-case method.
    pub method: Option<String>,
    /// Only calls with a larger `seq`.
    pub since: Option<u64>,
}

impl CallFilter {
    fn accepts(&self, call: &CallRecord) -> bool {
        self.path
            .as_deref()
            .is_none_or(|pattern| path_matches(pattern, &call.path))
            && self.method.as_deref().is_none_or(|m| m == call.method)
            && self.since.is_none_or(|since| call.seq > since)
    }
}

/// `pattern` is an exact path, or a prefix when it ends in `*`.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

impl CallLog {
    /// Appends `call`, numbering it, and returns its `seq`.
    pub fn push(&mut self, mut call: CallRecord) -> u64 {
        self.last_seq += 1;
        call.seq = self.last_seq;
        if self.entries.len() >= MAX_CALLS {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(call);
        self.last_seq
    }

    /// Records how call `seq` ended; a call already dropped or cleared is ignored.
    pub fn complete(&mut self, seq: u64, status: Option<u16>, duration_ms: u64) {
        if let Ok(index) = self.entries.binary_search_by_key(&seq, |call| call.seq)
            && let Some(call) = self.entries.get_mut(index)
        {
            call.status = status;
            call.duration_ms = Some(duration_ms);
        }
    }

    pub fn list(&self, filter: &CallFilter) -> Vec<CallRecord> {
        self.entries
            .iter()
            .filter(|call| filter.accepts(call))
            .cloned()
            .collect()
    }

    /// How many calls were dropped to keep the log within [`MAX_CALLS`] since the last clear.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Empties the log and returns how many calls it held.
    pub fn clear(&mut self) -> usize {
        let cleared = self.entries.len();
        self.entries.clear();
        self.dropped = 0;
        cleared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = axum::http::Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder
            .body(())
            .map(|req| req.into_parts().0)
            .expect("valid request")
    }

    #[test]
    fn bearer_header_wins_over_query_and_body() {
        let parts = parts("/v1/x?app_key=q", &[("authorization", "Bearer tok")]);
        let call = CallRecord::describe(&parts, br#"{"app_key":"b"}"#);
        assert_eq!(call.auth.placement, AuthPlacement::Bearer);
        assert_eq!(call.auth.value.as_deref(), Some("tok"));
    }

    #[test]
    fn app_key_in_a_form_body_is_body_placement() {
        let parts = parts(
            "/api-gate-way/x",
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        let call = CallRecord::describe(&parts, b"app_key=k1&x=2");
        assert_eq!(call.auth.placement, AuthPlacement::Body);
        assert_eq!(call.auth.value.as_deref(), Some("k1"));
        assert_eq!(call.body_json, None);
    }

    #[test]
    fn basic_authorization_is_reported_as_header() {
        let parts = parts("/x", &[("authorization", "Basic dTpw")]);
        let call = CallRecord::describe(&parts, b"");
        assert_eq!(call.auth.placement, AuthPlacement::Header);
        assert_eq!(call.auth.value.as_deref(), Some("Basic dTpw"));
    }

    #[test]
    fn repeated_query_names_become_arrays() {
        assert_eq!(
            Value::Object(decode_form("a=1&b=x%20y&a=2&a=3")),
            json!({"a": ["1", "2", "3"], "b": "x y"})
        );
    }

    #[test]
    fn the_log_keeps_only_the_newest_calls() {
        let mut log = CallLog::default();
        let call = CallRecord::describe(&parts("/x", &[]), b"");
        for _ in 0..MAX_CALLS + 3 {
            log.push(call.clone());
        }
        let calls = log.list(&CallFilter::default());
        assert_eq!(calls.len(), MAX_CALLS);
        assert_eq!(calls.first().map(|c| c.seq), Some(4));
        assert_eq!(log.dropped(), 3);
    }
}
