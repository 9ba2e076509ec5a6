//! The loop: one task owns the terminal. It selects over terminal events, the message channel,
//! the clock's beat (which also watches for a lost terminal and panicked tasks) and signals;
//! drains a batch of messages; applies them with `update`; carries out the effects; and draws
//! only when something changed: at once (at most every [`FRAME_INTERVAL`]) for input, actions
//! and resizes, on the next beat for new data.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::Event;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch, Semaphore};

use crate::alert::{HistoryLog, HistoryWriter, HISTORY_FILE};
use crate::config::ConfigFile;
use crate::model::Model;
use crate::model::Window;
use crate::msg::{Effect, Msg};
use crate::prom::poller::Pollers;
use crate::prom::Client;
use crate::prom::QuerySpec;
use crate::runbook::{BaseEnv, Identity, Launcher, RunEvent, RunHandle, Runbook, Submitted};
use crate::term::{self, HangupWatch, Input};
use crate::theme::Theme;
use crate::update::update;

/// Shortest time between two frames: caps the frame rate (and bytes sent over SSH).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// Most messages applied before a frame is drawn.
const BATCH: usize = 256;

/// How long the terminal size must stay put before the model (and the chart step) follows it.
const RESIZE_SETTLE: Duration = Duration::from_millis(150);

/// How far back the alert history shown at start-up reaches.
const HISTORY_SHOWN: chrono::Duration = chrono::Duration::hours(24);

/// Everything the loop needs, built before the terminal is taken over.
pub struct App {
    pub model: Model,
    pub theme: Theme,
    pub clients: Vec<Client>,
    pub caps: Vec<Arc<Semaphore>>,
    /// Where history and the audit log live.
    pub state_dir: PathBuf,
    /// Fetch only new steps of range queries.
    pub incremental: bool,
    /// Starts runbook actions: locks, cooldowns, audit records.
    pub launcher: Launcher,
    /// Prometheus's own alerts and Alertmanager: what the pager tasks talk to.
    pub pager: crate::pager::PagerSetup,
}

impl App {
    /// Builds clients for every source. Errors (unreadable token file…) come before the screen.
    pub fn new(config: &ConfigFile, theme: Theme, runbooks: Vec<Runbook>) -> anyhow::Result<Self> {
        let sources = &config.config.sources;
        let clients = sources.iter().map(Client::new).collect::<Result<Vec<_>, _>>()?;
        let caps = sources.iter().map(|s| Arc::new(Semaphore::new(s.concurrency()))).collect();
        let mut model = Model::new(&config.config, chrono::Utc::now());
        model.utc_offset = chrono::Offset::fix(chrono::Local::now().offset());
        model.user = crate::identity::user();
        model.runbooks = runbooks;
        let state_dir = config.state_dir();
        let who = Identity::from_env(&model.env.name);
        let env = BaseEnv::from_process(&config.config.credential_env_names());
        let mut launcher = Launcher::new(&state_dir, who, model.read_only)
            .with_env(env)
            .with_lock_dir(config.lock_dir());
        let pager = crate::pager::PagerSetup::new(&config.config, &clients)?;
        if let Some(team) = &pager.team {
            launcher = launcher.with_team(team.clone());
        }
        if let Some(t) = model.pager.team.as_mut() {
            t.own_prefix = launcher.run_prefix().to_string();
        }
        Ok(Self {
            model,
            theme,
            clients,
            caps,
            state_dir,
            incremental: config.config.incremental,
            launcher,
            pager,
        })
    }

    /// What the pollers fetch.
    pub fn query_specs(&self) -> Vec<QuerySpec> {
        let mut specs = self.model.query_specs();
        for s in &mut specs {
            s.incremental = self.incremental;
        }
        specs
    }

    /// Takes over the terminal, runs until quit, and restores the terminal — also on error.
    pub async fn run(self) -> anyhow::Result<()> {
        let mut terminal = term::enter()?;
        let result = self.run_loop(&mut terminal).await;
        // ratatui's Terminal reports a failure to show the cursor on drop with `eprintln!`,
        // which panics when stderr is the dead terminal: show it here, and if that fails there is
        // no terminal left to tidy, so skip the drop.
        if terminal.show_cursor().is_err() {
            std::mem::forget(terminal);
        }
        term::leave();
        result
    }

