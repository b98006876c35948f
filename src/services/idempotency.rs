//! The one home of a keyed write (`Idempotency-Key`): [`KeyedWrite`] owns the store, the
//! caller's key, the attempt's lease, the record cipher and the journal, built once per
//! request. It claims the key before the operation runs, keeps the lease alive while it runs,
//! journals the operation's plan and steps, and settles the claim once the answer is known.
//! The HTTP layer only parses the header and turns a [`Claim`] or a [`Settled`] into a
//! response.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::domain::api_keys::Principal;
use crate::domain::draws::Draws;
use crate::domain::idempotency::{
    Begin, BeginRequest, IdempotencyKey, JournalError, RecordCipher, RecordUnreadable,
    StoredResponse, WriteJournal, derive_write_key, fingerprint,
};
use crate::store::{IdempotencyStore, StoreError};

/// How long a claim's lease and its record last.
#[derive(Clone, Copy, Debug)]
pub struct IdempotencySettings {
    /// Lease of a running write; renewed while it runs.
    pub lease: Duration,
    /// Lifetime of the record (and so of the replay).
    pub ttl: Duration,
}

/// The request being claimed: who sends it, with which key, and what it is.
#[derive(Clone, Copy, Debug)]
pub struct KeyedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The request path (fingerprinted with the body).
    pub path: &'a str,
    /// Route template, for operators.
    pub route: &'a str,
    /// The request body as received.
    pub body: &'a [u8],
}

/// What becomes of a request that arrives with a key.
#[derive(Debug)]
pub enum Claim {
    /// This request owns the key: run the operation under this write.
    Run(Arc<KeyedWrite>),
    /// Done before: answer with this response (decrypted), marked as a replay.
    Replay(StoredResponse),
    /// Another request with this key is running; try again in about this long.
    InUse {
        /// Time until its lease ends.
        retry_after: Duration,
    },
    /// The key was used with a different request.
    Reused,
    /// The stored record does not decrypt (altered, or written under another token): nothing
    /// is replayed or resumed from it.
    Unreadable(RecordUnreadable),
}

/// How the operation ended, as far as the claim is concerned.
#[derive(Debug)]
pub enum Ending {
    /// Nothing reached the provider, or the provider applied nothing (rate limit, open
    /// breaker): the key is freed, so the caller can fix the request and resend with it.
    NothingApplied,
    /// The provider may or may not have applied the change (no answer after a write was sent,
    /// a 5xx, a timeout): the claim stays in progress with its lease ended, and the next
    /// request with the key reconciles.
    Uncertain,
    /// A final answer (success or a provider's refusal): stored for replay.
    Answered(StoredResponse),
}

/// The record of one keyed write in progress. Cheap to share (`Arc`); handed to the operation
/// as its [`WriteJournal`].
pub struct KeyedWrite {
    store: Arc<dyn IdempotencyStore>,
    api_key_id: String,
    key: IdempotencyKey,
    owner: String,
    lease: Duration,
    cipher: RecordCipher,
    write_key: String,
    resumed: bool,
    /// When the record was first claimed: seeds [`WriteJournal::draws`].
    claimed_at_micros: i64,
    progress: Mutex<Value>,
}

impl std::fmt::Debug for KeyedWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedWrite")
            .field("api_key_id", &self.api_key_id)
            .field("owner", &self.owner)
            .field("resumed", &self.resumed)
            .finish_non_exhaustive()
    }
}

