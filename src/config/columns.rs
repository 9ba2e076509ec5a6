//! Extra columns of table panels: each its own query, its series matched to the table's rows
//! by the labels they share.
//!
//! ```toml
//! [[panels]]
//! title = "Top statements"
//! kind = "table"
//! query = 'sum by (queryid, query) (increase(pg_stat_statements_top_total_seconds[1m]))'
//! legend = "{{ query }}"
//! value_title = "time/1m"
//!
//! [[panels.columns]]
//! title = "calls/s"
//! query = 'sum by (queryid) (rate(pg_stat_statements_top_calls[1m]))'
//! unit = "ops"
//! ```

use serde::Deserialize;

use super::model::{PanelKind, PanelSpec};
use crate::units::Unit;

/// One extra column of a table panel.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The column's header.
    pub title: String,
    /// PromQL asked like the panel's own query (same source, same refresh, latest value).
    /// A row shows the value of the series that agrees with the row on every label the two
    /// share; `–` when none does, or when more than one equally close series does.
    pub query: String,
    #[serde(default)]
    pub unit: Unit,
}

/// Line of the `index`-th `[[panels.columns]]` header of the panel whose `[[panels]]` header is
/// at `panel` (1-based), else the panel's own line.
pub fn column_line(text: &str, panel: Option<usize>, index: usize) -> Option<usize> {
    let start = panel?;
    text.lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| !l.trim_start().starts_with("[[panels]]"))
        .filter(|(_, l)| l.trim_start().starts_with("[[panels.columns]]"))
        .nth(index)
        .map(|(i, _)| i + 1)
        .or(panel)
}

/// What is wrong with the columns (and `value_title`) of panel `p`, whose `[[panels]]` header
/// is at line `panel` of `text`: `(line, message, fix)`.
pub fn problems(
    p: &PanelSpec,
    text: &str,
    panel: Option<usize>,
) -> Vec<(Option<usize>, String, String)> {
    let mut out = Vec::new();
    if p.kind != PanelKind::Table && (!p.columns.is_empty() || p.value_title.is_some()) {
        let what = if p.columns.is_empty() { "value_title belongs" } else { "columns belong" };
        let line = if p.columns.is_empty() {
            crate::diag::key_line(text, panel, "value_title")
        } else {
            column_line(text, panel, 0)
        };
        out.push((
            line,
            format!("panel {:?}: {what} to table panels only", p.title),
            "set kind = \"table\", or remove the panel's [[panels.columns]] and value_title".into(),
        ));
    }
    for (j, c) in p.columns.iter().enumerate() {
        let line = column_line(text, panel, j);
        let which = format!("panel {:?}: column {}", p.title, j + 1);
        if c.title.trim().is_empty() {
            out.push((line, format!("{which} has no title"), "title = \"calls/s\"".into()));
        }
        if c.query.trim().is_empty() {
            out.push((
                line,
                format!("{which} ({:?}) has an empty query", c.title),
                "write a PromQL expression whose series share labels with the panel's rows, \
                 e.g. sum by (queryid) (…) for rows by queryid"
                    .into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lines_belong_to_their_panel() {
        let text = "[[panels]]\ntitle = \"a\"\n[[panels.columns]]\ntitle = \"x\"\n\
                    [[panels]]\ntitle = \"b\"\n[[panels.columns]]\n[[panels.columns]]\n";
        assert_eq!(column_line(text, Some(1), 0), Some(3));
        assert_eq!(column_line(text, Some(1), 1), Some(1), "a has one column: its own line");
        assert_eq!(column_line(text, Some(5), 1), Some(8));
        assert_eq!(column_line(text, None, 0), None);
    }
}
