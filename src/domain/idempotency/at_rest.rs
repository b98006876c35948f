//! Idempotency records encrypted at rest. A stored response can hold what the caller must
//! never see twice from anyone else — the token of a new API key, a generated proxy password —
//! and a journal's plan holds generated credentials before they are sent. Both are encrypted
//! (XChaCha20-Poly1305) under a key derived from the calling API key's bearer token, which the
//! store never holds (it keeps only SHA-256 of the token): a dump or backup of the database
//! cannot read them, and only a request presenting the same token can replay or resume them.
//! Each ciphertext is bound to its API key id, Idempotency-Key and purpose, so a stored value
//! moved to another record or field fails to open instead of being served.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::draws::Draws;

/// Marks an encrypted response body (version 1): `MAGIC ‖ nonce (24) ‖ ciphertext`.
const BODY_MAGIC: &[u8] = b"pgw-rec1";
/// The member an encrypted progress object is stored under.
const PROGRESS_MEMBER: &str = "sealed_v1";
const NONCE_LEN: usize = 24;

/// The secret a caller's records are encrypted under: SHA-256 over a label and the bearer
/// token (a different input from the stored token hash, so it cannot be computed from it).
#[derive(Clone)]
pub struct RecordKey([u8; 32]);

impl RecordKey {
    /// Derives the key from the bearer token a request was authenticated with.
    pub fn derive(token: &str) -> RecordKey {
        let mut hasher = Sha256::new();
        hasher.update(b"pgw-idempotency-record-key-v1\n");
        hasher.update(token.as_bytes());
        RecordKey(hasher.finalize().into())
    }
}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordKey([redacted])")
    }
}

/// A stored value that does not decrypt: altered, moved from another record, or written
/// under another token.
#[derive(Debug, thiserror::Error)]
#[error("a stored idempotency record could not be decrypted ({0})")]
pub struct RecordUnreadable(&'static str);

/// Encrypts and decrypts the values of one record (one API key, one Idempotency-Key).
pub struct RecordCipher {
    cipher: XChaCha20Poly1305,
    binding: Vec<u8>,
    /// The secret behind the record's draws (see [`RecordCipher::draws`]).
    draw_key: [u8; 32],
}

impl fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordCipher([redacted])")
    }
}

impl RecordCipher {
    /// The cipher for the record of `idempotency_key` under the API key `api_key_id`.
    pub fn new(key: &RecordKey, api_key_id: &str, idempotency_key: &str) -> RecordCipher {
        let mut binding = Vec::with_capacity(api_key_id.len() + idempotency_key.len() + 1);
        binding.extend_from_slice(api_key_id.as_bytes());
        binding.push(b'\n');
        binding.extend_from_slice(idempotency_key.as_bytes());
        let mut hasher = Sha256::new();
        hasher.update(b"pgw-record-draws-v1\n");
        hasher.update(key.0);
        hasher.update(b"\n");
        hasher.update(&binding);
        RecordCipher {
            cipher: XChaCha20Poly1305::new(&key.0.into()),
            binding,
            draw_key: hasher.finalize().into(),
        }
    }

    /// The credentials' random choices of this record for `purpose`: the same for every
    /// attempt at the record claimed at `claimed_at_micros` (so a resumed write generates what
    /// the first attempt sent, without storing it), different for a later record under the same
    /// key (after expiry), and as secret as the record itself: deriving them needs the bearer
    /// token, exactly like opening the record's stored progress.
    pub fn draws(&self, claimed_at_micros: i64, purpose: &str) -> Draws {
        let mut hasher = Sha256::new();
        hasher.update(self.draw_key);
        hasher.update(claimed_at_micros.to_be_bytes());
        hasher.update(purpose.as_bytes());
        Draws::from_seed(hasher.finalize().into())
    }

    /// A response body as stored.
    pub fn seal_body(&self, body: &[u8]) -> Vec<u8> {
        let sealed = self.seal(b"body", body);
        [BODY_MAGIC, sealed.as_slice()].concat()
    }

    /// A stored response body, decrypted.
    pub fn open_body(&self, stored: &[u8]) -> Result<Vec<u8>, RecordUnreadable> {
        let sealed = stored
            .strip_prefix(BODY_MAGIC)
            .ok_or(RecordUnreadable("the body is not encrypted"))?;
        self.open(b"body", sealed)
    }

    /// A journal's progress as stored: `{"sealed_v1": "<base64url>"}`, still a JSON object.
    pub fn seal_progress(&self, progress: &Value) -> Value {
        let plain = progress.to_string();
        let sealed = self.seal(b"progress", plain.as_bytes());
        serde_json::json!({ PROGRESS_MEMBER: URL_SAFE_NO_PAD.encode(sealed) })
    }

