//! Terminal input as the loop takes it: a burst of events at a time, resizes settled before
//! the model follows them, pastes as text and never as keys.

use std::time::{Duration, Instant};

use crossterm::event::Event;
use tokio::sync::mpsc;

use super::BATCH;
use crate::msg::Msg;
use crate::term::Input;

/// How long the terminal size must stay put before the model (and the chart step) follows it.
const RESIZE_SETTLE: Duration = Duration::from_millis(150);

/// What a turn of input asks of the loop.
pub(super) struct InputTurn {
    /// Redraw now (a resize).
    pub redraw: bool,
    /// The terminal is gone (the input thread ended).
    pub closed: bool,
}

/// Takes `first` and every input event already read, so a burst (a paste, a resize storm) costs
/// one frame; of a burst of resizes only the last size counts.
pub(super) fn take_input(
    first: Option<Input>,
    input: &mut mpsc::Receiver<Input>,
    pending: &mut Vec<Msg>,
    resize: &mut Resize,
) -> InputTurn {
    let mut redraw = false;
    let mut closed = false;
    let mut next = first;
    for _ in 0..BATCH {
        match next {
            Some(Input::Event(Event::Resize(w, h), _)) => {
                resize.pending = Some((w, h));
                resize.due = tokio::time::Instant::now() + RESIZE_SETTLE;
                // Redraw at the new size now; the model learns it once it settles.
                redraw = true;
            }
            Some(Input::Event(ev, at)) => pending.extend(event_msg(ev, at)),
            // The input thread ended: the terminal went away.
            Some(Input::Closed) | None => {
                tracing::info!("leaving: terminal input closed");
                pending.push(Msg::Quit);
                closed = true;
                break;
            }
        }
        match input.try_recv() {
            Ok(i) => next = Some(i),
            Err(_) => break,
        }
    }
    InputTurn { redraw, closed }
}

/// A terminal resize waiting for the size to settle: a storm of resizes becomes one, so the
/// pollers re-fetch (the chart step follows the width) once, not once per event.
pub(super) struct Resize {
    pub pending: Option<(u16, u16)>,
    pub due: tokio::time::Instant,
}

impl Default for Resize {
    fn default() -> Self {
        Self { pending: None, due: tokio::time::Instant::now() }
    }
}

/// The message for a terminal event read at `at`. Pasted text (`Event::Paste`, with bracketed
/// paste on) is no key: it never presses a runbook key or answers a dialog; it is text, for the
/// filter or a note, cut to [`crate::msg::PASTE_MAX`] bytes.
fn event_msg(ev: Event, at: Instant) -> Option<Msg> {
    match ev {
        Event::Key(key) => Some(Msg::Key { key, at }),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        Event::Paste(mut text) => {
            let mut cut = text.len().min(crate::msg::PASTE_MAX);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            Some(Msg::Paste(text))
        }
        Event::FocusGained | Event::FocusLost | Event::Mouse(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn keys_keep_the_time_they_were_read_and_pastes_are_no_keys() {
        let read = Instant::now() - Duration::from_secs(3);
        let key = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE);
        match event_msg(Event::Key(key), read) {
            Some(Msg::Key { at, .. }) => assert_eq!(at, read, "stamped when read, not now"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(event_msg(Event::Paste("\tt1y".into()), read), Some(Msg::Paste(_))));
        let huge = "é".repeat(10_000);
        match event_msg(Event::Paste(huge), read) {
            Some(Msg::Paste(t)) => assert!(t.len() <= crate::msg::PASTE_MAX && t.len() > 4000),
            other => panic!("{other:?}"),
        }
    }
}
