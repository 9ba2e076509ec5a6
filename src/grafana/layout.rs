//! Grafana's grid → warroom's panel order and widths.
//!
//! Grafana places panels on a 24-column grid (`gridPos` x, y, w, h) under rows, which may be
//! collapsed (their panels nested in the row). warroom's grid flows panels in order into as
//! many columns as the terminal holds (2–4) and shares each row by the panels' `width` weights.
//! So the import keeps what that grid can keep: the reading order (rows in order, each row's
//! panels top to bottom, left to right, collapsed rows' panels in their place) and each panel's
//! width in grid columns as its weight, so a wide panel stays wider than a narrow neighbour.
//! Heights and exact columns are not kept: warroom gives a row with a chart more height itself.

use super::model::PanelJson;

/// A panel in reading order, with the title of the row it is under.
#[derive(Debug)]
pub struct Placed<'a> {
    pub panel: &'a PanelJson,
    pub row: Option<&'a str>,
    /// Width weight: the panel's width in Grafana's grid columns, 1–24.
    pub width: u16,
}

/// Grid columns as a weight: 1–24, 12 where unset or nonsense.
fn width(w: f64) -> u16 {
    if w.is_finite() && w >= 1.0 {
        w.min(24.0).round() as u16
    } else {
        12
    }
}

fn by_position(panels: &[PanelJson]) -> Vec<&PanelJson> {
    let mut sorted: Vec<&PanelJson> = panels.iter().collect();
    let key = |v: f64| if v.is_finite() { v } else { f64::MAX };
    // Stable: panels at the same place keep the file's order.
    sorted.sort_by(|a, b| {
        key(a.grid_pos.y)
            .total_cmp(&key(b.grid_pos.y))
            .then(key(a.grid_pos.x).total_cmp(&key(b.grid_pos.x)))
    });
    sorted
}

/// The dashboard's panels (rows left out, their panels included) in reading order.
pub fn place(panels: &[PanelJson]) -> Vec<Placed<'_>> {
    let mut out = Vec::new();
    let mut row = None;
    for p in by_position(panels) {
        if p.kind == "row" {
            row = Some(p.title.as_str());
            for nested in by_position(&p.panels) {
                out.push(Placed { panel: nested, row, width: width(nested.grid_pos.w) });
            }
            continue;
        }
        out.push(Placed { panel: p, row, width: width(p.grid_pos.w) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_positions_give_the_order_and_widths() {
        let json = r#"[
            {"type":"row","title":"Details","collapsed":true,"gridPos":{"x":0,"y":9,"w":24,"h":1},
             "panels":[{"title":"d2","gridPos":{"x":12,"y":10,"w":12,"h":8}},
                       {"title":"d1","gridPos":{"x":0,"y":10,"w":12,"h":8}}]},
            {"title":"b","gridPos":{"x":8,"y":1,"w":16,"h":8}},
            {"type":"row","title":"Overview","gridPos":{"x":0,"y":0,"w":24,"h":1}},
            {"title":"a","gridPos":{"x":0,"y":1,"w":8,"h":8}},
            {"title":"nowhere"},
            {"title":"huge","gridPos":{"x":0,"y":20,"w":1e9,"h":8}}
        ]"#;
        let panels: Vec<PanelJson> = serde_json::from_str(json).unwrap();
        let placed = place(&panels);
        let got: Vec<(&str, Option<&str>, u16)> =
            placed.iter().map(|p| (p.panel.title.as_str(), p.row, p.width)).collect();
        assert_eq!(
            got,
            [
                ("nowhere", Some("Overview"), 12),
                ("a", Some("Overview"), 8),
                ("b", Some("Overview"), 16),
                ("d1", Some("Details"), 12),
                ("d2", Some("Details"), 12),
                ("huge", Some("Details"), 24),
            ]
        );
    }
}
