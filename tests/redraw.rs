//! A poll answer asks for a frame only when it changes what the screen shows: the loop draws
//! once per changed answer, and at a 1 s refresh most range answers only repeat the last step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod clock;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use warroom::config::{load_str, Overrides};
use warroom::model::Model;
use warroom::msg::{Effect, Msg};
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, QueryData, QueryResponse, Sample, Series};
use warroom::update::update;

const DASHBOARD: &str = r#"
refresh = "1s"

[[sources]]
name = "prometheus"
url = "http://127.0.0.1:9"

[[panels]]
title = "CPU"
kind = "line"
query = "cpu"

[[panels]]
title = "Connections"
kind = "bars"
query = "connections"

[[alerts]]
name = "Busy"
query = "busy"
warning = 100
"#;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn model() -> Model {
    let file = load_str(DASHBOARD, Path::new("<test>"), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(1_000));
    update(&mut m, Msg::Tick(at(1_000)));
    m
}

fn labels() -> Labels {
    Labels::from([("instance".to_string(), "db-1".to_string())])
}

fn answer(data: QueryData) -> Result<Fetched, warroom::prom::PromError> {
    Ok(Fetched {
        response: QueryResponse { data, warnings: vec![], partial: false },
        rtt: Duration::from_millis(3),
        bytes: 100,
    })
}

/// A range answer for the chart: `points` from `start` to `end`, asked for at `now`.
fn range(kind: FetchKind, now: i64, start: f64, end: f64, points: &[(f64, f64)]) -> Msg {
    let points = points.iter().map(|&(t, v)| Point { t, v }).collect();
    let data = QueryData::Matrix(vec![Series { labels: labels(), points }]);
    Msg::Poll(Box::new(PollResult {
        query: 0,
        generation: 0,
        kind,
        at: at(now),
        start,
        end,
        step: Duration::from_secs(5),
        outcome: answer(data),
    }))
}

/// An instant answer for the bars.
fn instant(now: i64, v: f64) -> Msg {
    instant_for(1, now, v)
}

/// An instant answer for query `query`.
fn instant_for(query: usize, now: i64, v: f64) -> Msg {
    let point = Point { t: now as f64, v };
    let data = QueryData::Vector(vec![Sample { labels: labels(), point }]);
    Msg::Poll(Box::new(clock::instant(query, now, answer(data))))
}

fn redraws(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Redraw))
}

#[test]
fn repeated_range_steps_ask_for_no_frame() {
    let mut m = model();
    let full = range(
        FetchKind::Full,
        1_000,
        990.0,
        1_000.0,
        &[(990.0, 1.0), (995.0, 2.0), (1_000.0, 3.0)],
    );
    assert!(redraws(&update(&mut m, full)), "first data: loading → ok");
    // The poller fetches the last held step again while no new step has ended.
    for now in 1_001..1_004 {
        let again = range(FetchKind::Incremental, now, 1_000.0, 1_000.0, &[(1_000.0, 3.0)]);
        assert!(!redraws(&update(&mut m, again)), "same step, same value at {now}");
    }
    // The last step was computed before a late scrape arrived: its value changes.
    let revised = range(FetchKind::Incremental, 1_004, 1_000.0, 1_000.0, &[(1_000.0, 3.5)]);
    assert!(redraws(&update(&mut m, revised)));
    // A new step.
    let next =
        range(FetchKind::Incremental, 1_005, 1_000.0, 1_005.0, &[(1_000.0, 3.5), (1_005.0, 4.0)]);
    assert!(redraws(&update(&mut m, next)));
    let points: Vec<f64> = m.queries[0].series[0].points.iter().map(|p| p.v).collect();
    assert_eq!(points, [1.0, 2.0, 3.5, 4.0]);
}

#[test]
fn unchanged_instant_values_ask_for_no_frame() {
    let mut m = model();
    assert!(redraws(&update(&mut m, instant(1_000, 12.0))));
    assert!(!redraws(&update(&mut m, instant(1_001, 12.0))), "only the evaluation time moved");
    assert!(redraws(&update(&mut m, instant(1_002, 13.0))));
}

