//! The calls to helodata v1 through the shared [`UpstreamClient`]: the bearer token on every
//! call, `Idempotency-Key` on writes (which makes them safe to retry, overview "幂等性"), and
//! the one place where an answer or a transport failure becomes an [`UpstreamFailure`].

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::map;
use super::wire;
use crate::domain::download::ByteStream;
use crate::providers::{FailureKind, UpstreamFailure};
use crate::upstream::streaming::Streamed;
use crate::upstream::{
    RetryMode, TransportError, UpstreamClient, UpstreamRequest, UpstreamResponse,
};

/// The gateway-side request id header of helodata (§7.3); the simulator sends it on API
/// answers too.
const REQUEST_ID_HEADER: &str = "x-helodata-request-id";

/// A helodata account's caller: base URL, policy and breaker come with the [`UpstreamClient`].
pub struct Client {
    http: Arc<UpstreamClient>,
    credential: SecretString,
}

/// A successful answer's JSON (`None` for an empty body, e.g. `204`) and headers.
pub struct Answer {
    pub json: Option<Value>,
    pub headers: HeaderMap,
}

impl Client {
    /// A client sending `credential` as its bearer token.
    pub fn new(http: Arc<UpstreamClient>, credential: SecretString) -> Self {
        Client { http, credential }
    }

    /// `GET path?query`, retried per policy.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Answer, UpstreamFailure> {
        let mut request = UpstreamRequest::get(path);
        for (name, value) in query {
            request = request.query(name, value.clone());
        }
        self.send(request).await
    }

    /// A write. With `idempotency_key` helodata deduplicates it, so it is retried like a read;
    /// without one it is sent once.
    pub async fn write(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, UpstreamFailure> {
        let mut request = UpstreamRequest::write(method, path, body);
        if let Some(key) = idempotency_key {
            request = request
                .header(HeaderName::from_static("idempotency-key"), key)
                .retry(RetryMode::Safe);
        }
        self.send(request).await
    }

    /// A file (`GET path`): its media type, length and body as it arrives; any answer other
    /// than a success is classified as always.
    pub async fn download(&self, path: &str) -> Result<(HeaderMap, ByteStream), UpstreamFailure> {
        let request = self.authorize(UpstreamRequest::get(path))?;
        match self
            .http
            .send_streaming(&request)
            .await
            .map_err(|e| self.redact(classify_transport(&e)))?
        {
            Streamed::Body { headers, body, .. } => Ok((headers, body)),
            Streamed::Answer(response) => {
                Err(self.redact(classify(response.status, &response.headers, &response.body)))
            }
        }
    }

    /// A file at a URL helodata handed out (a pre-signed link): fetched without the bearer
    /// token, which must never leave for another host.
    pub async fn download_link(
        &self,
        url: &str,
    ) -> Result<(HeaderMap, ByteStream), UpstreamFailure> {
        match self
            .http
            .send_streaming(&UpstreamRequest::get(url))
            .await
            .map_err(|e| self.redact(classify_transport(&e)))?
        {
            Streamed::Body { headers, body, .. } => Ok((headers, body)),
            Streamed::Answer(response) => {
                Err(self.redact(classify(response.status, &response.headers, &response.body)))
            }
        }
    }

    /// The account's API base URL.
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// Any call, answered whatever its status (for passthrough): only a call that got no
    /// answer is a failure. The answer may echo the token: the caller redacts it.
    pub async fn raw(&self, request: UpstreamRequest) -> Result<UpstreamResponse, UpstreamFailure> {
        let request = self.authorize(request)?;
        self.http
            .send(&request)
            .await
            .map_err(|e| self.redact(classify_transport(&e)))
    }

    /// The token, for passthrough to scrub from what helodata answers.
    pub fn credential(&self) -> &str {
        self.credential.expose_secret()
    }

    /// The request with the bearer token.
    fn authorize(&self, mut request: UpstreamRequest) -> Result<UpstreamRequest, UpstreamFailure> {
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", self.credential.expose_secret())).map_err(
                |_| {
                    // A token with characters no header can carry never reaches helodata.
                    UpstreamFailure::new(FailureKind::CredentialRejected)
                        .message("the configured helodata token is not a valid header value")
                },
            )?;
        bearer.set_sensitive(true);
        request.headers.insert(AUTHORIZATION, bearer);
        Ok(request)
    }

    async fn send(&self, request: UpstreamRequest) -> Result<Answer, UpstreamFailure> {
        let request = self.authorize(request)?;
        let response = self
            .http
            .send(&request)
            .await
            .map_err(|e| self.redact(classify_transport(&e)))?;
        if !response.status.is_success() {
            return Err(self.redact(classify(response.status, &response.headers, &response.body)));
        }
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Answer {
                json: None,
                headers: response.headers,
            });
        }
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(json) => Ok(Answer {
                json: Some(json),
                headers: response.headers,
            }),
            Err(_) => Err(malformed(
                response.status.as_u16(),
                request_id_header(&response.headers),
                "the answer is not valid JSON",
            )),
        }
    }

    /// Strips the credential from what helodata said, should it ever echo it.
    fn redact(&self, mut failure: UpstreamFailure) -> UpstreamFailure {
        let secret = self.credential.expose_secret();
        if !secret.is_empty()
            && let Some(message) = &failure.message
            && message.contains(secret)
        {
            failure.message = Some(message.replace(secret, "[redacted]"));
        }
        failure
    }
}

