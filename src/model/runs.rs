//! Runbook action runs as the dashboard sees them: what ran, on what, its output and outcome.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::runbook::{Checks, Guard, Outcome, Reading, Resolved, Stream, Verdict};

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
    /// Its guards, and how they read just before it started.
    pub guards: Vec<Guard>,
    pub checks: Checks,
    /// Its verify query, watched once it ends.
    pub verify: Option<Watch>,
}

/// Watching a run's verify query: its value before the run, the latest reading, the verdict.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The source asked (the alert's).
    pub source: usize,
    /// What ran (for the audit record of the verdict).
    pub resolved: Box<Resolved>,
    /// The reading when the run started.
    pub before: Option<Reading>,
    /// The newest reading while watching.
    pub latest: Option<Reading>,
    /// The end of the watch.
    pub verdict: Option<Verdict>,
}

impl Watch {
    /// One line for the output pane: `verify … : watching, now 95 (needs < 80)`,
    /// `✓ effective: 98 → 71 within 40s`.
    pub fn status(&self) -> String {
        if let Some(v) = &self.verdict {
            let mark = if v.effective { "✓" } else { "✖" };
            return format!("{mark} {}", v.summary());
        }
        let query = self.resolved.verify.as_ref().map_or("", |v| v.query.as_str());
        match &self.latest {
            Some(r) => format!("verifying {query}: now {}", r.shown),
            None => format!("verifying {query} once it ends"),
        }
    }
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
