//! Instant queries combined into one request, against real Prometheus and VictoriaMetrics: every
//! query gets the answer it would get alone (series, values, its own error), queries that cannot
//! be combined (a scalar, a range vector, a syntax error) are asked alone, and the server sees
//! one request per poll for the rest. Against the demo's simulator, which takes no combined
//! queries, the pollers fall back to one request per query.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch, Semaphore};

use support::{http, Prometheus, PrometheusOpts, StaticExporter};
use support::{VictoriaMetrics, VictoriaMetricsOpts};
use warroom::config::SourceSpec;
use warroom::model::Window;
use warroom::prom::poller::{PollResult, Pollers, QuerySpec};
use warroom::prom::{Client, PromError, QueryData};

const METRICS: &str = "# TYPE warroom_c_gauge gauge\n\
    warroom_c_gauge{state=\"active\"} 3\n\
    warroom_c_gauge{state=\"idle\"} 5\n\
    warroom_c_gauge{state=\"idle in transaction\"} 7\n";

/// The queries polled together: (expression, what it must come to).
const QUERIES: [&str; 7] = [
    "warroom_c_gauge",
    "sum(warroom_c_gauge)",
    "scalar(sum(warroom_c_gauge))",
    "sum(warroom_c_gauge) +",
    "warroom_c_missing",
    "warroom_c_gauge{state=\"idle\"} # the idle ones",
    "warroom_c_gauge[1m]",
];

fn client(url: &str) -> Client {
    let spec: SourceSpec =
        toml::from_str(&format!("name = \"real\"\nurl = \"{url}\"\ntimeout = \"3s\""))
            .expect("source spec");
    Client::new(&spec).expect("client")
}

fn specs(combine: bool) -> Vec<QuerySpec> {
    QUERIES
        .iter()
        .enumerate()
        .map(|(id, e)| QuerySpec {
            id,
            source: 0,
            expr: e.to_string(),
            range: false,
            interval: Duration::from_secs(1),
            incremental: true,
            combine,
        })
        .collect()
}

/// What an answer comes to, without its evaluation time: sorted series as `labels=value`, or
/// the error's class.
fn gist(outcome: &Result<warroom::prom::Fetched, PromError>) -> String {
    match outcome {
        Err(e) => format!("error {}", e.class()),
        Ok(f) => match &f.response.data {
            QueryData::Vector(v) => {
                // Without the target's labels, which change from run to run.
                let mut rows: Vec<String> = v
                    .iter()
                    .map(|s| {
                        let mut labels = s.labels.clone();
                        labels.retain(|k, _| k != "instance" && k != "job");
                        format!("{labels:?}={}", s.point.v)
                    })
                    .collect();
                rows.sort();
                format!("vector [{}]", rows.join(", "))
            }
            QueryData::Scalar(p) => format!("scalar {}", p.v),
            QueryData::Matrix(m) => format!("matrix of {}", m.len()),
        },
    }
}

/// Runs the pollers for `secs` and returns the last result of each query.
async fn poll_for(c: Client, specs: Vec<QuerySpec>, secs: u64) -> BTreeMap<usize, PollResult> {
    let window = Window {
        range: Duration::from_secs(60),
        offset: Duration::ZERO,
        max_points: 60,
        generation: 0,
    };
    let (_wtx, wrx) = watch::channel(window);
    let (tx, mut rx) = mpsc::channel(256);
    let caps = vec![Arc::new(Semaphore::new(4))];
    let mut pollers = Pollers::start(specs, std::slice::from_ref(&c), &caps, wrx, tx, |r| r);
    let mut last = BTreeMap::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    while let Ok(Some(r)) = tokio::time::timeout_at(until, rx.recv()).await {
        last.insert(r.query, r);
    }
    pollers.stop();
    last
}

