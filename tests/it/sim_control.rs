//! Tests of the simulators: sim_control.
