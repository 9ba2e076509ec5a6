//! `warroom check`'s live part against a real Prometheus: an unreachable source and a query the
//! server rejects are errors with the line of their table and a fix; good queries pass.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::time::{Duration, Instant};

use support::{free_port, Prometheus, PrometheusOpts, StaticExporter};
use warroom::cmd::check::check_sources;
use warroom::config::{load_str, Overrides};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_sources_and_rejected_queries_are_errors_with_lines() {
    let exporter = StaticExporter::start("warroom_check_up 1\n");
    let prometheus = tokio::task::spawn_blocking(move || {
        Prometheus::start(PrometheusOpts::scraping(exporter.target()))
    })
    .await
    .expect("start prometheus");
    let dead = free_port(); // nothing listens there
    let text = format!(
        r#"refresh = "5s"

[[sources]]
name = "prom"
url = "{url}"

[[sources]]
name = "gone"
url = "http://127.0.0.1:{dead}"

[[panels]]
title = "Good"
query = "sum(up)"

[[panels]]
title = "Bad"
query = "sum(rate(up[1m])"

[[panels]]
title = "On the dead source"
source = "gone"
query = "up"

[[alerts]]
name = "Typo"
query = "up >"
critical = 1

[[panels]]
title = "Table"
kind = "table"
query = "sum by (job) (up)"

[[panels.columns]]
title = "broken"
query = "sum(up"
"#,
        url = prometheus.url()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("warroom.toml");
    std::fs::write(&file, &text).expect("write config");
    let config = load_str(&text, &file, &Overrides::default()).expect("valid config").config;
    let started = Instant::now();
    let problems = check_sources(&config, &[], Some(&file)).await;
    let took = started.elapsed();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let shown = shown.join("\n");
    // A panel whose query returns nothing yet (before the first scrape) is a warning only.
    let problems: Vec<_> = problems.into_iter().filter(|p| !p.warning).collect();
    assert_eq!(problems.len(), 4, "{shown}");

    // Sorted by line: the dead source (line 7), the bad panel (line 15), the typo alert (24),
    // the table's bad column (34).
    let gone = &problems[0];
    assert_eq!(gone.line, Some(7), "{shown}");
    assert!(gone.message.contains("source \"gone\": cannot reach http://127.0.0.1:"), "{shown}");
    assert!(gone.fix.as_deref().is_some_and(|f| f.contains("check the url")), "{shown}");

    let bad = &problems[1];
    assert_eq!(bad.line, Some(15), "{shown}");
    assert!(
        bad.message.starts_with("panel \"Bad\": \"prom\" rejects the query: bad_data"),
        "{shown}"
    );
    assert!(bad.message.contains("unclosed left parenthesis"), "{shown}");
    assert!(bad.fix.as_deref().is_some_and(|f| f.contains("fix the PromQL")), "{shown}");

    let typo = &problems[2];
    assert_eq!(typo.line, Some(24), "{shown}");
    assert!(typo.message.starts_with("alert \"Typo\": \"prom\" rejects the query"), "{shown}");
    let column = &problems[3];
    assert_eq!(column.line, Some(34), "{shown}");
    assert!(column.message.starts_with("panel \"Table\" column \"broken\": \"prom\" rejects"));
    assert!(shown.contains("warroom.toml:7: source \"gone\""), "{shown}");
    assert!(took < Duration::from_secs(5), "check took {took:?}");

    // The command itself: every problem printed with file and line, a non-zero exit.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "--config"])
        .arg(&file)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .await
        .expect("run warroom check");
    let printed =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{printed}");
    for needle in [
        "warroom.toml:7: source \"gone\": cannot reach",
        "warroom.toml:15: panel \"Bad\"",
        "warroom.toml:24: alert \"Typo\"",
        "fix: fix the PromQL",
    ] {
        assert!(printed.contains(needle), "{needle:?} missing in\n{printed}");
    }
    let offline = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "--offline", "--config"])
        .arg(&file)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .expect("run warroom check --offline");
    let printed = String::from_utf8_lossy(&offline.stdout);
    assert!(offline.status.success(), "--offline contacts no source: {printed}");
    // Offline, queries that are no PromQL are warnings (a MetricsQL source may take them).
    for needle in [
        "warroom.toml:15: panel \"Bad\": the query is not PromQL: unclosed left parenthesis",
        "warroom.toml:24: alert \"Typo\": the query is not PromQL",
        "warroom.toml:34: panel \"Table\" column \"broken\": the query is not PromQL",
    ] {
        assert!(printed.contains(needle), "{needle:?} missing in\n{printed}");
    }
    assert!(!printed.contains("\"Good\""), "{printed}");
}

