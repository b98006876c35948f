//! The error responses shared by the provider-backed routes, as OpenAPI response sets, so every
//! operation documents each status it can answer with the one error schema.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};

/// A problem+json response with `description`.
pub fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn set(entries: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    entries
        .iter()
        .map(|(status, description)| (status.to_string(), problem(description)))
        .collect()
}

const BAD_INPUT: (&str, &str) = (
    "400",
    "invalid_argument: a parameter or body field is wrong (`field` names it), or the provider refused it.",
);
const FORBIDDEN: (&str, &str) = (
    "403",
    "permission_denied: the key lacks the scope or the provider account, or the provider does not allow this for the account (911 code 156, helodata kyc_required).",
);
const NOT_FOUND: (&str, &str) = ("404", "not_found: no such proxy user or account.");
const REFUSED: (&str, &str) = (
    "422",
    "invalid_argument: the provider refused the input without naming a field. idempotency_key_reused (writes): this Idempotency-Key was used with a different request.",
);
const UNSUPPORTED: (&str, &str) = (
    "501",
    "unsupported_by_provider: the account's provider cannot do this; `detail` names the operation and the account (`GET /v1/providers` lists each account's capabilities).",
);
const UPSTREAM_ERROR: (&str, &str) = (
    "502",
    "upstream_error: the provider failed (5xx, connection error, unreadable answer) or refused the gateway's own credential (911 code 3, helodata 401; never passed on as 401). `provider` and `upstream` say what it answered.",
);
const UNAVAILABLE: (&str, &str) = (
    "503",
    "upstream_unavailable: the provider rate-limits the account or its circuit breaker is open; wait `Retry-After` seconds. service_unavailable: the gateway's store is down.",
);
const TIMEOUT: (&str, &str) = (
    "504",
    "upstream_timeout: the provider did not answer in time; deadline_exceeded: the gateway's own deadline passed.",
);

/// Errors of a read routed to providers. Authentication, the store and the deadline add 401,
/// 500, 503 and 504 to every `/v1` operation (see `openapi::document_conventions`).
pub struct ReadErrors;

impl utoipa::IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            BAD_INPUT,
            FORBIDDEN,
            NOT_FOUND,
            REFUSED,
            UNSUPPORTED,
            UPSTREAM_ERROR,
            UNAVAILABLE,
            TIMEOUT,
        ])
    }
}

/// Errors of a file download from a provider: a read's, and 409 when there is no file to
/// hand over (a report run still running, failed, or whose link expired).
pub struct DownloadErrors;

impl utoipa::IntoResponses for DownloadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            BAD_INPUT,
            FORBIDDEN,
            NOT_FOUND,
            (
                "409",
                "conflict: there is no file to hand over now (the run is still running or failed, or its link expired; run the report again).",
            ),
            REFUSED,
            UNSUPPORTED,
            UPSTREAM_ERROR,
            UNAVAILABLE,
            TIMEOUT,
        ])
    }
}

/// Errors of a write routed to providers; the conventions add the `Idempotency-Key` guard's
/// 409 and 422, 413 and, for JSON bodies, 415.
pub struct WriteErrors;

impl utoipa::IntoResponses for WriteErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            BAD_INPUT,
            (
                "402",
                "insufficient_balance: the provider account lacks the funds.",
            ),
            FORBIDDEN,
            NOT_FOUND,
            (
                "409",
                "conflict: the change conflicts with the provider's state (e.g. the username exists). idempotency_key_in_use: a request with this Idempotency-Key is still running (`Retry-After`).",
            ),
            REFUSED,
            UNSUPPORTED,
            (
                "502",
                "upstream_error: the provider failed or refused the gateway's own credential (never passed on as 401). outcome_unknown: the provider may have applied the change without answering; send the same request with the same Idempotency-Key to reconcile.",
            ),
            UNAVAILABLE,
            TIMEOUT,
        ])
    }
}

/// The one error of a route that calls no provider and takes no input: the key lacks the scope.
pub struct ScopeErrors;

impl utoipa::IntoResponses for ScopeErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[(
            "403",
            "permission_denied: the key lacks the scope this route needs.",
        )])
    }
}
