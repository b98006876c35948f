//! Answers `405 Method Not Allowed` (with `Allow`) for a method a route does not serve, before
//! authentication and the idempotency guard see the request. Axum's own 405 comes from the
//! route's method router, which sits inside the route layers: without this gate a `PUT` to a
//! `POST` route would be authenticated, claim its `Idempotency-Key` and could answer 422
//! `idempotency_key_reused` instead of 405.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::{ApiError, ErrorCode};

/// The methods each route serves, by its path template (`/v1/proxy-users/{id}`).
#[derive(Clone, Debug, Default)]
pub struct AllowedMethods(Arc<HashMap<String, Vec<Method>>>);

impl AllowedMethods {
    /// The table of a router, read from the OpenAPI document built with it (utoipa-axum
    /// registers each handler in the router and in the document together). `HEAD` is allowed
    /// wherever `GET` is, as axum serves it.
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let table = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let operations = [
                    (Method::GET, item.get.is_some()),
                    (Method::HEAD, item.get.is_some() || item.head.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                    (Method::OPTIONS, item.options.is_some()),
                ];
                for (method, served) in operations {
                    if served {
                        methods.push(method);
                    }
                }
                (path.clone(), methods)
            })
            .collect();
        AllowedMethods(Arc::new(table))
    }

    /// The methods `path` serves, if the table knows it.
    pub fn get(&self, path: &str) -> Option<&[Method]> {
        self.0.get(path).map(Vec::as_slice)
    }
}

/// Middleware for every matched route (the outermost route layer).
pub async fn layer(
    State(allowed): State<AllowedMethods>,
    request: Request,
    next: Next,
) -> Response {
    let methods = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|path| allowed.get(path.as_str()));
    match methods {
        Some(methods) if !methods.contains(request.method()) => {
            let list: Vec<&str> = methods.iter().map(Method::as_str).collect();
            let mut err = ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "this route does not accept {}; it accepts {}",
                    request.method(),
                    list.join(", ")
                ),
            );
            if let Ok(value) = HeaderValue::from_str(&list.join(",")) {
                err.headers.insert(header::ALLOW, value);
            }
            err.into_response()
        }
        _ => next.run(request).await,
    }
}
