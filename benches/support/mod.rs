//! Scenarios shared by the criterion benches and the instruction-count bench: a pinned demo
//! dashboard, a synthetic 12 panels × 20 series × 720 points dashboard, poll results for it,
//! and an alert book with 1,000 series.

#![allow(dead_code)] // each bench uses part of it

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::alert::{AlertBook, RuleSpec};
use warroom::config::{self, Overrides};
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, QueryData, QueryResponse, Sample, Series};
use warroom::theme::Theme;
use warroom::update::update;

/// Panels of the synthetic dashboard.
pub const PANELS: usize = 12;
/// Series per panel.
pub const SERIES: usize = 20;
/// Points per series in a full window.
pub const POINTS: usize = 720;
/// Step of the synthetic data: 720 × 5 s = the 1 h window.
pub const STEP_SECS: f64 = 5.0;
/// Series of the alert benchmark.
pub const ALERT_SERIES: usize = 1_000;

/// Pinned "now" of the synthetic dashboard (Unix seconds, on a step boundary).
pub const NOW: i64 = 1_794_427_200;

pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).expect("pinned time is valid")
}

/// A terminal of the given size drawing into memory, as the real loop draws into the tty.
pub fn terminal(width: u16, height: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(width, height)).expect("a test terminal")
}

/// One full frame: `Terminal::draw` runs the render, diffs against the previous frame and
/// writes the changes to the (in-memory) backend.
pub fn draw(terminal: &mut Terminal<TestBackend>, model: &Model, theme: &Theme) {
    terminal.draw(|f| warroom::ui::render(model, theme, f)).expect("draw into a test backend");
}

/// The built-in dashboard's config text with 12 line panels (1 h window, 5 s refresh).
pub fn synthetic_config() -> String {
    let mut toml = String::from(
        "refresh = \"5s\"\nrange = \"1h\"\n\n[[sources]]\nname = \"prometheus\"\n\
         url = \"http://127.0.0.1:9090\"\n",
    );
    for p in 0..PANELS {
        let _ = write!(
            toml,
            "\n[[panels]]\ntitle = \"Panel {p}\"\nkind = \"line\"\nunit = \"percent\"\n\
             query = 'sum by (instance) (rate(metric_{p}_total[1m]))'\n\
             legend = \"{{{{ instance }}}}\"\nwarning = 80\ncritical = 95\n"
        );
    }
    toml
}

/// The synthetic model at `width`×`height`, every panel holding one full window.
pub fn synthetic_model(width: u16, height: u16) -> Model {
    let text = synthetic_config();
    let file = config::load_str(&text, Path::new("<bench>"), &Overrides::default())
        .unwrap_or_else(|p| panic!("synthetic config is invalid: {p:?}"));
    assert_eq!(file.config.panels.len(), PANELS);
    let mut model = Model::new(&file.config, at(NOW));
    update(&mut model, Msg::Resize { width, height });
    update(&mut model, Msg::Tick(at(NOW)));
    for q in 0..model.queries.len() {
        let result = full_result(&model, q, NOW);
        update(&mut model, Msg::Poll(Box::new(result)));
    }
    for q in &model.queries {
        assert_eq!(q.series.len(), SERIES, "every query holds its series");
        assert!(q.series.iter().all(|s| s.points.len() == POINTS), "full windows held");
    }
    model
}

fn labels(i: usize) -> Labels {
    BTreeMap::from([("instance".to_string(), format!("db-{i:02}.prod.internal:9187"))])
}

/// A value that moves, so lines cross cells and the y-axis is not flat.
fn value(q: usize, s: usize, t: f64) -> f64 {
    let phase = (q * 7 + s * 13) as f64;
    50.0 + 40.0 * ((t / 300.0) + phase).sin() + (s as f64)
}

fn series(q: usize, from: f64, to: f64) -> Vec<Series> {
    (0..SERIES)
        .map(|s| {
            let mut points = Vec::with_capacity(POINTS);
            let mut t = from;
            while t <= to {
                points.push(Point { t, v: value(q, s, t) });
                t += STEP_SECS;
            }
            Series { labels: labels(s), points }
        })
        .collect()
}

fn result(
    model: &Model,
    query: usize,
    kind: FetchKind,
    start: f64,
    end: f64,
    now: i64,
) -> PollResult {
    answer(model, query, kind, QueryData::Matrix(series(query, start, end)), [start, end], now)
}

/// The answer `data` to `query` for `[start, end]`, as received at `now`.
fn answer(
    model: &Model,
    query: usize,
    kind: FetchKind,
    data: QueryData,
    [start, end]: [f64; 2],
    now: i64,
) -> PollResult {
    PollResult {
        query,
        generation: model.window.generation,
        kind,
        at: at(now),
        start,
        end,
        step: Duration::from_secs_f64(STEP_SECS),
        outcome: Ok(Fetched {
            response: QueryResponse { data, warnings: Vec::new(), partial: false },
            rtt: Duration::from_millis(3),
            bytes: 0,
        }),
    }
}

