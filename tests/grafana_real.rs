//! The postgres Grafana fixture against a real Prometheus scraping a postgres_exporter-like
//! exporter: its variables resolve from the server (`label_values` with `match[]`, the regex
//! applied), every imported panel's query has data, and in the real binary (in tmux) choosing
//! a variable's value re-plans the panels' queries and the pollers fetch them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{Prometheus, PrometheusOpts, StaticExporter};
use warroom::config::{load_str, Overrides};
use warroom::prom::Client;

/// What postgres_exporter exposes for a server with databases `shop` and `analytics` (and
/// the template databases a dashboard's regex leaves out).
const METRICS: &str = "\
# TYPE pg_up gauge
pg_up 1
# TYPE pg_settings_max_connections gauge
pg_settings_max_connections 100
# TYPE pg_stat_activity_count gauge
pg_stat_activity_count{datname=\"shop\",state=\"active\"} 12
pg_stat_activity_count{datname=\"shop\",state=\"idle\"} 30
pg_stat_activity_count{datname=\"shop\",state=\"idle in transaction\"} 3
pg_stat_activity_count{datname=\"analytics\",state=\"active\"} 2
pg_stat_activity_count{datname=\"analytics\",state=\"idle\"} 5
# TYPE pg_stat_activity_max_tx_duration gauge
pg_stat_activity_max_tx_duration{datname=\"shop\",state=\"active\"} 4.5
pg_stat_activity_max_tx_duration{datname=\"analytics\",state=\"idle in transaction\"} 75
# TYPE pg_stat_database_xact_commit counter
pg_stat_database_xact_commit{datname=\"shop\"} 1000
pg_stat_database_xact_commit{datname=\"analytics\"} 200
pg_stat_database_xact_commit{datname=\"template1\"} 0
# TYPE pg_stat_database_xact_rollback counter
pg_stat_database_xact_rollback{datname=\"shop\"} 10
pg_stat_database_xact_rollback{datname=\"analytics\"} 1
# TYPE pg_stat_database_blks_hit counter
pg_stat_database_blks_hit{datname=\"shop\"} 99000
pg_stat_database_blks_hit{datname=\"analytics\"} 5000
# TYPE pg_stat_database_blks_read counter
pg_stat_database_blks_read{datname=\"shop\"} 1000
pg_stat_database_blks_read{datname=\"analytics\"} 50
# TYPE pg_stat_database_deadlocks counter
pg_stat_database_deadlocks{datname=\"shop\"} 2
pg_stat_database_deadlocks{datname=\"analytics\"} 0
";

#[test]
fn the_imported_dashboard_resolves_its_variables_and_has_data() {
    let exporter = StaticExporter::start(METRICS);
    let prometheus = Prometheus::start(PrometheusOpts::scraping(exporter.target()));
    prometheus.wait_for_series("pg_stat_database_xact_commit", Duration::from_secs(30));
    let text = format!(
        "refresh = \"1s\"\n[[sources]]\nname = \"prom\"\nurl = \"{}\"\ntimeout = \"5s\"\n",
        prometheus.url()
    );
    let mut file = load_str(&text, Path::new("test.toml"), &Overrides::default()).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grafana/postgres.json");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let report = runtime.block_on(warroom::grafana::import_into(
        &mut file,
        std::slice::from_ref(&fixture),
        true,
    ));
    assert_eq!(report.unreadable, 0);
    // Only what the dashboard itself cannot show; no variable failed to resolve.
    assert_eq!(report.problems.len(), 4, "{:#?}", report.problems);
    assert!(report.problems.iter().all(|p| !p.message.contains("variable")));

    let panels = &file.config.panels;
    assert_eq!(panels.len(), 9);
    // $instance: the one scrape target; $datname (All): every database but the template one
    // the regex leaves out, in the label values API's order.
    let instance = exporter.target();
    assert_eq!(panels[0].query, format!("pg_up{{instance=\"{instance}\"}}"));
    assert!(panels[1].query.contains("datname=~\"(analytics|shop)\""), "{}", panels[1].query);
    assert_eq!(panels[4].title, format!("Transactions on {instance} · A"));

    // `warroom check --grafana` against the same server: the variables resolve and every
    // query is accepted, so only what the dashboard cannot show is listed.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("warroom.toml");
    std::fs::write(&cfg, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "--config", cfg.to_str().unwrap(), "--grafana", fixture.to_str().unwrap()])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    // The four parts it cannot show; a panel asked before its second scrape may warn too.
    assert!(stdout.starts_with("warning:") && stdout.contains(" warning(s) above)\n"), "{stdout}");
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("is not") || l.contains("better as values rise"))
            .count(),
        4,
        "{stdout}"
    );
    assert!(!stdout.contains("variable $"), "{stdout}");
    // A query the server refuses is named at the panel's line in the dashboard.
    let broken = dir.path().join("broken.json");
    let json = "{\n  \"panels\": [\n    {\"type\": \"stat\", \"title\": \"Fine\", \"targets\": [{\"expr\": \"pg_up\"}]},\n    \
                {\"type\": \"stat\", \"title\": \"Broken\",\n     \"targets\": [{\"expr\": \"rate(pg_up[5m]\"}]}\n  ]\n}\n";
    std::fs::write(&broken, json).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "--config", cfg.to_str().unwrap(), "--grafana", broken.to_str().unwrap()])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let at = format!("error: {}:4: panel \"Broken\": ", broken.display());
    assert!(stdout.lines().any(|l| l.starts_with(&at)), "{at} in:\n{stdout}");
    assert!(stdout.ends_with("1 problem(s) found\n"), "{stdout}");

    let client = Client::new(&file.config.sources[0]).unwrap();
    runtime.block_on(async {
        for p in panels {
            // Rates need two scrapes in their window: wait for them.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let fetched = client.query(&p.query, None).await;
                let data = fetched.as_ref().map(|f| f.response.data.latest());
                if data.as_ref().is_ok_and(|d| !d.is_empty()) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "panel {:?} has no data: {data:?}\n{}",
                    p.title,
                    p.query
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    });
    // `warroom snapshot --grafana`: the real pollers fill the imported panels (charts of a
    // server seconds old may have no step with data yet, and say so).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "snapshot",
            "--config",
            cfg.to_str().unwrap(),
            "--grafana",
            fixture.to_str().unwrap(),
        ])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let frame = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{frame}{}", String::from_utf8_lossy(&out.stderr));
    assert!(frame.contains(&format!("Transactions on {instance}")), "{frame}");
    // 100 × 52 sessions / 100 max_connections.
    assert!(frame.contains("52%"), "{frame}");

    // With panels of the config's own, `--grafana` opens on the dashboard's tab.
    let own = dir.path().join("own.toml");
    std::fs::write(&own, format!("{text}[[panels]]\ntitle = \"Own panel\"\nquery = \"up\"\n"))
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "snapshot",
            "--config",
            own.to_str().unwrap(),
            "--grafana",
            fixture.to_str().unwrap(),
        ])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let frame = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{frame}{}", String::from_utf8_lossy(&out.stderr));
    assert!(frame.contains(" panels │ PostgreSQL Database "), "the tab bar:\n{frame}");
    assert!(frame.contains("Connections used") && !frame.contains("Own panel"), "{frame}");
}

#[test]
fn a_variable_the_source_cannot_resolve_keeps_its_saved_value_and_says_so() {
    // A source nobody listens on: the import still opens, with the saved values.
    let text = "[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\ntimeout = \"1s\"\n";
    let mut file = load_str(text, Path::new("test.toml"), &Overrides::default()).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grafana/postgres.json");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let report = runtime.block_on(warroom::grafana::import_into(&mut file, &[fixture], true));
    let vars: Vec<&str> = report
        .problems
        .iter()
        .filter(|p| p.message.starts_with("variable $"))
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(vars.len(), 2, "{vars:#?}");
    assert!(vars[0].starts_with("variable $instance: source \"prom\""), "{}", vars[0]);
    assert!(report.problems.iter().all(|p| p.line.is_some()), "{:#?}", report.problems);
    assert_eq!(file.config.panels.len(), 9);
}

/// A second postgres_exporter, of a server with database `billing` alone.
const METRICS_B: &str = "\
# TYPE pg_up gauge
pg_up 1
# TYPE pg_stat_database_xact_commit counter
pg_stat_database_xact_commit{datname=\"billing\"} 10
# TYPE pg_stat_database_xact_rollback counter
pg_stat_database_xact_rollback{datname=\"billing\"} 1
";

#[test]
fn choosing_a_value_in_the_running_dashboard_fetches_the_new_queries() {
    let exporter = StaticExporter::start(METRICS);
    let other = StaticExporter::start(METRICS_B);
    let opts = PrometheusOpts {
        targets: vec![exporter.target(), other.target()],
        ..PrometheusOpts::default()
    };
    let prometheus = Prometheus::start(opts);
    prometheus.wait_for_series(
        "pg_stat_database_xact_commit{datname=\"billing\"}",
        Duration::from_secs(30),
    );
    prometheus
        .wait_for_series("pg_stat_database_xact_commit{datname=\"shop\"}", Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("warroom.toml");
    let text = format!(
        "refresh = \"1s\"\nrange = \"1m\"\n[[sources]]\nname = \"prom\"\nurl = \"{}\"\n",
        prometheus.url()
    );
    std::fs::write(&cfg, text).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grafana/postgres.json");
    let env = vec![
        ("XDG_STATE_HOME".to_string(), dir.path().join("state").display().to_string()),
        ("WARROOM_CONFIG".to_string(), cfg.display().to_string()),
    ];
    let argv = vec![
        env!("CARGO_BIN_EXE_warroom").to_string(),
        "--grafana".to_string(),
        fixture.display().to_string(),
    ];
    let term = tmux::Tmux::start(
        "grafana",
        tmux::Start { width: 160, height: 48, env, argv, ..tmux::Start::default() },
    );
    let shop = |s: &str| s.contains("analytics commits") && s.contains("shop commits");
    let billing = |s: &str| s.contains("billing commits") && !s.contains("shop commits");
    // $instance starts on the first of the two servers.
    let screen =
        term.wait_until(Duration::from_secs(40), "one server's commits", |s| shop(s) || billing(s));
    let on_shop = shop(&screen);

    // $instance → the other server: $datname (All), whose query names $instance, is asked
    // again, so the other server's databases are shown.
    term.send_keys(&[":"]);
    term.wait_for("$instance — PostgreSQL Database", Duration::from_secs(5));
    // The first is chosen (the saved choice is empty): the other is the second.
    term.send_keys(&["Down", "Enter"]);
    let other_set: &dyn Fn(&str) -> bool = if on_shop { &billing } else { &shop };
    term.wait_until(Duration::from_secs(30), "the other server's databases", other_set);
    if !on_shop {
        // Back on the server of two databases: $instance is now the first option.
        term.wait_until(Duration::from_secs(5), "the picker closed", |s| {
            !s.contains("$instance —")
        });
    } else {
        term.send_keys(&[":"]);
        term.wait_for("$instance — PostgreSQL Database", Duration::from_secs(5));
        term.send_keys(&["Up", "Enter"]);
        term.wait_until(Duration::from_secs(30), "both databases again", shop);
    }

    // $datname (All) → analytics alone.
    term.send_keys(&[":"]);
    term.wait_for("$instance — PostgreSQL Database", Duration::from_secs(5));
    term.send_keys(&["Right"]);
    term.wait_for("$datname — PostgreSQL Database", Duration::from_secs(5));
    term.send_keys(&["Down", "Enter"]);
    let screen = term.wait_until(Duration::from_secs(30), "analytics' commits alone", |s| {
        s.contains("analytics commits") && !s.contains("shop commits")
    });
    assert!(!screen.contains("$datname —"), "the picker closed:\n{screen}");
    // The panel's query says so (`e`).
    term.send_keys(&["l", "e"]);
    term.wait_for("datname=~\"analytics\"", Duration::from_secs(5));
    // Escape alone (followed at once by a key it would read as Alt-key).
    term.send_keys(&["Escape"]);
    term.wait_until(Duration::from_secs(5), "the query overlay closed", |s| {
        !s.contains("any key closes")
    });
    term.send_keys(&["q"]);
    assert_eq!(term.wait_exit(Duration::from_secs(10)), Some(0));
}
