//! The gateway's own deadline for one request: past it the caller gets 504 `deadline_exceeded`
//! instead of an open connection.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::{ApiError, ErrorCode};

/// Middleware: answer 504 when the inner service takes longer than the configured limit.
pub async fn layer(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::DeadlineExceeded,
            format!(
                "the request did not complete within {} ms",
                limit.as_millis()
            ),
        )
        .into_response(),
    }
}
