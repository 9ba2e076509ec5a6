//! How hard warroom leans on Prometheus: the built-in dashboard's queries, polled at a 1 s
//! refresh for a while, with incremental range fetches on and then off, against a real
//! Prometheus holding 20 minutes of history of the metric names the dashboard reads. Reports
//! requests and response bytes per minute as Prometheus itself counts them
//! (`prometheus_http_requests_total`, `prometheus_http_response_size_bytes_sum` by handler).
//!
//!     cargo bench --bench prom_load -- [--seconds 60] [--size 80x24]
//!
//! Not a timed benchmark: it measures load on the server, and prints a Markdown table.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{mpsc, watch, Semaphore};

use support::{http, Prometheus, PrometheusOpts, StaticExporter};
use warroom::config::{load_str, Overrides, DEFAULT_CONFIG};
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::prom::poller::Pollers;
use warroom::prom::Client;
use warroom::update::update;

/// How much history Prometheus holds before the run: more than the dashboard's 15 m window.
const HISTORY: Duration = Duration::from_secs(20 * 60);

const HANDLERS: [&str; 2] = ["/api/v1/query_range", "/api/v1/query"];

struct Args {
    seconds: u64,
    size: (u16, u16),
}

fn args() -> Args {
    let mut a = Args { seconds: 60, size: (80, 24) };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => a.seconds = it.next().and_then(|s| s.parse().ok()).unwrap_or(a.seconds),
            "--size" => {
                a.size = it.next().and_then(|s| warroom::cli::parse_size(s).ok()).unwrap_or(a.size)
            }
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// The exporter's series at time `t` (Unix seconds): labels (without job and instance) and value.
fn series(t: f64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let wave = (t / 60.0).sin();
    for (d, db) in ["shop", "auth"].iter().enumerate() {
        let d = d as f64;
        for (state, base) in [("active", 20.0), ("idle", 50.0), ("idle in transaction", 5.0)] {
            let v = (base * (1.0 + 0.3 * wave) + d).round();
            out.push((
                format!("pg_stat_activity_count{{datname=\"{db}\",state=\"{state}\"}}"),
                fmt(v),
            ));
        }
        let commits = t * (300.0 + 100.0 * d);
        out.push((
            format!("pg_stat_database_xact_commit{{datname=\"{db}\"}}"),
            fmt(commits.floor()),
        ));
        let rollbacks = t * (3.0 + d);
        out.push((
            format!("pg_stat_database_xact_rollback{{datname=\"{db}\"}}"),
            fmt(rollbacks.floor()),
        ));
        out.push((
            format!("pg_stat_database_deadlocks{{datname=\"{db}\"}}"),
            fmt((t / 90.0).floor()),
        ));
    }
    out.push(("pg_up".into(), "1".into()));
    for (mode, share) in [("user", 1.5), ("system", 0.4)] {
        let name = format!(
            "namedprocess_namegroup_cpu_seconds_total{{groupname=\"postgres\",mode=\"{mode}\"}}"
        );
        out.push((name, fmt(t * share)));
    }
    for cpu in 0..4 {
        for (mode, share) in [("idle", 0.5), ("user", 0.4), ("system", 0.1)] {
            let name = format!("node_cpu_seconds_total{{cpu=\"{cpu}\",mode=\"{mode}\"}}");
            out.push((name, fmt(t * share)));
        }
    }
    out
}

fn fmt(v: f64) -> String {
    format!("{v:.3}")
}

fn exposition(t: f64) -> String {
    series(t).into_iter().map(|(name, v)| format!("{name} {v}\n")).collect()
}

/// OpenMetrics history of every series, one sample a second, with the scrape's target labels.
fn history(target: &str, from: f64, to: f64) -> String {
    let names: Vec<String> = series(from).into_iter().map(|(n, _)| n).collect();
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        let labelled = with_target(name, target);
        let mut t = from.floor();
        while t < to {
            let v = &series(t)[i].1;
            let _ = writeln!(out, "{labelled} {v} {t}");
            t += 1.0;
        }
    }
    out.push_str("# EOF\n");
    out
}

fn with_target(name: &str, target: &str) -> String {
    let extra = format!("instance=\"{target}\",job=\"exporter\"");
    match name.strip_suffix('}') {
        Some(head) => format!("{head},{extra}}}"),
        None => format!("{name}{{{extra}}}"),
    }
}

/// Requests and response bytes per handler, from Prometheus's own /metrics.
fn server_counters(url: &str) -> BTreeMap<(&'static str, &'static str), f64> {
    let body = http::get(&format!("{url}/metrics")).map(|r| r.body).unwrap_or_default();
    let mut out = BTreeMap::new();
    for line in body.lines() {
        for h in HANDLERS {
            let tag = format!("handler=\"{h}\"");
            let value =
                || line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            if line.starts_with("prometheus_http_requests_total{") && line.contains(&tag) {
                *out.entry((h, "requests")).or_default() += value();
            }
            if line.starts_with("prometheus_http_response_size_bytes_sum{") && line.contains(&tag) {
                *out.entry((h, "bytes")).or_default() += value();
            }
        }
    }
    out
}

