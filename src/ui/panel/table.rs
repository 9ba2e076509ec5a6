//! Top-N table: a header row, then one row per series sorted by value (largest first, NaN
//! last), with a bar showing each value against the largest, and the panel's extra columns
//! (`[[panels.columns]]`), each its own query matched to the rows by shared labels.
//!
//! ```text
//! query                                   time/1m calls/s   mean
//! SELECT * FROM orders WHERE user_id = $1   9.65s  1.2k/s  8.0ms
//! UPDATE inventory SET stock = stock - $1    6.7s     3/s      –
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::view::PanelView;
use crate::model::{DataStatus, Shown};
use crate::theme::Role;
use crate::ui::text::{self, bar};

/// Series sorted by value, largest first; NaN last.
fn sorted<'v, 'a>(view: &'v PanelView<'a>) -> Vec<&'v Shown<'a>> {
    let mut rows: Vec<&Shown> = view.data.series.iter().collect();
    rows.sort_by(|a, b| {
        let (x, y) = (a.value(), b.value());
        y.partial_cmp(&x).unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()))
    });
    rows
}

/// Width of the value column: wide enough for every unit's compact form (`1.5 GiB/s`).
const VALUE_W: usize = 9;
/// Columns the name gets before extra columns give way (fewer when every name is shorter).
const NAME_MIN: usize = 12;
/// Widest header an extra column takes (a longer title is cut).
const COLUMN_TITLE_MAX: usize = 12;

/// Where a table's parts go across its width.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    name: usize,
    bar: usize,
    /// Widths of the extra columns shown: the first ones, as many as fit.
    columns: Vec<usize>,
}

/// Lays out a table `width` columns wide whose longest name is `longest` columns and whose
/// extra columns want `wanted`: on a narrow panel the bar goes first, then extra columns from
/// the right, before the name column gets narrower than [`NAME_MIN`] (or the longest name).
/// Beside extra columns the bar also gives way while the names are cut short of twice that.
fn layout(width: usize, longest: usize, wanted: &[usize]) -> Layout {
    let need = NAME_MIN.min(longest.max(1));
    let need_with_bar = (2 * NAME_MIN).min(longest.max(1));
    let mut bar = if width >= 40 { (width / 6).min(12) } else { 0 };
    let mut shown = wanted.len();
    loop {
        let bar_part = if bar > 0 { bar + 1 } else { 0 };
        let extra: usize = wanted[..shown].iter().map(|w| w + 1).sum();
        let name = width.saturating_sub(VALUE_W + 1 + bar_part + extra);
        let bar_fits = bar == 0 || shown == 0 || name >= need_with_bar;
        if (name >= need && bar_fits) || (bar == 0 && shown == 0) {
            return Layout { name, bar, columns: wanted[..shown].to_vec() };
        }
        if bar > 0 {
            bar = 0;
        } else {
            shown -= 1;
        }
    }
}

pub fn render_table(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let rows = sorted(view);
    let rows = &rows[..rows.len().min(view.spec.top)];
    let width = area.width as usize;
    let names: Vec<String> = rows.iter().map(|s| view.legend(s.labels)).collect();
    let cells = column_cells(view, rows);
    let wanted: Vec<usize> = view
        .spec
        .columns
        .iter()
        .zip(&cells)
        .map(|(c, col)| {
            let title = text_width(&clean(&c.title)).min(COLUMN_TITLE_MAX);
            col.iter().map(|(t, _)| text_width(t)).fold(title, usize::max)
        })
        .collect();
    // The rows' names decide what fits, not the header: it may be cut.
    let longest = names.iter().map(|n| text_width(n)).max().unwrap_or(1);
    let at = layout(width, longest, &wanted);
    let (name_w, bar_w) = (at.name, at.bar);
    let mut lines = area.rows();
    let header_style = view.theme.style(Role::Title);
    if area.height >= 3 {
        if let Some(row) = lines.next() {
            let head = text::fit(&name_header(view), name_w);
            let value_title = view.spec.value_title.as_deref().unwrap_or("value");
            let extra: usize = at.columns.iter().map(|w| w + 1).sum();
            let value_w = width.saturating_sub(name_w + extra);
            let mut spans = vec![
                Span::styled(format!("{head:<name_w$}"), header_style),
                Span::styled(
                    format!("{:>value_w$}", text::fit(&clean(value_title), value_w)),
                    header_style,
                ),
            ];
            for (c, &w) in view.spec.columns.iter().zip(&at.columns) {
                let title = crate::ui::width::truncate(&clean(&c.title), w).into_owned();
                spans.push(Span::styled(format!(" {title:>w$}"), header_style));
            }
            Line::from(spans).render(row, buf);
        }
    }
    let max = rows.iter().map(|s| s.value()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    for (k, (s, row)) in rows.iter().zip(lines).enumerate() {
        let v = s.value();
        let mut spans = vec![Span::styled(
            format!("{:<name_w$}", text::fit(&names[k], name_w)),
            view.dim(view.theme.style(Role::Text)),
        )];
        if bar_w > 0 {
            spans.push(Span::raw(" "));
            let fill = if v.is_finite() && max > 0.0 { (v / max).clamp(0.0, 1.0) } else { 0.0 };
            spans.push(Span::styled(
                format!("{:<bar_w$}", bar(fill, bar_w)),
                view.dim(view.theme.series(0)),
            ));
        }
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!("{:>VALUE_W$}", view.spec.unit.format(v)),
            view.value_style(v),
        ));
        for (col, &w) in cells.iter().zip(&at.columns) {
            let (cell, style) = &col[k];
            spans.push(Span::styled(format!(" {cell:>w$}"), *style));
        }
        Line::from(spans).render(row, buf);
    }
}

