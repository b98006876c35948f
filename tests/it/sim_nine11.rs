//! Tests of the simulators: sim_nine11.
