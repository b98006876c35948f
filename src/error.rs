//! The one public error type. Every failure a caller can see is an [`ApiError`], rendered as
//! RFC 9457 problem details (`application/problem+json`) in exactly one place: its
//! `IntoResponse` impl. Other error types convert into it with `From`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::request_id;
use crate::providers::{FailureKind, ProviderError, UpstreamFailure};

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

/// What an upstream provider said, with secrets removed; part of an error caused upstream.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UpstreamProblem {
    /// The provider's HTTP status, when there was an HTTP answer.
    pub status: Option<u16>,
    /// The provider's own error code (911Proxy's numeric `code`, helodata's `code`).
    pub code: Option<String>,
    /// The provider's message.
    pub message: Option<String>,
}

/// RFC 9457 problem details: the body of every error response.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:proxy-gateway:problem:invalid_argument",
    "title": "Invalid argument",
    "status": 400,
    "detail": "name: must not be empty",
    "code": "invalid_argument",
    "field": "name",
    "retryable": false,
    "request_id": "req_01JDQ6Z8M9W3V7Y2K1T0R5N4PX"
}))]
pub struct Problem {
    /// A URI naming the problem type: `urn:proxy-gateway:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(example = "urn:proxy-gateway:problem:invalid_argument")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong in this occurrence, for humans.
    pub detail: String,
    /// The machine-readable code from the closed catalogue.
    pub code: ErrorCode,
    /// The input that was wrong (body field path, query parameter or header name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Whether the same request may succeed if sent again.
    pub retryable: bool,
    /// The request id, equal to the `X-Request-Id` response header.
    pub request_id: String,
    /// The provider account whose upstream caused the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// What the upstream answered, secrets removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamProblem>,
    /// For a change made of several upstream calls that stopped part-way: the fields that were
    /// applied before the failure (the others were not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_fields: Option<Vec<String>>,
    /// For a create that stopped part-way: the ids of the proxy users it created before the
    /// failure. They exist; their one-time passwords are not in this answer (rotate them, or
    /// send creates with an `Idempotency-Key`, whose retry returns them).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["helodata:sub_01JDQ6Z8M9W3V7Y2K1T0R5N4PX"]))]
    pub created_ids: Option<Vec<String>>,
}

/// The public error: a code, an HTTP status, a detail for humans and the optional members.
/// Boxed, so that `Result<_, ApiError>` stays one pointer wide on the success path.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", .0.code.as_str(), .0.detail)]
pub struct ApiError(Box<ApiErrorParts>);

/// The members of an [`ApiError`]; reachable through `Deref`.
#[derive(Debug)]
pub struct ApiErrorParts {
    /// Which catalogue entry this is.
    pub code: ErrorCode,
    /// The HTTP status; usually `code.default_status()`.
    pub status: StatusCode,
    /// Human-readable detail; never contains secrets.
    pub detail: String,
    /// The input that was wrong.
    pub field: Option<String>,
    /// The provider account involved.
    pub provider: Option<String>,
    /// The upstream answer involved.
    pub upstream: Option<UpstreamProblem>,
    /// Seconds the caller should wait before retrying (`Retry-After`).
    pub retry_after: Option<u64>,
    /// Extra response headers (e.g. `Allow` on 405, `WWW-Authenticate` on 401).
    pub headers: HeaderMap,
    /// Overrides the code's default `retryable`.
    pub retryable: Option<bool>,
    /// Fields applied before a multi-step change failed.
    pub applied_fields: Option<Vec<String>>,
    /// Proxy users a create made before it failed (normalized ids).
    pub created_ids: Option<Vec<String>>,
}

impl ApiError {
    /// An error with the code's default status and no optional members.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError(Box::new(ApiErrorParts {
            code,
            status: code.default_status(),
            detail: detail.into(),
            field: None,
            provider: None,
            upstream: None,
            retry_after: None,
            headers: HeaderMap::new(),
            retryable: None,
            applied_fields: None,
            created_ids: None,
        }))
    }

    /// 400 `invalid_argument` naming the input that was wrong.
    pub fn invalid_argument(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidArgument, detail).with_field(field)
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, detail)
    }

    /// 401 `unauthenticated`, with the `WWW-Authenticate` challenge RFC 9110 asks for.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        let mut err = ApiError::new(ErrorCode::Unauthenticated, detail);
        err.headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"proxy-gateway\""),
        );
        err
    }

    /// 403 `permission_denied`.
    pub fn permission_denied(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::PermissionDenied, detail)
    }

    /// 500 `internal`; the detail stays generic, the cause goes to the log.
    pub fn internal() -> Self {
        ApiError::new(
            ErrorCode::Internal,
            "an unexpected error occurred; the request id identifies it in the gateway's log",
        )
    }

    /// Sets the field member.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Overrides the HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets `Retry-After` in seconds.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The body this error renders to, for the current request.
    pub fn to_problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:proxy-gateway:problem:{}", self.code.as_str()),
            title: self.code.title().to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            field: self.field.clone(),
            retryable: self.retryable.unwrap_or(self.code.retryable()),
            request_id: request_id::current().unwrap_or_default(),
            provider: self.provider.clone(),
            upstream: self.upstream.clone(),
            applied_fields: self.applied_fields.clone(),
            created_ids: self.created_ids.clone(),
        }
    }
}

