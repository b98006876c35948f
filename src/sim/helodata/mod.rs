//! The helodata REST v1 simulator: a stateful fake of `https://api.helodata.com/v1` that follows
//! `shared/providers/helodata-v1-reference.md` (sections cited as §n) and the overview's
//! conventions, quirks included.
//!
//! Every endpoint the reference lists is served at its documented path and method, plus the
//! ones it calls very likely (`GET /orders`, `GET /orders/{id}`, `GET /isp/batches/{id}`,
//! `GET /isp/batches/{id}/ips`). Where the documents are silent or contradict each other, the
//! choice is written as one line beside the code that makes it, citing the section.
//!
//! Time: the seeded history ends when the simulator starts; objects created through the API use
//! the wall clock. Asynchronous work (ISP provisioning, replacement IPs, report runs) finishes
//! after a configurable delay, applied lazily when the next request arrives.
//!
//! Errors are `{code, message, request_id, field?}`; every response carries
//! `X-Helodata-Request-Id: req_…` (the gateway's header name, §7.3, the only one documented).
//! Codes: `invalid_argument` 400 (documented), `unauthenticated` 401, `insufficient_balance` 402,
//! `permission_denied` 403, `kyc_required` 403, `not_found` 404, `method_not_allowed` 405,
//! `already_exists` / `failed_precondition` 409, `idempotency_key_reused` 422, `rate_limited`
//! 429 (documented); the undocumented ones follow the gRPC-canonical style of `invalid_argument`.

mod auth;
mod clock;
mod errors;
mod idempotency;
mod input;
mod invoices;
mod isp;
mod locations;
mod orders;
mod pagination;
mod reply;
mod reports;
mod rng;
mod seed;
mod sessions;
mod state;
mod subscriptions;
mod subusers;
mod traffic;
mod users;
mod whitelists;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

pub use auth::{
    MAIN_TOKEN_ID, ORDERS_TOKEN, ORDERS_TOKEN_ID, READ_ONLY_TOKEN, READ_ONLY_TOKEN_ID,
    SUBUSERS_TOKEN, SUBUSERS_TOKEN_ID, TRAFFIC_TOKEN, TRAFFIC_TOKEN_ID, default_extra_tokens,
};

use super::SimOptions;
use auth::Need;
use reply::Req;
use state::{Handler, Sim};

/// helodata-only simulator settings. `Default` gives a generous rate limit, the default extra
/// tokens ([`default_extra_tokens`]), an approved KYC, 3 s ISP provisioning and 1 s report runs.
#[derive(Clone, Debug, Default)]
pub struct HelodataSimOptions {
    /// The per-token API rate limit (RL).
    pub rate_limit: RateLimitPlan,
    /// Tokens accepted besides `SimOptions::api_key` (which has scope `*`). `None` seeds
    /// [`default_extra_tokens`]: `read`, `traffic:read`, `read`+`orders:write`,
    /// `read`+`subusers:write`.
    pub extra_tokens: Option<Vec<SimToken>>,
    /// The account's `kyc_status`; mobile and ISP purchases need `approved` (B-KYC).
    pub kyc_status: KycStatus,
    /// How long an ISP order stays `provisioning` (ORD: "typically 1–5 min"). `None`: 3 s.
    pub isp_provisioning: Option<Duration>,
    /// How long a report run stays `running`. `None`: 1 s.
    pub report_run: Option<Duration>,
    /// Pads every invoice PDF to at least this many bytes (an unreferenced stream object, so
    /// the file stays a valid PDF): large downloads for the gateway's streaming tests.
    pub invoice_pdf_bytes: Option<usize>,
}

/// An extra API token the simulator accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimToken {
    /// The token id used by `/tokens/{token_id}/…` (`tok_…`).
    pub id: String,
    /// The bearer secret.
    pub token: String,
    pub name: String,
    /// Scopes from AUTH: `read`, `subusers:write`, `whitelists:write`, `orders:write`,
    /// `traffic:read`, `reports:write`, `*`.
    pub scopes: Vec<String>,
}

/// Per-token API rate limit: a burst per minute and an optional daily cap (RL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitPlan {
    pub per_minute: u32,
    pub per_day: Option<u32>,
}

