//! The OpenAPI document: its fixed parts (info, security scheme, shared schemas) and rendering.
//! Paths come from the `#[utoipa::path]` annotations on each handler.

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
    paths(super::docs::openapi_document, super::docs::docs_ui),
    components(schemas(Problem, ErrorCode, UpstreamProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "docs", description = "This document and its interactive UI (no authentication)."),
        (name = "health", description = "Liveness and readiness probes (no authentication)."),
        (name = "api-keys", description = "API keys of the internal services that call the gateway (scope admin)."),
        (name = "providers", description = "The configured provider accounts and their capabilities."),
        (name = "proxy-users", description = "Proxy users (911 sub-accounts, helodata sub-users) of every account, in one shape."),
        (name = "usage", description = "Traffic usage in bytes."),
        (name = "account", description = "Identity, plan and balance of each provider account."),
        (name = "packages", description = "Purchased packages, subscriptions and IP batches.")
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
    let mut spec = super::routes().split_for_parts().1;
    document_write_conventions(&mut spec);
    spec
}

/// Every write under `/v1` takes an optional `Idempotency-Key` header and may answer the
/// guard's 409 / 422; documented here once instead of on every handler.
pub fn document_write_conventions(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
    use utoipa::openapi::{
        ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type,
    };

    let header: Parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the write safe to retry: 1-64 printable ASCII characters, scoped to the API key. \
             The same key with the same request replays the stored response (`Idempotent-Replayed: true`); \
             with another request it is 422 `idempotency_key_reused`; while the first is running, 409 \
             `idempotency_key_in_use` with `Retry-After`. Records expire after PGW_IDEMPOTENCY_TTL_SECS.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(64))))
        .build();
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in spec.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for operation in [&mut item.post, &mut item.patch, &mut item.delete]
            .into_iter()
            .flatten()
        {
            operation
                .parameters
                .get_or_insert_with(Vec::new)
                .push(RefOr::T(header.clone()));
            let responses = &mut operation.responses.responses;
            responses.entry("409".to_string()).or_insert_with(|| {
                problem("idempotency_key_in_use: a request with this Idempotency-Key is still running (Retry-After); conflict: the change conflicts with the provider's state.")
            });
            responses.entry("422".to_string()).or_insert_with(|| {
                problem("idempotency_key_reused: this Idempotency-Key was used with a different request.")
            });
            responses.entry("502".to_string()).or_insert_with(|| {
                problem("outcome_unknown: the provider may have applied the change without answering; retry with the same Idempotency-Key.")
            });
        }
    }
}

/// Pretty JSON, stable across runs (the committed openapi/openapi.json is compared to it).
pub fn render(spec: &utoipa::openapi::OpenApi) -> String {
    let mut text = spec.to_pretty_json().unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}
