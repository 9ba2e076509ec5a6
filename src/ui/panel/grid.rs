//! The dashboard grid, computed directly: which panels one screen holds (a page) and where each
//! goes. No constraint solver: a frame costs the same whatever the panel count, and a screen
//! never holds more panels than fit at [`MIN_PANEL_HEIGHT`] × [`MIN_PANEL_WIDTH`].

use ratatui::layout::Rect;

/// Rows a page gives each row of panels on average; past that the grid pages. Rows share the
/// height by weight (3 with a chart, 2 without), so a row without a chart among rows with one
/// may get less, but never under 4.
pub const MIN_PANEL_HEIGHT: u16 = 6;
/// Smallest width a grid panel gets; past that a row holds fewer panels.
pub const MIN_PANEL_WIDTH: u16 = 20;

/// The panels one screen holds: the page holding the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Index (into the visible panels) of the page's first panel.
    pub first: usize,
    /// Panels on this page (the last page may hold fewer than a full one).
    pub len: usize,
    /// Row slots of a full page; the rows drawn are the first `len.div_ceil(cols)`.
    pub rows: usize,
    /// Panels in a row.
    pub cols: usize,
    /// Visible panels on all pages.
    pub total: usize,
}

impl Page {
    /// The page of `total` panels in rows of `cols` (at most as many as fit across `area`)
    /// holding panel `selected`, in an area `height` rows tall. When not every panel fits,
    /// the last row of the area is left for [`Page::marker`].
    pub fn holding(selected: usize, total: usize, cols: usize, width: u16, height: u16) -> Page {
        let cols = cols.clamp(1, usize::from((width / MIN_PANEL_WIDTH).max(1)));
        let rows_total = total.div_ceil(cols);
        let rows_fit = usize::from((height / MIN_PANEL_HEIGHT).max(1));
        let rows = if rows_total <= rows_fit {
            rows_total.max(1)
        } else {
            usize::from((height.saturating_sub(1) / MIN_PANEL_HEIGHT).max(1))
        };
        let per_page = rows * cols;
        let first = selected.min(total.saturating_sub(1)) / per_page * per_page;
        let len = total.saturating_sub(first).min(per_page);
        Page { first, len, rows, cols, total }
    }

    /// Whether the panels span more than this page.
    pub fn paged(&self) -> bool {
        self.len < self.total || self.first > 0
    }

    /// `panels 13–24 of 2000`: where this page stands among all, shown when paged.
    pub fn marker(&self) -> String {
        format!("panels {}–{} of {}", self.first + 1, self.first + self.len, self.total)
    }
}

/// Splits `len` cells from `start` into parts proportional to `weights` (a zero weight counts
/// as 1), every part ending where `start + len × (weights so far) / (all weights)` rounds to:
/// the parts fill `len` exactly, and equal weights get sizes that differ by at most one.
pub fn split(start: u16, len: u16, weights: &[u16]) -> Vec<(u16, u16)> {
    let total: u64 = weights.iter().map(|&w| u64::from(w.max(1))).sum();
    if total == 0 {
        return Vec::new();
    }
    let len64 = u64::from(len);
    // Rounds half up, as the layout solver's positions are rounded.
    let edge = |cum: u64| -> u16 {
        let at = (2 * len64 * cum + total) / (2 * total);
        // `at` ≤ `len`, since `cum` ≤ `total`.
        u16::try_from(at).unwrap_or(len)
    };
    let mut cum = 0;
    let mut from = 0;
    weights
        .iter()
        .map(|&w| {
            cum += u64::from(w.max(1));
            let to = edge(cum);
            let part = (start.saturating_add(from), to - from);
            from = to;
            part
        })
        .collect()
}

/// The cells of a page: one `Rect` per panel on it, in order, laid out in `area` (less the
/// marker row when paged). `row_weight(r)` is the height weight of row `r` of the page (rows
/// past the last panel take 2); `col_weight(i)` the width weight of the page's panel `i`.
pub fn cells(
    page: &Page,
    area: Rect,
    row_weight: impl Fn(usize) -> u16,
    col_weight: impl Fn(usize) -> u16,
) -> Vec<Rect> {
    let height = if page.paged() { area.height.saturating_sub(1) } else { area.height };
    let drawn = page.len.div_ceil(page.cols);
    let row_weights: Vec<u16> =
        (0..page.rows).map(|r| if r < drawn { row_weight(r) } else { 2 }).collect();
    let mut out = Vec::with_capacity(page.len);
    for (r, &(y, h)) in split(area.y, height, &row_weights).iter().enumerate().take(drawn) {
        let members = (r * page.cols)..((r + 1) * page.cols).min(page.len);
        let weights: Vec<u16> = members.clone().map(&col_weight).collect();
        for (x, w) in split(area.x, area.width, &weights) {
            out.push(Rect { x, y, width: w, height: h });
        }
    }
    out
}

