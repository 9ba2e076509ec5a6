//! Subcommands that are not the dashboard: `check`, `timeline`, `man`.

pub mod check;
pub mod man;
pub mod rule_names;
pub mod sources;
pub mod timeline;
