//! The helodata REST v1 simulator.

use axum::Router;

use super::SimOptions;

/// helodata-only simulator settings.
#[derive(Clone, Debug, Default)]
pub struct HelodataSimOptions {}

/// The helodata routes, under `/v1`.
pub fn router(_opts: &SimOptions) -> Router {
    Router::new()
}
