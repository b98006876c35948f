//! The simulator's in-memory account: one [`State`] per router behind a mutex (nothing global, so
//! two simulators in one process are independent), and [`Sim::dispatch`], which runs a handler
//! against it with the scope check and the idempotency store.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use axum::response::Response;

use super::auth::{self, Need, Token};
use super::errors::ApiResult;
use super::idempotency::{IdempotencyStore, Lookup};
use super::invoices::Invoice;
use super::isp::{Batch, InventoryCountry, IspIp};
use super::locations::Country;
use super::orders::Order;
use super::reply::{Reply, Req, render_error};
use super::reports::{Report, ReportRun};
use super::rng::Rng;
use super::sessions::Session;
use super::subscriptions::Subscription;
use super::subusers::SubUser;
use super::traffic::RequestSample;
use super::users::Account;
use super::whitelists::WhitelistEntry;
use super::{KycStatus, RateLimitPlan};

/// A handler: a pure function of the state and the request.
pub type Handler = fn(&mut State, &Req) -> ApiResult<Reply>;

/// Options resolved to concrete values.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    pub rate_limit: RateLimitPlan,
    pub kyc_status: KycStatus,
    /// How long an ISP order (and a replacement IP) stays `provisioning`.
    pub isp_provisioning_ms: u64,
    /// How long a report run stays `running`.
    pub report_run_ms: u64,
    /// The least size of an invoice PDF (see `HelodataSimOptions::invoice_pdf_bytes`).
    pub invoice_pdf_bytes: usize,
}

/// Everything the simulated account holds. Collections are keyed by id; ids are ULIDs, so key
/// order is creation order.
#[derive(Debug)]
pub struct State {
    pub cfg: Config,
    pub rng: Rng,
    /// When the simulator started: the end of the seeded history.
    pub started_at: i64,
    pub account: Account,
    pub tokens: Vec<Token>,
    pub idempotency: IdempotencyStore,
    /// Sub-users, deleted ones included (kept for traffic history, hidden from the API).
    pub subusers: BTreeMap<String, SubUser>,
    /// Every sub-user name ever issued (deleted ones too: a name is never issued twice), so
    /// issuing one does not walk every sub-user.
    pub subuser_names: std::collections::HashSet<String>,
    pub orders: BTreeMap<String, Order>,
    pub batches: BTreeMap<String, Batch>,
    pub ips: BTreeMap<String, IspIp>,
    pub inventory: BTreeMap<String, InventoryCountry>,
    pub subscriptions: BTreeMap<String, Subscription>,
    pub whitelists: BTreeMap<String, WhitelistEntry>,
    pub sessions: BTreeMap<String, Session>,
    /// The sampled request log of each product, newest last.
    pub samples: BTreeMap<String, RequestSample>,
    pub reports: BTreeMap<String, Report>,
    pub runs: BTreeMap<String, ReportRun>,
    pub invoices: BTreeMap<String, Invoice>,
    pub locations: Vec<Country>,
}

impl State {
    /// A live (not deleted) sub-user found by its `sub_` id.
    pub fn subuser(&self, id: &str) -> Option<&SubUser> {
        self.subusers.get(id).filter(|s| s.deleted_at.is_none())
    }

    /// A live sub-user by `sub_` id or by `name` (traffic and requests take either, §10.3).
    pub fn subuser_by_id_or_name(&self, key: &str) -> Option<&SubUser> {
        self.subuser(key).or_else(|| {
            self.subusers
                .values()
                .find(|s| s.deleted_at.is_none() && s.name == key)
        })
    }

    /// Brings time-driven state up to `now_ms`: ISP provisioning, report runs, sessions.
    pub fn advance(&mut self, now_ms: u64) {
        super::isp::advance(self, now_ms);
        super::reports::advance(self, now_ms);
        super::sessions::advance(self, now_ms);
    }
}

/// One simulator instance.
#[derive(Debug)]
pub struct Sim {
    state: Mutex<State>,
}

impl Sim {
    pub fn new(state: State) -> Self {
        Sim {
            state: Mutex::new(state),
        }
    }

    /// The state; a poisoned lock is taken over (handlers never leave it half-written).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `handler` for `req`: scope check, then (for writes) the idempotency store.
    pub fn dispatch(&self, need: Need, handler: Handler, req: Req) -> Response {
        let id = req.ctx.request_id.clone();
        if let Err(e) = auth::check(&req.ctx, need) {
            return render_error(&e, &id);
        }
        let mut st = self.lock();
        st.advance(req.ctx.now_ms);
        let is_write = !matches!(
            req.method,
            axum::http::Method::GET | axum::http::Method::HEAD
        );
        if !is_write {
            return match handler(&mut st, &req) {
                Ok(reply) => reply.into_response(),
                Err(e) => render_error(&e, &id),
            };
        }
        match st.idempotency.lookup(&req) {
            Err(e) => render_error(&e, &id),
            Ok(Lookup::Replay(reply)) => reply.into_response(),
            Ok(Lookup::NoKey) => match handler(&mut st, &req) {
                Ok(reply) => reply.into_response(),
                Err(e) => render_error(&e, &id),
            },
            Ok(Lookup::Fresh { key, fingerprint }) => match handler(&mut st, &req) {
                Ok(reply) => {
                    st.idempotency.remember(&req, key, fingerprint, &reply);
                    reply.into_response()
                }
                Err(e) => render_error(&e, &id),
            },
        }
    }
}
