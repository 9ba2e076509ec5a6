//! Panels: a panel's frame (title, data status, error line), the grid of panels, and the
//! widgets that draw inside a frame (chart, stat and gauge, table, bars) from a [`PanelView`],
//! with the axes, scales, braille canvas and legends they share.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Widget};

mod axis;
mod bars;
mod braille;
mod chart;
mod grid;
mod legend;
mod scale;
mod stat;
mod table;
mod view;

use grid::Page;
pub use view::PanelView;

use super::text;
use crate::config::PanelKind;
use crate::model::{DataStatus, Focus, Model, Panel, QueryState};
use crate::sanitize;
use crate::theme::{Role, Theme};

/// Lays the visible panels out in a grid, a page of them at a time: the page holding the
/// selected one, with `panels 13–24 of 2000` in the last row when there are more.
pub fn render_grid(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let visible = model.visible_panels();
    if visible.is_empty() {
        let msg = if model.ui.filter.is_empty() {
            "No panels configured."
        } else {
            "No panel matches the filter."
        };
        Line::styled(msg, theme.style(Role::Muted)).render(area, buf);
        return;
    }
    let selected = model.ui.panel.min(visible.len() - 1);
    let page = Page::holding(selected, visible.len(), model.ui.columns(), area.width, area.height);
    let on_page = &visible[page.first..page.first + page.len];
    let spec = |i: usize| &model.panels[on_page[i]].spec;
    // Rows with a line chart get more height: a chart needs rows to show a trend, a number not.
    let row_weight = |r: usize| {
        let row = on_page.iter().skip(r * page.cols).take(page.cols);
        let has_chart = row.into_iter().any(|&i| model.panels[i].spec.kind == PanelKind::Line);
        if has_chart {
            3
        } else {
            2
        }
    };
    let col_weight = |i: usize| spec(i).width.unwrap_or(1).max(1);
    let cells = grid::cells(&page, area, row_weight, col_weight);
    for ((k, &i), cell) in on_page.iter().enumerate().zip(cells) {
        let is_selected = model.ui.focus == Focus::Panels && page.first + k == selected;
        render_one(model, theme, &model.panels[i], is_selected, None, cell, buf);
    }
    if page.paged() {
        Line::styled(format!(" {} ", page.marker()), theme.style(Role::Muted))
            .right_aligned()
            .render(grid::marker_row(area), buf);
    }
}

/// One panel full screen, with the inspection cursor.
pub fn render_zoomed(
    model: &Model,
    theme: &Theme,
    _index: usize,
    panel: &Panel,
    area: Rect,
    buf: &mut Buffer,
) {
    render_one(model, theme, panel, true, Some(model.ui.cursor.unwrap_or(0)), area, buf);
}

fn render_one(
    model: &Model,
    theme: &Theme,
    panel: &Panel,
    selected: bool,
    cursor: Option<usize>,
    area: Rect,
    buf: &mut Buffer,
) {
    let Some(data) = model.panel_data(panel) else {
        return;
    };
    // The badge and the error line speak for the worse of the query and its live twin.
    let q = data.health(model.now);
    let status = q.status(model.now);
    let border = if selected { Role::BorderFocus } else { Role::Border };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(if selected { BorderType::Thick } else { BorderType::Plain })
        .border_style(theme.style(border))
        .title(Line::from(Span::styled(
            format!(" {} ", text::fit(&panel.spec.title, area.width.saturating_sub(4) as usize)),
            theme.style(Role::Title),
        )));
    if let Some(badge) = status_badge(model, q, !data.series.is_empty(), status, theme) {
        block = block.title(badge.right_aligned());
    }
    if let Some(err) = &q.error {
        let msg = format!(" {} ", sanitize::clean(&err.message));
        block = block.title_bottom(Line::styled(
            text::fit(&msg, area.width.saturating_sub(2) as usize),
            theme.style(Role::QueryError),
        ));
    } else if let Some(w) = q.warnings.first() {
        block = block.title_bottom(Line::styled(
            text::fit(
                &format!(" ⚠ {} ", sanitize::clean(w)),
                area.width.saturating_sub(2) as usize,
            ),
            theme.style(Role::Warning),
        ));
    }
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if data.series.is_empty() {
        let (msg, role) = match status {
            DataStatus::Loading => ("loading…", Role::Muted),
            DataStatus::Error => ("no data: query failing", Role::QueryError),
            _ => ("no data", Role::NoData),
        };
        Line::styled(msg, theme.style(role)).centered().render(inner, buf);
        return;
    }
    let stale = matches!(status, DataStatus::Stale | DataStatus::Error);
    let view = PanelView { model, theme, spec: &panel.spec, data, stale, cursor };
    match panel.spec.kind {
        PanelKind::Line => chart::render(&view, inner, buf),
        PanelKind::Stat => stat::render_stat(&view, inner, buf),
        PanelKind::Gauge => stat::render_gauge(&view, inner, buf),
        PanelKind::Table => table::render_table(&view, inner, buf),
        PanelKind::Bars => bars::render_bars(&view, inner, buf),
    }
}

/// The badge of `status`, read from `q` (the panel's query or its live twin, the worse);
/// `has_data` when the panel still draws data.
fn status_badge<'a>(
    model: &Model,
    q: &QueryState,
    has_data: bool,
    status: DataStatus,
    theme: &Theme,
) -> Option<Line<'a>> {
    let since = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| text::clock(t, model.utc_offset)).unwrap_or_else(|| "start".into())
    };
    let (label, role) = match status {
        DataStatus::Ok => return None,
        DataStatus::Loading => ("loading".to_string(), Role::Muted),
        DataStatus::Degraded => ("◐ partial".to_string(), Role::Warning),
        DataStatus::NoData => ("∅ no data".to_string(), Role::NoData),
        DataStatus::Stale => (format!("STALE since {}", since(q.last_ok)), Role::Stale),
        DataStatus::Error => {
            let err = q.error.as_ref()?;
            let stale = if !has_data {
                String::new()
            } else {
                format!(" · stale since {}", since(q.last_ok))
            };
            (format!("✖ {}{stale}", sanitize::clean(&err.class)), Role::QueryError)
        }
    };
    Some(Line::styled(format!(" {label} "), theme.style(role)))
}
