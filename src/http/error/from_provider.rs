//! The one table that turns an adapter's failure into the public error.

use axum::http::StatusCode;

use super::{ApiError, ErrorCode, UpstreamProblem};
use crate::providers::{FailureKind, ProviderError, UpstreamFailure};

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
            ProviderError::OutcomeUnresolved { checked } => ApiError::new(
                ErrorCode::OutcomeUnknown,
                format!(
                    "the earlier attempt with this Idempotency-Key may have been applied, and what the provider holds does not tell: {checked}; nothing was sent again. Check with the provider before placing it with a new key"
                ),
            )
            .with_status(StatusCode::CONFLICT)
            .with_retryable(false),
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
