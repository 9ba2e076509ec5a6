//! The one entry point the UI needs: [`prepare`] resolves an action for the confirm dialog (or
//! refuses it), and [`Launcher::submit`] carries out the [`Order`] that follows, starting exactly
//! what was confirmed with read-only mode, the per-target lock, the cooldown and the audit log
//! around it, or recording the refusal. Nothing else in warroom starts an action or writes a
//! refusal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::audit::{AuditLog, AuditRecord, GuardRecord, Identity, RecordKind, VerifyRecord};
use super::env::BaseEnv;
use super::exec::{start_with, Hooks, Outcome, RunEvent, RunGate, RunHandle};
use super::guard::{Reading, Verdict};
use super::lock::RunLock;
use super::resolve::{Context, Refusal, Request, Resolved};
use super::spec::ActionSpec;
use crate::pager::{Announcement, Claim};

/// Which form of an action to prepare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The action's `dry_run` argv: a read-only preview.
    DryRun,
    /// The action itself.
    Confirmed,
}

/// Starts runbook actions for one warroom process.
#[derive(Debug, Clone)]
pub struct Launcher {
    state_dir: PathBuf,
    audit: AuditLog,
    who: Identity,
    read_only: bool,
    env: Arc<BaseEnv>,
    lock_dir: PathBuf,
    /// Where runs are announced to the team, when `[alertmanager]` is configured.
    team: Option<crate::pager::Team>,
    /// `host:pid:start:`, the start of this process's run names across the team.
    run_prefix: String,
}

impl Launcher {
    /// A launcher keeping locks in `<state_dir>/locks/` (see [`Launcher::with_lock_dir`]) and
    /// the audit log in `<state_dir>/audit.jsonl`. In `read_only` mode every launch is refused and recorded as
    /// `Denied` (dry runs included: they run commands too). Programs inherit the allow-listed
    /// part of this process's environment ([`BaseEnv`]); see [`Launcher::with_env`].
    pub fn new(state_dir: impl Into<PathBuf>, who: Identity, read_only: bool) -> Self {
        let state_dir = state_dir.into();
        let env = Arc::new(BaseEnv::from_process(&[]));
        let lock_dir = state_dir.join("locks");
        let audit = AuditLog::in_state_dir(&state_dir);
        let started = Utc::now().timestamp_millis();
        let run_prefix = format!("{}:{}:{started}:", who.host, std::process::id());
        Launcher { audit, state_dir, who, read_only, env, lock_dir, team: None, run_prefix }
    }

    /// Confirmed runs of announced actions ([`ActionSpec::announced`]) are announced through
    /// `team` before they start, and refused when another host's announcement of the same
    /// action on the same target runs, or was first (see [`crate::pager::team`]).
    pub fn with_team(mut self, team: crate::pager::Team) -> Self {
        self.team = Some(team);
        self
    }

    /// What names run `run_id` across the team (the `warroom_run` label).
    pub fn run_name(&self, run_id: u64) -> String {
        format!("{}{run_id}", self.run_prefix)
    }

    /// The start every run name of this process shares: how its own announcements are told
    /// from others'.
    pub fn run_prefix(&self) -> &str {
        &self.run_prefix
    }

