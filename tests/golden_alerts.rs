//! Golden comparison: one gauge, scripted over time (below, above for a while, below, then
//! flapping faster than `for`), fed both to a real Prometheus evaluating an alerting rule and to
//! warroom's engine with that very rule (read from the same rule file). warroom is fed the instant
//! query's answer at each of Prometheus's own evaluation times; its pending and firing
//! transitions must be Prometheus's (read back from the `ALERTS` and `ALERTS_FOR_STATE` series),
//! each within one evaluation interval.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::thread::sleep;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use support::{Prometheus, PrometheusOpts, StaticExporter};
use warroom::alert::{AlertBook, AlertState, Observation, RuleSpec};
use warroom::config::SourceSpec;
use warroom::prom::{Client, QueryData};

const RULES: &str = r#"
groups:
  - name: golden
    interval: 1s
    rules:
      - record: golden_tick
        expr: vector(1)
      - alert: GoldenHigh
        expr: golden_gauge > 50
        for: 3s
"#;

/// warroom's rules from the very file Prometheus evaluates: one source of truth.
fn warroom_rules() -> Vec<RuleSpec> {
    let file = warroom::rules::file::parse(RULES).unwrap();
    let (rules, problems) =
        warroom::rules::convert::convert(std::path::Path::new("golden.yml"), &file.groups);
    assert!(problems.is_empty(), "{problems:?}");
    rules
}

/// `(seconds from the start, value from then on)`: below, above for 8 s (pending, then
/// firing), below (resolved), then above for 2 s twice (pending, never firing), then below.
const SCRIPT: &[(u64, f64)] =
    &[(0, 10.0), (3, 90.0), (11, 10.0), (15, 90.0), (17, 10.0), (19, 90.0), (21, 10.0), (25, 10.0)];

fn gauge(v: f64) -> String {
    format!("# TYPE golden_gauge gauge\ngolden_gauge {v}\n")
}

fn ts(t: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis((t * 1000.0).round() as i64).unwrap()
}

/// The raw samples of a range selector, per series, as `(labels, times, values)`.
async fn raw(
    client: &Client,
    selector: &str,
    at: f64,
) -> Vec<(warroom::prom::Labels, Vec<(f64, f64)>)> {
    let answer = client.query(selector, Some(at)).await.unwrap();
    match answer.response.data {
        QueryData::Matrix(series) => series
            .into_iter()
            .map(|s| (s.labels, s.points.iter().map(|p| (p.t, p.v)).collect()))
            .collect(),
        other => panic!("{selector}: expected a matrix, got {other:?}"),
    }
}

/// State changes of a per-evaluation state sequence: `(time, from, to)`.
fn transitions(states: &[(f64, AlertState)]) -> Vec<(f64, AlertState, AlertState)> {
    let mut out = Vec::new();
    let mut last = AlertState::Inactive;
    for &(t, s) in states {
        if s != last {
            out.push((t, last, s));
            last = s;
        }
    }
    out
}

