//! What the audit log's routes answer: an event, a page of events, the chain's verification
//! report, each converted from the domain's own types.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::domain::audit::chain::{BreakReason, summary_value};
use crate::domain::audit::{AuditEvent, Outcome, VerifyReport};

/// How an audited request ended.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeName {
    /// Recorded before the handler ran; not answered yet, or the gateway stopped meanwhile.
    Pending,
    /// Answered with a success status.
    Succeeded,
    /// Answered with an error; nothing was changed.
    Failed,
    /// Whether the change happened is not known (upstream timeout or broken call, gateway
    /// stopped before answering); a retry with the same `Idempotency-Key` settles it.
    Unknown,
}

impl From<Outcome> for OutcomeName {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Pending => OutcomeName::Pending,
            Outcome::Succeeded => OutcomeName::Succeeded,
            Outcome::Failed => OutcomeName::Failed,
            Outcome::Unknown => OutcomeName::Unknown,
        }
    }
}

impl From<OutcomeName> for Outcome {
    fn from(name: OutcomeName) -> Self {
        match name {
            OutcomeName::Pending => Outcome::Pending,
            OutcomeName::Succeeded => Outcome::Succeeded,
            OutcomeName::Failed => Outcome::Failed,
            OutcomeName::Unknown => Outcome::Unknown,
        }
    }
}

/// The API key that made the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    /// `key_<ULID>`.
    #[schema(example = "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")]
    pub key_id: String,
    /// The key's name when the request was made.
    pub key_name: Option<String>,
}

/// What the request was about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceView {
    /// `proxy_user`, `api_key`, `audit_event`; `null` for requests about no one resource.
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    /// The ids named by the path, or created by the request.
    pub ids: Vec<String>,
}

/// The request's `Idempotency-Key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdempotencyView {
    /// The key as sent.
    pub key: String,
    /// Whether the answer was a stored one replayed for this key; `null` when not known.
    pub replayed: Option<bool>,
}

/// What the provider answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpstreamView {
    /// Its HTTP status (the last call's, when the operation made several).
    pub status: Option<u16>,
    /// Its own error code (911Proxy's numeric `code`, helodata's `code`).
    pub code: Option<String>,
    /// Its request id (helodata's `X-Helodata-Request-Id`).
    pub request_id: Option<String>,
}