/// An answer that is not what the reference describes.
pub fn malformed(status: u16, request_id: Option<String>, what: &str) -> UpstreamFailure {
    let mut failure = UpstreamFailure::new(FailureKind::MalformedResponse)
        .status(status)
        .message(what);
    failure.request_id = request_id;
    failure
}

/// The JSON of an answer, or MalformedResponse when there is none.
pub fn require_json(answer: Answer) -> Result<Value, UpstreamFailure> {
    let request_id = request_id_header(&answer.headers);
    answer
        .json
        .ok_or_else(|| malformed(200, request_id, "the answer has no body"))
}

/// `value` as the wire type `T`, or MalformedResponse naming what was expected. serde's own
/// message is left out: it can quote values, and some of these objects carry a password.
pub fn parse<T: serde::de::DeserializeOwned>(
    value: &Value,
    what: &str,
) -> Result<T, UpstreamFailure> {
    serde_json::from_value(value.clone())
        .map_err(|_| malformed(200, None, &format!("unexpected {what} shape")))
}

fn request_id_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Classifies an HTTP error answer (the one table; §6.1, overview error body):
///
/// | answer | kind |
/// |---|---|
/// | 401 | `CredentialRejected` (the gateway's own token: a 502, never a 401 to the caller) |
/// | 402, or code `insufficient_balance` | `InsufficientBalance` |
/// | 403 (`kyc_required` / `kyc-required`, `permission_denied`, …) | `Forbidden` |
/// | 400, 422 | `Rejected`, `field` in the gateway's wire name |
/// | 422 `idempotency_key_reused` | `Conflict` |
/// | 404 | `NotFound` |
/// | 409 | `Conflict` |
/// | 429 | `RateLimited`, with `Retry-After` |
/// | 5xx | `ServerError` |
/// | any other | `Other` |
///
/// The body is read when it is helodata's error shape; the request id comes from its
/// `request_id`, else from `X-Helodata-Request-Id`.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> UpstreamFailure {
    let parsed: wire::ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let code = parsed.code.as_deref().unwrap_or("");
    let kind = match status.as_u16() {
        401 => FailureKind::CredentialRejected,
        // insufficient_balance has no documented status (§6.1; 402 is [I]): the code decides.
        _ if code == "insufficient_balance" => FailureKind::InsufficientBalance,
        402 => FailureKind::InsufficientBalance,
        // kyc-required is the gateway header's spelling (§6.2), kyc_required the REST style (§6.1).
        403 => FailureKind::Forbidden,
        422 if code == "idempotency_key_reused" => FailureKind::Conflict,
        400 | 422 => FailureKind::Rejected,
        404 => FailureKind::NotFound,
        409 => FailureKind::Conflict,
        429 => FailureKind::RateLimited,
        500..=599 => FailureKind::ServerError,
        _ => FailureKind::Other,
    };
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::upstream::parse_retry_after);
    UpstreamFailure {
        kind,
        status: Some(status.as_u16()),
        code: parsed.code.clone(),
        message: parsed.message.clone(),
        field: parsed
            .field
            .as_deref()
            .and_then(map::field_to_gateway)
            .map(str::to_string),
        retry_after: if kind == FailureKind::RateLimited {
            retry_after
        } else {
            None
        },
        request_id: parsed.request_id.or_else(|| request_id_header(headers)),
    }
}

