//! Idempotency keys (Stripe / IETF `Idempotency-Key` semantics): what a key is, how a request
//! is fingerprinted, and what the store answers when a key arrives.

mod at_rest;

pub use at_rest::{RecordCipher, RecordKey, RecordUnreadable};

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

/// The record of a keyed write in progress, handed to the operation so that it can note how
/// far it got (`steps`) and what it decided before calling upstream (`plan`: generated
/// usernames and passwords), and so that a retry after a crash or an unknown outcome resumes
/// from there instead of repeating work. Cheap to clone.
#[derive(Clone)]
pub struct Journal {
    inner: std::sync::Arc<JournalInner>,
}

struct JournalInner {
    store: std::sync::Arc<dyn crate::store::IdempotencyStore>,
    api_key_id: String,
    key: String,
    owner: String,
    lease: Duration,
    resumed: bool,
    progress: std::sync::Mutex<Value>,
    cipher: RecordCipher,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("api_key_id", &self.inner.api_key_id)
            .field("resumed", &self.inner.resumed)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// A journal for the claim `owner` holds; `progress` is what a previous attempt recorded
    /// (decrypted); `record_key` encrypts what this one records.
    pub fn new(
        store: std::sync::Arc<dyn crate::store::IdempotencyStore>,
        api_key_id: &str,
        key: &IdempotencyKey,
        owner: &str,
        lease: Duration,
        resumed: Option<Option<Value>>,
        record_key: &RecordKey,
    ) -> Journal {
        let (resumed, progress) = match resumed {
            Some(progress) => (
                true,
                progress.unwrap_or_else(|| Value::Object(Default::default())),
            ),
            None => (false, Value::Object(Default::default())),
        };
        Journal {
            inner: std::sync::Arc::new(JournalInner {
                store,
                api_key_id: api_key_id.to_string(),
                key: key.as_str().to_string(),
                owner: owner.to_string(),
                lease,
                resumed,
                progress: std::sync::Mutex::new(progress),
                cipher: RecordCipher::new(record_key, api_key_id, key.as_str()),
            }),
        }
    }

    /// Whether this attempt took over from one that crashed or whose outcome is unknown: the
    /// operation must reconcile with the provider before sending anything again.
    pub fn resumed(&self) -> bool {
        self.inner.resumed
    }

    /// The key forwarded to providers with their own idempotency (helodata): derived from the
    /// calling API key and the caller's key, the same on every retry, 64 characters.
    pub fn upstream_key(&self) -> String {
        derive_upstream_key(&self.inner.api_key_id, &self.inner.key)
    }

    /// A recorded value of the progress object.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.lock().get(name).cloned()
    }

    /// Whether step `step` finished in this or a previous attempt.
    pub fn step_done(&self, step: &str) -> bool {
        self.lock()
            .get("steps")
            .and_then(Value::as_array)
            .is_some_and(|steps| steps.iter().any(|s| s == step))
    }

    /// Records `value` under `name` before acting on it; fails when the store cannot keep it
    /// (then the operation must not go on: a retry could not know what was decided).
    pub async fn record(&self, name: &str, value: Value) -> Result<(), crate::store::StoreError> {
        let snapshot = {
            let mut progress = self.lock();
            if let Value::Object(map) = &mut *progress {
                map.insert(name.to_string(), value);
            }
            progress.clone()
        };
        self.save(&snapshot).await
    }

    /// Records that step `step` finished.
    pub async fn record_step(&self, step: &str) -> Result<(), crate::store::StoreError> {
        let snapshot = {
            let mut progress = self.lock();
            if let Value::Object(map) = &mut *progress {
                let steps = map
                    .entry("steps")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = steps {
                    list.push(Value::String(step.to_string()));
                }
            }
            progress.clone()
        };
        self.save(&snapshot).await
    }

    /// Extends the lease without changing the progress.
    pub async fn heartbeat(&self) -> Result<bool, crate::store::StoreError> {
        let snapshot = self.inner.cipher.seal_progress(&self.lock().clone());
        let until = OffsetDateTime::now_utc()
            + time::Duration::try_from(self.inner.lease).unwrap_or(time::Duration::MINUTE);
        self.inner
            .store
            .save_progress(
                &self.inner.api_key_id,
                &self.inner.key,
                &self.inner.owner,
                &snapshot,
                until,
            )
            .await
    }

    async fn save(&self, snapshot: &Value) -> Result<(), crate::store::StoreError> {
        let snapshot = &self.inner.cipher.seal_progress(snapshot);
        let until = OffsetDateTime::now_utc()
            + time::Duration::try_from(self.inner.lease).unwrap_or(time::Duration::MINUTE);
        let held = self
            .inner
            .store
            .save_progress(
                &self.inner.api_key_id,
                &self.inner.key,
                &self.inner.owner,
                snapshot,
                until,
            )
            .await?;
        if held {
            Ok(())
        } else {
            Err(crate::store::StoreError::Conflict(
                "another request took over this Idempotency-Key".to_string(),
            ))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Value> {
        self.inner
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// `pgw_` and the first 60 hex digits of SHA-256(api key id, caller's key): stable, private to
/// the calling key, within helodata's 64-character limit.
pub fn derive_upstream_key(api_key_id: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(api_key_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(key.as_bytes());
    let digest = hex::encode(hasher.finalize());
    format!("pgw_{}", &digest[..60])
}

#[cfg(test)]
mod derive_tests {
    use super::*;

    #[test]
    fn derived_keys_are_stable_64_characters_and_private_to_the_api_key() {
        let a = derive_upstream_key("key_A", "order-1");
        assert_eq!(a.len(), 64);
        assert_eq!(a, derive_upstream_key("key_A", "order-1"));
        assert_ne!(a, derive_upstream_key("key_B", "order-1"));
        assert_ne!(a, derive_upstream_key("key_A", "order-2"));
    }
}
