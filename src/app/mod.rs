//! The loop: one task owns the terminal. It selects over terminal events, the message channel,
//! the clock's beat (which also watches for a lost terminal and panicked tasks) and signals;
//! drains a batch of messages; applies them with `update`; carries out the effects; and draws
//! only when something changed: at once (at most every [`FRAME_INTERVAL`]) for input, actions
//! and resizes, on the next beat for new data.

mod effects;
mod input;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, Semaphore};

use crate::config::ConfigFile;
use crate::model::Model;
use crate::msg::Msg;
use crate::prom::Client;
use crate::runbook::{BaseEnv, Identity, Launcher, Runbook};
use crate::term::{self, HangupWatch, Input};
use crate::theme::Theme;
use crate::update::update;
use effects::{Effects, Step};
use input::{take_input, Resize};

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

    async fn run_loop(self, terminal: &mut DefaultTerminal) -> anyhow::Result<()> {
        let App { mut model, theme, clients, caps, state_dir, incremental, launcher, pager } = self;
        let (tx, mut rx) = mpsc::channel::<Msg>(1024);
        let (input_tx, mut input) = mpsc::channel::<Input>(BATCH);
        term::spawn_input(input_tx)?;
        // Size the charts before the pollers start, so their first fetch already uses the step
        // this terminal needs instead of a full fetch that the resize would throw away.
        let size = terminal.size()?;
        update(&mut model, Msg::Resize { width: size.width, height: size.height });
        let (past, history) = effects::open_history(&state_dir, HISTORY_SHOWN).await;
        let parts = effects::Parts { clients, caps, incremental, launcher, pager, history };
        let mut io = Effects::start(parts, &model, tx);
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let hangup = HangupWatch::new();

        let mut pending = vec![Msg::History(past)];
        let mut resize = Resize::default();
        let mut draw = Draw::new();
        // Set when the terminal went away (SIGHUP, a hung-up tty, input closed, a failed draw):
        // then running actions get a short grace and warroom ends promptly.
        let mut terminal_lost = false;
        let outcome = loop {
            let mut feedback = Vec::new();
            let mut quit = false;
            for msg in pending.drain(..) {
                let on_beat = draw.first_full_frame && matches!(msg, Msg::Poll(_) | Msg::Pager(_));
                for effect in update(&mut model, msg) {
                    match io.carry(effect, &model, &mut feedback) {
                        Step::None => {}
                        Step::Quit => quit = true,
                        Step::Redraw => draw.wanted(!on_beat),
                        Step::Repaint => {
                            // The next draw then writes every cell, whatever was on the tty.
                            let _ = terminal.clear();
                            draw.wanted(true);
                        }
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
            if draw.due() {
                // After a panic the hook has given the terminal back: draw no more. And drawing
                // asks the terminal its size; on a dead one crossterm runs `tput`. Look first.
                if let Some(leave) = lost(&hangup) {
                    terminal_lost |= leave.is_ok();
                    break leave;
                }
                if let Err(e) = terminal.draw(|f| crate::ui::render(&model, &theme, f)) {
                    // The terminal is gone (SSH dropped, tmux killed): leave at once.
                    tracing::info!("leaving: cannot draw: {e}");
                    terminal_lost = true;
                    break Ok(());
                }
                draw.drawn(&model);
            }
            tokio::select! {
                first = input.recv() => {
                    let turn = take_input(first, &mut input, &mut pending, &mut resize);
                    if turn.redraw {
                        draw.wanted(true);
                    }
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
                Some(msg) = io.next_run_event() => pending.push(msg),
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
                    if let Some(leave) = lost(&hangup) {
                        terminal_lost |= leave.is_ok();
                        break leave;
                    }
                }
                _ = sigterm.recv() => quit_on_signal(&mut pending, "SIGTERM"),
                _ = sighup.recv() => {
                    quit_on_signal(&mut pending, "SIGHUP");
                    terminal_lost = true;
                }
                _ = sigint.recv() => quit_on_signal(&mut pending, "SIGINT"),
                _ = tokio::time::sleep(draw.wait()), if draw.pending() => {}
            }
        };
        io.shutdown(terminal_lost).await;
        tracing::info!("dashboard loop ended");
        outcome
    }
}

/// Why the loop must end without being asked: a task panicked (`Err`), or the terminal hung
/// up (`Ok`). `None` while neither.
fn lost(hangup: &HangupWatch) -> Option<anyhow::Result<()>> {
    if term::panicked() {
        return Some(Err(anyhow::anyhow!("internal error (a task panicked); see the log")));
    }
    if hangup.hung_up() {
        tracing::info!("leaving: the terminal hung up");
        return Some(Ok(()));
    }
    None
}

/// When to draw: something changed, and either it waits for nothing (input, actions, the clock)
/// or, being new data only, for the next beat; never more often than [`FRAME_INTERVAL`].
struct Draw {
    dirty: bool,
    urgent: bool,
    last: Instant,
    started: Instant,
    /// Every query has answered (or failed) once and that frame is drawn.
    first_full_frame: bool,
}

impl Draw {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            dirty: true,
            urgent: true,
            last: now - FRAME_INTERVAL,
            started: now,
            first_full_frame: false,
        }
    }

    /// Something changed; `urgent` when it should not wait for the beat.
    fn wanted(&mut self, urgent: bool) {
        self.dirty = true;
        self.urgent |= urgent;
    }

    /// A frame waits to be drawn as soon as the frame rate allows.
    fn pending(&self) -> bool {
        self.dirty && self.urgent
    }

    /// A frame is to be drawn now.
    fn due(&self) -> bool {
        self.pending() && self.last.elapsed() >= FRAME_INTERVAL
    }

    /// How long until the frame rate allows the next frame.
    fn wait(&self) -> Duration {
        FRAME_INTERVAL.saturating_sub(self.last.elapsed())
    }

    /// A frame of `model` was drawn.
    fn drawn(&mut self, model: &Model) {
        (self.dirty, self.urgent) = (false, false);
        self.last = Instant::now();
        if !self.first_full_frame
            && model.queries.iter().all(|q| q.last_ok.is_some() || q.error.is_some())
        {
            self.first_full_frame = true;
            let ms = self.started.elapsed().as_millis();
            tracing::info!(ms, "first full frame with data");
            #[cfg(debug_assertions)]
            debug_panic();
        }
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
