//! The real binary in tmux against a Prometheus that freezes, thaws, dies and comes back on the
//! same port: panels turn stale within two refresh intervals, keys still redraw at once while
//! every poller waits on the frozen server, and data comes back without restarting warroom.
//! Prints the measured times (run with `--nocapture` to see them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;
mod tmux;

use std::time::{Duration, Instant};

use support::{Prometheus, PrometheusOpts, StaticExporter};
use tmux::{latency, Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const REFRESH: Duration = Duration::from_secs(2);

/// Panels of the dashboard: two range queries (line, stat) and an instant one (bars).
const PANELS: usize = 3;

fn config(url: &str) -> String {
    format!(
        r#"refresh = "2s"
range = "1m"

[[sources]]
name = "prom"
url = "{url}"

[[panels]]
title = "Gauge line"
query = "warroom_tmux_gauge"

[[panels]]
title = "Gauge stat"
kind = "stat"
query = "sum(warroom_tmux_gauge)"

[[panels]]
title = "Gauge bars"
kind = "bars"
query = "warroom_tmux_gauge"
legend = "{{{{ state }}}}"
"#
    )
}

/// How many panels say their data is not current (a stale badge, or an error with stale data).
fn stale_panels(screen: &str) -> usize {
    screen.matches("STALE since").count() + screen.matches("stale since").count()
}

/// Every panel shows current data.
fn has_data(screen: &str) -> bool {
    screen.contains("● prom")
        && stale_panels(screen) == 0
        && !screen.contains("no data")
        && !screen.contains("loading")
        && screen.contains("active")
}

/// Ten toggles of the help overlay: their median, and all of them for the report.
fn redraw_latency(term: &Tmux) -> (Duration, Vec<Duration>) {
    let samples = latency::toggles(term, 10);
    assert!(
        !term.capture().contains(latency::HELP),
        "an even number of toggles leaves help closed"
    );
    (latency::median(&samples), samples)
}

#[test]
fn stale_within_two_intervals_keys_stay_fast_and_data_comes_back() {
    let exporter = StaticExporter::start(
        "warroom_tmux_gauge{state=\"active\"} 7\nwarroom_tmux_gauge{state=\"idle\"} 3\n",
    );
    let mut prometheus = Prometheus::start(PrometheusOpts::scraping(exporter.target()));
    prometheus.wait_for_series("warroom_tmux_gauge", Duration::from_secs(20));

    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("warroom.toml");
    std::fs::write(&config_path, config(&prometheus.url())).expect("write config");
    let env = vec![
        ("XDG_STATE_HOME".to_string(), dir.path().join("state").display().to_string()),
        ("WARROOM_CONFIG".to_string(), config_path.display().to_string()),
    ];
    let argv = vec![BIN.to_string()];
    let term =
        Tmux::start("stale", Start { width: 160, height: 40, env, argv, ..Start::default() });
    term.wait_until(Duration::from_secs(20), "the dashboard with data", has_data);
    let (running_p50, running) = redraw_latency(&term);

    // Frozen: connections are accepted, nothing is answered.
    prometheus.pause();
    let frozen_at = Instant::now();
    term.wait_until(Duration::from_secs(20), "every panel marked stale", |s| {
        stale_panels(s) == PANELS
    });
    let stale_after = frozen_at.elapsed();
    let (frozen_p50, frozen) = redraw_latency(&term);

    prometheus.resume();
    let resumed_at = Instant::now();
    term.wait_until(Duration::from_secs(70), "data after the thaw", has_data);
    let thawed_after = resumed_at.elapsed();

    // Killed, then back on the same port with the same data (a crash and a restart).
    prometheus.kill();
    let killed_at = Instant::now();
    term.wait_until(Duration::from_secs(20), "every panel stale after the kill", |s| {
        stale_panels(s) == PANELS
    });
    let killed_stale_after = killed_at.elapsed();
    std::thread::sleep(Duration::from_secs(4));
    prometheus.restart();
    let restarted_at = Instant::now();
    term.wait_until(Duration::from_secs(70), "data after the restart", has_data);
    let restarted_after = restarted_at.elapsed();
    // The source's own alerts are read again soon after its panels have data: the pager stops
    // backing off once the query pollers got an answer.
    let data_back = Instant::now();
    term.wait_until(Duration::from_secs(3), "the alerts read again after the restart", |s| {
        has_data(s) && !s.contains("down") && !s.contains("BLIND")
    });
    let alerts_after_data = data_back.elapsed();

    let echo = latency::tmux_echo();
    eprintln!(
        "tmux send-keys → capture-pane shows the echo of `cat`: median {echo:?}\n\
         refresh {REFRESH:?}: stale {stale_after:?} after SIGSTOP, {killed_stale_after:?} after \
         SIGKILL; data back {thawed_after:?} after SIGCONT, {restarted_after:?} after restart, \
         alerts read {alerts_after_data:?} after that\n\
         key → redraw (help toggle), median of 10: {running_p50:?} running {running:?}, \
         {frozen_p50:?} with Prometheus frozen {frozen:?}"
    );
    // Within two refresh intervals, plus the second the clock ticks in.
    let limit = REFRESH * 2 + Duration::from_secs(1);
    assert!(stale_after <= limit, "stale only after {stale_after:?}");
    assert!(killed_stale_after <= limit, "stale only after {killed_stale_after:?}");
    assert!(frozen_p50 < Duration::from_millis(50), "redraw median {frozen_p50:?}: {frozen:?}");
    assert!(running_p50 < Duration::from_millis(50), "redraw median {running_p50:?}: {running:?}");
}