/// Requests to `/api/v1/query` the server has counted, from its own `/metrics`.
fn query_requests(url: &str) -> f64 {
    let body = http::get(&format!("{url}/metrics")).expect("GET /metrics").body;
    body.lines()
        .filter(|l| {
            (l.starts_with("prometheus_http_requests_total{")
                && l.contains("handler=\"/api/v1/query\""))
                || (l.starts_with("vm_http_requests_total{")
                    && l.contains("path=\"/api/v1/query\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn answers_match_asking_alone(url: String) {
    let c = client(&url);
    let alone = poll_for(c.clone(), specs(false), 3).await;
    let together = poll_for(c.clone(), specs(true), 4).await;
    assert_eq!(together.len(), QUERIES.len(), "every query got an answer");
    for (id, expr) in QUERIES.iter().enumerate() {
        assert_eq!(gist(&together[&id].outcome), gist(&alone[&id].outcome), "{expr}");
    }
    // The answers are the real ones, not merely equal.
    assert_eq!(
        gist(&together[&0].outcome),
        "vector [{\"__name__\": \"warroom_c_gauge\", \"state\": \"active\"}=3, \
         {\"__name__\": \"warroom_c_gauge\", \"state\": \"idle in transaction\"}=7, \
         {\"__name__\": \"warroom_c_gauge\", \"state\": \"idle\"}=5]"
    );
    assert_eq!(gist(&together[&1].outcome), "vector [{}=15]");
    // VictoriaMetrics answers `scalar()` with a vector of one unlabelled series.
    let scalar = gist(&together[&2].outcome);
    assert!(scalar == "scalar 15" || scalar == "vector [{}=15]", "{scalar}");
    assert_eq!(gist(&together[&4].outcome), "vector []");
    match &together[&3].outcome {
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains("label_replace") && !text.contains("__warroom"), "{text}");
        }
        Ok(_) => panic!("a syntax error must stay an error"),
    }
    // In the steady state: one combined request for the four that combine, and one each for
    // the scalar, the syntax error (backing off) and the range vector.
    let counting = tokio::spawn(poll_for(c.clone(), specs(true), 9));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = query_requests(&url);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let per_poll = (query_requests(&url) - before) / 5.0;
    let _ = counting.await;
    eprintln!("{url}: {per_poll:.2} query requests a second for {} queries", QUERIES.len());
    assert!(per_poll < 4.5, "{per_poll:.1} requests a second for 7 queries");
}

/// Runs `f` on a runtime of its own, as the dashboard does.
fn block_on(f: impl std::future::Future<Output = ()>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(f);
}

#[test]
fn prometheus_combined_answers_match_asking_alone() {
    let exporter = StaticExporter::start(METRICS);
    let p = Prometheus::start(PrometheusOpts::scraping(exporter.target()));
    p.wait_for_series("warroom_c_gauge", Duration::from_secs(30));
    block_on(answers_match_asking_alone(p.url()));
}

#[test]
fn victoria_metrics_combined_answers_match_asking_alone() {
    let exporter = StaticExporter::start(METRICS);
    let v = VictoriaMetrics::start(VictoriaMetricsOpts::scraping(exporter.target()));
    v.wait_for_series("warroom_c_gauge", Duration::from_secs(30));
    block_on(answers_match_asking_alone(v.url()));
}

#[test]
fn a_server_without_combined_queries_gets_them_one_by_one() {
    block_on(async {
        let server = warroom::demo::DemoServer::start().await.expect("demo server");
        let c = client(&server.url());
        let config: warroom::config::Config =
            toml::from_str(warroom::demo::DASHBOARD).expect("demo dashboard");
        let model = warroom::model::Model::new(&config, chrono::Utc::now());
        let specs: Vec<QuerySpec> = model
            .query_specs()
            .into_iter()
            .filter(|q| !q.range)
            .map(|q| QuerySpec { combine: true, interval: Duration::from_secs(1), ..q })
            .collect();
        assert!(specs.len() >= 2, "the demo has instant queries to combine");
        let combined = warroom::prom::batch::combined(specs.iter().map(|q| q.expr.as_str()));
        assert!(!warroom::demo::knows(&combined), "the simulator takes no combined queries");
        let n = specs.len();
        let last = poll_for(c.clone(), specs, 3).await;
        for (id, r) in &last {
            assert!(r.outcome.is_ok(), "query {id}: {:?}", r.outcome);
        }
        assert_eq!(last.len(), n);
    });
}
