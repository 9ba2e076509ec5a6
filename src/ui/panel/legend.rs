//! A one-line legend that fits its width: `■ name value` per series; names are shortened fairly
//! when space runs out, and series that still do not fit are counted as `+N`.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::ui::text;

/// One series in the legend.
pub struct Entry {
    /// Colour of the swatch: the series' line colour.
    pub swatch: Style,
    pub name: String,
    /// Current value, already formatted with the unit.
    pub value: String,
    pub value_style: Style,
}

/// Narrowest a name is cut to before a whole entry is dropped instead.
const MIN_NAME: usize = 4;

/// The legend for `entries` in at most `width` columns; `name` styles the names, `more` the
/// `+N` count of series left out.
pub fn line(entries: &[Entry], width: usize, name: Style, more: Style) -> Line<'static> {
    for shown in (1..=entries.len()).rev() {
        let left_out = entries.len() - shown;
        let tail = if left_out > 0 { format!("  +{left_out}") } else { String::new() };
        let fixed: usize = entries[..shown].iter().map(|e| 3 + e.value.width()).sum::<usize>()
            + 2 * (shown - 1)
            + tail.width();
        let Some(room) = width.checked_sub(fixed) else { continue };
        let Some(widths) = share(entries[..shown].iter().map(|e| e.name.width()), room) else {
            continue;
        };
        let mut spans = Vec::new();
        for (i, (e, w)) in entries.iter().zip(widths).enumerate() {
            if i > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled("■ ", e.swatch));
            spans.push(Span::styled(text::fit(&e.name, w), name));
            spans.push(Span::raw(" "));
            spans.push(Span::styled(e.value.clone(), e.value_style));
        }
        if !tail.is_empty() {
            spans.push(Span::styled(tail, more));
        }
        return Line::from(spans);
    }
    // Not even one entry fits: the value of the first series alone, if that does.
    match entries.first() {
        Some(e) if e.value.width() <= width => Line::styled(e.value.clone(), e.value_style),
        _ => Line::default(),
    }
}

/// Splits `room` columns between names of the given widths, shortest first, each taking no more
/// than it needs; `None` when a name would get fewer than [`MIN_NAME`] columns (or its own width,
/// if shorter).
fn share(widths: impl Iterator<Item = usize>, room: usize) -> Option<Vec<usize>> {
    let widths: Vec<usize> = widths.collect();
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&i| widths[i]);
    let mut given = vec![0; widths.len()];
    let mut left = room;
    for (k, &i) in order.iter().enumerate() {
        let fair = left / (widths.len() - k);
        let g = widths[i].min(fair);
        if g < widths[i].min(MIN_NAME) {
            return None;
        }
        given[i] = g;
        left -= g;
    }
    Some(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(names: &[&str]) -> Vec<Entry> {
        names
            .iter()
            .map(|n| Entry {
                swatch: Style::new(),
                name: n.to_string(),
                value: "10%".into(),
                value_style: Style::new(),
            })
            .collect()
    }

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn fits_whole_when_there_is_room() {
        let e = entries(&["pg-main-1", "pg-replica-1"]);
        let l = line(&e, 80, Style::new(), Style::new());
        assert_eq!(text(&l), "■ pg-main-1 10%  ■ pg-replica-1 10%");
    }

    #[test]
    fn shortens_long_names_first_then_drops_entries() {
        let e = entries(&["a", "pg-replica-1-long-name"]);
        let l = line(&e, 24, Style::new(), Style::new());
        assert_eq!(text(&l), "■ a 10%  ■ pg-repli… 10%");
        assert!(l.width() <= 24);
        let many = entries(&["one", "two", "three", "four", "five"]);
        let l = line(&many, 30, Style::new(), Style::new());
        assert!(l.width() <= 30, "{}", text(&l));
        assert!(text(&l).ends_with("+3"), "{}", text(&l));
    }

    #[test]
    fn never_wider_than_asked() {
        let e = entries(&["pg-main-1", "pg-replica-1"]);
        for w in 0..50 {
            assert!(line(&e, w, Style::new(), Style::new()).width() <= w, "width {w}");
        }
    }
}
