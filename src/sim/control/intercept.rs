//! The middleware in front of the provider routes: records each call and applies the fault a
//! rule picks for it, or answers for a closed endpoint.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::calls::CallRecord;
use super::faults::{AppliedFault, FaultKind, Phase};
use super::provider_errors;
use super::serve::{AbortConnection, ServerStopping};
use super::{Control, Fate};

/// The largest request body the simulator reads (axum's own default limit).
const MAX_REQUEST_BODY: usize = 2 * 1024 * 1024;

pub(super) async fn intercept(
    State(control): State<Control>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BODY).await else {
        let call = CallRecord::describe(&parts, b"");
        let (seq, _) = control.arrive(call, false);
        control.complete(seq, Some(413), started.elapsed());
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let call = CallRecord::describe(&parts, &body);
    let english = call.wants_english();
    let (seq, fault) = match control.arrive(call, true) {
        (seq, Fate::Serve(fault)) => (seq, fault),
        (seq, Fate::Closed) => {
            control.complete(seq, Some(404), started.elapsed());
            return StatusCode::NOT_FOUND.into_response();
        }
    };
    let stopping = parts.extensions.get::<ServerStopping>().cloned();
    let req = Request::from_parts(parts, Body::from(body));
    let response = match fault {
        None => next.run(req).await,
        Some(fault) => apply(&control, fault, req, next, english, stopping).await,
    };
    let status = match response.extensions().get::<AbortConnection>() {
        Some(_) => None,
        None => Some(response.status().as_u16()),
    };
    control.complete(seq, status, started.elapsed());
    response
}

async fn apply(
    control: &Control,
    fault: AppliedFault,
    req: Request,
    next: Next,
    english: bool,
    stopping: Option<ServerStopping>,
) -> Response {
    if let FaultKind::Latency { ms } = fault.kind {
        let delay = tokio::time::sleep(Duration::from_millis(ms));
        return match fault.phase {
            Phase::Before => {
                delay.await;
                next.run(req).await
            }
            Phase::After => {
                let response = next.run(req).await;
                delay.await;
                response
            }
        };
    }
    let handled = match fault.phase {
        Phase::Before => None,
        Phase::After => Some(next.run(req).await),
    };
    match fault.kind {
        // Latency answered above; the arm only keeps the match exhaustive without a panic.
        FaultKind::Latency { .. } | FaultKind::Close => AbortConnection::response(),
        FaultKind::Hang => {
            match stopping {
                Some(stopping) => stopping.wait().await,
                None => std::future::pending().await,
            }
            AbortConnection::response()
        }
        FaultKind::HttpError { status, body } => http_error(status, body),
        FaultKind::RateLimit { retry_after } => {
            provider_errors::rate_limit(control.provider(), retry_after, english)
        }
        FaultKind::MalformedJson { body } => {
            let body = match (body, handled) {
                (Some(body), _) => body.into_bytes(),
                (None, Some(response)) => cut_in_half(response).await,
                (None, None) => Vec::new(),
            };
            let body = if body.is_empty() {
                provider_errors::truncated_json(control.provider())
                    .as_bytes()
                    .to_vec()
            } else {
                body
            };
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        FaultKind::ProviderError {
            code,
            status,
            message,
            field,
        } => provider_errors::provider_error(
            control.provider(),
            &code,
            status,
            message.as_deref(),
            field.as_deref(),
            english,
        ),
    }
}

/// The first half of the handler's body (a body that fits in one byte has nothing to cut, so
/// the canned truncated body is used instead).
async fn cut_in_half(response: Response) -> Vec<u8> {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.len() < 2 {
        return Vec::new();
    }
    let mut half = bytes[..bytes.len() / 2].to_vec();
    // An object or array cut anywhere before its end never parses; a bare scalar might.
    if serde_json::from_slice::<Value>(&half).is_ok() {
        half.clear();
    }
    half
}

fn http_error(status: u16, body: Option<Value>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        None => (
            status,
            status.canonical_reason().unwrap_or("error").to_owned(),
        )
            .into_response(),
        Some(Value::String(text)) => (status, text).into_response(),
        Some(json) => (status, axum::Json(json)).into_response(),
    }
}
