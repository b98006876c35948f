//! The HTTP surface: one file per resource with its routes, handlers and wire types, and the
//! router that assembles them with the shared layers. Handlers parse and validate input, call
//! one service function, and map the result to a response.

pub mod account;
pub mod api_keys;
pub mod audit_events;
pub mod audited;
pub mod capability_name;
pub mod common;
pub mod docs;
mod files;
pub mod health;
mod invoices;
pub mod locations;
pub mod money;
pub mod openapi;
mod orders;
pub mod packages;
pub mod pagination;
mod passthrough;
mod payments;
pub mod problems;
pub mod providers;
pub mod proxies;
pub mod proxy_users;
mod reports;
mod scoped;
pub mod sessions;
pub mod static_ips;
mod subscriptions;
pub mod usage;
pub mod whitelist_entries;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Every route with its OpenAPI description, before layers are applied.
pub fn routes() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::get_api_key, api_keys::revoke_api_key))
        .routes(routes!(providers::list_providers))
        .routes(routes!(providers::provider_health))
        .routes(routes!(passthrough::passthrough))
        .routes(routes!(
            proxy_users::list_proxy_users,
            proxy_users::create_proxy_user
        ))
        .routes(routes!(proxy_users::create_proxy_users_batch))
        .routes(routes!(
            proxy_users::get_proxy_user,
            proxy_users::update_proxy_user,
            proxy_users::delete_proxy_user
        ))
        .routes(routes!(proxy_users::rotate_password))
        .routes(routes!(proxies::proxy_connection))
        .routes(routes!(proxies::extract_proxies))
        .routes(routes!(locations::list_countries))
        .routes(routes!(locations::list_states))
        .routes(routes!(locations::list_cities))
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::get_session, sessions::delete_session))
        .routes(routes!(sessions::list_requests))
        .routes(routes!(static_ips::list_static_ips))
        .routes(routes!(static_ips::static_ip_availability))
        .routes(routes!(static_ips::replace_static_ip))
        .routes(routes!(static_ips::renew_ip_batch))
        .routes(routes!(static_ips::refresh_ip_batch))
        .routes(routes!(usage::get_usage))
        .routes(routes!(
            whitelist_entries::list_whitelist_entries,
            whitelist_entries::create_whitelist_entry
        ))
        .routes(routes!(whitelist_entries::whitelist_quota))
        .routes(routes!(whitelist_entries::delete_whitelist_entry))
        .routes(routes!(account::get_account))
        .routes(routes!(packages::list_packages))
        .routes(routes!(packages::package_summary))
        .routes(routes!(payments::list_payment_methods))
        .routes(routes!(payments::list_promotions))
        .routes(routes!(orders::list_orders, orders::create_order))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::cancel_order))
        .routes(routes!(invoices::list_invoices))
        .routes(routes!(invoices::get_invoice))
        .routes(routes!(invoices::invoice_pdf))
        .routes(routes!(reports::list_reports, reports::create_report))
        .routes(routes!(
            reports::get_report,
            reports::update_report,
            reports::delete_report
        ))
        .routes(routes!(reports::run_report))
        .routes(routes!(reports::get_report_run))
        .routes(routes!(reports::download_report_run))
        .routes(routes!(subscriptions::create_subscription))
        .routes(routes!(
            subscriptions::get_subscription,
            subscriptions::update_subscription
        ))
        .routes(routes!(subscriptions::pause_subscription))
        .routes(routes!(subscriptions::cancel_subscription))
        .routes(routes!(audit_events::list_audit_events))
        .routes(routes!(audit_events::verify_audit_chain))
        .routes(routes!(audit_events::get_audit_event));
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .nest("/v1", v1)
}

/// The complete application router: routes, authentication on `/v1`, and the shared layers
/// (outermost first: request id, trace span, request metrics, problem+json safety net, panic
/// catcher, Server-Timing, deadline, body limit, then per route: the 405 gate, authentication
/// (`/v1`), the audit log, the idempotency guard of writes). `/metrics` is here unless
/// `PGW_METRICS_LISTEN` gives it a listener of its own.
pub fn router(state: AppState) -> Router {
    let (router, mut spec) = routes().split_for_parts();
    let operations = Arc::new(audited::take(&mut spec));
    openapi::document_conventions(&mut spec);
    let spec_json = openapi::render(&spec);
    let request_timeout: Duration = state.config.request_timeout;
    let body_limit = state.config.body_limit_bytes;
    let mut router = router
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            http::idempotency::layer,
        ))
        .route_layer(middleware::from_fn_with_state(
            http::audit::AuditState {
                app: state.clone(),
                operations,
            },
            http::audit::layer,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            http::auth::layer,
        ))
        .route_layer(middleware::from_fn_with_state(
            http::method_gate::AllowedMethods::from_spec(&spec),
            http::method_gate::layer,
        ))
        .merge(docs::router(spec_json));
    if state.config.metrics_listen.is_none() {
        router = router.route(
            http::metrics::PATH,
            axum::routing::get(http::metrics::handler),
        );
    }
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            request_timeout,
            http::timeout::layer,
        ))
        .layer(middleware::from_fn(http::server_timing::layer))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(http::problem_fallback::layer))
        .layer(middleware::from_fn(http::metrics::layer))
        .layer(middleware::from_fn(http::trace::layer))
        .layer(middleware::from_fn(http::request_id::layer))
        .with_state(state)
}

async fn not_found() -> impl IntoResponse {
    ApiError::not_found("no such route")
}