/// Classifies a call that produced no readable answer.
pub fn classify_transport(error: &TransportError) -> UpstreamFailure {
    match error {
        TransportError::Timeout { sent } => {
            UpstreamFailure::new(FailureKind::Timeout).message(if *sent {
                "no answer in time; the request may have reached helodata"
            } else {
                "no answer in time; the request did not reach helodata"
            })
        }
        TransportError::Connection { detail, .. } => {
            UpstreamFailure::new(FailureKind::Unreachable).message(detail.clone())
        }
        TransportError::CircuitOpen { retry_after } => {
            let mut failure = UpstreamFailure::new(FailureKind::CircuitOpen)
                .message("too many recent failures; calls to helodata are paused");
            failure.retry_after = Some(*retry_after);
            failure
        }
        TransportError::RetryAfterTooLong {
            retry_after,
            response,
        } => {
            let mut failure = classify(response.status, &response.headers, &response.body);
            failure.kind = FailureKind::RateLimited;
            failure.retry_after = Some(*retry_after);
            failure
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::upstream::UpstreamResponse;

    fn body(code: &str, field: Option<&str>) -> Vec<u8> {
        let mut v = serde_json::json!({
            "code": code, "message": format!("{code} happened"), "request_id": "req_01HXBODY"
        });
        if let Some(f) = field {
            v["field"] = f.into();
        }
        serde_json::to_vec(&v).expect("json")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn kind_of(status: u16, code: &str) -> FailureKind {
        let status = StatusCode::from_u16(status).expect("status");
        classify(status, &HeaderMap::new(), &body(code, None)).kind
    }

    #[test]
    fn the_classification_table() {
        use FailureKind::*;
        let table: &[(u16, &str, FailureKind)] = &[
            (401, "unauthenticated", CredentialRejected),
            (401, "unauthorized", CredentialRejected),
            (402, "insufficient_balance", InsufficientBalance),
            (402, "payment_required", InsufficientBalance),
            (400, "insufficient_balance", InsufficientBalance),
            (403, "insufficient_balance", InsufficientBalance),
            (403, "kyc_required", Forbidden),
            (403, "kyc-required", Forbidden),
            (403, "permission_denied", Forbidden),
            (403, "account-suspended", Forbidden),
            (400, "invalid_argument", Rejected),
            (422, "invalid_argument", Rejected),
            (422, "idempotency_key_reused", Conflict),
            (404, "not_found", NotFound),
            (409, "failed_precondition", Conflict),
            (409, "already_exists", Conflict),
            (429, "rate_limited", RateLimited),
            (500, "internal", ServerError),
            (503, "unavailable", ServerError),
            (405, "method_not_allowed", Other),
            (413, "payload_too_large", Other),
        ];
        for (status, code, kind) in table {
            assert_eq!(kind_of(*status, code), *kind, "{status} {code}");
        }
    }

    #[test]
    fn a_failure_carries_status_code_message_and_the_bodys_request_id() {
        let f = classify(
            StatusCode::FORBIDDEN,
            &headers(&[("x-helodata-request-id", "req_HEADER")]),
            &body("kyc-required", None),
        );
        assert_eq!(f.kind, FailureKind::Forbidden);
        assert_eq!(f.status, Some(403));
        assert_eq!(f.code.as_deref(), Some("kyc-required"));
        assert_eq!(f.message.as_deref(), Some("kyc-required happened"));
        assert_eq!(f.request_id.as_deref(), Some("req_01HXBODY"));
        assert_eq!(f.field, None);
        assert_eq!(f.retry_after, None);
    }

    #[test]
    fn the_request_id_falls_back_to_the_header_and_bodies_need_not_parse() {
        let f = classify(
            StatusCode::BAD_GATEWAY,
            &headers(&[("x-helodata-request-id", "req_HEADER")]),
            b"<html>bad gateway</html>",
        );
        assert_eq!(f.kind, FailureKind::ServerError);
        assert_eq!(f.status, Some(502));
        assert_eq!(f.code, None);
        assert_eq!(f.message, None);
        assert_eq!(f.request_id.as_deref(), Some("req_HEADER"));
        let f = classify(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"");
        assert_eq!(f.kind, FailureKind::CredentialRejected);
    }

    #[test]
    fn validation_fields_get_the_gateways_names() {
        let field_of = |f: &str| {
            classify(
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                &body("invalid_argument", Some(f)),
            )
            .field
        };
        assert_eq!(field_of("label").as_deref(), Some("label"));
        assert_eq!(
            field_of("concurrent_max").as_deref(),
            Some("concurrency_max")
        );
        assert_eq!(field_of("rps_max").as_deref(), Some("rps_max"));
        assert_eq!(field_of("products").as_deref(), Some("products"));
        assert_eq!(field_of("cursor"), None);
    }

    #[test]
    fn rate_limits_carry_retry_after() {
        let f = classify(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("retry-after", "7")]),
            &body("rate_limited", None),
        );
        assert_eq!(f.kind, FailureKind::RateLimited);
        assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(f.code.as_deref(), Some("rate_limited"));
    }

    #[test]
    fn transport_failures_map_to_their_kinds() {
        let t = classify_transport(&TransportError::Timeout { sent: true });
        assert_eq!((t.kind, t.status), (FailureKind::Timeout, None));
        let c = classify_transport(&TransportError::Connection {
            sent: false,
            detail: "connection refused".into(),
        });
        assert_eq!(c.kind, FailureKind::Unreachable);
        assert_eq!(c.message.as_deref(), Some("connection refused"));
        let o = classify_transport(&TransportError::CircuitOpen {
            retry_after: Duration::from_secs(4),
        });
        assert_eq!(o.kind, FailureKind::CircuitOpen);
        assert_eq!(o.retry_after, Some(Duration::from_secs(4)));
        let response = UpstreamResponse {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: headers(&[("retry-after", "120")]),
            body: body("rate_limited", None).into(),
            attempts: 1,
        };
        let r = classify_transport(&TransportError::RetryAfterTooLong {
            retry_after: Duration::from_secs(120),
            response: Box::new(response),
        });
        assert_eq!(r.kind, FailureKind::RateLimited);
        assert_eq!(r.retry_after, Some(Duration::from_secs(120)));
        assert_eq!(r.status, Some(429));
        assert_eq!(r.request_id.as_deref(), Some("req_01HXBODY"));
    }
}
