//! The one entry point the UI needs: resolve an action for the confirm dialog, then launch
//! exactly what was confirmed, with read-only mode, the per-target lock, the cooldown and the
//! audit log around it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::audit::{AuditLog, AuditRecord, Identity, RecordKind};
use super::exec::{start_with, Hooks, Outcome, RunEvent, RunHandle};
use super::lock::RunLock;
use super::resolve::{Context, Refusal, Resolved};
use super::spec::ActionSpec;

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
}

impl Launcher {
    /// A launcher keeping locks in `<state_dir>/locks/` and the audit log in
    /// `<state_dir>/audit.jsonl`. In `read_only` mode every launch is refused and recorded as
    /// `Denied` (dry runs included: they run commands too).
    pub fn new(state_dir: impl Into<PathBuf>, who: Identity, read_only: bool) -> Self {
        let state_dir = state_dir.into();
        Launcher { audit: AuditLog::in_state_dir(&state_dir), state_dir, who, read_only }
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

    /// Resolves `action` for `ctx`: what the confirm dialog shows (`Resolved::display`,
    /// `Resolved::target`, `Resolved::confirm`). A refusal is written to the audit log and
    /// returned for display. Does not take the lock and does not run anything.
    pub fn prepare(
        &self,
        action: &ActionSpec,
        ctx: &Context,
        mode: Mode,
    ) -> Result<Resolved, Refusal> {
        let result = match mode {
            Mode::Confirmed => action.resolve(ctx),
            Mode::DryRun => action.resolve_dry_run(ctx).and_then(|r| {
                r.ok_or_else(|| Refusal::Invalid(format!("{} has no dry run", action.label)))
            }),
        };
        if let Err(refusal) = &result {
            self.record_refusal(action, mode == Mode::DryRun, &ctx.labels, refusal);
        }
        result
    }

    /// Starts `resolved` (as returned by [`Launcher::prepare`] and confirmed) and returns at
    /// once; progress arrives on `tx` and ends with `RunEvent::Finished`. Refused without running
    /// in read-only mode, when another run of this action on this target holds the lock (any
    /// warroom process on the host), or during the cooldown. The `Started`/`DryRun` record is on
    /// disk before the child starts; `Finished` is written before the `Finished` event is sent.
    /// Must be called within a tokio runtime.
    pub fn launch(
        &self,
        run_id: u64,
        action: &ActionSpec,
        resolved: Resolved,
        tx: mpsc::UnboundedSender<RunEvent>,
    ) -> Result<RunHandle, Refusal> {
        let refuse = |r: Refusal| {
            self.record_refusal(action, resolved.dry_run, &resolved.labels, &r);
            Err(r)
        };
        if self.read_only {
            return refuse(Refusal::ReadOnly);
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
                &self.state_dir,
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
        let hooks = AuditHooks {
            audit: self.audit.clone(),
            record: AuditRecord::for_resolved(kind, &self.who, &resolved, Some(run_id)),
            lock,
        };
        Ok(start_with(run_id, resolved, action.timeout, tx, Box::new(hooks)))
    }

    /// Writes a refusal to the audit log (template or allow-list failure, read-only, lock…).
    pub fn record_refusal(
        &self,
        action: &ActionSpec,
        dry_run: bool,
        labels: &crate::prom::Labels,
        refusal: &Refusal,
    ) {
        let record = AuditRecord::refusal(
            &self.who,
            &action.runbook,
            action.key,
            &action.label,
            dry_run,
            labels,
            refusal,
        );
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

struct AuditHooks {
    audit: AuditLog,
    record: AuditRecord,
    lock: Option<RunLock>,
}

impl Hooks for AuditHooks {
    fn before_start(&mut self) -> Result<(), String> {
        self.record.time = Utc::now();
        self.audit.append(&self.record).map_err(|e| {
            format!("not started: cannot write the audit log {}: {e}", self.audit.path().display())
        })
    }

    fn finished(&mut self, outcome: &Outcome, duration: Duration, tail: &[String]) {
        let record = self.record.clone().finished(outcome, duration, tail);
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