/// What an error response was about, attached to its extensions for the layers around the
/// handler (audit, metrics) that must not parse bodies.
#[derive(Clone, Debug)]
pub struct ErrorSummary {
    /// The catalogue code.
    pub code: ErrorCode,
    /// The provider account involved.
    pub provider: Option<String>,
    /// What the upstream answered.
    pub upstream: Option<UpstreamProblem>,
    /// Proxy users a failed create made before it stopped (the audit log records them).
    pub created_ids: Option<Vec<String>>,
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl std::ops::Deref for ApiError {
    type Target = ApiErrorParts;

    fn deref(&self) -> &ApiErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorParts {
        &mut self.0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(code = self.code.as_str(), status = self.status.as_u16(), detail = %self.detail, "request failed");
        }
        let problem = self.to_problem();
        let body = match serde_json::to_vec(&problem) {
            Ok(body) => body,
            // Serializing a struct of strings cannot fail; keep a valid body regardless.
            Err(_) => br#"{"code":"internal","status":500}"#.to_vec(),
        };
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        response.extensions_mut().insert(ErrorSummary {
            code: self.code,
            provider: self.provider.clone(),
            upstream: self.upstream.clone(),
            created_ids: self.created_ids.clone(),
        });
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match err {
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "store unavailable");
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "the gateway's store is unavailable",
                )
                .with_retry_after(1)
            }
            StoreError::Conflict(detail) => ApiError::new(ErrorCode::Conflict, detail),
            StoreError::Other(cause) => {
                tracing::error!(error = %cause, "store error");
                ApiError::internal()
            }
        }
    }
}

impl ApiError {
    /// The one table that turns an adapter's failure into the public error, naming the
    /// provider account and what the upstream said. Documented in the OpenAPI description.
    ///
    /// | adapter failure | status | code |
    /// |---|---|---|
    /// | input breaks the provider's rules | 400 | `invalid_argument` (+`field`) |
    /// | operation not offered | 501 | `unsupported_by_provider` |
    /// | not found upstream | 404 | `not_found` |
    /// | conflict upstream | 409 | `conflict` |
    /// | upstream rejected the input | 400 with `field`, else 422 | `invalid_argument` |
    /// | gateway's provider credential refused (911 code 3, helodata 401) | 502 | `upstream_error` |
    /// | account not allowed (911 code 156, helodata `kyc_required`, scope) | 403 | `permission_denied` |
    /// | provider account out of funds | 402 | `insufficient_balance` |
    /// | provider rate limit, circuit open | 503 + `Retry-After` | `upstream_unavailable` |
    /// | 5xx, connection failure, unreadable answer | 502 | `upstream_error` |
    /// | no answer in time | 504 | `upstream_timeout` |
    pub fn from_provider(account: &str, err: ProviderError) -> ApiError {
        let mut api = match err {
            ProviderError::Unsupported { operation, detail } => ApiError::new(
                ErrorCode::UnsupportedByProvider,
                match detail {
                    Some(detail) => {
                        format!("account '{account}' does not support {operation}: {detail}")
                    }
                    None => format!("account '{account}' does not support {operation}"),
                },
            ),
            ProviderError::InvalidInput { field, message } => {
                ApiError::invalid_argument(field, message)
            }
            ProviderError::NotFound(what) => ApiError::not_found(what),
            ProviderError::Conflict { field, message } => {
                let err = ApiError::new(ErrorCode::Conflict, message);
                match field {
                    Some(field) => err.with_field(field),
                    None => err,
                }
            }
            ProviderError::PartiallyApplied {
                applied,
                failed,
                created,
                cause,
            } => {
                let mut err = ApiError::from_provider(account, *cause);
                err.applied_fields = Some(applied.iter().map(|f| f.to_string()).collect());
                if created.is_empty() {
                    err.detail = format!(
                        "{} was not applied ({}); applied before it: {}",
                        failed,
                        err.detail,
                        if applied.is_empty() {
                            "nothing".to_string()
                        } else {
                            applied.join(", ")
                        }
                    );
                } else {
                    let ids: Vec<String> =
                        created.iter().map(|id| format!("{account}:{id}")).collect();
                    let what = if failed == "users" {
                        "the remaining users were not created".to_string()
                    } else {
                        format!("{failed} was not applied")
                    };
                    err.detail = format!(
                        "{what} ({}); proxy users created before it: {} (their passwords are not shown again: rotate them, or send creates with an Idempotency-Key so that a retry returns them; send the remaining users in a new request)",
                        err.detail,
                        ids.join(", ")
                    );
                    err.created_ids = Some(ids);
                }
                if err.field.is_none() {
                    err.field = Some(failed.to_string());
                }
                return err;
            }
            ProviderError::Upstream(failure) => return ApiError::from_upstream(account, failure),
        };
        api.provider = Some(account.to_string());
        api
    }