    async fn run_loop(mut self, terminal: &mut DefaultTerminal) -> anyhow::Result<()> {
        let (tx, mut rx) = mpsc::channel::<Msg>(1024);
        let (input_tx, mut input) = mpsc::channel::<Input>(BATCH);
        term::spawn_input(input_tx)?;
        // Size the charts before the pollers start, so their first fetch already uses the step
        // this terminal needs instead of a full fetch that the resize would throw away.
        let size = terminal.size()?;
        update(&mut self.model, Msg::Resize { width: size.width, height: size.height });
        let (window_tx, window_rx) = watch::channel(self.model.window);
        let mut pollers = Pollers::start(
            self.query_specs(),
            &self.clients,
            &self.caps,
            window_rx,
            tx.clone(),
            |r| Msg::Poll(Box::new(r)),
        );
        let (run_tx, mut run_rx) = mpsc::unbounded_channel();
        let mut io = EffectRunner::open(&self.state_dir, window_tx, &self.launcher, run_tx);
        let mut pager = crate::pager::PagerTasks::start(
            &self.pager,
            crate::poll::Outbox::new(tx.clone(), Msg::Pager),
        );
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let hangup = HangupWatch::new();

        let mut pending = vec![Msg::History(io.past_events())];
        let mut resize = Resize::default();
        // Something to draw; and whether it waits for nothing (input, actions, the clock) or,
        // being new data only, for the next beat of the clock.
        let mut dirty = true;
        let mut urgent = true;
        let mut last_draw = Instant::now() - FRAME_INTERVAL;
        let started = Instant::now();
        let mut first_full_frame = false;
        // Set when the terminal went away (SIGHUP, a hung-up tty, input closed, a failed draw):
        // then running actions get a short grace and warroom ends promptly.
        let mut terminal_lost = false;
        let outcome = loop {
            let mut feedback = Vec::new();
            let mut quit = false;
            for msg in pending.drain(..) {
                let on_beat = first_full_frame && matches!(msg, Msg::Poll(_) | Msg::Pager(_));
                for effect in update(&mut self.model, msg) {
                    match effect {
                        Effect::Quit => quit = true,
                        Effect::Redraw => {
                            dirty = true;
                            urgent |= !on_beat;
                        }
                        Effect::Repaint => {
                            // The next draw then writes every cell, whatever was on the tty.
                            let _ = terminal.clear();
                            dirty = true;
                            urgent = true;
                        }
                        Effect::CreateSilence(request) => pager.create_silence(*request),
                        Effect::ResolveVars { dashboard, generation, vars } => {
                            if let Some(live) = self.model.dashboards.get(dashboard) {
                                let (clients, tx) = (self.clients.clone(), tx.clone());
                                let asked = (dashboard, generation);
                                crate::asks::resolve_vars(asked, vars, live.builtins, clients, tx);
                            }
                        }
                        Effect::Replan => {
                            // New queries for chosen variables: as a change of range costs,
                            // one fetch of each query, then polling as before.
                            pollers.stop();
                            pollers = Pollers::start(
                                self.query_specs(),
                                &self.clients,
                                &self.caps,
                                io.window.subscribe(),
                                tx.clone(),
                                |r| Msg::Poll(Box::new(r)),
                            );
                        }
                        Effect::Explain { query, source, expr } => {
                            if let Some(client) = self.clients.get(source).cloned() {
                                crate::asks::explain(query, expr, client, tx.clone());
                            }
                        }
                        Effect::ReadGuards { action, source, guards, last } => {
                            let client = self.clients.get(source).cloned();
                            match client {
                                Some(c) => {
                                    crate::asks::read_guards((action, last), guards, c, tx.clone())
                                }
                                None => {
                                    feedback.push(crate::asks::no_source(action, &guards, last))
                                }
                            }
                        }
                        Effect::Verify { run_id, source, verify, watch } => {
                            if let Some(client) = self.clients.get(source).cloned() {
                                crate::asks::verify((run_id, watch), verify, client, tx.clone());
                            }
                        }
                        other => feedback.extend(io.run(other)),
                    }
                }
            }
            if quit {
                break Ok(());
            }
            pending.append(&mut feedback);
            if !pending.is_empty() {
                continue;
            }
            if dirty && urgent && last_draw.elapsed() >= FRAME_INTERVAL {
                // After a panic the hook has given the terminal back: draw no more. And drawing
                // asks the terminal its size; on a dead one crossterm runs `tput`. Look first.
                if term::panicked() {
                    break Err(anyhow::anyhow!("internal error (a task panicked); see the log"));
                }
                if hangup.hung_up() {
                    tracing::info!("leaving: the terminal hung up");
                    terminal_lost = true;
                    break Ok(());
                }
                let (model, theme) = (&self.model, &self.theme);
                if let Err(e) = terminal.draw(|f| crate::ui::render(model, theme, f)) {
                    // The terminal is gone (SSH dropped, tmux killed): leave at once.
                    tracing::info!("leaving: cannot draw: {e}");
                    terminal_lost = true;
                    break Ok(());
                }
                (dirty, urgent) = (false, false);
                last_draw = Instant::now();
                if !first_full_frame
                    && self.model.queries.iter().all(|q| q.last_ok.is_some() || q.error.is_some())
                {
                    first_full_frame = true;
                    let ms = started.elapsed().as_millis();
                    tracing::info!(ms, "first full frame with data");
                    #[cfg(debug_assertions)]
                    debug_panic();
                }
            }
            let draw_in = FRAME_INTERVAL.saturating_sub(last_draw.elapsed());
            tokio::select! {
                first = input.recv() => {
                    let turn = take_input(first, &mut input, &mut pending, &mut resize);
                    dirty |= turn.redraw;
                    urgent |= turn.redraw;
                    terminal_lost |= turn.closed;
                }
                Some(msg) = rx.recv() => {
                    pending.push(msg);
                    while pending.len() < BATCH {
                        match rx.try_recv() {
                            Ok(m) => pending.push(m),
                            Err(_) => break,
                        }
                    }
                }
                Some(ev) = run_rx.recv() => {
                    if let RunEvent::Finished { run_id, .. } = &ev {
                        io.runs.retain(|h| h.run_id() != *run_id);
                    }
                    pending.push(Msg::Run(ev));
                }
                _ = tokio::time::sleep_until(resize.due), if resize.pending.is_some() => {
                    if let Some((width, height)) = resize.pending.take() {
                        pending.push(Msg::Resize { width, height });
                    }
                }
                _ = tokio::time::sleep(to_next_beat()) => {
                    pending.push(Msg::Tick(chrono::Utc::now()));
                    // Each beat also checks that the terminal is still there and that no task
                    // panicked (the input thread and a failed draw notice a lost terminal
                    // sooner; this is the backstop).
                    if term::panicked() {
                        break Err(anyhow::anyhow!("internal error (a task panicked); see the log"));
                    }
                    if hangup.hung_up() {
                        tracing::info!("leaving: the terminal hung up");
                        terminal_lost = true;
                        break Ok(());
                    }
                }
                _ = sigterm.recv() => quit_on_signal(&mut pending, "SIGTERM"),
                _ = sighup.recv() => {
                    quit_on_signal(&mut pending, "SIGHUP");
                    terminal_lost = true;
                }
                _ = sigint.recv() => quit_on_signal(&mut pending, "SIGINT"),
                _ = tokio::time::sleep(draw_in), if dirty && urgent => {}
            }
        };
        pollers.stop();
        io.shutdown(&mut run_rx, terminal_lost).await;
        tracing::info!("dashboard loop ended");
        outcome
    }
}
/// Time to the clock's next beat, just after the next wall-clock second starts (when the header
/// clock changes). New data is drawn on the beat, so a dashboard whose pollers answer at
/// scattered moments still draws once a second (and sends one batch of changes over the link);
/// input draws at once. Taken from the wall clock every time, so the beat never drifts.
fn to_next_beat() -> Duration {
    let into_second = u64::from(chrono::Utc::now().timestamp_subsec_millis().min(999));
    match (1_000 + BEAT_LAG_MS - into_second) % 1_000 {
        0 => Duration::from_secs(1), // on the beat now: the next one
        ms => Duration::from_millis(ms),
    }
}

