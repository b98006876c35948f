//! The calls to 911's api-gate-way: where the app_key goes, how an answer is read, and how every
//! failure is classified into an [`UpstreamFailure`] (in one place, [`classify`] and
//! [`from_transport`], unit-tested below).
//!
//! The app_key travels as the `app_key` query parameter on every call, GET and POST alike: the
//! document's Authentication section allows it ("POST /api/example?app_key=…") and public
//! clients do it (notes "Authentication"). It is never put in a body and never logged; a
//! provider message that echoes it (or a password just sent) has it replaced by `[redacted]`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fields;
use super::wire::{Endpoint, Envelope, SuccessCode};
use crate::providers::{FailureKind, UpstreamFailure};
use crate::upstream::{
    RetryMode, TransportError, UpstreamClient, UpstreamRequest, UpstreamResponse,
};

/// What replaces a secret found in a provider message.
const REDACTED: &str = "[redacted]";

/// One account's connection to 911: the shared upstream client and the app_key.
pub struct Nine11Client {
    upstream: Arc<UpstreamClient>,
    app_key: SecretString,
}

impl Nine11Client {
    /// A client that authenticates with `app_key`.
    pub fn new(upstream: Arc<UpstreamClient>, app_key: SecretString) -> Self {
        Nine11Client { upstream, app_key }
    }

    /// A read: retried by the upstream client on 5xx, 429 and transport failures. Answers the
    /// envelope's `data` (`null` when absent).
    pub async fn get(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
    ) -> Result<Value, UpstreamFailure> {
        let mut request = UpstreamRequest::get(endpoint.path).retry(RetryMode::Safe);
        for (name, value) in query {
            request = request.query(name, value.clone());
        }
        self.send(endpoint, request, &[]).await
    }

    /// A read whose `data` is kept as the text 911 sent (checked to be JSON, not decoded):
    /// for the whole proxy-user list, whose unchanged rows need no decoding at all.
    pub async fn get_raw(
        &self,
        endpoint: Endpoint,
    ) -> Result<Box<serde_json::value::RawValue>, UpstreamFailure> {
        let request = UpstreamRequest::get(endpoint.path)
            .retry(RetryMode::Safe)
            .query("app_key", self.app_key.expose_secret());
        let outcome = match self.upstream.send(&request).await {
            Ok(response) => classify_raw(
                endpoint.success,
                response.status.as_u16(),
                response.retry_after(),
                &response.body,
            ),
            Err(err) => Err(from_transport(err)),
        };
        outcome.map_err(|failure| redact(failure, &[self.app_key.expose_secret()]))
    }

    /// A read that may answer plain text (`ip/v3?format=text`): a 2xx body that is not a JSON
    /// object comes back as text; a JSON envelope is read by [`classify`] as always.
    pub async fn get_text_or_data(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
    ) -> Result<Result<String, Value>, UpstreamFailure> {
        let mut request = UpstreamRequest::get(endpoint.path).retry(RetryMode::Safe);
        for (name, value) in query {
            request = request.query(name, value.clone());
        }
        let request = request.query("app_key", self.app_key.expose_secret());
        let outcome = match self.upstream.send(&request).await {
            Ok(response) => {
                let status = response.status.as_u16();
                let json =
                    serde_json::from_slice::<Value>(&response.body).is_ok_and(|v| v.is_object());
                if (200..=299).contains(&status) && !json {
                    Ok(Ok(String::from_utf8_lossy(&response.body).into_owned()))
                } else {
                    classify(
                        endpoint.success,
                        status,
                        response.retry_after(),
                        &response.body,
                    )
                    .map(Err)
                }
            }
            Err(err) => Err(from_transport(err)),
        };
        outcome.map_err(|failure| redact(failure, &[self.app_key.expose_secret()]))
    }

