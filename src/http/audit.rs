//! The audit layer: every write under `/v1` (and every read, with `PGW_AUDIT_READS`) leaves an
//! audit event. It runs after authentication and outside the idempotency guard, so it sees
//! the caller, replays and the guard's refusals too.
//!
//! The intent is recorded before the inner service runs; when that fails the request is
//! refused with 503 and nothing else happens (no handler, no upstream call). The outcome is
//! recorded once the answer is ready — status, error code, what the provider said (from the
//! [`ErrorSummary`] of an error, and from the request's record of upstream calls,
//! [`accounting`], which the upstream client fills), the idempotency replay flag and the ids of a created resource.
//! If the request never gets an answer (deadline, caller gone, panic), a drop guard records
//! the outcome as `unknown`; if the process dies, the worker does so later
//! (`services::audit_worker`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::idempotency::{self, IdempotencyOutcome};
use super::request_id::{self, RequestId};
use crate::domain::api_keys::{self, Principal};
use crate::domain::audit::operations::{self, Operation, Operations};
use crate::domain::audit::{self, Completion, EventKey, NewAuditEvent, Outcome, redact};
use crate::http::error::{ApiError, ErrorCode, ErrorSummary};
use crate::http::state::AppState;
use crate::store::AuditStore;
use crate::upstream::accounting::{self, LastAnswer};

/// Longest stored header-derived value (the idempotency key).
const MAX_HEADER_VALUE: usize = 255;

/// Largest response body read back for the id of a created resource.
const MAX_RESPONSE_BODY: usize = 4 * 1024 * 1024;

fn clip(value: &str) -> String {
    value.chars().take(MAX_HEADER_VALUE).collect()
}

/// What the audit layer reads: the gateway's state and every route's declared operation.
#[derive(Clone)]
pub struct AuditState {
    /// The gateway's state.
    pub app: AppState,
    /// The operations the routes declare (`api::audited`).
    pub operations: Arc<Operations>,
}

