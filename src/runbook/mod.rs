//! Runbooks: Markdown files with a TOML front matter naming the alerts they apply to and the
//! one-key actions an on-call engineer may run, and everything needed to run those actions safely.
//!
//! The flow for one key press:
//!
//! 1. [`load_dir`] parses `runbooks/` once at start-up; [`check_runbooks`] adds cross-file checks.
//! 2. [`Runbook::applies_to`] picks the runbooks for the selected alert.
//! 3. [`ActionSpec::resolve`] fills the templates from the alert's labels, checking every label
//!    value against the action's allow-list; [`Resolved::display`] is what the confirm dialog shows.
//! 4. [`Launcher::launch`] takes the per-target lock, checks the cooldown, writes the audit record
//!    and starts the run; [`RunEvent`]s stream back over a channel until `Finished`.
//!
//! Nothing here ever hands a label value to a shell: argv elements go to `execve` as they are,
//! URL parts are percent-encoded, and `shell = true` actions only see labels as environment
//! variables.

pub mod audit;
pub mod check;
pub mod exec;
mod http;
pub mod launch;
pub mod lock;
pub mod parse;
pub mod redact;
pub mod resolve;
pub mod spec;
mod validate;

use std::fmt;
use std::path::PathBuf;

pub use audit::{AuditLog, AuditRecord, Identity, RecordKind};
pub use check::{check_runbooks, BUILTIN_KEYS};
pub use exec::{start, Outcome, RunEvent, RunHandle, Stream};
pub use launch::{Launcher, Mode};
pub use lock::RunLock;
pub use parse::{load_dir, parse_runbook};
pub use resolve::{Context, Refusal, Request, Resolved, CONTEXT_VARS};
pub use spec::{ActionKind, ActionSpec, Confirm, HttpSpec, Matcher, Runbook};

/// A problem found in a runbook file, located precisely enough to fix it at 3 a.m.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The runbook file.
    pub file: PathBuf,
    /// 1-based line in that file (front matter lines are counted from the top of the file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Diagnostic {
    /// Builds a diagnostic.
    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            line,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `runbooks/pg.md:12: message (fix: …)`, the format `warroom check` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n    fix: {}", self.fix)?;
        }
        Ok(())
    }
}