/// The text and style of each extra column's cell in each of `rows`: the matching series'
/// value in the column's unit (muted while the column's query is stale or failing), else a
/// muted `–`, never a made-up 0.
fn column_cells(view: &PanelView, rows: &[&Shown]) -> Vec<Vec<(String, Style)>> {
    let now = view.model.now;
    let text = view.dim(view.theme.style(Role::Text));
    let muted = view.theme.style(Role::Muted);
    let stale = view.theme.style(Role::Stale);
    view.spec
        .columns
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let old =
                view.data.columns.get(j).is_some_and(|q| {
                    matches!(q.status(now), DataStatus::Stale | DataStatus::Error)
                });
            rows.iter()
                .map(|s| match view.data.column_value(j, s.labels) {
                    Some(v) => (c.unit.format(v), if old { stale } else { text }),
                    None => ("–".to_string(), muted),
                })
                .collect()
        })
        .collect()
}

fn clean(s: &str) -> String {
    crate::sanitize::clean_owned(s)
}

fn text_width(s: &str) -> usize {
    crate::ui::width::width(s)
}

/// What the name column holds: the labels the legend template names, else the series' label
/// names, else the panel's title.
fn name_header(view: &PanelView) -> String {
    let mut names: Vec<String> = match &view.spec.legend {
        Some(t) => placeholders(t),
        None => view
            .data
            .series
            .first()
            .map(|s| s.labels.keys().filter(|k| k.as_str() != "__name__").cloned().collect())
            .unwrap_or_default(),
    };
    names.dedup();
    if names.is_empty() {
        view.spec.title.clone()
    } else {
        crate::sanitize::clean_owned(&names.join(" "))
    }
}

/// The label names `{{ name }}` placeholders in a legend template refer to.
fn placeholders(template: &str) -> Vec<String> {
    crate::template::pieces(template)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| match p {
            crate::template::Piece::Var(name) => {
                Some(name.trim_start_matches("labels.").to_string())
            }
            crate::template::Piece::Text(_) => None,
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_tables_drop_the_bar_then_columns_from_the_right() {
        let wide = layout(80, 40, &[7, 6]);
        assert_eq!(wide, Layout { name: 42, bar: 12, columns: vec![7, 6] });
        // Beside columns, names cut short of 24 cells take the bar's place.
        assert_eq!(layout(56, 40, &[7, 6]), Layout { name: 31, bar: 0, columns: vec![7, 6] });
        assert_eq!(layout(56, 20, &[7, 6]).bar, 9, "the names fit with the bar");
        let no_bar = layout(40, 40, &[7, 6]);
        assert_eq!(no_bar, Layout { name: 15, bar: 0, columns: vec![7, 6] });
        assert_eq!(layout(30, 40, &[7, 6]).columns, vec![7], "the last column goes first");
        assert_eq!(layout(20, 40, &[7, 6]), Layout { name: 10, bar: 0, columns: vec![] });
        // Short names leave room for more.
        assert_eq!(layout(30, 4, &[7, 6]).columns, vec![7, 6]);
        // Without columns nothing changes: the bar from 40 columns on.
        assert_eq!(layout(40, 40, &[]), Layout { name: 23, bar: 6, columns: vec![] });
        assert_eq!(layout(5, 40, &[]), Layout { name: 0, bar: 0, columns: vec![] });
    }

    #[test]
    fn header_names_come_from_the_template() {
        assert_eq!(placeholders("{{ query }}"), vec!["query"]);
        assert_eq!(placeholders("{{datname}}/{{ labels.state }}"), vec!["datname", "state"]);
        assert!(placeholders("plain").is_empty());
    }
}
