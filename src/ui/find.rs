//! Finding text in the pane: which lines match (case-insensitive), the shown match picked out
//! in the selection colours and the others in the accent colour, and the row the pane scrolls
//! to so that the shown match is its first line.

use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::model::Find;
use crate::sanitize;
use crate::theme::{Role, Theme};

/// What a search found in the pane's lines.
pub struct Found {
    /// How many lines match.
    pub count: usize,
    /// Which of them is shown (1-based), and its index among the lines.
    pub shown: usize,
    pub line: Option<usize>,
}

impl Found {
    /// `find "vacuum": 2 of 5` for the pane's border.
    pub fn text(&self, f: &Find) -> String {
        let what = sanitize::clean(&f.text);
        match self.count {
            0 => format!("find {what:?}: no match"),
            n => format!("find {what:?}: {} of {n}", self.shown),
        }
    }

    pub fn role(&self, theme: &Theme) -> Style {
        theme.style(if self.count == 0 { Role::Warning } else { Role::Accent })
    }
}

/// Marks the lines that contain `f.text` and returns what was found.
pub fn mark(lines: &mut [Line<'_>], f: &Find, theme: &Theme) -> Found {
    let needle = f.text.to_lowercase();
    let text = |l: &Line| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>();
    let hits: Vec<usize> =
        (0..lines.len()).filter(|&i| text(&lines[i]).to_lowercase().contains(&needle)).collect();
    if hits.is_empty() {
        return Found { count: 0, shown: 0, line: None };
    }
    let pick = f.at.rem_euclid(hits.len() as isize) as usize;
    for (k, &i) in hits.iter().enumerate() {
        let role = if k == pick { Role::Selection } else { Role::Accent };
        let style = theme.style(role);
        // Every span, so a span's own colour cannot hide the mark.
        for span in &mut lines[i].spans {
            span.style = span.style.patch(style);
        }
    }
    Found { count: hits.len(), shown: pick + 1, line: Some(hits[pick]) }
}

/// The row line `at` starts on: its index when lines are not wrapped, else the rows the lines
/// before it take when wrapped at `width`.
pub fn row_of(lines: &[Line<'_>], at: usize, width: Option<u16>) -> u16 {
    let rows = match width {
        None => at,
        Some(w) => Paragraph::new(lines[..at.min(lines.len())].to_vec())
            .wrap(Wrap { trim: false })
            .line_count(w.max(1)),
    };
    u16::try_from(rows).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str, at: isize) -> Find {
        Find { text: text.into(), at }
    }

    #[test]
    fn matches_are_counted_and_the_shown_one_wraps_around() {
        let theme = Theme::default();
        let mut lines: Vec<Line> =
            ["VACUUM the table", "then", "vacuum again", "done"].map(Line::raw).to_vec();
        let found = mark(&mut lines, &find("vacuum", 0), &theme);
        assert_eq!((found.count, found.shown, found.line), (2, 1, Some(0)));
        let found = mark(&mut lines, &find("vacuum", 3), &theme);
        assert_eq!((found.shown, found.line), (2, Some(2)), "n past the last wraps to the first");
        let found = mark(&mut lines, &find("vacuum", -1), &theme);
        assert_eq!(found.line, Some(2), "N before the first is the last");
        assert_eq!(found.text(&find("vacuum", -1)), "find \"vacuum\": 2 of 2");
        let none = mark(&mut lines, &find("reindex", 0), &theme);
        assert_eq!(none.text(&find("reindex", 0)), "find \"reindex\": no match");
    }

    #[test]
    fn the_row_counts_wrapped_lines() {
        let lines: Vec<Line> = ["a".repeat(25), "b".into(), "c".into()].map(Line::raw).to_vec();
        assert_eq!(row_of(&lines, 2, None), 2);
        assert_eq!(row_of(&lines, 2, Some(10)), 4, "the first line takes three rows");
    }
}
