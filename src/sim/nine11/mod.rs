//! The 911Proxy api-gate-way simulator.

use axum::Router;

use super::SimOptions;

/// 911Proxy-only simulator settings.
#[derive(Clone, Debug, Default)]
pub struct Nine11SimOptions {}

/// The 911Proxy routes, under `/api-gate-way`.
pub fn router(_opts: &SimOptions) -> Router {
    Router::new()
}
