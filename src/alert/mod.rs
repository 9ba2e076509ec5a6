//! The alert engine: threshold rules evaluated over query results, with `for`,
//! `keep_firing_for`, hysteresis, "no data" and "error" as states of their own, acknowledgements,
//! and an append-only history. Pure and deterministic except for [`history`], which owns the file.
//!
//! - [`rule`]: the `[[alerts]]` config entry and its validation.
//! - [`direction`]: which values are bad (above, below, at least, at most, present).
//! - [`state`]: one alert's state machine.
//! - [`book`]: all alerts of all rules, each rule bound to its live query; observe, tick.
//! - [`prom`]: the sources' own alerts, merged across sources.
//! - [`acks`]: acknowledgements, one per row (twins share it).
//! - [`restore`]: what a restart puts back from the history.
//! - [`list`]: the merged, ordered, counted list every widget reads, and whether it is blind.
//! - [`event`]: what happened, as serializable records; [`storm`]: thousands of them as one.
//! - [`view`]: what the interface lists, and in which order.
//! - [`summary`]: summary templates and value formatting.
//! - [`history`]: the JSONL history file.

pub mod acks;
pub mod book;
pub mod direction;
pub mod event;
pub mod history;
pub mod list;
pub mod prom;
pub mod restore;
pub mod rule;
pub mod state;
pub mod storm;
pub mod summary;
pub mod view;

pub use acks::{Acks, RowId};
pub use book::{AlertBook, Observation, Rule, DEFAULT_RESOLVED_RETENTION};
pub use event::{Event, UnackReason};
pub use history::{HistoryLog, HistoryWriter, HISTORY_FILE};
pub use list::{AlertList, Blind};
pub use rule::{Direction, Policy, RuleSpec, Severity};
pub use state::AlertState;
pub use view::{Ack, AlertKey, AlertView, Origin, Scope, SilenceMark};
