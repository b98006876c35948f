//! The OpenAPI document: its fixed parts (info, security scheme, shared schemas) and rendering.
//! Paths come from the `#[utoipa::path]` annotations on each handler.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorCode, Problem, UpstreamProblem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "proxy-gateway",
        description = "One normalized REST API over the management APIs of residential-proxy providers (helodata, 911Proxy). Errors are RFC 9457 problem details (application/problem+json) with a `code` from a closed catalogue.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    components(schemas(Problem, ErrorCode, UpstreamProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness probes (no authentication)."),
        (name = "api-keys", description = "API keys of the internal services that call the gateway (scope admin)."),
        (name = "providers", description = "The configured provider accounts and their capabilities."),
        (name = "proxy-users", description = "Proxy users (911 sub-accounts, helodata sub-users) of every account, in one shape."),
        (name = "usage", description = "Traffic usage in bytes."),
        (name = "account", description = "Identity, plan and balance of each provider account."),
        (name = "packages", description = "Purchased packages, subscriptions and IP batches."),
        (name = "audit", description = "The append-only, hash-chained audit log of every write and admin action (scope audit:read or admin).")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pgw_…")
                    .description(Some("A gateway API key: Authorization: Bearer pgw_…"))
                    .build(),
            ),
        );
    }
}

/// The document's fixed parts, with this build's version.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// The complete document as the router serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    super::routes().split_for_parts().1
}

/// Pretty JSON, stable across runs (the committed openapi/openapi.json is compared to it).
pub fn render(spec: &utoipa::openapi::OpenApi) -> String {
    let mut text = spec.to_pretty_json().unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}

/// `GET /openapi.json`.
pub fn json_response(body: &str) -> Response {
    let mut response = body.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
