//! The 911Proxy api-gate-way simulator: every endpoint of `911proxy-openapi.txt` plus the
//! whitelist endpoints of `911proxy-notes.md`, over deterministic in-memory state.
//!
//! It follows the provider documents, quirks included: HTTP 200 on every answer, a `code` that is
//! 200 on the older endpoints and 0 on the newer ones, `msg` or `message` as each endpoint's example
//! shows, traffic in KB, limits in GB and naive `Y-m-d H:i:s` times in UTC+8. Each choice made where
//! the documents are silent or contradict each other is a one-line comment beside the code.
//!
//! Layout: [`router`] lists the routes; `endpoint` runs the steps every route shares (auth,
//! real-name check, envelope); `handlers_*` hold one area each; `state` and `seed` hold the world.

mod clock;
mod endpoint;
mod envelope;
mod geo;
mod handlers_accounts;
mod handlers_ip;
mod handlers_orders;
mod handlers_products;
mod handlers_usage;
mod handlers_whitelist;
mod request;
mod seed;
mod state;
mod validate;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use time::OffsetDateTime;

use super::SimOptions;
use endpoint::{LEGACY, LEGACY_KYC, MODERN, MODERN_MSG, route};
use state::Shared;

/// 911Proxy-only simulator settings.
#[derive(Clone, Debug, Default)]
pub struct Nine11SimOptions {
    /// Pins the simulator's clock to this instant (tests); `None` follows the system clock.
    pub now: Option<OffsetDateTime>,
    /// Simulates an account without real-name verification: account writes, whitelist writes and
    /// extraction answer code 156, and `user/info` says `is_real_name: false`.
    pub not_real_name_verified: bool,
}

/// The 911Proxy routes, under `/api-gate-way`.
pub fn router(opts: &SimOptions) -> Router {
    let s = Arc::new(Shared::new(opts));
    let p = |path: &str| format!("/api-gate-way/{path}");
    Router::new()
        // Proxy accounts.
        .route(
            &p("whitelist-account/list"),
            get(route(&s, LEGACY, handlers_accounts::list)),
        )
        .route(
            &p("whitelist-account/add"),
            post(route(&s, LEGACY_KYC, handlers_accounts::add)),
        )
        .route(
            &p("whitelist-account/delete"),
            post(route(&s, LEGACY_KYC, handlers_accounts::delete)),
        )
        .route(
            &p("whitelist-account/disable"),
            post(route(&s, LEGACY_KYC, handlers_accounts::disable)),
        )
        .route(
            &p("whitelist-account/enable"),
            post(route(&s, LEGACY_KYC, handlers_accounts::enable)),
        )
        .route(
            &p("whitelist-account/change-password"),
            post(route(&s, LEGACY_KYC, handlers_accounts::change_password)),
        )
        .route(
            &p("whitelist-account/change-remark"),
            post(route(&s, LEGACY_KYC, handlers_accounts::change_remark)),
        )
        .route(
            &p("whitelist-account/change-limit"),
            post(route(&s, LEGACY_KYC, handlers_accounts::change_limit)),
        )
        // Traffic.
        .route(
            &p("user-usage-flow/total"),
            get(route(&s, LEGACY, handlers_usage::total)),
        )
        // Packages.
        .route(
            &p("user-product/list"),
            get(route(&s, LEGACY, handlers_products::list)),
        )
        .route(
            &p("user-product/summary"),
            get(route(&s, LEGACY, handlers_products::summary)),
        )
        // IP extraction, geo lists, static IPs.
        .route(
            &p("ip/v3"),
            get(route(&s, LEGACY_KYC, handlers_ip::extract)),
        )
        .route(
            &p("ip/dynamic-citys"),
            get(route(&s, LEGACY, handlers_ip::cities)),
        )
        .route(
            &p("ip/dynamic-citys/search"),
            get(route(&s, LEGACY, handlers_ip::city_search)),
        )
        .route(
            &p("ip/dynamic-states"),
            get(route(&s, LEGACY, handlers_ip::states)),
        )
        .route(
            &p("ip/dynamic-states/search"),
            get(route(&s, LEGACY, handlers_ip::state_search)),
        )
        .route(
            &p("ip/get-static-ip"),
            get(route(&s, LEGACY, handlers_ip::static_ips)),
        )
        .route(
            &p("static-ip-region"),
            get(route(&s, LEGACY, handlers_ip::static_region)),
        )
        // Orders, payment, marketing, user.
        .route(
            &p("order/list"),
            get(route(&s, MODERN, handlers_orders::list)),
        )
        .route(
            &p("order/create"),
            post(route(&s, MODERN, handlers_orders::create)),
        )
        .route(
            &p("order/close"),
            post(route(&s, MODERN, handlers_orders::close)),
        )
        .route(
            &p("user/info"),
            get(route(&s, MODERN, handlers_orders::user_info)),
        )
        .route(
            &p("payment/groups"),
            get(route(&s, MODERN, handlers_orders::payment_groups)),
        )
        .route(
            &p("activity/balance-recharge-gift-ratio"),
            get(route(&s, MODERN_MSG, handlers_orders::gift_ratio)),
        )
        // Source-IP whitelist (notes, [SIB]).
        .route(
            &p("proxy-ip/list"),
            get(route(&s, LEGACY, handlers_whitelist::list)),
        )
        .route(
            &p("proxy-ip/add"),
            post(route(&s, LEGACY_KYC, handlers_whitelist::add)),
        )
        .route(
            &p("proxy-ip/delete"),
            post(route(&s, LEGACY_KYC, handlers_whitelist::delete)),
        )
        .route(
            &p("white-ip/quota"),
            get(route(&s, LEGACY, handlers_whitelist::quota)),
        )
}
