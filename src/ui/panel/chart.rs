//! Line chart: braille series over the time window, a value axis with units (max, middle, min),
//! warning and critical threshold lines, a legend with current values that fits or hides, and
//! the value-inspection cursor when zoomed. On the live window the newest point of each series
//! is the live twin's sample, drawn at the right edge and named in the legend.
//!
//! ```text
//! 100%┤┅┅┅┅┅┅┅┅┅┅┅┅┅┅┅┅┅┅┅┅⡠⠔⠊⠉⠉
//!     │              ⢀⠤⠒⠁
//!  50%┤⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⡠⠔⠊⠁
//!     │
//!   0%┤
//! ■ pg-main-1 100%  ■ pg-replica-1 38.2%
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::axis::{self, Scale};
use super::braille::Plot;
use super::legend::{self, Entry};
use super::view::PanelView;
use crate::model::Shown;
use crate::prom::Point;
use crate::theme::{Role, Theme};
use crate::ui::text;

/// Fewest plot rows worth giving up a row for the legend.
const LEGEND_MIN_PLOT: u16 = 3;
/// Fewest plot rows worth giving up a row for the time labels.
const TIME_MIN_PLOT: u16 = 6;
/// Narrowest plot that still gets a value axis.
const AXIS_MIN_WIDTH: u16 = 16;

pub fn render(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let model = view.model;
    let step = view.data.query.step.as_secs_f64().max(1.0);
    // The window ends on the step grid, as range fetches do: between two steps the chart draws
    // the same cells, so a clock tick sends nothing for it over the link.
    let now = model.now.timestamp_millis() as f64 / 1000.0 - model.window.offset.as_secs_f64();
    let end = (now / step).floor() * step;
    let range = model.window.range.as_secs_f64();
    let window = Window { end, range, gap: step * 2.5 };
    let mut data_range: Option<(f64, f64)> = None;
    for v in view.data.series.iter().flat_map(|s| window.values(s)) {
        let (lo, hi) = data_range.get_or_insert((v, v));
        // Finite values: plain comparisons, without `f64::min`'s NaN handling.
        if v < *lo {
            *lo = v;
        } else if v > *hi {
            *hi = v;
        }
    }
    let (lo, hi) = axis::bounds(data_range, view.spec.min, view.spec.max);

    let layout = Layout::new(view, area, lo, hi);
    let scale = Scale { lo, hi, rows: layout.plot.height };
    let plot = layout.plot;
    let mut canvas = Plot::new(plot.width, plot.height, [-range, 0.0], [lo, hi]);
    let marker = view.theme.style(Role::Marker).fg.unwrap_or(Color::Reset);
    // A vertical mark where each runbook action started, this warroom's or another's (as
    // announced), so the effect can be read off the chart.
    canvas.layer(marker);
    let starts = model.runs.list.iter().filter(|r| !r.dry_run && r.refused.is_none());
    let others = model.pager.team.iter().flat_map(|t| t.others.iter()).map(|an| an.since);
    let times = starts.map(|r| r.started).chain(others);
    for x in times.map(|t| t.timestamp_millis() as f64 / 1000.0 - end) {
        if (-range..=0.0).contains(&x) {
            vertical(&mut canvas, x, lo, hi);
        }
    }
    if let Some(x) = view.cursor.and_then(|steps| cursor_time(view, steps).map(|t| window.x(t))) {
        canvas.layer(marker);
        vertical(&mut canvas, x, lo, hi);
    }
    for (i, series) in view.data.series.iter().enumerate() {
        canvas.layer(view.dim(view.theme.series(i)).fg.unwrap_or(Color::Reset));
        window.draw(series, &mut canvas);
    }
    canvas.render(plot, buf);
    thresholds(view, &scale, layout.plot, buf);
    if let Some(gutter) = layout.gutter {
        value_axis(view, &scale, gutter, buf);
    }
    if let Some(row) = layout.time {
        time_labels(view, end, row, buf);
    }
    if let Some(row) = layout.legend {
        legend_line(view, row, buf);
    }
    if let (Some(row), Some(steps)) = (layout.cursor, view.cursor) {
        cursor_info(view, steps, row, buf);
    }
}

/// Where each part of the chart goes inside the panel.
struct Layout {
    cursor: Option<Rect>,
    gutter: Option<Rect>,
    plot: Rect,
    time: Option<Rect>,
    legend: Option<Rect>,
}