/// Middleware on every matched route (see `api::router` for its place among the layers).
pub async fn layer(
    State(AuditState {
        app: state,
        operations,
    }): State<AuditState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(route) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .filter(|p| p.starts_with("/v1/"))
    else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !write && !state.config.audit.reads {
        return next.run(request).await;
    }
    let started = Instant::now();
    let occurred_at = api_keys::now();
    let operation = operations.lookup(method.as_str(), &route);
    let (mut parts, body) = request.into_parts();
    let path: Vec<(String, String)> = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map(|params| {
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let (bytes, body_error) = match axum::body::to_bytes(body, state.config.body_limit_bytes).await
    {
        Ok(bytes) => (bytes, None),
        Err(err) => (axum::body::Bytes::new(), Some(body_error(err))),
    };
    let json: Option<Value> = serde_json::from_slice(&bytes).ok();
    let query = parts.uri.query();
    let account = operation.and_then(|op| op.account(&path, json.as_ref(), query));
    let idempotency_key = idempotency::key_header(&parts.headers, &mut parts.extensions)
        .raw()
        .map(clip);
    let principal = parts.extensions.get::<Arc<Principal>>();
    let intent = NewAuditEvent {
        id: audit::new_event_id(occurred_at),
        occurred_at,
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .or_else(request_id::current)
            .unwrap_or_default(),
        actor_key_id: principal.map(|p| p.key_id.to_string()),
        actor_key_name: principal.map(|p| p.key_name.clone()),
        client_addr: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        method: method.to_string(),
        route: route.clone(),
        operation: operation
            .map(|op| op.name.clone())
            .unwrap_or_else(|| operations::fallback_name(method.as_str(), &route)),
        provider: account
            .as_deref()
            .and_then(|a| state.providers.get(a))
            .map(|a| a.kind.as_str().to_string()),
        account,
        resource_type: operation.and_then(|op| op.resource_type.clone()),
        resource_ids: operation
            .map(|op| op.request_ids(&path))
            .unwrap_or_default(),
        idempotency_key,
        request_summary: match &body_error {
            Some(_) => Some(r#"{"omitted":{"body":"unreadable or over the size limit"}}"#.into()),
            None => redact::summarize(query, &bytes),
        },
    };
    let store = state.store.audit.clone();
    let key = match store.record_intent(&intent).await {
        Ok(key) => key,
        Err(err) => {
            tracing::error!(error = %err, operation = %intent.operation, "audit: the intent cannot be recorded, so the request is refused");
            return ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the audit log cannot record this request, so it was not carried out; retry shortly",
            )
            .with_retry_after(1)
            .into_response();
        }
    };
    let pending = Pending {
        store,
        key,
        started,
        write,
        deadline: state.config.request_timeout,
        done: false,
    };
    let response = match body_error {
        Some(err) => err.into_response(),
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    let wants_ids = intent.resource_ids.is_empty()
        && response.status().is_success()
        && operation.is_some_and(Operation::ids_in_response);
    let (response, created) = match (wants_ids, operation) {
        (true, Some(op)) => created_ids(response, op).await,
        // A create that failed part-way names what it made before stopping.
        _ if intent.resource_ids.is_empty() => {
            let made = response
                .extensions()
                .get::<ErrorSummary>()
                .and_then(|s| s.created_ids.clone());
            (response, made)
        }
        _ => (response, None),
    };
    let seen = accounting::current()
        .map(|record| record.last_answer())
        .unwrap_or_default();
    let completion = completion_of(&response, write, seen, started.elapsed(), created);
    pending.complete(completion).await;
    response
}

fn body_error(err: axum::Error) -> ApiError {
    let too_large = err
        .into_inner()
        .downcast_ref::<http_body_util::LengthLimitError>()
        .is_some();
    if too_large {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the gateway accepts",
        )
    } else {
        ApiError::invalid_argument("body", "the request body could not be read")
    }
}

/// Reads the ids of what a successful create made from its (in-memory, bounded) body, and
/// hands the body on unchanged. The body itself is never stored: it holds passwords and tokens.
async fn created_ids(response: Response, op: &Operation) -> (Response, Option<Vec<String>>) {
    let (parts, body) = response.into_parts();
    let small = body
        .size_hint()
        .exact()
        .is_some_and(|n| n <= MAX_RESPONSE_BODY as u64);
    if !small {
        return (Response::from_parts(parts, body), None);
    }
    match axum::body::to_bytes(body, MAX_RESPONSE_BODY).await {
        Ok(bytes) => {
            let ids = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .map(|value| op.response_ids(&value))
                .filter(|ids| !ids.is_empty());
            (Response::from_parts(parts, Body::from(bytes)), ids)
        }
        Err(err) => {
            tracing::error!(error = %err, "audit: cannot read a response body back");
            (ApiError::internal().into_response(), None)
        }
    }
}

/// The outcome of an answered request.
fn completion_of(
    response: &Response,
    write: bool,
    seen: LastAnswer,
    elapsed: Duration,
    created: Option<Vec<String>>,
) -> Completion {
    let status = response.status();
    let summary = response.extensions().get::<ErrorSummary>();
    let code = match summary {
        Some(summary) => Some(summary.code),
        None if status.is_client_error() || status.is_server_error() => {
            Some(ErrorCode::for_status(status))
        }
        None => None,
    };
    let outcome = match code {
        None => Outcome::Succeeded,
        // The provider may have applied the change: only a retry with the same key can tell.
        Some(
            ErrorCode::OutcomeUnknown | ErrorCode::UpstreamTimeout | ErrorCode::DeadlineExceeded,
        ) if write => Outcome::Unknown,
        Some(_) => Outcome::Failed,
    };
    let upstream = summary.and_then(|s| s.upstream.clone());
    Completion {
        outcome,
        status: Some(status.as_u16()),
        error_code: code.map(|c| c.as_str().to_string()),
        upstream_status: upstream.as_ref().and_then(|u| u.status).or(seen.status),
        upstream_code: upstream.and_then(|u| u.code),
        upstream_request_id: seen.request_id,
        duration_us: Some(micros(elapsed)),
        completed_at: api_keys::now(),
        resource_ids: created,
        idempotency_replayed: response
            .extensions()
            .get::<IdempotencyOutcome>()
            .map(|o| o.replayed),
    }
}

fn micros(elapsed: Duration) -> i64 {
    i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
}

/// A recorded intent that still needs its outcome. Completed explicitly when the request is
/// answered; if the request is dropped first (the deadline passed, the caller went away, a
/// panic unwound), its `Drop` records what is known in a task of its own.
struct Pending {
    store: Arc<dyn AuditStore>,
    key: EventKey,
    started: Instant,
    write: bool,
    deadline: Duration,
    done: bool,
}

impl Pending {
    async fn complete(mut self, completion: Completion) {
        complete(self.store.as_ref(), &self.key, &completion).await;
        self.done = true;
    }
}

async fn complete(store: &dyn AuditStore, key: &EventKey, completion: &Completion) {
    match store.complete(key, completion).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(seq = key.seq, "audit: the event was no longer pending"),
        Err(err) => {
            tracing::error!(seq = key.seq, error = %err, "audit: the outcome cannot be recorded; the event stays pending until it is closed as unknown")
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let elapsed = self.started.elapsed();
        let (status, code) = if std::thread::panicking() {
            (
                Some(StatusCode::INTERNAL_SERVER_ERROR),
                Some(ErrorCode::Internal),
            )
        } else if elapsed + Duration::from_millis(250) >= self.deadline {
            (
                Some(StatusCode::GATEWAY_TIMEOUT),
                Some(ErrorCode::DeadlineExceeded),
            )
        } else {
            (None, None)
        };
        let completion = Completion {
            outcome: if self.write {
                Outcome::Unknown
            } else {
                Outcome::Failed
            },
            status: status.map(|s| s.as_u16()),
            error_code: code.map(|c| c.as_str().to_string()),
            duration_us: Some(micros(elapsed)),
            ..Completion::abandoned(api_keys::now())
        };
        let store = self.store.clone();
        let key = self.key;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { complete(store.as_ref(), &key, &completion).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::error::UpstreamProblem;

    fn response(status: StatusCode, summary: Option<ErrorSummary>) -> Response {
        let mut response = status.into_response();
        if let Some(summary) = summary {
            response.extensions_mut().insert(summary);
        }
        response
    }

    #[test]
    fn a_timed_out_write_is_unknown_and_a_refused_one_failed() {
        let timeout = ErrorSummary {
            code: ErrorCode::UpstreamTimeout,
            provider: Some("helodata".into()),
            upstream: None,
            created_ids: None,
        };
        let c = completion_of(
            &response(StatusCode::GATEWAY_TIMEOUT, Some(timeout.clone())),
            true,
            LastAnswer::default(),
            Duration::from_millis(3),
            None,
        );
        assert_eq!(c.outcome, Outcome::Unknown);
        assert_eq!(c.status, Some(504));
        assert_eq!(c.error_code.as_deref(), Some("upstream_timeout"));
        assert_eq!(c.duration_us, Some(3000));
        let read = completion_of(
            &response(StatusCode::GATEWAY_TIMEOUT, Some(timeout)),
            false,
            LastAnswer::default(),
            Duration::ZERO,
            None,
        );
        assert_eq!(read.outcome, Outcome::Failed);

        let refused = ErrorSummary {
            code: ErrorCode::InvalidArgument,
            provider: Some("911proxy".into()),
            upstream: Some(UpstreamProblem {
                status: Some(200),
                code: Some("156".into()),
                message: Some("nope".into()),
            }),
            created_ids: None,
        };
        let seen = LastAnswer {
            status: Some(200),
            request_id: Some("req_up".into()),
        };
        let c = completion_of(
            &response(StatusCode::BAD_REQUEST, Some(refused)),
            true,
            seen,
            Duration::ZERO,
            None,
        );
        assert_eq!(c.outcome, Outcome::Failed);
        assert_eq!(c.upstream_status, Some(200));
        assert_eq!(c.upstream_code.as_deref(), Some("156"));
        assert_eq!(c.upstream_request_id.as_deref(), Some("req_up"));
    }

    #[test]
    fn a_bare_error_status_gets_the_catalogue_code_and_a_replay_is_flagged() {
        let c = completion_of(
            &response(StatusCode::METHOD_NOT_ALLOWED, None),
            true,
            LastAnswer::default(),
            Duration::ZERO,
            None,
        );
        assert_eq!(c.error_code.as_deref(), Some("method_not_allowed"));
        assert_eq!(c.outcome, Outcome::Failed);

        let mut replayed = response(StatusCode::CREATED, None);
        replayed.extensions_mut().insert(IdempotencyOutcome {
            key: "k1".into(),
            replayed: true,
        });
        let c = completion_of(
            &replayed,
            true,
            LastAnswer::default(),
            Duration::ZERO,
            Some(vec!["a:1".into()]),
        );
        assert_eq!(c.outcome, Outcome::Succeeded);
        assert_eq!(c.idempotency_replayed, Some(true));
        assert_eq!(c.resource_ids, Some(vec!["a:1".to_string()]));
        assert_eq!(c.error_code, None);
    }
}
