//! Top-N table: a header row, then one row per series sorted by value (largest first, NaN
//! last), with a bar showing each value against the largest.
//!
//! ```text
//! query                                         value
//! SELECT * FROM orders WHERE user_id = $1 ████  9.65s
//! UPDATE inventory SET stock = stock - $1 ██▊    6.7s
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::panel::PanelView;
use super::text;
use crate::model::Shown;
use crate::theme::Role;

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

pub fn render_table(view: &PanelView, area: Rect, buf: &mut Buffer) {
    let rows = sorted(view);
    let width = area.width as usize;
    let bar_w = if width >= 40 { (width / 6).min(12) } else { 0 };
    let name_w = width.saturating_sub(VALUE_W + 1 + if bar_w > 0 { bar_w + 1 } else { 0 });
    let mut lines = area.rows();
    let header_style = view.theme.style(Role::Title);
    if area.height >= 3 {
        if let Some(row) = lines.next() {
            let head = text::fit(&name_header(view), name_w);
            Line::from(vec![
                Span::styled(format!("{head:<name_w$}"), header_style),
                Span::styled(format!("{:>w$}", "value", w = width - name_w), header_style),
            ])
            .render(row, buf);
        }
    }
    let max = rows.iter().map(|s| s.value()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    for (s, row) in rows.iter().take(view.spec.top).zip(lines) {
        let v = s.value();
        let mut spans = vec![Span::styled(
            format!("{:<name_w$}", text::fit(&view.legend(s.labels), name_w)),
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
        Line::from(spans).render(row, buf);
    }
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

/// A horizontal bar `fill` (0–1) of `width` cells, in eighths.
pub fn bar(fill: f64, width: usize) -> String {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (fill.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if eighths / 8 < width {
        s.push_str(EIGHTHS[eighths % 8]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_in_eighths() {
        assert_eq!(bar(0.0, 4), "");
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██");
        assert_eq!(bar(0.53, 4), "██▏");
        assert_eq!(bar(f64::NAN, 4), "");
    }

    #[test]
    fn header_names_come_from_the_template() {
        assert_eq!(placeholders("{{ query }}"), vec!["query"]);
        assert_eq!(placeholders("{{datname}}/{{ labels.state }}"), vec!["datname", "state"]);
        assert!(placeholders("plain").is_empty());
    }
}