    fn from_upstream(account: &str, failure: UpstreamFailure) -> ApiError {
        let said = failure
            .message
            .clone()
            .unwrap_or_else(|| "no message".to_string());
        let (code, status, detail, retryable) = match failure.kind {
            FailureKind::Rejected => (
                ErrorCode::InvalidArgument,
                if failure.field.is_some() {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                format!("the provider refused the request: {said}"),
                false,
            ),
            FailureKind::NotFound => (
                ErrorCode::NotFound,
                StatusCode::NOT_FOUND,
                format!("the provider has no such object: {said}"),
                false,
            ),
            FailureKind::Conflict => (
                ErrorCode::Conflict,
                StatusCode::CONFLICT,
                format!("the provider reports a conflict: {said}"),
                false,
            ),
            FailureKind::CredentialRejected => (
                ErrorCode::UpstreamError,
                StatusCode::BAD_GATEWAY,
                format!(
                    "the provider refused the gateway's credential for account '{account}'; an operator must fix the account's configuration"
                ),
                false,
            ),
            FailureKind::Forbidden => (
                ErrorCode::PermissionDenied,
                StatusCode::FORBIDDEN,
                format!("the provider does not allow this for account '{account}': {said}"),
                false,
            ),
            FailureKind::InsufficientBalance => (
                ErrorCode::InsufficientBalance,
                StatusCode::PAYMENT_REQUIRED,
                format!("the provider account '{account}' lacks the funds: {said}"),
                false,
            ),
            FailureKind::RateLimited => (
                ErrorCode::UpstreamUnavailable,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the provider is rate limiting account '{account}'"),
                true,
            ),
            FailureKind::CircuitOpen => (
                ErrorCode::UpstreamUnavailable,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("calls to account '{account}' are paused after repeated upstream failures"),
                true,
            ),
            FailureKind::ServerError => (
                ErrorCode::UpstreamError,
                StatusCode::BAD_GATEWAY,
                format!("the provider failed: {said}"),
                true,
            ),
            FailureKind::Unreachable => (
                ErrorCode::UpstreamError,
                StatusCode::BAD_GATEWAY,
                format!("the provider for account '{account}' could not be reached"),
                true,
            ),
            FailureKind::MalformedResponse => (
                ErrorCode::UpstreamError,
                StatusCode::BAD_GATEWAY,
                "the provider's answer could not be understood".to_string(),
                false,
            ),
            FailureKind::Timeout => (
                ErrorCode::UpstreamTimeout,
                StatusCode::GATEWAY_TIMEOUT,
                format!("the provider for account '{account}' did not answer in time"),
                true,
            ),
            FailureKind::Other => (
                ErrorCode::UpstreamError,
                StatusCode::BAD_GATEWAY,
                format!("the provider reported an error: {said}"),
                false,
            ),
        };
        let mut err = ApiError::new(code, detail).with_status(status);
        err.retryable = Some(retryable);
        err.field = failure.field.clone();
        err.provider = Some(account.to_string());
        err.retry_after = failure.retry_after.map(|d| d.as_secs().max(1));
        if matches!(
            failure.kind,
            FailureKind::RateLimited | FailureKind::CircuitOpen
        ) && err.retry_after.is_none()
        {
            err.retry_after = Some(1);
        }
        err.upstream = Some(UpstreamProblem {
            status: failure.status,
            code: failure.code,
            message: failure.message,
        });
        err
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
