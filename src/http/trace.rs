//! One tracing span per request with method, route template, request id, key id, status and
//! latency. The path's query string is never logged: it may carry secrets.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use super::request_id::RequestId;

/// Middleware: open the request span, log one line when the response is ready.
pub async fn layer(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        request_id = %request_id,
        key_id = Empty,
        status = Empty,
        latency_ms = Empty,
    );
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.record("status", response.status().as_u16());
    span.record("latency_ms", (latency_ms * 1000.0).round() / 1000.0);
    span.in_scope(|| tracing::info!("request completed"));
    response
}
