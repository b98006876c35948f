//! The RFC 9457 problem details body of every error response, as the OpenAPI document shows it.

use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorCode;

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
