//! What the dashboard knows from the pager side: each source's own alerts, Alertmanager's
//! silences, silences being created, local acknowledgements of Prometheus's alerts, and the
//! latest notice. Changed only by `update`; pure: time comes in as arguments.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::types::{PromAlert, PromState, Silence, SilenceRequest};
use crate::alert::{
    Ack, AlertKey, AlertState, AlertView, Event, Origin, Scope, SilenceMark, UnackReason,
};
use crate::config::Config;
use crate::prom::{Labels, PromError};
use crate::sanitize;

/// One source whose own alerts are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct PromSource {
    /// Index into the config's sources.
    pub index: usize,
    pub name: String,
    /// Its latest alerts (kept while it fails, so a blip does not resolve everything).
    pub alerts: Vec<PromAlert>,
    pub last_ok: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// What is known of Alertmanager.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AmState {
    /// Active silences.
    pub silences: Vec<Silence>,
    pub last_ok: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// Something the pager side tells the engineer (a silence made or refused).
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub at: DateTime<Utc>,
    pub text: String,
    /// A failure: shown as a warning, and for longer.
    pub problem: bool,
}

/// The pager side of the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PagerState {
    pub sources: Vec<PromSource>,
    /// `Some` when `[alertmanager]` is configured.
    pub alertmanager: Option<AmState>,
    /// Silences being created, by alert.
    pub silencing: BTreeMap<AlertKey, SilenceRequest>,
    /// Local acknowledgements of Prometheus's alerts, by their labels.
    pub acks: BTreeMap<Labels, Ack>,
    pub notice: Option<Notice>,
}

/// A Prometheus alert as seen across sources: the sources that report it and its latest state.
type Merged = BTreeMap<Labels, (PromAlert, Vec<String>)>;

