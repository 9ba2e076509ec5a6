//! Running a resolved action without ever blocking the caller: a child process in its own
//! process group with its output streamed line by line, or an HTTP request; a deadline after
//! which the whole group is terminated; one `Finished` event at the end.

#![allow(
    unsafe_code,
    reason = "the child's process group and its signals (setpgid, killpg), through libc"
)]

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, Notify};

use super::env::BaseEnv;
use super::resolve::{Request, Resolved};
use crate::sanitize;

/// Longest output line forwarded; the rest of a longer line is cut.
pub const MAX_LINE: usize = 2_000;
/// Output forwarded per run; after this a single note says the rest was dropped.
pub const MAX_OUTPUT: usize = 1024 * 1024;
/// Lines kept for the audit log's `Finished` record.
pub const TAIL_LINES: usize = 20;
/// Time between SIGTERM and SIGKILL to the process group.
pub const KILL_GRACE: Duration = Duration::from_secs(2);
/// The same when the terminal is gone ([`RunHandle::hang_up`]): warroom must end promptly, and
/// nobody is left to watch a run wind down.
pub const HANGUP_GRACE: Duration = Duration::from_millis(300);

/// Where an output line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The child's standard output, or an HTTP response body.
    Stdout,
    /// The child's standard error.
    Stderr,
    /// A note from warroom itself (HTTP status line, truncation, cleanup).
    Info,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The process exited with this code.
    Exited(i32),
    /// The process was killed by this signal (not by warroom).
    Signalled(i32),
    /// The deadline passed; the process group was terminated.
    TimedOut,
    /// [`RunHandle::cancel`] was called; the process group was terminated.
    Cancelled,
    /// The terminal went away ([`RunHandle::hang_up`]); the process group was terminated, and
    /// `killed` says whether it took SIGKILL after [`HANGUP_GRACE`].
    TerminalLost {
        /// SIGKILL was needed.
        killed: bool,
    },
    /// The program could not be started (or the run could not be recorded first).
    FailedToStart(String),
    /// The HTTP request got an answer with this status.
    Http(u16),
    /// The HTTP request failed without an answer (connection refused, TLS…).
    RequestFailed(String),
    /// Refused after it was handed over, before anything ran: another host announced the
    /// same action first, or Alertmanager is required and unreachable.
    Refused(super::resolve::Refusal),
}

impl Outcome {
    /// Exit code 0 or an HTTP 2xx.
    pub fn success(&self) -> bool {
        matches!(self, Outcome::Exited(0))
            || matches!(self, Outcome::Http(s) if (200..300).contains(s))
    }

    /// Short text for the output pane and the timeline: `exit 0`, `killed by signal 9`…
    pub fn summary(&self) -> String {
        match self {
            Outcome::Exited(c) => format!("exit {c}"),
            Outcome::Signalled(s) => format!("killed by signal {s}"),
            Outcome::TimedOut => "timed out".into(),
            Outcome::Cancelled => "cancelled".into(),
            Outcome::TerminalLost { killed: true } => "terminal lost: killed".into(),
            Outcome::TerminalLost { killed: false } => "terminal lost: stopped".into(),
            Outcome::FailedToStart(m) => format!("failed to start: {m}"),
            Outcome::Http(s) => format!("HTTP {s}"),
            Outcome::RequestFailed(m) => format!("request failed: {m}"),
            Outcome::Refused(r) => format!("not run: {r}"),
        }
    }
}

/// What a run reports to the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEvent {
    /// One line of output, stripped of control characters.
    Output {
        /// The run.
        run_id: u64,
        /// Which stream.
        stream: Stream,
        /// The line, without its newline.
        line: String,
    },
    /// The run is over (always the last event of a run, sent exactly once).
    Finished {
        /// The run.
        run_id: u64,
        /// How it ended.
        outcome: Outcome,
        /// Wall time from start to end.
        duration: Duration,
    },
}

/// A running action. Dropping the handle does not stop the run.
#[derive(Debug, Clone)]
pub struct RunHandle {
    run_id: u64,
    cancel: Arc<Notify>,
    hung_up: Arc<AtomicBool>,
}

impl RunHandle {
    /// The run's id.
    pub fn run_id(&self) -> u64 {
        self.run_id
    }

    /// Asks the run to stop: SIGTERM to the process group, SIGKILL after [`KILL_GRACE`], or the
    /// HTTP request is abandoned. The run still ends with a `Finished` event (`Cancelled`).
    pub fn cancel(&self) {
        self.cancel.notify_one();
    }