    /// Locks and cooldowns in `dir` instead, shared with every user of the host who uses it
    /// (the dashboard uses the config's `lock_dir`, by default
    /// [`super::lock::default_lock_dir`]).
    pub fn with_lock_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.lock_dir = dir.into();
        self
    }

    /// Where locks and cooldowns live.
    pub fn lock_dir(&self) -> &Path {
        &self.lock_dir
    }

    /// Programs start with `env` (and their own variables) instead: built with the config's
    /// credential variables withheld (`Config::credential_env_names`).
    pub fn with_env(mut self, env: BaseEnv) -> Self {
        self.env = Arc::new(env);
        self
    }

    /// The audit log (for `warroom timeline`).
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Whether launches are refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Carries out what the dashboard asks: starts a run (or refuses it, and says why), or
    /// records an action refused before it could be offered. This is the only way in: every
    /// run and every refusal, whatever stopped it (template or allow-list, a dry run's
    /// template, read-only mode, the lock, the cooldown, an unwritable audit log), is written to
    /// the audit log here. Must be called within a tokio runtime for a run to start.
    pub fn submit(&self, order: Order, tx: mpsc::UnboundedSender<RunEvent>) -> Submitted {
        match order {
            Order::Run { run_id, action, resolved, checks } => {
                match self.launch(run_id, &action, *resolved, &checks, tx) {
                    Ok(handle) => Submitted::Started(handle),
                    Err(refusal) => Submitted::NotStarted { run_id, refusal },
                }
            }
            Order::Refused(r) => {
                self.record_refusal(&r);
                Submitted::Recorded
            }
            Order::Verified { run_id, resolved, verdict } => {
                let mut record =
                    AuditRecord::for_resolved(RecordKind::Verified, &self.who, &resolved, None);
                record.run_id = Some(run_id);
                record.verification = Some(VerifyRecord::of(&resolved, &verdict));
                self.append_off_thread(record);
                Submitted::Recorded
            }
        }
    }

    /// Starts `resolved` (as returned by [`prepare`] and confirmed) and returns at once; progress arrives on `tx` and ends with `RunEvent::Finished`. Refused without running
    /// in read-only mode, when another run of this action on this target holds the lock (any
    /// warroom process on the host), or during the cooldown. The `Started`/`DryRun` record is on
    /// disk before the child starts; `Finished` is written before the `Finished` event is sent.
    /// Must be called within a tokio runtime.
    fn launch(
        &self,
        run_id: u64,
        action: &ActionSpec,
        resolved: Resolved,
        checks: &Checks,
        tx: mpsc::UnboundedSender<RunEvent>,
    ) -> Result<RunHandle, Refusal> {
        let refuse = |refusal: Refusal| {
            self.record_refusal(&Refused::new(action, &resolved, refusal.clone()));
            Err(refusal)
        };
        if self.read_only {
            return refuse(Refusal::ReadOnly);
        }
        if let Some(refusal) = checks.refusal(action, &resolved) {
            return refuse(refusal);
        }
        let lock = if resolved.dry_run {
            None
        } else {
            let holder = format!(
                "{} by {} (pid {})",
                Utc::now().format("%Y-%m-%d %H:%M:%S UTC"),
                self.who.describe(),
                std::process::id()
            );
            match RunLock::acquire(
                &self.lock_dir,
                &resolved.runbook,
                resolved.key,
                &resolved.target,
                action.cooldown,
                &holder,
            ) {
                Ok(l) => Some(l),
                Err(r) => return refuse(r),
            }
        };
        let kind = if resolved.dry_run { RecordKind::DryRun } else { RecordKind::Started };
        let mut record = AuditRecord::for_resolved(kind, &self.who, &resolved, Some(run_id));
        if matches!(resolved.request, Request::Argv(_)) {
            record.env_passed = self.env.names();
        }
        record.guards = GuardRecord::list(&resolved.guards, &checks.readings);
        record.guard_override = checks.overridden && checks.any_failed();
        let claim = self.claim(run_id, action, &resolved);
        let gate = claim.clone().map(|c| Box::new(c) as Box<dyn RunGate>);
        let refused = Refused::new(action, &resolved, Refusal::ReadOnly);
        let hooks = AuditHooks { audit: self.audit.clone(), record, lock, claim, refused };
        Ok(start_with(run_id, resolved, &self.env, action.timeout, tx, (Box::new(hooks), gate)))
    }

    /// The announcement of confirmed run `run_id`, when it is announced.
    fn claim(&self, run_id: u64, action: &ActionSpec, r: &Resolved) -> Option<Claim> {
        let team = self.team.as_ref().filter(|_| r.announced)?;
        let now = Utc::now();
        let announcement = Announcement {
            run: self.run_name(run_id),
            runbook: r.runbook.clone(),
            key: r.key.to_string(),
            label: r.label.clone(),
            target: r.target.clone(),
            environment: self.who.environment.clone(),
            user: self.who.user.clone(),
            host: self.who.host.clone(),
            since: now,
            claimed: None,
            ends: now + crate::pager::team::ends_after(action.timeout),
            finished: None,
        };
        Some(Claim::new(team.clone(), announcement))
    }

    /// What would refuse `resolved` now, before anyone confirms it: read-only mode, a run of the
    /// same action on the same target holding the lock, or a cooldown. A dry run is never
    /// refused for a lock. [`Launcher::submit`] still decides when it is confirmed.
    pub fn peek(&self, resolved: &Resolved) -> Option<Refusal> {
        if self.read_only {
            return Some(Refusal::ReadOnly);
        }
        if resolved.dry_run {
            return None;
        }
        let here = RunLock::peek(&self.lock_dir, &resolved.runbook, resolved.key, &resolved.target);
        here.or_else(|| {
            let team = self.team.as_ref()?;
            if let Some(e) = team.unreachable().filter(|_| team.required() && resolved.announced) {
                let e = crate::sanitize::clean_owned(&e);
                return Some(Refusal::Unannounced(format!("Alertmanager unreachable ({e})")));
            }
            let known = team.known();
            let id = (resolved.runbook.as_str(), resolved.key, resolved.target.as_str());
            let own = self.run_prefix.as_str();
            let other = crate::pager::team::running_elsewhere(&known, id, own, Utc::now())?;
            let offset = *chrono::Local::now().offset();
            Some(Refusal::Elsewhere(other.line(offset)))
        })
    }

    /// Writes a refusal to the audit log, off the caller's thread when there is a runtime.
    fn record_refusal(&self, r: &Refused) {
        let record = AuditRecord::refusal(
            &self.who, &r.runbook, r.key, &r.label, r.dry_run, &r.labels, &r.refusal,
        );
        self.append_off_thread(record);
    }

    /// Appends `record`, off the caller's thread when there is a runtime.
    fn append_off_thread(&self, record: AuditRecord) {
        let audit = self.audit.clone();
        let write = move || {
            if let Err(e) = audit.append(&record) {
                tracing::warn!("audit log {}: {e}", audit.path().display());
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(write)),
            Err(_) => write(),
        }
    }
}

