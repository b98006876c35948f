//! The idempotency guard for writes (`Idempotency-Key`), between authentication and the
//! handler. It parses the header (once per request: [`key_header`]), asks
//! `services::idempotency::KeyedWrite` for a claim, answers replays and refusals itself, hands
//! the handler its [`WriteContext`], and tells the claim how the operation ended. What it
//! decided travels on the response as [`IdempotencyOutcome`], so the audit layer around it can
//! record whether the answer was a replay.

/// The guard's decision for one write request, attached to its response's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyOutcome {
    /// The caller's `Idempotency-Key`.
    pub key: String,
    /// Whether the response is a stored one replayed without running the operation.
    pub replayed: bool,
}

use std::sync::Arc;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::api_keys::Principal;
use crate::domain::idempotency::{IdempotencyKey, RecordUnreadable, StoredResponse, WriteContext};
use crate::http::error::{ApiError, ErrorCode, ErrorSummary};
use crate::http::state::AppState;
use crate::services::idempotency::{Claim, Ending, IdempotencySettings, KeyedRequest, KeyedWrite};
use crate::telemetry::metrics;
use crate::upstream::accounting;

/// The request header.
pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on a replayed response.
pub static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Response headers stored with the body and replayed with it.
const REPLAYED_HEADERS: [&str; 4] = ["content-type", "location", "link", "retry-after"];

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PATCH | Method::DELETE | Method::PUT
    )
}

/// A request's `Idempotency-Key` header, parsed once: the audit layer records it, the guard acts
/// on it.
#[derive(Clone, Debug)]
pub enum KeyHeader {
    /// No header.
    Absent,
    /// A valid key.
    Valid(IdempotencyKey),
    /// A header that is not a key: what it said (when it is text) and why it is refused.
    Invalid {
        /// The header's text, if it is visible ASCII.
        raw: Option<String>,
        /// What is wrong.
        detail: String,
    },
}

impl KeyHeader {
    /// The header's text as sent, valid or not.
    pub fn raw(&self) -> Option<&str> {
        match self {
            KeyHeader::Absent => None,
            KeyHeader::Valid(key) => Some(key.as_str()),
            KeyHeader::Invalid { raw, .. } => raw.as_deref(),
        }
    }
}

/// The request's [`KeyHeader`]: parsed on the first call, then read back from the extensions.
pub fn key_header(headers: &HeaderMap, extensions: &mut Extensions) -> KeyHeader {
    if let Some(parsed) = extensions.get::<KeyHeader>() {
        return parsed.clone();
    }
    let parsed = match headers.get(&IDEMPOTENCY_KEY) {
        None => KeyHeader::Absent,
        Some(value) => {
            let raw = value.to_str().ok().map(str::to_string);
            match raw.as_deref().map(IdempotencyKey::parse) {
                Some(Ok(key)) => KeyHeader::Valid(key),
                Some(Err(detail)) => KeyHeader::Invalid { raw, detail },
                None => KeyHeader::Invalid {
                    raw,
                    detail: "Idempotency-Key must be 1-64 printable ASCII characters".to_string(),
                },
            }
        }
    };
    extensions.insert(parsed.clone());
    parsed
}

/// Middleware for every matched `/v1` route (after authentication): a write with an
/// `Idempotency-Key` is claimed before the handler runs, replayed when done before, refused
/// with 409 while running elsewhere and 422 when the key was used for another request; the
/// handler gets a keyed [`WriteContext`] to record its plan and steps.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_write(request.method()) || !request.uri().path().starts_with("/v1/") {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let key = match key_header(&parts.headers, &mut parts.extensions) {
        KeyHeader::Valid(key) => key,
        KeyHeader::Invalid { detail, .. } => {
            return ApiError::invalid_argument("Idempotency-Key", detail).into_response();
        }
        KeyHeader::Absent if state.config.require_idempotency_key => {
            return ApiError::invalid_argument(
                "Idempotency-Key",
                "writes must carry an Idempotency-Key header",
            )
            .into_response();
        }
        KeyHeader::Absent => return next.run(Request::from_parts(parts, body)).await,
    };
    let Some(principal) = parts.extensions.get::<Arc<Principal>>().cloned() else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let bytes = match to_bytes(body, state.config.body_limit_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the request body is larger than the gateway accepts",
            )
            .into_response();
        }
    };
    let settings = IdempotencySettings {
        lease: state.config.idempotency_lease,
        ttl: state.config.idempotency_ttl,
    };
    let request = KeyedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        route: &route,
        body: &bytes,
    };
    let claim = KeyedWrite::begin(
        state.store.idempotency.clone(),
        settings,
        &principal,
        key.clone(),
        request,
    )
    .await;
    let write = match claim {
        Err(err) => return ApiError::from(err).into_response(),
        Ok(Claim::Reused) => {
            metrics::record_idempotency_conflict("reused");
            return with_outcome(
                ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "this Idempotency-Key was used with a different request (method, path or body); use a new key",
                )
                .with_field("Idempotency-Key")
                .into_response(),
                &key,
                false,
            );
        }
        Ok(Claim::InUse { retry_after }) => {
            metrics::record_idempotency_conflict("in_use");
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            return with_outcome(
                ApiError::new(
                    ErrorCode::IdempotencyKeyInUse,
                    "a request with this Idempotency-Key is still running; retry after Retry-After seconds",
                )
                .with_field("Idempotency-Key")
                .with_retry_after(seconds.max(1))
                .into_response(),
                &key,
                false,
            );
        }
        Ok(Claim::Replay(stored)) => {
            metrics::record_idempotency_replay();
            return with_outcome(replay(stored), &key, true);
        }
        Ok(Claim::Unreadable(err)) => return unreadable(err, &key),
        Ok(Claim::Run(write)) => write,
    };
    parts.extensions.insert(WriteContext::keyed(write.clone()));
    let heartbeat = write.keep_alive();
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    heartbeat.abort();
    let (response, ending) = ending_of(response).await;
    write.settle(ending).await;
    with_outcome(response, &key, false)
}

