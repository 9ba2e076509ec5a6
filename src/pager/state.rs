//! What the dashboard knows from the pager side: each source's own alerts, Alertmanager's
//! silences, silences being created, and the latest notice — the data the pager's I/O brought.
//! What they mean for the alert list (merging, acknowledgements, history) is the alert
//! domain's (`crate::alert`). Changed only by `update`; pure: time comes in as arguments.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::announce::{Announcement, KEEP_FINISHED};
use super::types::{PromAlert, Silence, SilenceRequest};
use crate::alert::{AlertKey, AlertView, Event};
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
    /// Why its alerts cannot be read (`source down`, `credentials refused (401)`…).
    pub blind: Option<String>,
}

/// What is known of Alertmanager.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AmState {
    /// Active silences.
    pub silences: Vec<Silence>,
    pub last_ok: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// What is known of the team's announced actions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamState {
    /// Other warrooms' announcements, newest first: running ones, and finished ones for
    /// [`KEEP_FINISHED`] after their end.
    pub others: Vec<Announcement>,
    pub last_ok: Option<DateTime<Utc>>,
    /// Why the latest read failed: then actions say "not announced".
    pub error: Option<String>,
    /// The start of this process's run names ([`crate::runbook::Launcher::run_prefix`]): its
    /// own announcements are its runs, already shown.
    pub own_prefix: String,
}

impl TeamState {
    /// Applies one read; returns whether anything shown changed.
    pub fn result(
        &mut self,
        at: DateTime<Utc>,
        result: Result<Vec<Announcement>, PromError>,
    ) -> bool {
        match result {
            Ok(list) => {
                let own = &self.own_prefix;
                let others: Vec<Announcement> = list
                    .into_iter()
                    .filter(|a| own.is_empty() || !a.run.starts_with(own.as_str()))
                    .filter(|a| a.finished.is_none() || a.ends + KEEP_FINISHED > at)
                    .collect();
                let changed = self.others != others || self.error.is_some();
                self.others = others;
                self.last_ok = Some(at);
                self.error = None;
                changed
            }
            Err(e) => failed(&mut self.error, &e),
        }
    }

    /// Other warrooms' announcements of `runbook`'s `key` on `target`, newest first.
    pub fn of_action(&self, (runbook, key, target): (&str, char, &str)) -> Vec<&Announcement> {
        self.others.iter().filter(|a| a.same_action(runbook, key, target)).collect()
    }
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
    pub notice: Option<Notice>,
    /// `Some` when `[alertmanager]` is configured: the team's announced actions.
    pub team: Option<TeamState>,
    /// How often the sources' alerts and the silences are fetched.
    pub interval: Duration,
}

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
                blind: None,
            })
            .collect();
        let alertmanager = config.alertmanager.as_ref().map(|_| AmState::default());
        let team = config.alertmanager.as_ref().map(|_| TeamState::default());
        PagerState { sources, alertmanager, team, interval: config.refresh, ..Default::default() }
    }

    /// Whether `a` creates Alertmanager silences (instead of local acknowledgements).
    pub fn silences_enabled(&self) -> bool {
        self.alertmanager.is_some()
    }

    /// Applies one fetch of a source's alerts; returns the history events it implies (newly
    /// firing, resolved) and whether anything shown changed.
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
                self.sources[i].blind = Some(e.blind_reason());
                return (Vec::new(), changed);
            }
            Ok(alerts) => alerts,
        };
        let before = crate::alert::prom::merged(&self.sources);
        let src = &mut self.sources[i];
        let changed = src.alerts != alerts || src.error.is_some();
        src.alerts = alerts;
        src.last_ok = Some(at);
        src.error = None;
        src.blind = None;
        let after = crate::alert::prom::merged(&self.sources);
        let events = crate::alert::prom::transitions(&before, &after, at);
        let changed = changed || !events.is_empty();
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
            Err(e) => failed(&mut am.error, &e),
        }
    }

    /// Whether a silence began or ended in `(from, to]`: what it covers changed with time alone.
    pub fn silence_edge(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        let within = |t: DateTime<Utc>| from < t && t <= to;
        self.alertmanager
            .as_ref()
            .is_some_and(|am| am.silences.iter().any(|s| within(s.starts_at) || within(s.ends_at)))
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
}

/// Keeps `e` as the latest error; whether that changed what is shown.
fn failed(error: &mut Option<String>, e: &PromError) -> bool {
    let e = Some(e.to_string());
    let changed = *error != e;
    *error = e;
    changed
}

/// The labels a silence for `alert`'s row matches: its labels less `severity` (so it covers the
/// row's warning and critical twins alike), plus `alertname` for local rules.
pub fn matcher_labels(alert: &AlertView) -> Labels {
    let mut labels = (*alert.labels).clone();
    labels.remove("severity");
    labels.entry("alertname".into()).or_insert_with(|| alert.rule.clone());
    labels
}
