//! The demo dashboard filled straight from the simulator at a fixed moment, without HTTP or a
//! clock: the same frame every time, for snapshot tests and render benchmarks.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::source::SimSource;
use crate::config::{self, Overrides};
use crate::model::Model;
use crate::msg::Msg;
use crate::prom::client::Fetched;
use crate::prom::poller::{plan, PollResult};
use crate::prom::{Labels, Point, QueryData, QueryResponse, Sample, Series};
use crate::update::update;

/// Unix time the pinned meltdown starts at (2026-11-11 20:00:00 UTC: Singles' Day, peak hour).
pub const PINNED_START: i64 = 1_794_427_200;

/// The demo model `seconds` into the meltdown, at terminal size `width`×`height`.
pub fn demo_model(seconds: u32, width: u16, height: u16) -> Model {
    let shown = std::path::Path::new("<demo dashboard>");
    let file = match config::load_str(super::DASHBOARD, shown, &Overrides::default()) {
        Ok(f) => f,
        Err(problems) => panic!("the built-in demo dashboard is invalid: {problems:?}"),
    };
    let now = at(PINNED_START + i64::from(seconds));
    let mut model = Model::new(&file.config, now);
    update(&mut model, Msg::Resize { width, height });
    update(&mut model, Msg::Tick(now));
    let mut sim = SimSource::new(PINNED_START as f64);
    sim.advance_to(now.timestamp() as f64);
    for q in model.query_specs() {
        let p = plan(&q, &model.window, None, now);
        let data = if q.range {
            let mut series: Vec<Series> = Vec::new();
            let mut t = p.start;
            while t <= p.end {
                for (labels, v) in sim.eval(&q.expr, t).unwrap_or_default() {
                    push(&mut series, labels, Point { t, v });
                }
                t += p.step.as_secs_f64();
            }
            QueryData::Matrix(series)
        } else {
            let t = now.timestamp() as f64;
            QueryData::Vector(
                sim.eval(&q.expr, t)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(labels, v)| Sample {
                        labels,
                        point: Point { t, v },
                    })
                    .collect(),
            )
        };
        let fetched = Fetched {
            response: QueryResponse {
                data,
                warnings: Vec::new(),
                partial: false,
            },
            rtt: Duration::from_millis(4),
            bytes: 0,
        };
        let result = PollResult {
            query: q.id,
            generation: model.window.generation,
            kind: p.kind,
            at: now,
            start: p.start,
            end: p.end,
            step: p.step,
            outcome: Ok(fetched),
        };
        update(&mut model, Msg::Poll(Box::new(result)));
    }
    model
}

fn push(series: &mut Vec<Series>, labels: Labels, p: Point) {
    match series.iter_mut().find(|s| s.labels == labels) {
        Some(s) => s.points.push(p),
        None => series.push(Series {
            labels,
            points: vec![p],
        }),
    }
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}
