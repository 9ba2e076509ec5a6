//! Runbooks: Markdown files with a TOML front matter naming the alerts they apply to and the
//! one-key actions an on-call engineer may run, and everything needed to run those actions safely.
//!
//! The flow for one key press:
//!
//! 1. [`load_dir`] parses `runbooks/` once at start-up; [`check_runbooks`] adds cross-file checks.
//! 2. [`Runbook::applies_to`] picks the runbooks for the selected alert.
//! 3. [`prepare`] fills the templates from the alert's labels, checking every label value
//!    against the action's allow-list; [`Resolved::display`] is what the confirm dialog shows.
//! 4. [`Launcher::submit`] takes the per-target lock, checks the cooldown, writes the audit record
//!    and starts the run; [`RunEvent`]s stream back over a channel until `Finished`. Refusals of
//!    step 3 and 4 alike are written to the audit log there, and only there.
//!
//! Nothing here ever hands a label value to a shell: argv elements go to `execve` as they are,
//! URL parts are percent-encoded, and `shell = true` actions only see labels as environment
//! variables.

pub mod audit;
pub mod check;
mod conditions;
pub mod env;
pub mod exec;
pub mod guard;
mod http;
pub mod launch;
pub mod lock;
pub mod parse;
pub mod quote;
pub mod reference;
pub mod resolve;
pub mod spec;
mod validate;

pub use crate::diag::Diagnostic;

pub use audit::{AuditLog, AuditRecord, GuardRecord, Identity, RecordKind, VerifyRecord};
pub use check::{check_runbooks, unknown_alerts};
pub use env::BaseEnv;
pub use exec::{Outcome, RunEvent, RunHandle, Stream};
pub use guard::{Guard, Plan, Reading, Verdict, Verify};
pub use launch::{prepare, Checks, Launcher, Mode, Order, Refused, Submitted};
pub use lock::RunLock;
pub use parse::{load_dir, parse_runbook};
pub use resolve::{ActionId, Context, Refusal, Request, Resolved, CONTEXT_VARS};
pub use spec::{ActionKind, ActionSpec, Confirm, HttpSpec, Matcher, Runbook};

/// Builds a diagnostic: `line` 0 means the file as a whole; an empty `fix` means none.
pub(crate) fn diag(
    file: impl Into<std::path::PathBuf>,
    line: usize,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Diagnostic {
    let fix = fix.into();
    let d = Diagnostic::new(file, (line > 0).then_some(line), message);
    if fix.is_empty() {
        d
    } else {
        d.with_fix(fix)
    }
}
