//! Tests of the simulators: sim_helodata.
