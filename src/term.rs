//! The terminal's edges: taking it over and giving it back, reading input on a thread of its
//! own, and noticing when the terminal is gone (SSH dropped, tmux killed) without reading it.
//!
//! Why a thread: crossterm 0.29's reader spins on a hung-up tty (a read of 0 bytes or `EIO` is
//! retried at once, forever) while holding its global reader lock. Polled from the async loop
//! (`EventStream`), that would freeze the loop and with it every way out. On its own thread the
//! spin costs one core until the loop, which never touches crossterm's reader, sees the hangup
//! and ends the process.

#![allow(
    unsafe_code,
    reason = "poll(2), ioctl and close on the terminal's descriptors, through libc"
)]

use std::io::IsTerminal;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyModifiers};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::rejoin::{Rejoin, Step};

/// Set by the panic hook: a task panicked, the terminal is already restored, the loop must end.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether the terminal is ours (raw mode, alternate screen) and [`leave`] has work to do.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Takes over the terminal: raw mode, alternate screen, and a panic hook that restores it first
/// and flags the panic for the loop ([`panicked`]).
///
/// Not `ratatui::init`: its restore reports failures with `eprintln!`, which panics when the
/// terminal is gone (stderr is the same dead tty), and in the panic hook that is an abort with a
/// core dump instead of a quick exit.
pub fn enter() -> anyhow::Result<DefaultTerminal> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "standard output is not a terminal; run warroom in one, or use `warroom snapshot` \
             for a frame as text"
        );
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        leave();
        tracing::error!("panic: {info}");
        previous(info);
    }));
    let setup = || -> std::io::Result<DefaultTerminal> {
        ENTERED.store(true, Ordering::SeqCst);
        crossterm::terminal::enable_raw_mode()?;
        // Bracketed paste: pasted text arrives as one `Event::Paste`, which is never a key, so a
        // paste cannot press a runbook key or confirm a dialog.
        crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::EnterAlternateScreen,
            crossterm::event::EnableBracketedPaste
        )?;
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
    };
    setup().map_err(|e| {
        leave();
        anyhow::anyhow!("cannot set up the terminal: {e}")
    })
}

/// Gives the terminal back: main screen, cursor, cooked mode. Every error is ignored (a terminal
/// that is gone has nothing left to restore) and nothing is printed. Only the first call after
/// [`enter`] acts: leaving the alternate screen twice would move the cursor back over whatever
/// was printed in between (a panic message).
pub fn leave() {
    use crossterm::{cursor::Show, event::DisableBracketedPaste, terminal::LeaveAlternateScreen};
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ =
        crossterm::execute!(std::io::stdout(), DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = crossterm::terminal::disable_raw_mode();
}

/// Whether a panic happened anywhere since [`enter`].
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// What the input thread sends.
#[derive(Debug)]
pub enum Input {
    /// An event and when it was read from the terminal: keys keep that time however long the
    /// loop takes to get to them, so a stalled frame cannot make a key typed ahead of the
    /// confirm dialog look deliberate.
    Event(Event, Instant),
    /// Reading failed: the terminal is gone.
    Closed,
}

/// How long the input thread waits for an event before checking whether anyone still listens.
const INPUT_POLL: Duration = Duration::from_millis(250);

/// Reads terminal events on a thread of its own and sends them to `tx`. The thread ends when
/// `tx`'s receiver is gone or reading fails; a thread stuck in crossterm's reader ends with the
/// process (it is never joined).
pub fn spawn_input(tx: mpsc::Sender<Input>) -> std::io::Result<()> {
    std::thread::Builder::new().name("warroom-input".into()).spawn(move || loop {
        match crossterm::event::poll(INPUT_POLL) {
            Ok(true) => match crossterm::event::read() {
                Ok(ev) => {
                    let esc = is_esc(&ev);
                    if tx.blocking_send(Input::Event(ev, Instant::now())).is_err() {
                        return;
                    }
                    if esc && !rejoin_after_esc(&tx) {
                        return;
                    }
                }
                Err(_) => {
                    let _ = tx.blocking_send(Input::Closed);
                    return;
                }
            },
            Ok(false) if tx.is_closed() => return,
            Ok(false) => {}
            Err(_) => {
                let _ = tx.blocking_send(Input::Closed);
                return;
            }
        }
    })?;
    Ok(())
}

fn is_esc(ev: &Event) -> bool {
    matches!(ev, Event::Key(k) if k.code == KeyCode::Esc && k.modifiers.is_empty())
}

/// After an Esc: the characters read in the same burst (available at once), joined into the key
/// they meant when they are an escape sequence the parser split (see [`crate::rejoin`]), else
/// sent as they are. False when nobody listens any more.
fn rejoin_after_esc(tx: &mpsc::Sender<Input>) -> bool {
    let mut rejoin = Rejoin::default();
    let mut held: Vec<Event> = Vec::new();
    let send = |ev: Event| tx.blocking_send(Input::Event(ev, Instant::now())).is_ok();
    while crossterm::event::poll(Duration::ZERO).unwrap_or(false) {
        let Ok(ev) = crossterm::event::read() else { break };
        let c = match &ev {
            Event::Key(k) if (k.modifiers - KeyModifiers::SHIFT).is_empty() => match k.code {
                KeyCode::Char(c) => Some(c),
                _ => None,
            },
            _ => None,
        };
        let Some(c) = c else {
            held.push(ev);
            break;
        };
        held.push(ev);
        match rejoin.push(c) {
            Step::More => continue,
            Step::Key(key) => return send(Event::Key(key)),
            Step::Not => break,
        }
    }
    held.into_iter().all(send)
}

/// Notices a hung-up terminal by asking poll(2) about the terminal's descriptors, without reading
/// them: a hung-up tty reports `POLLHUP`/`POLLERR` at once.
pub struct HangupWatch {
    fds: Vec<RawFd>,
}

impl HangupWatch {
    /// Watches standard input and output, those of them that are terminals now.
    pub fn new() -> Self {
        let fds = [libc::STDIN_FILENO, libc::STDOUT_FILENO]
            .into_iter()
            // SAFETY: isatty only inspects the descriptor.
            .filter(|&fd| unsafe { libc::isatty(fd) } == 1)
            .collect();
        Self { fds }
    }

    /// Whether any watched terminal has hung up or gone invalid.
    pub fn hung_up(&self) -> bool {
        self.fds.iter().any(|&fd| {
            let mut p = libc::pollfd { fd, events: 0, revents: 0 };
            // SAFETY: one valid pollfd, zero timeout; poll does not read the terminal.
            let n = unsafe { libc::poll(&mut p, 1, 0) };
            n > 0 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
        })
    }
}

impl Default for HangupWatch {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_counts_as_hung_up() {
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe; both ends are closed below.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let watch = HangupWatch { fds: vec![fds[0]] };
        assert!(!watch.hung_up(), "open pipe, no data: not hung up");
        // SAFETY: closing the write end we own.
        unsafe { libc::close(fds[1]) };
        assert!(watch.hung_up(), "writer gone: POLLHUP");
        // SAFETY: closing the read end we own.
        unsafe { libc::close(fds[0]) };
    }
}
