//! Table panels with extra columns: each column's own query matched to the rows by the labels
//! they share, `–` (never 0) where a row has no value, and on narrow panels the bar, then the
//! columns from the right, give way before the names become unreadable.

use super::*;

const TOP_STATEMENTS: &str = r#"
refresh = "1s"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"

[[panels]]
title = "Top statements"
kind = "table"
unit = "s"
query = "sum by (queryid, query) (increase(total_seconds[1m]))"
legend = "{{ query }}"
value_title = "time/1m"

[[panels.columns]]
title = "calls/s"
query = "sum by (queryid) (rate(calls[1m]))"
unit = "ops"

[[panels.columns]]
title = "mean"
query = "max by (queryid) (mean_seconds)"
unit = "s"

[[panels]]
title = "Sessions by application"
kind = "table"
query = "sum by (application_name) (sessions)"
legend = "{{ application_name }}"
value_title = "sessions"

[[panels.columns]]
title = "active"
query = 'sum by (application_name) (sessions{state="active"})'
"#;

fn samples(rows: &[(&[(&str, &str)], f64)]) -> QueryData {
    QueryData::Vector(
        rows.iter()
            .map(|(l, v)| Sample { labels: labels(l), point: Point { t: T0 as f64, v: *v } })
            .collect(),
    )
}

/// The dashboard above with data: a statement without calls data, one whose mean comes from
/// two databases (ambiguous), an application without active sessions.
fn top_statements() -> Model {
    let mut m = model(TOP_STATEMENTS);
    let statements: &[(&str, &str, f64)] = &[
        ("11", "SELECT * FROM orders WHERE user_id = $1", 9.65),
        ("-22", "UPDATE inventory SET stock = stock - $1 WHERE sku = $2", 6.7),
        ("33", "SELECT count(*) FROM sessions", 0.25),
    ];
    let main: Vec<(Vec<(&str, &str)>, f64)> =
        statements.iter().map(|&(id, q, v)| (vec![("queryid", id), ("query", q)], v)).collect();
    let main: Vec<(&[(&str, &str)], f64)> = main.iter().map(|(l, v)| (&l[..], *v)).collect();
    let (total, calls, mean) = (m.panels[0].query, m.panels[0].columns[0], m.panels[0].columns[1]);
    poll(&mut m, total, T0, answer(samples(&main), false, vec![]));
    let per_call = samples(&[(&[("queryid", "11")], 1234.0), (&[("queryid", "-22")], 3.0)]);
    poll(&mut m, calls, T0, answer(per_call, false, vec![]));
    let means = samples(&[
        (&[("queryid", "11")], 0.008),
        (&[("queryid", "-22"), ("datname", "shop")], 2.2),
        (&[("queryid", "-22"), ("datname", "billing")], 0.5),
        (&[("queryid", "33")], 0.25),
    ]);
    poll(&mut m, mean, T0, answer(means, false, vec![]));
    let (sessions, active) = (m.panels[1].query, m.panels[1].columns[0]);
    let apps = samples(&[
        (&[("application_name", "etl-export")], 12.0),
        (&[("application_name", "checkout")], 30.0),
        (&[("application_name", "psql")], 1.0),
    ]);
    poll(&mut m, sessions, T0, answer(apps, false, vec![]));
    let busy = samples(&[
        (&[("application_name", "etl-export")], 12.0),
        (&[("application_name", "checkout")], 4.0),
    ]);
    poll(&mut m, active, T0, answer(busy, false, vec![]));
    m
}

#[test]
fn columns_match_rows_by_shared_labels() {
    let mut m = top_statements();
    update(&mut m, Msg::Resize { width: 160, height: 18 });
    let text = screen(&m, 160, 18);
    snapshot("table_columns_160x18", &text);
    let rows = panel_inside(&text, "Top statements");
    assert!(rows[0].contains("time/1m") && rows[0].contains("calls/s"), "{rows:#?}");
    let row = |needle: &str| rows.iter().find(|r| r.contains(needle)).cloned().unwrap();
    assert!(row("FROM orders").contains("1.23k/s") && row("FROM orders").contains("8ms"));
    // Two series for one row (two databases): no value rather than a guess.
    let cells =
        |r: String| r.split_whitespace().rev().take(3).map(String::from).collect::<Vec<_>>();
    assert_eq!(cells(row("UPDATE inventory")), ["–", "3/s", "6.7s"], "{rows:#?}");
    // No calls series: `–`, never 0.
    assert_eq!(cells(row("FROM sessions")), ["250ms", "–", "250ms"], "{rows:#?}");
    let apps = panel_inside(&text, "Sessions by application");
    let psql = apps.iter().find(|r| r.contains("psql")).unwrap();
    assert!(psql.trim_end().ends_with('–'), "{apps:#?}");
}

#[test]
fn narrow_tables_keep_their_names_readable() {
    let m = top_statements();
    for (w, h) in [(120, 18), (80, 18), (60, 18)] {
        let mut m = m.clone();
        update(&mut m, Msg::Resize { width: w, height: h });
        let text = screen(&m, w, h);
        snapshot(&format!("table_columns_{w}x{h}"), &text);
        let rows = panel_inside(&text, "Top statements");
        let name = rows.iter().find(|r| r.contains("SELECT")).unwrap();
        // The name column keeps at least 12 cells: "SELECT * FR…".
        assert!(name.contains("SELECT * FR"), "{w}x{h}:\n{text}");
    }
}

/// A snapshot in `tests/snapshots/`, with the rest of this binary's.
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("ui_panels__{name}"), text);
    });
}

/// Column queries are polled like the panel's own (instant, the panel's source and refresh),
/// and their answers redraw the panel.
#[test]
fn column_queries_are_polled_and_shown() {
    let m = model(TOP_STATEMENTS);
    let specs = m.query_specs();
    let panel = &m.panels[0];
    for &c in &panel.columns {
        let spec = specs.iter().find(|s| s.id == c).expect("a column's query is polled");
        assert!(!spec.range && spec.interval == Duration::from_secs(1), "{spec:?}");
        assert!(m.shows(c));
    }
    assert_eq!(m.queries[panel.columns[1]].expr, "max by (queryid) (mean_seconds)");
}
