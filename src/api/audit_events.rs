//! `/v1/audit-events`: the audit log, read-only — filtered listing (newest first, cursor
//! pagination), NDJSON export of a whole filtered result, one event, and verification of the
//! hash chain. Every route needs the `audit:read` scope (or `admin`).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

use super::common::AuditEventIdText;
use super::pagination::link_header;
use crate::domain::api_keys::Scope;
use crate::domain::audit::chain::{BreakReason, summary_value};
use crate::domain::audit::{self, AuditEvent, AuditFilter, EventKey, Outcome, VerifyReport};
use crate::domain::pagination::{Cursor, Page, page_limit};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;

/// The media type of the export: one JSON event per line.
pub const NDJSON: &str = "application/x-ndjson";

/// Events read per store call while exporting.
const EXPORT_PAGE: u32 = 500;

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
    /// `[redacted]` and long strings cut.
    #[schema(value_type = Object)]
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

/// Filters and paging; every filter given must match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Events at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Events before this time (RFC 3339, exclusive).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// The API key that made the request (`key_<ULID>`).
    pub actor: Option<String>,
    /// The provider account.
    pub account: Option<String>,
    /// The provider (`helodata`, `911proxy`).
    pub provider: Option<String>,
    /// The operation, e.g. `proxy_users.create`.
    pub operation: Option<String>,
    /// The outcome.
    pub outcome: Option<OutcomeName>,
    /// One of the event's resource ids, e.g. `911proxy:user01`.
    pub resource_id: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The `Idempotency-Key` (a retry's events share it).
    pub idempotency_key: Option<String>,
    /// The `next_cursor` of the previous page (also where an export starts).
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50); an export ignores it.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

fn parse_time(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    // An empty value is not a time: refused like any other bad one, as the document says.
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339).map_err(|_| {
                ApiError::invalid_argument(
                    field,
                    format!("{field} must be an RFC 3339 time, e.g. 2026-11-25T00:00:00Z"),
                )
            })
        })
        .transpose()
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        let filter = AuditFilter {
            from: parse_time("from", self.from.as_deref())?,
            to: parse_time("to", self.to.as_deref())?,
            actor_key_id: non_empty(&self.actor),
            account: non_empty(&self.account),
            provider: non_empty(&self.provider),
            operation: non_empty(&self.operation),
            outcome: self.outcome.map(Into::into),
            resource_id: non_empty(&self.resource_id),
            request_id: non_empty(&self.request_id),
            idempotency_key: non_empty(&self.idempotency_key),
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from >= to
        {
            return Err(ApiError::invalid_argument(
                "to",
                "to must be later than from",
            ));
        }
        Ok(filter)
    }

    fn after(&self) -> Result<Option<EventKey>, ApiError> {
        let bad = |e: String| ApiError::invalid_argument("cursor", format!("cursor {e}"));
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|text| {
                let cursor = Cursor::decode(text).map_err(bad)?;
                EventKey::from_cursor(&cursor.0).map_err(bad)
            })
            .transpose()
    }

    /// The filters as given, for the `Link` header of the next page.
    fn kept(&self) -> Vec<(&'static str, &str)> {
        let outcome = self.outcome.map(|o| Outcome::from(o).as_str());
        [
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("actor", self.actor.as_deref()),
            ("account", self.account.as_deref()),
            ("provider", self.provider.as_deref()),
            ("operation", self.operation.as_deref()),
            ("outcome", outcome),
            ("resource_id", self.resource_id.as_deref()),
            ("request_id", self.request_id.as_deref()),
            ("idempotency_key", self.idempotency_key.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.filter(|v| !v.is_empty()).map(|v| (name, v)))
        .collect()
    }
}

fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            item.split(';')
                .next()
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case(NDJSON))
        })
}

