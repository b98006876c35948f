//! What every handler and every shared layer can reach. `app` assembles it; `api` and `http`
//! read it. Cheap to clone: everything inside is shared.

use std::sync::Arc;

use crate::config::Config;
use crate::providers::registry::Registry;
use crate::services::key_cache::KeyCache;
use crate::services::locations::LocationCache;
use crate::store::Store;

/// The request-independent state of the gateway.
#[derive(Clone)]
pub struct AppState {
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