/// How the operation ended for its claim, and the answer the caller gets:
/// - no upstream call was made (validation, permission, unsupported…): nothing applied, so the
///   caller can fix the request and resend with the same key;
/// - a write got no answer after it may have reached the provider: uncertain, answered 502
///   `outcome_unknown`; the next request reconciles;
/// - the provider failed with 5xx or did not answer in time: same, the effect is uncertain;
/// - the provider rate-limited or the breaker was open (nothing was applied): nothing applied;
/// - the operation itself answered `outcome_unknown` (a reconciliation that could not tell):
///   its answer, and the claim stays uncertain;
/// - anything else (success, a provider's refusal): the answer, stored for replay.
async fn ending_of(response: Response) -> (Response, Ending) {
    let upstream = accounting::current().unwrap_or_default();
    let status = response.status();
    let summary = response.extensions().get::<ErrorSummary>();
    let code = summary.map(|s| s.code);
    // A refusal before any call, or an unavailable provider, applied nothing, unless an
    // earlier attempt of a retried write went unanswered after it may have arrived (a timeout
    // then an open breaker): that one may have applied, and the claim must stay to resume.
    let nothing_applied = !upstream.write_outcome_unknown()
        && (upstream.attempts() == 0 && !status.is_success()
            || matches!(
                code,
                Some(
                    ErrorCode::UpstreamUnavailable
                        | ErrorCode::ServiceUnavailable
                        | ErrorCode::RateLimited
                )
            ));
    if nothing_applied {
        return (response, Ending::NothingApplied);
    }
    // An operation that reconciled and could not tell (an order matched twice): its own
    // answer stands, and the claim stays open so a later retry checks again.
    if code == Some(ErrorCode::OutcomeUnknown) {
        return (response, Ending::Uncertain);
    }
    let upstream_5xx = summary
        .and_then(|s| s.upstream.as_ref())
        .and_then(|u| u.status)
        .is_some_and(|s| s >= 500);
    // Only a failed answer can leave the effect unknown: a retry inside the upstream client
    // that ended in success settles it.
    let uncertain = !status.is_success()
        && (upstream.write_outcome_unknown()
            || matches!(
                code,
                Some(ErrorCode::UpstreamTimeout | ErrorCode::DeadlineExceeded)
            )
            || (code == Some(ErrorCode::UpstreamError) && upstream_5xx));
    if uncertain {
        let mut err = ApiError::new(
            ErrorCode::OutcomeUnknown,
            "the provider may or may not have applied this change; send the same request with the same Idempotency-Key to find out",
        );
        if let Some(summary) = summary {
            err.provider = summary.provider.clone();
            err.upstream = summary.upstream.clone();
        }
        return (err.into_response(), Ending::Uncertain);
    }
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let answer = StoredResponse {
        status: parts.status.as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                parts
                    .headers
                    .get(*name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (name.to_string(), v.to_string()))
            })
            .collect(),
        body: bytes.to_vec(),
    };
    (
        Response::from_parts(parts, Body::from(bytes)),
        Ending::Answered(answer),
    )
}

/// A stored record that does not decrypt (altered in the database, or written under another
/// token): nothing is replayed or resumed from it.
fn unreadable(err: RecordUnreadable, key: &IdempotencyKey) -> Response {
    tracing::error!(error = %err, "refusing an idempotency record that does not decrypt");
    with_outcome(
        ApiError::new(
            ErrorCode::Internal,
            "the stored record of this Idempotency-Key cannot be read; use a new key",
        )
        .into_response(),
        key,
        false,
    )
}

/// The stored response, byte for byte, marked as replayed.
fn replay(stored: StoredResponse) -> Response {
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response.headers_mut().insert(
        IDEMPOTENT_REPLAYED.clone(),
        HeaderValue::from_static("true"),
    );
    response
}

fn with_outcome(mut response: Response, key: &IdempotencyKey, replayed: bool) -> Response {
    response.extensions_mut().insert(IdempotencyOutcome {
        key: key.as_str().to_string(),
        replayed,
    });
    response
}

/// Handlers take the write's context directly: keyed when the guard claimed an
/// `Idempotency-Key`, the default (unkeyed) otherwise.
impl<S: Send + Sync> FromRequestParts<S> for WriteContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<WriteContext>()
            .cloned()
            .unwrap_or_default())
    }
}
