//! An alert storm: one rule with 20,000 firing series. What a key costs while it rages (the
//! list is cached, so moving the selection and drawing a frame touch only what is shown), what
//! one evaluation costs, and what rebuilding the alert list costs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::config::{load_str, Overrides};
use warroom::model::{Focus, Model};
use warroom::msg::Msg;
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Point, QueryData, QueryResponse, Sample};
use warroom::theme::Theme;
use warroom::update::update;

const SERIES: usize = 20_000;

const CONFIG: &str = r#"
refresh = "1s"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"
fetch_alerts = false
[[alerts]]
name = "StormCpu"
query = "cpu"
warning = 80
summary = "CPU {{ value }}% on {{ labels.instance }}"
"#;

fn answer(t: i64) -> Msg {
    let samples = (0..SERIES)
        .map(|i| Sample {
            labels: BTreeMap::from([
                ("instance".to_string(), format!("db-{i:05}.prod.internal:9187")),
                ("job".to_string(), "postgres".to_string()),
            ]),
            point: Point { t: t as f64, v: 90.0 + (i % 10) as f64 },
        })
        .collect();
    Msg::Poll(Box::new(PollResult {
        query: 0,
        generation: 0,
        kind: FetchKind::Instant,
        at: support::at(t),
        start: t as f64,
        end: t as f64,
        step: Duration::from_secs(1),
        outcome: Ok(Fetched {
            response: QueryResponse {
                data: QueryData::Vector(samples),
                warnings: vec![],
                partial: false,
            },
            rtt: Duration::from_millis(5),
            bytes: 0,
        }),
    }))
}

fn storm_model() -> Model {
    let file = load_str(CONFIG, std::path::Path::new("storm.toml"), &Overrides::default())
        .unwrap_or_else(|p| panic!("{p:?}"));
    let mut m = Model::new(&file.config, support::at(support::NOW));
    update(&mut m, Msg::Resize { width: 160, height: 48 });
    for s in 0..3 {
        update(&mut m, Msg::Tick(support::at(support::NOW + s)));
        update(&mut m, answer(support::NOW + s));
    }
    m.ui.focus = Focus::Alerts;
    assert_eq!(m.alert_list.firing, SERIES, "the storm is raging");
    m
}

fn storm(c: &mut Criterion) {
    let mut group = c.benchmark_group("storm_20000");
    group.sample_size(10);
    let mut m = storm_model();
    // The whole bench process after three evaluations of the storm: what it costs to hold.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("storm_20000 peak memory after three evaluations: {}", hwm.trim());
    }
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|e| panic!("{e}"));
    let theme = Theme::default();
    let down =
        Msg::Key { key: KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE), at: Instant::now() };
    group.bench_function("key_and_frame", |b| {
        b.iter(|| {
            update(&mut m, down.clone());
            term.draw(|f| warroom::ui::render(&m, &theme, f)).map(|_| ()).unwrap_or_default();
        })
    });
    let mut t = support::NOW + 10;
    group.bench_function("evaluate_and_rebuild", |b| {
        b.iter_batched(
            || {
                t += 1;
                answer(t)
            },
            |msg| update(&mut m, msg),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("rebuild_list", |b| b.iter(|| m.rebuild_alerts()));
    group.finish();
}

criterion_group!(benches, storm);
criterion_main!(benches);
