//! The audit log: one JSON object per line, appended and fsynced, in the state directory. It is
//! what `warroom timeline` reads back for the postmortem: who ran what, on which target, how it
//! ended.

#![allow(unsafe_code, reason = "gethostname(2), through libc")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::exec::Outcome;
use super::guard::{show, Guard, Reading, Verdict};
use super::resolve::{Refusal, Resolved};
use crate::prom::Labels;

/// What a record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// A confirmed action is about to start (written before the child exists).
    Started,
    /// A dry run is about to start.
    DryRun,
    /// A run ended.
    Finished,
    /// Read-only mode stopped an action.
    Denied,
    /// Templates, the allow-list, a guard, the lock or the cooldown stopped an action.
    Refused,
    /// Watching a run's verify query found it effective or not.
    Verified,
}

/// Who is at the keyboard and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `$USER` (or `$LOGNAME`).
    pub user: String,
    /// `$SUDO_USER`, when warroom runs under sudo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    /// Client address from `$SSH_CONNECTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
    /// This host's name.
    pub host: String,
    /// The config's environment name (`prod`, `staging`…).
    pub environment: String,
}

impl Identity {
    /// Reads the user, sudo user, SSH client and host name from the process environment.
    pub fn from_env(environment: &str) -> Identity {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Identity {
            user: var("USER").or_else(|| var("LOGNAME")).unwrap_or_else(|| "unknown".into()),
            sudo_user: var("SUDO_USER"),
            ssh_client: crate::identity::ssh_client(),
            host: hostname(),
            environment: environment.to_string(),
        }
    }

    /// `alice@bastion-1` (with `(sudo from bob)` and `from 10.0.0.7` when known).
    pub fn describe(&self) -> String {
        let mut s = format!("{}@{}", self.user, self.host);
        if let Some(u) = &self.sudo_user {
            s.push_str(&format!(" (sudo from {u})"));
        }
        if let Some(c) = &self.ssh_client {
            s.push_str(&format!(" from {c}"));
        }
        s
    }
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// UTC time of the record.
    pub time: DateTime<Utc>,
    /// What happened.
    pub kind: RecordKind,
    /// The run, for `Started`/`DryRun`/`Finished`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<u64>,
    /// Who and where.
    #[serde(flatten)]
    pub who: Identity,
    /// Runbook id.
    pub runbook: String,
    /// Action key.
    pub action_key: String,
    /// Action label.
    pub action_label: String,
    /// `dry-run` or `confirmed`.
    pub mode: String,
    /// The argv, or method and URL (redacted), as it ran or would have run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Environment additions, secrets redacted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Names of the variables passed on from warroom's own environment (the allow-list of
    /// [`super::env`]); their values are never recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_passed: Vec<String>,
    /// The target's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// The alert labels the action used (or all of them for refusals).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    /// `Finished`: the outcome summary (`exit 0`, `timed out`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// `Finished`: the exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// `Finished`: the signal that killed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// `Finished`: whether the deadline passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed_out: Option<bool>,
    /// `Finished`: wall time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// `Finished`: the last lines of output, control characters escaped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_tail: Vec<String>,
    /// `Denied`/`Refused`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `Started`/`Finished`: each guard as read just before the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<GuardRecord>,
    /// `Started`/`Finished`: a guard did not hold and the engineer typed the override.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guard_override: bool,
    /// `Verified`: what watching the verify query found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerifyRecord>,
    /// `Started`/`Finished`/`Refused`: what became of its announcement to the team through
    /// Alertmanager (`announced to 2/2 Alertmanagers as …`, `not announced: Alertmanager
    /// unreachable (…)`); absent for actions that are not announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announcement: Option<String>,
}

/// A guard as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardRecord {
    /// Why it must hold.
    pub why: String,
    /// The query, labels filled in.
    pub query: String,
    /// Whether it held (`None`: it could not be read).
    pub holds: Option<bool>,
    /// What was read: `"2 (needs < 5)"`, `"no data"`.
    pub read: String,
}

impl GuardRecord {
    /// One record per guard, with its reading (none when it was not read).
    pub fn list(guards: &[Guard], readings: &[Reading]) -> Vec<GuardRecord> {
        guards
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let r = readings.get(i);
                GuardRecord {
                    why: g.why.clone(),
                    query: g.query.clone(),
                    holds: r.and_then(|r| r.holds),
                    read: r.map_or_else(|| "not read".into(), |r| r.shown.clone()),
                }
            })
            .collect()
    }
}

/// A verification as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRecord {
    /// The query, labels filled in.
    pub query: String,
    /// Whether it held within the time given.
    pub effective: bool,
    /// Its value when the run started, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// What was read last: `"71 (needs < 80)"`.
    pub after: String,
    /// Milliseconds from the run's end to that reading.
    pub after_ms: u64,
    /// For people: `"effective: 98 → 71 within 40 s"`.
    pub summary: String,
}

