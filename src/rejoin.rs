//! Escape sequences split by the terminal parser, joined again. Esc pressed just before an
//! arrow or PgDn on a laggy link reaches warroom in one read: `ESC ESC [ B`. crossterm reads the
//! two escapes as one Esc key and the rest as the characters `[` and `B` — so the chart panned
//! (`[`) instead of the selection moving down. The input thread hands every character that came
//! in the same read as an Esc to [`Rejoin`], which gives back the key the bytes meant.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What to do with characters read together with an Esc.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// They may still become a key: wait for the next one (if it came in the same read).
    More,
    /// They were this key.
    Key(KeyEvent),
    /// They are no sequence: pass them on as the keys they are.
    Not,
}

/// The characters after an Esc, gathered while they may still form a CSI (`[`) or SS3 (`O`)
/// sequence.
#[derive(Debug, Default)]
pub struct Rejoin {
    chars: String,
}

/// The longest sequence looked for (`[1;5A` is six).
const LONGEST: usize = 8;

impl Rejoin {
    /// Adds the next character read in the same burst.
    pub fn push(&mut self, c: char) -> Step {
        self.chars.push(c);
        let s = self.chars.as_str();
        if !(s.starts_with('[') || s.starts_with('O')) || s.len() > LONGEST {
            return Step::Not;
        }
        let (intro, body) = s.split_at(1);
        let Some(last) = body.chars().last() else { return Step::More };
        if last.is_ascii_digit() || last == ';' {
            return Step::More; // parameters go on
        }
        match decode(intro == "O", body) {
            Some(key) => Step::Key(key),
            None => Step::Not,
        }
    }

    /// The characters gathered so far, for when they are no sequence.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.chars)
    }
}

/// The key of a finished sequence body (`B`, `5~`, `1;5A`), SS3 or CSI.
fn decode(ss3: bool, body: &str) -> Option<KeyEvent> {
    let (params, last) = body.split_at(body.len().checked_sub(1)?);
    let mut parts = params.split(';');
    let number = parts.next().filter(|p| !p.is_empty());
    let modifiers = match parts.next() {
        Some(m) => modifiers(m.parse().ok()?)?,
        None => KeyModifiers::NONE,
    };
    let code = match (last, number) {
        ("A", None | Some("1")) => KeyCode::Up,
        ("B", None | Some("1")) => KeyCode::Down,
        ("C", None | Some("1")) => KeyCode::Right,
        ("D", None | Some("1")) => KeyCode::Left,
        ("H", None | Some("1")) => KeyCode::Home,
        ("F", None | Some("1")) => KeyCode::End,
        ("Z", None) if !ss3 => KeyCode::BackTab,
        ("~", Some(n)) if !ss3 => match n {
            "1" | "7" => KeyCode::Home,
            "2" => KeyCode::Insert,
            "3" => KeyCode::Delete,
            "4" | "8" => KeyCode::End,
            "5" => KeyCode::PageUp,
            "6" => KeyCode::PageDown,
            _ => return None,
        },
        _ => return None,
    };
    Some(KeyEvent::new(code, modifiers))
}

/// xterm's modifier parameter: 1 + (shift 1, alt 2, control 4).
fn modifiers(m: u8) -> Option<KeyModifiers> {
    let bits = m.checked_sub(1).filter(|b| *b < 8)?;
    let mut out = KeyModifiers::NONE;
    for (bit, modifier) in
        [(1, KeyModifiers::SHIFT), (2, KeyModifiers::ALT), (4, KeyModifiers::CONTROL)]
    {
        if bits & bit != 0 {
            out |= modifier;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &str) -> Vec<Step> {
        let mut r = Rejoin::default();
        s.chars().map(|c| r.push(c)).collect()
    }

    fn key(code: KeyCode) -> Step {
        Step::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn arrows_pages_and_home_end_are_joined() {
        for (seq, code) in [
            ("[A", KeyCode::Up),
            ("[B", KeyCode::Down),
            ("[C", KeyCode::Right),
            ("[D", KeyCode::Left),
            ("OB", KeyCode::Down),
            ("[H", KeyCode::Home),
            ("OF", KeyCode::End),
            ("[5~", KeyCode::PageUp),
            ("[6~", KeyCode::PageDown),
            ("[1~", KeyCode::Home),
            ("[4~", KeyCode::End),
            ("[3~", KeyCode::Delete),
            ("[Z", KeyCode::BackTab),
        ] {
            assert_eq!(feed(seq).pop(), Some(key(code)), "{seq}");
        }
        let ctrl_up = Step::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::CONTROL));
        assert_eq!(feed("[1;5A"), [Step::More, Step::More, Step::More, Step::More, ctrl_up]);
    }

    #[test]
    fn anything_else_is_left_as_typed() {
        assert_eq!(feed("q"), [Step::Not], "not an introducer");
        assert_eq!(feed("[x"), [Step::More, Step::Not]);
        assert_eq!(feed("[9~"), [Step::More, Step::More, Step::Not]);
        assert_eq!(feed("OZ"), [Step::More, Step::Not], "no back-tab in SS3");
        assert_eq!(feed("[1;99A").pop(), Some(Step::Not), "no such modifier");
        let long = feed("[123456789");
        assert!(long[..8].iter().all(|s| *s == Step::More) && long[8] == Step::Not, "{long:?}");
        assert_eq!(feed("é"), [Step::Not]);
        let mut r = Rejoin::default();
        r.push('[');
        r.push('x');
        assert_eq!(r.take(), "[x");
    }
}
