//! The HTTP side of the metrics: the middleware that counts and times every request by route
//! template, and `GET /metrics` (Prometheus text format), on the API listener or on its own
//! (`PGW_METRICS_LISTEN`), public or behind a bearer token (`PGW_METRICS_TOKEN`).

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::config::Backend;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Where `/metrics` is served.
pub const PATH: &str = "/metrics";

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Middleware: count and time the request under its route template (`unmatched` when no route
/// matched, so probing random paths cannot grow the label set).
pub async fn layer(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::record_http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`: refreshes the gauges read from live state (store pool, circuit breakers) and
/// renders everything recorded.
pub async fn handler(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.config.metrics_token
        && !bearer_matches(&headers, expected.expose_secret())
    {
        let mut response =
            ApiError::unauthenticated("/metrics needs Authorization: Bearer <PGW_METRICS_TOKEN>")
                .with_field("Authorization")
                .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    refresh_gauges(&state);
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        metrics::render(),
    )
        .into_response()
}

/// The router of the separate metrics listener: `/metrics` only.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PATH, axum::routing::get(handler))
        .fallback(|| async { ApiError::not_found("this listener serves only /metrics") })
        .with_state(state)
}

fn refresh_gauges(state: &AppState) {
    let backend = match state.store.admin.backend() {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    metrics::set_store_pool(backend, state.store.admin.pool_stats());
    for account in state.providers.iter() {
        metrics::set_breaker_state(
            &account.name,
            account.kind.as_str(),
            account.client.breaker_state().as_str(),
        );
    }
}

/// Whether `Authorization: Bearer <token>` carries `expected` (compared in constant time).
fn bearer_matches(headers: &HeaderMap, expected: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && bool::from(token.trim().as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        assert!(bearer_matches(&auth("Bearer scrape-token"), "scrape-token"));
        assert!(bearer_matches(&auth("bearer scrape-token"), "scrape-token"));
        assert!(!bearer_matches(
            &auth("Bearer scrape-tokenX"),
            "scrape-token"
        ));
        assert!(!bearer_matches(&auth("Basic scrape-token"), "scrape-token"));
        assert!(!bearer_matches(&HeaderMap::new(), "scrape-token"));
    }
}