/// How long after the second's start the beat falls, so the clock never reads the second before.
const BEAT_LAG_MS: u64 = 5;

/// What a turn of input asks of the loop.
struct InputTurn {
    /// Redraw now (a resize).
    redraw: bool,
    /// The terminal is gone (the input thread ended).
    closed: bool,
}

/// Takes `first` and every input event already read, so a burst (a paste, a resize storm) costs
/// one frame; of a burst of resizes only the last size counts.
fn take_input(
    first: Option<Input>,
    input: &mut mpsc::Receiver<Input>,
    pending: &mut Vec<Msg>,
    resize: &mut Resize,
) -> InputTurn {
    let mut redraw = false;
    let mut closed = false;
    let mut next = first;
    for _ in 0..BATCH {
        match next {
            Some(Input::Event(Event::Resize(w, h), _)) => {
                resize.pending = Some((w, h));
                resize.due = tokio::time::Instant::now() + RESIZE_SETTLE;
                // Redraw at the new size now; the model learns it once it settles.
                redraw = true;
            }
            Some(Input::Event(ev, at)) => pending.extend(event_msg(ev, at)),
            // The input thread ended: the terminal went away.
            Some(Input::Closed) | None => {
                tracing::info!("leaving: terminal input closed");
                pending.push(Msg::Quit);
                closed = true;
                break;
            }
        }
        match input.try_recv() {
            Ok(i) => next = Some(i),
            Err(_) => break,
        }
    }
    InputTurn { redraw, closed }
}

