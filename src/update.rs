//! `update(&mut Model, Msg) -> Vec<Effect>`: the only place the model changes. Pure: no I/O,
//! no awaits, no clock reads — time arrives in messages.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use crate::keymap::{action_for, Action};
use crate::model::{Focus, Model, Overlay};
use crate::msg::{Effect, Msg};
use crate::prom::poller::{FetchKind, PollResult};

/// Time ranges `+`/`-` step through.
pub const RANGES: &[u64] = &[
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    24 * 3600,
];

/// Applies one message.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            let changed = now.timestamp() != model.now.timestamp();
            model.now = now;
            redraw_if(changed)
        }
        Msg::Resize { width, height } => resize(model, width, height),
        Msg::Poll(result) => poll(model, *result),
        Msg::Key { key, .. } => key_event(model, key),
        Msg::Quit => quit(model),
    }
}

fn redraw_if(changed: bool) -> Vec<Effect> {
    if changed {
        vec![Effect::Redraw]
    } else {
        Vec::new()
    }
}

fn quit(model: &mut Model) -> Vec<Effect> {
    model.quit = true;
    vec![Effect::Quit]
}

fn poll(model: &mut Model, r: PollResult) -> Vec<Effect> {
    if r.kind != FetchKind::Instant && r.generation != model.window.generation {
        return Vec::new(); // a late answer for a window no longer shown
    }
    let window_start = model.window_start();
    let Some(query) = model.queries.get_mut(r.query) else {
        return Vec::new();
    };
    if let Some(source) = model.sources.get_mut(query.source) {
        let (rtt, error) = match &r.outcome {
            Ok(f) => (Some(f.rtt), None),
            // An API error means the server answered: it is up, the query is wrong.
            Err(crate::prom::PromError::Api { status, .. }) if *status < 500 => (None, None),
            Err(e) => (None, Some(e.to_string())),
        };
        source.record(r.at, rtt, error);
    }
    redraw_if(query.apply(r, window_start))
}

fn resize(model: &mut Model, width: u16, height: u16) -> Vec<Effect> {
    model.ui.width = width;
    model.ui.height = height;
    let mut effects = vec![Effect::Redraw];
    let max_points = chart_points(width, model.ui.columns());
    let old = model.window;
    let new = crate::prom::poller::Window { max_points, ..old };
    let step_changed = model
        .queries
        .iter()
        .any(|q| old.step(q.interval) != new.step(q.interval));
    model.window.max_points = max_points;
    if step_changed {
        effects.extend(set_window(model, |w| w));
    }
    effects
}

/// Braille points across one grid chart at this terminal width (2 dots per cell).
pub fn chart_points(width: u16, columns: usize) -> u32 {
    let per_panel = (width as usize / columns.max(1)).saturating_sub(10);
    (per_panel as u32 * 2).clamp(20, 2000)
}

fn set_window(
    model: &mut Model,
    change: impl FnOnce(crate::prom::poller::Window) -> crate::prom::poller::Window,
) -> Vec<Effect> {
    let mut w = change(model.window);
    w.generation = model.window.generation + 1;
    model.window = w;
    for q in &mut model.queries {
        if q.range {
            q.series.clear();
            q.last_ok = None;
        }
    }
    vec![Effect::SetWindow(w), Effect::Redraw]
}

fn key_event(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    match model.ui.overlay {
        Overlay::Filter => return filter_key(model, key),
        Overlay::Help => {
            model.ui.overlay = Overlay::None;
            return if action_for(&key) == Some(Action::Quit) && key.code != KeyCode::Char('q') {
                quit(model)
            } else {
                vec![Effect::Redraw]
            };
        }
        Overlay::None => {}
    }
    match action_for(&key) {
        Some(action) => act(model, action),
        None => Vec::new(),
    }
}

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
        KeyCode::Char('c')
            if key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            return quit(model)
        }
        KeyCode::Char(c) if !c.is_control() && model.ui.filter.chars().count() < 64 => {
            model.ui.filter.push(c)
        }
        _ => return Vec::new(),
    }
    model.ui.panel = 0;
    model.ui.alert = 0;
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
            ui.cursor = Some(if action == Action::Left {
                c + 1
            } else {
                c.saturating_sub(1)
            });
        }
        Action::Up | Action::Down | Action::Left | Action::Right => match ui.focus {
            Focus::Panels => ui.panel = move_in_grid(ui.panel, panels, cols, action),
            Focus::Alerts => match action {
                Action::Up => ui.alert = ui.alert.saturating_sub(1),
                Action::Down => ui.alert += 1,
                _ => return Vec::new(),
            },
        },
        Action::ScrollUp => ui.pane_scroll = ui.pane_scroll.saturating_sub(5),
        Action::ScrollDown => ui.pane_scroll = ui.pane_scroll.saturating_add(5),
        Action::RangeIn | Action::RangeOut => {
            let cur = model.window.range.as_secs();
            let pos = RANGES
                .iter()
                .position(|&r| r >= cur)
                .unwrap_or(RANGES.len() - 1);
            let next = if action == Action::RangeIn {
                pos.saturating_sub(1)
            } else {
                (pos + 1).min(RANGES.len() - 1)
            };
            if RANGES[next] == cur {
                return Vec::new();
            }
            return set_window(model, |w| crate::prom::poller::Window {
                range: Duration::from_secs(RANGES[next]),
                ..w
            });
        }
        Action::PanBack | Action::PanForward => {
            let half = model.window.range / 2;
            let off = model.window.offset;
            let new = if action == Action::PanBack {
                off + half
            } else {
                off.saturating_sub(half)
            };
            if new == off {
                return Vec::new();
            }
            return set_window(model, |w| crate::prom::poller::Window { offset: new, ..w });
        }
        Action::Acknowledge => return Vec::new(),
    }
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