    /// The terminal is gone: stop the run as [`RunHandle::cancel`] does, but with SIGKILL after
    /// [`HANGUP_GRACE`]; it ends with `Finished` (`TerminalLost`).
    pub fn hang_up(&self) {
        self.hung_up.store(true, Ordering::SeqCst);
        self.cancel.notify_one();
    }
}

/// Steps the launcher wraps around a run (audit records, lock, cooldown). Both run on a
/// blocking thread.
pub(super) trait Hooks: Send + 'static {
    /// Called before the child starts; an error aborts the run as `FailedToStart`.
    fn before_start(&mut self) -> Result<(), String>;
    /// Called after the run, before the `Finished` event is sent.
    fn finished(&mut self, outcome: &Outcome, duration: Duration, tail: &[String]);
}

/// The longest a run's end waits for [`RunGate::leave`] (an announcement resolved) before it
/// is reported: quitting must not hang on an Alertmanager that does not answer.
pub const LEAVE_WAIT: Duration = Duration::from_millis(1500);

/// A boxed future, for [`RunGate`].
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// What a run waits behind before its program starts, and tells when it ended: the team's
/// announcement (`crate::pager::team::Claim`).
pub trait RunGate: Send + 'static {
    /// Resolves to `Ok` when the run may start; an `Err` ends it as [`Outcome::Refused`]
    /// without running anything (and without [`Hooks::before_start`]).
    fn enter(&mut self) -> BoxFuture<Result<(), super::resolve::Refusal>>;
    /// The run that `enter` let through ended so (also when it was cancelled at the gate).
    fn leave(&mut self, outcome: &Outcome, duration: Duration) -> BoxFuture<()>;
}

struct NoHooks;

impl Hooks for NoHooks {
    fn before_start(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn finished(&mut self, _: &Outcome, _: Duration, _: &[String]) {}
}

/// Starts `resolved` on the current tokio runtime and returns at once. Events go to `tx`; the
/// last is always `RunEvent::Finished`. A program gets `base` and the action's own environment,
/// nothing else. Only the launcher calls this, with the lock, cooldown and audit log as `hooks`.
pub(super) fn start_with(
    run_id: u64,
    resolved: Resolved,
    base: &Arc<BaseEnv>,
    timeout: Duration,
    tx: mpsc::UnboundedSender<RunEvent>,
    (hooks, gate): (Box<dyn Hooks>, Option<Box<dyn RunGate>>),
) -> RunHandle {
    let base = base.clone();
    let cancel = Arc::new(Notify::new());
    let hung_up = Arc::new(AtomicBool::new(false));
    let handle = RunHandle { run_id, cancel: cancel.clone(), hung_up: hung_up.clone() };
    tokio::spawn(async move {
        let begun = Instant::now();
        let mut gate = gate;
        if let Some(g) = gate.as_mut() {
            let entered = tokio::select! {
                r = g.enter() => r.map_err(Outcome::Refused),
                () = cancel.notified() => Err(if hung_up.load(Ordering::SeqCst) {
                    Outcome::TerminalLost { killed: false }
                } else {
                    Outcome::Cancelled
                }),
            };
            if let Err(outcome) = entered {
                if !matches!(outcome, Outcome::Refused(_)) {
                    let _ =
                        tokio::time::timeout(LEAVE_WAIT, g.leave(&outcome, begun.elapsed())).await;
                }
                let duration = begun.elapsed();
                let for_hooks = outcome.clone();
                let mut hooks = hooks;
                let _ = tokio::task::spawn_blocking(move || {
                    hooks.finished(&for_hooks, duration, &[]);
                })
                .await;
                let _ = tx.send(RunEvent::Finished { run_id, outcome, duration });
                return;
            }
        }
        // The run's time is the program's (or request's), not the wait at the gate.
        let begun = Instant::now();
        let mut sink = Sink::new(run_id, tx.clone());
        let (mut hooks, ready) = match tokio::task::spawn_blocking(move || {
            let mut hooks = hooks;
            let r = hooks.before_start();
            (hooks, r)
        })
        .await
        {
            Ok(pair) => pair,
            Err(e) => (Box::new(NoHooks) as Box<dyn Hooks>, Err(e.to_string())),
        };
        let outcome = match ready {
            Err(e) => Outcome::FailedToStart(e),
            Ok(()) => match resolved.request {
                Request::Argv(argv) => {
                    let env = Env { base: &base, own: &resolved.env };
                    let stop = Stop { cancel: &cancel, hung_up: &hung_up };
                    run_argv(&argv, env, timeout, stop, &mut sink).await
                }
                Request::Http { method, url, headers, body } => {
                    let req = super::http::HttpRequest { method, url, headers, body };
                    match super::http::run(req, timeout, &cancel, &mut sink).await {
                        Outcome::Cancelled if hung_up.load(Ordering::SeqCst) => {
                            Outcome::TerminalLost { killed: false }
                        }
                        other => other,
                    }
                }
            },
        };
        let duration = begun.elapsed();
        let tail: Vec<String> = sink.tail.into_iter().collect();
        let outcome_for_hooks = outcome.clone();
        let _ = tokio::task::spawn_blocking(move || {
            hooks.finished(&outcome_for_hooks, duration, &tail);
        })
        .await;
        if let Some(g) = gate.as_mut() {
            let _ = tokio::time::timeout(LEAVE_WAIT, g.leave(&outcome, duration)).await;
        }
        let _ = tx.send(RunEvent::Finished { run_id, outcome, duration });
    });
    handle
}

/// Forwards output lines with the size cap and keeps the tail for the audit log.
pub(super) struct Sink {
    run_id: u64,
    tx: mpsc::UnboundedSender<RunEvent>,
    total: usize,
    capped: bool,
    pub(super) tail: VecDeque<String>,
}

impl Sink {
    fn new(run_id: u64, tx: mpsc::UnboundedSender<RunEvent>) -> Self {
        Sink { run_id, tx, total: 0, capped: false, tail: VecDeque::new() }
    }

