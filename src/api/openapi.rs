//! The OpenAPI document: its fixed parts (info, security scheme, shared schemas) and rendering.
//! Paths come from the `#[utoipa::path]` annotations on each handler.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::error::{ErrorCode, Problem, UpstreamProblem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "proxy-gateway",
        description = "One normalized REST API over the management APIs of residential-proxy providers (helodata, 911Proxy). Errors are RFC 9457 problem details (application/problem+json) with a `code` from a closed catalogue. Every operation routed to a provider declares `501 unsupported_by_provider`: an account whose provider cannot do the operation answers it, naming the operation and the account, while the same call on another account succeeds; `GET /v1/providers` lists each account's capabilities, so a client (or a test generator) can stay within them. A list over every account leaves out the accounts that lack the operation; naming such an account answers 501.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(super::docs::openapi_document, super::docs::docs_ui),
    // Schemas only parameters refer to: utoipa collects those of bodies by itself.
    components(schemas(
        Problem,
        ErrorCode,
        UpstreamProblem,
        super::common::AccountName,
        super::common::CursorText,
        super::common::DateOrDateTime,
        super::common::ProxyUserIdText,
        super::common::ApiKeyIdText,
        super::common::AuditEventIdText,
        super::proxy_users::Include,
        super::proxy_users::GetInclude,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "docs", description = "This document and its interactive UI (no authentication)."),
        (name = "health", description = "Liveness and readiness probes (no authentication)."),
        (name = "api-keys", description = "API keys of the internal services that call the gateway (scope admin)."),
        (name = "providers", description = "The configured provider accounts and their capabilities."),
        (name = "proxy-users", description = "Proxy users (911 sub-accounts, helodata sub-users) of every account, in one shape."),
        (name = "usage", description = "Traffic usage in bytes."),
        (name = "account", description = "Identity, plan and balance of each provider account."),
        (name = "packages", description = "Purchased packages, subscriptions and IP batches."),
        (name = "billing", description = "What an account can pay with and the promotions it gets (911Proxy)."),
        (name = "locations", description = "Countries, states and cities each account can place an exit IP in, in each provider's own spelling, with who serves each."),
        (name = "static-ips", description = "Static IPs the accounts own, stock on sale, and IP batch renewal, refresh and replacement."),
        (name = "sessions", description = "Live sticky sessions and sampled requests, as the provider's gateway reports them (helodata)."),
        (name = "proxies", description = "Ready-to-use proxy endpoints: host, port and a username carrying the targeting in each provider's grammar."),
        (name = "whitelist-entries", description = "Source IPs that may use an account's proxies without a password (helodata: per proxy user and product, or per ISP batch; 911Proxy: per account and product)."),
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
    let mut spec = super::routes().split_for_parts().1;
    super::audited::take(&mut spec);
    document_conventions(&mut spec);
    spec
}

/// What the shared layers add to operations, documented once here instead of on every handler:
/// - every `/v1` operation: 401 (authentication), 500 (a bug), 503 (the store is down while the
///   key is checked), 504 (the gateway's deadline);
/// - every write (`POST`, `PATCH`, `DELETE` under `/v1`): the optional `Idempotency-Key`
///   header, its guard's 400 / 409 / 422, 413 (the guard reads the body with the size limit),
///   and `Idempotent-Replayed` on successful answers;
/// - every operation with a required JSON body: 415;
/// - `Retry-After` on every 409 and 503, `WWW-Authenticate` on every 401.
pub fn document_conventions(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, RefOr, Required, Type};

    use super::problems::problem;

    let string = || ObjectBuilder::new().schema_type(Type::String);
    let key_header: Parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the write safe to retry: 1-64 printable ASCII characters, scoped to the API key. \
             The same key with the same request replays the stored response (`Idempotent-Replayed: true`); \
             with another request it is 422 `idempotency_key_reused`; while the first is running, 409 \
             `idempotency_key_in_use` with `Retry-After`. Records expire after PGW_IDEMPOTENCY_TTL_SECS.",
        ))
        .schema(Some(
            string()
                .min_length(Some(1))
                .max_length(Some(64))
                .pattern(Some("^[\\x20-\\x7E]{1,64}$"))
                .examples(["onboard-acme-2026-05-01"]),
        ))
        .build();
    let replayed = HeaderBuilder::new()
        .schema(Some(string().enum_values(Some(["true"]))))
        .description(Some(
            "`true` when this is the stored answer of an earlier request with the same Idempotency-Key.",
        ))
        .build();
    let retry_after = HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        ))
        .description(Some("Seconds to wait before sending the request again."))
        .build();
    let challenge = HeaderBuilder::new()
        .schema(Some(string()))
        .description(Some("`Bearer realm=\"proxy-gateway\"`"))
        .build();

    for (path, item) in spec.paths.paths.iter_mut() {
        let v1 = path.starts_with("/v1/");
        let writes = [&mut item.post, &mut item.patch, &mut item.delete];
        let reads = [&mut item.get];
        for (is_write, operation) in writes
            .into_iter()
            .map(|op| (true, op))
            .chain(reads.into_iter().map(|op| (false, op)))
            .filter_map(|(w, op)| op.as_mut().map(|op| (w, op)))
        {
            let json_body = operation.request_body.as_ref().is_some_and(|body| {
                matches!(body, RefOr::T(body)
                    if matches!(body.required, Some(Required::True))
                        && body.content.contains_key("application/json"))
            });
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(description));
            };
            if v1 {
                add(
                    "401",
                    "unauthenticated: missing, unknown or revoked API key.",
                );
                add(
                    "500",
                    "internal: an unexpected failure; the request id identifies it in the gateway's log.",
                );
                add(
                    "503",
                    "service_unavailable: the gateway's store is unavailable; wait `Retry-After` seconds.",
                );
                add(
                    "504",
                    "deadline_exceeded: the gateway did not finish within its own deadline.",
                );
            }
            if v1 && is_write {
                add(
                    "400",
                    "invalid_argument: the Idempotency-Key is malformed (or required by PGW_REQUIRE_IDEMPOTENCY_KEY and missing).",
                );
                add(
                    "409",
                    "idempotency_key_in_use: a request with this Idempotency-Key is still running; wait `Retry-After` seconds.",
                );
                add(
                    "413",
                    "payload_too_large: the body exceeds PGW_BODY_LIMIT_BYTES.",
                );
                add(
                    "422",
                    "idempotency_key_reused: this Idempotency-Key was used with a different request.",
                );
            }
            if json_body {
                add(
                    "415",
                    "unsupported_media_type: the body is not sent as `Content-Type: application/json`.",
                );
            }
            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                let header = match status.as_str() {
                    "409" | "503" => Some(("Retry-After", &retry_after)),
                    "401" => Some(("WWW-Authenticate", &challenge)),
                    s if v1 && is_write && s.starts_with('2') => {
                        Some(("Idempotent-Replayed", &replayed))
                    }
                    _ => None,
                };
                if let Some((name, header)) = header {
                    response
                        .headers
                        .entry(name.to_string())
                        .or_insert_with(|| RefOr::T(header.clone()));
                }
            }
            if v1 && is_write {
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .push(RefOr::T(key_header.clone()));
            }
        }
    }
}

/// Pretty JSON, stable across runs (the committed openapi/openapi.json is compared to it).
pub fn render(spec: &utoipa::openapi::OpenApi) -> String {
    let mut text = spec.to_pretty_json().unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}
