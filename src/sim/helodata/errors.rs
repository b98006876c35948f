//! helodata's error body `{code, message, request_id, field}` (overview "约定" section) and the
//! codes this simulator answers with.
//!
//! Only `invalid_argument` (overview example) and `rate_limited` (RL) are documented with their
//! status, and `insufficient_balance` without one (§6.1). The others follow the gRPC-canonical
//! style of `invalid_argument`: a choice, listed in the module docs of [`super`].

use axum::http::StatusCode;
use serde_json::{Value, json};

/// An error a handler answers with; rendered with the request id by [`super::reply`].
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Extra headers (e.g. `Retry-After` on 429).
    pub headers: Vec<(&'static str, String)>,
}

/// What every handler returns on failure.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            headers: Vec::new(),
        }
    }

    /// 400 `invalid_argument` naming the offending input (overview example).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message);
        e.field = Some(field.to_string());
        e
    }

    /// 400 `invalid_argument` about the request as a whole (e.g. a body that is not JSON).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
    }

    /// 401 `unauthenticated`: missing, unknown, revoked or expired token (AUTH: 401).
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 403 `permission_denied`: the token lacks the scope the endpoint needs.
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", message)
    }

    /// 403 `kyc_required`: mobile and ISP need an approved KYC (B-KYC). The gateway spells this
    /// code `kyc-required` in a header (§6.2); REST codes are snake_case (§6.1), so: `kyc_required`.
    pub fn kyc_required(product: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "kyc_required",
            format!("{product} requires an approved KYC verification"),
        )
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} {id} not found"),
        )
    }

    /// 402 `insufficient_balance` (code: D-ATU/B-ATU; status 402 inferred, §6.1).
    pub fn insufficient_balance(needed: f64, balance: f64) -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_balance",
            format!("this costs {needed:.2} USD but the balance is {balance:.2} USD"),
        )
    }

    /// 409 `failed_precondition`: the resource's state forbids the operation.
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "failed_precondition", message)
    }

    /// 409 `already_exists`.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "already_exists", message)
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    /// The code for a status this simulator did not produce itself (axum's 404/405/413/…).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            404 => ("not_found", "no such endpoint"),
            405 => ("method_not_allowed", "method not allowed on this endpoint"),
            413 => ("payload_too_large", "request body too large"),
            415 => ("invalid_argument", "unsupported content type"),
            400..=499 => ("invalid_argument", "malformed request"),
            _ => ("internal", "internal error"),
        };
        Self::new(status, code, message)
    }

    /// The JSON body. `field` appears only on errors about one input: the overview's example has
    /// it, RL's 429 example does not (§1 "Error body").
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = json!({
            "code": self.code,
            "message": self.message,
            "request_id": request_id,
        });
        if let (Some(field), Some(obj)) = (&self.field, body.as_object_mut()) {
            obj.insert("field".into(), Value::String(field.clone()));
        }
        body
    }
}
