//! A stat panel and a chart over one clock — one range query (0) and its live twin (1) — and
//! the poll answers that feed them (each returning `update`'s effects), shared by the freshness
//! tests of `update`, of redraws and of the screen.

// Each test binary uses a different part.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use warroom::config::{load_str, Overrides};
use warroom::model::Model;
use warroom::msg::{Effect, Msg};
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
use warroom::update::update;

/// The dashboard: the stat and the chart share one range query, so one twin.
pub const DASHBOARD: &str = r#"
refresh = "1s"
range = "5m"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"
[[panels]]
title = "Clock"
kind = "stat"
query = "clock"
[[panels]]
title = "Clock chart"
kind = "line"
query = "clock"
legend = "{{ name }}"
"#;

pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

/// The dashboard at `now` on a terminal of `width`×`height`.
pub fn model(now: i64, width: u16, height: u16) -> Model {
    let file = load_str(DASHBOARD, Path::new("clock.toml"), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(now));
    update(&mut m, Msg::Resize { width, height });
    update(&mut m, Msg::Tick(at(now)));
    m
}

fn name(n: &str) -> Labels {
    Labels::from([("name".to_string(), n.to_string())])
}

fn feed(m: &mut Model, r: PollResult) -> Vec<Effect> {
    update(m, Msg::Poll(Box::new(r)))
}

fn answer(data: QueryData) -> Result<Fetched, PromError> {
    Ok(Fetched {
        response: QueryResponse { data, warnings: vec![], partial: false },
        rtt: Duration::from_millis(2),
        bytes: 10,
    })
}

/// A full range answer of the current window, asked at `now`: series `clock`, one point every
/// 10 s over the 5 minutes up to `last`, each the clock's seconds (`t % 100`).
pub fn range(m: &mut Model, now: i64, last: i64) -> Vec<Effect> {
    let points = (0..30).map(|i| last - 290 + 10 * i);
    let points = points.map(|t| Point { t: t as f64, v: (t % 100) as f64 }).collect();
    let data = QueryData::Matrix(vec![Series { labels: name("clock"), points }]);
    let generation = m.window.generation;
    feed(
        m,
        PollResult {
            query: 0,
            generation,
            kind: FetchKind::Full,
            at: at(now),
            start: (last - 290) as f64,
            end: last as f64,
            step: Duration::from_secs(10),
            outcome: answer(data),
        },
    )
}

/// An instant poll of query `query` at `now` (of any dashboard).
pub fn instant(query: usize, now: i64, outcome: Result<Fetched, PromError>) -> PollResult {
    PollResult {
        query,
        generation: 0,
        kind: FetchKind::Instant,
        at: at(now),
        start: now as f64,
        end: now as f64,
        step: Duration::from_secs(1),
        outcome,
    }
}

/// The twin's answer at `now`: one sample per `(name, value)`.
pub fn live(m: &mut Model, now: i64, samples: &[(&str, f64)]) -> Vec<Effect> {
    let point = |v: f64| Point { t: now as f64, v };
    let samples = samples.iter().map(|(n, v)| Sample { labels: name(n), point: point(*v) });
    feed(m, instant(1, now, answer(QueryData::Vector(samples.collect()))))
}

/// The twin's poll at `now` failing with `error`.
pub fn live_fails(m: &mut Model, now: i64, error: PromError) -> Vec<Effect> {
    feed(m, instant(1, now, Err(error)))
}

/// The newest point of each series panel `panel` shows, as `(name, t, v)`: the stat value, the
/// legend values and the chart's rightmost points all read it.
pub fn newest(m: &Model, panel: usize) -> Vec<(String, f64, f64)> {
    let data = m.panel_data(&m.panels[panel]).unwrap();
    let last = |s: &warroom::model::Shown| {
        let p = s.points().last().unwrap();
        (s.labels["name"].clone(), p.t, p.v)
    };
    data.series.iter().map(last).collect()
}
