//! The client and the pollers against real servers: Prometheus and VictoriaMetrics each scrape a
//! scripted exporter, and the same checks run against both. Where the two servers differ (error
//! statuses, NaN samples), each check says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch, Semaphore};

use support::{Prometheus, PrometheusOpts, StaticExporter, VictoriaMetrics, VictoriaMetricsOpts};
use warroom::config::{Config, SourceSpec};
use warroom::model::Model;
use warroom::model::Window;
use warroom::msg::Msg;
use warroom::prom::poller::{FetchKind, Pollers};
use warroom::prom::{Client, Labels, Point, PromError, QueryData};
use warroom::update::update;

/// A label value as the text format carries it (ESC raw; quote, backslash, newline escaped),
/// and as the query API gives it back.
const TRICKY_EXPOSED: &str = "\u{1b}[31mred \\\"quoted\\\" back\\\\slash\\nline";
const TRICKY_VALUE: &str = "\u{1b}[31mred \"quoted\" back\\slash\nline";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Prometheus,
    Victoria,
}

/// A server scraping a scripted exporter every second.
struct Server {
    kind: Kind,
    url: String,
    _exporter: Scripted,
    _prometheus: Option<Prometheus>,
    _victoria: Option<VictoriaMetrics>,
}

/// An exporter whose `warroom_real_gauge` and `warroom_real_requests_total` move every 100 ms.
struct Scripted {
    exporter: Arc<StaticExporter>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn metrics(tick: u64) -> String {
    format!(
        "# TYPE warroom_real_const gauge\n\
         warroom_real_const{{state=\"idle in transaction\",db=\"shop\"}} 3\n\
         warroom_real_const{{state=\"{TRICKY_EXPOSED}\",db=\"a\\\\b\"}} 4.5\n\
         warroom_real_const{{state=\"with \\\"quotes\\\"\",db=\"x y\"}} -2.25\n\
         # TYPE warroom_real_nan gauge\n\
         warroom_real_nan NaN\n\
         # TYPE warroom_real_inf gauge\n\
         warroom_real_inf +Inf\n\
         # TYPE warroom_real_gauge gauge\n\
         warroom_real_gauge{{state=\"active\"}} {tick}\n\
         warroom_real_gauge{{state=\"idle\"}} {}\n\
         # TYPE warroom_real_requests_total counter\n\
         warroom_real_requests_total{{code=\"200\"}} {}\n",
        tick % 7,
        tick * 10
    )
}

impl Scripted {
    fn start() -> Self {
        let exporter = Arc::new(StaticExporter::start(&metrics(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (exporter, stop) = (Arc::clone(&exporter), Arc::clone(&stop));
            move || {
                let tick = AtomicU64::new(0);
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                    exporter.set(metrics(tick.fetch_add(1, Ordering::SeqCst) + 1));
                }
            }
        });
        Self { exporter, stop, thread: Some(thread) }
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the exporter and the server, then runs `test` on a runtime of its own.
fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(Server) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let exporter = Scripted::start();
    let target = exporter.exporter.target();
    let server = match kind {
        Kind::Prometheus => {
            let p = Prometheus::start(PrometheusOpts::scraping(target));
            Server {
                kind,
                url: p.url(),
                _exporter: exporter,
                _prometheus: Some(p),
                _victoria: None,
            }
        }
        Kind::Victoria => {
            // A latency offset of 3 s (the harness's 1 s is shorter than a poll interval, so it
            // would hide a poller that re-fetches too little), like production's 30 s in small.
            let opts = VictoriaMetricsOpts {
                extra_args: vec!["-search.latencyOffset=3s".into()],
                ..VictoriaMetricsOpts::scraping(target)
            };
            let v = VictoriaMetrics::start(opts);
            Server {
                kind,
                url: v.url(),
                _exporter: exporter,
                _prometheus: None,
                _victoria: Some(v),
            }
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(test(server));
}

fn client(url: &str, overlap: &str) -> Client {
    let spec: SourceSpec = toml::from_str(&format!(
        "name = \"real\"\nurl = \"{url}\"\ntimeout = \"5s\"\nincremental_overlap = \"{overlap}\""
    ))
    .expect("source spec");
    Client::new(&spec).expect("client")
}

/// Polls the instant query until it returns at least `n` series.
async fn wait_for(c: &Client, expr: &str, n: usize) -> Vec<warroom::prom::Sample> {
    for _ in 0..300 {
        if let Ok(f) = c.query(expr, None).await {
            if let QueryData::Vector(v) = f.response.data {
                if v.len() >= n {
                    return v;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{expr}: fewer than {n} series after 30 s");
}

fn now_s() -> f64 {
    Utc::now().timestamp_millis() as f64 / 1000.0
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn queries_decode_exactly(s: Server) {
    let c = client(&s.url, "30s");
    wait_for(&c, "warroom_real_const", 3).await;
    // Enough history for the range query below.
    tokio::time::sleep(Duration::from_secs(10)).await;

    let QueryData::Vector(mut v) = c.query("warroom_real_const", None).await.unwrap().response.data
    else {
        panic!("instant query without a vector");
    };
    v.sort_by(|a, b| a.point.v.total_cmp(&b.point.v));
    let target = s._exporter.exporter.target();
    let base = |state: &str, db: &str| {
        labels(&[
            ("__name__", "warroom_real_const"),
            ("db", db),
            ("instance", &target),
            ("job", "exporter"),
            ("state", state),
        ])
    };
    let got: Vec<(Labels, f64)> = v.into_iter().map(|s| (s.labels, s.point.v)).collect();
    assert_eq!(
        got,
        vec![
            (base("with \"quotes\"", "x y"), -2.25),
            (base("idle in transaction", "shop"), 3.0),
            (base(TRICKY_VALUE, "a\\b"), 4.5),
        ],
        "{:?}",
        s.kind
    );

    let inf = c.query("warroom_real_inf", None).await.unwrap().response.data.latest();
    assert_eq!(inf.iter().map(|s| s.point.v).collect::<Vec<_>>(), vec![f64::INFINITY]);
    let nan = c.query("warroom_real_nan", None).await.unwrap().response.data.latest();
    match s.kind {
        Kind::Prometheus => assert!(nan.len() == 1 && nan[0].point.v.is_nan(), "{nan:?}"),
        // VictoriaMetrics stores NaN as "no value": the series is not in the answer.
        Kind::Victoria => assert!(nan.is_empty(), "{nan:?}"),
    }

    let end = (now_s() - 4.0).floor();
    let range = c
        .query_range(r#"warroom_real_const{db="shop"}"#, end - 4.0, end, Duration::from_secs(1))
        .await
        .unwrap();
    let QueryData::Matrix(m) = range.response.data else { panic!("range query without a matrix") };
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].labels, base("idle in transaction", "shop"));
    let want: Vec<Point> = (0..5).map(|i| Point { t: end - 4.0 + f64::from(i), v: 3.0 }).collect();
    assert_eq!(m[0].points, want, "{:?}", s.kind);

    // A parse error: 400 bad_data from Prometheus, 422 (named bad_data) from VictoriaMetrics.
    let status = if s.kind == Kind::Prometheus { 400 } else { 422 };
    match c.query("sum(rate(warroom_real_requests_total[1m])", None).await {
        Err(PromError::Api { status: got, error_type, message }) => {
            assert_eq!((got, error_type.as_str()), (status, "bad_data"), "{message}");
        }
        other => panic!("{:?}: {other:?}", s.kind),
    }
    // Too many points per series: Prometheus caps at 11,000, VictoriaMetrics at 30,000.
    let now = now_s().floor();
    match c.query_range("warroom_real_const", now - 200_000.0, now, Duration::from_secs(1)).await {
        Err(e @ PromError::Api { .. }) => {
            assert_eq!(e.class(), "bad_data", "{e}");
            assert!(!e.is_retryable());
            assert!(matches!(e, PromError::Api { status: got, .. } if got == status), "{e:?}");
        }
        other => panic!("{:?}: {other:?}", s.kind),
    }
}

#[test]
fn prometheus_queries_decode_exactly() {
    run(Kind::Prometheus, queries_decode_exactly);
}

#[test]
fn victoria_metrics_queries_decode_exactly() {
    run(Kind::Victoria, queries_decode_exactly);
}

/// Pollers feed a model for a while; its window then matches a full query of the same steps.
async fn incremental_matches_full(s: Server) {
    let overlap = Duration::from_secs(4);
    let c = client(&s.url, "4s");
    wait_for(&c, "warroom_real_gauge", 2).await;
    let config: Config = toml::from_str(&format!(
        "refresh = \"1s\"\nrange = \"20s\"\n\
         [[sources]]\nname = \"real\"\nurl = \"{}\"\nincremental_overlap = \"4s\"\n\
         [[panels]]\ntitle = \"gauge\"\nquery = \"warroom_real_gauge\"\n",
        s.url
    ))
    .expect("config");
    let mut model = Model::new(&config, Utc::now());
    model.window = Window {
        range: Duration::from_secs(20),
        offset: Duration::ZERO,
        max_points: 21,
        generation: 0,
    };
    let (_window_tx, window_rx) = watch::channel(model.window);
    let (tx, mut rx) = mpsc::channel(64);
    let caps = vec![Arc::new(Semaphore::new(2))];
    let mut pollers =
        Pollers::start(model.query_specs(), std::slice::from_ref(&c), &caps, window_rx, tx, |r| {
            Msg::Poll(Box::new(r))
        });
    // 24 s: longer than the window, so points age out of the model while it runs.
    let mut kinds = Vec::new();
    let mut last = None;
    // The window's start when the chart's last result was taken in: points are trimmed then,
    // not on every tick after it.
    let mut window_start = f64::NEG_INFINITY;
    let until = tokio::time::Instant::now() + Duration::from_secs(24);
    while let Ok(Some(msg)) = tokio::time::timeout_at(until, rx.recv()).await {
        let mut chart = false;
        if let Msg::Poll(r) = &msg {
            assert!(r.outcome.is_ok(), "{:?}: {:?}", s.kind, r.outcome);
            // The chart's range query; its live twin (an instant query) polls beside it.
            if r.query == model.panels[0].query {
                kinds.push(r.kind);
                last = Some((r.at, r.end));
                chart = true;
            }
        }
        update(&mut model, Msg::Tick(Utc::now()));
        update(&mut model, msg);
        if chart {
            window_start = model.window_start();
        }
    }
    pollers.stop();
    assert_eq!(kinds.first(), Some(&FetchKind::Full), "{kinds:?}");
    assert!(kinds.len() >= 15, "{} polls in 24 s at 1 s: {kinds:?}", kinds.len());
    // Two polls within one step find nothing new to ask for (Unchanged, no request).
    let later = &kinds[1..];
    assert!(later.iter().all(|k| matches!(k, FetchKind::Incremental | FetchKind::Unchanged)));
    let incremental = later.iter().filter(|k| **k == FetchKind::Incremental).count();
    assert!(incremental >= 12, "{kinds:?}");

    let (at, end) = last.expect("a poll result");
    let q = &model.queries[0];
    assert_eq!(q.series.len(), 2, "{:?}", q.series);
    for buf in &q.series {
        assert!(buf.points.len() <= 21, "{} points in a 21-point window", buf.points.len());
        assert!(buf.points.iter().all(|p| p.t >= window_start), "trimmed to the window");
        assert_eq!(buf.last().map(|p| p.t), Some(end), "holds the newest step");
    }

    // Points settled when last fetched must equal a full fetch made now. (The newest ones may
    // still change: VictoriaMetrics copies the previous point over its latency offset.)
    let settled = at.timestamp_millis() as f64 / 1000.0 - overlap.as_secs_f64();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let first = q.series.iter().filter_map(|b| b.points.front()).map(|p| p.t).fold(end, f64::min);
    let full = c.query_range("warroom_real_gauge", first, end, Duration::from_secs(1)).await;
    let QueryData::Matrix(full) = full.unwrap().response.data else { panic!("not a matrix") };
    let mut compared = 0;
    for buf in &q.series {
        let want: Vec<Point> = full
            .iter()
            .find(|s| s.labels == buf.labels)
            .map(|s| s.points.iter().copied().filter(|p| p.t <= settled).collect())
            .unwrap_or_default();
        let held: Vec<Point> = buf.points.iter().copied().filter(|p| p.t <= settled).collect();
        assert_eq!(held, want, "{:?} {:?}", s.kind, buf.labels);
        compared += held.len();
    }
    assert!(compared >= 20, "only {compared} points compared");
}

#[test]
fn prometheus_incremental_fetches_match_a_full_fetch() {
    run(Kind::Prometheus, incremental_matches_full);
}

#[test]
fn victoria_metrics_incremental_fetches_match_a_full_fetch() {
    run(Kind::Victoria, incremental_matches_full);
}

/// The built-in dashboard's DB CPU panel on Prometheus's default scrape config: process-exporter
/// and node_exporter are two targets of one host, each `instance` with its own port (no
/// relabelling). The panel joins them on the host and names it as the `instance`.
#[test]
fn the_built_in_db_cpu_panel_has_data_on_a_stock_scrape_config() {
    let process = StaticExporter::start(
        "namedprocess_namegroup_cpu_seconds_total{groupname=\"postgres\",mode=\"user\"} 10\n",
    );
    let node = StaticExporter::start(
        "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 100\n\
         node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 100\n",
    );
    let opts = PrometheusOpts {
        targets: vec![process.target(), node.target()],
        ..PrometheusOpts::default()
    };
    let prometheus = Prometheus::start(opts);
    let defaults = warroom::config::load_str(
        warroom::config::DEFAULT_CONFIG,
        std::path::Path::new("default.toml"),
        &warroom::config::Overrides::default(),
    )
    .expect("the built-in config");
    let panel = defaults.config.panels.iter().find(|p| p.id() == "db-cpu").expect("db-cpu");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let c = client(&prometheus.url(), "30s");
    // The old join `on (instance)` matched nothing here: 127.0.0.1:<one port> is not
    // 127.0.0.1:<the other>.
    let series = runtime.block_on(wait_for(&c, &panel.query, 1));
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0].labels.get("instance").map(String::as_str), Some("127.0.0.1"));
    assert_eq!(series[0].labels.get("host").map(String::as_str), Some("127.0.0.1"));
    assert!(series[0].point.v.is_finite(), "{series:?}");
}

/// Guards and verify queries read from the real server: a comparison holds when every series
/// passes and shows the value closest to failing; no data and a dead source never hold; a
/// watched verify query ends as soon as it holds, or when its time is up.
async fn guards_and_verification_read_live_data(s: Server) {
    use warroom::msg::VerifyStage;
    use warroom::runbook::guard::read_on;
    use warroom::units::Unit;
    let c = client(&s.url, "30s");
    wait_for(&c, "warroom_real_const", 3).await;

    let r = read_on(&c, "max(warroom_real_const) < 5", &Unit::None).await;
    assert_eq!((r.holds, r.value, r.shown.as_str()), (Some(true), Some(4.5), "4.5 (needs < 5)"));
    let r = read_on(&c, "0 < min(warroom_real_const)", &Unit::None).await;
    assert_eq!((r.holds, r.shown.as_str()), (Some(false), "-2.25 (needs > 0)"));
    let r = read_on(&c, "warroom_real_const > -10", &Unit::None).await;
    assert_eq!((r.holds, r.shown.as_str()), (Some(true), "-2.25 (needs > -10), 3 series"));
    let r = read_on(&c, "warroom_real_const{db=\"shop\"} == 3", &Unit::None).await;
    assert_eq!((r.holds, r.shown.as_str()), (Some(true), "1 series"));
    let r = read_on(&c, "max(warroom_real_no_such_metric) < 1", &Unit::None).await;
    assert_eq!((r.holds, r.shown.as_str()), (None, "no data"));
    let dead = client(&format!("http://127.0.0.1:{}", support::free_port()), "30s");
    let r = read_on(&dead, "max(warroom_real_const) < 5", &Unit::None).await;
    assert!(r.holds.is_none() && r.shown.starts_with("cannot check: "), "{r:?}");

    let watch = |query: &str, within: Option<Duration>| {
        let (tx, mut rx) = mpsc::channel(16);
        let verify = warroom::runbook::Verify {
            query: query.to_owned(),
            within: within.unwrap_or(Duration::from_secs(1)),
            unit: Unit::None,
        };
        warroom::asks::verify((1, within.is_some()), verify, c.clone(), tx);
        async move {
            let mut seen = Vec::new();
            while let Some(Msg::VerifyRead { reading, stage, .. }) = rx.recv().await {
                seen.push((reading, stage));
            }
            seen
        }
    };
    let before = watch("max(warroom_real_const) < 5", None).await;
    assert_eq!(before.len(), 1);
    assert_eq!((before[0].0.value, before[0].1), (Some(4.5), VerifyStage::Before));

    let effective = watch("max(warroom_real_const) > 4", Some(Duration::from_secs(30))).await;
    assert_eq!(effective.len(), 1, "done at the first reading that holds: {effective:?}");
    assert!(effective[0].0.ok() && matches!(effective[0].1, VerifyStage::Done { .. }));

    let started = std::time::Instant::now();
    let not = watch("max(warroom_real_const) > 100", Some(Duration::from_secs(3))).await;
    let (last, stage) = not.last().expect("a last reading");
    assert!(!last.ok());
    let VerifyStage::Done { elapsed } = *stage else { panic!("{not:?}") };
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(not.len() >= 2, "watched more than once: {not:?}");
    assert!(not[..not.len() - 1].iter().all(|(_, s)| *s == VerifyStage::Watching));
}

#[test]
fn prometheus_guards_and_verification_read_live_data() {
    run(Kind::Prometheus, guards_and_verification_read_live_data);
}

#[test]
fn victoria_metrics_guards_and_verification_read_live_data() {
    run(Kind::Victoria, guards_and_verification_read_live_data);
}
