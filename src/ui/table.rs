//! Top-N table (series sorted by value) and the stacked bar (e.g. connections by state).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::panel::PanelView;
use super::text;
use crate::model::SeriesBuf;
use crate::theme::Role;

fn latest(s: &SeriesBuf) -> f64 {
    s.last().map(|p| p.v).unwrap_or(f64::NAN)
}

/// Series sorted by value, largest first; NaN last.
fn sorted<'a>(view: &PanelView<'a>) -> Vec<(usize, &'a SeriesBuf)> {
    let mut rows: Vec<(usize, &SeriesBuf)> = view.query.series.iter().enumerate().collect();
    rows.sort_by(|a, b| {
        let (x, y) = (latest(a.1), latest(b.1));
        y.partial_cmp(&x)
            .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()))
    });
    rows
}

pub fn render_table(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let rows = sorted(view);
    let value_w = 9usize;
    let name_w = (area.width as usize).saturating_sub(value_w + 1);
    for ((_, s), row) in rows.iter().take(view.spec.top).zip(area.rows()) {
        let v = latest(s);
        Line::from(vec![
            Span::styled(
                format!("{:<name_w$}", text::fit(&view.legend(s), name_w)),
                view.dim(view.theme.style(Role::Text)),
            ),
            Span::raw(" "),
            Span::styled(
                format!("{:>value_w$}", view.spec.unit.format(v)),
                view.value_style(v),
            ),
        ])
        .render(row, buf);
    }
}

/// One horizontal bar split into segments per series, with a legend of counts below.
pub fn render_bars(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let rows = sorted(view);
    let total: f64 = rows
        .iter()
        .map(|(_, s)| latest(s))
        .filter(|v| v.is_finite() && *v > 0.0)
        .sum();
    let mut rows_iter = area.rows();
    if let (Some(bar), true) = (rows_iter.next(), total > 0.0) {
        let width = bar.width as f64;
        let mut x = bar.x;
        for (i, s) in &rows {
            let v = latest(s);
            if !v.is_finite() || v <= 0.0 {
                continue;
            }
            let cells = ((v / total) * width).round() as u16;
            let cells = cells.min(bar.right().saturating_sub(x));
            let style = view.dim(view.theme.series(*i));
            for cx in x..x + cells {
                if let Some(cell) = buf.cell_mut((cx, bar.y)) {
                    cell.set_symbol("█").set_style(style);
                }
            }
            x += cells;
        }
    }
    let mut legend = rows_iter;
    for (i, s) in rows.iter().take(view.spec.top) {
        let Some(row) = legend.next() else { break };
        let v = latest(s);
        Line::from(vec![
            Span::styled("■ ", view.dim(view.theme.series(*i))),
            Span::styled(
                text::fit(&view.legend(s), (row.width as usize).saturating_sub(12)),
                view.theme.style(Role::Text),
            ),
            Span::raw(" "),
            Span::styled(view.spec.unit.format(v), view.value_style(v)),
        ])
        .render(row, buf);
    }
}
