//! The loop: one task owns the terminal. It selects over terminal events, the message channel,
//! the clock and signals; drains a batch of messages; applies them with `update`; carries out the
//! effects; and draws once, only when something changed, at most every [`FRAME_INTERVAL`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch, Semaphore};

use crate::alert::{HistoryLog, HISTORY_FILE};
use crate::config::ConfigFile;
use crate::model::Model;
use crate::msg::{Effect, Msg};
use crate::prom::poller::{Pollers, QuerySpec, Window};
use crate::prom::Client;
use crate::runbook::{Identity, Launcher, RunEvent, RunHandle, Runbook};
use crate::theme::Theme;
use crate::update::update;

/// Shortest time between two frames: caps the frame rate (and bytes sent over SSH).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// Most messages applied before a frame is drawn.
const BATCH: usize = 256;

/// How far back the alert history shown at start-up reaches.
const HISTORY_SHOWN: chrono::Duration = chrono::Duration::hours(24);

/// Everything the loop needs, built before the terminal is taken over.
pub struct App {
    pub model: Model,
    pub theme: Theme,
    pub clients: Vec<Client>,
    pub caps: Vec<Arc<Semaphore>>,
    /// Where history, the audit log and locks live.
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
        let caps =
            sources.iter().map(|s| Arc::new(Semaphore::new(s.max_concurrency.max(1)))).collect();
        let mut model = Model::new(&config.config, chrono::Utc::now());
        model.utc_offset = chrono::Offset::fix(chrono::Local::now().offset());
        model.user = crate::identity::user();
        model.runbooks = runbooks;
        let state_dir = config.state_dir();
        let who = Identity::from_env(&model.env.name);
        let launcher = Launcher::new(&state_dir, who, model.read_only);
        let pager = crate::pager::PagerSetup::new(&config.config, &clients)?;
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
        let mut terminal = ratatui::init();
        let result = self.run_loop(&mut terminal).await;
        ratatui::restore();
        result
    }

    async fn run_loop(mut self, terminal: &mut DefaultTerminal) -> anyhow::Result<()> {
        let (tx, mut rx) = mpsc::channel::<Msg>(1024);
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
        let mut pager = crate::pager::PagerTasks::start(&self.pager, tx.clone());
        let mut events = EventStream::new();
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

        let size = terminal.size()?;
        let mut pending = vec![
            Msg::Resize { width: size.width, height: size.height },
            Msg::History(io.past_events()),
        ];
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME_INTERVAL;
        let started = Instant::now();
        let mut first_full_frame = false;
        loop {
            let mut feedback = Vec::new();
            for msg in pending.drain(..) {
                for effect in update(&mut self.model, msg) {
                    match effect {
                        Effect::Quit => {
                            pollers.stop();
                            io.shutdown(&mut run_rx).await;
                            return Ok(());
                        }
                        Effect::Redraw => dirty = true,
                        Effect::CreateSilence(request) => pager.create_silence(*request),
                        other => feedback.extend(io.run(other)),
                    }
                }
            }
            pending.append(&mut feedback);
            if !pending.is_empty() {
                continue;
            }
            if dirty && last_draw.elapsed() >= FRAME_INTERVAL {
                let (model, theme) = (&self.model, &self.theme);
                if terminal.draw(|f| crate::ui::render(model, theme, f)).is_err() {
                    // The terminal is gone (SSH dropped, tmux killed): leave at once.
                    pollers.stop();
                    io.shutdown(&mut run_rx).await;
                    return Ok(());
                }
                dirty = false;
                last_draw = Instant::now();
                if !first_full_frame
                    && self.model.queries.iter().all(|q| q.last_ok.is_some() || q.error.is_some())
                {
                    first_full_frame = true;
                    let ms = started.elapsed().as_millis();
                    tracing::info!(ms, "first full frame with data");
                }
            }
            let draw_in = FRAME_INTERVAL.saturating_sub(last_draw.elapsed());
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => pending.extend(event_msg(ev)),
                    // End of input or a read error: the terminal went away.
                    Some(Err(_)) | None => pending.push(Msg::Quit),
                },
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
                _ = clock.tick() => pending.push(Msg::Tick(chrono::Utc::now())),
                _ = sigterm.recv() => pending.push(Msg::Quit),
                _ = sighup.recv() => pending.push(Msg::Quit),
                _ = sigint.recv() => pending.push(Msg::Quit),
                _ = tokio::time::sleep(draw_in), if dirty => {}
            }
        }
    }
}

/// Carries out effects that touch the world: files, pollers, runs, the bell.
struct EffectRunner<'a> {
    history_path: PathBuf,
    history: Option<HistoryLog>,
    window: watch::Sender<Window>,
    launcher: &'a Launcher,
    run_tx: mpsc::UnboundedSender<RunEvent>,
    runs: Vec<RunHandle>,
}

/// How long quitting waits for cancelled actions to end (and their audit records to land).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

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
            .ok();
        Self { history_path, history, window, launcher, run_tx, runs: Vec::new() }
    }

    /// Cancels running actions and waits (bounded) until each has finished, so no child is left
    /// behind and every `finished` audit record is written.
    async fn shutdown(&mut self, run_rx: &mut mpsc::UnboundedReceiver<RunEvent>) {
        if self.runs.is_empty() {
            return;
        }
        for h in &self.runs {
            h.cancel();
        }
        let mut open: Vec<u64> = self.runs.iter().map(RunHandle::run_id).collect();
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
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
            Effect::Launch { run_id, action, resolved } => {
                match self.launcher.launch(run_id, &action, *resolved, self.run_tx.clone()) {
                    Ok(handle) => self.runs.push(handle),
                    Err(refusal) => {
                        return Some(Msg::RunRefused { run_id, reason: refusal.to_string() })
                    }
                }
            }
            Effect::Refused { action, labels, dry_run, refusal } => {
                self.launcher.record_refusal(&action, dry_run, &labels, &refusal);
            }
            Effect::SetWindow(w) => {
                let _ = self.window.send(w);
            }
            Effect::Record(events) => {
                if let Some(h) = self.history.as_mut() {
                    if let Err(e) = h.append_all(&events) {
                        tracing::error!("cannot append to alert history: {e}");
                    }
                }
            }
            Effect::Bell => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|_| out.flush());
            }
            Effect::Quit | Effect::Redraw | Effect::CreateSilence(_) => {}
        }
        None
    }
}

fn event_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(key) => Some(Msg::Key { key, at: Instant::now() }),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}
