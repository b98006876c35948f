//! The closed catalogue of error codes callers branch on, with each code's title, default
//! status and whether a retry may succeed. Adding a code is an API change.

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The closed catalogue of error codes callers branch on. Adding a code is an API change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or a value is out of range; `field` names the input.
    InvalidArgument,
    /// No API key, or a key that is unknown or revoked.
    Unauthenticated,
    /// The key is valid but lacks the scope or the provider account the route needs.
    PermissionDenied,
    /// The route or the resource does not exist.
    NotFound,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// The request conflicts with the current state of the resource.
    Conflict,
    /// The request body is larger than the configured limit.
    PayloadTooLarge,
    /// The body is not JSON (`Content-Type` must be `application/json`).
    UnsupportedMediaType,
    /// The caller sent too many requests; wait `Retry-After` seconds.
    RateLimited,
    /// A request with the same `Idempotency-Key` is still running.
    IdempotencyKeyInUse,
    /// The `Idempotency-Key` was already used with a different request.
    IdempotencyKeyReused,
    /// The provider behind the account cannot do this operation.
    UnsupportedByProvider,
    /// The provider answered with an error the gateway could not map to a caller error.
    UpstreamError,
    /// The provider is unavailable (rate limited, circuit open, connection refused).
    UpstreamUnavailable,
    /// The provider did not answer in time.
    UpstreamTimeout,
    /// The provider may or may not have applied the change; retry with the same key to find out.
    OutcomeUnknown,
    /// The provider account lacks the funds for this operation.
    InsufficientBalance,
    /// The gateway did not finish the request within its own time limit.
    DeadlineExceeded,
    /// The gateway's store is unreachable or not migrated.
    ServiceUnavailable,
    /// A bug or an unexpected failure inside the gateway.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::IdempotencyKeyInUse => "idempotency_key_in_use",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::UnsupportedByProvider => "unsupported_by_provider",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::OutcomeUnknown => "outcome_unknown",
            ErrorCode::InsufficientBalance => "insufficient_balance",
            ErrorCode::DeadlineExceeded => "deadline_exceeded",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The short human title of the problem type (RFC 9457 `title`).
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "Invalid argument",
            ErrorCode::Unauthenticated => "Unauthenticated",
            ErrorCode::PermissionDenied => "Permission denied",
            ErrorCode::NotFound => "Not found",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::RateLimited => "Rate limited",
            ErrorCode::IdempotencyKeyInUse => "Idempotency key in use",
            ErrorCode::IdempotencyKeyReused => "Idempotency key reused",
            ErrorCode::UnsupportedByProvider => "Unsupported by provider",
            ErrorCode::UpstreamError => "Upstream error",
            ErrorCode::UpstreamUnavailable => "Upstream unavailable",
            ErrorCode::UpstreamTimeout => "Upstream timeout",
            ErrorCode::OutcomeUnknown => "Outcome unknown",
            ErrorCode::InsufficientBalance => "Insufficient balance",
            ErrorCode::DeadlineExceeded => "Deadline exceeded",
            ErrorCode::ServiceUnavailable => "Service unavailable",
            ErrorCode::Internal => "Internal error",
        }
    }

    /// The HTTP status this code is answered with unless a call site says otherwise.
    pub fn default_status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidArgument => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::PermissionDenied => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::IdempotencyKeyInUse => StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnsupportedByProvider => StatusCode::NOT_IMPLEMENTED,
            ErrorCode::UpstreamError => StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::OutcomeUnknown => StatusCode::BAD_GATEWAY,
            ErrorCode::InsufficientBalance => StatusCode::PAYMENT_REQUIRED,
            ErrorCode::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether sending the same request again may succeed without changing it.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited
                | ErrorCode::IdempotencyKeyInUse
                | ErrorCode::UpstreamUnavailable
                | ErrorCode::UpstreamTimeout
                | ErrorCode::OutcomeUnknown
                | ErrorCode::DeadlineExceeded
                | ErrorCode::ServiceUnavailable
        )
    }

    /// The code a bare HTTP status maps to, for error responses produced outside a handler.
    pub fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                ErrorCode::InvalidArgument
            }
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::PermissionDenied,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::CONFLICT => ErrorCode::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
                ErrorCode::DeadlineExceeded
            }
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::ServiceUnavailable,
            _ => ErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_renders_as_its_snake_case_name() {
        for code in [
            ErrorCode::InvalidArgument,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_string()));
        }
    }

    #[test]
    fn provider_credential_errors_are_never_401() {
        assert_eq!(
            ErrorCode::UpstreamError.default_status(),
            StatusCode::BAD_GATEWAY
        );
    }
}
