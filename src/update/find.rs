//! `f`: find text in the pane beside the alert list. The prompt takes the text; Enter keeps it
//! and the pane shows the first match; `n`/`N` the next and previous ones; Esc ends the search.
//! Which line matches, and where the pane scrolls to show it, is worked out when the pane is
//! drawn (it alone knows its lines and width).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::notice;
use super::paste::type_into;
use crate::model::{Model, Overlay};
use crate::msg::Effect;

/// The longest text to find.
pub(super) const FIND_MAX: usize = 64;

/// Keys while the prompt is open.
pub(super) fn prompt_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return super::quit(model);
    }
    let Some(find) = &mut model.ui.find else {
        model.ui.overlay = Overlay::None;
        return vec![Effect::Redraw];
    };
    match key.code {
        KeyCode::Esc => {
            model.ui.find = None;
            model.ui.overlay = Overlay::None;
        }
        KeyCode::Enter => {
            model.ui.overlay = Overlay::None;
            if find.text.is_empty() {
                model.ui.find = None;
            }
        }
        KeyCode::Backspace => {
            find.text.pop();
            find.at = 0;
        }
        KeyCode::Char(c) => {
            type_into(&mut find.text, c, FIND_MAX);
            find.at = 0;
        }
        _ => return Vec::new(),
    }
    vec![Effect::Redraw]
}

/// Keys while a search is shown: `n`, `N` and Esc are the search's; `None` for other keys.
pub(super) fn step(model: &mut Model, key: KeyEvent) -> Option<Vec<Effect>> {
    let find = model.ui.find.as_mut()?;
    match key.code {
        KeyCode::Char('n') => find.at += 1,
        KeyCode::Char('N') => find.at -= 1,
        KeyCode::Esc => {
            model.ui.find = None;
            return Some(notice(model, "search ended"));
        }
        _ => return None,
    }
    Some(vec![Effect::Redraw])
}
