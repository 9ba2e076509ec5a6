//! Restarts remember: at start-up the alert history puts back what was pending or firing, and
//! the acknowledgements still in force, the way Prometheus restores its `for` state — so a
//! restart neither resets `for` nor drops who is on what. Live data then takes over at once:
//! the next evaluation resolves what is no longer true.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::acks::{Acks, RowId};
use super::book::AlertBook;
use super::event::Event;
use super::rule::Severity;
use super::state::{AlertState, Tracker};
use super::view::{Ack, Scope};
use crate::prom::Labels;

/// How long warroom may have been away for a pending alert's `for` to be restored (as
/// Prometheus's `--rules.alert.for-outage-tolerance`): after a longer gap the condition may
/// have cleared unseen, so the alert starts its `for` again.
pub const OUTAGE_TOLERANCE: Duration = Duration::hours(1);

/// The last recorded state of one alert.
struct Last {
    state: AlertState,
    since: DateTime<Utc>,
    active_since: DateTime<Utc>,
    severity: Severity,
    value: f64,
}

/// Restores `book` and `acks` from `events` (the history, oldest first) at `now`. Returns how
/// many alerts and acknowledgements it put back.
pub fn restore(
    book: &mut AlertBook,
    acks: &mut Acks,
    events: &[Event],
    now: DateTime<Utc>,
) -> (usize, usize) {
    let newest = events.iter().map(Event::at).max();
    let away = newest.map_or(Duration::zero(), |t| now - t);
    let mut last: BTreeMap<(String, Scope, Labels), Last> = BTreeMap::new();
    let mut acked: BTreeMap<RowId, Option<Ack>> = BTreeMap::new();
    for e in events {
        match e {
            Event::Transition { at, rule, scope, labels, to, severity, value, .. } => {
                let k = (rule.clone(), *scope, labels.clone());
                let active_since = match last.get(&k) {
                    Some(l) if l.state.is_active() && to.is_active() => l.active_since,
                    _ => *at,
                };
                let entry = Last {
                    state: *to,
                    since: *at,
                    active_since,
                    severity: *severity,
                    value: *value,
                };
                last.insert(k, entry);
                if !to.is_active() {
                    acked.insert(RowId::new(rule, labels), None);
                }
            }
            Event::Escalation { rule, scope, labels, to, value, .. } => {
                if let Some(l) = last.get_mut(&(rule.clone(), *scope, labels.clone())) {
                    l.severity = *to;
                    l.value = *value;
                }
            }
            // A silence is Alertmanager's to remember; a local acknowledgement is ours.
            Event::Ack { at, rule, labels, by, note, until, silence: None, .. } => {
                let ack = Ack {
                    by: by.clone(),
                    at: *at,
                    note: note.clone(),
                    until: *until,
                    severity: Severity::Warning,
                };
                acked.insert(RowId::new(rule, labels), Some(ack));
            }
            Event::Ack { .. } => {}
            Event::Unack { rule, labels, .. } => {
                acked.insert(RowId::new(rule, labels), None);
            }
            // Alerts counted in a storm record were not recorded one by one: they start over.
            Event::Storm { .. } => {}
        }
    }
    let mut alerts = 0;
    let mut severities: BTreeMap<RowId, Severity> = BTreeMap::new();
    for ((rule, scope, labels), l) in last {
        if scope == Scope::Prometheus || !l.state.is_active() {
            continue; // the sources restore their own alerts
        }
        if l.state == AlertState::Pending && away > OUTAGE_TOLERANCE {
            continue;
        }
        let Some(tracker) =
            Tracker::restored(l.state, l.since, l.active_since, l.severity, l.value)
        else {
            continue;
        };
        let row = RowId::new(&rule, &labels);
        let sev = severities.entry(row).or_insert(l.severity);
        *sev = (*sev).max(l.severity);
        book.restore(&rule, scope, &labels, tracker);
        alerts += 1;
    }
    let mut restored_acks = 0;
    for (row, ack) in acked {
        let Some(mut ack) = ack.filter(|a| a.until.is_none_or(|u| u > now)) else { continue };
        // The severity acknowledged is the one the row had: escalating past it re-alerts.
        ack.severity = severities.get(&row).copied().unwrap_or(Severity::Critical);
        acks.restore(row, ack);
        restored_acks += 1;
    }
    (alerts, restored_acks)
}
