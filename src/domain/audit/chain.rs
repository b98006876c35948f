//! The hash chain that makes the audit log tamper-evident.
//!
//! Each completed event is sealed in sequence order: its seal stores the previous seal's hash
//! and `SHA-256("pgw-audit-v1" ‖ prev_hash ‖ canonical content)`, where the canonical content is
//! the event's every field as JSON with sorted keys, times as integer microseconds and the
//! request summary as the exact stored text — so the hash does not depend on how a database
//! hands values back. Changing an event breaks its own seal; changing a seal as well breaks the
//! next one; deleting an event breaks the link over the gap. What the chain cannot show is the
//! removal of the newest events together with their seals: keep the reported head hash
//! elsewhere to detect that.
//!
//! Retention removes the oldest events; before it does, it records a [`Checkpoint`] (the last
//! removed seal's sequence number and hash), and verification starts from there.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{AuditEvent, ChainLink, Checkpoint, Outcome, Seal};
use crate::domain::idempotency::canonical_json;

/// The `prev_hash` of the first event ever sealed.
pub const GENESIS: [u8; 32] = [0; 32];

/// Domain separation: a hash of this format can never be confused with another use of SHA-256.
const HASH_DOMAIN: &[u8] = b"pgw-audit-v1";

fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1000) as i64
}

/// The canonical content of an event: what its seal's hash covers. Every field of the event,
/// nothing of the seal.
pub fn canonical_content(event: &AuditEvent) -> String {
    let i = &event.intent;
    let value = json!({
        "seq": event.seq,
        "id": i.id,
        "occurred_at_us": micros(i.occurred_at),
        "request_id": i.request_id,
        "actor_key_id": i.actor_key_id,
        "actor_key_name": i.actor_key_name,
        "client_addr": i.client_addr,
        "method": i.method,
        "route": i.route,
        "operation": i.operation,
        "provider": i.provider,
        "account": i.account,
        "resource_type": i.resource_type,
        "resource_ids": i.resource_ids,
        "idempotency_key": i.idempotency_key,
        "idempotency_replayed": event.idempotency_replayed,
        "request_summary": i.request_summary,
        "outcome": event.outcome.as_str(),
        "status": event.status,
        "error_code": event.error_code,
        "upstream_status": event.upstream_status,
        "upstream_code": event.upstream_code,
        "upstream_request_id": event.upstream_request_id,
        "duration_us": event.duration_us,
        "completed_at_us": event.completed_at.map(micros),
    });
    canonical_json(&value)
}

/// The hash a seal stores for `event` chained after `prev_hash`.
pub fn seal_hash(prev_hash: &[u8; 32], event: &AuditEvent) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(HASH_DOMAIN);
    hasher.update(prev_hash);
    hasher.update(canonical_content(event).as_bytes());
    hasher.finalize().into()
}

/// A seal to store for the event with sequence number `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSeal {
    /// The event's sequence number.
    pub seq: i64,
    /// The event's time (seals are partitioned with their event).
    pub occurred_at: OffsetDateTime,
    /// The event's id.
    pub event_id: String,
    /// The seal.
    pub seal: Seal,
}

/// Seals `candidates` (events after the chain head, in sequence order) after `head_hash`: in
/// order, stopping at the first event still pending, since nothing may be sealed past it.
pub fn seal_in_order(
    head_hash: [u8; 32],
    candidates: &[AuditEvent],
    now: OffsetDateTime,
) -> Vec<NewSeal> {
    let mut prev = head_hash;
    let mut seals = Vec::new();
    for event in candidates {
        if event.outcome == Outcome::Pending {
            break;
        }
        let hash = seal_hash(&prev, event);
        seals.push(NewSeal {
            seq: event.seq,
            occurred_at: event.intent.occurred_at,
            event_id: event.intent.id.clone(),
            seal: Seal {
                prev_hash: prev,
                hash,
                sealed_at: now,
            },
        });
        prev = hash;
    }
    seals
}

