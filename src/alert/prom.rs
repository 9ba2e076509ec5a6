//! Prometheus's own alerts (each source's `/api/v1/alerts`) as the alert list sees them: one
//! alert per label set across sources (HA pairs agree), and the transitions between two fetches
//! that go into the history. The fetching itself is the pager's.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::event::Event;
use super::state::AlertState;
use super::view::{AlertKey, AlertView, Origin, Scope};
use crate::pager::{PromAlert, PromSource, PromState};
use crate::prom::Labels;

/// A Prometheus alert as seen across sources: its latest state and the sources that report it.
pub type Merged = BTreeMap<Labels, (PromAlert, Vec<String>)>;

/// Every source's alerts, one per label set: the most advanced state, the earliest start.
pub fn merged(sources: &[PromSource]) -> Merged {
    let mut out: Merged = BTreeMap::new();
    for src in sources {
        for a in &src.alerts {
            match out.get_mut(&a.labels) {
                None => {
                    out.insert(a.labels.clone(), (a.clone(), vec![src.name.clone()]));
                }
                Some((seen, names)) => {
                    if a.state > seen.state {
                        seen.state = a.state;
                    }
                    seen.active_at = match (seen.active_at, a.active_at) {
                        (Some(x), Some(y)) => Some(x.min(y)),
                        (x, y) => x.or(y),
                    };
                    if !names.contains(&src.name) {
                        names.push(src.name.clone());
                    }
                }
            }
        }
    }
    out
}

/// The merged alerts as listed (without acknowledgement or silence: the list adds those).
pub fn views(merged: &Merged, now: DateTime<Utc>) -> Vec<AlertView> {
    merged
        .iter()
        .map(|(labels, (a, sources))| {
            let labels = Arc::new(labels.clone());
            view(a, sources, labels, now)
        })
        .collect()
}

/// One merged alert as listed; `labels` serve as its key and as its labels.
fn view(a: &PromAlert, sources: &[String], labels: Arc<Labels>, now: DateTime<Utc>) -> AlertView {
    AlertView {
        key: AlertKey {
            rule: a.alertname().to_string(),
            scope: Scope::Prometheus,
            labels: labels.clone(),
        },
        rule: a.alertname().to_string(),
        state: match a.state {
            PromState::Firing => AlertState::Firing,
            PromState::Pending => AlertState::Pending,
        },
        severity: a.severity(),
        since: a.active_at.unwrap_or(now),
        value: a.value,
        value_at: None,
        summary: a.summary().into(),
        runbook: crate::runbook::reference::from_annotations(&a.annotations),
        ack: None,
        origins: vec![Origin::Prometheus { source: sources.join(",") }],
        twins: Vec::new(),
        silence: None,
        labels,
    }
}

/// What changed from `before` to `after`, for the history: newly firing, and resolved (gone
/// after firing).
pub fn transitions(before: &Merged, after: &Merged, at: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    for (labels, (a, _)) in after {
        let was = before.get(labels).map(|(b, _)| b.state);
        if a.state == PromState::Firing && was != Some(PromState::Firing) {
            let from = if was.is_some() { AlertState::Pending } else { AlertState::Inactive };
            events.push(transition(a, at, from, AlertState::Firing));
        }
    }
    for (labels, (b, _)) in before {
        if b.state == PromState::Firing && !after.contains_key(labels) {
            events.push(transition(b, at, AlertState::Firing, AlertState::Resolved));
        }
    }
    events
}

fn transition(a: &PromAlert, at: DateTime<Utc>, from: AlertState, to: AlertState) -> Event {
    Event::Transition {
        at,
        rule: a.alertname().to_string(),
        scope: Scope::Prometheus,
        labels: a.labels.clone(),
        from,
        to,
        severity: a.severity(),
        value: a.value,
        summary: a.summary(),
    }
}
