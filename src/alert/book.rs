//! The alert book: every rule's alerts, fed with query results, acknowledged by people, listed
//! for display. Pure and deterministic: time comes in as `now`, nothing reads the clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::prom::{Labels, Sample};

use super::event::Event;
use super::rule::{Policy, RuleSpec};
use super::state::{held, AlertState, Change, Input, Tracker};
use super::summary;
use super::view::{display_rank, AlertKey, AlertView, Origin, Scope};

/// How long a resolved alert stays listed by default.
pub const DEFAULT_RESOLVED_RETENTION: Duration = Duration::from_secs(15 * 60);

/// The outcome of one evaluation of a rule's query.
#[derive(Debug, Clone, Copy)]
pub enum Observation<'a> {
    /// The answer's latest samples (possibly none: that is "no data").
    Samples(&'a [Sample]),
    /// The query failed; the message is shown (cleaned) in the error alert.
    Error(&'a str),
}

#[derive(Debug, Clone)]
struct Entry {
    tracker: Tracker,
    /// Series labels plus the rule's extra labels (shared with the rows listing it).
    labels: Arc<Labels>,
    summary: Arc<str>,
    /// The evaluation that last saw the series (see [`AlertBook::observe`]).
    seen: u64,
}

/// One rule's alerts: one per series of its answer, by the series' own labels, and the one
/// about the query as a whole (no data, error).
#[derive(Debug, Clone, Default)]
struct Alerts {
    series: BTreeMap<Arc<Labels>, Entry>,
    query: Option<Entry>,
}

impl Alerts {
    fn len(&self) -> usize {
        self.series.len() + usize::from(self.query.is_some())
    }

    /// Every alert with its scope and key labels, in key order (series, then the query's).
    fn iter(&self) -> impl Iterator<Item = (Scope, Option<&Arc<Labels>>, &Entry)> + '_ {
        let series = self.series.iter().map(|(l, e)| (Scope::Series, Some(l), e));
        series.chain(self.query.iter().map(|e| (Scope::Query, None, e)))
    }
}

/// One rule as the book holds it: its spec, the live query it evaluates, and the evidence of
/// its latest evaluation.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    /// The query it evaluates (an index into the model's queries); `None`: nothing to evaluate.
    pub query: Option<usize>,
    /// How often that query is asked.
    pub interval: Duration,
    /// When the rule was last evaluated on a good answer.
    pub evaluated: Option<DateTime<Utc>>,
    /// Why the latest evaluation had no good answer (cleared by a good one).
    pub failure: Option<String>,
}

impl Rule {
    /// A rule evaluating `query`, asked every `interval`.
    pub fn new(spec: RuleSpec, query: Option<usize>, interval: Duration) -> Self {
        Rule { spec, query, interval, evaluated: None, failure: None }
    }
}

/// All alerts of all rules.
#[derive(Debug, Clone)]
pub struct AlertBook {
    rules: Vec<Rule>,
    specs: Vec<RuleSpec>,
    entries: Vec<Alerts>,
    retention: Duration,
    /// How many evaluations the book has seen: stamps which series each one saw.
    evaluation: u64,
}

impl AlertBook {
    /// A book for `rules`, bound to no query; rule `i` is fed with
    /// [`AlertBook::observe`]`(i, …)`.
    pub fn new(rules: Vec<RuleSpec>) -> Self {
        Self::with_rules(rules.into_iter().map(|r| Rule::new(r, None, Duration::ZERO)).collect())
    }

    /// A book for rules bound to their queries.
    pub fn with_rules(rules: Vec<Rule>) -> Self {
        let entries = rules.iter().map(|_| Alerts::default()).collect();
        let specs = rules.iter().map(|r| r.spec.clone()).collect();
        AlertBook { rules, specs, entries, retention: DEFAULT_RESOLVED_RETENTION, evaluation: 0 }
    }

    /// The rules that evaluate query `query`, as indexes.
    pub fn rules_of_query(&self, query: usize) -> Vec<usize> {
        (0..self.rules.len()).filter(|&i| self.rules[i].query == Some(query)).collect()
    }

    /// The rules with their queries and evidence.
    pub fn bound(&self) -> &[Rule] {
        &self.rules
    }

    /// Notes why rule `rule`'s latest evaluation had no good answer (`source down`…), for the
    /// list to say it is blind; the next good answer clears it.
    pub fn failed(&mut self, rule: usize, reason: String) {
        if let Some(r) = self.rules.get_mut(rule) {
            r.failure = Some(reason);
        }
    }