/// The row the page marker takes: the last of the grid's area.
pub fn marker_row(area: Rect) -> Rect {
    Rect { y: area.bottom().saturating_sub(1), height: area.height.min(1), ..area }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_fills_the_length_in_proportion() {
        assert_eq!(split(0, 10, &[1, 1, 1]), vec![(0, 3), (3, 4), (7, 3)]);
        assert_eq!(split(5, 5, &[1, 1]), vec![(5, 3), (8, 2)]);
        assert_eq!(split(0, 10, &[3, 2]), vec![(0, 6), (6, 4)]);
        assert_eq!(split(0, 0, &[1, 1]), vec![(0, 0), (0, 0)]);
        assert_eq!(split(0, 7, &[0, 0]), split(0, 7, &[1, 1]));
        assert!(split(0, 7, &[]).is_empty());
        let parts = split(3, u16::MAX - 3, &[u16::MAX; 1000]);
        assert_eq!(parts.iter().map(|p| u32::from(p.1)).sum::<u32>(), u32::from(u16::MAX - 3));
        assert!(parts.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0));
    }

    #[test]
    fn one_page_when_everything_fits() {
        let p = Page::holding(5, 12, 4, 300, 62);
        assert_eq!(p, Page { first: 0, len: 12, rows: 3, cols: 4, total: 12 });
        assert!(!p.paged());
        let none = Page::holding(0, 0, 4, 300, 62);
        assert_eq!((none.len, none.rows, none.paged()), (0, 1, false));
    }

    #[test]
    fn pages_hold_what_fits_and_follow_the_selection() {
        // 61 rows: 60 for panels (10 rows of 6), one for the marker.
        let p = Page::holding(0, 2000, 4, 300, 61);
        assert_eq!((p.first, p.len, p.rows, p.cols), (0, 40, 10, 4));
        assert!(p.paged());
        assert_eq!(p.marker(), "panels 1–40 of 2000");
        assert_eq!(Page::holding(39, 2000, 4, 300, 61).first, 0);
        assert_eq!(Page::holding(40, 2000, 4, 300, 61).marker(), "panels 41–80 of 2000");
        let last = Page::holding(1999, 2000, 4, 300, 61);
        assert_eq!(last.marker(), "panels 1961–2000 of 2000");
        let short = Page::holding(usize::MAX, 2001, 4, 300, 61);
        assert_eq!(short.marker(), "panels 2001–2001 of 2001");
    }

    #[test]
    fn no_panel_is_smaller_than_the_minimum() {
        for (w, h) in [(60, 8), (80, 9), (300, 62), (1000, 282), (u16::MAX, u16::MAX)] {
            for total in [1, 7, 155, 2000] {
                let page = Page::holding(total / 2, total, 4, w, h);
                let area = Rect::new(0, 0, w, h);
                let cells = cells(&page, area, |_| 3, |_| 1);
                assert_eq!(cells.len(), page.len, "{total} panels at {w}×{h}");
                for c in &cells {
                    assert!(c.height >= MIN_PANEL_HEIGHT && c.width >= MIN_PANEL_WIDTH);
                    assert!(area.contains(c.as_position()) && c.bottom() <= h);
                }
                // One row without a chart among rows with one: shorter, never under 4.
                let mixed = super::cells(&page, area, |r| if r == 0 { 2 } else { 3 }, |_| 1);
                assert!(mixed.iter().all(|c| c.height >= 4), "{total} panels at {w}×{h}");
            }
        }
    }

    #[test]
    fn a_short_last_page_keeps_the_rows_of_a_full_one() {
        let page = Page::holding(9, 10, 2, 100, 25); // 4 rows of 6 in 24, the marker below
        assert_eq!((page.first, page.len, page.rows), (8, 2, 4));
        let cells = cells(&page, Rect::new(0, 0, 100, 25), |_| 2, |_| 1);
        assert_eq!(cells, vec![Rect::new(0, 0, 50, 6), Rect::new(50, 0, 50, 6)]);
    }
}
