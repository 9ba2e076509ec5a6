//! The loop: one task owns the terminal. It selects over terminal events, the message channel,
//! the clock and signals; drains a batch of messages; applies them with `update`; carries out the
//! effects; and draws once, only when something changed, at most every [`FRAME_INTERVAL`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch, Semaphore};

use crate::config::ConfigFile;
use crate::model::Model;
use crate::msg::{Effect, Msg};
use crate::prom::poller::Pollers;
use crate::prom::Client;
use crate::theme::Theme;
use crate::update::update;

/// Shortest time between two frames: caps the frame rate (and bytes sent over SSH).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// Most messages applied before a frame is drawn.
const BATCH: usize = 256;

/// Everything the loop needs, built before the terminal is taken over.
pub struct App {
    pub model: Model,
    pub theme: Theme,
    pub clients: Vec<Client>,
    pub caps: Vec<Arc<Semaphore>>,
}

impl App {
    /// Builds clients for every source. Errors (unreadable token file…) come before the screen.
    pub fn new(config: &ConfigFile, theme: Theme) -> anyhow::Result<Self> {
        let clients = config
            .config
            .sources
            .iter()
            .map(Client::new)
            .collect::<Result<Vec<_>, _>>()?;
        let caps = config
            .config
            .sources
            .iter()
            .map(|s| Arc::new(Semaphore::new(s.max_concurrency.max(1))))
            .collect();
        let mut model = Model::new(&config.config, chrono::Utc::now());
        model.utc_offset = chrono::Offset::fix(chrono::Local::now().offset());
        Ok(Self {
            model,
            theme,
            clients,
            caps,
        })
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
            self.model.query_specs(),
            &self.clients,
            &self.caps,
            window_rx,
            tx.clone(),
            |r| Msg::Poll(Box::new(r)),
        );
        let mut events = EventStream::new();
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

        let size = terminal.size()?;
        let mut pending = vec![Msg::Resize {
            width: size.width,
            height: size.height,
        }];
        let mut dirty = true;
        let mut last_draw = Instant::now() - FRAME_INTERVAL;
        loop {
            for msg in pending.drain(..) {
                for effect in update(&mut self.model, msg) {
                    match effect {
                        Effect::Quit => {
                            pollers.stop();
                            return Ok(());
                        }
                        Effect::Redraw => dirty = true,
                        Effect::SetWindow(w) => {
                            let _ = window_tx.send(w);
                        }
                        Effect::Bell => {
                            use std::io::Write;
                            let mut out = std::io::stdout();
                            let _ = out.write_all(b"\x07").and_then(|_| out.flush());
                        }
                    }
                }
            }
            let since_draw = last_draw.elapsed();
            if dirty && since_draw >= FRAME_INTERVAL {
                let model = &self.model;
                let theme = &self.theme;
                if terminal
                    .draw(|f| crate::ui::render(model, theme, f))
                    .is_err()
                {
                    // The terminal is gone (SSH dropped, tmux killed): leave at once.
                    pollers.stop();
                    return Ok(());
                }
                dirty = false;
                last_draw = Instant::now();
            }
            let draw_in = if dirty {
                FRAME_INTERVAL.saturating_sub(last_draw.elapsed())
            } else {
                Duration::from_secs(3600)
            };
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
                _ = clock.tick() => pending.push(Msg::Tick(chrono::Utc::now())),
                _ = sigterm.recv() => pending.push(Msg::Quit),
                _ = sighup.recv() => pending.push(Msg::Quit),
                _ = sigint.recv() => pending.push(Msg::Quit),
                _ = tokio::time::sleep(draw_in), if dirty => {}
            }
        }
    }
}

fn event_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(key) => Some(Msg::Key {
            key,
            at: Instant::now(),
        }),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}
