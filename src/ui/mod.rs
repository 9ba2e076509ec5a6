//! `render(&Model, &Theme, &mut Frame)`: a pure function of state. One file per screen region.

mod ack;
mod alerts;
mod confirm;
mod find;
mod footer;
mod header;
mod help;
mod history;
mod markdown;
mod output;
mod overlay;
mod pane;
mod panel;
mod query;
mod runbook;
pub mod tabs;
mod text;
pub mod variables;
pub mod width;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::model::{Model, Overlay};
use crate::theme::{Role, Theme};

/// Smallest terminal the dashboard lays out; below it a "too small" message shows.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Draws the whole screen.
pub fn render(model: &Model, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    // The base every widget patches over: cells nothing else styles still take the theme's text.
    frame.buffer_mut().set_style(area, theme.style(Role::Text));
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, theme, frame);
        return;
    }
    let [top, body, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)])
            .areas(area);
    header::render(model, theme, top, frame.buffer_mut());
    footer::render(model, theme, bottom, frame.buffer_mut());
    match model.ui.zoom.and_then(|i| model.panels.get(i).map(|p| (i, p))) {
        Some((i, p)) => panel::render_zoomed(model, theme, i, p, body, frame.buffer_mut()),
        None => dashboard(model, theme, body, frame),
    }
    match &model.ui.overlay {
        Overlay::Help => help::render(theme, area, frame.buffer_mut()),
        Overlay::Ack { key, note, expiry } => {
            let silence = model.pager.silences_enabled() && !model.read_only;
            ack::render(theme, key, note, *expiry, silence, area, frame.buffer_mut())
        }
        Overlay::Confirm(c) => confirm::render(model, theme, c, area, frame.buffer_mut()),
        Overlay::Query { query, of } => {
            query::render(model, theme, (*query, of), area, frame.buffer_mut())
        }
        Overlay::Variables(p) => variables::render(model, theme, p, area, frame.buffer_mut()),
        Overlay::Filter | Overlay::Find | Overlay::None => {}
    }
}

fn dashboard(model: &Model, theme: &Theme, area: Rect, frame: &mut Frame) {
    let lower = (area.height / 3).clamp(6, 16);
    let [grid, lower_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(lower)]).areas(area);
    let tabs = if model.dashboards.is_empty() { Vec::new() } else { model.tabs() };
    let grid = if tabs.len() > 1 && grid.height > 1 {
        let [bar, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(grid);
        tabs::render(&tabs, model.ui.tab.min(tabs.len() - 1), theme, bar, frame.buffer_mut());
        rest
    } else {
        grid
    };
    panel::render_grid(model, theme, grid, frame.buffer_mut());
    let split = if area.width >= 120 { 55 } else { 50 };
    let [list, side] =
        Layout::horizontal([Constraint::Percentage(split), Constraint::Fill(1)]).areas(lower_area);
    alerts::render(model, theme, list, frame.buffer_mut());
    pane::render(model, theme, side, frame.buffer_mut());
}

fn too_small(area: Rect, theme: &Theme, frame: &mut Frame) {
    let msg = format!(
        "Terminal too small: {}×{}. warroom needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge the window or press q to quit.",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(msg).style(theme.style(Role::Warning)).wrap(Wrap { trim: true }),
        area,
    );
}
