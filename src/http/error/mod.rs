//! The one public error type. Every failure a caller can see is an [`ApiError`], rendered as
//! RFC 9457 problem details (`application/problem+json`) in exactly one place: its
//! `IntoResponse` impl. The errors of the layers below convert into it here and nowhere else:
//! services ([`from_service`]), the store ([`from_store`]) and adapters ([`from_provider`],
//! the one table of provider failures).

mod catalogue;
mod from_provider;
mod from_service;
mod from_store;
mod problem;

pub use catalogue::ErrorCode;
pub use problem::{Problem, UpstreamProblem};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::request_id;

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

    /// Overrides whether sending the same request again may succeed.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = Some(retryable);
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
