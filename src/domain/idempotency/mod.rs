//! Idempotency keys (Stripe / IETF `Idempotency-Key` semantics): what a key is, how a request
//! is fingerprinted, what the store answers when a key arrives, how records are encrypted at
//! rest, and the [`WriteContext`] a keyed write carries down to the adapters. The one type that
//! runs a keyed write over the store is `services::idempotency::KeyedWrite`.

mod at_rest;
mod write;

pub use at_rest::{RecordCipher, RecordKey, RecordUnreadable};
pub use write::{JournalError, WriteContext, WriteJournal, derive_write_key};

use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A caller's `Idempotency-Key`: 1–64 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks the header value.
    pub fn parse(value: &str) -> Result<IdempotencyKey, String> {
        let ok =
            (1..=64).contains(&value.len()) && value.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if ok {
            Ok(IdempotencyKey(value.to_string()))
        } else {
            Err("Idempotency-Key must be 1-64 printable ASCII characters".to_string())
        }
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 (hex) of the method, the path and the body as canonical JSON (object keys sorted,
/// no whitespace), so key order and formatting do not matter. A body that is not JSON is
/// hashed as its bytes.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    if body.iter().all(u8::is_ascii_whitespace) {
        hasher.update(b"null");
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => hasher.update(canonical_json(&value).as_bytes()),
            Err(_) => {
                hasher.update(b"raw:");
                hasher.update(body);
            }
        }
    }
    hex::encode(hasher.finalize())
}

/// JSON text with object keys sorted at every level and no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let members: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// A response kept for replay: status, the headers that matter, and the exact body bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers replayed with it (content type, location…), in order.
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// What the store says when a request with a key arrives.
#[derive(Clone, Debug, PartialEq)]
pub enum Begin {
    /// First use (or a reuse after expiry): this request owns the key and runs.
    Started,
    /// A previous holder died or left the outcome unknown: this request takes over and must
    /// reconcile, starting from the recorded progress.
    Resumed {
        /// What the previous attempt recorded, if anything.
        progress: Option<Value>,
        /// When the record was claimed (the first attempt's `now`, to the microsecond): what
        /// the attempts of one record share, and a later record under the same key does not.
        claimed_at: OffsetDateTime,
    },
    /// Done before: replay this response.
    Completed(StoredResponse),
    /// Another request with this key is running; try again in about this long.
    InProgress {
        /// Time until its lease ends.
        retry_after: Duration,
    },
    /// The key was used with a different request.
    Mismatch,
}

/// Everything `begin` needs.
#[derive(Clone, Debug)]
pub struct BeginRequest<'a> {
    /// The calling API key's id (keys are scoped to it).
    pub api_key_id: &'a str,
    /// The caller's key.
    pub key: &'a IdempotencyKey,
    /// The request's fingerprint.
    pub fingerprint: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Route template, for operators.
    pub route: &'a str,
    /// Who holds the lease (unique per attempt).
    pub owner: &'a str,
    /// The time now.
    pub now: OffsetDateTime,
    /// How long the lease lasts without renewal.
    pub lease: Duration,
    /// How long the record lives.
    pub ttl: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_1_to_64_printable_ascii() {
        assert!(IdempotencyKey::parse("order-2026-05-28-001").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(64)).is_ok());
        assert!(IdempotencyKey::parse("with space ok").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("tab\there").is_err());
        assert!(IdempotencyKey::parse("é").is_err());
    }

    #[test]
    fn key_order_and_whitespace_do_not_change_the_fingerprint() {
        let a = fingerprint(
            "POST",
            "/v1/proxy-users",
            br#"{"a":1,"b":{"c":[1,2],"d":null}}"#,
        );
        let b = fingerprint(
            "POST",
            "/v1/proxy-users",
            b"{ \"b\" : {\"d\":null, \"c\":[1, 2]},\n \"a\": 1 }",
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint(
                "POST",
                "/v1/proxy-users",
                br#"{"a":2,"b":{"c":[1,2],"d":null}}"#
            )
        );
        assert_ne!(
            a,
            fingerprint(
                "PATCH",
                "/v1/proxy-users",
                br#"{"a":1,"b":{"c":[1,2],"d":null}}"#
            )
        );
        assert_ne!(
            a,
            fingerprint(
                "POST",
                "/v1/proxy-users/batch",
                br#"{"a":1,"b":{"c":[1,2],"d":null}}"#
            )
        );
        assert_eq!(
            fingerprint("DELETE", "/x", b""),
            fingerprint("DELETE", "/x", b"  ")
        );
    }

    proptest! {
        #[test]
        fn canonical_json_parses_back_to_the_same_value(map in proptest::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..8)) {
            let value = serde_json::to_value(&map).unwrap();
            let text = canonical_json(&value);
            prop_assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        }
    }
}