/// Lists audit events, newest first; with `Accept: application/x-ndjson`, streams every
/// matching event (from `cursor`, if given) as one JSON object per line.
#[utoipa::path(get, path = "/audit-events",
    extensions(("x-audit" = json!({"operation": "audit_events.list", "resource": "audit_event"}))),
    tag = "audit", params(AuditQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of events (JSON), or every matching event (NDJSON, streamed).",
         content((AuditEventList = "application/json"), (AuditEventView = "application/x-ndjson")),
         headers(("Link" = String, description = "`<…?cursor=…&limit=…&…filters>; rel=\"next\"` when there is a next page (JSON only)"))),
        (status = 400, description = "invalid_argument: a bad filter, cursor or limit; `field` names it.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "unauthenticated: missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "permission_denied: the key lacks the audit:read (or admin) scope.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable: the store is unavailable.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_audit_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    caller.require(Scope::AuditRead)?;
    let filter = params.filter()?;
    let after = params.after()?;
    if wants_ndjson(&headers) {
        return Ok(export(&state, filter, after));
    }
    let limit = page_limit(params.limit)
        .map_err(|e| ApiError::invalid_argument("limit", format!("limit {e}")))?;
    let (events, next) = crate::services::audit::list_page(
        state.store.audit.as_ref(),
        &filter,
        after.as_ref(),
        limit,
    )
    .await?;
    let page = Page {
        items: events,
        next: next.map(|key| Cursor(key.to_cursor())),
    };
    let headers = link_header("/v1/audit-events", &page, limit, &params.kept());
    let body = AuditEventList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page.items.into_iter().map(AuditEventView::from).collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// The NDJSON export: pages through the store one at a time while the body streams, so memory
/// stays bounded whatever the result's size. A store failure mid-way aborts the body (the
/// caller sees a truncated transfer, never a silently short export).
fn export(state: &AppState, filter: AuditFilter, after: Option<EventKey>) -> Response {
    let store = state.store.audit.clone();
    let pages = futures::stream::unfold(Some(after), move |cursor| {
        let store = store.clone();
        let filter = filter.clone();
        async move {
            let after = cursor?;
            match store.list(&filter, after.as_ref(), EXPORT_PAGE).await {
                Ok(events) => {
                    let next = (events.len() == EXPORT_PAGE as usize)
                        .then(|| events.last().map(AuditEvent::key))
                        .flatten();
                    let mut chunk = Vec::new();
                    for event in events {
                        if serde_json::to_writer(&mut chunk, &AuditEventView::from(event)).is_ok() {
                            chunk.push(b'\n');
                        }
                    }
                    let state = next.map(Some);
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), state))
                }
                Err(err) => {
                    tracing::error!(error = %err, "audit export failed mid-way");
                    Some((Err(std::io::Error::other(err.to_string())), None))
                }
            }
        }
    });
    let mut response = Response::new(Body::from_stream(pages));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    response
}

/// Reads one audit event.
#[utoipa::path(get, path = "/audit-events/{id}",
    extensions(("x-audit" = json!({"operation": "audit_events.get", "resource": "audit_event", "ids": "path_id"}))),
    tag = "audit",
    params(("id" = AuditEventIdText, Path, description = "`aud_<ULID>`", example = "aud_01JDQ7A2V5K8M3N6P9R2T4W7XZ")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The event.", body = AuditEventView),
        (status = 400, description = "invalid_argument: malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "unauthenticated: missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "permission_denied: the key lacks the audit:read (or admin) scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such event (or removed by retention).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable: the store is unavailable.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_audit_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AuditEventView>, ApiError> {
    caller.require(Scope::AuditRead)?;
    audit::parse_event_id(&id).map_err(|e| ApiError::invalid_argument("id", e))?;
    let event = state
        .store
        .audit
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no audit event {id}")))?;
    Ok(Json(event.into()))
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

/// Walks the hash chain from its start (or the retention checkpoint) and reports the first
/// event where it breaks. A broken chain is a 200 with `intact: false`: the walk succeeded.
/// Reads the whole log; for very large logs prefer `proxy-gateway audit verify`, which has no
/// request deadline.
#[utoipa::path(get, path = "/audit-events/verify",
    extensions(("x-audit" = json!({"operation": "audit_events.verify", "resource": "audit_event"}))),
    tag = "audit",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The verification report.", body = VerifyReportView),
        (status = 401, description = "unauthenticated: missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "permission_denied: the key lacks the audit:read (or admin) scope.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable: the store is unavailable.", body = Problem, content_type = "application/problem+json"),
        (status = 504, description = "deadline_exceeded: the log is too large to walk within the request deadline.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_audit_chain(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<VerifyReportView>, ApiError> {
    caller.require(Scope::AuditRead)?;
    let report = crate::services::audit::verify(state.store.audit.as_ref()).await?;
    Ok(Json(report.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_is_chosen_by_the_accept_header_only() {
        let mut headers = HeaderMap::new();
        assert!(!wants_ndjson(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, application/x-ndjson;q=0.9"),
        );
        assert!(wants_ndjson(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_ndjson(&headers));
    }

    #[test]
    fn a_bad_time_or_an_empty_range_names_the_field() {
        let query = AuditQuery {
            from: Some("yesterday".into()),
            ..AuditQuery::default()
        };
        assert_eq!(query.filter().unwrap_err().field.as_deref(), Some("from"));
        let query = AuditQuery {
            from: Some("2026-11-25T00:00:00Z".into()),
            to: Some("2026-11-24T00:00:00Z".into()),
            ..AuditQuery::default()
        };
        assert_eq!(query.filter().unwrap_err().field.as_deref(), Some("to"));
    }
}