/// A runbook may name an alert that only the source's own rules define: the offline check
/// cannot know it and lets it pass, the live check asks `/api/v1/rules` and still finds a typo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbooks_may_name_alerts_only_prometheus_defines() {
    let rules = "groups:\n  - name: theirs\n    rules:\n      - alert: ReplicaLagging\n        expr: vector(1) > 2\n";
    let prometheus = tokio::task::spawn_blocking(move || {
        Prometheus::start(PrometheusOpts::default().rule(rules))
    })
    .await
    .expect("start prometheus");
    let dir = tempfile::tempdir().expect("temp dir");
    let books = dir.path().join("runbooks");
    std::fs::create_dir(&books).expect("runbooks dir");
    for (id, alert) in [("lag", "ReplicaLagging"), ("typo", "ReplicaLaging")] {
        let text =
            format!("+++\nid = \"{id}\"\ntitle = \"{id}\"\nalerts = [\"{alert}\"]\n+++\n# {id}\n");
        std::fs::write(books.join(format!("{id}.md")), text).expect("write runbook");
    }
    let config = dir.path().join("warroom.toml");
    let text = format!(
        "runbooks_dir = \"runbooks\"\n\n[[sources]]\nname = \"prom\"\nurl = \"{}\"\n\n[[panels]]\ntitle = \"Up\"\nquery = \"vector(1)\"\n",
        prometheus.url()
    );
    std::fs::write(&config, text).expect("write config");
    let check = |offline: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.arg("check").arg("--config").arg(&config);
        if offline {
            cmd.arg("--offline");
        }
        let out = cmd.env("XDG_STATE_HOME", dir.path().join("state")).output().expect("run check");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let ((offline_code, offline), (live_code, live)) =
        tokio::task::block_in_place(|| (check(true), check(false)));
    assert_eq!(offline_code, Some(0), "offline, the sources' rules are unknown: {offline}");
    assert_eq!(live_code, Some(1), "{live}");
    assert!(live.contains("typo.md") && live.contains("\"ReplicaLaging\""), "{live}");
    assert!(live.contains("did you mean \"ReplicaLagging\"?"), "{live}");
    assert!(!live.contains("lag.md"), "ReplicaLagging is Prometheus's: {live}");
}

/// The guard and verify queries of the runbooks' actions are asked of the live source too: one
/// the server rejects is an error at the action's line in its runbook, one that returns nothing
/// (so the guard would refuse the action now) a warning; one that uses the alert's labels is
/// only asked whether it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_and_verify_queries_are_asked_of_the_live_source() {
    let exporter = StaticExporter::start("warroom_lag_seconds 0.5\n");
    let target = exporter.target();
    let prometheus = tokio::task::spawn_blocking(move || {
        let prometheus = Prometheus::start(PrometheusOpts::scraping(target));
        prometheus.wait_for_series("warroom_lag_seconds", Duration::from_secs(30));
        prometheus
    })
    .await
    .expect("start prometheus");
    let dir = tempfile::tempdir().expect("temp dir");
    let books = dir.path().join("runbooks");
    std::fs::create_dir(&books).expect("runbooks dir");
    let runbook = r#"+++
id = "guarded"
title = "Guarded"
alerts = ["Lagging"]

[[actions]]
key = "r"
label = "Restart"
argv = ["/bin/echo", "restart"]
guard = { query = 'max(warroom_lag_seconds) < 5', why = "replica in sync" }
verify = { query = 'max(warroom_lag_seconds{instance="{{ labels.instance }}"}) < 1', within = "1m" }

[[actions]]
key = "s"
label = "Stop"
argv = ["/bin/echo", "stop"]
guard = { query = 'max(warroom_no_such_metric) > 95', why = "CPU pegged" }

[[actions]]
key = "t"
label = "Terminate"
argv = ["/bin/echo", "terminate"]
guard = { query = 'count(label_replace(up, "not a name", "$1", "job", "(.*)")) > 0', why = "up" }
+++
body
"#;
    std::fs::write(books.join("guarded.md"), runbook).expect("write runbook");
    let config = dir.path().join("warroom.toml");
    let text = format!(
        "runbooks_dir = \"runbooks\"\n\n[[sources]]\nname = \"prom\"\nurl = \"{}\"\n\n[[alerts]]\nname = \"Lagging\"\nquery = \"max(warroom_lag_seconds)\"\ncritical = 5\n",
        prometheus.url()
    );
    std::fs::write(&config, text).expect("write config");
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["check", "--config"])
            .arg(&config)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .output()
            .expect("run check")
    });
    let printed =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{printed}");
    let lines: Vec<&str> = printed.lines().filter(|l| l.contains("guarded.md")).collect();
    assert_eq!(lines.len(), 2, "{printed}");
    assert!(
        lines[0].starts_with("warning: ")
            && lines[0].contains("guarded.md:17: runbook \"guarded\" key 's' guard \"CPU pegged\": the query returns nothing"),
        "{printed}"
    );
    assert!(printed.contains("fix: while it returns nothing the guard refuses"), "{printed}");
    assert!(
        lines[1].starts_with("error: ")
            && lines[1].contains("guarded.md:23: runbook \"guarded\" key 't' guard \"up\": \"prom\" cannot run the query"),
        "{printed}"
    );
}
