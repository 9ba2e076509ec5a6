//! Runbook action runs as the dashboard sees them: what ran, on what, its output and outcome.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::runbook::{Outcome, Stream};

/// Most output lines kept per run (the audit log keeps its own tail).
pub const OUTPUT_LINES: usize = 2000;
/// Most finished runs kept for display.
const KEPT_RUNS: usize = 20;

/// One run of an action (or of its dry run).
#[derive(Debug, Clone)]
pub struct Run {
    pub id: u64,
    pub runbook: String,
    pub key: char,
    pub label: String,
    /// The exact command or request, as confirmed (secrets redacted).
    pub display: String,
    pub target: String,
    pub dry_run: bool,
    pub started: DateTime<Utc>,
    pub output: VecDeque<(Stream, String)>,
    /// Lines dropped because the buffer was full.
    pub dropped: usize,
    /// Outcome and duration once finished.
    pub finished: Option<(Outcome, Duration)>,
    /// Why it never started (lock held, cooldown, read-only…).
    pub refused: Option<String>,
}

impl Run {
    pub fn is_running(&self) -> bool {
        self.finished.is_none() && self.refused.is_none()
    }

    /// One-line status: `running 4s`, `exit 0 in 1.2s`, `refused: …`.
    pub fn status(&self, now: DateTime<Utc>) -> String {
        if let Some(r) = &self.refused {
            return format!("refused: {r}");
        }
        match &self.finished {
            Some((o, d)) => format!("{} in {:.1}s", o.summary(), d.as_secs_f64()),
            None => format!("running {}s", (now - self.started).num_seconds().max(0)),
        }
    }

    pub fn push(&mut self, stream: Stream, line: String) {
        if self.output.len() >= OUTPUT_LINES {
            self.output.pop_front();
            self.dropped += 1;
        }
        self.output.push_back((stream, line));
    }
}

/// All runs, newest last.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    pub list: VecDeque<Run>,
    pub next_id: u64,
}

impl Runs {
    /// A fresh run id.
    pub fn allocate(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn add(&mut self, run: Run) {
        self.list.push_back(run);
        while self.list.len() > KEPT_RUNS {
            match self.list.iter().position(|r| !r.is_running()) {
                Some(i) => {
                    self.list.remove(i);
                }
                None => break,
            }
        }
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Run> {
        self.list.iter_mut().find(|r| r.id == id)
    }

    pub fn get(&self, id: u64) -> Option<&Run> {
        self.list.iter().find(|r| r.id == id)
    }

    /// The newest run that is not a dry run.
    pub fn latest(&self) -> Option<&Run> {
        self.list.iter().rev().find(|r| !r.dry_run)
    }

    pub fn running(&self) -> impl Iterator<Item = &Run> {
        self.list.iter().filter(|r| r.is_running())
    }
}