    /// A read whose `data` is decoded as `T`; the raw `data` comes back too.
    pub async fn get_as<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
    ) -> Result<(T, Value), UpstreamFailure> {
        let data = self.get(endpoint, query).await?;
        Ok((decode(endpoint, &data)?, data))
    }

    /// A write: sent once, never retried (911 has no idempotency, so a repeat could apply
    /// twice). `secrets` are values in the body to scrub from any message that echoes them.
    pub async fn post(
        &self,
        endpoint: Endpoint,
        body: &impl Serialize,
        secrets: &[&str],
    ) -> Result<Value, UpstreamFailure> {
        let json = serde_json::to_value(body).map_err(|e| {
            UpstreamFailure::new(FailureKind::Other).message(format!("cannot encode the body: {e}"))
        })?;
        let request =
            UpstreamRequest::write(Method::POST, endpoint.path, Some(json)).retry(RetryMode::Never);
        self.send(endpoint, request, secrets).await
    }

    /// Any call with the app_key added to its query, answered whatever its status (for
    /// passthrough): only a call that got no answer is a failure. The answer may echo the
    /// app_key: the caller redacts it.
    pub async fn raw(&self, request: UpstreamRequest) -> Result<UpstreamResponse, UpstreamFailure> {
        let request = request.query("app_key", self.app_key.expose_secret());
        self.upstream
            .send(&request)
            .await
            .map_err(|err| redact(from_transport(err), &[self.app_key.expose_secret()]))
    }

    /// The app_key, for passthrough to scrub from what 911 answers.
    pub fn credential(&self) -> &str {
        self.app_key.expose_secret()
    }

    async fn send(
        &self,
        endpoint: Endpoint,
        request: UpstreamRequest,
        secrets: &[&str],
    ) -> Result<Value, UpstreamFailure> {
        let request = request.query("app_key", self.app_key.expose_secret());
        let outcome = match self.upstream.send(&request).await {
            Ok(response) => classify(
                endpoint.success,
                response.status.as_u16(),
                response.retry_after(),
                &response.body,
            ),
            Err(err) => Err(from_transport(err)),
        };
        outcome.map_err(|failure| {
            let mut all = secrets.to_vec();
            all.push(self.app_key.expose_secret());
            redact(failure, &all)
        })
    }
}

/// `data` decoded as `T`; a shape other than documented is a malformed answer.
pub fn decode<T: DeserializeOwned>(endpoint: Endpoint, data: &Value) -> Result<T, UpstreamFailure> {
    serde_json::from_value(data.clone()).map_err(|e| {
        UpstreamFailure::new(FailureKind::MalformedResponse)
            .status(200)
            .message(format!(
                "{} answered data that is not as documented: {e}",
                endpoint.path
            ))
    })
}

fn redact(mut failure: UpstreamFailure, secrets: &[&str]) -> UpstreamFailure {
    if let Some(message) = failure.message.as_mut() {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            if message.contains(secret) {
                *message = message.replace(secret, REDACTED);
            }
        }
    }
    failure
}

/// The envelope's `code` as an integer; the examples always send a number, a numeric string is
/// read too.
fn code_of(envelope: &Envelope) -> Option<i64> {
    integer_code(envelope.code.as_ref()?)
}

fn integer_code(code: &Value) -> Option<i64> {
    match code {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `message`, falling back to `msg` (the intro says `message`, the endpoint examples `msg`).
fn message_of(envelope: &Envelope) -> Option<String> {
    envelope
        .message
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| envelope.msg.clone().filter(|m| !m.is_empty()))
}

/// The first entry of an `errors` object: `(field, first message)`.
fn first_error(errors: &Value) -> Option<(String, Option<String>)> {
    let (field, messages) = errors.as_object()?.iter().next()?;
    let text = match messages {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|m| m.as_str().map(str::to_string)),
        _ => None,
    };
    Some((field.clone(), text))
}

