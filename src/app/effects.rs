//! Where every effect `update` asks for is carried out, in one place: the loop hands each one
//! here and learns only whether to quit or draw. Effects that wait for a source go to tasks
//! whose answers come back as messages ([`crate::asks`], the pollers, the pager); effects that
//! touch files (the run lock, the audit log, the alert history) run on the blocking pool or a
//! thread of their own, so the one runtime thread that draws never waits for a disk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use crate::alert::{HistoryLog, HistoryWriter, HISTORY_FILE};
use crate::model::{Model, Window};
use crate::msg::{Effect, Msg};
use crate::pager::{PagerSetup, PagerTasks};
use crate::poll::Outbox;
use crate::prom::poller::Pollers;
use crate::prom::{Client, QuerySpec};
use crate::runbook::{Launcher, RunEvent, RunHandle, Submitted};

/// What an effect asks of the loop itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Nothing: the effect is under way or done.
    None,
    /// Leave the loop.
    Quit,
    /// Draw what changed.
    Redraw,
    /// Draw every cell, whatever is on the terminal now.
    Repaint,
}

/// How long quitting waits for cancelled actions to end (and their audit records to land).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// The same when the terminal is gone: the actions' grace before SIGKILL
/// ([`crate::runbook::exec::HANGUP_GRACE`]) and time to reap them and write their records.
const HANGUP_WAIT: Duration = Duration::from_millis(700);

/// The sources, and what talks to them and to the disk on the loop's behalf.
pub(super) struct Effects {
    clients: Vec<Client>,
    caps: Vec<Arc<Semaphore>>,
    incremental: bool,
    tx: mpsc::Sender<Msg>,
    window: watch::Sender<Window>,
    pollers: Pollers,
    pager: PagerTasks<Msg>,
    /// Appends to the history on a thread of its own.
    history: Option<HistoryWriter>,
    launcher: Arc<Launcher>,
    run_tx: mpsc::UnboundedSender<RunEvent>,
    run_rx: mpsc::UnboundedReceiver<RunEvent>,
    /// Runs started and not yet finished.
    runs: Vec<RunHandle>,
    /// Launches under way on the blocking pool (the lock, the first audit record).
    launches: JoinSet<Submitted>,
    /// Runs that finished before their launch reported back.
    finished_early: HashSet<u64>,
}

/// What [`Effects::start`] needs besides the model.
pub(super) struct Parts {
    pub clients: Vec<Client>,
    pub caps: Vec<Arc<Semaphore>>,
    pub incremental: bool,
    pub launcher: Launcher,
    pub pager: PagerSetup,
    pub history: Option<HistoryWriter>,
}

impl Effects {
    /// Starts the pollers and the pager's tasks for `model`; their results go to `tx`.
    pub fn start(parts: Parts, model: &Model, tx: mpsc::Sender<Msg>) -> Self {
        let Parts { clients, caps, incremental, launcher, pager, history } = parts;
        let (window, window_rx) = watch::channel(model.window);
        let specs = specs(model, incremental);
        let pollers = start_pollers(specs, &clients, &caps, window_rx, &tx);
        let pager = PagerTasks::start(&pager, Outbox::new(tx.clone(), Msg::Pager));
        let (run_tx, run_rx) = mpsc::unbounded_channel();
        Self {
            clients,
            caps,
            incremental,
            tx,
            window,
            pollers,
            pager,
            history,
            launcher: Arc::new(launcher),
            run_tx,
            run_rx,
            runs: Vec::new(),
            launches: JoinSet::new(),
            finished_early: HashSet::new(),
        }
    }