    /// Puts back an alert of rule `rule` as the history last recorded it (see
    /// [`super::restore`]); `labels` are as recorded, with the rule's extra labels. Unknown rules
    /// and states that need no restoring are ignored.
    pub fn restore(&mut self, rule: &str, scope: Scope, labels: &Labels, tracker: Tracker) {
        let Some(i) = self.specs.iter().position(|r| r.name == rule) else { return };
        let (spec, Some(entries)) = (&self.specs[i], self.entries.get_mut(i)) else { return };
        let summary = match scope {
            Scope::Query => summary::no_data(spec),
            _ => summary::render(spec, labels, tracker.value(), tracker.severity()),
        };
        let entry =
            Entry { tracker, labels: Arc::new(labels.clone()), summary: summary.into(), seen: 0 };
        match scope {
            Scope::Query => entries.query = Some(entry),
            _ => {
                let series: Labels = labels
                    .iter()
                    .filter(|(k, _)| !spec.labels.contains_key(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                entries.series.insert(Arc::new(series), entry);
            }
        }
    }

    /// The query rule `name` evaluates.
    pub fn query_of(&self, name: &str) -> Option<usize> {
        self.rules.iter().find(|r| r.spec.name == name).and_then(|r| r.query)
    }

    /// Sets how long resolved alerts stay listed.
    pub fn with_resolved_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The rules, in the order given to [`AlertBook::new`].
    pub fn rules(&self) -> &[RuleSpec] {
        &self.specs
    }

    /// Feeds one evaluation of rule `rule` (an index into [`AlertBook::rules`]; out of range is
    /// ignored) and returns what changed.
    ///
    /// - Series present: each is compared with the thresholds; a `NaN` value is no data for that
    ///   series and follows the rule's `no_data` policy.
    /// - Series that vanished while others remain: their condition is false (they resolve).
    /// - No series at all, or an error: under `alert`, a query-scoped alert goes through `for` and
    ///   fires as no data / error while the series keep their states; under `keep` nothing
    ///   changes; under `ok` everything counts as false.
    pub fn observe(&mut self, rule: usize, obs: Observation<'_>, now: DateTime<Utc>) -> Vec<Event> {
        let (Some(spec), Some(entries), Some(bound)) =
            (self.specs.get(rule), self.entries.get_mut(rule), self.rules.get_mut(rule))
        else {
            return Vec::new();
        };
        if let Observation::Samples(_) = obs {
            bound.evaluated = Some(now);
            bound.failure = None;
        }
        let mut events = Vec::new();
        match obs {
            Observation::Samples([]) => {
                let text = summary::no_data(spec);
                degraded(
                    spec,
                    entries,
                    spec.no_data_policy(),
                    Input::NoData,
                    text,
                    now,
                    &mut events,
                );
            }
            Observation::Error(message) => {
                let text = summary::query_error(spec, message);
                degraded(spec, entries, spec.on_error, Input::Error, text, now, &mut events);
            }
            Observation::Samples(samples) => {
                if let Some(e) = &mut entries.query {
                    step(spec, Scope::Query, e, Input::Clear, None, now, &mut events);
                }
                self.evaluation += 1;
                let stamp = self.evaluation;
                for sample in samples {
                    let v = sample.point.v;
                    // A `present` rule's series is an alert whatever its value, NaN included.
                    let input = if !v.is_nan() || !spec.direction.has_thresholds() {
                        Input::Value(v)
                    } else {
                        match spec.no_data {
                            Policy::Alert => Input::NoData,
                            Policy::Keep => {
                                mark_seen(&mut entries.series, &sample.labels, stamp);
                                continue;
                            }
                            Policy::Ok => Input::Clear,
                        }
                    };
                    let labels = &sample.labels;
                    let Some(e) = series_entry(spec, &mut entries.series, labels, input, now)
                    else {
                        continue;
                    };
                    if e.seen == stamp {
                        continue; // duplicate series in one answer: the first one counts
                    }
                    e.seen = stamp;
                    step(spec, Scope::Series, e, input, None, now, &mut events);
                }
                for e in entries.series.values_mut().filter(|e| e.seen != stamp) {
                    step(spec, Scope::Series, e, Input::Clear, None, now, &mut events);
                }
            }
        }
        forget(entries, now, self.retention);
        events
    }

    /// Time passing without an evaluation: forgets resolved alerts past retention.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        self.forget_expired(now);
        Vec::new()
    }

    /// Forgets resolved alerts past retention; returns whether any went.
    pub fn forget_expired(&mut self, now: DateTime<Utc>) -> bool {
        let before: usize = self.entries.iter().map(Alerts::len).sum();
        for entries in &mut self.entries {
            forget(entries, now, self.retention);
        }
        before != self.entries.iter().map(Alerts::len).sum::<usize>()
    }

    /// Every listed alert (pending, firing, no data, error, recently resolved), in display order.
    pub fn alerts(&self) -> Vec<AlertView> {
        // Rules by name, each rule's alerts in key order: the whole in key order, so a stable
        // sort by rank alone gives the display order (a storm of 20,000 compares no labels).
        let mut by_name: Vec<(&RuleSpec, &Alerts)> = self.specs.iter().zip(&self.entries).collect();
        by_name.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        // Sized once: a storm's list is not grown by doubling (nor held at twice its size).
        let mut out = Vec::with_capacity(self.entries.iter().map(Alerts::len).sum());
        out.extend(by_name.into_iter().flat_map(|(spec, entries)| {
            entries.iter().filter_map(move |(scope, labels, e)| {
                let state = e.tracker.state();
                (state != AlertState::Inactive).then(|| AlertView {
                    key: AlertKey {
                        rule: spec.name.clone(),
                        scope,
                        labels: labels.cloned().unwrap_or_default(),
                    },
                    rule: spec.name.clone(),
                    labels: e.labels.clone(),
                    state,
                    severity: e.tracker.severity(),
                    since: e.tracker.since(),
                    value: e.tracker.value(),
                    value_at: e.tracker.value_at(),
                    summary: e.summary.clone(),
                    runbook: spec.runbook.clone(),
                    ack: None,
                    origins: vec![Origin::Local],
                    twins: Vec::new(),
                    silence: None,
                })
            })
        }));
        out.sort_by(display_rank);
        out
    }
}

/// The rule's query gave nothing usable: apply `policy`.
fn degraded(
    spec: &RuleSpec,
    entries: &mut Alerts,
    policy: Policy,
    input: Input,
    text: String,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) {
    let none = Arc::default();
    match policy {
        Policy::Keep => {}
        Policy::Alert => {
            let e = entries.query.get_or_insert_with(|| new_entry(spec, &none, now));
            step(spec, Scope::Query, e, input, Some(text), now, events);
        }
        Policy::Ok => {
            for e in entries.series.values_mut() {
                step(spec, Scope::Series, e, Input::Clear, None, now, events);
            }
            if let Some(e) = &mut entries.query {
                step(spec, Scope::Query, e, Input::Clear, None, now, events);
            }
        }
    }
}

/// A new alert of `spec` for a series with these labels (the rule's extra labels added; a rule
/// without any shares the series' own).
fn new_entry(spec: &RuleSpec, labels: &Arc<Labels>, now: DateTime<Utc>) -> Entry {
    let labels = if spec.labels.is_empty() {
        labels.clone()
    } else {
        let mut merged = (**labels).clone();
        merged.extend(spec.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        Arc::new(merged)
    };
    Entry { tracker: Tracker::new(now), labels, summary: Arc::from(""), seen: 0 }
}

/// The alert of the series `labels`: the one held, or a new one when `input` may activate it.
/// Only a new series costs a copy of its labels.
fn series_entry<'a>(
    spec: &RuleSpec,
    series: &'a mut BTreeMap<Arc<Labels>, Entry>,
    labels: &Labels,
    input: Input,
    now: DateTime<Utc>,
) -> Option<&'a mut Entry> {
    if !series.contains_key(labels) {
        if input == Input::Clear {
            return None;
        }
        let key = Arc::new(labels.clone());
        series.insert(key.clone(), new_entry(spec, &key, now));
    }
    series.get_mut(labels)
}