    /// Stored progress, decrypted.
    pub fn open_progress(&self, stored: &Value) -> Result<Value, RecordUnreadable> {
        let text = stored
            .get(PROGRESS_MEMBER)
            .and_then(Value::as_str)
            .ok_or(RecordUnreadable("the progress is not encrypted"))?;
        let sealed = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| RecordUnreadable("the progress is not base64url"))?;
        let plain = self.open(b"progress", &sealed)?;
        serde_json::from_slice(&plain).map_err(|_| RecordUnreadable("the progress is not JSON"))
    }

    fn aad(&self, purpose: &[u8]) -> Vec<u8> {
        [purpose, b"\n", self.binding.as_slice()].concat()
    }

    fn seal(&self, purpose: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = self.aad(purpose);
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            // XChaCha20-Poly1305 fails only past 256 GiB per message, far above the body limit.
            .unwrap_or_default();
        [nonce.as_slice(), ciphertext.as_slice()].concat()
    }

    fn open(&self, purpose: &[u8], sealed: &[u8]) -> Result<Vec<u8>, RecordUnreadable> {
        if sealed.len() < NONCE_LEN {
            return Err(RecordUnreadable("too short"));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| RecordUnreadable("too short"))?;
        let aad = self.aad(purpose);
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| RecordUnreadable("authentication failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "pgw_0l6DLs0AXizCexampleexampleexampleexample000";

    fn cipher(token: &str, api_key: &str, key: &str) -> RecordCipher {
        RecordCipher::new(&RecordKey::derive(token), api_key, key)
    }

    #[test]
    fn a_body_round_trips_and_its_plaintext_is_not_stored() {
        let body = br#"{"token":"pgw_secretsecretsecret","id":"key_1"}"#;
        let stored = cipher(TOKEN, "key_A", "k1").seal_body(body);
        assert!(stored.starts_with(BODY_MAGIC));
        assert!(!stored.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            cipher(TOKEN, "key_A", "k1").open_body(&stored).unwrap(),
            body
        );
    }

    #[test]
    fn draws_repeat_for_one_record_claim_and_purpose_only() {
        let first = |c: &RecordCipher, at: i64, purpose: &str| {
            let mut draws = c.draws(at, purpose);
            (0..16).map(|_| draws.below(62)).collect::<Vec<_>>()
        };
        let c = cipher(TOKEN, "key_A", "k1");
        let base = first(&c, 1_000, "create");
        assert_eq!(base, first(&cipher(TOKEN, "key_A", "k1"), 1_000, "create"));
        assert_ne!(base, first(&c, 1_001, "create"), "a later claim");
        assert_ne!(base, first(&c, 1_000, "password"), "another purpose");
        assert_ne!(base, first(&cipher(TOKEN, "key_A", "k2"), 1_000, "create"));
        assert_ne!(base, first(&cipher(TOKEN, "key_B", "k1"), 1_000, "create"));
        let other_token = "pgw_0l6DLs0AXizCotherotherotherotherother000";
        assert_ne!(
            base,
            first(&cipher(other_token, "key_A", "k1"), 1_000, "create")
        );
    }

    #[test]
    fn the_same_body_encrypts_differently_each_time() {
        let c = cipher(TOKEN, "key_A", "k1");
        assert_ne!(c.seal_body(b"same"), c.seal_body(b"same"));
    }

    #[test]
    fn progress_round_trips_as_a_json_object_without_the_plan_in_clear() {
        let progress =
            json!({"plan": [{"username": "u1", "password": "Pa55word"}], "steps": ["a"]});
        let stored = cipher(TOKEN, "key_A", "k1").seal_progress(&progress);
        assert!(stored.is_object());
        assert!(!stored.to_string().contains("Pa55word"));
        assert_eq!(
            cipher(TOKEN, "key_A", "k1").open_progress(&stored).unwrap(),
            progress
        );
    }

    #[test]
    fn another_token_record_or_purpose_cannot_open_it() {
        let stored = cipher(TOKEN, "key_A", "k1").seal_body(b"{}");
        let other_token = format!("{TOKEN}x");
        assert!(
            cipher(&other_token, "key_A", "k1")
                .open_body(&stored)
                .is_err()
        );
        assert!(cipher(TOKEN, "key_B", "k1").open_body(&stored).is_err());
        assert!(cipher(TOKEN, "key_A", "k2").open_body(&stored).is_err());
        let progress = cipher(TOKEN, "key_A", "k1").seal_progress(&json!({}));
        let moved = [
            BODY_MAGIC,
            &URL_SAFE_NO_PAD
                .decode(progress["sealed_v1"].as_str().unwrap())
                .unwrap()[..],
        ]
        .concat();
        assert!(cipher(TOKEN, "key_A", "k1").open_body(&moved).is_err());
    }

    #[test]
    fn altered_or_unencrypted_values_are_refused() {
        let c = cipher(TOKEN, "key_A", "k1");
        let mut stored = c.seal_body(b"{\"a\":1}");
        let last = stored.len() - 1;
        stored[last] ^= 1;
        assert!(c.open_body(&stored).is_err());
        assert!(c.open_body(b"{\"a\":1}").is_err());
        assert!(c.open_progress(&json!({"steps": []})).is_err());
        assert!(c.open_body(b"pgw-rec1short").is_err());
    }

    #[test]
    fn the_record_key_is_not_the_stored_token_hash_and_never_prints() {
        let key = RecordKey::derive(TOKEN);
        let stored_hash: [u8; 32] = Sha256::digest(TOKEN.as_bytes()).into();
        assert_ne!(key.0, stored_hash);
        assert_eq!(format!("{key:?}"), "RecordKey([redacted])");
    }
}
