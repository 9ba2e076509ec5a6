//! "Why no data?" against a real Prometheus with a stock scrape config: two exporters, each
//! `instance` keeping its own port. A panel joining them `on (instance)` and a panel naming a
//! metric by its old name show no data; `e` on each explains it from the live source (the join
//! and the instances it compares, the renamed metric), and `warroom check` warns about both
//! and still succeeds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;
mod tmux;

use std::time::Duration;

use support::{Prometheus, PrometheusOpts, StaticExporter};
use tmux::{Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

fn config(url: &str) -> String {
    format!(
        r#"refresh = "1s"
range = "1m"

[[sources]]
name = "prom"
url = "{url}"

[[panels]]
title = "CPU per core"
kind = "stat"
query = 'sum by (instance) (warroom_proc_cpu_seconds_total{{groupname="postgres"}}) / on (instance) count by (instance) (warroom_node_cpus)'

[[panels]]
title = "Commits"
kind = "stat"
query = 'sum(rate(pg_stat_database_xact_commit[1m]))'

[[panels]]
title = "Up"
kind = "stat"
query = 'sum(up)'
"#
    )
}

#[test]
fn e_on_an_empty_panel_says_why() {
    let process = StaticExporter::start(
        "warroom_proc_cpu_seconds_total{groupname=\"postgres\"} 12\n\
         pg_stat_database_xact_commit_total{datname=\"shop\"} 100\n",
    );
    let node =
        StaticExporter::start("warroom_node_cpus{cpu=\"0\"} 1\nwarroom_node_cpus{cpu=\"1\"} 1\n");
    let opts = PrometheusOpts {
        targets: vec![process.target(), node.target()],
        ..PrometheusOpts::default()
    };
    let prometheus = Prometheus::start(opts);
    prometheus.wait_for_series("warroom_node_cpus", Duration::from_secs(20));
    prometheus.wait_for_series("warroom_proc_cpu_seconds_total", Duration::from_secs(20));

    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("warroom.toml");
    std::fs::write(&config_path, config(&prometheus.url())).expect("write config");

    // check: both empty panels are warnings with the reason; nothing is an error.
    let out = std::process::Command::new(BIN)
        .args(["check", "--config"])
        .arg(&config_path)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .expect("run check");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "warnings only: {text}");
    assert!(
        text.contains("warning:") && text.contains("\"CPU per core\": the query returns nothing"),
        "{text}"
    );
    assert!(text.contains("on (instance)") && text.contains("host part"), "{text}");
    assert!(text.contains("pg_stat_database_xact_commit_total"), "the renamed metric: {text}");
    assert!(!text.contains("\"Up\""), "a panel with data is no warning: {text}");

    let env = vec![
        ("XDG_STATE_HOME".to_string(), dir.path().join("state").display().to_string()),
        ("WARROOM_CONFIG".to_string(), config_path.display().to_string()),
    ];
    let term = Tmux::start(
        "why",
        Start { width: 140, height: 40, env, argv: vec![BIN.to_string()], ..Start::default() },
    );
    term.wait_until(Duration::from_secs(20), "two empty panels and one with data", |s| {
        s.matches("no data").count() >= 2 && s.contains("● prom")
    });
    term.send_keys(&["e"]);
    let screen = term.wait_until(Duration::from_secs(15), "the join explained", |s| {
        s.contains("why no data?") && s.contains("matches nothing")
    });
    assert!(screen.contains("on (instance)"), "{screen}");
    assert!(screen.contains("host part"), "the fix: {screen}");
    assert!(screen.contains("warroom_node_cpus"), "the selectors and their counts: {screen}");
    assert!(screen.contains("2 series"), "two node series: {screen}");

    term.send_keys(&["Escape"]);
    term.wait_until(Duration::from_secs(5), "the overlay closed", |s| !s.contains("why no data?"));
    term.send_keys(&["Right", "e"]);
    let screen = term.wait_until(Duration::from_secs(15), "the renamed metric explained", |s| {
        s.contains("why no data?") && s.contains("pg_stat_database_xact_commit_total")
    });
    assert!(screen.contains("renamed"), "{screen}");

    // A panel with data has nothing to explain.
    term.send_keys(&["Escape"]);
    term.wait_until(Duration::from_secs(5), "closed", |s| !s.contains("why no data?"));
    term.send_keys(&["Right", "e"]);
    let screen = term.wait_for("sum(up)", Duration::from_secs(5));
    assert!(!screen.contains("why no data?"), "{screen}");
}
