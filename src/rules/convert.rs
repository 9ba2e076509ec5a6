//! Prometheus alerting rules → warroom rules. A rule whose `expr` compares a query with a
//! number (`QUERY > 95`) becomes a threshold rule on that query; the rules of one alert name
//! that differ only in threshold and `severity` label (the usual warning/critical pair) become
//! one warroom rule with both thresholds. Any other `expr` becomes a `present` rule: each
//! series it returns is an alert, as in Prometheus.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::annotations;
use super::file::{Group, Rule};
use crate::alert::{Direction, RuleSpec, Severity};
use crate::diag::{Diagnostic, Place};
use crate::pager::severity_of;

/// One Prometheus alerting rule, taken apart.
struct Piece {
    name: String,
    query: String,
    direction: Direction,
    threshold: Option<f64>,
    severity: Severity,
    for_: Duration,
    keep_firing_for: Duration,
    /// Group and rule labels, `severity` included.
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    line: usize,
}

impl Piece {
    /// What must agree for two pieces to be one warroom rule.
    fn key(&self) -> (&str, &str, Direction, Duration, Duration, BTreeMap<&String, &String>) {
        let labels = self.labels.iter().filter(|(k, _)| k.as_str() != "severity").collect();
        (&self.name, &self.query, self.direction, self.for_, self.keep_firing_for, labels)
    }
}

/// The alerting rules of a file's groups as warroom rules, each with the line it came from;
/// problems name the file and line. Recording rules are left to Prometheus.
pub fn convert(file: &Path, groups: &[Group]) -> (Vec<RuleSpec>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let mut pieces = Vec::new();
    for group in groups {
        for rule in group.rules.iter().filter(|r| r.alert.is_some()) {
            match piece(group, rule) {
                Ok(p) => pieces.push(p),
                Err((msg, fix)) => {
                    problems.push(Diagnostic::new(file, Some(rule.line()), msg).with_fix(fix));
                }
            }
        }
    }
    // Pairs: each draft holds at most one piece of each severity.
    let mut drafts: Vec<Vec<Piece>> = Vec::new();
    for p in pieces {
        let home = drafts.iter().position(|d| {
            p.direction.has_thresholds()
                && d[0].key() == p.key()
                && d.iter().all(|q| q.severity != p.severity)
        });
        match home {
            Some(i) => drafts[i].push(p),
            None => drafts.push(vec![p]),
        }
    }
    let mut rules = Vec::new();
    for draft in drafts {
        let line = draft[0].line;
        match spec(file, draft) {
            Ok(rule) => {
                for p in rule.validate() {
                    let msg = format!("alert {:?}: {p}", rule.name);
                    let fix = "change the rule (or its warroom_* annotations) so it reads as above";
                    problems.push(Diagnostic::new(file, Some(line), msg).with_fix(fix));
                }
                rules.push(rule);
            }
            Err(msg) => problems.push(
                Diagnostic::new(file, Some(line), msg)
                    .with_fix("see \"Prometheus rule files\" in README.md"),
            ),
        }
    }
    (rules, problems)
}

fn piece(group: &Group, rule: &Rule) -> Result<Piece, (String, String)> {
    let name = rule.alert.as_ref().map(|a| a.value.clone()).unwrap_or_default();
    let promtool = "fix the PromQL (`promtool check rules FILE` shows the same)".to_string();
    let shape = crate::promql::comparison(&rule.expr.value)
        .map_err(|e| (format!("alert {name:?}: expr: {e}"), promtool))?;
    let duration = |what: &str, v: &Option<String>| match v {
        None => Ok(Duration::ZERO),
        Some(text) => crate::duration::parse(text).map_err(|e| {
            (format!("alert {name:?}: {what}: {e}"), "write a duration such as 1m or 30s".into())
        }),
    };
    let for_ = duration("for", &rule.for_)?;
    let keep_firing_for = duration("keep_firing_for", &rule.keep_firing_for)?;
    let mut labels = group.labels.clone();
    labels.extend(rule.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    let severity = severity_of(labels.get("severity").map(String::as_str));
    let (query, direction, threshold) = match shape {
        Some(c) => (c.query, c.direction, Some(c.threshold)),
        None => (rule.expr.value.trim().to_string(), Direction::Present, None),
    };
    Ok(Piece {
        name,
        query,
        direction,
        threshold,
        severity,
        for_,
        keep_firing_for,
        labels,
        annotations: rule.annotations.clone(),
        line: rule.line(),
    })
}

/// The warroom rule of one draft (one piece, or a warning and a critical one).
fn spec(file: &Path, draft: Vec<Piece>) -> Result<RuleSpec, String> {
    let threshold = |s: Severity| draft.iter().find(|p| p.severity == s).and_then(|p| p.threshold);
    let (warning, critical) = (threshold(Severity::Warning), threshold(Severity::Critical));
    let first = &draft[0];
    let mut labels = first.labels.clone();
    // warroom's own severity says it (and moves between a pair's two): the label would repeat
    // or contradict it.
    labels.remove("severity");
    // The pair's annotations as one: the first piece's win.
    let mut notes = BTreeMap::new();
    for p in draft.iter().rev() {
        notes.extend(p.annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let notes = &notes;
    let name = &first.name;
    let in_rule = |e: String| format!("alert {name:?}: {e}");
    Ok(RuleSpec {
        name: first.name.clone(),
        query: Some(first.query.clone()),
        panel: None,
        source: None,
        direction: first.direction,
        severity: (!first.direction.has_thresholds()).then_some(first.severity),
        warning,
        critical,
        resolve: annotations::resolve(notes).map_err(in_rule)?,
        for_: first.for_,
        keep_firing_for: first.keep_firing_for,
        summary: annotations::summary(notes),
        runbook: crate::runbook::reference::from_annotations(notes),
        no_data: annotations::policy(notes, annotations::NO_DATA).map_err(in_rule)?,
        on_error: annotations::policy(notes, annotations::ON_ERROR).map_err(in_rule)?,
        labels,
        defined_at: Some(Place { file: file.to_path_buf(), line: Some(first.line) }),
    })
}
