//! Pasted text: typed into the filter or an acknowledgement note, cleaned of control characters
//! (a line break becomes a space) and cut at the field's length. Anywhere else it is ignored
//! with a word in the footer: a paste never presses a runbook key or answers a confirmation —
//! a dangerous action's target is typed, not pasted.

use super::alerts::NOTE_MAX;
use super::find::FIND_MAX;
use super::keys::{filter_changed, notice, FILTER_MAX};
use crate::model::{Model, Overlay};
use crate::msg::Effect;

pub(super) fn paste(model: &mut Model, text: &str) -> Vec<Effect> {
    match &mut model.ui.overlay {
        Overlay::Filter => {
            let before = model.ui.filter.clone();
            for c in text.chars() {
                type_into(&mut model.ui.filter, c, FILTER_MAX);
            }
            if model.ui.filter == before {
                return Vec::new();
            }
            filter_changed(model)
        }
        Overlay::Find => {
            if let Some(find) = &mut model.ui.find {
                for c in text.chars() {
                    type_into(&mut find.text, c, FIND_MAX);
                }
            }
            vec![Effect::Redraw]
        }
        Overlay::Ack { note, .. } => {
            for c in text.chars() {
                type_into(note, c, NOTE_MAX);
            }
            vec![Effect::Redraw]
        }
        Overlay::Confirm(_) => notice(model, "pasted text ignored: type the confirmation"),
        _ => notice(model, "pasted text ignored: paste into the filter (/) or a note (a)"),
    }
}

/// Types `c` at the end of `buf` unless it is full (`max` characters): a control character
/// types nothing, except that a line break or tab types a space.
pub(super) fn type_into(buf: &mut String, c: char, max: usize) {
    let c = match c {
        '\n' | '\r' | '\t' => ' ',
        c if crate::sanitize::is_unsafe(c) => return,
        c => c,
    };
    if buf.chars().count() < max {
        buf.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_type_nothing_and_line_breaks_a_space() {
        let mut s = String::new();
        for c in "db\u{1b}[2J-1\n\tok\u{7}".chars() {
            type_into(&mut s, c, 64);
        }
        assert_eq!(s, "db[2J-1  ok");
        let mut full = "x".repeat(3);
        type_into(&mut full, 'y', 3);
        assert_eq!(full, "xxx");
    }
}