    /// Sends one line (already sanitized).
    pub(super) fn line(&mut self, stream: Stream, line: String) {
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.clone());
        if self.capped {
            return;
        }
        self.total += line.len() + 1;
        if self.total > MAX_OUTPUT {
            self.capped = true;
            let note = format!("[output over {} KiB; the rest is not shown]", MAX_OUTPUT / 1024);
            let _ = self.tx.send(RunEvent::Output {
                run_id: self.run_id,
                stream: Stream::Info,
                line: note,
            });
            return;
        }
        let _ = self.tx.send(RunEvent::Output { run_id: self.run_id, stream, line });
    }
}

/// Turns raw bytes of one line into a displayable line.
pub(super) fn clean_line(bytes: &[u8], cut: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut line = sanitize::clean_owned(text.trim_end_matches('\r'));
    if cut {
        line.push_str(" […]");
    }
    line
}

/// A child's whole environment: the allow-listed part of warroom's, then the action's own.
#[derive(Clone, Copy)]
struct Env<'a> {
    base: &'a BaseEnv,
    own: &'a std::collections::BTreeMap<String, String>,
}

/// How a run is asked to stop: the notification, and whether it came from a lost terminal.
#[derive(Clone, Copy)]
struct Stop<'a> {
    cancel: &'a Notify,
    hung_up: &'a AtomicBool,
}

async fn run_argv(
    argv: &[String],
    env: Env<'_>,
    timeout: Duration,
    stop: Stop<'_>,
    sink: &mut Sink,
) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::FailedToStart("empty argv".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env.base.vars())
        .envs(env.own)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::FailedToStart(format!("{program}: {e}")),
    };
    let Some(pgid) = child.id().and_then(|p| i32::try_from(p).ok()) else {
        return Outcome::FailedToStart("child has no pid".into());
    };
    let (line_tx, mut lines) = mpsc::channel::<(Stream, String)>(256);
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(read_lines(out, Stream::Stdout, line_tx.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(read_lines(err, Stream::Stderr, line_tx.clone())));
    }
    drop(line_tx);

    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut status: Option<ExitStatus> = None;
    let mut stop_reason = loop {
        tokio::select! {
            s = child.wait() => {
                status = s.ok();
                break None;
            }
            () = &mut deadline => break Some(Outcome::TimedOut),
            () = stop.cancel.notified() => break Some(Outcome::Cancelled),
            Some((stream, line)) = lines.recv() => sink.line(stream, line),
        }
    };
    if stop_reason.is_some() || group_alive(pgid) {
        if stop_reason.is_none() {
            sink.line(
                Stream::Info,
                "[stopping processes the action left running in the background]".into(),
            );
        }
        let hung_up = stop.hung_up.load(Ordering::SeqCst);
        let grace = if hung_up { HANGUP_GRACE } else { KILL_GRACE };
        let killed = terminate_group(pgid, grace, &mut child, &mut status, &mut lines, sink).await;
        if hung_up && stop_reason.is_some() {
            stop_reason = Some(Outcome::TerminalLost { killed });
        }
    }
    // The group is gone; the pipes close unless something outside it (a daemon that called
    // setsid) still holds them, so drain for a bounded time only.
    let drain_until = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        tokio::select! {
            l = lines.recv() => match l {
                Some((stream, line)) => sink.line(stream, line),
                None => break,
            },
            () = tokio::time::sleep_until(drain_until) => break,
        }
    }
    for r in readers {
        r.abort();
    }
    match (stop_reason, status) {
        (Some(reason), _) => reason,
        (None, Some(s)) => exit_outcome(s),
        (None, None) => Outcome::FailedToStart("lost track of the child".into()),
    }
}

