//! Stacked bar, e.g. connections by state: one bar split into a segment per series, then a
//! legend of counts and shares, then the total.
//!
//! ```text
//! ████████████████████▓▓▓▓▓▓▓▓▓▓▓▓▓▒▒▒▒
//! ■ active                  104   54%
//! ■ idle in transaction      70   36%
//! ■ idle                     18    9%
//!   total                   192
//! ```
//!
//! Segments keep their place and colour as values change (ordered by labels, not by size), so
//! the eye can follow one state over time.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::axis;
use super::view::PanelView;
use crate::model::Shown;
use crate::theme::Role;
use crate::ui::text;

/// Glyphs telling segments apart when the theme has no colours (`NO_COLOR`, mono).
const PATTERNS: [&str; 4] = ["█", "▓", "▒", "░"];

pub fn render_bars(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let mut series: Vec<(usize, &Shown)> = view.data.series.iter().enumerate().collect();
    series.sort_by(|a, b| a.1.labels.cmp(b.1.labels));
    let counted = |v: f64| v.is_finite() && v > 0.0;
    let total: f64 = series.iter().map(|(_, s)| s.value()).filter(|v| counted(*v)).sum();
    // Shares of a total past f64::MAX (two series of 1e308) are taken on scaled-down values.
    let scale = axis::span_scale(0.0, total);
    let scaled: f64 =
        series.iter().map(|(_, s)| s.value()).filter(|v| counted(*v)).map(|v| v * scale).sum();
    let share_of = |v: f64| v * scale / scaled;
    let swatch = |k: usize| -> (&'static str, Style) {
        let style = view.dim(view.theme.series(k));
        let glyph = if style.fg.is_none() { PATTERNS[k % PATTERNS.len()] } else { "█" };
        (glyph, style)
    };
    // Two bar rows when the legend still fits under them.
    let bar_rows = if area.height as usize >= series.len() + 3 { 2 } else { 1 };
    let bar_rows = bar_rows.min(area.height);
    if total > 0.0 {
        let width = f64::from(area.width);
        let mut before = 0.0;
        for (k, (_, s)) in series.iter().enumerate() {
            let v = s.value();
            if !counted(v) {
                continue;
            }
            let x0 = area.x + (before / scaled * width).round() as u16;
            before += v * scale;
            let x1 = area.x + (before / scaled * width).round() as u16;
            let (glyph, style) = swatch(k);
            for y in area.y..area.y + bar_rows {
                for x in x0..x1.min(area.right()) {
                    if let Some(cell) = buf.cell_mut((x, y)) {
                        cell.set_symbol(glyph).set_style(style);
                    }
                }
            }
        }
    }
    let mut rows = area.rows().skip(bar_rows as usize);
    let width = area.width as usize;
    let (count_w, pct_w) = (8, 5);
    let name_w = width.saturating_sub(2 + count_w + pct_w);
    let text_style = view.dim(view.theme.style(Role::Text));
    let muted = view.theme.style(Role::Muted);
    let shown = series.len().min(view.spec.top);
    for (k, (_, s)) in series.iter().enumerate().take(shown) {
        let Some(row) = rows.next() else { return };
        let v = s.value();
        let share = if counted(v) && total > 0.0 {
            format!("{:.0}%", share_of(v) * 100.0)
        } else if v == 0.0 {
            "0%".into()
        } else {
            "—".into()
        };
        let (glyph, style) = swatch(k);
        Line::from(vec![
            Span::styled(format!("{glyph} "), style),
            Span::styled(
                format!("{:<name_w$}", text::fit(&view.legend(s.labels), name_w)),
                text_style,
            ),
            Span::styled(format!("{:>count_w$}", view.spec.unit.format(v)), view.value_style(v)),
            Span::styled(format!("{share:>pct_w$}"), muted),
        ])
        .render(row, buf);
    }
    if let Some(row) = rows.next() {
        let more = series.len() - shown;
        let label = if more > 0 { format!("total (+{more} more)") } else { "total".into() };
        Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{:<name_w$}", text::fit(&label, name_w)), muted),
            Span::styled(format!("{:>count_w$}", view.spec.unit.format(total)), text_style),
        ])
        .render(row, buf);
    }
}