impl Default for RateLimitPlan {
    /// An "Enterprise, custom" plan generous enough that no test meets it by accident:
    /// 100,000 per minute, no daily cap.
    fn default() -> Self {
        RateLimitPlan {
            per_minute: 100_000,
            per_day: None,
        }
    }
}

impl RateLimitPlan {
    /// No plan of helodata's: a billion per minute, for `simulate --benchmark`.
    pub fn unmetered() -> Self {
        RateLimitPlan {
            per_minute: 1_000_000_000,
            per_day: None,
        }
    }
    /// Trial: 30/min, 1,000/day.
    pub fn trial() -> Self {
        RateLimitPlan {
            per_minute: 30,
            per_day: Some(1_000),
        }
    }
    /// Starter: 60/min, 10,000/day.
    pub fn starter() -> Self {
        RateLimitPlan {
            per_minute: 60,
            per_day: Some(10_000),
        }
    }
    /// Pro: 600/min.
    pub fn pro() -> Self {
        RateLimitPlan {
            per_minute: 600,
            per_day: None,
        }
    }
    /// Business: 1,200/min.
    pub fn business() -> Self {
        RateLimitPlan {
            per_minute: 1_200,
            per_day: None,
        }
    }
}

/// The account's KYC status (USR `kyc_status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KycStatus {
    #[default]
    Approved,
    NotSubmitted,
    Pending,
    Rejected,
}

impl KycStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KycStatus::Approved => "approved",
            KycStatus::NotSubmitted => "not-submitted",
            KycStatus::Pending => "pending",
            KycStatus::Rejected => "rejected",
        }
    }
}

fn ep(filter: MethodFilter, need: Need, handler: Handler) -> MethodRouter<Arc<Sim>> {
    on(
        filter,
        move |AxumState(sim): AxumState<Arc<Sim>>, req: Req| async move {
            sim.dispatch(need, handler, req)
        },
    )
}

fn get(need: Need, h: Handler) -> MethodRouter<Arc<Sim>> {
    ep(MethodFilter::GET, need, h)
}
fn post(need: Need, h: Handler) -> MethodRouter<Arc<Sim>> {
    ep(MethodFilter::POST, need, h)
}
fn patch(need: Need, h: Handler) -> MethodRouter<Arc<Sim>> {
    ep(MethodFilter::PATCH, need, h)
}
fn delete(need: Need, h: Handler) -> MethodRouter<Arc<Sim>> {
    ep(MethodFilter::DELETE, need, h)
}

