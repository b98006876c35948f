//! The HTTP control API under `/__sim`. Its own requests are neither logged nor faulted.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use serde_json::{Value, json};

use super::Control;
use super::calls::{CallFilter, decode_form};
use super::faults::FieldError;

pub(super) fn routes(control: Control) -> Router {
    Router::new()
        .route("/__sim/calls", get(list_calls).delete(clear_calls))
        .route(
            "/__sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__sim/faults/{id}", delete(remove_fault))
        .route(
            "/__sim/closed",
            get(list_closed)
                .post(close_endpoint)
                .delete(reopen_endpoints),
        )
        .route("/__sim", any(unknown))
        .route("/__sim/{*rest}", any(unknown))
        .with_state(control)
}

/// 400 with `{"code":"invalid_argument","message":…,"field":…}`.
impl IntoResponse for FieldError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": "invalid_argument",
            "message": match &self.field {
                Some(field) => format!("{field} {}", self.message),
                None => self.message.clone(),
            },
            "field": self.field,
        });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}

async fn list_calls(
    State(control): State<Control>,
    RawQuery(query): RawQuery,
) -> Result<Response, FieldError> {
    let params = decode_form(query.as_deref().unwrap_or(""));
    let mut filter = CallFilter::default();
    for (name, value) in params {
        let Value::String(value) = value else {
            return Err(FieldError::new(&name, "may be given once"));
        };
        match name.as_str() {
            "path" => filter.path = Some(value),
            "method" => filter.method = Some(value.to_ascii_uppercase()),
            "since" => {
                let since = value
                    .parse()
                    .map_err(|_| FieldError::new("since", "must be a non-negative integer"))?;
                filter.since = Some(since);
            }
            _ => {
                return Err(FieldError::new(
                    &name,
                    "is not a filter: path, method, since",
                ));
            }
        }
    }
    let (calls, dropped) = control.calls_filtered(&filter);
    Ok(axum::Json(json!({ "calls": calls, "dropped": dropped })).into_response())
}

async fn clear_calls(State(control): State<Control>) -> Response {
    let cleared = control.clear_calls();
    axum::Json(json!({ "cleared": cleared })).into_response()
}

async fn list_faults(State(control): State<Control>) -> Response {
    axum::Json(json!({ "faults": control.faults() })).into_response()
}

async fn add_fault(State(control): State<Control>, body: Bytes) -> Result<Response, FieldError> {
    let input: Value = serde_json::from_slice(&body)
        .map_err(|err| FieldError::whole(format!("the body is not JSON: {err}")))?;
    let rule = control.add_fault(&input)?;
    Ok((StatusCode::CREATED, axum::Json(rule)).into_response())
}

async fn clear_faults(State(control): State<Control>) -> Response {
    let cleared = control.clear_faults();
    axum::Json(json!({ "cleared": cleared })).into_response()
}

async fn remove_fault(State(control): State<Control>, Path(id): Path<String>) -> Response {
    let removed = id.parse().is_ok_and(|id| control.remove_fault(id));
    if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found(&format!("no active fault rule {id}"))
    }
}

async fn list_closed(State(control): State<Control>) -> Response {
    axum::Json(json!({ "closed": control.closed_endpoints() })).into_response()
}

/// `{"path": "/api-gate-way/user/info"}`: that endpoint answers 404 until reopened.
async fn close_endpoint(
    State(control): State<Control>,
    body: Bytes,
) -> Result<Response, FieldError> {
    let input: Value = serde_json::from_slice(&body)
        .map_err(|err| FieldError::whole(format!("the body is not JSON: {err}")))?;
    let Some(path) = input.get("path").and_then(Value::as_str) else {
        return Err(FieldError::new("path", "is required (a string)"));
    };
    control.close_endpoint(path)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn reopen_endpoints(State(control): State<Control>) -> Response {
    let reopened = control.reopen_endpoints();
    axum::Json(json!({ "reopened": reopened })).into_response()
}

async fn unknown() -> Response {
    not_found("unknown control endpoint: /__sim/calls, /__sim/faults and /__sim/closed exist")
}

fn not_found(message: &str) -> Response {
    let body = json!({ "code": "not_found", "message": message });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
