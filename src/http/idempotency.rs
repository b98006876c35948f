//! The idempotency guard for writes (`Idempotency-Key`), between authentication and the
//! handler. What it decided for a request travels on the response as [`IdempotencyOutcome`], so
//! the audit layer around it can record the key and whether the answer was a replay.

/// The guard's decision for one write request, attached to its response's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyOutcome {
    /// The caller's `Idempotency-Key`.
    pub key: String,
    /// Whether the response is a stored one replayed without running the operation.
    pub replayed: bool,
}

use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use crate::domain::api_keys::Principal;
use crate::domain::idempotency::{
    Begin, BeginRequest, IdempotencyKey, Journal, RecordCipher, RecordUnreadable, StoredResponse,
    fingerprint,
};
use crate::http::error::{ApiError, ErrorCode, ErrorSummary};
use crate::http::state::AppState;
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

/// Middleware for every matched `/v1` route (after authentication): a write with an
/// `Idempotency-Key` is claimed before the handler runs, replayed when done before, refused
/// with 409 while running elsewhere and 422 when the key was used for another request; the
/// handler gets a [`Journal`] to record its plan and steps.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_write(request.method()) || !request.uri().path().starts_with("/v1/") {
        return next.run(request).await;
    }
    let header = request.headers().get(&IDEMPOTENCY_KEY).cloned();
    let Some(header) = header else {
        if state.config.require_idempotency_key {
            return ApiError::invalid_argument(
                "Idempotency-Key",
                "writes must carry an Idempotency-Key header",
            )
            .into_response();
        }
        return next.run(request).await;
    };
    let key = match header.to_str().ok().map(IdempotencyKey::parse) {
        Some(Ok(key)) => key,
        Some(Err(detail)) => {
            return ApiError::invalid_argument("Idempotency-Key", detail).into_response();
        }
        None => {
            return ApiError::invalid_argument(
                "Idempotency-Key",
                "Idempotency-Key must be 1-64 printable ASCII characters",
            )
            .into_response();
        }
    };
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        return next.run(request).await;
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
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
    let print = fingerprint(parts.method.as_str(), parts.uri.path(), &bytes);
    let owner = crate::domain::ids::prefixed("att");
    let lease = state.config.idempotency_lease;
    let begin = state
        .store
        .idempotency
        .begin(&BeginRequest {
            api_key_id: principal.key_id.as_str(),
            key: &key,
            fingerprint: &print,
            method: parts.method.as_str(),
            route: &route,
            owner: &owner,
            now: OffsetDateTime::now_utc(),
            lease,
            ttl: state.config.idempotency_ttl,
        })
        .await;
    let cipher = RecordCipher::new(
        &principal.record_key,
        principal.key_id.as_str(),
        key.as_str(),
    );
    let resumed = match begin {
        Err(err) => return ApiError::from(err).into_response(),
        Ok(Begin::Mismatch) => {
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
        Ok(Begin::InProgress { retry_after }) => {
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
        Ok(Begin::Completed(mut stored)) => {
            stored.body = match cipher.open_body(&stored.body) {
                Ok(body) => body,
                Err(err) => return unreadable(err, &key),
            };
            metrics::record_idempotency_replay();
            return with_outcome(replay(stored), &key, true);
        }
        Ok(Begin::Started) => None,
        Ok(Begin::Resumed { progress: None }) => Some(None),
        Ok(Begin::Resumed {
            progress: Some(stored),
        }) => match cipher.open_progress(&stored) {
            Ok(progress) => Some(Some(progress)),
            Err(err) => {
                // Release nothing: the record stays for an operator; the lease runs out.
                return unreadable(err, &key);
            }
        },
    };
    let journal = Journal::new(
        state.store.idempotency.clone(),
        principal.key_id.as_str(),
        &key,
        &owner,
        lease,
        resumed,
        &principal.record_key,
    );
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(journal.clone());
    let heartbeat = tokio::spawn(keep_lease(journal.clone(), lease));
    let response = next.run(request).await;
    let upstream = accounting::current().unwrap_or_default();
    heartbeat.abort();
    let response = settle(
        &state, &principal, &key, &cipher, &owner, response, &upstream,
    )
    .await;
    with_outcome(response, &key, false)
}

/// Renews the lease while the operation runs, so a slow upstream does not let another request
/// take over a live operation.
async fn keep_lease(journal: Journal, lease: Duration) {
    let period = (lease / 3).max(Duration::from_millis(200));
    loop {
        tokio::time::sleep(period).await;
        match journal.heartbeat().await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => tracing::warn!(error = %err, "could not renew an idempotency lease"),
        }
    }
}

/// Decides what becomes of the claim once the handler answered:
/// - no upstream call was made (validation, permission, unsupported…): forget it, so the
///   caller can fix the request and resend with the same key;
/// - a write got no answer after it may have reached the provider: keep it in progress with
///   the lease ended, answer 502 `outcome_unknown`; the next request reconciles;
/// - the provider failed with 5xx or did not answer in time: same, the effect is uncertain;
/// - the provider rate-limited or the breaker was open (nothing was applied): forget it;
/// - anything else (success, a provider's refusal): store it for replay.
async fn settle(
    state: &AppState,
    principal: &Principal,
    key: &IdempotencyKey,
    cipher: &RecordCipher,
    owner: &str,
    response: Response,
    upstream: &accounting::UpstreamAccounting,
) -> Response {
    let store = &state.store.idempotency;
    let api_key_id = principal.key_id.as_str();
    let status = response.status();
    let code = response.extensions().get::<ErrorSummary>().map(|s| s.code);
    let forget = upstream.attempts() == 0 && !status.is_success()
        || matches!(
            code,
            Some(
                ErrorCode::UpstreamUnavailable
                    | ErrorCode::ServiceUnavailable
                    | ErrorCode::RateLimited
            )
        );
    if forget {
        if let Err(err) = store.release(api_key_id, key.as_str(), owner).await {
            tracing::warn!(error = %err, "could not release an idempotency claim");
        }
        return response;
    }
    let upstream_5xx = response
        .extensions()
        .get::<ErrorSummary>()
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
        if let Err(err) = store
            .abandon(api_key_id, key.as_str(), owner, OffsetDateTime::now_utc())
            .await
        {
            tracing::warn!(error = %err, "could not end an idempotency lease");
        }
        let mut err = ApiError::new(
            ErrorCode::OutcomeUnknown,
            "the provider may or may not have applied this change; send the same request with the same Idempotency-Key to find out",
        );
        if let Some(summary) = response.extensions().get::<ErrorSummary>() {
            err.provider = summary.provider.clone();
            err.upstream = summary.upstream.clone();
        }
        return err.into_response();
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => Bytes::new(),
    };
    let stored = StoredResponse {
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
        body: cipher.seal_body(&bytes),
    };
    match store
        .complete(
            api_key_id,
            key.as_str(),
            owner,
            &stored,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("an idempotency claim was taken over before its operation finished")
        }
        Err(err) => {
            tracing::error!(error = %err, "could not store the response of a keyed write; a retry will reconcile")
        }
    }
    Response::from_parts(parts, Body::from(bytes))
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

/// The journal of the current keyed write, for handlers: `None` without an `Idempotency-Key`.
#[derive(Clone, Debug)]
pub struct WriteJournal(pub Option<Journal>);

impl<S: Send + Sync> FromRequestParts<S> for WriteJournal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(WriteJournal(parts.extensions.get::<Journal>().cloned()))
    }
}
