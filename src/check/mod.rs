//! Checks `warroom check` runs beyond parsing: the configured sources, live.

pub mod sources;

pub use sources::{check_config_sources, check_sources, CHECK_DEADLINE};