/// One run of the dashboard's pollers; returns per-minute deltas and what warroom received.
async fn run(
    url: &str,
    incremental: bool,
    a: &Args,
) -> (BTreeMap<(&'static str, &'static str), f64>, f64) {
    let overrides = Overrides {
        prometheus_url: Some(url.to_string()),
        refresh: Some(Duration::from_secs(1)),
        ..Overrides::default()
    };
    let file = match load_str(DEFAULT_CONFIG, std::path::Path::new("<default>"), &overrides) {
        Ok(f) => f,
        Err(p) => panic!("the default config does not load: {p:?}"),
    };
    let mut config = file.config;
    config.incremental = incremental;
    let mut model = Model::new(&config, Utc::now());
    update(&mut model, Msg::Resize { width: a.size.0, height: a.size.1 });
    let clients: Vec<Client> = config
        .sources
        .iter()
        .map(|s| Client::new(s).expect("client for the default source"))
        .collect();
    let caps: Vec<_> =
        config.sources.iter().map(|s| Arc::new(Semaphore::new(s.max_concurrency))).collect();
    let mut specs = model.query_specs();
    for s in &mut specs {
        s.incremental = incremental;
    }
    let before = server_counters(url);
    let (_window_tx, window_rx) = watch::channel(model.window);
    let (tx, mut rx) = mpsc::channel(256);
    let mut pollers =
        Pollers::start(specs, &clients, &caps, window_rx, tx, |r| Msg::Poll(Box::new(r)));
    let started = Instant::now();
    let until = tokio::time::Instant::now() + Duration::from_secs(a.seconds);
    while let Ok(Some(msg)) = tokio::time::timeout_at(until, rx.recv()).await {
        update(&mut model, Msg::Tick(Utc::now()));
        update(&mut model, msg);
    }
    pollers.stop();
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    // Let the server count the last answers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server_counters(url);
    let deltas = after
        .iter()
        .map(|(k, v)| (*k, (v - before.get(k).copied().unwrap_or(0.0)) / minutes))
        .collect();
    let received: u64 = model.queries.iter().map(|q| q.bytes).sum();
    for q in &model.queries {
        assert!(q.error.is_none(), "{}: {:?}", q.expr, q.error);
    }
    (deltas, received as f64 / minutes)
}

fn main() {
    let a = args();
    let exporter = Arc::new(StaticExporter::start(&exposition(now())));
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = std::thread::spawn({
        let (exporter, stop) = (Arc::clone(&exporter), Arc::clone(&stop));
        move || {
            while !stop.load(Ordering::SeqCst) {
                exporter.set(exposition(now()));
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    });
    let start = now();
    let opts = PrometheusOpts {
        backfill: Some(history(&exporter.target(), start - HISTORY.as_secs_f64(), start - 5.0)),
        ..PrometheusOpts::scraping(exporter.target())
    };
    eprintln!("prom_load: starting Prometheus with {} s of history…", HISTORY.as_secs());
    let prometheus = Prometheus::start(opts);
    prometheus.wait_for_series("pg_up", Duration::from_secs(30));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut rows = Vec::new();
    for incremental in [true, false] {
        eprintln!("prom_load: incremental = {incremental}, {} s…", a.seconds);
        rows.push((incremental, runtime.block_on(run(&prometheus.url(), incremental, &a))));
    }
    stop.store(true, Ordering::SeqCst);
    let _ = ticker.join();

    println!("| incremental | handler | requests/min | response bytes/min (Prometheus) |");
    println!("|---|---|---:|---:|");
    for (incremental, (deltas, _)) in &rows {
        for h in HANDLERS {
            let req = deltas.get(&(h, "requests")).copied().unwrap_or(0.0);
            let bytes = deltas.get(&(h, "bytes")).copied().unwrap_or(0.0);
            println!(
                "| {} | `{h}` | {req:.0} | {bytes:.0} |",
                if *incremental { "on" } else { "off" }
            );
        }
    }
    let total = |i: usize| {
        HANDLERS
            .iter()
            .map(|h| rows[i].1 .0.get(&(*h, "bytes")).copied().unwrap_or(0.0))
            .sum::<f64>()
    };
    let (on, off) = (total(0), total(1));
    println!();
    println!(
        "Size {}x{}, {} s per mode. All handlers: {on:.0} B/min incremental, {off:.0} B/min full: ratio {:.3} (target ≤ 0.25). Bodies warroom decoded: {:.0} / {:.0} B/min.",
        a.size.0,
        a.size.1,
        a.seconds,
        on / off.max(1.0),
        rows[0].1 .1,
        rows[1].1 .1
    );
}

fn now() -> f64 {
    Utc::now().timestamp_millis() as f64 / 1000.0
}
