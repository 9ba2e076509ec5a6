//! The state machine of one alert (one series of a rule, or the rule's query itself), with
//! Prometheus's semantics: `Inactive → Pending → Firing → Resolved`, `for`, `keep_firing_for`,
//! plus hysteresis, severity escalation and "no data"/"error" as states of their own.
//!
//! The machine only moves when it is stepped with an evaluation; it never reads the clock.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::rule::{RuleSpec, Severity};

/// What an alert shows. `NoData` and `Error` are firing states: never a quiet "OK".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Condition false; not listed.
    Inactive,
    /// Condition true, waiting for `for` to pass.
    Pending,
    /// Threshold breached for at least `for`.
    Firing,
    /// No data (empty answer, or `NaN`) for at least `for`, under the `alert` policy.
    NoData,
    /// The query failed for at least `for`, under the `alert` policy.
    Error,
    /// Was firing, cleared; listed until the book's retention passes.
    Resolved,
}

impl AlertState {
    /// Firing, for any reason (threshold, no data, error).
    pub fn is_firing(self) -> bool {
        matches!(self, AlertState::Firing | AlertState::NoData | AlertState::Error)
    }

    /// Pending or firing: the alert can be acknowledged.
    pub fn is_active(self) -> bool {
        self == AlertState::Pending || self.is_firing()
    }

    /// A short upper-case label that reads without colour.
    pub fn label(self) -> &'static str {
        match self {
            AlertState::Inactive => "OK",
            AlertState::Pending => "PENDING",
            AlertState::Firing => "FIRING",
            AlertState::NoData => "NO DATA",
            AlertState::Error => "ERROR",
            AlertState::Resolved => "RESOLVED",
        }
    }
}

/// One evaluation's verdict for one alert. `NaN` must be mapped by the caller (it is no data,
/// not a value); a `NaN` passed as `Value` counts as the condition being false.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    /// The series' current value.
    Value(f64),
    /// No usable data, under the `alert` policy.
    NoData,
    /// The query failed, under the `alert` policy.
    Error,
    /// The condition is false: the series vanished, or a policy says `ok`.
    Clear,
}

/// What a step changed, for the book to turn into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The shown state changed.
    Moved { from: AlertState, to: AlertState },
    /// A firing alert became more severe.
    Escalated { from: Severity, to: Severity },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Inactive,
    Pending,
    Firing,
    Resolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Threshold,
    NoData,
    Error,
}

/// The state of one alert between evaluations.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    phase: Phase,
    cause: Cause,
    since: DateTime<Utc>,
    active_since: Option<DateTime<Utc>>,
    clear_since: Option<DateTime<Utc>>,
    crit_since: Option<DateTime<Utc>>,
    severity: Severity,
    value: f64,
    value_at: Option<DateTime<Utc>>,
}

