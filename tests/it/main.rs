//! The one integration-test binary: a module per area.

mod sim_control;
mod sim_helodata;
mod sim_nine11;
