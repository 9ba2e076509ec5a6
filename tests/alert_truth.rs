//! The alert list never lies: alert state is a function of live data only — never of the
//! view (pan, zoom, range, filter, terminal size) — twins are one row, blindness is never
//! shown as all clear, and a restart remembers. Pure: `update` fed with messages, clock pinned.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::alert::{AlertState, Event};
use warroom::config::{load_str, Overrides};
use warroom::model::{Focus, Model};
use warroom::msg::{Effect, Msg};
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
use warroom::update::update;

const DASHBOARD: &str = r#"
refresh = "1s"
range = "5m"

[[sources]]
name = "prometheus"
url = "http://127.0.0.1:9"

[[panels]]
title = "DB CPU"
id = "cpu"
kind = "line"
query = "cpu"

[[alerts]]
name = "CpuHigh"
panel = "cpu"
warning = 80
for = "3s"
summary = "CPU {{ value }}%"
"#;

const T0: i64 = 1_800_000_000;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + s, 0).unwrap()
}

fn model() -> Model {
    let file = load_str(DASHBOARD, Path::new("t.toml"), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(0));
    update(&mut m, Msg::Resize { width: 160, height: 48 });
    m
}

fn labels() -> Labels {
    Labels::from([("instance".to_string(), "db-1".to_string())])
}

fn fetched(data: QueryData) -> Result<Fetched, PromError> {
    Ok(Fetched {
        response: QueryResponse { data, warnings: vec![], partial: false },
        rtt: Duration::from_millis(2),
        bytes: 10,
    })
}

/// The live (instant) answer of the rule's query at second `s`.
fn live(m: &Model, s: i64, v: f64) -> Msg {
    let query = m.alerts.query_of("CpuHigh").unwrap();
    let t = (T0 + s) as f64;
    let data = QueryData::Vector(vec![Sample { labels: labels(), point: Point { t, v } }]);
    Msg::Poll(Box::new(PollResult {
        query,
        generation: m.window.generation,
        kind: FetchKind::Instant,
        at: at(s),
        start: t,
        end: t,
        step: Duration::from_secs(1),
        outcome: fetched(data),
    }))
}

/// The chart's answer for the window it shows: `v` everywhere (the past, when panned).
fn chart(m: &Model, s: i64, v: f64) -> Msg {
    let query = m.panels[0].query;
    let end = (T0 + s) as f64 - m.window.offset.as_secs_f64();
    let points = (0..30).map(|i| Point { t: end - f64::from(i) * 10.0, v }).rev().collect();
    Msg::Poll(Box::new(PollResult {
        query,
        generation: m.window.generation,
        kind: FetchKind::Full,
        at: at(s),
        start: end - 290.0,
        end,
        step: Duration::from_secs(10),
        outcome: fetched(QueryData::Matrix(vec![Series { labels: labels(), points }])),
    }))
}

fn key(c: KeyCode) -> Msg {
    Msg::Key { key: KeyEvent::new(c, KeyModifiers::NONE), at: Instant::now() }
}

fn states(m: &Model) -> Vec<(String, AlertState)> {
    m.alerts.alerts().into_iter().map(|a| (a.rule, a.state)).collect()
}

fn recorded(effects: &[Effect]) -> Vec<Event> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::Record(events) => events.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// Runs the dashboard for seconds `from..to` with the live value `v` and the chart showing
/// `shown`, returning the events written to the history.
fn run(m: &mut Model, from: i64, to: i64, v: f64, shown: f64) -> Vec<Event> {
    let mut written = Vec::new();
    for s in from..to {
        written.extend(recorded(&update(m, Msg::Tick(at(s)))));
        let msg = chart(m, s, shown);
        written.extend(recorded(&update(m, msg)));
        let msg = live(m, s, v);
        written.extend(recorded(&update(m, msg)));
    }
    written
}

fn firing() -> Vec<(String, AlertState)> {
    vec![("CpuHigh".to_string(), AlertState::Firing)]
}

#[test]
fn a_rule_naming_a_chart_evaluates_its_live_twin_not_the_window() {
    let mut m = model();
    let live_query = m.alerts.query_of("CpuHigh").unwrap();
    assert_ne!(live_query, m.panels[0].query, "the chart's range query is not evaluated");
    assert_eq!(m.queries[m.panels[0].query].live, Some(live_query));
    assert!(!m.queries[live_query].range);
    // The chart's window shows 10 % while the live value is 95 %: the live value counts.
    run(&mut m, 0, 5, 95.0, 10.0);
    assert_eq!(states(&m), firing());
}

#[test]
fn pan_zoom_range_filter_and_resize_leave_alerts_and_history_alone() {
    let mut m = model();
    run(&mut m, 0, 5, 95.0, 95.0);
    assert_eq!(states(&m), firing());
    let mut written = Vec::new();
    let mut s = 5;
    let view_changes: Vec<Vec<Msg>> = vec![
        vec![key(KeyCode::Char('['))],
        vec![key(KeyCode::Char('['))],
        vec![key(KeyCode::Char('+'))],
        vec![key(KeyCode::Char('-')), key(KeyCode::Char('-'))],
        vec![key(KeyCode::Char(']')), key(KeyCode::Char(']'))],
        vec![key(KeyCode::Enter), key(KeyCode::Char('h')), key(KeyCode::Esc)],
        vec![key(KeyCode::Char('/')), key(KeyCode::Char('z')), key(KeyCode::Enter)],
        vec![Msg::Resize { width: 80, height: 24 }],
        vec![Msg::Resize { width: 300, height: 80 }],
        vec![key(KeyCode::Tab), key(KeyCode::Char('j'))],
    ];
    for msgs in view_changes {
        for msg in msgs {
            written.extend(recorded(&update(&mut m, msg)));
        }
        // The panned chart shows the calm past; the live value is still 95 %.
        written.extend(run(&mut m, s, s + 3, 95.0, 10.0));
        s += 3;
        assert_eq!(states(&m), firing(), "after a view change at {s} s");
    }
    assert!(written.is_empty(), "the view wrote history: {written:?}");
    assert_eq!(m.ui.focus, Focus::Alerts);
}