/// The event's link in the hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealView {
    /// SHA-256 (hex) over the previous hash and the event's canonical content.
    pub hash: String,
    /// The hash of the event sealed before it (hex; zeros for the first).
    pub prev_hash: String,
    /// When it was sealed.
    #[serde(with = "time::serde::rfc3339")]
    pub sealed_at: OffsetDateTime,
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "aud_01JDQ7A2V5K8M3N6P9R2T4W7XZ", "sequence": 1042, "occurred_at": "2026-11-25T18:48:26.263804Z",
    "request_id": "req_01JDQ7A2V3B5C7D9F1G3H5J7K9",
    "actor": {"key_id": "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX", "key_name": "billing-service"},
    "client_addr": "10.0.3.17", "method": "POST", "route": "/v1/proxy-users", "operation": "proxy_users.create",
    "provider": "helodata", "account": "helodata",
    "resource": {"type": "proxy_user", "ids": ["helodata:sub_01JDQ7A2X0"]},
    "idempotency": {"key": "create-crawler-eu-1", "replayed": false},
    "outcome": "succeeded", "status": 201, "error_code": null,
    "upstream": {"status": 201, "code": null, "request_id": "req_8f2c"},
    "duration_ms": 84.213, "completed_at": "2026-11-25T18:48:26.348017Z",
    "request": {"body": {"account": "helodata", "products": ["residential"], "password": "[redacted]"}},
    "seal": {"hash": "9c1f…", "prev_hash": "04aa…", "sealed_at": "2026-11-25T18:48:27.001022Z"}
}))]
pub struct AuditEventView {
    /// `aud_<ULID>`.
    pub id: String,
    /// Increases in the order intents were recorded (gaps are possible).
    pub sequence: i64,
    /// When the gateway accepted the request.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// The API key that made the request.
    pub actor: Option<ActorView>,
    /// The caller's IP address (the TCP peer: a proxy in front of the gateway appears here).
    pub client_addr: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Route template.
    #[schema(example = "/v1/proxy-users/{id}")]
    pub route: String,
    /// Operation name, `resource.verb`.
    #[schema(example = "proxy_users.update")]
    pub operation: String,
    /// Provider of the account (`helodata`, `911proxy`).
    pub provider: Option<String>,
    /// Provider account name.
    pub account: Option<String>,
    /// What the request was about.
    pub resource: ResourceView,
    /// The `Idempotency-Key`, if one was sent.
    pub idempotency: Option<IdempotencyView>,
    /// How it ended.
    pub outcome: OutcomeName,
    /// The gateway's HTTP status.
    pub status: Option<u16>,
    /// The gateway's error code (catalogue).
    pub error_code: Option<String>,
    /// What the provider answered, when one was called.
    pub upstream: Option<UpstreamView>,
    /// How long the gateway took.
    pub duration_ms: Option<f64>,
    /// When the outcome was recorded.
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// The request's query and JSON body, with passwords, tokens and keys replaced by
    /// `[redacted]` and long strings cut; `null` when the request carried neither (e.g. a
    /// `DELETE` without a body, or an event recorded before the request could be read).
    #[schema(value_type = Option<Object>)]
    pub request: serde_json::Value,
    /// The event's link in the hash chain; `null` until sealed (within seconds of completion).
    pub seal: Option<SealView>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(event: AuditEvent) -> Self {
        let intent = event.intent;
        let upstream = (event.upstream_status.is_some()
            || event.upstream_code.is_some()
            || event.upstream_request_id.is_some())
        .then_some(UpstreamView {
            status: event.upstream_status,
            code: event.upstream_code,
            request_id: event.upstream_request_id,
        });
        AuditEventView {
            request: summary_value(intent.request_summary.as_deref()),
            id: intent.id,
            sequence: event.seq,
            occurred_at: intent.occurred_at,
            request_id: intent.request_id,
            actor: intent.actor_key_id.map(|key_id| ActorView {
                key_id,
                key_name: intent.actor_key_name,
            }),
            client_addr: intent.client_addr,
            method: intent.method,
            route: intent.route,
            operation: intent.operation,
            provider: intent.provider,
            account: intent.account,
            resource: ResourceView {
                resource_type: intent.resource_type,
                ids: intent.resource_ids,
            },
            idempotency: intent.idempotency_key.map(|key| IdempotencyView {
                key,
                replayed: event.idempotency_replayed,
            }),
            outcome: event.outcome.into(),
            status: event.status,
            error_code: event.error_code,
            upstream,
            duration_ms: event.duration_us.map(|us| us as f64 / 1000.0),
            completed_at: event.completed_at,
            seal: event.seal.map(|seal| SealView {
                hash: hex::encode(seal.hash),
                prev_hash: hex::encode(seal.prev_hash),
                sealed_at: seal.sealed_at,
            }),
        }
    }
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    /// Newest first.
    pub data: Vec<AuditEventView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Why the chain does not hold at an event.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakReasonName {
    /// The event no longer hashes to its seal: it (or its seal) was altered.
    ContentMismatch,
    /// The seal does not link to the one before: a seal was altered or an event removed.
    LinkMismatch,
    /// A seal remains whose event is gone (or whose time was altered).
    EventMissing,
    /// An event older than the sealed head was never sealed: inserted behind the sealer's back.
    UnsealedInsideChain,
}

impl From<BreakReason> for BreakReasonName {
    fn from(reason: BreakReason) -> Self {
        match reason {
            BreakReason::ContentMismatch => BreakReasonName::ContentMismatch,
            BreakReason::LinkMismatch => BreakReasonName::LinkMismatch,
            BreakReason::EventMissing => BreakReasonName::EventMissing,
            BreakReason::UnsealedInsideChain => BreakReasonName::UnsealedInsideChain,
        }
    }
}

/// The first event where the chain breaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenView {
    /// Its sequence number.
    pub sequence: i64,
    /// Its id.
    pub event_id: String,
    /// What is wrong.
    pub reason: BreakReasonName,
    /// For humans.
    pub detail: String,
}

/// Where retention cut the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    /// The highest sequence number removed.
    pub through_sequence: i64,
    /// Its seal's hash (hex), which the first kept event after it links to.
    pub hash: String,
}

/// The result of walking the whole chain.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"intact": true, "checked": 1042, "first_sequence": 1, "last_sequence": 1042,
    "head_hash": "9c1f…", "unsealed": 2, "checkpoint": null, "broken": null}))]
pub struct VerifyReportView {
    /// Whether every sealed event checked out.
    pub intact: bool,
    /// Sealed events checked.
    pub checked: u64,
    /// The first sealed sequence number present.
    pub first_sequence: Option<i64>,
    /// The last sealed sequence number checked.
    pub last_sequence: Option<i64>,
    /// The hash of the last seal (hex). Keep it elsewhere: the chain alone cannot show that its
    /// newest events were removed together with their seals.
    pub head_hash: Option<String>,
    /// Events not sealed yet when the walk began (pending, or completed moments ago): a report
    /// with 0 here checked every event that existed when it was asked for.
    pub unsealed: u64,
    /// Where retention cut the chain, if it did.
    pub checkpoint: Option<CheckpointView>,
    /// The first broken event; `null` when intact.
    pub broken: Option<BrokenView>,
}

impl From<VerifyReport> for VerifyReportView {
    fn from(report: VerifyReport) -> Self {
        VerifyReportView {
            intact: report.intact,
            checked: report.checked,
            first_sequence: report.first_sequence,
            last_sequence: report.last_sequence,
            head_hash: report.head_hash,
            unsealed: report.unsealed,
            checkpoint: report.checkpoint.map(|cp| CheckpointView {
                through_sequence: cp.through_seq,
                hash: hex::encode(cp.hash),
            }),
            broken: report.broken.map(|b| BrokenView {
                sequence: b.sequence,
                event_id: b.event_id,
                reason: b.reason.into(),
                detail: b.detail,
            }),
        }
    }
}
