//! The audit log: who changed what through the gateway, what was asked and what the provider
//! answered. One event per audited request, written in two steps — the intent before the
//! handler (and so before any upstream call) runs, the outcome once, after it — so that a crash
//! in between leaves an event whose outcome reads `pending` and then `unknown`, never no event.
//!
//! Events are append-only (the database refuses DELETE and every UPDATE but the one completion of
//! a pending event) and tamper-evident: once complete they are sealed, in sequence order, into a
//! SHA-256 hash chain ([`chain`]) that `services::audit::verify` walks.

pub mod chain;
pub mod operations;
pub mod redact;

use time::OffsetDateTime;

pub use chain::VerifyReport;

/// How an audited request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The intent is recorded; the request is running (or the gateway died while it ran).
    Pending,
    /// The gateway answered with a success status.
    Succeeded,
    /// The gateway answered with an error that left nothing changed.
    Failed,
    /// Whether the change happened is not known: the upstream call timed out or broke, or the
    /// gateway stopped (crash, deadline, caller gone) before it answered.
    Unknown,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 4] = [
        Outcome::Pending,
        Outcome::Succeeded,
        Outcome::Failed,
        Outcome::Unknown,
    ];

    /// The outcome's name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(text: &str) -> Result<Outcome, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown outcome '{text}' (known: {})",
                    Outcome::ALL.map(Outcome::as_str).join(", ")
                )
            })
    }
}

/// A new event's id for an event occurring `at`: `aud_` and a ULID whose time part is `at`'s
/// millisecond, so that a lookup by id can be narrowed to `at` (one partition on Postgres).
pub fn new_event_id(at: OffsetDateTime) -> String {
    let ms = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    format!("aud_{}", ulid::Ulid::from_parts(ms, rand::random::<u128>()))
}

/// Whether text is an event id (`aud_<ULID>`), and the ULID's time in milliseconds.
pub fn parse_event_id(id: &str) -> Result<u64, String> {
    id.strip_prefix("aud_")
        .and_then(|ulid| ulid::Ulid::from_string(ulid).ok())
        .map(|ulid| ulid.timestamp_ms())
        .ok_or_else(|| "an audit event id looks like aud_<ULID>".to_string())
}

/// What is known before the handler runs: recorded as a `pending` event.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEvent {
    /// `aud_<ULID>`.
    pub id: String,
    /// When the gateway accepted the request (microsecond precision).
    pub occurred_at: OffsetDateTime,
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// The calling API key's id.
    pub actor_key_id: Option<String>,
    /// The calling API key's name at the time.
    pub actor_key_name: Option<String>,
    /// The caller's IP address (the TCP peer).
    pub client_addr: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Route template, e.g. `/v1/proxy-users/{id}`.
    pub route: String,
    /// Operation name, e.g. `proxy_users.create`.
    pub operation: String,
    /// Provider kind of the account (`helodata`, `911proxy`).
    pub provider: Option<String>,
    /// Provider account name.
    pub account: Option<String>,
    /// Resource type, e.g. `proxy_user`.
    pub resource_type: Option<String>,
    /// Resource ids known from the request (a path id); created ids are added at completion.
    pub resource_ids: Vec<String>,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// The redacted request summary, canonical JSON text (see [`redact`]).
    pub request_summary: Option<String>,
}

/// What is known once the gateway answered: the one completion a pending event gets.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// Never `Pending`.
    pub outcome: Outcome,
    /// The gateway's HTTP status.
    pub status: Option<u16>,
    /// The gateway's error code (catalogue).
    pub error_code: Option<String>,
    /// The provider's HTTP status.
    pub upstream_status: Option<u16>,
    /// The provider's own error code.
    pub upstream_code: Option<String>,
    /// The provider's request id.
    pub upstream_request_id: Option<String>,
    /// How long the gateway took, in microseconds.
    pub duration_us: Option<i64>,
    /// When the outcome was recorded.
    pub completed_at: OffsetDateTime,
    /// Ids learnt from the answer (a created resource), when the intent named none.
    pub resource_ids: Option<Vec<String>>,
    /// Whether the answer was a stored one replayed for the same `Idempotency-Key`.
    pub idempotency_replayed: Option<bool>,
}

impl Completion {
    /// The completion of an event abandoned by a process that died: outcome `unknown`.
    pub fn abandoned(completed_at: OffsetDateTime) -> Completion {
        Completion {
            outcome: Outcome::Unknown,
            status: None,
            error_code: None,
            upstream_status: None,
            upstream_code: None,
            upstream_request_id: None,
            duration_us: None,
            completed_at,
            resource_ids: None,
            idempotency_replayed: None,
        }
    }
}

/// Where a stored event is: its sequence number and time (the primary key on Postgres).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventKey {
    /// The sequence number.
    pub seq: i64,
    /// `occurred_at`.
    pub occurred_at: OffsetDateTime,
}

