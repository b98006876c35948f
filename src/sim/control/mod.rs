//! The simulators' control API under `/__sim`: the call log and fault injection that the
//! gateway's resilience and idempotency tests depend on.
//!
//! - `GET /__sim/calls[?path=&method=&since=]`: `{"calls":[…],"dropped":N}`, oldest first (the
//!   last [`calls::MAX_CALLS`] calls); `DELETE /__sim/calls` empties it.
//! - `POST /__sim/faults` adds a rule (201, the rule with its `id`), `GET /__sim/faults` lists
//!   the active ones, `DELETE /__sim/faults` removes all, `DELETE /__sim/faults/{id}` one.
//!
//!
//! A rule: `kind`, optional `path` (exact, or a prefix ending in `*`), `method`, `phase`
//! (`before`, the default, or `after`: the provider handler runs first), and `times` (the next N
//! matching calls) or `fraction` (with an optional `seed`); with neither, every matching call.
//! The first rule that matches and fires is applied and recorded in the call's `fault`.
//!
//! ```json
//! {"kind":"latency","ms":2000,"phase":"after","path":"/v1/orders","method":"POST","times":1}
//! {"kind":"http_error","status":503,"body":{"error":"upstream"},"fraction":0.2,"seed":7}
//! {"kind":"rate_limit","retry_after":5}
//! {"kind":"close","phase":"after","path":"/api-gate-way/*"}
//! {"kind":"hang"}
//! {"kind":"malformed_json","phase":"after"}
//! {"kind":"provider_error","code":156}
//! {"kind":"provider_error","code":"insufficient_balance","field":"amount"}
//! ```
//!
//! Served only when `SimOptions::control` is set; otherwise nothing is recorded and `/__sim`
//! paths reach the provider routes like any other path. The state belongs to one simulator:
//! two simulators in one process share nothing. `close` and `hang` need [`serve`] to drop a
//! connection without an answer.

mod api;
pub mod calls;
pub mod faults;
mod intercept;
pub mod provider_errors;
mod serve;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde_json::Value;

use super::{SimOptions, SimProvider};
use calls::{CallFilter, CallLog, CallRecord};
use faults::{AppliedFault, FaultRuleView, FaultSet, FieldError};
pub use serve::{AbortConnection, SHUTDOWN_GRACE, ServerStopping, serve};

/// Wraps a provider router with the call log and fault injection (when `opts.control` is set).
pub fn wrap(provider: SimProvider, provider_routes: Router, opts: &SimOptions) -> Router {
    wrap_with_control(provider, provider_routes, opts).0
}

/// As [`wrap`], also returning the in-process handle on the control state (`None` when
/// `opts.control` is off).
pub fn wrap_with_control(
    provider: SimProvider,
    provider_routes: Router,
    opts: &SimOptions,
) -> (Router, Option<Control>) {
    if !opts.control {
        return (provider_routes, None);
    }
    let control = Control::new(provider, opts.seed);
    // Around the provider router as a whole, so calls to paths it does not know are logged too.
    let provider = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            control.clone(),
            intercept::intercept,
        ))
        .service(provider_routes);
    let app = api::routes(control.clone()).fallback_service(provider);
    (app, Some(control))
}

/// The control state of one simulator: the same operations as the HTTP API, for in-process
/// tests. Cheap to clone; clones share the state.
#[derive(Clone, Debug)]
pub struct Control {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    provider: SimProvider,
    seed: u64,
    state: Mutex<State>,
}

/// What becomes of a call that arrived.
enum Fate {
    /// The handler serves it, with this fault applied, if any.
    Serve(Option<AppliedFault>),
    /// Its endpoint is closed (`POST /__sim/closed`): answered as a path the provider does not
    /// serve.
    Closed,
}

#[derive(Debug, Default)]
struct State {
    calls: CallLog,
    faults: FaultSet,
    /// Paths answered as if the provider did not serve them (`POST /__sim/closed`).
    closed: std::collections::BTreeSet<String>,
}

impl Control {
    fn new(provider: SimProvider, seed: u64) -> Self {
        Control {
            inner: Arc::new(Inner {
                provider,
                seed,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The provider whose error style injected faults use.
    pub fn provider(&self) -> SimProvider {
        self.inner.provider
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across a panic elsewhere: every update is one push or swap.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Logs a call and, when `faultable`, picks its fault in the same step, so the log order
    /// and the rules' counters agree.
    /// A call to a closed endpoint picks no fault: it is answered as closed.
    fn arrive(&self, mut call: CallRecord, faultable: bool) -> (u64, Fate) {
        let mut state = self.state();
        if state.closed.contains(&call.path) {
            return (state.calls.push(call), Fate::Closed);
        }
        let fault = if faultable {
            state.faults.pick(&call.method, &call.path)
        } else {
            None
        };
        call.fault = fault.clone();
        (state.calls.push(call), Fate::Serve(fault))
    }

    fn complete(&self, seq: u64, status: Option<u16>, elapsed: Duration) {
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self.state().calls.complete(seq, status, ms);
    }

    /// Every logged call, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.calls_filtered(&CallFilter::default()).0
    }

    /// The calls `filter` accepts, and how many were dropped to keep the log bounded.
    pub fn calls_filtered(&self, filter: &CallFilter) -> (Vec<CallRecord>, u64) {
        let state = self.state();
        (state.calls.list(filter), state.calls.dropped())
    }

    /// Empties the call log; returns how many calls it held. `seq` keeps counting.
    pub fn clear_calls(&self) -> usize {
        self.state().calls.clear()
    }

    /// Adds a fault rule given as the JSON `POST /__sim/faults` takes.
    pub fn add_fault(&self, rule: &Value) -> Result<FaultRuleView, FieldError> {
        let rule = faults::parse_rule(self.inner.provider, rule)?;
        Ok(self.state().faults.add(rule, self.inner.seed))
    }

    /// The active fault rules, in the order they are checked.
    pub fn faults(&self) -> Vec<FaultRuleView> {
        self.state().faults.list()
    }

    /// Removes every fault rule; returns how many there were.
    pub fn clear_faults(&self) -> usize {
        self.state().faults.clear()
    }

    /// Closes the endpoint at `path` (e.g. `/api-gate-way/user/info`, which 911 documents as
    /// "Not yet open"): until reopened it answers as a path the provider does not serve, HTTP
    /// 404 with no body, and no handler runs. The call is still logged.
    pub fn close_endpoint(&self, path: &str) -> Result<(), FieldError> {
        if !path.starts_with('/') || path.starts_with("/__sim") {
            return Err(FieldError::new(
                "path",
                "must be a provider path starting with '/', e.g. /api-gate-way/user/info",
            ));
        }
        self.state().closed.insert(path.to_string());
        Ok(())
    }

    /// Reopens every closed endpoint; returns how many there were.
    pub fn reopen_endpoints(&self) -> usize {
        std::mem::take(&mut self.state().closed).len()
    }

    /// The closed endpoints' paths, sorted.
    pub fn closed_endpoints(&self) -> Vec<String> {
        self.state().closed.iter().cloned().collect()
    }

    /// Removes fault rule `id`; false when no active rule has it.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.state().faults.remove(id)
    }
}