/// A terminal resize waiting for the size to settle: a storm of resizes becomes one, so the
/// pollers re-fetch (the chart step follows the width) once, not once per event.
struct Resize {
    pending: Option<(u16, u16)>,
    due: tokio::time::Instant,
}

impl Default for Resize {
    fn default() -> Self {
        Self { pending: None, due: tokio::time::Instant::now() }
    }
}

/// Carries out effects that touch the world: files, pollers, runs, the bell.
struct EffectRunner<'a> {
    history_path: PathBuf,
    /// Appends to the history on a thread of its own, off the loop.
    history: Option<HistoryWriter>,
    window: watch::Sender<Window>,
    launcher: &'a Launcher,
    run_tx: mpsc::UnboundedSender<RunEvent>,
    runs: Vec<RunHandle>,
}

/// How long quitting waits for cancelled actions to end (and their audit records to land).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// The same when the terminal is gone: the actions' grace before SIGKILL
/// ([`crate::runbook::exec::HANGUP_GRACE`]) and time to reap them and write their records.
const HANGUP_WAIT: Duration = Duration::from_millis(700);

impl<'a> EffectRunner<'a> {
    fn open(
        state_dir: &std::path::Path,
        window: watch::Sender<Window>,
        launcher: &'a Launcher,
        run_tx: mpsc::UnboundedSender<RunEvent>,
    ) -> Self {
        let history_path = state_dir.join(HISTORY_FILE);
        let history = HistoryLog::open(&history_path)
            .map_err(|e| tracing::warn!("alert history off: {}: {e}", history_path.display()))
            .ok()
            .map(HistoryLog::into_writer);
        Self { history_path, history, window, launcher, run_tx, runs: Vec::new() }
    }

