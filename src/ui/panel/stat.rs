//! Stat (current value, caption, sparkline) and gauge panels. Values are coloured by the panel's
//! thresholds; NaN and ±Inf show as such, never as 0.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};
use unicode_width::UnicodeWidthStr;

use super::axis;
use super::scale;
use super::view::PanelView;
use crate::theme::Role;
use crate::ui::text;
use crate::ui::text::bar;

/// The value of the first series, big, then a sparkline of its history; more series list below
/// it when there is room.
pub fn render_stat(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let series = &view.data.series;
    let Some(first) = series.first() else { return };
    if series.len() > 1 && area.height > series.len() as u16 {
        return stat_list(view, area, buf);
    }
    let v = first.value();
    // The sparkline takes the lower half at most; the value sits in the middle of the rest with
    // its caption under it when there is a row for one.
    let spark_h = if area.height >= 3 { (area.height / 2).min(6) } else { 0 };
    let [top, spark_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(spark_h)]).areas(area);
    let caption = view.legend(first.labels);
    let with_caption = top.height >= 3 && caption != view.spec.title;
    let lines = if with_caption { 2 } else { 1 };
    let y = top.y + top.height.saturating_sub(lines) / 2;
    let style = view.value_style(v).add_modifier(Modifier::BOLD);
    Line::styled(view.spec.unit.format(v), style)
        .centered()
        .render(Rect { y, height: 1, ..top }, buf);
    if with_caption {
        Line::styled(text::fit(&caption, top.width as usize), view.theme.style(Role::Muted))
            .centered()
            .render(Rect { y: y + 1, height: 1, ..top }, buf);
    }
    if spark_h == 0 {
        return;
    }
    // Zero-based unless the data goes negative, so noise around a level stays small; NaN is a
    // gap, not a zero; the newest point (the live sample, when there is one) is always at the
    // right edge.
    let (lo, hi) = bounds(first.points().map(|p| p.v));
    let width = spark_area.width as usize;
    let data: Vec<Option<u64>> = first
        .points()
        .skip(first.len().saturating_sub(width))
        .map(|p| {
            p.v.is_finite()
                .then(|| (axis::fraction(p.v, lo, hi) * 100.0).round().clamp(0.0, 100.0) as u64)
        })
        .collect();
    let pad = (width - data.len()) as u16;
    let spark_area = Rect { x: spark_area.x + pad, width: spark_area.width - pad, ..spark_area };
    // With thresholds the history takes the colour of the current value: red means now.
    let spark = if view.spec.warning.is_some() || view.spec.critical.is_some() {
        view.value_style(v)
    } else {
        view.dim(view.theme.series(0))
    };
    Sparkline::default()
        .data(data)
        .max(100)
        .style(Style { bg: None, ..spark }.remove_modifier(Modifier::BOLD | Modifier::REVERSED))
        .absent_value_symbol("·")
        .absent_value_style(view.theme.style(Role::NoData))
        .render(spark_area, buf);
}

/// Several series in a stat panel: one `name value` row each.
fn stat_list(view: &PanelView, area: Rect, buf: &mut Buffer) {
    for (i, (s, row)) in view.data.series.iter().zip(area.rows()).enumerate() {
        let v = s.value();
        let value = view.spec.unit.format(v);
        let name_w = (row.width as usize).saturating_sub(value.width() + 3);
        Line::from(vec![
            Span::styled("■ ", view.dim(view.theme.series(i))),
            Span::styled(
                format!("{:<name_w$} ", text::fit(&view.legend(s.labels), name_w)),
                view.dim(view.theme.style(Role::Text)),
            ),
            Span::styled(value, view.value_style(v).add_modifier(Modifier::BOLD)),
        ])
        .render(row, buf);
    }
}

/// A fill bar between the panel's min (default 0) and max (default 100). One series: the value
/// big, the bar, and a scale with the thresholds marked. Several: one row each.
pub fn render_gauge(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let (lo, hi) = (view.spec.min.unwrap_or(0.0), view.spec.max.unwrap_or(100.0));
    let ratio = |v: f64| -> f64 {
        // ±Inf is past either end; NaN (and an empty scale) fills nothing.
        match v {
            v if v.is_nan() || hi <= lo => 0.0,
            v if v.is_infinite() => f64::from(u8::from(v > 0.0)),
            v => axis::fraction(v, lo, hi).clamp(0.0, 1.0),
        }
    };
    let track = view.theme.style(Role::ChartGrid);
    let series = &view.data.series;
    if series.len() == 1 && area.height >= 2 {
        let s = &series[0];
        let v = s.value();
        let rows = area.height.min(3);
        let top = area.y + (area.height - rows) / 2;
        let row = |i: u16| Rect { y: top + i, height: 1, ..area };
        let value = view.spec.unit.format(v);
        Line::styled(value, view.value_style(v).add_modifier(Modifier::BOLD))
            .centered()
            .render(row(0), buf);
        gauge_bar(ratio(v), view.value_style(v), track, row(1), buf);
        if rows >= 3 {
            scale(view, lo, hi, row(2), buf);
        }
        return;
    }
    let name_w = (area.width as usize / 3).min(20);
    for (s, row) in series.iter().zip(area.rows()) {
        let v = s.value();
        let value = format!(" {:>7}", view.spec.unit.format(v));
        let bar_w = (row.width as usize).saturating_sub(name_w + 1 + value.width());
        Line::from(vec![
            Span::styled(
                format!("{:<name_w$} ", text::fit(&view.legend(s.labels), name_w)),
                view.dim(view.theme.style(Role::Text)),
            ),
            Span::styled(" ".repeat(bar_w), track),
            Span::styled(value, view.value_style(v)),
        ])
        .render(row, buf);
        let bar_area = Rect { x: row.x + name_w as u16 + 1, width: bar_w as u16, ..row };
        gauge_bar(ratio(v), view.value_style(v), track, bar_area, buf);
    }
}

/// The filled part in the value's colour (foreground only, so a reversed critical style still
/// reads as a bar), the rest as a muted track.
fn gauge_bar(ratio: f64, fill: Style, track: Style, area: Rect, buf: &mut Buffer) {
    let width = area.width as usize;
    let filled = bar(ratio, width);
    let fill = Style { bg: None, ..fill }.remove_modifier(Modifier::REVERSED);
    buf.set_string(area.x, area.y, "─".repeat(width), track);
    buf.set_string(area.x, area.y, &filled, fill);
}

/// `min ... max` under the bar with `▲` under each threshold, critical placed before warning.
fn scale(view: &PanelView, lo: f64, hi: f64, area: Rect, buf: &mut Buffer) {
    let muted = view.theme.style(Role::Muted);
    let thresholds = [(view.spec.critical, Role::Critical), (view.spec.warning, Role::Warning)];
    for label in scale::labels(&view.spec.unit, (lo, hi), &thresholds, area.width) {
        let style = Style { fg: view.theme.style(label.role).fg, ..muted };
        buf.set_string(area.x + label.x, area.y, label.text, style);
    }
}

/// Zero-based bounds of the finite values, `lo < hi`, for any finite values.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    match hi {
        // Every value is `lo` (≤ 0); at -f64::MAX, 1 above it is still it.
        hi if hi <= lo && lo + 1.0 > lo => (lo, lo + 1.0),
        hi if hi <= lo => (lo, 0.0),
        hi => (lo, hi),
    }
}
