//! Injected errors rendered the way each provider renders its own: 911Proxy's `{code, msg, data}`
//! envelope (HTTP 200 unless told otherwise) and helodata's `{code, message, request_id, field}`
//! with an HTTP status per code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::SimProvider;

/// 911 codes the notes name, with their messages (Chinese by default, English on `language=en`,
/// 911proxy-notes.md "Envelope and success codes"); any other code gets a generic message.
pub fn nine11_message(code: i64, english: bool) -> &'static str {
    match (code, english) {
        (3, false) => "您的登录已过期，请重新登录",
        (3, true) => "Your session has expired, please log in again",
        (156, false) => "账号未实名认证",
        (156, true) => "Account is not real-name verified",
        (400, false) => "参数错误",
        (400, true) => "Parameter error",
        (429, false) => "请求过于频繁，请稍后再试",
        (429, true) => "Too many requests, please try again later",
        (_, false) => "操作失败",
        (_, true) => "Operation failed",
    }
}

/// The HTTP status helodata answers `code` with (reference §6). `insufficient_balance` has no
/// documented status: 402 is the reference's own guess. Codes not listed answer 400.
pub fn helodata_status(code: &str) -> u16 {
    match code {
        "rate_limited" => 429,
        "insufficient_balance" => 402,
        "unauthorized" => 401,
        "forbidden" | "kyc-required" | "kyc_required" | "account-suspended"
        | "account_suspended" => 403,
        "not_found" => 404,
        "conflict" => 409,
        "internal_error" => 500,
        _ => 400,
    }
}

fn helodata_message(code: &str) -> &'static str {
    match code {
        "rate_limited" => "API rate limit exceeded",
        "insufficient_balance" => "Insufficient balance and auto top-up could not charge",
        "unauthorized" => "Invalid or revoked API token",
        "forbidden" => "The API token lacks the scope this request needs",
        "kyc-required" | "kyc_required" => "KYC verification is required",
        "account-suspended" | "account_suspended" => "Account suspended",
        "not_found" => "Resource not found",
        "conflict" => "Conflict with the current state of the resource",
        "internal_error" => "Internal error",
        _ => "Request failed",
    }
}

/// A helodata error body. `field` is left out when absent, as in the one full example the
/// reference has (the 429 body, §1 "Request conventions").
pub fn helodata_body(code: &str, message: Option<&str>, field: Option<&str>) -> Value {
    let mut body = json!({
        "code": code,
        "message": message.unwrap_or_else(|| helodata_message(code)),
        "request_id": format!("req_{}", ulid::Ulid::generate()),
    });
    if let (Some(field), Some(obj)) = (field, body.as_object_mut()) {
        obj.insert("field".into(), Value::String(field.into()));
    }
    body
}

/// A 911 envelope for error `code`; code 400 carries the `errors` object of the schema.
pub fn nine11_body(code: i64, message: Option<&str>, english: bool) -> Value {
    let mut body = json!({
        "code": code,
        "msg": message.unwrap_or_else(|| nine11_message(code, english)),
        "data": null,
    });
    if let (400, Some(obj)) = (code, body.as_object_mut()) {
        obj.insert("errors".into(), json!({}));
    }
    body
}

/// The injected provider error: `code` is an integer for 911 and a string for helodata (checked
/// when the rule was added); `status` is already resolved.
pub fn provider_error(
    provider: SimProvider,
    code: &Value,
    status: u16,
    message: Option<&str>,
    field: Option<&str>,
    english: bool,
) -> Response {
    let body = match provider {
        SimProvider::Nine11 => nine11_body(code.as_i64().unwrap_or(0), message, english),
        SimProvider::Helodata => helodata_body(code.as_str().unwrap_or(""), message, field),
    };
    json_response(status, &body)
}

/// A 429 with `Retry-After`. helodata: its `rate_limited` error and `X-RateLimit-*` headers (§4).
/// 911 documents no rate limit: the simulator answers HTTP 429 with its usual envelope and code
/// 429, so a gateway sees both the status and an envelope it can parse.
pub fn rate_limit(provider: SimProvider, retry_after: u64, english: bool) -> Response {
    let mut response = match provider {
        SimProvider::Helodata => json_response(429, &helodata_body("rate_limited", None, None)),
        SimProvider::Nine11 => json_response(429, &nine11_body(429, None, english)),
    };
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    if provider == SimProvider::Helodata {
        let reset = time::OffsetDateTime::now_utc()
            .unix_timestamp()
            .saturating_add(i64::try_from(retry_after).unwrap_or(i64::MAX));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
        headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
    }
    response
}

/// A body that starts like the provider's JSON and stops in the middle.
pub fn truncated_json(provider: SimProvider) -> &'static str {
    match provider {
        SimProvider::Nine11 => r#"{"code":200,"msg":"success","data":{"list":[{"id":1,"acc"#,
        SimProvider::Helodata => r#"{"data":[{"id":"sub_01HX2K3PQ4M5","name":"s1a2"#,
    }
}

/// `body` as JSON with `status`; a status out of range falls back to 500 (rules are validated).
pub fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helodata_field_is_present_only_when_given() {
        let without = helodata_body("insufficient_balance", None, None);
        assert_eq!(without.get("field"), None);
        let with = helodata_body("invalid", Some("bad"), Some("label"));
        assert_eq!(with["field"], "label");
        assert_eq!(with["message"], "bad");
        assert!(
            with["request_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("req_"))
        );
    }

    #[test]
    fn nine11_code_400_carries_an_errors_object() {
        assert_eq!(nine11_body(400, None, true)["errors"], json!({}));
        assert_eq!(nine11_body(3, None, true).get("errors"), None);
    }
}