#[test]
fn pending_and_firing_match_prometheus_within_one_evaluation() {
    let exporter = StaticExporter::start(&gauge(SCRIPT[0].1));
    let prom = Prometheus::start(PrometheusOpts::scraping(exporter.target()).rule(RULES));
    prom.wait_for_series("golden_gauge", Duration::from_secs(20));
    prom.wait_for_series("golden_tick", Duration::from_secs(20));

    let start = Utc::now().timestamp_millis() as f64 / 1000.0;
    let t0 = Instant::now();
    for &(at, v) in SCRIPT {
        let due = Duration::from_secs(at);
        sleep(due.saturating_sub(t0.elapsed()));
        exporter.set(gauge(v));
    }
    sleep(Duration::from_secs(2)); // the last evaluations land
    let end = Utc::now().timestamp_millis() as f64 / 1000.0;

    let spec: SourceSpec =
        toml::from_str(&format!("name = \"p\"\nurl = \"{}\"\ntimeout = \"5s\"", prom.url()))
            .unwrap();
    let client = Client::new(&spec).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let window = format!("[{}s]", (end - start).ceil() as u64 + 5);
    let (ticks, alerts, for_state) = rt.block_on(async {
        let ticks = raw(&client, &format!("golden_tick{window}"), end).await;
        let alerts =
            raw(&client, &format!("ALERTS{{alertname=\"GoldenHigh\"}}{window}"), end).await;
        let for_state =
            raw(&client, &format!("ALERTS_FOR_STATE{{alertname=\"GoldenHigh\"}}{window}"), end)
                .await;
        (ticks, alerts, for_state)
    });
    let evals: Vec<f64> = ticks
        .first()
        .map(|(_, pts)| pts.iter().map(|p| p.0).filter(|t| *t >= start && *t <= end).collect())
        .unwrap_or_default();
    assert!(evals.len() >= 20, "too few evaluations: {evals:?}");

    // Prometheus's state at each evaluation, from ALERTS{alertstate}.
    let in_state = |state: &str, t: f64| {
        alerts.iter().any(|(l, pts)| {
            l.get("alertstate").map(String::as_str) == Some(state) && pts.iter().any(|p| p.0 == t)
        })
    };
    let theirs: Vec<(f64, AlertState)> = evals
        .iter()
        .map(|&t| {
            let s = if in_state("firing", t) {
                AlertState::Firing
            } else if in_state("pending", t) {
                AlertState::Pending
            } else {
                AlertState::Inactive
            };
            (t, s)
        })
        .collect();

    // warroom's, fed the instant query at the same evaluation times.
    let rules = warroom_rules();
    assert_eq!(rules.len(), 1, "{rules:?}");
    let query = rules[0].query.clone().unwrap();
    assert_eq!(query, "golden_gauge", "the comparison's query side");
    let mut book = AlertBook::new(rules);
    let mut pending_starts = Vec::new();
    let ours: Vec<(f64, AlertState)> = rt.block_on(async {
        let mut out = Vec::new();
        for &t in &evals {
            let answer = client.query(&query, Some(t)).await.unwrap();
            let samples = answer.response.data.latest();
            for e in book.observe(0, Observation::Samples(&samples), ts(t)) {
                if let warroom::alert::Event::Transition { to: AlertState::Pending, at, .. } = e {
                    pending_starts.push(at.timestamp_millis() as f64 / 1000.0);
                }
            }
            let s = match book.alerts().first().map(|a| a.state) {
                Some(AlertState::Resolved) | None => AlertState::Inactive,
                Some(s) => s,
            };
            out.push((t, s));
        }
        out
    });

    let (theirs_t, ours_t) = (transitions(&theirs), transitions(&ours));
    let describe = |v: &[(f64, AlertState, AlertState)]| -> Vec<String> {
        v.iter()
            .map(|(t, f, to)| format!("+{:.1}s {}→{}", t - start, f.label(), to.label()))
            .collect()
    };
    let report =
        format!("\nPrometheus: {:?}\nwarroom:    {:?}", describe(&theirs_t), describe(&ours_t));
    println!("{report}");
    // The script played out: it fired, and flapped through pending (on a loaded machine a
    // late exporter update may stretch a flap into firing; the comparison still holds).
    let fired = theirs_t.iter().filter(|(_, _, to)| *to == AlertState::Firing).count();
    let pendings = theirs_t.iter().filter(|(_, _, to)| *to == AlertState::Pending).count();
    assert!(fired >= 1 && pendings >= 3, "the scenario did not play out as scripted{report}");

    assert_eq!(theirs_t.len(), ours_t.len(), "different transitions{report}");
    for ((tp, fp, top), (tw, fw, tow)) in theirs_t.iter().zip(&ours_t) {
        assert_eq!((fp, top), (fw, tow), "different transitions{report}");
        assert!((tp - tw).abs() <= 1.0 + 1e-3, "more than one evaluation apart{report}");
    }

    // Prometheus's activeAt (ALERTS_FOR_STATE's value) is warroom's pending start.
    let active_at: Vec<f64> = for_state.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.1)).fold(
        Vec::new(),
        |mut acc, v| {
            if !acc.contains(&v) {
                acc.push(v);
            }
            acc
        },
    );
    for a in &active_at {
        assert!(
            pending_starts.iter().any(|p| (p - a).abs() <= 1.0 + 1e-3),
            "activeAt +{:.1}s has no warroom pending start within 1 s: {pending_starts:?}{report}",
            a - start
        );
    }
}
