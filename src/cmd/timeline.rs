//! `warroom timeline`: alert transitions, acknowledgements and runbook actions (who, what,
//! result) merged in time order from the history file and the audit log — a postmortem's
//! skeleton, as Markdown or JSON.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::alert::{AlertState, Event, HistoryLog, HISTORY_FILE};
use crate::runbook::{AuditLog, AuditRecord, RecordKind};
use crate::sanitize;

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// `alert`, `ack`, `action`.
    pub kind: &'static str,
    /// One-line headline.
    pub what: String,
    /// Extra facts (command, output tail, labels, note).
    pub details: String,
    /// The raw record, for JSON output.
    pub raw: Value,
}

/// Every entry in the state directory since `since`, oldest first, with warnings about
/// unreadable lines.
pub fn collect(state_dir: &Path, since: DateTime<Utc>) -> (Vec<Entry>, Vec<String>) {
    let (events, mut warnings) = HistoryLog::read_since(state_dir.join(HISTORY_FILE), since);
    let mut out: Vec<Entry> = events.iter().filter_map(from_event).collect();
    let audit = AuditLog::in_state_dir(state_dir);
    let (records, bad) = crate::runbook::audit::read_since(audit.path(), since);
    out.extend(records.iter().map(from_audit));
    warnings.extend(bad);
    out.sort_by_key(|e| e.at);
    (out, warnings)
}

fn labels_text(labels: &crate::prom::Labels) -> String {
    labels.iter().map(|(k, v)| format!("{k}={}", sanitize::clean(v))).collect::<Vec<_>>().join(" ")
}

/// Who reported an alert, so rows that look alike read apart: warroom's own rule, or a
/// source's alerting rule.
fn origin(scope: crate::alert::Scope) -> &'static str {
    match scope {
        crate::alert::Scope::Prometheus => "[prometheus rule]",
        crate::alert::Scope::Series | crate::alert::Scope::Query => "[warroom rule]",
    }
}

fn from_event(e: &Event) -> Option<Entry> {
    let raw = serde_json::to_value(e).unwrap_or(Value::Null);
    let (kind, what, details) = match e {
        // A pending alert that never fired is noise in a postmortem.
        Event::Transition { from: AlertState::Pending, to: AlertState::Inactive, .. } => {
            return None
        }
        Event::Transition { rule, scope, labels, to, severity, summary, .. } => (
            "alert",
            format!("{rule} {} ({}) {}", to.label(), severity.label(), origin(*scope)),
            format!("{summary} {}", labels_text(labels)),
        ),
        Event::Escalation { rule, scope, labels, from, to, summary, .. } => (
            "alert",
            format!("{rule} escalated {} → {} {}", from.label(), to.label(), origin(*scope)),
            format!("{summary} {}", labels_text(labels)),
        ),
        Event::Ack { rule, labels, by, note, until, silence, .. } => (
            "ack",
            match silence {
                Some(id) => format!("{rule} silenced in Alertmanager by {by} (silence {id})"),
                None => format!("{rule} acknowledged by {by}"),
            },
            format!(
                "{}{} {}",
                note.as_deref().map(|n| format!("note: {n}; ")).unwrap_or_default(),
                until
                    .map(|u| format!("until {}", u.format("%H:%M:%S")))
                    .unwrap_or_else(|| "until resolved".into()),
                labels_text(labels)
            ),
        ),
        Event::Unack { rule, reason, .. } => {
            ("ack", format!("{rule} acknowledgement ended ({reason:?})"), String::new())
        }
        Event::Storm { rule, to, severity, count, .. } => (
            "alert",
            format!(
                "{rule} {} ({}): {} more alerts at once",
                to.label(),
                severity.label(),
                crate::units::thousands(*count)
            ),
            "a storm: the first alerts are listed one by one, the rest counted here".to_string(),
        ),
    };
    Some(Entry {
        at: e.at(),
        kind,
        what: sanitize::clean_owned(&what),
        details: sanitize::clean_owned(&details),
        raw,
    })
}

