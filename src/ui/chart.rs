//! Line chart: braille series over the time window, axes with units, threshold lines, legend,
//! and the value-inspection cursor when zoomed.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, LegendPosition, Widget};

use super::panel::PanelView;
use super::text;
use crate::theme::Role;

pub fn render(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let model = view.model;
    let end = model.now.timestamp_millis() as f64 / 1000.0 - model.window.offset.as_secs_f64();
    let range = model.window.range.as_secs_f64();
    // Braille gives two dots per cell; the plot is narrower than `area` (axis labels), so each
    // bucket is at most one dot column wide.
    let bucket = range / f64::from(area.width.max(1)) / 2.0;
    let series: Vec<Vec<(f64, f64)>> = view
        .query
        .series
        .iter()
        .map(|s| {
            let shown = s
                .points
                .iter()
                .filter(|p| p.v.is_finite())
                .map(|p| (p.t - end, p.v))
                .filter(|(x, _)| *x >= -range && *x <= 0.0);
            min_max(shown, -range, bucket)
        })
        .collect();
    let (lo, hi) = y_bounds(view, &series);
    let thresholds: Vec<(Vec<(f64, f64)>, Role)> =
        [(view.spec.warning, Role::Warning), (view.spec.critical, Role::Critical)]
            .into_iter()
            .filter_map(|(t, role)| {
                t.filter(|t| *t >= lo && *t <= hi).map(|t| (vec![(-range, t), (0.0, t)], role))
            })
            .collect();
    let cursor_x = view.cursor.and_then(|steps| cursor_time(view, steps).map(|t| t - end));
    let cursor_line: Vec<(f64, f64)> = cursor_x.map(|x| vec![(x, lo), (x, hi)]).unwrap_or_default();

    let mut datasets = Vec::new();
    for (data, role) in &thresholds {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(view.theme.style(*role))
                .data(data),
        );
    }
    if !cursor_line.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(view.theme.style(Role::Marker))
                .data(&cursor_line),
        );
    }
    for (i, (s, data)) in view.query.series.iter().zip(&series).enumerate() {
        let name = text::fit(&view.legend(s), 24);
        datasets.push(
            Dataset::default()
                .name(name)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(view.dim(view.theme.series(i)))
                .data(data),
        );
    }
    let muted = view.theme.style(Role::Muted);
    let unit = &view.spec.unit;
    let x_labels = vec![
        Span::styled(format!("-{}", crate::duration::format(model.window.range)), muted),
        Span::styled("now", muted),
    ];
    let y_labels = vec![Span::styled(unit.format(lo), muted), Span::styled(unit.format(hi), muted)];
    let (chart_area, info_area) = split_cursor_line(view, area);
    Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([-range, 0.0])
                .labels(x_labels)
                .style(view.theme.style(Role::ChartGrid)),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels(y_labels)
                .style(view.theme.style(Role::ChartGrid)),
        )
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Percentage(60), Constraint::Percentage(60)))
        .render(chart_area, buf);
    if let (Some(info), Some(steps)) = (info_area, view.cursor) {
        cursor_info(view, steps, info, buf);
    }
}

fn split_cursor_line(view: &PanelView, area: Rect) -> (Rect, Option<Rect>) {
    if view.cursor.is_none() || area.height < 4 {
        return (area, None);
    }
    let info = Rect { height: 1, ..area };
    let chart = Rect { y: area.y + 1, height: area.height - 1, ..area };
    (chart, Some(info))
}

/// Time of the point `steps` back from the newest, on the longest series.
fn cursor_time(view: &PanelView, steps: usize) -> Option<f64> {
    let longest = view.query.series.iter().max_by_key(|s| s.points.len())?;
    let n = longest.points.len();
    longest.points.get(n.checked_sub(1 + steps.min(n.saturating_sub(1)))?).map(|p| p.t)
}