/// The helodata routes, under `/v1`.
pub fn router(opts: &SimOptions) -> Router {
    use auth::WHITELISTS_WRITE;
    use auth::{FULL, ORDERS_WRITE, READ, REPORTS_WRITE, SUBUSERS_WRITE, TRAFFIC_READ};

    let sim = Arc::new(Sim::new(seed::build(opts, clock::now())));
    let mut api = Router::new()
        .route(
            "/users/me",
            get(READ, users::get_me).merge(patch(FULL, users::patch_me)),
        )
        .route("/users/me/security", get(READ, users::security))
        .route("/users/me/security/mfa", post(FULL, users::enroll_mfa))
        .route("/tokens/{token_id}/rotate", post(FULL, auth::rotate))
        .route("/tokens/{token_id}", delete(FULL, auth::revoke))
        .route(
            "/subusers",
            get(READ, subusers::list).merge(post(SUBUSERS_WRITE, subusers::create)),
        )
        .route(
            "/subusers/{id}",
            get(READ, subusers::get)
                .merge(patch(SUBUSERS_WRITE, subusers::update))
                .merge(delete(SUBUSERS_WRITE, subusers::remove)),
        )
        .route(
            "/subusers/{id}/rotate-password",
            post(SUBUSERS_WRITE, subusers::rotate_password),
        )
        .route(
            "/orders",
            get(READ, orders::list).merge(post(ORDERS_WRITE, orders::create)),
        )
        .route("/orders/{id}", get(READ, orders::get))
        .route("/isp/batches", get(READ, isp::list_batches))
        .route("/isp/batches/{id}", get(READ, isp::get_batch))
        .route("/isp/batches/{id}/ips", get(READ, isp::list_batch_ips))
        .route("/isp/batches/{id}/renew", post(ORDERS_WRITE, isp::renew))
        .route(
            "/isp/batches/{id}/refresh",
            post(ORDERS_WRITE, isp::refresh),
        )
        .route(
            "/isp/batches/{id}/whitelist",
            get(READ, whitelists::list_batch).merge(post(WHITELISTS_WRITE, whitelists::add_batch)),
        )
        .route(
            "/isp/batches/{id}/whitelist/{entry_id}",
            delete(WHITELISTS_WRITE, whitelists::remove_batch),
        )
        .route(
            "/isp/ips/{ip_id}/replace",
            post(ORDERS_WRITE, isp::replace_ip),
        )
        .route(
            "/isp/ips/{ip_id}/requests",
            get(TRAFFIC_READ, traffic::ip_requests),
        )
        .route("/isp/inventory", get(READ, isp::inventory))
        .route(
            "/subscriptions",
            get(READ, subscriptions::list).merge(post(ORDERS_WRITE, subscriptions::create)),
        )
        .route(
            "/subscriptions/{id}",
            get(READ, subscriptions::get).merge(patch(ORDERS_WRITE, subscriptions::update)),
        )
        .route(
            "/subscriptions/{id}/pause",
            post(ORDERS_WRITE, subscriptions::pause),
        )
        .route(
            "/subscriptions/{id}/cancel",
            post(ORDERS_WRITE, subscriptions::cancel),
        )
        .route(
            "/whitelists",
            get(READ, whitelists::list).merge(post(WHITELISTS_WRITE, whitelists::add)),
        )
        .route(
            "/whitelists/{id}",
            delete(WHITELISTS_WRITE, whitelists::remove),
        )
        .route(
            "/reports",
            get(READ, reports::list).merge(post(REPORTS_WRITE, reports::create)),
        )
        .route(
            "/reports/{id}",
            get(READ, reports::get)
                .merge(patch(REPORTS_WRITE, reports::update))
                .merge(delete(REPORTS_WRITE, reports::remove)),
        )
        .route("/reports/{id}/run", post(REPORTS_WRITE, reports::run))
        .route("/reports/runs/{id}", get(READ, reports::get_run))
        .route("/residential/locations", get(READ, locations::list))
        .route("/invoices", get(READ, invoices::list))
        .route("/invoices/{id}/pdf", get(READ, invoices::pdf));
    for product in traffic::PRODUCTS {
        api = api
            .route(
                &format!("/{product}/traffic"),
                get(TRAFFIC_READ, traffic::traffic),
            )
            .route(
                &format!("/{product}/requests"),
                get(TRAFFIC_READ, traffic::requests),
            );
    }
    // ISP has no sessions API (SES).
    for product in sessions::PRODUCTS {
        api = api
            .route(&format!("/{product}/sessions"), get(READ, sessions::list))
            .route(
                &format!("/{product}/sessions/{{id}}"),
                get(READ, sessions::get).merge(delete(SUBUSERS_WRITE, sessions::end)),
            );
    }
    let api = api
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            auth::middleware,
        ))
        .with_state(sim.clone());
    Router::new().nest("/v1", api).route(
        "/report-files/{run}/{file}",
        axum::routing::get(report_file).with_state(sim),
    )
}

/// A run's file at its pre-signed URL: no bearer token, the signature in `sig`.
async fn report_file(
    AxumState(sim): AxumState<Arc<Sim>>,
    axum::extract::Path((run, file)): axum::extract::Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let now_ms = clock::now_ms();
    let mut st = sim.lock();
    st.advance(now_ms);
    let sig = query.get("sig").map(String::as_str).unwrap_or_default();
    match reports::file(
        &mut st,
        &run,
        &file,
        sig,
        i64::try_from(now_ms / 1000).unwrap_or(0),
    ) {
        Some(csv) => ([(axum::http::header::CONTENT_TYPE, "text/csv")], csv).into_response(),
        None => (axum::http::StatusCode::FORBIDDEN, "the link is not valid").into_response(),
    }
}

/// Unknown paths: a bare 404 that the middleware renders in helodata's error shape.
async fn not_found() -> axum::http::StatusCode {
    axum::http::StatusCode::NOT_FOUND
}
