//! Tests of the simulators: sim_helodata. Real HTTP over loopback against `sim::spawn`, checked
//! against `shared/providers/helodata-v1-reference.md` (sections cited as §n).

mod support;

mod auth;
mod determinism;
mod endpoints_account;
mod endpoints_isp;
mod endpoints_orders;
mod endpoints_other;
mod endpoints_subusers;
mod endpoints_traffic;
mod idempotency;
mod pagination;
mod rate_limit;
mod state;
