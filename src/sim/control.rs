//! The simulators' control API under `/__sim`: the call log and fault injection.

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

use super::{SimOptions, SimProvider};

/// Wraps a provider router with the call log and fault injection (when `opts.control` is set).
pub fn wrap(_provider: SimProvider, provider_routes: Router, _opts: &SimOptions) -> Router {
    provider_routes
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
