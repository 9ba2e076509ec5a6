//! The alert list: every alert of warroom's rules and of the sources' own alerting rules, twins
//! merged into one row per problem, marked with acknowledgements and silences, ordered, counted,
//! filtered — and whether the list can be trusted at all. Built once per change by `update`,
//! cached in the model, read by every widget.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::acks::{Acks, RowId};
use super::book::AlertBook;
use super::event::Event;
use super::state::held;
use super::view::{display_order, AlertKey, AlertView, Origin, SilenceMark};
use crate::pager::{matcher_labels, AmState, PromSource, SilenceRequest};

/// Why the list cannot vouch for everything: rules (or sources' alerts) without a good answer
/// within two intervals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blind {
    /// Rules not evaluated on a good answer within two intervals.
    pub rules: usize,
    /// Sources whose own alerts could not be read within two intervals.
    pub sources: usize,
    /// Why, each reason once, worst first: `source down`, `credentials refused (401)`…
    pub reasons: Vec<String>,
    /// Nothing has failed: the first answers are still on their way.
    pub starting: bool,
}

impl Blind {
    /// The header's words: `BLIND: 3 rules unevaluated (source down)`.
    pub fn text(&self) -> String {
        let mut what = Vec::new();
        if self.rules > 0 {
            let s = if self.rules == 1 { "" } else { "s" };
            what.push(format!("{} rule{s} unevaluated", self.rules));
        }
        if self.sources > 0 {
            let s = if self.sources == 1 { "" } else { "s" };
            what.push(format!("alerts of {} source{s} unread", self.sources));
        }
        let head = if self.starting { "… waiting for first answers" } else { "✖ BLIND" };
        format!("{head}: {} ({})", what.join(", "), self.reasons.join(", "))
    }

    /// The same in few words, for narrow screens: `✖ BLIND 3 (source down)`.
    pub fn short(&self) -> String {
        let n = self.rules + self.sources;
        let why = self.reasons.first().map(|r| format!(" ({r})")).unwrap_or_default();
        if self.starting {
            format!("… {n} unread")
        } else {
            format!("✖ BLIND: {n} unread{why}")
        }
    }
}

/// What the list is built from.
pub struct Inputs<'a> {
    pub book: &'a AlertBook,
    pub prom: &'a [PromSource],
    /// How often the sources' own alerts are fetched.
    pub prom_interval: Duration,
    pub alertmanager: Option<&'a AmState>,
    pub silencing: &'a BTreeMap<AlertKey, SilenceRequest>,
    pub filter: &'a str,
    pub now: DateTime<Utc>,
}

/// The list as every widget reads it.
#[derive(Debug, Clone, Default)]
pub struct AlertList {
    rows: Vec<AlertView>,
    /// Indexes into `rows` of those the filter lets through.
    shown: Vec<usize>,
    /// Firing rows (threshold, no data, error), filtered or not.
    pub firing: usize,
    /// Firing rows nobody acknowledged or silenced.
    pub unhandled: usize,
    /// Firing rows the filter hides.
    pub hidden_firing: usize,
    /// `Some` while any rule or source cannot be vouched for.
    pub blind: Option<Blind>,
    /// Whether anything is watched at all (rules, or sources' own alerts).
    pub watching: bool,
}

