//! Messages into `update` and effects out of it.

use std::time::Instant;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::alert::Event;
use crate::model::Window;
use crate::prom::PollResult;
use crate::runbook::{Order, RunEvent};

/// The most of one paste that is read; the rest is dropped.
pub const PASTE_MAX: usize = 4096;

/// Everything that can change the model.
#[derive(Debug, Clone)]
pub enum Msg {
    /// The clock moved (header clock, staleness, pending periods).
    Tick(DateTime<Utc>),
    /// A key, stamped when it was read from the terminal.
    Key { key: KeyEvent, at: Instant },
    /// Text pasted into the terminal (bracketed paste), at most [`PASTE_MAX`] bytes of it: it
    /// goes into the filter or an acknowledgement note, and is never a key.
    Paste(String),
    /// The terminal changed size.
    Resize { width: u16, height: u16 },
    /// A poller's result.
    Poll(Box<PollResult>),
    /// Progress of a runbook action run.
    Run(RunEvent),
    /// A run that could not start (read-only, lock held, cooldown, audit log unwritable).
    RunRefused { run_id: u64, reason: String },
    /// Whether the action `resolved` (runbook, key, target) could run now: `None`, or why not.
    CanRun { runbook: String, key: char, target: String, refusal: Option<String> },
    /// Live readings of the guards of the action `(runbook, key, target)` in the confirm dialog;
    /// `last` when read after the engineer confirmed (the action runs if they hold).
    GuardsRead {
        action: crate::runbook::ActionId,
        readings: Vec<crate::runbook::Reading>,
        last: bool,
    },
    /// A reading of run `run_id`'s verify query.
    VerifyRead { run_id: u64, reading: crate::runbook::Reading, stage: VerifyStage },
    /// A result of the pager side: Prometheus's alerts, Alertmanager's silences, a new silence.
    Pager(crate::pager::PagerMsg),
    /// What asking an empty query's parts found ("why no data?").
    Explained { query: usize, explanation: Box<crate::explain::Explanation> },
    /// Recent alert history read from disk at start-up.
    History(Vec<Event>),
    /// A dashboard's variables asked of the source again after choice `generation`.
    VarsResolved { dashboard: usize, generation: u64, vars: Vec<crate::grafana::vars::Variable> },
    /// Leave now (signal, terminal gone).
    Quit,
}

/// When a verify query was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyStage {
    /// As the run started: the value it should move.
    Before,
    /// After the run ended, not holding yet.
    Watching,
    /// The last reading: it holds, or the time is up (`elapsed` after the run ended).
    Done { elapsed: std::time::Duration },
}

/// Work `update` asks the loop to do: all I/O lives behind these.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Exit the dashboard.
    Quit,
    /// The model changed in a way the screen shows.
    Redraw,
    /// Forget what the terminal shows and draw every cell again (stray output on the tty).
    Repaint,
    /// The chart window changed: tell the pollers (they re-fetch).
    SetWindow(Window),
    /// Panels got new queries (a dashboard variable was chosen): restart the pollers on the
    /// model's queries.
    Replan,
    /// Ask the default source again for the options of a dashboard's query variables (a chosen
    /// value changes what a later variable's query selects); the answer is `Msg::VarsResolved`.
    ResolveVars { dashboard: usize, generation: u64, vars: Vec<crate::grafana::vars::Variable> },
    /// Ring the terminal bell.
    Bell,
    /// Append alert events to the history file.
    Record(Vec<Event>),
    /// For the launcher: start a confirmed action or a dry run (it takes the lock, writes the
    /// audit record and reports back with `Msg::Run` / `Msg::RunRefused`), or record a refusal.
    Action(Order),
    /// Create a silence in Alertmanager; the outcome comes back as `Msg::Pager`.
    CreateSilence(Box<crate::pager::SilenceRequest>),
    /// Put this text on the clipboard of the engineer's terminal (OSC 52).
    Copy(String),
    /// Ask the launcher whether the action in the confirm dialog could run now (lock held,
    /// cooldown); the answer comes back as `Msg::CanRun`.
    PeekRun(Box<crate::runbook::Resolved>),
    /// Read `guards` from source `source` now; the answer comes back as `Msg::GuardsRead`.
    ReadGuards {
        action: crate::runbook::ActionId,
        source: usize,
        guards: Vec<crate::runbook::Guard>,
        last: bool,
    },
    /// Read run `run_id`'s `verify` query from source `source`: once (its value as the run
    /// starts), or, to `watch` it, every few seconds until it holds or its `within` passes;
    /// answers come back as `Msg::VerifyRead`.
    Verify { run_id: u64, source: usize, verify: crate::runbook::Verify, watch: bool },
    /// Ask the source of query `query` why `expr` returns nothing, part by part; the answer
    /// comes back as `Msg::Explained`.
    Explain { query: usize, source: usize, expr: String },
}
