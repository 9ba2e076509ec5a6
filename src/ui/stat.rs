//! Stat (big current value + sparkline) and gauge panels.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Sparkline, Widget};

use super::panel::PanelView;
use super::text;
use crate::theme::Role;

/// The value shown for the first series (stat panels summarise one number; more series list
/// below it when there is room).
pub fn render_stat(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let series = &view.query.series;
    let Some(first) = series.first() else { return };
    let v = first.last().map(|p| p.v).unwrap_or(f64::NAN);
    let value = view.spec.unit.format(v);
    let [value_area, rest] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let style = view.value_style(v).add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(value, style)];
    if series.len() > 1 {
        spans.push(Span::styled(
            format!("  {}", text::fit(&view.legend(first), 20)),
            view.theme.style(Role::Muted),
        ));
    }
    Line::from(spans).centered().render(value_area, buf);
    if rest.height == 0 {
        return;
    }
    if series.len() > 1 && rest.height >= series.len() as u16 {
        for (i, (s, row)) in series.iter().zip(rest.rows()).enumerate().skip(1) {
            let v = s.last().map(|p| p.v).unwrap_or(f64::NAN);
            Line::from(vec![
                Span::styled(
                    text::fit(&view.legend(s), row.width as usize / 2),
                    view.theme.series(i),
                ),
                Span::raw(" "),
                Span::styled(view.spec.unit.format(v), view.value_style(v)),
            ])
            .render(row, buf);
        }
        return;
    }
    let (lo, hi) = bounds(first.points.iter().map(|p| p.v));
    let width = rest.width as usize;
    let data: Vec<u64> = first
        .points
        .iter()
        .skip(first.points.len().saturating_sub(width))
        .map(|p| {
            if p.v.is_finite() {
                ((p.v - lo) / (hi - lo) * 100.0).round().max(0.0) as u64
            } else {
                0
            }
        })
        .collect();
    // Fewer points than columns (a coarse step): widen each bar so the line spans the panel.
    let data: Vec<u64> = if data.is_empty() || data.len() >= width {
        data
    } else {
        (0..width).map(|x| data[x * data.len() / width]).collect()
    };
    Sparkline::default()
        .data(&data)
        .max(100)
        .style(view.dim(view.theme.series(0)))
        .render(rest, buf);
}

/// A fill bar between the panel's min (default 0) and max (default 100).
pub fn render_gauge(view: &PanelView, area: Rect, buf: &mut Buffer) {
    for (s, row) in view.query.series.iter().zip(area.rows()) {
        let v = s.last().map(|p| p.v).unwrap_or(f64::NAN);
        let (lo, hi) = (view.spec.min.unwrap_or(0.0), view.spec.max.unwrap_or(100.0));
        let ratio = if v.is_finite() { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
        let label = if view.query.series.len() > 1 {
            format!("{} {}", text::fit(&view.legend(s), 16), view.spec.unit.format(v))
        } else {
            view.spec.unit.format(v)
        };
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .gauge_style(view.value_style(v))
            .use_unicode(true)
            .render(row, buf);
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || hi <= lo {
        (0.0, lo.abs().max(1.0) * 2.0)
    } else {
        (lo, hi)
    }
}
