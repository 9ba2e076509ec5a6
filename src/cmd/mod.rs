//! Subcommands that are not the dashboard: `check`, `timeline`.

pub mod check;
pub mod sources;
pub mod timeline;