fn from_audit(r: &AuditRecord) -> Entry {
    let raw = serde_json::to_value(r).unwrap_or(Value::Null);
    let who = r.who.describe();
    let target = if r.target.is_empty() { String::new() } else { format!(" on {}", r.target) };
    let action = format!("[{}] {}{target}", r.action_key, r.action_label);
    // A dry run changed nothing: every line about one says so, so that nobody reading the
    // timeline after the incident takes a preview for the real thing.
    let dry = r.mode == "dry-run";
    let run = if dry { "dry run" } else { "action" };
    let (what, details) = match r.kind {
        RecordKind::Started => {
            let overridden = if r.guard_override { " OVERRIDING A FAILED GUARD" } else { "" };
            let mut details = r.command.join(" ");
            for g in &r.guards {
                let mark = if g.holds == Some(true) { "holds" } else { "DOES NOT HOLD" };
                details.push_str(&format!("; guard {}: {} ({mark})", g.why, g.read));
            }
            (format!("action started: {action} by {who}{overridden}"), details)
        }
        RecordKind::Verified => {
            let v = r.verification.as_ref();
            let summary = v.map_or_else(|| "verified".to_owned(), |v| v.summary.clone());
            let query = v.map(|v| format!("verify: {}", v.query)).unwrap_or_default();
            (format!("{run} {summary}: {action}"), query)
        }
        RecordKind::DryRun => (format!("dry run started: {action} by {who}"), r.command.join(" ")),
        RecordKind::Finished => {
            let outcome = r.outcome.clone().unwrap_or_else(|| "finished".into());
            let took = r
                .duration_ms
                .map(|ms| format!(" in {:.1}s", ms as f64 / 1000.0))
                .unwrap_or_default();
            let tail =
                r.output_tail.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" / ");
            (format!("{run} finished: {action}: {outcome}{took}"), tail)
        }
        RecordKind::Denied => (
            format!("{run} denied (read-only): {action} by {who}"),
            r.reason.clone().unwrap_or_default(),
        ),
        RecordKind::Refused => {
            (format!("{run} refused: {action} by {who}"), r.reason.clone().unwrap_or_default())
        }
    };
    Entry {
        at: r.time,
        kind: "action",
        what: sanitize::clean_owned(&what),
        details: sanitize::clean_owned(&details),
        raw,
    }
}

/// Other hosts' announced actions, as read from Alertmanager: one entry as each started and
/// one as each ended, marked with its host. Left out are `me` (user, host), and every run the
/// `local` entries (this state directory's audit log) already tell of: whoever runs
/// `warroom timeline`, a run of this host is told once, with its guards and its verdict.
pub fn from_team(
    announcements: &[crate::pager::Announcement],
    since: DateTime<Utc>,
    (user, host): (&str, &str),
    local: &[Entry],
) -> Vec<Entry> {
    let notes: Vec<&str> = local.iter().filter_map(|e| e.raw["announcement"].as_str()).collect();
    let told_here = |a: &crate::pager::Announcement| {
        (a.user == user && a.host == host) || notes.iter().any(|n| n.contains(a.run.as_str()))
    };
    let mut out = Vec::new();
    for a in announcements.iter().filter(|a| !told_here(a)) {
        let raw = json!({
            "source": "alertmanager", "warroom_run": a.run, "runbook": a.runbook,
            "action_key": a.key, "action_label": a.label, "target": a.target,
            "environment": a.environment, "user": a.user, "host": a.host, "since": a.since,
            "outcome": a.finished.as_ref().map(|f| f.outcome.clone()),
            "duration_ms": a.finished.as_ref().map(|f| f.took.as_millis()),
        });
        let target = if a.target.is_empty() { String::new() } else { format!(" on {}", a.target) };
        let action = format!("[{}] {}{target}", a.key, a.label);
        let mark = format!("[host {}]", a.host);
        let details = format!("announced through Alertmanager (run {})", a.run);
        let mut push = |at: DateTime<Utc>, what: String| {
            if at >= since {
                out.push(Entry {
                    at,
                    kind: "action",
                    what: sanitize::clean_owned(&what),
                    details: sanitize::clean_owned(&details),
                    raw: raw.clone(),
                });
            }
        };
        push(a.since, format!("{mark} action started: {action} by {}@{}", a.user, a.host));
        if let Some(f) = &a.finished {
            let took = chrono::Duration::from_std(f.took).unwrap_or_default();
            let secs = f.took.as_secs_f64();
            push(
                a.since + took,
                format!("{mark} action finished: {action}: {} in {secs:.1}s", f.outcome),
            );
        }
    }
    out
}

