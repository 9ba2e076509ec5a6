//! The dashboard's configuration: sources, panels, alert rules, environment, theme, state.
//!
//! `model.rs` holds the serde structs; `load.rs` finds, parses and validates a file and merges
//! command-line overrides; `validate.rs` reports what serde cannot check, with file, line and a
//! fix; `columns.rs` the extra columns of table panels.

mod columns;
mod load;
mod model;
mod typos;
mod validate;

pub use columns::{column_line, ColumnSpec};
pub use load::{
    default_state_dir, env_folder, load, load_str, resolve_path, validate, ConfigFile, Overrides,
    DEFAULT_CONFIG,
};
pub use model::*;
