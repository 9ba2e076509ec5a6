//! Agreement with the pager: Prometheus's own alerts (`/api/v1/alerts` of each source) listed
//! beside warroom's rules, Alertmanager's silences shown on the alerts they cover, and `a`
//! creating a silence in Alertmanager when one is configured.
//!
//! - [`types`]: Prometheus alerts, silences and their matchers, silence requests.
//! - [`api`]: the HTTP calls and their decoding.
//! - [`tasks`]: pollers and silence creation, reporting as messages.
//! - [`state`]: what the model holds, and the merged alert list.
//! - [`announce`], [`team`]: runbook actions announced to the team, read back, and the single
//!   flight across bastions they allow.

pub mod announce;
pub mod api;
pub mod state;
pub mod tasks;
pub mod team;
pub mod types;

pub use announce::{Announcement, Finish};
pub use team::{Claim, Team};

pub use state::{matcher_labels, AmState, Notice, PagerState, PromSource, TeamState};
pub use tasks::{create_silence, fetch_once, PagerMsg, PagerSetup, PagerTasks};
pub use types::{
    severity_of, Matcher, PromAlert, PromState, Silence, SilenceRequest, SUMMARY_ANNOTATIONS,
};

/// How long a silence made for an alert acknowledged "until resolved" lasts: Alertmanager
/// needs an end.
pub const UNTIL_RESOLVED_SILENCE: chrono::Duration = chrono::Duration::hours(1);
