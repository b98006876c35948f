//! Extractors that reject bad input with a 4xx problem naming the wrong field, instead of
//! axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::http::error::{ApiError, ErrorCode};

/// A JSON request body. Malformed JSON, wrong types and missing fields answer
/// 400 `invalid_argument` with `field` set to the JSON path; a body over the limit 413.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the request body must be JSON with Content-Type: application/json",
            )
            .with_field("Content-Type"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the gateway accepts",
        )
    } else {
        ApiError::invalid_argument("body", "the request body could not be read")
    }
}

/// Parses JSON and reports the path of the first wrong field. The text is read as JSON first
/// and only then as `T`, because serde_json reports a wrong type for an enum (`"status": 5`) as
/// a syntax error without a path; this way only text that is not JSON is "not valid JSON".
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
        ApiError::invalid_argument(
            "body",
            format!(
                "the body is not valid JSON (line {}, column {})",
                err.line(),
                err.column()
            ),
        )
    })?;
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = strip_position(&err.inner().to_string());
        ApiError::invalid_argument(field_of(&path, &message), message)
    })
}

/// An optional JSON body: no body (or an empty one) is `None`; a body must be valid JSON of `T`.
#[derive(Debug, Clone)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        parse_json(&bytes).map(|value| OptionalJson(Some(value)))
    }
}

/// Query parameters, with the same field-naming rejections as [`ApiJson`].
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        // serde_html_form reads repeated keys (`account=a&account=b`) into a Vec.
        let deserializer = serde_html_form::Deserializer::from_bytes(query.as_bytes());
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|err| {
                let message = err.inner().to_string();
                ApiError::invalid_argument(field_of(&err.path().to_string(), &message), message)
            })
    }
}

/// The field a deserialization error is about: its path; for a missing field (whose path is
/// the parent object) the path joined with the name taken from serde's message.
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.split(prefix).nth(1))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_string(),
        (parent, Some(name)) if message.starts_with("missing field") => format!("{parent}.{name}"),
        (".", None) => "body".to_string(),
        (path, _) => path.to_string(),
    }
}

/// serde_json appends " at line L column C"; the field already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        scopes: Vec<String>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        limit: u32,
    }

    fn field(json: &str) -> Option<String> {
        parse_json::<Body>(json.as_bytes())
            .unwrap_err()
            .field
            .clone()
    }

    #[test]
    fn wrong_fields_are_named_by_their_path() {
        assert_eq!(field(r#"{"scopes":[]}"#).as_deref(), Some("name"));
        assert_eq!(field(r#"{"name":1,"scopes":[]}"#).as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"name":"a","scopes":[1]}"#).as_deref(),
            Some("scopes[0]")
        );
        assert_eq!(
            field(r#"{"name":"a","scopes":[],"inner":{"limit":-1}}"#).as_deref(),
            Some("inner.limit")
        );
        assert_eq!(
            field(r#"{"name":"a","scopes":[],"inner":{}}"#).as_deref(),
            Some("inner.limit")
        );
        assert_eq!(
            field(r#"{"name":"a","scopes":[],"extra":1}"#).as_deref(),
            Some("extra")
        );
    }

    #[test]
    fn malformed_json_names_the_body() {
        for text in [&b"{\"name\": "[..], b"{\"name\": \"a\", \"scopes\": []} x"] {
            let err = parse_json::<Body>(text).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("body"));
            assert!(err.detail.contains("not valid JSON"), "{}", err.detail);
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct WithEnum {
        status: Option<Status>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Enabled,
    }

    #[test]
    fn a_wrong_type_for_an_enum_names_the_field() {
        for text in [r#"{"status": 5}"#, r#"{"status": "paused"}"#] {
            let err = parse_json::<WithEnum>(text.as_bytes()).unwrap_err();
            assert_eq!(
                err.field.as_deref(),
                Some("status"),
                "{text}: {}",
                err.detail
            );
        }
    }
}