impl Layout {
    fn new(view: &PanelView, area: Rect, lo: f64, hi: f64) -> Layout {
        let mut rest = area;
        let take_top = |rest: &mut Rect| {
            let row = Rect { height: 1, ..*rest };
            *rest = Rect { y: rest.y + 1, height: rest.height - 1, ..*rest };
            row
        };
        let cursor = (view.cursor.is_some() && rest.height >= 4).then(|| take_top(&mut rest));
        let take_bottom = |rest: &mut Rect| {
            let row = Rect { y: rest.bottom() - 1, height: 1, ..*rest };
            rest.height -= 1;
            row
        };
        let legend = (rest.height > LEGEND_MIN_PLOT).then(|| take_bottom(&mut rest));
        let time = (rest.height > TIME_MIN_PLOT).then(|| take_bottom(&mut rest));
        let labels = Scale { lo, hi, rows: rest.height }.ticks();
        let label_w = labels.iter().map(|v| view.spec.unit.format(*v).width()).max().unwrap_or(0);
        let gutter_w = label_w as u16 + 1;
        let gutter = (rest.width >= AXIS_MIN_WIDTH + gutter_w && rest.height > 0)
            .then_some(Rect { width: gutter_w, ..rest });
        let plot = match gutter {
            Some(g) => Rect { x: rest.x + g.width, width: rest.width - g.width, ..rest },
            None => rest,
        };
        let time = time.map(|t| Rect { x: plot.x, width: plot.width, ..t });
        Layout { cursor, gutter, plot, time, legend }
    }
}

/// The time window a chart shows, in seconds: x is time relative to `end`, from `-range` to 0.
struct Window {
    end: f64,
    range: f64,
    /// A longer silence between two points breaks the line.
    gap: f64,
}

impl Window {
    /// Where time `t` of a point shown is drawn. The window ends on the step grid, so the live
    /// sample, taken since the last step, goes at the right edge: the chart still moves one
    /// step at a time, its newest point every refresh.
    fn x(&self, t: f64) -> f64 {
        (t - self.end).min(0.0)
    }

    /// The finite values of a series inside the window.
    fn values<'a>(&self, s: &Shown<'a>) -> impl Iterator<Item = f64> + 'a {
        let (end, range) = (self.end, self.range);
        let held = s.held().filter(move |p| (-range..=0.0).contains(&(p.t - end)));
        let live = s.live.filter(|p| p.t - end >= -range);
        held.copied().chain(live).map(|p| p.v).filter(|v| v.is_finite())
    }

    /// Draws a series as lines through its points inside the window: a gap or NaN breaks the
    /// line rather than drawing a straight segment that was never measured.
    fn draw(&self, s: &Shown, canvas: &mut Plot) {
        let mut prev: Option<f64> = None;
        let mut point = |x: f64, p: &Point, canvas: &mut Plot| {
            if !p.v.is_finite() || prev.is_some_and(|t| p.t - t > self.gap) {
                canvas.lift();
            }
            prev = p.v.is_finite().then_some(p.t);
            canvas.line_to(x, p.v);
        };
        for p in s.held() {
            let x = p.t - self.end;
            if (-self.range..=0.0).contains(&x) {
                point(x, p, canvas);
            }
        }
        if let Some(p) = s.live.filter(|p| p.t - self.end >= -self.range) {
            point(self.x(p.t), &p, canvas);
        }
    }
}

/// A line across the whole value range at `x`.
fn vertical(canvas: &mut Plot, x: f64, lo: f64, hi: f64) {
    canvas.lift();
    canvas.line_to(x, lo);
    canvas.line_to(x, hi);
}

/// The style of a threshold line: the colour of its severity, the rest from the threshold role,
/// never a background (a reversed critical would paint a bar across the chart).
fn threshold_style(theme: &Theme, severity: Role) -> Style {
    let base = theme.style(Role::Threshold);
    let fg = theme.style(severity).fg.or(base.fg);
    Style { fg, bg: None, ..base }
}

/// Warning (`┄`) and critical (`┅`) lines across the empty cells of their rows: the data stays on
/// top, and the two read apart without colour.
fn thresholds(view: &PanelView, scale: &Scale, plot: Rect, buf: &mut Buffer) {
    for (t, role, glyph) in
        [(view.spec.warning, Role::Warning, "┄"), (view.spec.critical, Role::Critical, "┅")]
    {
        let Some(row) = t.and_then(|t| scale.row(t)) else { continue };
        let style = threshold_style(view.theme, role);
        for x in plot.left()..plot.right() {
            if let Some(cell) = buf.cell_mut((x, plot.y + row)) {
                if cell.symbol() == " " || cell.symbol() == "┄" {
                    cell.set_symbol(glyph).set_style(style);
                }
            }
        }
    }
}