impl AlertList {
    /// Builds the list, settling acknowledgements against it first; returns the list and the
    /// events settling produced (acknowledgements that expired or were outgrown).
    pub fn build(inputs: &Inputs<'_>, acks: &mut Acks) -> (AlertList, Vec<Event>) {
        let now = inputs.now;
        let local = inputs.book.alerts();
        let prom = super::prom::views(&super::prom::merged(inputs.prom), now);
        // Without the sources' alerts there are no twins: each alert of the book (already in
        // display order) is its own row, and a storm of thousands costs no grouping.
        let mut rows: Vec<AlertView> = if prom.is_empty() {
            local
        } else {
            let mut groups: BTreeMap<RowId, Vec<AlertView>> = BTreeMap::new();
            for view in local.into_iter().chain(prom) {
                groups.entry(RowId::of(&view)).or_default().push(view);
            }
            groups.into_values().filter_map(merge_twins).collect()
        };
        let mut events = Vec::new();
        if !acks.is_empty() {
            let active = rows
                .iter()
                .filter(|r| r.state.is_active())
                .map(|r| (RowId::of(r), (r.severity, r.key.scope, (*r.labels).clone())))
                .collect();
            let unread = inputs.prom.iter().any(|s| s.last_ok.is_none());
            events = acks.settle(&active, unread, now);
        }
        let silences = inputs.alertmanager.is_some_and(|a| !a.silences.is_empty());
        let mut handled = false;
        if !acks.is_empty() || silences || !inputs.silencing.is_empty() {
            for row in &mut rows {
                if !acks.is_empty() {
                    row.ack = acks.get(&RowId::of(row), now).cloned().map(Box::new);
                }
                row.silence = silence_for(inputs, row).map(Box::new);
                handled |= row.is_handled();
            }
        }
        if handled || !prom_free(&rows) {
            rows.sort_by(display_order);
        }
        let filter = inputs.filter.to_lowercase();
        let matches = |a: &AlertView| {
            filter.is_empty()
                || a.rule.to_lowercase().contains(&filter)
                || a.labels.values().any(|v| v.to_lowercase().contains(&filter))
        };
        let shown: Vec<usize> = (0..rows.len()).filter(|&i| matches(&rows[i])).collect();
        let firing = rows.iter().filter(|a| a.state.is_firing()).count();
        let unhandled = rows.iter().filter(|a| a.state.is_firing() && !a.is_handled()).count();
        let shown_firing = shown.iter().filter(|&&i| rows[i].state.is_firing()).count();
        let list = AlertList {
            blind: blind(inputs),
            watching: !inputs.book.rules().is_empty() || !inputs.prom.is_empty(),
            rows,
            shown,
            firing,
            unhandled,
            hidden_firing: firing - shown_firing,
        };
        (list, events)
    }

    /// Says again whether the list is blind, as time passes (cheap: per rule, not per alert).
    pub fn refresh_blind(&mut self, inputs: &Inputs<'_>) -> bool {
        let blind = blind(inputs);
        let changed = blind != self.blind;
        self.blind = blind;
        changed
    }

    /// The rows the filter lets through, in display order.
    pub fn shown(&self) -> impl ExactSizeIterator<Item = &AlertView> + '_ {
        self.shown.iter().map(|&i| &self.rows[i])
    }

    /// Row `i` of [`AlertList::shown`].
    pub fn shown_at(&self, i: usize) -> Option<&AlertView> {
        self.shown.get(i).map(|&i| &self.rows[i])
    }

    /// How many rows the filter lets through.
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// Every row, filtered or not.
    pub fn rows(&self) -> &[AlertView] {
        &self.rows
    }

    /// The position in [`AlertList::shown`] of the row `key` belongs to (as primary or twin).
    pub fn position(&self, key: &AlertKey) -> Option<usize> {
        self.shown().position(|a| &a.key == key || a.twins.contains(key))
    }

    /// The row `key` belongs to, filtered or not.
    pub fn row_of(&self, key: &AlertKey) -> Option<&AlertView> {
        self.rows.iter().find(|a| &a.key == key || a.twins.contains(key))
    }
}

/// Whether every row is warroom's own (the book's order then stands).
fn prom_free(rows: &[AlertView]) -> bool {
    rows.iter().all(|r| r.origins == [Origin::Local])
}