    /// Cancels running actions and waits (bounded) until each has finished, so no child is left
    /// behind and every `finished` audit record is written. When the terminal is gone, the
    /// actions get a short grace before SIGKILL, and their records say so.
    async fn shutdown(
        &mut self,
        run_rx: &mut mpsc::UnboundedReceiver<RunEvent>,
        terminal_lost: bool,
    ) {
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
        let wait = if terminal_lost { HANGUP_WAIT } else { SHUTDOWN_GRACE };
        let deadline = tokio::time::Instant::now() + wait;
        while !open.is_empty() {
            match tokio::time::timeout_at(deadline, run_rx.recv()).await {
                Ok(Some(RunEvent::Finished { run_id, .. })) => open.retain(|id| *id != run_id),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }

    fn past_events(&self) -> Vec<crate::alert::Event> {
        let since = chrono::Utc::now() - HISTORY_SHOWN;
        let (events, bad) = HistoryLog::read_since(&self.history_path, since);
        for b in bad {
            tracing::warn!("{}: {b}", self.history_path.display());
        }
        events
    }

    fn run(&mut self, effect: Effect) -> Option<Msg> {
        match effect {
            Effect::Action(order) => match self.launcher.submit(order, self.run_tx.clone()) {
                Submitted::Started(handle) => self.runs.push(handle),
                Submitted::NotStarted { run_id, refusal } => {
                    return Some(Msg::RunRefused { run_id, reason: refusal.to_string() })
                }
                Submitted::Recorded => {}
            },
            Effect::SetWindow(w) => {
                let _ = self.window.send(w);
            }
            Effect::Record(events) => {
                if let Some(h) = &self.history {
                    h.send(events);
                }
            }
            Effect::Bell => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|_| out.flush());
            }
            Effect::Copy(text) => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(&crate::clipboard::osc52(&text)).and_then(|_| out.flush());
            }
            Effect::PeekRun(resolved) => {
                let refusal = self.launcher.peek(&resolved).map(|r| r.to_string());
                let crate::runbook::Resolved { runbook, key, target, .. } = *resolved;
                return Some(Msg::CanRun { runbook, key, target, refusal });
            }
            Effect::Quit
            | Effect::Redraw
            | Effect::Repaint
            | Effect::CreateSilence(_)
            | Effect::Replan
            | Effect::ResolveVars { .. }
            | Effect::Explain { .. }
            | Effect::ReadGuards { .. }
            | Effect::Verify { .. } => {}
        }
        None
    }
}

/// Test builds only: `WARROOM_DEBUG_PANIC=loop` panics in the loop, `=task` in a spawned task,
/// so tests can check that the terminal is given back and the process ends either way.
#[cfg(debug_assertions)]
#[allow(clippy::panic, reason = "WARROOM_DEBUG_PANIC is how the tests make it panic")]
fn debug_panic() {
    match std::env::var("WARROOM_DEBUG_PANIC").as_deref() {
        Ok("loop") => panic!("WARROOM_DEBUG_PANIC=loop: panicking on purpose"),
        Ok("task") => {
            tokio::spawn(async { panic!("WARROOM_DEBUG_PANIC=task: panicking on purpose") });
        }
        _ => {}
    }
}

fn quit_on_signal(pending: &mut Vec<Msg>, name: &str) {
    tracing::info!("leaving: {name}");
    pending.push(Msg::Quit);
}

/// The message for a terminal event read at `at`. Pasted text (`Event::Paste`, with bracketed
/// paste on) is no key: it never presses a runbook key or answers a dialog; it is text, for the
/// filter or a note, cut to [`crate::msg::PASTE_MAX`] bytes.
fn event_msg(ev: Event, at: Instant) -> Option<Msg> {
    match ev {
        Event::Key(key) => Some(Msg::Key { key, at }),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        Event::Paste(mut text) => {
            let mut cut = text.len().min(crate::msg::PASTE_MAX);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            Some(Msg::Paste(text))
        }
        Event::FocusGained | Event::FocusLost | Event::Mouse(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn keys_keep_the_time_they_were_read_and_pastes_are_no_keys() {
        let read = Instant::now() - Duration::from_secs(3);
        let key = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE);
        match event_msg(Event::Key(key), read) {
            Some(Msg::Key { at, .. }) => assert_eq!(at, read, "stamped when read, not now"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(event_msg(Event::Paste("\tt1y".into()), read), Some(Msg::Paste(_))));
        let huge = "é".repeat(10_000);
        match event_msg(Event::Paste(huge), read) {
            Some(Msg::Paste(t)) => assert!(t.len() <= crate::msg::PASTE_MAX && t.len() > 4000),
            other => panic!("{other:?}"),
        }
    }
}
