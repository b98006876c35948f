//! The API's own documentation, public and offline: `GET /openapi.json` (the document the
//! router is built from) and a Swagger UI at `/docs/` whose HTML, scripts and styles are
//! compiled into the binary by utoipa-swagger-ui's `vendored` feature. Nothing is fetched from
//! a CDN, neither at build time nor in the browser, so the docs work on a machine without
//! internet access.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_swagger_ui::Config;

use crate::http::error::ApiError;

/// Where the UI lives (with the trailing slash its relative asset links need).
pub const DOCS_PATH: &str = "/docs/";

/// The UI's settings. The document is addressed relative to `/docs/`, so the UI keeps working
/// when the gateway is served under a path prefix; the online validator badge is off (it would
/// send the document to a public service).
fn ui_config() -> Config<'static> {
    Config::from("../openapi.json")
        .validator_url("none")
        .display_operation_id(true)
        .display_request_duration(true)
        .persist_authorization(true)
        .filter(true)
        .deep_linking(true)
}

/// The rendered document, shared by the handlers.
#[derive(Clone)]
pub struct SpecJson(Arc<str>);

/// The routes: `/openapi.json`, `/docs` (redirects to `/docs/`), `/docs/` and its assets.
/// They are public: they show no data, only what the API is.
pub fn router<S: Clone + Send + Sync + 'static>(spec_json: String) -> Router<S> {
    Router::new()
        .route("/openapi.json", get(openapi_document))
        // Relative, so that a path prefix added by a reverse proxy is kept.
        .route("/docs", get(|| async { Redirect::permanent("docs/") }))
        .route(DOCS_PATH, get(docs_ui))
        .route("/docs/{*file}", get(docs_asset))
        .layer(Extension(SpecJson(Arc::from(spec_json))))
        .layer(Extension(Arc::new(ui_config())))
}

/// This OpenAPI document (OpenAPI 3.1, JSON).
///
/// The same text `proxy-gateway openapi` prints and `openapi/openapi.json` holds.
#[utoipa::path(get, path = "/openapi.json", tag = "docs",
    responses(
        (status = 200, description = "The OpenAPI document.", content_type = "application/json",
         body = Object, example = json!({"openapi": "3.1.0", "info": {"title": "proxy-gateway"}})),
    ))]
pub async fn openapi_document(Extension(spec): Extension<SpecJson>) -> Response {
    let mut response = spec.0.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The interactive documentation (Swagger UI).
///
/// Served from files compiled into the binary; `/docs` redirects here.
#[utoipa::path(get, path = "/docs/", tag = "docs",
    responses(
        (status = 200, description = "The Swagger UI page; it loads its scripts and styles from `/docs/` and the document from `/openapi.json`.",
         content_type = "text/html", body = String),
    ))]
pub async fn docs_ui(Extension(config): Extension<Arc<Config<'static>>>) -> Response {
    asset("", config)
}

/// A file of the UI (scripts, styles, icons).
async fn docs_asset(
    Path(file): Path<String>,
    Extension(config): Extension<Arc<Config<'static>>>,
) -> Response {
    asset(&file, config)
}

fn asset(file: &str, config: Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(file, config) {
        Ok(Some(found)) => {
            let mut response = (StatusCode::OK, found.bytes.into_owned()).into_response();
            if let Ok(content_type) = HeaderValue::from_str(&found.content_type) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
            }
            response
        }
        Ok(None) => {
            ApiError::not_found(format!("no such documentation file: {file}")).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot render the Swagger UI configuration");
            ApiError::internal().into_response()
        }
    }
}
