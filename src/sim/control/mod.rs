//! The simulators' control API under `/__sim`: the call log and fault injection.

mod serve;

use axum::Router;

use super::{SimOptions, SimProvider};
pub use serve::{AbortConnection, SHUTDOWN_GRACE, ServerStopping, serve};

/// Wraps a provider router with the call log and fault injection (when `opts.control` is set).
pub fn wrap(_provider: SimProvider, provider_routes: Router, _opts: &SimOptions) -> Router {
    provider_routes
}
