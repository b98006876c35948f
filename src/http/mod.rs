//! The HTTP plumbing shared by every route: request ids, tracing, authentication, extractors
//! that report the wrong field, and the safety net that turns any bare error into problem+json.

pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod method_gate;
pub mod metrics;
pub mod problem_fallback;
pub mod request_id;
pub mod server_timing;
pub mod state;
pub mod timeout;
pub mod trace;
