//! The one integration-test binary: a module per area, one shared helper (`support`) that
//! spawns the app with a fresh database.

mod adapter_helodata;
mod adapter_nine11;
mod allocations;
mod api_errors;
mod api_keys;
mod architecture;
mod audit;
mod deploy;
mod docs;
mod idempotency;
mod key_cache;
mod lifecycle;
mod normalized;
mod schema_conformance;
mod sim_control;
mod sim_helodata;
mod sim_nine11;
mod store_conformance;
mod support;

/// Counts allocations for `allocations.rs`.
#[global_allocator]
static ALLOCATOR: support::alloc::Counting = support::alloc::Counting;