/// Whether at least `d` has passed from `since` to `now`.
pub(crate) fn held(since: DateTime<Utc>, now: DateTime<Utc>, d: Duration) -> bool {
    now.signed_duration_since(since) >= TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Tracker {
    /// A fresh, inactive alert.
    pub fn new(now: DateTime<Utc>) -> Self {
        Tracker {
            phase: Phase::Inactive,
            cause: Cause::Threshold,
            since: now,
            active_since: None,
            clear_since: None,
            crit_since: None,
            severity: Severity::Warning,
            value: f64::NAN,
            value_at: None,
        }
    }

    /// An alert put back as the history last recorded it: `state` since `since`, active (its
    /// condition true) since `active_since`. `None` for states that need no restoring.
    pub fn restored(
        state: AlertState,
        since: DateTime<Utc>,
        active_since: DateTime<Utc>,
        severity: Severity,
        value: f64,
    ) -> Option<Self> {
        let (phase, cause) = match state {
            AlertState::Pending => (Phase::Pending, Cause::Threshold),
            AlertState::Firing => (Phase::Firing, Cause::Threshold),
            AlertState::NoData => (Phase::Firing, Cause::NoData),
            AlertState::Error => (Phase::Firing, Cause::Error),
            AlertState::Inactive | AlertState::Resolved => return None,
        };
        let crit_since = (severity == Severity::Critical).then_some(since);
        Some(Tracker {
            phase,
            cause,
            since,
            active_since: Some(active_since.min(since)),
            clear_since: None,
            crit_since,
            severity,
            value,
            value_at: None,
        })
    }

    /// The state to show.
    pub fn state(&self) -> AlertState {
        match (self.phase, self.cause) {
            (Phase::Inactive, _) => AlertState::Inactive,
            (Phase::Pending, _) => AlertState::Pending,
            (Phase::Firing, Cause::Threshold) => AlertState::Firing,
            (Phase::Firing, Cause::NoData) => AlertState::NoData,
            (Phase::Firing, Cause::Error) => AlertState::Error,
            (Phase::Resolved, _) => AlertState::Resolved,
        }
    }

    /// Current severity (for a pending alert: what the latest value calls for).
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// When the shown state began.
    pub fn since(&self) -> DateTime<Utc> {
        self.since
    }

    /// The latest value; `NaN` when there is none.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When the latest real value was seen.
    pub fn value_at(&self) -> Option<DateTime<Utc>> {
        self.value_at
    }

    /// Advances the machine by one evaluation of `rule` at `now`.
    pub fn step(&mut self, input: Input, rule: &RuleSpec, now: DateTime<Utc>) -> Vec<Change> {
        let before = self.state();
        let before_severity = self.severity;
        let firing = self.phase == Phase::Firing;
        let (on, level, cause) = match input {
            Input::Value(v) => {
                self.value = v;
                self.value_at = Some(now);
                let on = if firing { rule.still_firing(v) } else { rule.level(v).is_some() };
                (on, rule.level(v), Cause::Threshold)
            }
            Input::NoData => {
                self.value = f64::NAN;
                (true, None, Cause::NoData)
            }
            Input::Error => {
                self.value = f64::NAN;
                (true, None, Cause::Error)
            }
            Input::Clear => (false, None, self.cause),
        };

        if level == Some(Severity::Critical) {
            self.crit_since.get_or_insert(now);
        } else {
            self.crit_since = None;
        }
        let crit_held = self.crit_since.is_some_and(|t| held(t, now, rule.for_));
        let fire_severity = match cause {
            Cause::Threshold if crit_held => Severity::Critical,
            Cause::Threshold => rule.min_severity(),
            Cause::NoData | Cause::Error => rule.max_severity(),
        };

        match self.phase {
            Phase::Inactive | Phase::Resolved if on => {
                self.active_since = Some(now);
                self.cause = cause;
                self.clear_since = None;
                if rule.for_.is_zero() {
                    self.fire(now, fire_severity);
                } else {
                    self.phase = Phase::Pending;
                    self.since = now;
                    self.severity = level.unwrap_or(rule.max_severity());
                }
            }
            Phase::Inactive | Phase::Resolved => {}
            Phase::Pending if !on => {
                self.phase = Phase::Inactive;
                self.since = now;
                self.active_since = None;
            }
            Phase::Pending => {
                self.cause = cause;
                self.severity = level.unwrap_or(rule.max_severity());
                if self.active_since.is_some_and(|t| held(t, now, rule.for_)) {
                    self.fire(now, fire_severity);
                }
            }
            Phase::Firing if on => {
                self.clear_since = None;
                if cause != self.cause {
                    self.cause = cause;
                    self.since = now;
                    self.severity = match cause {
                        // Back from no data: a critical value stays critical, a lower one drops.
                        Cause::Threshold
                            if level == Some(Severity::Critical)
                                && self.severity == Severity::Critical =>
                        {
                            Severity::Critical
                        }
                        Cause::Threshold => fire_severity,
                        // Keep what the alert was while the data disappears.
                        Cause::NoData | Cause::Error if before == AlertState::Firing => {
                            self.severity
                        }
                        Cause::NoData | Cause::Error => fire_severity,
                    };
                } else if cause == Cause::Threshold && crit_held {
                    self.severity = Severity::Critical;
                }
            }
            Phase::Firing => {
                let since = *self.clear_since.get_or_insert(now);
                if held(since, now, rule.keep_firing_for) {
                    self.phase = Phase::Resolved;
                    self.since = now;
                    self.active_since = None;
                    self.clear_since = None;
                    self.crit_since = None;
                }
            }
        }

        let mut changes = Vec::new();
        let after = self.state();
        if after != before {
            changes.push(Change::Moved { from: before, to: after });
        }
        if before == AlertState::Firing
            && after == AlertState::Firing
            && self.severity > before_severity
        {
            changes.push(Change::Escalated { from: before_severity, to: self.severity });
        }
        changes
    }

    fn fire(&mut self, now: DateTime<Utc>, severity: Severity) {
        self.phase = Phase::Firing;
        self.since = now;
        self.severity = severity;
        self.clear_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn rule(extra: &str) -> RuleSpec {
        toml::from_str(&format!("name = \"r\"\nquery = \"q\"\n{extra}")).unwrap()
    }

    #[test]
    fn held_is_inclusive_and_tolerates_clock_going_back() {
        assert!(held(t(0), t(60), Duration::from_secs(60)));
        assert!(!held(t(0), t(59), Duration::from_secs(60)));
        assert!(held(t(0), t(0), Duration::ZERO));
        assert!(!held(t(10), t(0), Duration::from_secs(1)));
    }

    #[test]
    fn pending_then_firing_then_resolved() {
        let r = rule("warning = 80\nfor = \"60s\"");
        let mut tr = Tracker::new(t(0));
        let moved = |from, to| vec![Change::Moved { from, to }];
        assert_eq!(
            tr.step(Input::Value(90.0), &r, t(0)),
            moved(AlertState::Inactive, AlertState::Pending)
        );
        assert_eq!(tr.step(Input::Value(90.0), &r, t(30)), vec![]);
        assert_eq!(
            tr.step(Input::Value(90.0), &r, t(60)),
            moved(AlertState::Pending, AlertState::Firing)
        );
        assert_eq!(tr.since(), t(60));
        assert_eq!(
            tr.step(Input::Value(10.0), &r, t(90)),
            moved(AlertState::Firing, AlertState::Resolved)
        );
        assert_eq!(tr.value(), 10.0);
    }

    #[test]
    fn escalation_waits_for_the_critical_condition_to_hold() {
        let r = rule("warning = 80\ncritical = 90\nfor = \"60s\"");
        let mut tr = Tracker::new(t(0));
        tr.step(Input::Value(85.0), &r, t(0));
        tr.step(Input::Value(95.0), &r, t(30));
        assert_eq!(tr.severity(), Severity::Critical, "pending shows the value's level");
        tr.step(Input::Value(95.0), &r, t(60));
        assert_eq!(tr.state(), AlertState::Firing);
        assert_eq!(tr.severity(), Severity::Warning, "critical only held 30s");
        assert_eq!(
            tr.step(Input::Value(95.0), &r, t(90)),
            vec![Change::Escalated { from: Severity::Warning, to: Severity::Critical }]
        );
        // Never de-escalates within an episode: no flapping between WARN and CRIT.
        assert_eq!(tr.step(Input::Value(85.0), &r, t(120)), vec![]);
        assert_eq!(tr.severity(), Severity::Critical);
    }
}