impl PagerState {
    /// Empty state for the sources and Alertmanager the config names.
    pub fn new(config: &Config) -> Self {
        let sources = config
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.fetch_alerts)
            .map(|(index, s)| PromSource {
                index,
                name: s.name.clone(),
                alerts: Vec::new(),
                last_ok: None,
                error: None,
            })
            .collect();
        let alertmanager = config.alertmanager.as_ref().map(|_| AmState::default());
        PagerState { sources, alertmanager, ..Default::default() }
    }

    /// Whether `a` creates Alertmanager silences (instead of local acknowledgements).
    pub fn silences_enabled(&self) -> bool {
        self.alertmanager.is_some()
    }

    /// Applies one fetch of a source's alerts; returns the history events it implies: newly
    /// firing, resolved (gone after firing), and local acknowledgements that expired.
    pub fn prom_result(
        &mut self,
        source: usize,
        at: DateTime<Utc>,
        result: Result<Vec<PromAlert>, PromError>,
    ) -> (Vec<Event>, bool) {
        let Some(i) = self.sources.iter().position(|s| s.index == source) else {
            return (Vec::new(), false);
        };
        let alerts = match result {
            Err(e) => {
                let error = Some(e.to_string());
                let changed = self.sources[i].error != error;
                self.sources[i].error = error;
                return (Vec::new(), changed);
            }
            Ok(alerts) => alerts,
        };
        let before = self.merged();
        let src = &mut self.sources[i];
        let mut changed = src.alerts != alerts || src.error.is_some();
        src.alerts = alerts;
        src.last_ok = Some(at);
        src.error = None;
        let after = self.merged();
        let mut events = Vec::new();
        for (labels, (a, _)) in &after {
            let was = before.get(labels).map(|(b, _)| b.state);
            if a.state == PromState::Firing && was != Some(PromState::Firing) {
                let from = if was.is_some() { AlertState::Pending } else { AlertState::Inactive };
                events.push(transition(a, at, from, AlertState::Firing));
            }
        }
        for (labels, (b, _)) in &before {
            if b.state == PromState::Firing && !after.contains_key(labels) {
                events.push(transition(b, at, AlertState::Firing, AlertState::Resolved));
            }
        }
        self.acks.retain(|labels, ack| {
            let Some((a, _)) = after.get(labels) else {
                return false; // gone: the acknowledgement has done its job
            };
            if ack.until.is_some_and(|u| u <= at) {
                events.push(Event::Unack {
                    at,
                    rule: a.alertname().to_string(),
                    scope: Scope::Prometheus,
                    labels: labels.clone(),
                    by: ack.by.clone(),
                    reason: UnackReason::Expired,
                });
                return false;
            }
            true
        });
        changed |= !events.is_empty();
        (events, changed)
    }

    /// Applies one fetch of Alertmanager's silences.
    /// Returns whether anything shown changed.
    pub fn silences_result(
        &mut self,
        at: DateTime<Utc>,
        result: Result<Vec<Silence>, PromError>,
    ) -> bool {
        let Some(am) = self.alertmanager.as_mut() else {
            return false;
        };
        match result {
            Ok(silences) => {
                let changed = am.silences != silences || am.error.is_some();
                am.silences = silences;
                am.last_ok = Some(at);
                am.error = None;
                changed
            }
            Err(e) => {
                let error = Some(e.to_string());
                let changed = am.error != error;
                am.error = error;
                changed
            }
        }
    }

    /// Acknowledges a pending or firing Prometheus alert here only; `None` when it is not listed.
    pub fn ack(
        &mut self,
        key: &AlertKey,
        note: Option<String>,
        until: Option<DateTime<Utc>>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Option<Event> {
        if key.scope != Scope::Prometheus || until.is_some_and(|u| u <= now) {
            return None;
        }
        let (alert, _) = self.merged().remove(&key.labels)?;
        let ack = Ack {
            by: sanitize::clean_owned(by),
            at: now,
            note: note.map(|n| sanitize::clean_owned(&n)),
            until,
            severity: alert.severity(),
        };
        let event = Event::Ack {
            at: now,
            rule: alert.alertname().to_string(),
            scope: Scope::Prometheus,
            labels: key.labels.clone(),
            by: ack.by.clone(),
            note: ack.note.clone(),
            until,
            silence: None,
        };
        self.acks.insert(key.labels.clone(), ack);
        Some(event)
    }

    /// Every source's alerts as listed, one row per label set (HA pairs agree), marked with
    /// their local acknowledgement.
    pub fn prom_views(&self, now: DateTime<Utc>) -> Vec<AlertView> {
        self.merged()
            .into_iter()
            .map(|(labels, (a, sources))| AlertView {
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
                summary: a.summary(),
                runbook: None,
                ack: self.acks.get(&labels).filter(|k| k.until.is_none_or(|u| u > now)).cloned(),
                origin: Origin::Prometheus { source: sources.join(",") },
                silence: None,
                labels,
            })
            .collect()
    }

    /// `local` alerts and Prometheus's, each marked with the silence that covers it, in
    /// display order.
    pub fn merge(&self, local: Vec<AlertView>, now: DateTime<Utc>) -> Vec<AlertView> {
        let mut all = local;
        all.extend(self.prom_views(now));
        for a in &mut all {
            a.silence = self.silence_for(a, now);
        }
        all.sort_by(crate::alert::view::display_order);
        all
    }

    /// The silence (made, or being made) that covers `alert`. Local alerts are matched with
    /// `alertname` set to their rule's name, as their silences are made.
    pub fn silence_for(&self, alert: &AlertView, now: DateTime<Utc>) -> Option<SilenceMark> {
        if let Some(req) = self.silencing.get(&alert.key) {
            return Some(SilenceMark {
                id: None,
                by: req.created_by.clone(),
                until: req.ends_at,
                comment: req.comment.clone(),
            });
        }
        let am = self.alertmanager.as_ref()?;
        let labels = matcher_labels(alert);
        am.silences.iter().filter(|s| s.covers(&labels, now)).max_by_key(|s| s.ends_at).map(|s| {
            SilenceMark {
                id: Some(s.id.clone()),
                by: s.created_by.clone(),
                until: s.ends_at,
                comment: s.comment.clone(),
            }
        })
    }

    /// A problem worth a line under the alert list: a failing alerts fetch or Alertmanager.
    pub fn problem(&self) -> Option<String> {
        let src = self.sources.iter().find_map(|s| {
            s.error.as_ref().map(|e| format!("alerts of {}: {e}", sanitize::clean(&s.name)))
        });
        let am = self
            .alertmanager
            .as_ref()
            .and_then(|a| a.error.as_ref())
            .map(|e| format!("Alertmanager: {e}"));
        src.or(am)
    }

    fn merged(&self) -> Merged {
        let mut out: Merged = BTreeMap::new();
        for src in &self.sources {
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
}

/// The labels a silence for `alert` matches: its labels, plus `alertname` for local rules.
pub fn matcher_labels(alert: &AlertView) -> Labels {
    let mut labels = alert.labels.clone();
    labels.entry("alertname".into()).or_insert_with(|| alert.rule.clone());
    labels
}

/// Counts over listed alerts: (firing, firing that nobody acknowledged or silenced).
pub fn firing_counts(alerts: &[AlertView]) -> (usize, usize) {
    let firing = alerts.iter().filter(|a| a.state.is_firing());
    let unhandled = firing.clone().filter(|a| !a.is_handled()).count();
    (firing.count(), unhandled)
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