fn exit_outcome(s: ExitStatus) -> Outcome {
    match (s.code(), s.signal()) {
        (Some(c), _) => Outcome::Exited(c),
        (None, Some(sig)) => Outcome::Signalled(sig),
        (None, None) => Outcome::Exited(-1),
    }
}

/// Whether the process group still has a member that has not ended. Zombies do not count: an
/// orphan whose new parent (a container's init, say) is slow to reap it has ended all the same,
/// and waiting for it would hold up the run's end, or warroom's exit, for nothing.
fn group_alive(pgid: i32) -> bool {
    // SAFETY: killpg with signal 0 only checks for existence and permission.
    if unsafe { libc::killpg(pgid, 0) } != 0 {
        return false;
    }
    match live_members(pgid) {
        Some(n) => n > 0,
        None => true, // no /proc to look at: any member counts
    }
}

/// Members of process group `pgid` that are not zombies, from `/proc`; `None` without it.
fn live_members(pgid: i32) -> Option<usize> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let pgid = pgid.to_string();
    let live = entries
        .filter_map(|e| {
            let name = e.ok()?.file_name();
            let pid = name.to_str()?;
            pid.bytes().all(|b| b.is_ascii_digit()).then(|| pid.to_string())
        })
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false; // ended while we looked
            };
            // After the command name in parentheses: state, ppid, pgrp.
            let mut fields = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("").split_whitespace();
            let state = fields.next();
            let pgrp = fields.nth(1);
            pgrp == Some(pgid.as_str()) && state != Some("Z") && state != Some("X")
        })
        .count();
    Some(live)
}

fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: plain syscall on a process group we created; errors (ESRCH) are expected.
    unsafe {
        libc::killpg(pgid, sig);
    }
}

/// SIGTERM to the group, reap the leader, SIGKILL whatever is left after `grace`. Returns
/// whether SIGKILL was needed.
async fn terminate_group(
    pgid: i32,
    grace: Duration,
    child: &mut Child,
    status: &mut Option<ExitStatus>,
    lines: &mut mpsc::Receiver<(Stream, String)>,
    sink: &mut Sink,
) -> bool {
    signal_group(pgid, libc::SIGTERM);
    let grace_end = tokio::time::Instant::now() + grace;
    loop {
        if status.is_some() && !group_alive(pgid) {
            return false;
        }
        tokio::select! {
            s = child.wait(), if status.is_none() => *status = s.ok(),
            Some((stream, line)) = lines.recv() => sink.line(stream, line),
            () = tokio::time::sleep_until(grace_end.min(tokio::time::Instant::now() + Duration::from_millis(50))) => {}
        }
        if tokio::time::Instant::now() >= grace_end {
            break;
        }
    }
    signal_group(pgid, libc::SIGKILL);
    if status.is_none() {
        *status = child.wait().await.ok();
    }
    // Members other than the leader are reaped by init; wait until the kernel reports them gone.
    let end = tokio::time::Instant::now() + Duration::from_secs(1);
    while group_alive(pgid) && tokio::time::Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

async fn read_lines<R: AsyncRead + Unpin>(
    mut r: R,
    stream: Stream,
    tx: mpsc::Sender<(Stream, String)>,
) {
    let mut buf = [0u8; 8192];
    let mut line = Vec::with_capacity(256);
    let mut cut = false;
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                if tx.send((stream, clean_line(&line, cut))).await.is_err() {
                    return;
                }
                line.clear();
                cut = false;
            } else if line.len() < MAX_LINE {
                line.push(b);
            } else {
                cut = true;
            }
        }
    }
    if !line.is_empty() {
        let _ = tx.send((stream, clean_line(&line, cut))).await;
    }
}
