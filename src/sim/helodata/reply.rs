//! What a handler sees ([`Req`]) and what it answers ([`Reply`]), and the rendering of both into
//! HTTP with the request id.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, RawPathParams, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::errors::{ApiError, ApiResult};
use super::input::Query;

/// Largest request body read (the documents give none; every documented body is tiny).
const MAX_BODY: usize = 1 << 20;

/// Who is calling and when: set by the auth middleware for every authenticated request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub request_id: String,
    pub token_id: String,
    pub scopes: Vec<String>,
    /// Request time, whole seconds.
    pub now: i64,
    /// Request time, milliseconds.
    pub now_ms: u64,
}

/// Marks a response whose body is already in helodata's shape, so the middleware leaves it be.
#[derive(Clone, Copy, Debug)]
pub struct Rendered;

/// One request, parsed just enough for a handler: path parameters in order, the query, the body.
#[derive(Debug)]
pub struct Req {
    pub ctx: Ctx,
    pub method: Method,
    /// Full path as the client sent it, e.g. `/v1/subusers`.
    pub path: String,
    pub params: Vec<String>,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// The `n`th path parameter (`{id}` segments, in order).
    pub fn param(&self, n: usize) -> &str {
        self.params.get(n).map(String::as_str).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Some(ctx) = parts.extensions.get::<Ctx>().cloned() else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let params = match RawPathParams::from_request_parts(&mut parts, state).await {
            Ok(p) => p.iter().map(|(_, v)| v.to_string()).collect(),
            Err(_) => {
                let e = ApiError::invalid_request("path is not valid UTF-8");
                return Err(render_error(&e, &ctx.request_id));
            }
        };
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let query = match Query::parse(uri.query()) {
            Ok(q) => q,
            Err(e) => return Err(render_error(&e, &ctx.request_id)),
        };
        let body = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                let e = ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE);
                return Err(render_error(&e, &ctx.request_id));
            }
        };
        Ok(Req {
            ctx,
            method: parts.method,
            path: uri.path().to_string(),
            params,
            query,
            headers: parts.headers,
            body,
        })
    }
}

/// A handler's successful answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// Any serializable value as JSON (our own plain structs never fail to serialize).
pub fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Self {
        Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    /// 200 with a bare object (single resources are never wrapped, §1).
    pub fn ok(value: Value) -> ApiResult<Self> {
        Ok(Self::json(StatusCode::OK, &value))
    }

    /// 201 with the created object.
    pub fn created(value: Value) -> ApiResult<Self> {
        Ok(Self::json(StatusCode::CREATED, &value))
    }

    /// 204 without a body.
    pub fn no_content() -> ApiResult<Self> {
        Ok(Reply {
            status: StatusCode::NO_CONTENT,
            content_type: "",
            body: Vec::new(),
            headers: Vec::new(),
        })
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_string(), value));
        self
    }

    /// Into an HTTP response, marked as rendered.
    pub fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.status_mut() = self.status;
        if !self.content_type.is_empty() {
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value),
            ) {
                res.headers_mut().append(n, v);
            }
        }
        res.extensions_mut().insert(Rendered);
        res
    }
}

/// An error as a response in helodata's shape.
pub fn render_error(e: &ApiError, request_id: &str) -> Response {
    let mut reply = Reply::json(e.status, &e.body(request_id));
    for (name, value) in &e.headers {
        reply.headers.push(((*name).to_string(), value.clone()));
    }
    reply.into_response()
}