fn cursor_info(view: &PanelView, steps: usize, area: Rect, buf: &mut Buffer) {
    let Some(t) = cursor_time(view, steps) else {
        return;
    };
    let when = chrono::DateTime::from_timestamp_millis((t * 1000.0) as i64)
        .map(|d| text::clock(d, view.model.utc_offset))
        .unwrap_or_default();
    let mut spans = vec![Span::styled(format!("▸ {when}  "), view.theme.style(Role::Marker))];
    for (i, s) in view.query.series.iter().enumerate() {
        let v = s.points.iter().find(|p| (p.t - t).abs() < 1e-6).map(|p| p.v);
        let shown = v.map(|v| view.spec.unit.format(v)).unwrap_or_else(|| "—".into());
        spans.push(Span::styled(
            format!("{} ", text::fit(&view.legend(s), 16)),
            view.theme.series(i),
        ));
        spans.push(Span::styled(format!("{shown}  "), view.theme.style(Role::Text)));
    }
    Line::from(spans).render(area, buf);
}

fn y_bounds(view: &PanelView, series: &[Vec<(f64, f64)>]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, v) in series.iter().flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let lo = view.spec.min.unwrap_or(if lo >= 0.0 { 0.0 } else { lo });
    let mut hi = view.spec.max.unwrap_or(hi * 1.1);
    if hi <= lo {
        hi = lo + 1.0;
    }
    (lo, hi)
}

/// A point of a chart: seconds relative to the window's end, value.
type Point = (f64, f64);

/// Thins a series (points in time order) to at most its lowest and highest point in each
/// `bucket`-wide slice of x from `left`, in time order. With buckets no wider than a dot
/// column the line covers the same dots, spikes included, while the canvas draws a handful of
/// segments per column instead of every point of a long window.
fn min_max(points: impl Iterator<Item = Point>, left: f64, bucket: f64) -> Vec<Point> {
    let (lower, upper) = points.size_hint();
    let mut out = Vec::with_capacity(upper.unwrap_or(lower));
    if bucket.is_nan() || bucket <= 0.0 {
        out.extend(points);
        return out;
    }
    let flush = |out: &mut Vec<Point>, lo: Point, hi: Point| {
        if lo == hi {
            out.push(lo);
        } else if lo.0 <= hi.0 {
            out.extend([lo, hi]);
        } else {
            out.extend([hi, lo]);
        }
    };
    // The bucket being filled: its index, lowest and highest point.
    let mut current: Option<(i64, Point, Point)> = None;
    for p in points {
        // Points lie right of `left`: truncation is floor here, without a libm call per point.
        let index = ((p.0 - left) / bucket) as i64;
        match &mut current {
            Some((i, lo, hi)) if *i == index => {
                if p.1 < lo.1 {
                    *lo = p;
                }
                if p.1 > hi.1 {
                    *hi = p;
                }
            }
            _ => {
                if let Some((_, lo, hi)) = current {
                    flush(&mut out, lo, hi);
                }
                current = Some((index, p, p));
            }
        }
    }
    if let Some((_, lo, hi)) = current {
        flush(&mut out, lo, hi);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::min_max;

    #[test]
    fn sparse_points_pass_unchanged() {
        let points = vec![(-10.0, 1.0), (-7.0, 5.0), (-2.0, 3.0)];
        assert_eq!(min_max(points.iter().copied(), -10.0, 1.0), points);
    }

    #[test]
    fn dense_points_keep_each_buckets_extremes_in_time_order() {
        // Two buckets of width 1: [-4, -3) and [-3, -2).
        let points =
            [(-4.0, 2.0), (-3.75, 9.0), (-3.5, 1.0), (-3.25, 4.0), (-3.0, 5.0), (-2.5, 5.0)];
        assert_eq!(
            min_max(points.iter().copied(), -4.0, 1.0),
            vec![(-3.75, 9.0), (-3.5, 1.0), (-3.0, 5.0)]
        );
    }

    #[test]
    fn a_spike_survives() {
        let points: Vec<(f64, f64)> =
            (0..100).map(|i| (f64::from(i) / 100.0, if i == 37 { 100.0 } else { 1.0 })).collect();
        let thinned = min_max(points.iter().copied(), 0.0, 0.5);
        assert!(thinned.iter().any(|p| p.1 == 100.0), "{thinned:?}");
        assert!(thinned.len() <= 4);
    }
}
