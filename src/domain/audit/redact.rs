//! The redacted summary of a request that an audit event keeps: its JSON body and query
//! parameters with every secret replaced by `[redacted]`, long strings cut, and the whole
//! bounded in size. A secret is recognised by its key — at any depth, in objects inside arrays
//! (batches) too — or by its value's shape (a gateway or provider token), so a secret under an
//! unexpected name is still caught when it looks like one.

use serde_json::{Map, Value};

use crate::domain::idempotency::canonical_json;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Strings longer than this many characters are cut (a summary is evidence, not a copy).
const MAX_STRING_CHARS: usize = 256;

/// A summary larger than this (as JSON text) is replaced by a note of its size.
const MAX_SUMMARY_BYTES: usize = 64 * 1024;

/// Normalized key fragments that name a secret (keys are compared lower-case, with `-` and `_`
/// removed, so `app_key`, `appKey` and `X-App-Key` all match `appkey`).
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "appkey",
    "accesskey",
    "privatekey",
    "authorization",
    "credential",
    "cookie",
    "signature",
];

/// Whole normalized keys that name a secret.
const SECRET_KEYS: &[&str] = &["key", "auth", "pass", "pwd", "sign"];

/// Value prefixes of tokens: the gateway's own and the providers'.
const SECRET_VALUE_PREFIXES: &[&str] = &["pgw_", "hel_live_", "hel_test_", "Bearer ", "bearer "];

/// Whether a JSON key or parameter name names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEYS.contains(&normalized.as_str())
        || SECRET_KEY_PARTS
            .iter()
            .any(|part| normalized.contains(part))
}

fn is_secret_value(value: &str) -> bool {
    SECRET_VALUE_PREFIXES
        .iter()
        .any(|prefix| value.starts_with(prefix))
}

/// A copy of `value` with secrets replaced and long strings cut. `null` stays `null` (an
/// absent secret is no secret).
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(key) && !value.is_null() {
                        Value::String(REDACTED.to_string())
                    } else {
                        redact(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::String(text) if is_secret_value(text) => Value::String(REDACTED.to_string()),
        Value::String(text) if text.chars().count() > MAX_STRING_CHARS => {
            let cut: String = text.chars().take(MAX_STRING_CHARS).collect();
            Value::String(format!("{cut}…"))
        }
        other => other.clone(),
    }
}

/// The summary of a request: `{"query": {…}, "body": …}` (each only when present), redacted,
/// as canonical JSON text; `None` when the request had neither. A body that is not JSON is
/// described by its size only.
pub fn summarize(query: Option<&str>, body: &[u8]) -> Option<String> {
    let mut summary = Map::new();
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        summary.insert("query".to_string(), redact(&query_value(query)));
    }
    if !body.iter().all(u8::is_ascii_whitespace) {
        let value = match serde_json::from_slice::<Value>(body) {
            Ok(json) => redact(&json),
            Err(_) => serde_json::json!({ "not_json_bytes": body.len() }),
        };
        summary.insert("body".to_string(), value);
    }
    if summary.is_empty() {
        return None;
    }
    let text = canonical_json(&Value::Object(summary));
    if text.len() > MAX_SUMMARY_BYTES {
        return Some(canonical_json(
            &serde_json::json!({ "omitted": { "summary_bytes": text.len() } }),
        ));
    }
    Some(text)
}

/// Query parameters as a JSON object; a repeated name becomes an array of its values.
fn query_value(query: &str) -> Value {
    let mut map = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match map.get_mut(name.as_ref()) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                map.insert(name.into_owned(), value);
            }
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_recognised_by_their_names_in_any_spelling() {
        for key in [
            "password",
            "new_password",
            "oldPassword",
            "token",
            "access_token",
            "app_key",
            "appKey",
            "api_key",
            "X-Api-Key",
            "Authorization",
            "client_secret",
            "key",
            "credentials",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "account",
            "username",
            "label",
            "products",
            "traffic_limit_bytes",
            "id",
            "name",
            "scopes",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn nested_and_batched_secrets_are_replaced_and_the_rest_kept() {
        let body = json!({
            "account": "911proxy",
            "users": [
                {"username": "a1", "password": "Secret123", "label": "x"},
                {"username": "a2", "password": null, "auth": {"token": "t", "user": "u"}}
            ],
            "settings": {"app_key": "k9", "deep": [{"api_key": "z"}]},
            "note": "pgw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        });
        assert_eq!(
            redact(&body),
            json!({
                "account": "911proxy",
                "users": [
                    {"username": "a1", "password": "[redacted]", "label": "x"},
                    {"username": "a2", "password": null, "auth": "[redacted]"}
                ],
                "settings": {"app_key": "[redacted]", "deep": [{"api_key": "[redacted]"}]},
                "note": "[redacted]"
            })
        );
    }

    #[test]
    fn the_summary_holds_the_redacted_query_and_body_as_canonical_json() {
        let summary = summarize(
            Some("account=a&account=b&token=pgw_x"),
            br#"{"z": 1, "password": "p", "a": "hel_live_abc"}"#,
        )
        .unwrap();
        assert_eq!(
            summary,
            r#"{"body":{"a":"[redacted]","password":"[redacted]","z":1},"query":{"account":["a","b"],"token":"[redacted]"}}"#
        );
        assert_eq!(summarize(None, b""), None);
        assert_eq!(summarize(Some(""), b"  \n"), None);
        assert_eq!(
            summarize(None, b"not json").unwrap(),
            r#"{"body":{"not_json_bytes":8}}"#
        );
    }

    #[test]
    fn long_strings_are_cut_and_huge_summaries_omitted() {
        let long = "x".repeat(1000);
        let summary = summarize(None, json!({"label": long}).to_string().as_bytes()).unwrap();
        assert_eq!(
            summary,
            format!(r#"{{"body":{{"label":"{}…"}}}}"#, "x".repeat(256))
        );
        let many: Vec<String> = (0..1000).map(|i| format!("{i:0>200}")).collect();
        let summary = summarize(None, json!({ "labels": many }).to_string().as_bytes()).unwrap();
        assert!(
            summary.starts_with(r#"{"omitted":{"summary_bytes":"#),
            "{summary}"
        );
    }
}