#[test]
fn fresh_data_after_a_stale_spell_asks_for_a_frame() {
    let mut m = model();
    assert!(redraws(&update(&mut m, instant(1_000, 12.0))));
    // Nothing for 10 s (stale after 2 × 1 s + 1 s), then the same value again.
    update(&mut m, Msg::Tick(at(1_010)));
    assert!(redraws(&update(&mut m, instant(1_010, 12.0))), "stale → ok");
}

#[test]
fn an_error_then_the_same_data_asks_for_a_frame() {
    let mut m = model();
    assert!(redraws(&update(&mut m, instant(1_000, 12.0))));
    let failed = clock::instant(1, 1_001, Err(warroom::prom::PromError::Timeout(800)));
    let failed = Msg::Poll(Box::new(failed));
    assert!(redraws(&update(&mut m, failed)));
    assert!(redraws(&update(&mut m, instant(1_002, 12.0))), "error → ok");
}

#[test]
fn a_query_only_alert_rules_read_asks_for_a_frame_only_when_an_alert_moves() {
    let mut m = model();
    // Queries: the panels' (0, 1), the chart's live twin (2), then the rule's own (3).
    assert_eq!(m.alerts.query_of("Busy"), Some(3), "the rule's own query comes last");
    // The first answer of all brings the source up in the header: that is a frame.
    assert!(redraws(&update(&mut m, instant(1_000, 12.0))));
    assert!(!redraws(&update(&mut m, instant_for(3, 1_000, 10.0))), "no panel shows it");
    assert!(!redraws(&update(&mut m, instant_for(3, 1_001, 20.0))));
    assert!(redraws(&update(&mut m, instant_for(3, 1_002, 150.0))), "the alert fires");
}

#[test]
fn prometheus_alerts_that_repeat_ask_for_no_frame() {
    use warroom::pager::{PagerMsg, PromAlert, PromState};
    let mut m = model();
    let alert = PromAlert {
        labels: Labels::from([("alertname".to_string(), "PgDown".to_string())]),
        annotations: Labels::new(),
        state: PromState::Firing,
        active_at: Some(at(990)),
        value: 0.0,
    };
    let msg = |now: i64, alerts: Vec<PromAlert>| {
        Msg::Pager(PagerMsg::PromAlerts { source: 0, at: at(now), result: Ok(alerts) })
    };
    assert!(redraws(&update(&mut m, msg(1_001, vec![alert.clone()]))), "a new alert");
    assert!(!redraws(&update(&mut m, msg(1_002, vec![alert.clone()]))), "the same alert");
    assert!(redraws(&update(&mut m, msg(1_003, vec![]))), "resolved");
    assert!(!redraws(&update(&mut m, msg(1_004, vec![]))), "still none");
    let down = Err(warroom::prom::PromError::Network("refused".into()));
    let failed = |now: i64| {
        Msg::Pager(PagerMsg::PromAlerts { source: 0, at: at(now), result: down.clone() })
    };
    assert!(redraws(&update(&mut m, failed(1_005))), "the source failed");
    assert!(!redraws(&update(&mut m, failed(1_006))), "still failing the same way");
}

#[test]
fn a_live_answer_that_changes_a_panel_asks_for_a_frame() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut m = clock::model(1_000, 160, 48);
    clock::range(&mut m, 1_000, 1_000);
    // The stat value, the legend and the chart's rightmost point show the twin's newest sample.
    assert!(redraws(&clock::live(&mut m, 1_001, &[("clock", 1.0)])), "a newer value");
    assert!(!redraws(&clock::live(&mut m, 1_002, &[("clock", 1.0)])), "the same value again");
    assert!(redraws(&clock::live(&mut m, 1_003, &[("clock", 3.0)])), "it moved");
    // Panned into the past the panels show their window only: the live value is not on screen.
    let pan = KeyEvent::from(KeyCode::Char('['));
    update(&mut m, Msg::Key { key: pan, at: std::time::Instant::now() });
    assert!(!m.window.offset.is_zero());
    assert!(!redraws(&clock::live(&mut m, 1_004, &[("clock", 4.0)])), "not shown while panned");
}