/// One row from twins: the most urgent member leads (firing critical before firing warning
/// before no data… before resolved); the row lists every origin and every member's key.
fn merge_twins(mut members: Vec<AlertView>) -> Option<AlertView> {
    members.sort_by(display_order);
    let mut rest = members.into_iter();
    let mut row = rest.next()?;
    for m in rest {
        if row.value.is_nan() && m.state == row.state {
            row.value = m.value;
            row.value_at = m.value_at;
        }
        if row.summary.is_empty() {
            row.summary = m.summary.clone();
        }
        if m.origins.contains(&Origin::Local) || row.runbook.is_none() {
            row.runbook = m.runbook.clone().or(row.runbook.take());
        }
        for o in m.origins {
            if !row.origins.contains(&o) {
                row.origins.push(o);
            }
        }
        row.twins.push(m.key);
    }
    // warroom's own rule first, then the sources in name order: the same row reads the same.
    row.origins.sort_by_key(|o| match o {
        Origin::Local => String::new(),
        Origin::Prometheus { source } => source.clone(),
    });
    Some(row)
}

/// The silence (made, or being made) that covers the whole row: every active member (the row's
/// lead when none is active), matched with `alertname` set to its rule's name.
fn silence_for(inputs: &Inputs<'_>, row: &AlertView) -> Option<SilenceMark> {
    let keys = std::iter::once(&row.key).chain(&row.twins);
    if let Some(req) = keys.clone().find_map(|k| inputs.silencing.get(k)) {
        return Some(SilenceMark {
            id: None,
            by: req.created_by.clone(),
            until: req.ends_at,
            comment: req.comment.clone(),
        });
    }
    let am = inputs.alertmanager?;
    let labels = matcher_labels(row);
    // Twins share their labels but `severity`: a silence covers the row when it covers the
    // labels with every severity its members carry.
    let severities: Vec<Option<&String>> = keys.map(|k| k.labels.get("severity")).collect();
    am.silences
        .iter()
        .filter(|s| {
            severities.iter().all(|sev| {
                let mut l = labels.clone();
                match sev {
                    Some(v) => l.insert("severity".into(), (*v).clone()),
                    None => l.remove("severity"),
                };
                s.covers(&l, inputs.now)
            })
        })
        .max_by_key(|s| s.ends_at)
        .map(|s| SilenceMark {
            id: Some(s.id.clone()),
            by: s.created_by.clone(),
            until: s.ends_at,
            comment: s.comment.clone(),
        })
}

/// Whether the evidence is fresh: a good answer within two intervals (and a second of slack,
/// as panels turn stale).
fn fresh(last: Option<DateTime<Utc>>, interval: Duration, now: DateTime<Utc>) -> bool {
    last.is_some_and(|t| !held(t, now, interval * 2 + Duration::from_secs(1)))
}

fn blind(inputs: &Inputs<'_>) -> Option<Blind> {
    let now = inputs.now;
    let mut b = Blind { starting: true, ..Blind::default() };
    let mut reasons: Vec<(u8, String)> = Vec::new();
    let mut why = |b: &mut Blind, failure: Option<&String>, never: bool| {
        let reason = match failure {
            Some(f) => f.clone(),
            None if never => "no answer yet".to_string(),
            None => "no recent answer".to_string(),
        };
        b.starting &= failure.is_none() && never;
        let rank = match reason.as_str() {
            r if r.starts_with("source down") => 0,
            r if r.starts_with("credentials refused") => 1,
            "no answer yet" => 9,
            _ => 5,
        };
        if !reasons.iter().any(|(_, r)| r == &reason) {
            reasons.push((rank, reason));
        }
    };
    for rule in inputs.book.bound() {
        if !fresh(rule.evaluated, rule.interval, now) || rule.failure.is_some() {
            b.rules += 1;
            why(&mut b, rule.failure.as_ref(), rule.evaluated.is_none());
        }
    }
    for src in inputs.prom {
        if !fresh(src.last_ok, inputs.prom_interval, now) || src.error.is_some() {
            b.sources += 1;
            why(&mut b, src.blind.as_ref(), src.last_ok.is_none());
        }
    }
    if b.rules == 0 && b.sources == 0 {
        return None;
    }
    reasons.sort();
    b.reasons = reasons.into_iter().map(|(_, r)| r).collect();
    Some(b)
}