    /// Carries out `effect`; answers that are known at once go to `feedback`.
    pub fn carry(&mut self, effect: Effect, model: &Model, feedback: &mut Vec<Msg>) -> Step {
        match effect {
            Effect::Quit => return Step::Quit,
            Effect::Redraw => return Step::Redraw,
            Effect::Repaint => return Step::Repaint,
            Effect::SetWindow(w) => {
                let _ = self.window.send(w);
            }
            Effect::Replan => {
                // New queries for chosen variables: as a change of range costs, one fetch of
                // each query, then polling as before.
                self.pollers.stop();
                let specs = specs(model, self.incremental);
                let rx = self.window.subscribe();
                self.pollers = start_pollers(specs, &self.clients, &self.caps, rx, &self.tx);
            }
            Effect::CreateSilence(request) => self.pager.create_silence(*request),
            Effect::ResolveVars { dashboard, generation, vars } => {
                if let Some(live) = model.dashboards.get(dashboard) {
                    let (clients, tx) = (self.clients.clone(), self.tx.clone());
                    let asked = (dashboard, generation);
                    crate::asks::resolve_vars(asked, vars, live.builtins, clients, tx);
                }
            }
            Effect::Explain { query, source, expr } => {
                if let Some(client) = self.clients.get(source).cloned() {
                    crate::asks::explain(query, expr, client, self.tx.clone());
                }
            }
            Effect::ReadGuards { action, source, guards, last } => {
                match self.clients.get(source).cloned() {
                    Some(c) => crate::asks::read_guards((action, last), guards, c, self.tx.clone()),
                    None => feedback.push(crate::asks::no_source(action, &guards, last)),
                }
            }
            Effect::Verify { run_id, source, verify, watch } => {
                if let Some(client) = self.clients.get(source).cloned() {
                    crate::asks::verify((run_id, watch), verify, client, self.tx.clone());
                }
            }
            Effect::Action(order) => {
                let (launcher, run_tx) = (self.launcher.clone(), self.run_tx.clone());
                self.launches.spawn_blocking(move || launcher.submit(order, run_tx));
            }
            Effect::PeekRun(resolved) => {
                let (launcher, tx) = (self.launcher.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let refusal = launcher.peek(&resolved).map(|r| r.to_string());
                    let crate::runbook::Resolved { runbook, key, target, .. } = *resolved;
                    let _ = tx.blocking_send(Msg::CanRun { runbook, key, target, refusal });
                });
            }
            Effect::Record(events) => {
                if let Some(h) = &self.history {
                    h.send(events);
                }
            }
            Effect::Bell => write_to_terminal(b"\x07"),
            Effect::Copy(text) => write_to_terminal(&crate::clipboard::osc52(&text)),
        }
        Step::None
    }

    /// The next word from a run or a launch, as the message the model learns it from; `None`
    /// when it needs no message (a run started: its events follow). Cancel-safe.
    pub async fn next_run_event(&mut self) -> Option<Msg> {
        tokio::select! {
            Some(ev) = self.run_rx.recv() => {
                if let RunEvent::Finished { run_id, .. } = &ev {
                    self.forget(*run_id);
                }
                Some(Msg::Run(ev))
            }
            Some(done) = self.launches.join_next(), if !self.launches.is_empty() => {
                self.launched(done)
            }
        }
    }

    /// A launch reported back.
    fn launched(&mut self, done: Result<Submitted, tokio::task::JoinError>) -> Option<Msg> {
        match done {
            Ok(Submitted::Started(handle)) => {
                if !self.finished_early.remove(&handle.run_id()) {
                    self.runs.push(handle);
                }
                None
            }
            Ok(Submitted::NotStarted { run_id, refusal }) => {
                Some(Msg::RunRefused { run_id, reason: refusal.to_string() })
            }
            Ok(Submitted::Recorded) => None,
            Err(e) => {
                tracing::warn!("an action's launch failed: {e}");
                None
            }
        }
    }

    /// Run `run_id` finished.
    fn forget(&mut self, run_id: u64) {
        let before = self.runs.len();
        self.runs.retain(|h| h.run_id() != run_id);
        if self.runs.len() == before && !self.launches.is_empty() {
            self.finished_early.insert(run_id);
        }
    }

    /// Stops the pollers, lets launches under way report back, cancels running actions and
    /// waits (bounded) until each has finished, so no child is left behind and every
    /// `finished` audit record is written. When the terminal is gone, the actions get a short
    /// grace before SIGKILL, and their records say so.
    pub async fn shutdown(&mut self, terminal_lost: bool) {
        self.pollers.stop();
        self.pager.stop();
        let wait = if terminal_lost { HANGUP_WAIT } else { SHUTDOWN_GRACE };
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(done)) =
            tokio::time::timeout_at(deadline, self.launches.join_next()).await
        {
            self.launched(done);
        }
        if self.runs.is_empty() {
            return;
        }
        for h in &self.runs {
            if terminal_lost {
                h.hang_up();
            } else {
                h.cancel();
            }
        }
        let mut open: Vec<u64> = self.runs.iter().map(RunHandle::run_id).collect();
        while !open.is_empty() {
            match tokio::time::timeout_at(deadline, self.run_rx.recv()).await {
                Ok(Some(RunEvent::Finished { run_id, .. })) => open.retain(|id| *id != run_id),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// What the pollers fetch for `model`.
pub(super) fn specs(model: &Model, incremental: bool) -> Vec<QuerySpec> {
    let mut specs = model.query_specs();
    for s in &mut specs {
        s.incremental = incremental;
    }
    specs
}

fn start_pollers(
    specs: Vec<QuerySpec>,
    clients: &[Client],
    caps: &[Arc<Semaphore>],
    window: watch::Receiver<Window>,
    tx: &mpsc::Sender<Msg>,
) -> Pollers {
    Pollers::start(specs, clients, caps, window, tx.clone(), |r| Msg::Poll(Box::new(r)))
}

/// The alert history of the last `shown`, read on the blocking pool, and the history's writer
/// (none, with a warning in the log, when the file cannot be opened).
pub(super) async fn open_history(
    state_dir: &Path,
    shown: chrono::Duration,
) -> (Vec<crate::alert::Event>, Option<HistoryWriter>) {
    let path: PathBuf = state_dir.join(HISTORY_FILE);
    let read = tokio::task::spawn_blocking(move || {
        let writer = HistoryLog::open(&path)
            .map_err(|e| tracing::warn!("alert history off: {}: {e}", path.display()))
            .ok()
            .map(HistoryLog::into_writer);
        let since = chrono::Utc::now() - shown;
        let (events, bad) = HistoryLog::read_since(&path, since);
        for b in bad {
            tracing::warn!("{}: {b}", path.display());
        }
        (events, writer)
    });
    read.await.unwrap_or_else(|e| {
        tracing::warn!("alert history off: {e}");
        (Vec::new(), None)
    })
}

/// Bytes for the terminal itself (the bell, a clipboard escape), written at once.
fn write_to_terminal(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = out.write_all(bytes).and_then(|_| out.flush());
}