/// Resolves `action` for `ctx`: what the confirm dialog shows (`Resolved::display`,
/// `Resolved::target`, `Resolved::confirm`), or the refusal, which the caller hands to
/// [`Launcher::submit`] as [`Order::Refused`] so that it is audited. Pure: takes no lock, runs
/// nothing, writes nothing.
pub fn prepare(action: &ActionSpec, ctx: &Context, mode: Mode) -> Result<Resolved, Box<Refused>> {
    let result = match mode {
        Mode::Confirmed => action.resolve(ctx),
        Mode::DryRun => action.resolve_dry_run(ctx).and_then(|r| {
            r.ok_or_else(|| Refusal::Invalid(format!("{} has no dry run", action.label)))
        }),
    };
    result.map_err(|refusal| {
        Box::new(Refused {
            runbook: action.runbook.clone(),
            key: action.key,
            label: action.label.clone(),
            dry_run: mode == Mode::DryRun,
            labels: ctx.labels.clone(),
            refusal,
        })
    })
}

/// What the dashboard asks of the [`Launcher`].
#[derive(Debug, Clone)]
pub enum Order {
    /// Start a confirmed action or a dry run (as resolved by [`prepare`]).
    Run {
        /// The run's id, as the output pane knows it.
        run_id: u64,
        /// The action (timeout, cooldown).
        action: Box<ActionSpec>,
        /// Exactly what was shown and confirmed.
        resolved: Box<Resolved>,
        /// The guards' readings just before, and whether the engineer overrode a failing one.
        checks: Checks,
    },
    /// Record an action that [`prepare`] refused.
    Refused(Box<Refused>),
    /// Record what watching a run's verify query found.
    Verified {
        /// The run's id.
        run_id: u64,
        /// What ran.
        resolved: Box<Resolved>,
        /// What the watch found.
        verdict: Box<Verdict>,
    },
}

/// The guards of a run as read just before it was started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// One reading per guard of the resolved action, in order.
    pub readings: Vec<Reading>,
    /// A guard failed and the engineer typed the override.
    pub overridden: bool,
}

