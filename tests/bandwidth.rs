//! Over a slow link every redrawn cell costs: a poll that brings nothing new asks for no redraw,
//! and a clock tick between two chart steps changes only the header's cells.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use warroom::config::{load_str, Overrides};
use warroom::demo::{demo_model, PINNED_START};
use warroom::model::Model;
use warroom::msg::{Effect, Msg};
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, QueryData, QueryResponse, Sample, Series};
use warroom::theme::Theme;
use warroom::update::update;

const T0: i64 = 1_794_427_200;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

const CONFIG: &str = r#"
refresh = "1s"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"
[[panels]]
title = "Line"
query = "line"
[[panels]]
title = "Stat"
kind = "stat"
query = "stat"
"#;

fn model() -> Model {
    let file = load_str(CONFIG, Path::new("test.toml"), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(T0));
    update(&mut m, Msg::Resize { width: 100, height: 30 });
    update(&mut m, Msg::Tick(at(T0)));
    m
}

fn labels() -> Labels {
    [("job".to_string(), "db".to_string())].into_iter().collect()
}

fn poll(
    m: &mut Model,
    query: usize,
    kind: FetchKind,
    now: i64,
    start: f64,
    data: QueryData,
    warnings: Vec<String>,
) -> bool {
    update(m, Msg::Tick(at(now)));
    let r = PollResult {
        query,
        generation: m.window.generation,
        kind,
        at: at(now),
        start,
        end: now as f64,
        step: Duration::from_secs(1),
        outcome: Ok(Fetched {
            response: QueryResponse { data, warnings, partial: false },
            rtt: Duration::from_millis(2),
            bytes: 10,
        }),
    };
    update(m, Msg::Poll(Box::new(r))).iter().any(|e| matches!(e, Effect::Redraw))
}

fn matrix(points: &[(i64, f64)]) -> QueryData {
    let points = points.iter().map(|&(t, v)| Point { t: t as f64, v }).collect();
    QueryData::Matrix(vec![Series { labels: labels(), points }])
}

fn vector(t: i64, v: f64) -> QueryData {
    QueryData::Vector(vec![Sample { labels: labels(), point: Point { t: t as f64, v } }])
}

#[test]
fn range_answers_redraw_only_when_a_point_is_new_or_different() {
    let mut m = model();
    let pts: Vec<(i64, f64)> = (0..10).map(|i| (T0 - 10 + i, i as f64)).collect();
    assert!(poll(&mut m, 0, FetchKind::Full, T0, (T0 - 300) as f64, matrix(&pts), vec![]));
    assert!(
        !poll(&mut m, 0, FetchKind::Full, T0, (T0 - 300) as f64, matrix(&pts), vec![]),
        "the same full window again"
    );
    let last = pts[pts.len() - 1];
    let from = last.0 as f64;
    assert!(
        !poll(&mut m, 0, FetchKind::Incremental, T0, from, matrix(&[last]), vec![]),
        "an incremental fetch that brings back only the newest point held"
    );
    assert!(
        poll(&mut m, 0, FetchKind::Incremental, T0, from, matrix(&[(last.0, f64::NAN)]), vec![]),
        "a changed value (even to NaN) is a change"
    );
    assert!(
        !poll(&mut m, 0, FetchKind::Incremental, T0, from, matrix(&[(last.0, f64::NAN)]), vec![]),
        "NaN again is no change"
    );
    assert!(
        poll(
            &mut m,
            0,
            FetchKind::Incremental,
            T0 + 1,
            from,
            matrix(&[(T0, 1.0), (T0 + 1, 2.0)]),
            vec![]
        ),
        "a new step"
    );
    let warn = vec!["partial answer".to_string()];
    assert!(poll(&mut m, 0, FetchKind::Full, T0 + 1, from, matrix(&[(T0 + 1, 2.0)]), warn.clone()));
    assert!(!poll(
        &mut m,
        0,
        FetchKind::Incremental,
        T0 + 1,
        (T0 + 1) as f64,
        matrix(&[(T0 + 1, 2.0)]),
        warn
    ));
}

#[test]
fn instant_answers_redraw_only_when_the_value_changes_or_data_was_stale() {
    let mut m = model();
    assert!(poll(&mut m, 1, FetchKind::Instant, T0, 0.0, vector(T0, 5.0), vec![]));
    assert!(
        !poll(&mut m, 1, FetchKind::Instant, T0 + 1, 0.0, vector(T0 + 1, 5.0), vec![]),
        "same value, newer timestamp: nothing on screen changes"
    );
    assert!(poll(&mut m, 1, FetchKind::Instant, T0 + 2, 0.0, vector(T0 + 2, 6.0), vec![]));
    assert!(
        poll(&mut m, 1, FetchKind::Instant, T0 + 60, 0.0, vector(T0 + 60, 6.0), vec![]),
        "after a silence the same value is news: the STALE mark goes"
    );
    assert!(poll(&mut m, 1, FetchKind::Instant, T0 + 61, 0.0, QueryData::Vector(vec![]), vec![]));
}

fn render(model: &Model, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::render(model, &Theme::default(), f)).unwrap();
    t.backend().buffer().clone()
}

/// Rows whose cells (symbol or style) differ.
fn changed_rows(a: &Buffer, b: &Buffer) -> Vec<u16> {
    (0..a.area.height).filter(|&y| (0..a.area.width).any(|x| a[(x, y)] != b[(x, y)])).collect()
}

#[test]
fn a_clock_tick_between_chart_steps_changes_only_the_header() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut m = demo_model(90, w, h);
        let before = render(&m, w, h);
        update(&mut m, Msg::Tick(at(PINNED_START + 91)));
        let after = render(&m, w, h);
        assert_eq!(changed_rows(&before, &after), vec![0], "{w}x{h}: only the clock moves");
    }
}