/// Why verification stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakReason {
    /// The event's content no longer hashes to its seal: the event (or the seal) was altered.
    ContentMismatch,
    /// The seal does not link to the seal before it: a seal was altered or an event removed.
    LinkMismatch,
    /// A seal remains whose event is gone.
    EventMissing,
    /// An event older than the chain's head was never sealed: it was inserted behind the
    /// sealer's back.
    UnsealedInsideChain,
}

/// The first event where the chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// Its sequence number.
    pub sequence: i64,
    /// Its id.
    pub event_id: String,
    /// What is wrong.
    pub reason: BreakReason,
    /// For humans.
    pub detail: String,
}

/// The result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Whether every sealed event checked out.
    pub intact: bool,
    /// Sealed events checked before the walk ended.
    pub checked: u64,
    /// The first sealed sequence number present.
    pub first_sequence: Option<i64>,
    /// The last sealed sequence number checked.
    pub last_sequence: Option<i64>,
    /// The hash of the last seal checked (hex): record it elsewhere to detect the removal of the
    /// newest events.
    pub head_hash: Option<String>,
    /// Events not sealed yet when the walk began (pending, or completed in the last moments).
    pub unsealed: u64,
    /// Where retention cut the chain, if it did.
    pub checkpoint: Option<Checkpoint>,
    /// The first broken event.
    pub broken: Option<Broken>,
}

/// The state of a walk along the chain, link by link in sequence order.
pub struct Walk {
    checkpoint: Option<Checkpoint>,
    /// The last link checked: its sequence number and hash.
    pub last: Option<(i64, [u8; 32])>,
    first: Option<i64>,
    checked: u64,
    /// Where the chain broke, if it did.
    pub broken: Option<Broken>,
}

impl Walk {
    /// A walk that starts after `checkpoint` (or at the genesis).
    pub fn new(checkpoint: Option<Checkpoint>) -> Walk {
        Walk {
            checkpoint,
            last: None,
            first: None,
            checked: 0,
            broken: None,
        }
    }

    /// The hash `link` must name as its predecessor, or `None` when retention may have removed
    /// the predecessor (at or below the checkpoint nothing but the event's own hash is checked).
    fn expected_prev(&self, link: &ChainLink) -> Option<[u8; 32]> {
        match (&self.checkpoint, self.last) {
            (Some(cp), _) if link.seq <= cp.through_seq => None,
            (Some(cp), Some((seq, _))) if cp.through_seq > seq => Some(cp.hash),
            (_, Some((_, hash))) => Some(hash),
            (Some(cp), None) => Some(cp.hash),
            (None, None) => Some(GENESIS),
        }
    }

    /// Checks one link; returns the break, if this is where the chain breaks.
    pub fn check(&mut self, link: &ChainLink) -> Option<&Broken> {
        let broken = |reason, detail: String| Broken {
            sequence: link.seq,
            event_id: link.event_id.clone(),
            reason,
            detail,
        };
        let problem = match &link.event {
            None => Some(broken(
                BreakReason::EventMissing,
                format!("event {} is sealed but no longer stored", link.seq),
            )),
            Some(event) if event.seq != link.seq || event.intent.id != link.event_id => {
                Some(broken(
                    BreakReason::ContentMismatch,
                    format!(
                        "the seal names event {} ({}) but the row is {} ({})",
                        link.seq, link.event_id, event.seq, event.intent.id
                    ),
                ))
            }
            Some(event) if seal_hash(&link.seal.prev_hash, event) != link.seal.hash => {
                Some(broken(
                    BreakReason::ContentMismatch,
                    format!(
                        "event {} does not hash to its seal: it was altered after sealing",
                        link.seq
                    ),
                ))
            }
            Some(_) => match self.expected_prev(link) {
                Some(expected) if expected != link.seal.prev_hash => Some(broken(
                    BreakReason::LinkMismatch,
                    format!(
                        "event {}'s seal links to {} but the chain before it ends in {}",
                        link.seq,
                        hex::encode(link.seal.prev_hash),
                        hex::encode(expected)
                    ),
                )),
                _ => None,
            },
        };
        if let Some(problem) = problem {
            self.broken = Some(problem);
            return self.broken.as_ref();
        }
        self.first.get_or_insert(link.seq);
        self.last = Some((link.seq, link.seal.hash));
        self.checked += 1;
        None
    }

