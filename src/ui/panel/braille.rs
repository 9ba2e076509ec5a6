//! A braille plot: one grid of 2×4 dots per terminal cell for a whole chart, every line drawn
//! into it on integer dot coordinates.
//!
//! It draws what ratatui's `Chart` drew with one braille dataset per line, dot for dot: values
//! map to dots with the canvas's arithmetic (rounded, half away from zero), segments are clipped
//! to the plot and rasterised with the same Bresenham walk, and a later layer takes over every
//! cell it paints (its dots replace the cell's, its colour wins), as a later dataset did. The
//! difference is the cost: one grid instead of one per dataset, and no libm call per point.
//!
//! Many points in one dot column need no thinning: segments between them are vertical spans of
//! that column, merged and painted once.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::braille::BRAILLE;

use super::axis::span_scale;

/// Dots a terminal cell holds across and down.
const CELL_W: usize = 2;
const CELL_H: usize = 4;

#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    /// Lit dots, bit `x + 2 * y` for the dot at (x, y) inside the cell (ratatui's order).
    pattern: u8,
    /// The layer that painted it last (1-based; 0: none).
    layer: u32,
}

/// The previous point of the line being drawn.
#[derive(Debug, Clone, Copy)]
struct Pen {
    at: (f64, f64),
    /// Its dot, when it lies on the plot.
    dot: Option<(usize, usize)>,
}

/// The plotted window: `[left, right] × [bottom, top]`.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    left: f64,
    right: f64,
    bottom: f64,
    top: f64,
}

/// A vertical run of dots waiting to be painted: (column, top, bottom).
type Span = (usize, usize, usize);

/// A braille plot of `[left, right] × [bottom, top]` over a grid of terminal cells.
#[derive(Debug)]
pub struct Plot {
    cols: usize,
    rows: usize,
    /// The plotted window, with y scaled by `y_scale`.
    bounds: Bounds,
    /// What y values are multiplied by before they are placed: 1, or less when the span from
    /// bottom to top is too wide to measure in an `f64` (see `axis::span_scale`).
    y_scale: f64,
    /// The last dot across and down (resolution − 1).
    max: (f64, f64),
    cells: Vec<Cell>,
    /// Colour of each layer, in the order they began.
    colors: Vec<Color>,
    pen: Option<Pen>,
    span: Option<Span>,
}

impl Plot {
    /// An empty plot of `cols × rows` cells showing x in `[left, right]` and y in
    /// `[bottom, top]`. Bounds that are not finite, or empty, plot nothing; any finite y bounds
    /// plot, up to ±`f64::MAX`.
    pub fn new(cols: u16, rows: u16, [left, right]: [f64; 2], [bottom, top]: [f64; 2]) -> Plot {
        let (cols, rows) = (usize::from(cols), usize::from(rows));
        let y_scale = span_scale(bottom, top);
        let (bottom, top) = (bottom * y_scale, top * y_scale);
        let (width, height) = (right - left, top - bottom);
        let usable = width > 0.0 && height > 0.0 && width.is_finite() && height.is_finite();
        Plot {
            cols,
            rows,
            bounds: Bounds { left, right, bottom, top },
            y_scale,
            max: ((cols * CELL_W) as f64 - 1.0, (rows * CELL_H) as f64 - 1.0),
            cells: vec![Cell::default(); if usable { cols * rows } else { 0 }],
            colors: Vec::new(),
            pen: None,
            span: None,
        }
    }

    /// Starts a new layer in `color`: what it paints covers what earlier layers painted in the
    /// same cells. Lifts the pen.
    pub fn layer(&mut self, color: Color) {
        self.lift();
        self.colors.push(color);
    }

    /// Ends the current line: the next point starts a new one.
    pub fn lift(&mut self) {
        self.flush();
        self.pen = None;
    }

