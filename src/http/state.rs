//! What every handler and every shared layer can reach. `app` assembles it; `api` and `http`
//! read it.
//!
//! One pointer to clone: axum clones a route's whole layer stack for every request, and each
//! `from_fn_with_state` layer and `State` extractor clones the state again. With the parts as
//! separate `Arc`s that was some thirty atomic reference-count changes per request on counters
//! both worker threads touch, an eighth of the gateway's CPU on the hop read (perf,
//! BENCHMARKS.md); behind one `Arc` it is one change per clone.

use std::ops::Deref;
use std::sync::Arc;

use crate::config::Config;
use crate::providers::registry::Registry;
use crate::services::key_cache::KeyCache;
use crate::services::locations::LocationCache;
use crate::store::Store;

/// The request-independent state of the gateway, shared: its parts are read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

/// The parts of [`AppState`].
pub struct AppStateParts {
    /// The store (API keys, idempotency records, audit events).
    pub store: Store,
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The provider accounts.
    pub providers: Arc<Registry>,
    /// Verified API keys, so authentication rarely reaches the store.
    pub keys: Arc<KeyCache>,
    /// The providers' geo lists, read once per TTL.
    pub locations: Arc<LocationCache>,
}

impl AppState {
    /// Shares `parts` with every request.
    pub fn new(parts: AppStateParts) -> Self {
        AppState(Arc::new(parts))
    }
}

impl Deref for AppState {
    type Target = AppStateParts;

    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}