/// Notes that an evaluation saw the series `labels`, so it does not count as gone.
fn mark_seen(series: &mut BTreeMap<Arc<Labels>, Entry>, labels: &Labels, stamp: u64) {
    if let Some(e) = series.get_mut(labels) {
        e.seen = stamp;
    }
}

/// Steps one alert and records the events.
fn step(
    spec: &RuleSpec,
    scope: Scope,
    entry: &mut Entry,
    input: Input,
    query_summary: Option<String>,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) {
    let shown_before = (entry.tracker.value().to_bits(), entry.tracker.severity());
    let changes = entry.tracker.step(input, spec, now);
    let tr = &entry.tracker;
    // The summary depends on the labels, the value and the severity only: an unchanged value
    // keeps its text (a storm of thousands of steady series renders nothing).
    let unchanged = (tr.value().to_bits(), tr.severity()) == shown_before;
    match (scope, query_summary) {
        (_, Some(text)) => entry.summary = text.into(),
        (Scope::Series, None) if input == Input::NoData => {
            entry.summary = summary::series_no_data(spec, &entry.labels).into();
        }
        (Scope::Series, None)
            if entry.summary.is_empty() || (input != Input::Clear && !unchanged) =>
        {
            entry.summary = summary::render(spec, &entry.labels, tr.value(), tr.severity()).into();
        }
        _ => {}
    }
    for change in changes {
        events.push(match change {
            Change::Moved { from, to } => Event::Transition {
                at: now,
                rule: spec.name.clone(),
                scope,
                labels: (*entry.labels).clone(),
                from,
                to,
                severity: tr.severity(),
                value: tr.value(),
                summary: entry.summary.to_string(),
            },
            Change::Escalated { from, to } => Event::Escalation {
                at: now,
                rule: spec.name.clone(),
                scope,
                labels: (*entry.labels).clone(),
                from,
                to,
                value: tr.value(),
                summary: entry.summary.to_string(),
            },
        });
    }
}

fn forget(entries: &mut Alerts, now: DateTime<Utc>, retention: Duration) {
    let keep = |e: &Entry| match e.tracker.state() {
        AlertState::Inactive => false,
        AlertState::Resolved => !held(e.tracker.since(), now, retention),
        _ => true,
    };
    entries.series.retain(|_, e| keep(e));
    if entries.query.as_ref().is_some_and(|e| !keep(e)) {
        entries.query = None;
    }
}
