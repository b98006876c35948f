//! `/v1/audit-events`: the audit log, read-only — filtered listing (newest first, cursor
//! pagination), NDJSON export of a whole filtered result, one event, and verification of the
//! hash chain. Every route needs the `audit:read` scope (or `admin`).

mod views;

pub use views::*;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::IntoParams;

use super::common::AuditEventIdText;
use super::pagination::link_header;
use crate::domain::api_keys::Scope;
use crate::domain::audit::{self, AuditFilter, EventKey, Outcome};
use crate::domain::pagination::{Cursor, Page, page_limit};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;

/// The media type of the export: one JSON event per line.
pub const NDJSON: &str = "application/x-ndjson";

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
    let pages =
        crate::services::audit::export(state.store.audit.clone(), filter, after).map(|page| {
            match page {
                Ok(events) => {
                    let mut chunk = Vec::new();
                    for event in events {
                        if serde_json::to_writer(&mut chunk, &AuditEventView::from(event)).is_ok() {
                            chunk.push(b'\n');
                        }
                    }
                    Ok(Bytes::from(chunk))
                }
                Err(err) => {
                    tracing::error!(error = %err, "audit export failed mid-way");
                    Err(std::io::Error::other(err.to_string()))
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
    let event = crate::services::audit::get(state.store.audit.as_ref(), &id).await?;
    Ok(Json(event.into()))
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
