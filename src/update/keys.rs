//! Keys: overlays first (help, filter, acknowledge), then the keymap's actions.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{actions, alerts, quit, set_window, RANGES};
use crate::keymap::{action_for, Action};
use crate::model::{Focus, Model, Overlay, Pane};
use crate::msg::Effect;

pub(super) fn key_event(model: &mut Model, key: KeyEvent, at: Instant) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    match model.ui.overlay {
        Overlay::Filter => return filter_key(model, key),
        Overlay::Find => return super::find::prompt_key(model, key),
        Overlay::Ack { .. } => return alerts::ack_key(model, key),
        Overlay::Confirm(_) => return actions::confirm_key(model, key, at),
        Overlay::Variables(_) => return super::vars::key(model, key),
        Overlay::Query { .. } if action_for(&key) == Some(Action::Copy) => {
            return super::copy::selected(model)
        }
        Overlay::Help | Overlay::Query { .. } => {
            model.ui.overlay = Overlay::None;
            model.ui.why = None;
            return if action_for(&key) == Some(Action::Quit) && key.code != KeyCode::Char('q') {
                quit(model)
            } else {
                vec![Effect::Redraw]
            };
        }
        Overlay::None => {}
    }
    if model.ui.find.is_some() {
        if let Some(effects) = super::find::step(model, key) {
            return effects;
        }
    }
    match (action_for(&key), key.code) {
        (Some(action), _) => act(model, action),
        (None, KeyCode::Char(c)) if key.modifiers.difference(KeyModifiers::SHIFT).is_empty() => {
            actions::runbook_key(model, c, at)
        }
        (None, _) => Vec::new(),
    }
}

/// The longest filter.
pub(super) const FILTER_MAX: usize = 64;

fn filter_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => {
            model.ui.filter.clear();
            model.ui.overlay = Overlay::None;
        }
        KeyCode::Enter => model.ui.overlay = Overlay::None,
        KeyCode::Backspace => {
            model.ui.filter.pop();
        }
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return quit(model),
        KeyCode::Char(c) => super::paste::type_into(&mut model.ui.filter, c, FILTER_MAX),
        _ => return Vec::new(),
    }
    filter_changed(model)
}

/// The filter changed: selections start over at the first match.
pub(super) fn filter_changed(model: &mut Model) -> Vec<Effect> {
    model.ui.panel = 0;
    model.ui.alert = 0;
    model.ui.alert_key = None;
    vec![Effect::Redraw]
}

fn act(model: &mut Model, action: Action) -> Vec<Effect> {
    let visible = model.visible_panels();
    let panels = visible.len();
    let ui = &mut model.ui;
    let cols = ui.columns();
    match action {
        Action::Quit => return quit(model),
        Action::Help => ui.overlay = Overlay::Help,
        Action::Filter => ui.overlay = Overlay::Filter,
        Action::Back => {
            if ui.zoom.is_some() {
                ui.zoom = None;
                ui.cursor = None;
            } else if !ui.filter.is_empty() {
                ui.filter.clear();
            } else {
                return Vec::new();
            }
        }
        Action::NextFocus => {
            ui.focus = match ui.focus {
                Focus::Panels => Focus::Alerts,
                Focus::Alerts => Focus::Panels,
            }
        }
        Action::Zoom => {
            if ui.focus == Focus::Panels {
                ui.zoom = visible.get(ui.panel).copied();
                ui.cursor = None;
            }
        }
        Action::Left | Action::Right if ui.zoom.is_some() => {
            let c = ui.cursor.unwrap_or(0);
            ui.cursor = Some(if action == Action::Left { c + 1 } else { c.saturating_sub(1) });
        }
        Action::Up | Action::Down | Action::Left | Action::Right => match ui.focus {
            Focus::Panels => ui.panel = move_in_grid(ui.panel, panels, cols, action),
            Focus::Alerts => match action {
                Action::Up => model.move_alert_selection(-1),
                Action::Down => model.move_alert_selection(1),
                Action::Left if ui.pane == Pane::Output => {
                    ui.pane_hscroll = ui.pane_hscroll.saturating_sub(8)
                }
                Action::Right if ui.pane == Pane::Output => {
                    ui.pane_hscroll = ui.pane_hscroll.saturating_add(8).min(400)
                }
                _ => return notice(model, "←/→ scroll the Output pane sideways (v shows it)"),
            },
        },
        Action::ScrollUp => ui.pane_scroll = ui.pane_scroll.saturating_sub(5),
        Action::ScrollDown => ui.pane_scroll = ui.pane_scroll.saturating_add(5),
        Action::RangeIn | Action::RangeOut => {
            let cur = model.window.range.as_secs();
            let pos = RANGES.iter().position(|&r| r >= cur).unwrap_or(RANGES.len() - 1);
            let next = if action == Action::RangeIn {
                pos.saturating_sub(1)
            } else {
                (pos + 1).min(RANGES.len() - 1)
            };
            if RANGES[next] == cur {
                return Vec::new();
            }
            return set_window(model, |w| crate::model::Window {
                range: Duration::from_secs(RANGES[next]),
                ..w
            });
        }
        Action::PanBack | Action::PanForward => {
            let half = model.window.range / 2;
            let off = model.window.offset;
            let new = if action == Action::PanBack { off + half } else { off.saturating_sub(half) };
            if new == off {
                return notice(model, "already live: the charts end now");
            }
            return set_window(model, |w| crate::model::Window { offset: new, ..w });
        }
        Action::Acknowledge => return alerts::open_ack(model),
        Action::NextPane => {
            ui.pane = match ui.pane {
                Pane::Runbook => Pane::Output,
                Pane::Output => Pane::History,
                Pane::History => Pane::Runbook,
            };
            ui.pane_scroll = 0;
            ui.pane_hscroll = 0;
        }
        Action::Live => {
            if model.window.offset.is_zero() {
                return notice(model, "already live: the charts end now");
            }
            return set_window(model, |w| crate::model::Window { offset: Duration::ZERO, ..w });
        }
        Action::ShowQuery => return super::why::show_query(model),
        Action::Repaint => return vec![Effect::Repaint],
        Action::Copy => return super::copy::selected(model),
        Action::Find => {
            ui.overlay = Overlay::Find;
            ui.find = Some(crate::model::Find::default());
        }
        Action::Variables => return super::vars::open(model),
        Action::PrevTab | Action::NextTab => {
            let n = model.tabs().len().max(1);
            let ui = &mut model.ui;
            let at = ui.tab.min(n - 1);
            ui.tab = if action == Action::NextTab { (at + 1) % n } else { (at + n - 1) % n };
            ui.panel = 0;
            ui.zoom = None;
            ui.cursor = None;
        }
    }
    vec![Effect::Redraw]
}

/// A short word in the footer for a key that did nothing here, so no key goes unanswered.
pub(super) fn notice(model: &mut Model, text: &str) -> Vec<Effect> {
    model.flash = Some((text.to_string(), model.now));
    vec![Effect::Redraw]
}

fn move_in_grid(sel: usize, count: usize, cols: usize, action: Action) -> usize {
    if count == 0 {
        return 0;
    }
    let sel = sel.min(count - 1);
    match action {
        Action::Left => sel.saturating_sub(1),
        Action::Right => (sel + 1).min(count - 1),
        Action::Up => sel.checked_sub(cols).unwrap_or(sel),
        Action::Down if sel + cols < count => sel + cols,
        _ => sel,
    }
}