/// Reads one HTTP answer of an endpoint whose success code is `success`: the envelope's `data`,
/// or the failure. HTTP 200 alone never means success: the `code` must be the endpoint's.
///
/// HTTP 429 → `RateLimited` (with `Retry-After`); HTTP 5xx → `ServerError`; not a JSON
/// envelope with an integer `code` → `MalformedResponse` (HTTP 401 → `CredentialRejected`,
/// another non-2xx → `Other`); code 3 → `CredentialRejected` (the gateway's own key, a 502 to
/// the caller, never a 401); 156 → `Forbidden` (not real-name verified); 400 → `Rejected`
/// with the `errors` field mapped to the gateway's name; any other code → `Other`.
pub fn classify(
    success: SuccessCode,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Value, UpstreamFailure> {
    let envelope = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .and_then(|v| serde_json::from_value::<Envelope>(v).ok());
    let code = envelope.as_ref().and_then(code_of);
    let message = envelope.as_ref().and_then(message_of);
    let failure = |kind: FailureKind| {
        let mut f = UpstreamFailure::new(kind).status(status);
        f.code = code.map(|c| c.to_string());
        f.message = message.clone();
        f
    };
    if status == 429 {
        let mut f = failure(FailureKind::RateLimited);
        f.retry_after = retry_after;
        return Err(f);
    }
    if (500..=599).contains(&status) {
        return Err(failure(FailureKind::ServerError));
    }
    let (Some(envelope), Some(code)) = (envelope.as_ref(), code) else {
        let kind = match status {
            200..=299 => FailureKind::MalformedResponse,
            // An HTTP 401 has been seen with code 3 (notes "Envelope and success codes").
            401 => FailureKind::CredentialRejected,
            _ => FailureKind::Other,
        };
        let mut f = failure(kind);
        if f.message.is_none() {
            f.message = Some(if envelope.is_some() {
                "the answer has no integer `code`".to_string()
            } else {
                "the answer is not a JSON envelope".to_string()
            });
        }
        return Err(f);
    };
    if code == success.value() && (200..=299).contains(&status) {
        return Ok(envelope.data.clone().unwrap_or(Value::Null));
    }
    Err(match code {
        3 => failure(FailureKind::CredentialRejected),
        156 => failure(FailureKind::Forbidden),
        400 => {
            let mut f = failure(FailureKind::Rejected);
            if let Some((field, detail)) = envelope.errors.as_ref().and_then(first_error) {
                f.field = fields::gateway_field(&field).map(str::to_string);
                if let Some(detail) = detail {
                    f.message = Some(match f.message.take() {
                        Some(m) => format!("{m}: {detail}"),
                        None => detail,
                    });
                }
            }
            f
        }
        _ if status == 401 => failure(FailureKind::CredentialRejected),
        _ => failure(FailureKind::Other),
    })
}

/// [`classify`] for [`Nine11Client::get_raw`]: a success is recognized from the envelope's
/// `code` alone and its `data` kept as text; anything else is classified by [`classify`]
/// itself, so the one table decides every failure.
pub fn classify_raw(
    success: SuccessCode,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Box<serde_json::value::RawValue>, UpstreamFailure> {
    #[derive(serde::Deserialize)]
    struct RawEnvelope<'a> {
        code: Option<Value>,
        #[serde(borrow, default)]
        data: Option<&'a serde_json::value::RawValue>,
    }
    if (200..=299).contains(&status)
        && let Ok(envelope) = serde_json::from_slice::<RawEnvelope<'_>>(body)
        && envelope.code.as_ref().and_then(integer_code) == Some(success.value())
    {
        return Ok(envelope
            .data
            .unwrap_or(serde_json::value::RawValue::NULL)
            .to_owned());
    }
    let data = classify(success, status, retry_after, body)?;
    serde_json::value::to_raw_value(&data).map_err(|e| {
        UpstreamFailure::new(FailureKind::MalformedResponse)
            .status(status)
            .message(format!("cannot keep the answer: {e}"))
    })
}

/// A call without a readable answer.
pub fn from_transport(err: TransportError) -> UpstreamFailure {
    match err {
        TransportError::Timeout { sent } => {
            UpstreamFailure::new(FailureKind::Timeout).message(if sent {
                "911Proxy did not answer in time; the request may have reached it"
            } else {
                "911Proxy did not answer in time"
            })
        }
        TransportError::Connection { detail, .. } => {
            UpstreamFailure::new(FailureKind::Unreachable).message(detail)
        }
        TransportError::CircuitOpen { retry_after } => {
            let mut f = UpstreamFailure::new(FailureKind::CircuitOpen)
                .message("too many recent failures calling 911Proxy; calls are paused");
            f.retry_after = Some(retry_after);
            f
        }
        TransportError::RetryAfterTooLong {
            retry_after,
            response,
        } => {
            let envelope = serde_json::from_slice::<Envelope>(&response.body).ok();
            let mut f =
                UpstreamFailure::new(FailureKind::RateLimited).status(response.status.as_u16());
            f.code = envelope.as_ref().and_then(code_of).map(|c| c.to_string());
            f.message = envelope.as_ref().and_then(message_of);
            f.retry_after = Some(retry_after);
            f
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::upstream::UpstreamResponse;

    const LEGACY: SuccessCode = SuccessCode::Legacy;
    const MODERN: SuccessCode = SuccessCode::Modern;

    fn fail(success: SuccessCode, status: u16, body: &str) -> UpstreamFailure {
        classify(success, status, None, body.as_bytes()).unwrap_err()
    }

    #[test]
    fn success_is_code_200_on_legacy_and_0_on_modern_endpoints() {
        let ok = r#"{"code":200,"msg":"成功","data":{"list":[]}}"#;
        assert_eq!(
            classify(LEGACY, 200, None, ok.as_bytes()).unwrap(),
            json!({"list": []})
        );
        assert_eq!(fail(MODERN, 200, ok).kind, FailureKind::Other);
        let modern = r#"{"code":0,"message":"Operation successful","data":{"id":1}}"#;
        assert_eq!(
            classify(MODERN, 200, None, modern.as_bytes()).unwrap(),
            json!({"id": 1})
        );
        assert_eq!(fail(LEGACY, 200, modern).kind, FailureKind::Other);
        assert_eq!(
            classify(
                LEGACY,
                200,
                None,
                br#"{"code":"200","msg":"ok","data":null}"#
            )
            .unwrap(),
            Value::Null
        );
    }

    #[test]
    fn the_error_classification_table() {
        let table: &[(u16, &str, FailureKind, Option<&str>)] = &[
            (
                200,
                r#"{"code":3,"msg":"您的登录已过期"}"#,
                FailureKind::CredentialRejected,
                Some("3"),
            ),
            (
                401,
                r#"{"code":3,"msg":"x"}"#,
                FailureKind::CredentialRejected,
                Some("3"),
            ),
            (401, "Unauthorized", FailureKind::CredentialRejected, None),
            (
                200,
                r#"{"code":156,"msg":"账号未实名认证"}"#,
                FailureKind::Forbidden,
                Some("156"),
            ),
            (
                200,
                r#"{"code":400,"message":"参数错误","errors":{}}"#,
                FailureKind::Rejected,
                Some("400"),
            ),
            (
                200,
                r#"{"code":500,"msg":"服务器错误"}"#,
                FailureKind::Other,
                Some("500"),
            ),
            (
                200,
                r#"{"code":1,"msg":"操作失败"}"#,
                FailureKind::Other,
                Some("1"),
            ),
            (
                429,
                r#"{"code":429,"msg":"请求过于频繁"}"#,
                FailureKind::RateLimited,
                Some("429"),
            ),
            (429, "slow down", FailureKind::RateLimited, None),
            (500, "oops", FailureKind::ServerError, None),
            (
                502,
                r#"{"code":200,"msg":"ok"}"#,
                FailureKind::ServerError,
                Some("200"),
            ),
            (503, "", FailureKind::ServerError, None),
            (
                200,
                r#"{"code":200,"msg":"success","data":{"list":[{"id":1,"acc"#,
                FailureKind::MalformedResponse,
                None,
            ),
            (
                200,
                "<html>gateway</html>",
                FailureKind::MalformedResponse,
                None,
            ),
            (200, r#"["code",200]"#, FailureKind::MalformedResponse, None),
            (
                200,
                r#"{"msg":"no code"}"#,
                FailureKind::MalformedResponse,
                None,
            ),
            (
                200,
                r#"{"code":"abc"}"#,
                FailureKind::MalformedResponse,
                None,
            ),
            (404, "not found", FailureKind::Other, None),
        ];
        for (status, body, kind, code) in table {
            let f = fail(LEGACY, *status, body);
            assert_eq!(f.kind, *kind, "HTTP {status} {body}");
            assert_eq!(f.code.as_deref(), *code, "HTTP {status} {body}");
            assert_eq!(f.status, Some(*status), "HTTP {status} {body}");
        }
    }

    #[test]
    fn chinese_messages_are_kept_and_message_wins_over_msg() {
        let f = fail(LEGACY, 200, r#"{"code":156,"msg":"账号未实名认证"}"#);
        assert_eq!(f.message.as_deref(), Some("账号未实名认证"));
        let f = fail(MODERN, 200, r#"{"code":3,"message":"M","msg":"m"}"#);
        assert_eq!(f.message.as_deref(), Some("M"));
        let f = fail(MODERN, 200, r#"{"code":3,"message":"","msg":"m"}"#);
        assert_eq!(f.message.as_deref(), Some("m"));
    }

    #[test]
    fn a_parameter_error_names_the_gateway_field_and_keeps_the_detail() {
        let cases = [
            ("accounts", Some("username")),
            ("account", Some("username")),
            ("password", Some("password")),
            ("remark", Some("label")),
            ("limit", Some("traffic_limit_bytes")),
            ("product_type", Some("products")),
            ("start_time", None),
        ];
        for (upstream, gateway) in cases {
            let body = json!({"code": 400, "msg": "参数错误", "errors": {upstream: ["bad value"]}});
            let f = fail(LEGACY, 200, &body.to_string());
            assert_eq!(f.kind, FailureKind::Rejected);
            assert_eq!(f.field.as_deref(), gateway, "{upstream}");
            assert_eq!(f.message.as_deref(), Some("参数错误: bad value"));
        }
    }

    #[test]
    fn a_429_carries_its_retry_after() {
        let f = classify(LEGACY, 429, Some(Duration::from_secs(7)), b"{}").unwrap_err();
        assert_eq!(f.kind, FailureKind::RateLimited);
        assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn transport_errors_are_classified() {
        let t = from_transport(TransportError::Timeout { sent: true });
        assert_eq!(t.kind, FailureKind::Timeout);
        let c = from_transport(TransportError::Connection {
            sent: false,
            detail: "refused".into(),
        });
        assert_eq!(
            (c.kind, c.message.as_deref()),
            (FailureKind::Unreachable, Some("refused"))
        );
        let o = from_transport(TransportError::CircuitOpen {
            retry_after: Duration::from_secs(4),
        });
        assert_eq!(
            (o.kind, o.retry_after),
            (FailureKind::CircuitOpen, Some(Duration::from_secs(4)))
        );
        let r = from_transport(TransportError::RetryAfterTooLong {
            retry_after: Duration::from_secs(120),
            response: Box::new(UpstreamResponse {
                status: StatusCode::TOO_MANY_REQUESTS,
                headers: HeaderMap::new(),
                body: Bytes::from(r#"{"code":429,"msg":"请求过于频繁"}"#.as_bytes().to_vec()),
                attempts: 1,
            }),
        });
        assert_eq!(r.kind, FailureKind::RateLimited);
        assert_eq!(r.retry_after, Some(Duration::from_secs(120)));
        assert_eq!(r.status, Some(429));
        assert_eq!(r.code.as_deref(), Some("429"));
    }

    #[test]
    fn data_of_an_unexpected_shape_is_a_malformed_response() {
        let f = decode::<super::super::wire::Summary>(
            super::super::wire::PRODUCT_SUMMARY,
            &json!({"total": "lots"}),
        )
        .unwrap_err();
        assert_eq!(f.kind, FailureKind::MalformedResponse);
        assert!(f.message.unwrap().contains("user-product/summary"));
    }

    #[test]
    fn secrets_echoed_in_a_message_are_redacted() {
        let f = UpstreamFailure::new(FailureKind::Other).message("key sim911key and pw Abc123 bad");
        let f = redact(f, &["sim911key", "Abc123", ""]);
        assert_eq!(
            f.message.as_deref(),
            Some("key [redacted] and pw [redacted] bad")
        );
    }
}