    /// Draws the current line on to `(x, y)`, or starts a line there (a lone point is a dot).
    /// A value that is not finite breaks the line.
    pub fn line_to(&mut self, x: f64, y: f64) {
        if self.cells.is_empty() || !x.is_finite() || !y.is_finite() {
            self.lift();
            return;
        }
        let at = (x, y * self.y_scale);
        let dot = self.dot(at);
        let ends = match (self.pen, dot) {
            (None, d) => d.map(|d| (d, d)),
            (Some(Pen { dot: Some(a), .. }), Some(b)) => Some((a, b)),
            (Some(p), _) => {
                clip(p.at, at, self.bounds).and_then(|(a, b)| Some((self.dot(a)?, self.dot(b)?)))
            }
        };
        // One call site, inlined: this is the loop over every point of every series.
        if let Some((a, b)) = ends {
            self.segment(a, b);
        }
        self.pen = Some(Pen { at, dot });
    }

    /// Writes the plot into `area` (the size it was made for): each lit cell's braille symbol,
    /// with its layer's colour as foreground; like ratatui's canvas, it resets the background of
    /// every cell of the area.
    pub fn render(mut self, area: Rect, buf: &mut Buffer) {
        self.flush();
        for (r, y) in (area.top()..area.bottom()).enumerate() {
            for (c, x) in (area.left()..area.right()).enumerate() {
                let Some(out) = buf.cell_mut((x, y)) else { continue };
                out.set_bg(Color::Reset);
                let Some(cell) = self.cells.get(r * self.cols + c).filter(|c| c.pattern != 0)
                else {
                    continue;
                };
                out.set_char(BRAILLE[usize::from(cell.pattern)]);
                let layer = (cell.layer as usize).checked_sub(1);
                if let Some(color) = layer.and_then(|l| self.colors.get(l)) {
                    out.set_fg(*color);
                }
            }
        }
    }

    /// The dot a point of the plotted window lands on: the canvas's arithmetic, operation for
    /// operation, so values land on the same dots (and labels beside them, see `axis::Scale`).
    fn dot(&self, (x, y): (f64, f64)) -> Option<(usize, usize)> {
        let b = self.bounds;
        if !(b.left..=b.right).contains(&x) || !(b.bottom..=b.top).contains(&y) {
            return None;
        }
        Some((
            round((x - b.left) * self.max.0 / (b.right - b.left)),
            round((b.top - y) * self.max.1 / (b.top - b.bottom)),
        ))
    }

    /// Paints the dots from `a` to `b` (both on the plot).
    #[inline(always)]
    fn segment(&mut self, a: (usize, usize), b: (usize, usize)) {
        let (dx, dy) = (a.0.abs_diff(b.0), a.1.abs_diff(b.1));
        if dx == 0 {
            return self.span(a.0, a.1.min(b.1), a.1.max(b.1));
        }
        self.flush();
        // Bresenham, walking the longer axis from its lower end, as ratatui's canvas does
        // (which end a line starts from decides some dots).
        let (dx, dy) = (dx as isize, dy as isize);
        if dy < dx {
            let (a, b) = if a.0 > b.0 { (b, a) } else { (a, b) };
            let mut d = 2 * dy - dx;
            let mut y = a.1;
            for x in a.0..=b.0 {
                self.paint(x, y);
                if d > 0 {
                    y = if a.1 > b.1 { y.saturating_sub(1) } else { y + 1 };
                    d -= 2 * dx;
                }
                d += 2 * dy;
            }
        } else {
            let (a, b) = if a.1 > b.1 { (b, a) } else { (a, b) };
            let mut d = 2 * dx - dy;
            let mut x = a.0;
            for y in a.1..=b.1 {
                self.paint(x, y);
                if d > 0 {
                    x = if a.0 > b.0 { x.saturating_sub(1) } else { x + 1 };
                    d -= 2 * dy;
                }
                d += 2 * dx;
            }
        }
    }

    /// Adds the dots `top..=bottom` of column `x`, merged with the pending span when they touch.
    fn span(&mut self, x: usize, top: usize, bottom: usize) {
        match &mut self.span {
            Some((sx, st, sb)) if *sx == x && top <= *sb + 1 && bottom + 1 >= *st => {
                *st = (*st).min(top);
                *sb = (*sb).max(bottom);
            }
            _ => {
                self.flush();
                self.span = Some((x, top, bottom));
            }
        }
    }

