//! The safety net: any error response that is not already problem+json (axum's own 405, a
//! panic caught by tower-http, a layer's bare status) is rewritten into the public error shape,
//! so every failure path answers the same way.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::{ApiError, ErrorCode, PROBLEM_JSON};

/// Middleware: rewrite bare 4xx/5xx responses into problem details, keeping their headers.
pub async fn layer(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return response;
    }
    let (parts, _) = response.into_parts();
    let code = ErrorCode::for_status(status);
    let detail = match code {
        ErrorCode::MethodNotAllowed => "this route does not accept this HTTP method".to_string(),
        ErrorCode::NotFound => "no such route".to_string(),
        ErrorCode::Internal => {
            "an unexpected error occurred; the request id identifies it in the gateway's log"
                .to_string()
        }
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string(),
    };
    let mut err = ApiError::new(code, detail).with_status(status);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            err.headers.insert(name.clone(), value.clone());
        }
    }
    err.into_response()
}
