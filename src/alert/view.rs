//! What the interface sees of an alert, and the order it is listed in.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::prom::Labels;

use super::rule::Severity;
use super::state::AlertState;

/// Whether an alert is about one series or about the rule's query as a whole.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One series of the answer (identified by its labels).
    #[default]
    Series,
    /// The query itself: "no data" or "error" when there is no series to speak of.
    Query,
    /// An alert of a Prometheus-compatible source's own alerting rules (`/api/v1/alerts`);
    /// `rule` is its `alertname` and `labels` are all its labels.
    Prometheus,
}

/// Identifies one alert. `labels` are the series' own labels (empty for [`Scope::Query`]),
/// before the rule's extra labels are added.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertKey {
    pub rule: String,
    pub scope: Scope,
    /// Shared with the alert book: listing a storm copies no labels.
    pub labels: Arc<Labels>,
}

/// An acknowledgement: someone is on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    /// Who acknowledged (control characters removed).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Optional note (control characters removed).
    pub note: Option<String>,
    /// When the acknowledgement lapses; `None`: until the alert resolves.
    pub until: Option<DateTime<Utc>>,
    /// The severity that was acknowledged; becoming more severe re-alerts.
    pub severity: Severity,
}

/// Where an alert is evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// By warroom, from a `[[alerts]]` rule.
    #[default]
    Local,
    /// By a source's own alerting rules; `source` names it (several when they agree).
    Prometheus { source: String },
}

/// An Alertmanager silence covering an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceMark {
    /// The silence's id; `None` while it is being created.
    pub id: Option<String>,
    /// Who created it.
    pub by: String,
    pub until: DateTime<Utc>,
    pub comment: String,
}

/// One alert as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    /// Pass this back to [`super::AlertBook::ack`].
    pub key: AlertKey,
    /// The rule's name.
    pub rule: String,
    /// The series' labels with the rule's extra labels added. Raw: clean them before display.
    /// Shared with the alert book.
    pub labels: Arc<Labels>,
    pub state: AlertState,
    pub severity: Severity,
    /// When the shown state began.
    pub since: DateTime<Utc>,
    /// The latest value; `NaN` when there is none (no data, error).
    pub value: f64,
    /// When that value was seen; compare with the model's `now` to show staleness.
    pub value_at: Option<DateTime<Utc>>,
    /// The rendered summary, free of control characters (shared with the alert book).
    pub summary: Arc<str>,
    /// The rule's runbook id.
    pub runbook: Option<String>,
    /// Boxed, as most rows of a storm have none: a row stays small.
    pub ack: Option<Box<Ack>>,
    /// Who reports it: warroom's rule and/or sources' own alerting rules (twins merged into one
    /// row list every origin, warroom first).
    pub origins: Vec<Origin>,
    /// The keys of the twins merged into this row (besides `key`, the row's lead).
    pub twins: Vec<AlertKey>,
    /// The Alertmanager silence covering it, if any (boxed like `ack`).
    pub silence: Option<Box<SilenceMark>>,
}

impl AlertView {
    /// Someone is on it: acknowledged here, or silenced in Alertmanager.
    pub fn is_handled(&self) -> bool {
        self.ack.is_some() || self.silence.is_some()
    }

    /// Whether warroom's own rule reports it.
    pub fn is_local(&self) -> bool {
        self.origins.contains(&Origin::Local)
    }

    /// The sources whose own alerting rules report it, as `prom:NAME` tags.
    pub fn prom_tags(&self) -> Vec<String> {
        self.origins
            .iter()
            .filter_map(|o| match o {
                Origin::Local => None,
                Origin::Prometheus { source } => Some(format!("prom:{source}")),
            })
            .collect()
    }

    /// The display group: 0 firing critical, 1 firing warning, 2 no data or error,
    /// 3 pending, 4 resolved (5 inactive, never listed).
    pub fn group(&self) -> u8 {
        match (self.state, self.severity) {
            (AlertState::Firing, Severity::Critical) => 0,
            (AlertState::Firing, Severity::Warning) => 1,
            (AlertState::NoData | AlertState::Error, _) => 2,
            (AlertState::Pending, _) => 3,
            (AlertState::Resolved, _) => 4,
            (AlertState::Inactive, _) => 5,
        }
    }
}

/// Display order: by [`AlertView::group`], un-acknowledged before acknowledged, then the
/// longest-standing first (for resolved alerts: the most recently cleared first), then by rule
/// and labels so the order is stable.
pub fn display_order(a: &AlertView, b: &AlertView) -> Ordering {
    display_rank(a, b).then_with(|| a.key.cmp(&b.key))
}

/// [`display_order`] without its last tie-break (the key): for a stable sort of alerts that are
/// already in key order, which then costs no label comparisons.
pub fn display_rank(a: &AlertView, b: &AlertView) -> Ordering {
    let by_since =
        if a.state == AlertState::Resolved { b.since.cmp(&a.since) } else { a.since.cmp(&b.since) };
    a.group().cmp(&b.group()).then(a.is_handled().cmp(&b.is_handled())).then(by_since)
}