    /// Paints the pending span.
    fn flush(&mut self) {
        if let Some((x, top, bottom)) = self.span.take() {
            for y in top..=bottom {
                self.paint(x, y);
            }
        }
    }

    /// Lights one dot in the current layer; a cell last painted by an earlier layer starts over.
    fn paint(&mut self, x: usize, y: usize) {
        if x >= self.cols * CELL_W || y >= self.rows * CELL_H {
            return;
        }
        let layer = self.colors.len() as u32;
        if let Some(cell) = self.cells.get_mut(y / CELL_H * self.cols + x / CELL_W) {
            if cell.layer != layer {
                *cell = Cell { pattern: 0, layer };
            }
            cell.pattern |= 1 << (x % CELL_W + CELL_W * (y % CELL_H));
        }
    }
}

/// `v` (not negative) rounded half away from zero, as `f64::round` does, without its libm call:
/// truncation and the conversions between `f64` and `i64` are single instructions.
fn round(v: f64) -> usize {
    let whole = v as i64;
    (whole + i64::from(v - whole as f64 >= 0.5)) as usize
}

/// The part of the segment `a`–`b` inside the bounds (Cohen–Sutherland, with the arithmetic
/// of the `line_clipping` crate that ratatui's canvas uses, so clipped ends land on the same
/// dots).
fn clip(mut a: (f64, f64), mut b: (f64, f64), w: Bounds) -> Option<((f64, f64), (f64, f64))> {
    // Outside to the left, right, below, above: bits 1, 2, 4, 8.
    let region = |(x, y): (f64, f64)| {
        u8::from(x < w.left)
            | u8::from(x > w.right) << 1
            | u8::from(y < w.bottom) << 2
            | u8::from(y > w.top) << 3
    };
    // Moves `p` along the line towards `q` on to the edge of the first of its regions. Where
    // that arithmetic overflows (ends near ±f64::MAX), the point is found again on halves.
    let edge = |p: (f64, f64), q: (f64, f64), r: u8| {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let moved = match r {
            r if r & 1 != 0 => (w.left, p.1 + (w.left - p.0) * dy / dx),
            r if r & 2 != 0 => (w.right, p.1 + (w.right - p.0) * dy / dx),
            r if r & 4 != 0 => (p.0 + (w.bottom - p.1) * dx / dy, w.bottom),
            _ => (p.0 + (w.top - p.1) * dx / dy, w.top),
        };
        if moved.0.is_finite() && moved.1.is_finite() {
            return moved;
        }
        let along = |a: f64, b: f64, at: f64| (at / 2.0 - a / 2.0) / (b / 2.0 - a / 2.0);
        let between = |a: f64, b: f64, t: f64| 2.0 * (a / 2.0 + t * (b / 2.0 - a / 2.0));
        match r {
            r if r & 3 != 0 => (moved.0, between(p.1, q.1, along(p.0, q.0, moved.0))),
            _ => (between(p.0, q.0, along(p.1, q.1, moved.1)), moved.1),
        }
    };
    let (mut ra, mut rb) = (region(a), region(b));
    // Each end moves at most twice (on to a side, then on to a corner's other side); the bound
    // only guards against float noise bouncing an end between two sides.
    for _ in 0..8 {
        if ra & rb != 0 {
            return None;
        } else if ra != 0 {
            a = edge(a, b, ra);
            ra = region(a);
        } else if rb != 0 {
            b = edge(b, a, rb);
            rb = region(b);
        } else {
            return Some((a, b));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Color;

    use super::Plot;

    /// A 4×2-cell plot (8×8 dots) where x and y in 0..=7 are dot coordinates, y up.
    fn plot() -> Plot {
        Plot::new(4, 2, [0.0, 7.0], [0.0, 7.0])
    }

    fn draw(plot: Plot) -> Buffer {
        let area = Rect::new(0, 0, 4, 2);
        let mut buf = Buffer::empty(area);
        plot.render(area, &mut buf);
        buf
    }

    fn lines(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    }

    #[test]
    fn a_rising_line_lights_one_dot_per_column() {
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.line_to(7.0, 7.0);
        let buf = draw(p);
        assert_eq!(lines(&buf), ["  ⡠⠊", "⡠⠊  "]);
        assert_eq!(buf[(0, 1)].fg, Color::Red);
        assert_eq!(buf[(2, 1)].fg, Color::Reset, "an empty cell keeps its colour");
    }

    #[test]
    fn a_shallow_line_steps_like_the_canvas() {
        // From dot (0, 7) to (7, 4), y down: a step up every other column.
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.line_to(7.0, 3.0);
        assert_eq!(lines(&draw(p)), ["    ", "⣀⠤⠒⠉"]);
    }

    #[test]
    fn points_in_one_column_make_a_vertical_span_and_keep_a_spike() {
        let mut p = plot();
        p.layer(Color::Red);
        for (x, y) in [(0.0, 0.0), (2.0, 0.0), (2.1, 7.0), (2.2, 0.0), (2.3, 1.0), (4.0, 1.0)] {
            p.line_to(x, y);
        }
        // Dot column 2 is lit top to bottom; the line carries on from the last point (y = 1).
        assert_eq!(lines(&draw(p)), [" ⡇  ", "⣀⡧⠄ "]);
    }

    #[test]
    fn lines_are_clipped_at_the_plot_edge() {
        // y from 0 to 14 leaves through the top at x = 3.5: the line ends on the top row, and
        // the segment beyond the plot draws nothing.
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.line_to(7.0, 14.0);
        p.line_to(7.0, 20.0);
        let buf = draw(p);
        assert_eq!(lines(&buf), [" ⡰⠁ ", "⡰⠁  "]);
        // Wholly outside: nothing.
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 9.0);
        p.line_to(7.0, 1e300);
        assert_eq!(lines(&draw(p)), ["    ", "    "]);
    }

    #[test]
    fn a_later_layer_takes_over_the_cells_it_paints() {
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.line_to(7.0, 0.0);
        p.layer(Color::Blue);
        p.line_to(0.0, 1.0);
        p.line_to(2.0, 1.0);
        let buf = draw(p);
        // Cells 0 and 1 hold the blue dots only; the red line shows on in cells 2 and 3.
        assert_eq!(lines(&buf)[1], "⠤⠄⣀⣀");
        let fg: Vec<Color> = (0..4).map(|x| buf[(x, 1)].fg).collect();
        assert_eq!(fg, [Color::Blue, Color::Blue, Color::Red, Color::Red]);
    }

    #[test]
    fn nan_and_lift_break_the_line() {
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.line_to(1.0, 0.0);
        p.line_to(3.0, f64::NAN);
        p.line_to(6.0, 0.0);
        p.line_to(7.0, 0.0);
        assert_eq!(lines(&draw(p))[1], "⣀  ⣀");
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.lift();
        p.line_to(7.0, 7.0);
        assert_eq!(lines(&draw(p)), ["   ⠈", "⡀   "]);
    }

    #[test]
    fn values_round_half_away_from_zero_like_the_canvas() {
        assert_eq!(super::round(0.0), 0);
        assert_eq!(super::round(2.4999), 2);
        assert_eq!(super::round(2.5), 3);
        assert_eq!(super::round(3.5), 4);
        for i in 0..1000 {
            let v = f64::from(i) * 0.0137;
            assert_eq!(super::round(v), v.round() as usize, "{v}");
        }
    }

    /// Random lines, some leaving the plot, several layers: the same cells as ratatui's `Chart`
    /// with one braille dataset per line.
    #[test]
    fn draws_what_ratatuis_chart_draws() {
        use ratatui::symbols::Marker;
        use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};
        let mut rng = fastrand::Rng::with_seed(7);
        let colors = [Color::Red, Color::Green, Color::Blue, Color::Yellow];
        for case in 0..300 {
            let (cols, rows) = (rng.u16(1..40), rng.u16(1..12));
            let range = rng.f64() * 1000.0 + 1.0;
            let (lo, hi) = (rng.f64() * 10.0 - 5.0, rng.f64() * 100.0 + 5.0);
            let lines: Vec<Vec<(f64, f64)>> = (0..rng.usize(1..5))
                .map(|_| {
                    let mut x = -range;
                    let mut points = Vec::new();
                    for _ in 0..rng.usize(1..60) {
                        x = (x + rng.f64() * range / 20.0).min(0.0);
                        let y = lo - 20.0 + rng.f64() * (hi - lo + 40.0);
                        points.push((x, y));
                    }
                    points
                })
                .collect();
            let area = Rect::new(0, 0, cols, rows);
            let mut theirs = Buffer::empty(area);
            let datasets = lines.iter().zip(colors.iter().cycle()).map(|(l, c)| {
                Dataset::default()
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(*c)
                    .data(l)
            });
            Chart::new(datasets.collect())
                .x_axis(Axis::default().bounds([-range, 0.0]))
                .y_axis(Axis::default().bounds([lo, hi]))
                .legend_position(None)
                .render(area, &mut theirs);
            let mut ours = Plot::new(cols, rows, [-range, 0.0], [lo, hi]);
            for (l, c) in lines.iter().zip(colors.iter().cycle()) {
                ours.layer(*c);
                for (x, y) in l {
                    ours.line_to(*x, *y);
                }
            }
            let mut buf = Buffer::empty(area);
            ours.render(area, &mut buf);
            assert_eq!(buf, theirs, "case {case}: {lines:?}");
        }
    }

    #[test]
    fn empty_bounds_plot_nothing() {
        let mut p = Plot::new(4, 2, [0.0, 0.0], [0.0, 7.0]);
        p.layer(Color::Red);
        p.line_to(0.0, 0.0);
        p.line_to(0.0, 7.0);
        assert_eq!(lines(&draw(p)), ["    ", "    "]);
    }

    #[test]
    fn bounds_up_to_the_largest_f64_plot() {
        // From the bottom left to the top right, the top of the range to its bottom.
        let mut p = Plot::new(4, 2, [0.0, 7.0], [-f64::MAX, f64::MAX]);
        p.layer(Color::Red);
        p.line_to(0.0, -f64::MAX);
        p.line_to(7.0, f64::MAX);
        assert_eq!(lines(&draw(p)), ["  ⡠⠊", "⡠⠊  "]);
        // Ordinary values beside 1e308 lie flat at the bottom, the spike reaches the top.
        let mut p = Plot::new(4, 2, [0.0, 7.0], [0.0, 1e308]);
        p.layer(Color::Red);
        for (x, y) in [(0.0, 1.0), (3.0, 2.0), (4.0, 1e308), (7.0, 5e-324)] {
            p.line_to(x, y);
        }
        assert_eq!(lines(&draw(p)), ["  ⣧ ", "⣀⣸ ⢣"]);
    }

    #[test]
    fn segments_to_far_outside_values_are_clipped_not_lost() {
        // Ordinary bounds, a line through ±1e308 and ±f64::MAX: the steep parts inside show.
        let mut p = plot();
        p.layer(Color::Red);
        for (x, y) in [(0.0, 3.0), (2.0, f64::MAX), (3.5, -f64::MAX), (5.0, 1e308), (7.0, 3.0)] {
            p.line_to(x, y);
        }
        let text = lines(&draw(p)).concat();
        assert!(text.chars().filter(|c| *c != ' ').count() >= 4, "{text:?}");
        // A segment wholly above the plot draws nothing, and no overflow reaches a dot.
        let mut p = plot();
        p.layer(Color::Red);
        p.line_to(0.0, f64::MAX);
        p.line_to(7.0, 1e308);
        assert_eq!(lines(&draw(p)), ["    ", "    "]);
    }
}
