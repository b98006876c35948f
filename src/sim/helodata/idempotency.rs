//! `Idempotency-Key` on writes (overview "幂等性"): at most 64 characters; a retry with the same
//! key gets the same response.
//!
//! Undocumented (§11), chosen here:
//! - keys are scoped per token id (a rotated token keeps its keys);
//! - a key is remembered for 24 h;
//! - the request is identified by method, path, query and the JSON body compared by value (key
//!   order and whitespace do not matter); the same key with another request answers
//!   `422 idempotency_key_reused` (the IETF httpapi draft's status for key reuse);
//! - only successful (2xx) responses are stored: a refused write changed nothing, so running it
//!   again is as safe as replaying the refusal, and lets a caller fix the cause (e.g. top up);
//! - a replay carries `Idempotent-Replayed: true`; its body is byte-identical to the original.
//!
//! Requests run one at a time under the state lock, so two concurrent requests with one key can
//! never both execute.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::clock::DAY;
use super::errors::{ApiError, ApiResult};
use super::reply::{Reply, Req};

const MAX_KEY_LEN: usize = 64;
const RETENTION: i64 = DAY;
const PRUNE_EVERY: i64 = DAY / 1440;

#[derive(Clone, Debug)]
struct Entry {
    fingerprint: [u8; 32],
    created_at: i64,
    reply: Reply,
}

/// Remembered responses by (token id, key).
#[derive(Debug, Default)]
pub struct IdempotencyStore {
    entries: HashMap<(String, String), Entry>,
    /// When expired keys were last dropped: at most once a minute, so a write does not walk
    /// every remembered key (a key is then forgotten up to a minute after its 24 h).
    pruned_at: i64,
}

/// What to do with a write.
pub enum Lookup {
    /// No key: just run it.
    NoKey,
    /// A key seen for the first time: run it, then [`IdempotencyStore::remember`].
    Fresh { key: String, fingerprint: [u8; 32] },
    /// Answer this stored reply again.
    Replay(Reply),
}

impl IdempotencyStore {
    pub fn lookup(&mut self, req: &Req) -> ApiResult<Lookup> {
        let Some(raw) = req.headers.get("idempotency-key") else {
            return Ok(Lookup::NoKey);
        };
        let key = raw
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
            .ok_or_else(|| {
                ApiError::invalid(
                    "Idempotency-Key",
                    "Idempotency-Key must be 1 to 64 visible ASCII characters",
                )
            })?
            .to_string();
        let now = req.ctx.now;
        if now - self.pruned_at >= PRUNE_EVERY {
            self.entries.retain(|_, e| now - e.created_at < RETENTION);
            self.pruned_at = now;
        }
        let fingerprint = fingerprint(req);
        match self
            .entries
            .get(&(req.ctx.token_id.clone(), key.clone()))
            .filter(|e| now - e.created_at < RETENTION)
        {
            None => Ok(Lookup::Fresh { key, fingerprint }),
            Some(e) if e.fingerprint == fingerprint => Ok(Lookup::Replay(
                e.reply
                    .clone()
                    .with_header("idempotent-replayed", "true".into()),
            )),
            Some(_) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request",
            )
            .with_field("Idempotency-Key")),
        }
    }

    pub fn remember(&mut self, req: &Req, key: String, fingerprint: [u8; 32], reply: &Reply) {
        if !reply.status.is_success() {
            return;
        }
        self.entries.insert(
            (req.ctx.token_id.clone(), key),
            Entry {
                fingerprint,
                created_at: req.ctx.now,
                reply: reply.clone(),
            },
        );
    }
}

fn fingerprint(req: &Req) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(req.method.as_str());
    h.update([0]);
    h.update(&req.path);
    h.update([0]);
    for (k, v) in &req.query.0 {
        h.update(k);
        h.update([b'=']);
        h.update(v);
        h.update([b'&']);
    }
    h.update([0]);
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) => h.update(canonical(&v)),
        Err(_) => h.update(&req.body),
    }
    h.finalize().into()
}

/// JSON with object keys sorted, whatever serde_json's map ordering feature says.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let members: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    let value = map.get(k).map(canonical).unwrap_or_default();
                    format!("{}:{value}", Value::String(k.clone()))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_key_order_and_whitespace() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": null}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).expect("json");
        assert_eq!(canonical(&a), canonical(&b));
        let c: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[2,1]},"b":1}"#).expect("json");
        assert_ne!(canonical(&a), canonical(&c));
    }
}