impl EventKey {
    /// The opaque cursor text of a list position (after this event).
    pub fn to_cursor(&self) -> String {
        let micros = self.occurred_at.unix_timestamp_nanos() / 1000;
        format!("{micros}:{}", self.seq)
    }

    /// Parses [`EventKey::to_cursor`] text.
    pub fn from_cursor(text: &str) -> Result<EventKey, String> {
        let bad = || "is not a cursor returned by this API".to_string();
        let (micros, seq) = text.split_once(':').ok_or_else(bad)?;
        let micros: i128 = micros.parse().map_err(|_| bad())?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let occurred_at =
            OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).map_err(|_| bad())?;
        Ok(EventKey { seq, occurred_at })
    }
}

/// A stored event with its seal, if it is sealed yet.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// The sequence number: increasing in the order intents were recorded.
    pub seq: i64,
    /// The intent.
    pub intent: NewAuditEvent,
    /// The outcome (`Pending` until completed).
    pub outcome: Outcome,
    /// The gateway's HTTP status.
    pub status: Option<u16>,
    /// The gateway's error code.
    pub error_code: Option<String>,
    /// The provider's HTTP status.
    pub upstream_status: Option<u16>,
    /// The provider's error code.
    pub upstream_code: Option<String>,
    /// The provider's request id.
    pub upstream_request_id: Option<String>,
    /// Microseconds the gateway took.
    pub duration_us: Option<i64>,
    /// When the outcome was recorded.
    pub completed_at: Option<OffsetDateTime>,
    /// Whether the answer was an idempotent replay.
    pub idempotency_replayed: Option<bool>,
    /// The event's place in the hash chain, once sealed.
    pub seal: Option<Seal>,
}

impl AuditEvent {
    /// The key of the event.
    pub fn key(&self) -> EventKey {
        EventKey {
            seq: self.seq,
            occurred_at: self.intent.occurred_at,
        }
    }
}

/// An event's link in the hash chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seal {
    /// The hash of the event sealed before it (zeros for the first event ever).
    pub prev_hash: [u8; 32],
    /// SHA-256 over `prev_hash` and the event's canonical content ([`chain::seal_hash`]).
    pub hash: [u8; 32],
    /// When it was sealed.
    pub sealed_at: OffsetDateTime,
}

/// A seal as stored, with the event it covers (absent when someone deleted the event).
#[derive(Clone, Debug, PartialEq)]
pub struct ChainLink {
    /// The sealed event's sequence number.
    pub seq: i64,
    /// The sealed event's id as the seal recorded it.
    pub event_id: String,
    /// The seal.
    pub seal: Seal,
    /// The event row, read back now.
    pub event: Option<AuditEvent>,
}

/// Where the chain was cut by retention: the last sealed event removed and its hash, so that
/// the first kept event still links to something known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The highest sequence number removed so far.
    pub through_seq: i64,
    /// Its seal's hash.
    pub hash: [u8; 32],
}

/// Filters of the audit listing; every present one must match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    /// `occurred_at >= from`.
    pub from: Option<OffsetDateTime>,
    /// `occurred_at < to`.
    pub to: Option<OffsetDateTime>,
    /// The calling API key's id.
    pub actor_key_id: Option<String>,
    /// Provider account name.
    pub account: Option<String>,
    /// Provider kind.
    pub provider: Option<String>,
    /// Operation name.
    pub operation: Option<String>,
    /// Outcome.
    pub outcome: Option<Outcome>,
    /// One of the event's resource ids.
    pub resource_id: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The `Idempotency-Key`.
    pub idempotency_key: Option<String>,
}

/// What one sealing run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealRun {
    /// Events sealed.
    pub sealed: u64,
    /// Another process held the sealer lock: nothing was tried.
    pub busy: bool,
}

/// What one maintenance run did (partitions on Postgres, rows on SQLite).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Partitions created ahead.
    pub created: Vec<String>,
    /// Partitions dropped, or `N events` on SQLite.
    pub dropped: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let key = EventKey {
            seq: 42,
            occurred_at: OffsetDateTime::from_unix_timestamp_nanos(1_800_000_000_123_456_000)
                .unwrap(),
        };
        assert_eq!(key.to_cursor(), "1800000000123456:42");
        assert_eq!(EventKey::from_cursor(&key.to_cursor()).unwrap(), key);
        assert!(EventKey::from_cursor("nope").is_err());
        assert!(EventKey::from_cursor("1:x").is_err());
    }

    #[test]
    fn event_ids_carry_their_time() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_800_000_000_123_456_000).unwrap();
        let id = new_event_id(at);
        assert_eq!(parse_event_id(&id).unwrap(), 1_800_000_000_123);
        assert_ne!(new_event_id(at), id);
        assert!(parse_event_id("key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX").is_err());
        assert!(parse_event_id("aud_nope").is_err());
    }

    #[test]
    fn outcomes_parse_their_names_only() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()).unwrap(), outcome);
        }
        assert!(Outcome::parse("done").is_err());
    }
}
