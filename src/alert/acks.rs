//! Acknowledgements: the one store of who is on which problem. An acknowledgement belongs to a
//! row of the alert list — one problem, whatever reports it (warroom's rule, each source's own
//! alerting rules, their warning and critical twins) — so it covers every twin at once.
//! Pure: time comes in as arguments.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::event::{Event, UnackReason};
use super::view::{Ack, AlertView, Scope};
use super::Severity;
use crate::prom::Labels;
use crate::sanitize;

/// What makes alerts twins: the rule's name and the labels, less `alertname` and `severity`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowId {
    pub rule: String,
    pub labels: Labels,
}

impl RowId {
    /// The row an alert with this name and these labels (as listed) belongs to.
    pub fn new(rule: &str, labels: &Labels) -> Self {
        let labels = labels
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "alertname" | "severity"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        RowId { rule: rule.to_string(), labels }
    }

    /// The row of a listed alert.
    pub fn of(alert: &AlertView) -> Self {
        Self::new(&alert.rule, &alert.labels)
    }
}

/// Every acknowledgement, by row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Acks {
    by_row: BTreeMap<RowId, Ack>,
    /// Bumped by every change, so the list knows when to rebuild.
    version: u64,
}

impl Acks {
    /// The acknowledgement of `row`, if it is still in force at `now`.
    pub fn get(&self, row: &RowId, now: DateTime<Utc>) -> Option<&Ack> {
        self.by_row.get(row).filter(|a| a.until.is_none_or(|u| u > now))
    }

    /// Changes with every acknowledgement given, withdrawn, restored or ended.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether any acknowledgement lapses at or before `now`.
    pub fn expiring_by(&self, now: DateTime<Utc>) -> bool {
        self.by_row.values().any(|a| a.until.is_some_and(|u| u <= now))
    }

    /// How many rows are acknowledged.
    pub fn len(&self) -> usize {
        self.by_row.len()
    }

    /// Whether nothing is acknowledged.
    pub fn is_empty(&self) -> bool {
        self.by_row.is_empty()
    }

    /// Acknowledges `alert`'s row until `until` (or, when `None`, until it resolves). `None`
    /// when the alert is not pending or firing, or `until` is not after `now`.
    pub fn ack(
        &mut self,
        alert: &AlertView,
        note: Option<String>,
        until: Option<DateTime<Utc>>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Option<Event> {
        if !alert.state.is_active() || until.is_some_and(|u| u <= now) {
            return None;
        }
        let ack = Ack {
            by: sanitize::clean_owned(by),
            at: now,
            note: note.map(|n| sanitize::clean_owned(&n)),
            until,
            severity: alert.severity,
        };
        let event = Event::Ack {
            at: now,
            rule: alert.rule.clone(),
            scope: alert.key.scope,
            labels: (*alert.labels).clone(),
            by: ack.by.clone(),
            note: ack.note.clone(),
            until,
            silence: None,
        };
        self.by_row.insert(RowId::of(alert), ack);
        self.version += 1;
        Some(event)
    }

    /// Puts back an acknowledgement read from the history (at start-up).
    pub fn restore(&mut self, row: RowId, ack: Ack) {
        self.by_row.insert(row, ack);
        self.version += 1;
    }

    /// Forgets `row`'s acknowledgement without an event (its history record says what ended it).
    pub fn forget(&mut self, row: &RowId) {
        if self.by_row.remove(row).is_some() {
            self.version += 1;
        }
    }

    /// Withdraws `alert`'s acknowledgement; `None` when it has none.
    pub fn unack(&mut self, alert: &AlertView, by: &str, now: DateTime<Utc>) -> Option<Event> {
        self.by_row.remove(&RowId::of(alert))?;
        self.version += 1;
        let (rule, scope) = (alert.rule.clone(), alert.key.scope);
        Some(unack_event(rule, scope, &alert.labels, by, now, UnackReason::Withdrawn))
    }

    /// Settles every acknowledgement against the rows now listed (`active` gives each active
    /// row's severity): a row no longer active has done with its acknowledgement (dropped
    /// quietly, unless `unread`: some source's alerts were not read yet, so a missing row may
    /// still come); one past its `until` alerts again (`expired`); one more severe than what
    /// was acknowledged alerts again (`escalated`).
    pub fn settle(
        &mut self,
        active: &BTreeMap<RowId, (Severity, Scope, Labels)>,
        unread: bool,
        now: DateTime<Utc>,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        let before = self.by_row.len();
        self.by_row.retain(|row, ack| {
            let Some((severity, scope, labels)) = active.get(row) else {
                return unread && ack.until.is_none_or(|u| u > now);
            };
            let reason = if ack.until.is_some_and(|u| u <= now) {
                UnackReason::Expired
            } else if *severity > ack.severity {
                UnackReason::Escalated
            } else {
                return true;
            };
            events.push(unack_event(row.rule.clone(), *scope, labels, &ack.by, now, reason));
            false
        });
        if self.by_row.len() != before {
            self.version += 1;
        }
        events
    }
}

fn unack_event(
    rule: String,
    scope: Scope,
    labels: &Labels,
    by: &str,
    at: DateTime<Utc>,
    reason: UnackReason,
) -> Event {
    Event::Unack { at, rule, scope, labels: labels.clone(), by: sanitize::clean_owned(by), reason }
}
