//! The demo dashboard filled straight from the simulator at a fixed moment, without HTTP or a
//! clock: the same frame every time, for snapshot tests and render benchmarks.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::source::SimSource;
use crate::config::{self, Overrides};
use crate::model::Model;
use crate::msg::Msg;
use crate::pager::PagerMsg;
use crate::prom::client::Fetched;
use crate::prom::plan::{plan, Held, Plan};
use crate::prom::PollResult;
use crate::prom::{Labels, Point, QueryData, QueryResponse, Sample, Series};
use crate::update::update;

/// Unix time the pinned meltdown starts at (2026-11-11 20:00:00 UTC: Singles' Day, peak hour).
pub const PINNED_START: i64 = 1_794_427_200;

/// The demo model `seconds` into the meltdown, at terminal size `width`×`height`.
#[allow(clippy::panic, reason = "the compiled-in dashboard is constant; its tests load it")]
pub fn demo_model(seconds: u32, width: u16, height: u16) -> Model {
    let shown = std::path::Path::new("<demo dashboard>");
    let file = match config::load_str(super::DASHBOARD, shown, &Overrides::default()) {
        Ok(f) => f,
        Err(problems) => panic!("the built-in demo dashboard is invalid: {problems:?}"),
    };
    let now = at(PINNED_START + i64::from(seconds));
    let mut model = Model::new(&file.config, at(PINNED_START));
    update(&mut model, Msg::Resize { width, height });
    let mut sim = SimSource::new(PINNED_START as f64);
    let specs = model.query_specs();
    let mut last: Vec<Option<Held>> = vec![None; specs.len()];
    // Replay the pollers once per second, as the real loop would, so alerts go through `for`.
    for t in PINNED_START..=now.timestamp() {
        let tick = at(t);
        update(&mut model, Msg::Tick(tick));
        sim.advance_to(t as f64);
        // The simulator's own alerting rules: none, as its `/api/v1/alerts` answers.
        for source in model.pager.sources.iter().map(|s| s.index).collect::<Vec<_>>() {
            let alerts = PagerMsg::PromAlerts { source, at: tick, result: Ok(Vec::new()) };
            update(&mut model, Msg::Pager(alerts));
        }
        for q in &specs {
            let p = plan(q, &model.window, last[q.id], tick);
            if q.range {
                last[q.id] = Some(p.held(model.window.generation, Duration::ZERO));
            }
            let data = answer(&sim, &q.expr, q.range, &p);
            let fetched = Fetched {
                response: QueryResponse { data, warnings: Vec::new(), partial: false },
                rtt: Duration::from_millis(4),
                bytes: 0,
            };
            let result = PollResult::of(q.id, model.window.generation, &p, Ok(fetched));
            update(&mut model, Msg::Poll(Box::new(result)));
        }
    }
    model
}

fn answer(sim: &SimSource, expr: &str, range: bool, p: &Plan) -> QueryData {
    if !range {
        return QueryData::Vector(
            sim.eval(expr, p.end)
                .unwrap_or_default()
                .into_iter()
                .map(|(labels, v)| Sample { labels, point: Point { t: p.end, v } })
                .collect(),
        );
    }
    let mut series: Vec<Series> = Vec::new();
    let mut t = p.start;
    while t <= p.end {
        for (labels, v) in sim.eval(expr, t).unwrap_or_default() {
            push(&mut series, labels, Point { t, v });
        }
        t += p.step.as_secs_f64();
    }
    QueryData::Matrix(series)
}

fn push(series: &mut Vec<Series>, labels: Labels, p: Point) {
    match series.iter_mut().find(|s| s.labels == labels) {
        Some(s) => s.points.push(p),
        None => series.push(Series { labels, points: vec![p] }),
    }
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}