impl KeyedWrite {
    /// Claims `key` for `request`: before any upstream call, so a replay, a concurrent
    /// duplicate or a reused key is answered without running anything.
    pub async fn begin(
        store: Arc<dyn IdempotencyStore>,
        settings: IdempotencySettings,
        principal: &Principal,
        key: IdempotencyKey,
        request: KeyedRequest<'_>,
    ) -> Result<Claim, StoreError> {
        let print = fingerprint(request.method, request.path, request.body);
        // To the microsecond, as both stores keep it: a resumed attempt reads back exactly this.
        let now = OffsetDateTime::now_utc();
        let now = now
            .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now);
        let owner = crate::domain::ids::prefixed("att");
        let api_key_id = principal.key_id.as_str();
        let begin = store
            .begin(&BeginRequest {
                api_key_id,
                key: &key,
                fingerprint: &print,
                method: request.method,
                route: request.route,
                owner: &owner,
                now,
                lease: settings.lease,
                ttl: settings.ttl,
            })
            .await?;
        let cipher = RecordCipher::new(&principal.record_key, api_key_id, key.as_str());
        let mut claimed_at = now;
        let progress = match begin {
            Begin::Mismatch => return Ok(Claim::Reused),
            Begin::InProgress { retry_after } => return Ok(Claim::InUse { retry_after }),
            Begin::Completed(mut stored) => {
                return Ok(match cipher.open_body(&stored.body) {
                    Ok(body) => {
                        stored.body = body;
                        Claim::Replay(stored)
                    }
                    Err(err) => Claim::Unreadable(err),
                });
            }
            Begin::Started => None,
            Begin::Resumed {
                progress,
                claimed_at: first,
            } => {
                claimed_at = first;
                match progress {
                    None => Some(empty_progress()),
                    // Release nothing when the progress is unreadable: the record stays for an
                    // operator; the lease runs out.
                    Some(stored) => match cipher.open_progress(&stored) {
                        Ok(progress) => Some(progress),
                        Err(err) => return Ok(Claim::Unreadable(err)),
                    },
                }
            }
        };
        Ok(Claim::Run(Arc::new(KeyedWrite {
            write_key: derive_write_key(api_key_id, key.as_str()),
            resumed: progress.is_some(),
            claimed_at_micros: i64::try_from(claimed_at.unix_timestamp_nanos() / 1_000)
                .unwrap_or(i64::MAX),
            progress: Mutex::new(progress.unwrap_or_else(empty_progress)),
            store,
            api_key_id: api_key_id.to_string(),
            key,
            owner,
            lease: settings.lease,
            cipher,
        })))
    }

    /// The caller's key.
    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }

    /// Renews the lease every third of it while the operation runs, so a slow upstream does
    /// not let another request take over a live operation. Abort the handle when it ends.
    pub fn keep_alive(self: &Arc<Self>) -> JoinHandle<()> {
        let write = Arc::clone(self);
        let period = (self.lease / 3).max(Duration::from_millis(200));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                match write.save(None).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(err) => {
                        tracing::warn!(error = %err, "could not renew an idempotency lease")
                    }
                }
            }
        })
    }

    /// Settles the claim once the operation answered (see [`Ending`]). Failures are logged:
    /// the answer goes to the caller regardless, and a retry reconciles.
    pub async fn settle(&self, ending: Ending) {
        let (api_key_id, key, owner) = (self.api_key_id.as_str(), self.key.as_str(), &self.owner);
        match ending {
            Ending::NothingApplied => {
                if let Err(err) = self.store.release(api_key_id, key, owner).await {
                    tracing::warn!(error = %err, "could not release an idempotency claim");
                }
            }
            Ending::Uncertain => {
                let now = OffsetDateTime::now_utc();
                if let Err(err) = self.store.abandon(api_key_id, key, owner, now).await {
                    tracing::warn!(error = %err, "could not end an idempotency lease");
                }
            }
            Ending::Answered(mut answer) => {
                answer.body = self.cipher.seal_body(&answer.body);
                let now = OffsetDateTime::now_utc();
                match self
                    .store
                    .complete(api_key_id, key, owner, &answer, now)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        "an idempotency claim was taken over before its operation finished"
                    ),
                    Err(err) => tracing::error!(
                        error = %err,
                        "could not store the response of a keyed write; a retry will reconcile"
                    ),
                }
            }
        }
    }

    /// Saves the progress (changed by `change`, if given) and extends the lease; `false` when
    /// another request holds the claim now.
    async fn save(&self, change: Option<&(dyn Fn(&mut Value) + Sync)>) -> Result<bool, StoreError> {
        let snapshot = {
            let mut progress = self.lock();
            if let Some(change) = change {
                change(&mut progress);
            }
            self.cipher.seal_progress(&progress)
        };
        let until = OffsetDateTime::now_utc()
            + time::Duration::try_from(self.lease).unwrap_or(time::Duration::MINUTE);
        self.store
            .save_progress(
                &self.api_key_id,
                self.key.as_str(),
                &self.owner,
                &snapshot,
                until,
            )
            .await
    }

    /// Saves a change that the operation will act on: it must be kept, and the claim held.
    async fn save_change(&self, change: &(dyn Fn(&mut Value) + Sync)) -> Result<(), JournalError> {
        match self.save(Some(change)).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(JournalError::TakenOver(
                "another request took over this Idempotency-Key".to_string(),
            )),
            Err(StoreError::Unavailable(cause)) => Err(JournalError::Unavailable(cause)),
            Err(StoreError::Conflict(detail)) => Err(JournalError::TakenOver(detail)),
            Err(StoreError::Other(cause)) => Err(JournalError::Other(cause)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Value> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl WriteJournal for KeyedWrite {
    fn resumed(&self) -> bool {
        self.resumed
    }

    fn write_key(&self) -> &str {
        &self.write_key
    }

    fn get(&self, name: &str) -> Option<Value> {
        self.lock().get(name).cloned()
    }

    fn draws(&self, purpose: &str) -> Draws {
        self.cipher.draws(self.claimed_at_micros, purpose)
    }

    fn step_done(&self, step: &str) -> bool {
        self.lock()
            .get("steps")
            .and_then(Value::as_array)
            .is_some_and(|steps| steps.iter().any(|s| s == step))
    }

    async fn record(&self, name: &str, value: Value) -> Result<(), JournalError> {
        self.save_change(&|progress| {
            if let Value::Object(map) = progress {
                map.insert(name.to_string(), value.clone());
            }
        })
        .await
    }

    async fn record_step(&self, step: &str) -> Result<(), JournalError> {
        self.save_change(&|progress| {
            if let Value::Object(map) = progress {
                let steps = map
                    .entry("steps")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = steps {
                    list.push(Value::String(step.to_string()));
                }
            }
        })
        .await
    }
}

/// Deletes expired records now and then, so an expired key may be used again and the table
/// stays small. Several replicas sweeping at once is harmless (plain DELETEs).
pub async fn sweep_expired(store: Arc<dyn IdempotencyStore>, every: Duration) {
    loop {
        match store.sweep(OffsetDateTime::now_utc()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "swept expired idempotency records"),
            Err(err) => tracing::warn!(error = %err, "could not sweep idempotency records"),
        }
        tokio::time::sleep(every).await;
    }
}

fn empty_progress() -> Value {
    Value::Object(Default::default())
}
