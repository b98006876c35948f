//! The helodata adapter against the helodata simulator over real HTTP, built exactly as the
//! registry builds it (`UpstreamClient::new` + `HelodataAdapter::new`). What the adapter sent
//! is read back from the simulator's call log (`GET /__sim/calls`); failures are injected with
//! `POST /__sim/faults`.

mod support;

mod errors;
mod lifecycle;
mod listing;
mod money;
mod usage;
mod validation;
mod writes;