/// A full window for `query` ending at `now`: 720 points on each of 20 series.
pub fn full_result(model: &Model, query: usize, now: i64) -> PollResult {
    let end = now as f64;
    let start = end - (POINTS - 1) as f64 * STEP_SECS;
    result(model, query, FetchKind::Full, start, end, now)
}

/// The poll results the pollers send for query 0 of the synthetic dashboard, one after the
/// other from `NOW` on, and the clock ticks before them: each incremental answer holds the
/// last held step again and `steps` new ones (`steps + 1` points on each of 20 series); each
/// full answer holds the whole window. Feeding them in turn keeps the model in its steady
/// state (ring buffers trimmed at the front as they grow at the back).
pub struct Feed {
    kind: FetchKind,
    steps: usize,
    end: i64,
}

impl Feed {
    pub fn incremental(steps: usize) -> Self {
        Feed { kind: FetchKind::Incremental, steps, end: NOW }
    }

    pub fn full(steps: usize) -> Self {
        Feed { kind: FetchKind::Full, steps, end: NOW }
    }

    /// The tick that moves the model's clock to the next answer, and that answer.
    pub fn next(&mut self, model: &Model) -> (Msg, Msg) {
        let from = self.end;
        self.end += (self.steps as f64 * STEP_SECS) as i64;
        let tick = Msg::Tick(at(self.end));
        let result = match self.kind {
            FetchKind::Incremental => {
                result(model, 0, self.kind, from as f64, self.end as f64, self.end)
            }
            _ => full_result(model, 0, self.end),
        };
        (tick, Msg::Poll(Box::new(result)))
    }
}

/// A rule like the ones on a DB CPU panel.
pub fn alert_rule() -> RuleSpec {
    let text = r#"
name = "db_cpu_high"
query = "x"
warning = 80
critical = 95
for = "1m"
summary = "DB CPU {{ value }}% on {{ labels.instance }}"
"#;
    toml::from_str(text).expect("bench rule parses")
}

/// 1,000 latest samples: 1 % critical, 4 % warning, the rest healthy.
pub fn alert_samples(t: f64) -> Vec<Sample> {
    (0..ALERT_SERIES)
        .map(|i| {
            let v = match i % 100 {
                0 => 97.0,
                1..=4 => 85.0,
                _ => 40.0 + (i % 30) as f64,
            };
            let labels = BTreeMap::from([
                ("instance".to_string(), format!("db-{i:04}.prod.internal:9187")),
                ("job".to_string(), "postgres".to_string()),
            ]);
            Sample { labels, point: Point { t, v } }
        })
        .collect()
}

/// A book that has already seen the samples for a while (alerts past `for`): the steady state.
pub fn warm_alert_book(samples: &[Sample]) -> AlertBook {
    let mut book = AlertBook::new(vec![alert_rule()]);
    for s in 0..120 {
        book.observe(0, warroom::alert::Observation::Samples(samples), at(NOW + s));
    }
    book
}

/// A dashboard of `panels` panels (two line charts, then a stat, over and over), each on a
/// query of its own holding one series of 120 points: many panels, little data each, to
/// measure what the grid costs rather than the charts.
pub fn many_panels_model(panels: usize, width: u16, height: u16) -> Model {
    let mut toml = String::from(
        "refresh = \"5s\"\nrange = \"10m\"\n\n[[sources]]\nname = \"prometheus\"\n\
         url = \"http://127.0.0.1:9090\"\n",
    );
    for p in 0..panels {
        let kind = if p % 3 == 2 { "stat" } else { "line" };
        let _ = write!(
            toml,
            "\n[[panels]]\ntitle = \"Panel {p}\"\nkind = \"{kind}\"\nunit = \"percent\"\n\
             query = 'metric_{p}'\nwarning = 80\ncritical = 95\n"
        );
    }
    let file = config::load_str(&toml, Path::new("<bench>"), &Overrides::default())
        .unwrap_or_else(|p| panic!("many-panel config is invalid: {p:?}"));
    let mut model = Model::new(&file.config, at(NOW));
    update(&mut model, Msg::Resize { width, height });
    update(&mut model, Msg::Tick(at(NOW)));
    let end = NOW as f64;
    let start = end - 119.0 * STEP_SECS;
    for q in 0..model.queries.len() {
        let labels = labels(q % SERIES);
        let (kind, data) = if model.queries[q].range {
            let points = (0..120)
                .map(|i| {
                    let t = start + i as f64 * STEP_SECS;
                    Point { t, v: value(q, 0, t) }
                })
                .collect();
            (FetchKind::Full, QueryData::Matrix(vec![Series { labels, points }]))
        } else {
            let point = Point { t: end, v: value(q, 0, end) };
            (FetchKind::Instant, QueryData::Vector(vec![Sample { labels, point }]))
        };
        let result = answer(&model, q, kind, data, [start, end], NOW);
        update(&mut model, Msg::Poll(Box::new(result)));
    }
    model
}