/// Tick labels right-aligned in the gutter, each on the row its value is drawn on, with `┤` on
/// the axis; threshold values take a row of their own when it is free.
fn value_axis(view: &PanelView, scale: &Scale, gutter: Rect, buf: &mut Buffer) {
    let axis_x = gutter.right() - 1;
    let label_w = gutter.width.saturating_sub(1) as usize;
    let grid = view.theme.style(Role::ChartGrid);
    for y in gutter.top()..gutter.bottom() {
        if let Some(cell) = buf.cell_mut((axis_x, y)) {
            cell.set_symbol("│").set_style(grid);
        }
    }
    let mut used = Vec::new();
    let mut label = |v: f64, style: Style, tick: &str, buf: &mut Buffer| {
        let Some(row) = scale.row(v) else { return };
        if used.contains(&row) {
            return;
        }
        used.push(row);
        let y = gutter.y + row;
        let text = format!("{:>label_w$}", view.spec.unit.format(v));
        if text.width() <= label_w {
            buf.set_string(gutter.x, y, text, style);
        }
        if let Some(cell) = buf.cell_mut((axis_x, y)) {
            cell.set_symbol(tick).set_style(grid);
        }
    };
    let muted = view.theme.style(Role::Muted);
    let ticks = scale.ticks();
    // The ends first (they frame the scale), then thresholds, then the middle.
    for v in ticks.iter().filter(|v| **v == scale.hi || **v == scale.lo) {
        label(*v, muted, "┤", buf);
    }
    for (t, role) in [(view.spec.critical, Role::Critical), (view.spec.warning, Role::Warning)] {
        if let Some(t) = t {
            label(t, threshold_style(view.theme, role), "┼", buf);
        }
    }
    for v in ticks.iter().filter(|v| **v != scale.hi && **v != scale.lo) {
        label(*v, muted, "┤", buf);
    }
}

/// The window's ends under the plot: `-5m … now`, or clock times when panned into the past.
fn time_labels(view: &PanelView, end: f64, row: Rect, buf: &mut Buffer) {
    let model = view.model;
    let (left, right) = if model.window.offset.is_zero() {
        (format!("-{}", crate::duration::format(model.window.range)), "now".to_string())
    } else {
        let clock = |t: f64| {
            chrono::DateTime::from_timestamp_millis((t * 1000.0) as i64)
                .map(|d| text::clock(d, model.utc_offset))
                .unwrap_or_default()
        };
        (clock(end - model.window.range.as_secs_f64()), clock(end))
    };
    let muted = view.theme.style(Role::Muted);
    if left.width() + right.width() + 1 > row.width as usize {
        return;
    }
    buf.set_string(row.x, row.y, &left, muted);
    buf.set_string(row.right() - right.width() as u16, row.y, &right, muted);
}

/// `■ name value` for every series, values as of the newest point (the live sample).
fn legend_line(view: &PanelView, row: Rect, buf: &mut Buffer) {
    let entries: Vec<Entry> = view
        .data
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = s.value();
            Entry {
                swatch: view.dim(view.theme.series(i)),
                name: view.legend(s.labels),
                value: view.spec.unit.format(v),
                value_style: view.value_style(v),
            }
        })
        .collect();
    let text = view.dim(view.theme.style(Role::Text));
    legend::line(&entries, row.width as usize, text, view.theme.style(Role::Muted))
        .render(row, buf);
}

/// Time of the point `steps` back from the newest (the live sample first), on the longest
/// series; the oldest point when there are fewer.
fn cursor_time(view: &PanelView, steps: usize) -> Option<f64> {
    let longest = view.data.series.iter().max_by_key(|s| s.len())?;
    let n = longest.len();
    longest.points().rev().nth(steps.min(n.checked_sub(1)?)).map(|p| p.t)
}

fn cursor_info(view: &PanelView, steps: usize, area: Rect, buf: &mut Buffer) {
    let Some(t) = cursor_time(view, steps) else {
        return;
    };
    let when = chrono::DateTime::from_timestamp_millis((t * 1000.0) as i64)
        .map(|d| text::clock(d, view.model.utc_offset))
        .unwrap_or_default();
    let mut spans = vec![Span::styled(format!("▸ {when}  "), view.theme.style(Role::Marker))];
    for (i, s) in view.data.series.iter().enumerate() {
        let v = s.points().find(|p| (p.t - t).abs() < 1e-6).map(|p| p.v);
        let shown = v.map(|v| view.spec.unit.format(v)).unwrap_or_else(|| "—".into());
        spans.push(Span::styled(
            format!("{} ", text::fit(&view.legend(s.labels), 16)),
            view.theme.series(i),
        ));
        spans.push(Span::styled(
            format!("{shown}  "),
            v.map(|v| view.value_style(v)).unwrap_or(view.theme.style(Role::NoData)),
        ));
    }
    Line::from(spans).render(area, buf);
}