impl VerifyRecord {
    /// The record of `verdict` on `resolved`'s verify query.
    pub fn of(resolved: &Resolved, verdict: &Verdict) -> VerifyRecord {
        VerifyRecord {
            query: resolved.verify.as_ref().map(|v| v.query.clone()).unwrap_or_default(),
            effective: verdict.effective,
            before: verdict.before.as_ref().and_then(|b| b.value).map(|v| show(&verdict.unit, v)),
            after: verdict.after.shown.clone(),
            after_ms: u64::try_from(verdict.elapsed.as_millis()).unwrap_or(u64::MAX),
            summary: verdict.summary(),
        }
    }
}

impl AuditRecord {
    /// A record about `resolved` (command, env, target and labels filled in, redacted).
    pub fn for_resolved(
        kind: RecordKind,
        who: &Identity,
        r: &Resolved,
        run_id: Option<u64>,
    ) -> Self {
        AuditRecord {
            time: Utc::now(),
            kind,
            run_id,
            who: who.clone(),
            runbook: r.runbook.clone(),
            action_key: r.key.to_string(),
            action_label: r.label.clone(),
            mode: if r.dry_run { "dry-run" } else { "confirmed" }.into(),
            command: r.audit_command(),
            env: r.redacted_env(),
            env_passed: Vec::new(),
            target: r.target.clone(),
            labels: r.labels.clone(),
            outcome: None,
            exit_code: None,
            signal: None,
            timed_out: None,
            duration_ms: None,
            output_tail: Vec::new(),
            reason: None,
            guards: Vec::new(),
            guard_override: false,
            verification: None,
            announcement: None,
        }
    }

    /// A `Denied` or `Refused` record for an action that could not be resolved or run.
    pub fn refusal(
        who: &Identity,
        runbook: &str,
        key: char,
        label: &str,
        dry_run: bool,
        labels: &Labels,
        refusal: &Refusal,
    ) -> Self {
        AuditRecord {
            time: Utc::now(),
            kind: if *refusal == Refusal::ReadOnly {
                RecordKind::Denied
            } else {
                RecordKind::Refused
            },
            run_id: None,
            who: who.clone(),
            runbook: runbook.to_string(),
            action_key: key.to_string(),
            action_label: label.to_string(),
            mode: if dry_run { "dry-run" } else { "confirmed" }.into(),
            command: Vec::new(),
            env: BTreeMap::new(),
            env_passed: Vec::new(),
            target: String::new(),
            labels: labels.clone(),
            outcome: None,
            exit_code: None,
            signal: None,
            timed_out: None,
            duration_ms: None,
            output_tail: Vec::new(),
            reason: Some(refusal.to_string()),
            guards: Vec::new(),
            guard_override: false,
            verification: None,
            announcement: None,
        }
    }

    /// Fills in the `Finished` fields.
    pub fn finished(mut self, outcome: &Outcome, duration: Duration, tail: &[String]) -> Self {
        self.kind = RecordKind::Finished;
        self.time = Utc::now();
        self.outcome = Some(outcome.summary());
        self.exit_code = match outcome {
            Outcome::Exited(c) => Some(*c),
            Outcome::Http(s) => Some(i32::from(*s)),
            _ => None,
        };
        self.signal = match outcome {
            Outcome::Signalled(s) => Some(*s),
            _ => None,
        };
        self.timed_out = Some(*outcome == Outcome::TimedOut);
        self.duration_ms = Some(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
        self.output_tail = tail.to_vec();
        self
    }
}

/// The append-only audit file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// The log at `<state_dir>/audit.jsonl`.
    pub fn in_state_dir(state_dir: &Path) -> Self {
        AuditLog { path: state_dir.join("audit.jsonl") }
    }

    /// The log at an explicit path.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        AuditLog { path: path.into() }
    }

    /// Where the log lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one `write` and fsyncs it before returning. Blocking: call it from
    /// a blocking thread (the launcher does).
    pub fn append(&self, record: &AuditRecord) -> std::io::Result<()> {
        // Opened for each record: a torn line another process left is ended first.
        let mut file = crate::jsonl::open_append(&self.path)?;
        crate::jsonl::append(&mut file, [record])?;
        file.sync_data()
    }
}

/// Records at or after `since`, in file order, with a warning (naming the line) for each line
/// that is not an audit record. A missing file is an empty log; a torn last line after a crash
/// is skipped without a warning.
pub fn read_since(path: &Path, since: DateTime<Utc>) -> (Vec<AuditRecord>, Vec<String>) {
    crate::jsonl::read(path, "an audit record", |r: &AuditRecord| r.time >= since)
}
