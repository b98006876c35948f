//! `POST /v1/providers/{name}/passthrough`: the administrators' escape hatch, one upstream call
//! the normalized API does not cover. Scope `admin`; the provider's allow-list decides which
//! paths pass (never credential or security endpoints), the gateway adds the account's
//! credential, and the provider's status and body come back inside a 200 envelope with
//! secrets removed: the envelope keeps the gateway's own errors (problem+json, 4xx/5xx) apart
//! from the provider's answer, and a provider's 401 is never mistaken for the caller's.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::common::AccountName;
use super::problems::WriteErrors;
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::passthrough::{PassthroughBody, PassthroughMethod, PassthroughRequest};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::state::AppState;
use crate::services::passthrough as service;

/// The method of a passthrough call.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PassthroughMethodName {
    /// A read.
    Get,
    /// A write (needs an Idempotency-Key).
    Post,
    /// A write (needs an Idempotency-Key).
    Put,
    /// A write (needs an Idempotency-Key).
    Patch,
    /// A write (needs an Idempotency-Key).
    Delete,
}

impl From<PassthroughMethodName> for PassthroughMethod {
    fn from(m: PassthroughMethodName) -> Self {
        match m {
            PassthroughMethodName::Get => PassthroughMethod::Get,
            PassthroughMethodName::Post => PassthroughMethod::Post,
            PassthroughMethodName::Put => PassthroughMethod::Put,
            PassthroughMethodName::Patch => PassthroughMethod::Patch,
            PassthroughMethodName::Delete => PassthroughMethod::Delete,
        }
    }
}

/// One upstream call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "GET", "path": "/api-gate-way/order/list", "query": {"page_no": 1, "page_size": 20}}))]
pub struct PassthroughCall {
    /// The HTTP method; anything but GET is a write and needs an `Idempotency-Key`.
    pub method: PassthroughMethodName,
    /// The path under the account's API root, as the provider documents it (helodata:
    /// `/subusers`; 911Proxy: `/api-gate-way/order/list`). Only paths on the provider's
    /// allow-list pass; no query, escapes, `.` or `..` segments.
    #[schema(
        example = "/api-gate-way/order/list",
        max_length = 512,
        pattern = r"^(?:(?:/[A-Za-z0-9_~:@!$&'()*+,;=-][A-Za-z0-9._~:@!$&'()*+,;=-]*)+/?|/)$"
    )]
    pub path: String,
    /// Query parameters: text, numbers and booleans, or a list of them to repeat one.
    #[serde(default)]
    pub query: BTreeMap<String, QueryValue>,
    /// The JSON body of a write (a GET carries none).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub body: Option<Value>,
}

/// One query parameter's value, or a list of values to repeat the parameter.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum QueryValue {
    /// One value.
    One(QueryScalar),
    /// The parameter repeated, once per value.
    Many(Vec<QueryScalar>),
}

/// A query value as JSON states it; numbers and booleans are sent as their JSON text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum QueryScalar {
    /// Text, sent as it is.
    Text(String),
    /// A number (`1`, `2.5`).
    #[schema(value_type = f64)]
    Number(serde_json::Number),
    /// `true` or `false`.
    Flag(bool),
}

impl QueryScalar {
    fn text(&self) -> String {
        match self {
            QueryScalar::Text(text) => text.clone(),
            QueryScalar::Number(number) => number.to_string(),
            QueryScalar::Flag(flag) => flag.to_string(),
        }
    }
}

/// What the provider answered, with secrets (its credential, passwords, tokens) replaced by
/// `[redacted]`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": 200, "content_type": "application/json", "body": {"code": 200, "msg": "success", "data": {"list": [], "total": 0}}}))]
pub struct PassthroughResult {
    /// The provider's HTTP status.
    pub status: u16,
    /// The provider's `Content-Type`.
    pub content_type: Option<String>,
    /// The body, when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub body: Option<Value>,
    /// The body as text, when it is not JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Sends one call to the account's provider API, with the account's credential.
#[utoipa::path(post, path = "/providers/{name}/passthrough",
    extensions(("x-audit" = json!({"operation": "providers.passthrough", "resource": "provider_account", "account": "path_name"}))),
    tag = "providers", request_body = PassthroughCall,
    params(("name" = AccountName, Path, description = "The account's name", example = "911proxy")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The provider answered (any status: see `status`).", body = PassthroughResult),
        WriteErrors,
    ))]
pub async fn passthrough(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(name): Path<String>,
    ApiJson(call): ApiJson<PassthroughCall>,
) -> Result<Json<PassthroughResult>, ApiError> {
    let principal = caller.require(Scope::Admin)?;
    let request = PassthroughRequest {
        method: call.method.into(),
        path: call.path,
        query: query_pairs(call.query),
        body: call.body,
    };
    let answer = service::call(&state.providers, principal, &name, &request, &ctx).await?;
    let (body, text) = match answer.body {
        Some(PassthroughBody::Json(json)) => (Some(json), None),
        Some(PassthroughBody::Text(text)) => (None, Some(text)),
        None => (None, None),
    };
    Ok(Json(PassthroughResult {
        status: answer.status,
        content_type: answer.content_type,
        body,
        text,
    }))
}

/// The query object as name/value pairs, a list repeating its name.
fn query_pairs(query: BTreeMap<String, QueryValue>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (name, value) in query {
        match value {
            QueryValue::One(one) => pairs.push((name, one.text())),
            QueryValue::Many(many) => {
                pairs.extend(many.iter().map(|v| (name.clone(), v.text())));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn the_schema_publishes_the_pattern_the_check_applies() {
        let schema = serde_json::to_value(PassthroughCall::schema()).unwrap();
        assert_eq!(
            schema["properties"]["path"]["pattern"],
            crate::domain::passthrough::PATH_PATTERN
        );
    }
}
