//! Request ids: taken from the caller's `X-Request-Id` when it is safe, otherwise generated as
//! `req_<ULID>`; echoed in the response header and available to error bodies and log lines.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the request id, both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served by this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(|id| id.clone()).ok()
}

/// The request id of one request, kept in its extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Whether a caller-chosen id is acceptable: 1–64 characters from a safe set, so it can be
/// echoed in headers, logs and JSON without escaping.
pub fn is_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A fresh id: `req_` and a ULID.
pub fn generate() -> String {
    format!("req_{}", ulid::Ulid::generate())
}

/// Middleware: decide the id, make it current for the request's task, echo it in the response.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(generate);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = CURRENT.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_safe_ids_up_to_64_characters() {
        assert!(is_acceptable("abc-123_x.y:z"));
        assert!(is_acceptable(&"a".repeat(64)));
    }

    #[test]
    fn refuses_empty_long_or_unsafe_ids() {
        assert!(!is_acceptable(""));
        assert!(!is_acceptable(&"a".repeat(65)));
        assert!(!is_acceptable("has space"));
        assert!(!is_acceptable("quote\""));
        assert!(!is_acceptable("é"));
    }

    #[test]
    fn generated_ids_are_acceptable_and_prefixed() {
        let id = generate();
        assert!(id.starts_with("req_"));
        assert_eq!(id.len(), 4 + 26);
        assert!(is_acceptable(&id));
    }
}
