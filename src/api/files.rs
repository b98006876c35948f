//! Answering with a file that streams from a provider: its media type, length and a safe
//! `Content-Disposition`, the body passed through chunk by chunk.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::domain::download::Download;

/// The 200 answer that streams `file` to the caller.
pub fn streamed(file: Download) -> Response {
    let mut response = Response::new(Body::from_stream(file.body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&file.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(length) = file.content_length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