impl Checks {
    /// Whether some guard did not hold.
    pub fn any_failed(&self) -> bool {
        self.readings.iter().any(|r| !r.ok())
    }

    /// Why these readings do not let `resolved` run, if they do not: a guard without a
    /// reading, or one that does not hold unless `action` allows the override that was typed.
    pub fn refusal(&self, action: &ActionSpec, resolved: &Resolved) -> Option<Refusal> {
        if resolved.dry_run || resolved.guards.is_empty() {
            return None;
        }
        if self.readings.len() != resolved.guards.len() {
            return Some(Refusal::Guard("the guards were not read before the run".into()));
        }
        let failed = resolved.guards.iter().zip(&self.readings).find(|(_, r)| !r.ok());
        let (guard, reading) = failed?;
        if self.overridden && action.guard_override {
            return None;
        }
        Some(Refusal::Guard(format!("{}: {}", guard.why, reading.shown)))
    }
}

/// What came of an [`Order`].
#[derive(Debug)]
pub enum Submitted {
    /// The run started; its events arrive on the channel.
    Started(RunHandle),
    /// The run was refused (and the refusal recorded); nothing ran.
    NotStarted {
        /// The run's id.
        run_id: u64,
        /// Why.
        refusal: Refusal,
    },
    /// The refusal was recorded.
    Recorded,
}

/// An action that will not run, and why: what the audit log records of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Runbook id.
    pub runbook: String,
    /// Action key.
    pub key: char,
    /// Action label.
    pub label: String,
    /// Whether it was the action's dry run.
    pub dry_run: bool,
    /// The alert's labels (all of them: which one was refused is in the reason).
    pub labels: crate::prom::Labels,
    /// Why.
    pub refusal: Refusal,
}

impl Refused {
    fn new(action: &ActionSpec, resolved: &Resolved, refusal: Refusal) -> Self {
        Refused {
            runbook: action.runbook.clone(),
            key: action.key,
            label: action.label.clone(),
            dry_run: resolved.dry_run,
            labels: resolved.labels.clone(),
            refusal,
        }
    }
}

struct AuditHooks {
    audit: AuditLog,
    record: AuditRecord,
    lock: Option<RunLock>,
    /// The run's announcement, whose note goes into its records.
    claim: Option<Claim>,
    /// What a refusal at the gate records (its reason filled in then).
    refused: Refused,
}

impl Hooks for AuditHooks {
    fn before_start(&mut self) -> Result<(), String> {
        self.record.time = Utc::now();
        self.record.announcement = self.claim.as_ref().and_then(Claim::note);
        self.audit.append(&self.record).map_err(|e| {
            format!("not started: cannot write the audit log {}: {e}", self.audit.path().display())
        })
    }

    fn finished(&mut self, outcome: &Outcome, duration: Duration, tail: &[String]) {
        if let Outcome::Refused(refusal) = outcome {
            // Refused at the gate: nothing ran, so a refusal and no cooldown.
            let r = &self.refused;
            let mut record = AuditRecord::refusal(
                &self.record.who,
                &r.runbook,
                r.key,
                &r.label,
                r.dry_run,
                &r.labels,
                refusal,
            );
            record.target.clone_from(&self.record.target);
            record.announcement = self.claim.as_ref().and_then(Claim::note);
            if let Err(e) = self.audit.append(&record) {
                tracing::warn!("audit log {}: {e}", self.audit.path().display());
            }
            self.lock.take();
            return;
        }
        let mut record = self.record.clone().finished(outcome, duration, tail);
        record.announcement = self.claim.as_ref().and_then(Claim::note);
        if let Err(e) = self.audit.append(&record) {
            tracing::warn!("audit log {}: {e}", self.audit.path().display());
        }
        if let Some(lock) = self.lock.take() {
            // A program that never started leaves no cooldown behind.
            if !matches!(outcome, Outcome::FailedToStart(_)) {
                if let Err(e) = lock.finish() {
                    tracing::warn!("cooldown file: {e}");
                }
            }
        }
    }
}