    /// The report of the walk so far.
    pub fn report(self, unsealed: u64, checkpoint: Option<Checkpoint>) -> VerifyReport {
        VerifyReport {
            intact: self.broken.is_none(),
            checked: self.checked,
            first_sequence: self.first,
            last_sequence: self.last.map(|(seq, _)| seq),
            head_hash: self.last.map(|(_, hash)| hex::encode(hash)),
            unsealed,
            checkpoint,
            broken: self.broken,
        }
    }
}

/// The chain's current end: the last seal, or the retention checkpoint when that is later
/// (everything sealed was removed), or the genesis.
pub fn head(
    last_seal: Option<(i64, [u8; 32])>,
    checkpoint: Option<&Checkpoint>,
) -> (i64, [u8; 32]) {
    match (last_seal, checkpoint) {
        (Some((seq, hash)), Some(cp)) if seq >= cp.through_seq => (seq, hash),
        (_, Some(cp)) => (cp.through_seq, cp.hash),
        (Some(last), None) => last,
        (None, None) => (0, GENESIS),
    }
}

/// The request summary as stored text, parsed back for display (`null` when absent or not
/// JSON, which a stored summary always is).
pub fn summary_value(summary: Option<&str>) -> Value {
    summary
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::NewAuditEvent;

    fn event(seq: i64, outcome: Outcome) -> AuditEvent {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        AuditEvent {
            seq,
            intent: NewAuditEvent {
                id: format!("aud_{seq}"),
                occurred_at: at,
                request_id: "req_1".into(),
                actor_key_id: Some("key_1".into()),
                actor_key_name: Some("svc".into()),
                client_addr: Some("127.0.0.1".into()),
                method: "POST".into(),
                route: "/v1/proxy-users".into(),
                operation: "proxy_users.create".into(),
                provider: Some("helodata".into()),
                account: Some("helodata".into()),
                resource_type: Some("proxy_user".into()),
                resource_ids: vec![],
                idempotency_key: None,
                request_summary: Some(r#"{"body":{"password":"[redacted]"}}"#.into()),
            },
            outcome,
            status: Some(201),
            error_code: None,
            upstream_status: Some(201),
            upstream_code: None,
            upstream_request_id: None,
            duration_us: Some(1234),
            completed_at: Some(at),
            idempotency_replayed: Some(false),
            seal: None,
        }
    }

    fn link(seal: &NewSeal, event: AuditEvent) -> ChainLink {
        ChainLink {
            seq: seal.seq,
            event_id: seal.event_id.clone(),
            seal: seal.seal.clone(),
            event: Some(event),
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_100).unwrap()
    }

    #[test]
    fn sealing_chains_each_event_to_the_one_before_and_stops_at_a_pending_one() {
        let events = vec![
            event(1, Outcome::Succeeded),
            event(2, Outcome::Failed),
            event(4, Outcome::Pending),
            event(5, Outcome::Succeeded),
        ];
        let seals = seal_in_order(GENESIS, &events, now());
        assert_eq!(seals.iter().map(|s| s.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(seals[0].seal.prev_hash, GENESIS);
        assert_eq!(seals[1].seal.prev_hash, seals[0].seal.hash);
        assert_eq!(
            seals[1].seal.hash,
            seal_hash(&seals[0].seal.hash, &events[1])
        );
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let base = event(1, Outcome::Succeeded);
        let reference = seal_hash(&GENESIS, &base);
        let mut changed = base.clone();
        changed.status = Some(200);
        assert_ne!(seal_hash(&GENESIS, &changed), reference);
        let mut changed = base.clone();
        changed.intent.request_summary = Some(r#"{"body":{"password":"hunter2"}}"#.into());
        assert_ne!(seal_hash(&GENESIS, &changed), reference);
        assert_ne!(seal_hash(&[1; 32], &base), reference);
        // The seal itself is not part of the content.
        let mut sealed = base.clone();
        sealed.seal = Some(Seal {
            prev_hash: GENESIS,
            hash: reference,
            sealed_at: now(),
        });
        assert_eq!(seal_hash(&GENESIS, &sealed), reference);
    }

    #[test]
    fn canonical_content_sorts_keys_and_writes_times_as_microseconds() {
        let text = canonical_content(&event(7, Outcome::Succeeded));
        assert!(
            text.starts_with(r#"{"account":"helodata","actor_key_id":"key_1""#),
            "{text}"
        );
        assert!(
            text.contains(r#""occurred_at_us":1800000000000000"#),
            "{text}"
        );
        assert!(text.contains(r#""seq":7"#), "{text}");
    }

    #[test]
    fn a_walk_accepts_an_intact_chain_and_names_the_first_altered_event() {
        let events: Vec<AuditEvent> = (1..=4).map(|s| event(s, Outcome::Succeeded)).collect();
        let seals = seal_in_order(GENESIS, &events, now());
        let mut walk = Walk::new(None);
        for (seal, event) in seals.iter().zip(&events) {
            assert!(walk.check(&link(seal, event.clone())).is_none());
        }
        assert_eq!(walk.checked, 4);

        let mut walk = Walk::new(None);
        let mut altered = events[2].clone();
        altered.status = Some(500);
        assert!(walk.check(&link(&seals[0], events[0].clone())).is_none());
        assert!(walk.check(&link(&seals[1], events[1].clone())).is_none());
        let broken = walk.check(&link(&seals[2], altered)).cloned().unwrap();
        assert_eq!(broken.sequence, 3);
        assert_eq!(broken.reason, BreakReason::ContentMismatch);
    }

    #[test]
    fn a_removed_event_breaks_the_link_over_the_gap() {
        let events: Vec<AuditEvent> = (1..=3).map(|s| event(s, Outcome::Succeeded)).collect();
        let seals = seal_in_order(GENESIS, &events, now());
        let mut walk = Walk::new(None);
        assert!(walk.check(&link(&seals[0], events[0].clone())).is_none());
        let broken = walk
            .check(&link(&seals[2], events[2].clone()))
            .cloned()
            .unwrap();
        assert_eq!(broken.sequence, 3);
        assert_eq!(broken.reason, BreakReason::LinkMismatch);
    }

    #[test]
    fn after_retention_the_chain_resumes_from_the_checkpoint() {
        let events: Vec<AuditEvent> = (1..=5).map(|s| event(s, Outcome::Succeeded)).collect();
        let seals = seal_in_order(GENESIS, &events, now());
        // Events 1, 2 and 4 were removed (4 straddled the cut); the checkpoint names 4.
        let checkpoint = Checkpoint {
            through_seq: 4,
            hash: seals[3].seal.hash,
        };
        let mut walk = Walk::new(Some(checkpoint.clone()));
        assert!(walk.check(&link(&seals[2], events[2].clone())).is_none());
        assert!(walk.check(&link(&seals[4], events[4].clone())).is_none());
        assert_eq!(walk.checked, 2);

        // Without the checkpoint, the first kept event does not start at the genesis.
        let mut walk = Walk::new(None);
        let broken = walk
            .check(&link(&seals[2], events[2].clone()))
            .cloned()
            .unwrap();
        assert_eq!(broken.reason, BreakReason::LinkMismatch);

        // A forged checkpoint hash is caught at the first event after it.
        let mut walk = Walk::new(Some(Checkpoint {
            hash: [9; 32],
            ..checkpoint
        }));
        assert!(walk.check(&link(&seals[2], events[2].clone())).is_none());
        let broken = walk
            .check(&link(&seals[4], events[4].clone()))
            .cloned()
            .unwrap();
        assert_eq!(broken.sequence, 5);
    }

    #[test]
    fn the_head_is_the_later_of_the_last_seal_and_the_checkpoint() {
        let cp = Checkpoint {
            through_seq: 10,
            hash: [2; 32],
        };
        assert_eq!(head(None, None), (0, GENESIS));
        assert_eq!(head(Some((3, [1; 32])), None), (3, [1; 32]));
        assert_eq!(head(Some((3, [1; 32])), Some(&cp)), (10, [2; 32]));
        assert_eq!(head(Some((12, [1; 32])), Some(&cp)), (12, [1; 32]));
        assert_eq!(head(None, Some(&cp)), (10, [2; 32]));
    }
}