/// A Markdown table, with `|` escaped inside cells.
pub fn markdown(entries: &[Entry], environment: &str, since: DateTime<Utc>) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = format!(
        "# Incident timeline: {}\n\nFrom {} (UTC). {} entries.\n\n| time (UTC) | what | details |\n|---|---|---|\n",
        cell(&sanitize::clean(environment)),
        since.format("%Y-%m-%d %H:%M:%S"),
        entries.len()
    );
    for e in entries {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            cell(&e.what),
            cell(&e.details)
        ));
    }
    out
}

/// JSON: an array of `{time, kind, what, details, record}`.
pub fn json(entries: &[Entry]) -> String {
    let items: Vec<Value> = entries
        .iter()
        .map(|e| json!({"time": e.at, "kind": e.kind, "what": e.what, "details": e.details, "record": e.raw}))
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::{Identity, Refusal};

    fn record(kind: RecordKind, dry_run: bool) -> AuditRecord {
        let who = Identity::from_env("prod");
        let labels = crate::prom::Labels::new();
        let mut r = AuditRecord::refusal(
            &who,
            "pg",
            't',
            "Terminate",
            dry_run,
            &labels,
            &Refusal::ReadOnly,
        );
        r.kind = kind;
        r.outcome = Some("exit 0".into());
        r
    }

    #[test]
    fn other_hosts_announced_actions_are_marked_with_their_host() {
        let at = |s: i64| DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default();
        let a = crate::pager::Announcement {
            run: "bastion-2:7:1:3".into(),
            runbook: "pg".into(),
            key: "t".into(),
            label: "Terminate".into(),
            target: "pg-main-1".into(),
            environment: "prod".into(),
            user: "alice".into(),
            host: "bastion-2".into(),
            since: at(10),
            claimed: None,
            ends: at(70),
            finished: Some(crate::pager::Finish {
                outcome: "exit 0".into(),
                took: std::time::Duration::from_millis(3200),
            }),
        };
        let mine =
            crate::pager::Announcement { user: "bob".into(), host: "b1".into(), ..a.clone() };
        let entries = from_team(&[a.clone(), mine], at(0), ("bob", "b1"), &[]);
        let what: Vec<&str> = entries.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "[host bastion-2] action started: [t] Terminate on pg-main-1 by alice@bastion-2",
                "[host bastion-2] action finished: [t] Terminate on pg-main-1: exit 0 in 3.2s",
            ]
        );
        let later = from_team(std::slice::from_ref(&a), at(11), ("bob", "b1"), &[]);
        assert_eq!(later.len(), 1, "only what happened since: {later:?}");
        // A run this state directory's audit log tells of is told once, whoever reads it.
        let mut started = record(RecordKind::Started, false);
        started.announcement = Some(format!("announced to 2/2 Alertmanagers as {}", a.run));
        let local = [from_audit(&started)];
        assert!(from_team(&[a], at(0), ("root", "elsewhere"), &local).is_empty());
    }

    #[test]
    fn dry_runs_never_read_like_real_actions() {
        let what = |kind, dry| from_audit(&record(kind, dry)).what;
        assert!(what(RecordKind::DryRun, true).starts_with("dry run started: [t] Terminate"));
        assert!(what(RecordKind::Finished, true).starts_with("dry run finished: [t] Terminate"));
        assert!(what(RecordKind::Denied, true).starts_with("dry run denied (read-only)"));
        assert!(what(RecordKind::Refused, true).starts_with("dry run refused"));
        assert!(what(RecordKind::Started, false).starts_with("action started: [t] Terminate"));
        assert!(what(RecordKind::Finished, false).starts_with("action finished: [t] Terminate"));
        assert!(what(RecordKind::Denied, false).starts_with("action denied (read-only)"));
    }
}
