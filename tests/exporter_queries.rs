//! `examples/postgres-exporter-queries.yaml` in Debian's postgres_exporter on a real PostgreSQL
//! with pg_stat_statements, scraped by a real Prometheus: while a lock chain, an expensive
//! statement and named applications exist, every metric family the file defines has data, a
//! hostile statement text comes out as a short clean label, more statements and applications
//! than the bounds are cut to the top 20 (the rest of the applications as "(other)"), the
//! exporter logs no failing query, and every panel of the built-in dashboard that reads these
//! metrics shows series.
//! A missing server fails the test with the command that installs it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::api::sample_value;
use support::{Postgres, PostgresExporter, Prometheus, PrometheusOpts};
use warroom::config::{self, Overrides};

const WAIT: Duration = Duration::from_secs(30);
/// The session holding the lock everyone else waits for.
const HOLDER: &str = "nightly-report";
/// The sessions queued behind it.
const WAITER: &str = "checkout";
const WAITERS: usize = 3;
/// A session idle in transaction.
const IDLE: &str = "cron-cleanup";
/// Sessions of as many other applications, each its own name sorting after the rest.
const CROWD: usize = 21;

/// The custom queries' metrics, one of each family.
const FAMILIES: &[&str] = &[
    "pg_stat_statements_top_calls",
    "pg_stat_statements_top_total_seconds",
    "pg_stat_statements_top_mean_seconds",
    "pg_stat_statements_top_rows",
    "pg_lock_waits_sessions",
    "pg_lock_chains_blocked_sessions",
    "pg_lock_chains_head_blockers",
    "pg_lock_chains_oldest_blocker_seconds",
    "pg_lock_blockers_blocked_sessions",
    "pg_lock_blockers_xact_age_seconds",
    "pg_sessions_by_app_sessions",
];

fn queries_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postgres-exporter-queries.yaml")
}

/// A statement expensive enough to lead the top statements, whose text carries escape
/// sequences, a bell, CR LF, a tab and 10 kB of padding in a comment (pg_stat_statements keeps
/// comments).
fn hostile_statement() -> String {
    format!(
        "SELECT pg_sleep(0.6) AS hostile /* \u{1b}[2J\u{1b}]0;pwned\u{7}\r\n\t{} */",
        "x".repeat(10_000)
    )
}

fn one(prom: &Prometheus, promql: &str) -> Value {
    let series = prom.wait_for_series(promql, WAIT);
    assert_eq!(series.len(), 1, "{promql}: {series:#?}");
    series[0].clone()
}

#[test]
fn custom_queries_export_the_causes() {
    let pg = Postgres::with_pg_stat_statements();
    pg.psql("CREATE TABLE orders (id int PRIMARY KEY, n int); INSERT INTO orders VALUES (1, 0)");
    pg.psql(&hostile_statement());
    let _holder = pg.session(
        HOLDER,
        "BEGIN; UPDATE orders SET n = n + 1 WHERE id = 1; SELECT pg_sleep(120);\n",
    );
    let holder_pid = wait_for_pid(&pg, HOLDER, "active");
    let _waiters: Vec<_> = (0..WAITERS)
        .map(|_| pg.session(WAITER, "UPDATE orders SET n = n + 1 WHERE id = 1;\n"))
        .collect();
    let _idle = pg.session(IDLE, "BEGIN; SELECT 1;\n");
    // More applications and statements than the queries export: they fold or fall off.
    let _crowd: Vec<_> =
        (0..CROWD).map(|i| pg.session(&format!("zz-crowd-{i:02}"), "SELECT 1;\n")).collect();
    let tables: Vec<String> = (0..25).map(|i| format!("CREATE TABLE t{i} ()")).collect();
    pg.psql(&tables.join("; "));
    let statements: u32 = pg.psql("SELECT count(*) FROM pg_stat_statements").parse().unwrap();
    assert!(statements > 20, "{statements} statements");

    let exporter = PostgresExporter::start(&pg, Some(&queries_file()));
    let prom = Prometheus::start(PrometheusOpts::scraping(exporter.target()));
    for family in FAMILIES {
        prom.wait_for_series(family, WAIT);
    }
    let waiting = format!("sum(pg_lock_chains_blocked_sessions) >= {WAITERS}");
    prom.wait_for_series(&waiting, WAIT);
    assert_eq!(sample_value(&one(&prom, "pg_lock_chains_head_blockers")), 1.0);
    assert!(sample_value(&one(&prom, "pg_lock_chains_oldest_blocker_seconds")) > 0.0);
    assert!(sample_value(&one(&prom, "sum(pg_lock_waits_sessions)")) >= WAITERS as f64);

    // The head blocker: its pid and name as labels, everyone behind it as its value.
    let head = one(&prom, r#"pg_lock_blockers_blocked_sessions{head="true"}"#);
    assert_eq!(head["metric"]["pid"], holder_pid.as_str(), "{head}");
    assert_eq!(head["metric"]["application_name"], HOLDER, "{head}");
    assert_eq!(head["metric"]["usename"], "postgres", "{head}");
    assert_eq!(sample_value(&head), WAITERS as f64, "{head}");

    let apps =
        format!(r#"pg_sessions_by_app_sessions{{application_name="{WAITER}",state="active"}}"#);
    assert_eq!(sample_value(&one(&prom, &apps)), WAITERS as f64);
    let idle = format!(
        r#"pg_sessions_by_app_sessions{{application_name="{IDLE}",state="idle in transaction"}}"#
    );
    assert_eq!(sample_value(&one(&prom, &idle)), 1.0);
    // 24 names and more (the exporter's own pool is "(unnamed)"): the top 20 by sessions
    // (ties by name), the rest, the crowd's last ones among them, as one "(other)".
    let names = "count(count by (application_name) (pg_sessions_by_app_sessions))";
    prom.wait_for_series(&format!("{names} == 21"), WAIT);
    let other = r#"sum(pg_sessions_by_app_sessions{application_name="(other)"})"#;
    assert!(sample_value(&one(&prom, other)) >= 4.0);
    let last = format!("zz-crowd-{:02}", CROWD - 1);
    let last = format!(r#"pg_sessions_by_app_sessions{{application_name="{last}"}}"#);
    assert_eq!(prom.query(&last)["result"], serde_json::json!([]), "{last} is folded");
    let top = "count(pg_stat_statements_top_calls)";
    assert_eq!(sample_value(&one(&prom, top)), 20.0, "the top 20 statements");

    // The expensive statement leads, its text cut short and clean.
    let top = one(&prom, "topk(1, pg_stat_statements_top_total_seconds)");
    let query = top["metric"]["query"].as_str().unwrap();
    assert!(query.starts_with("SELECT pg_sleep($1) AS hostile /* [2J ]0;pwned xxx"), "{query:?}");
    assert_eq!(query.chars().count(), 80, "{query:?}");
    assert!(!query.chars().any(char::is_control) && !query.contains("  "), "{query:?}");
    let queryid = top["metric"]["queryid"].as_str().unwrap();
    assert!(queryid.parse::<i64>().is_ok(), "{queryid:?}");
    assert!(sample_value(&top) >= 0.6, "{top}");
    let calls = format!(r#"pg_stat_statements_top_calls{{queryid="{queryid}"}}"#);
    assert_eq!(sample_value(&one(&prom, &calls)), 1.0);

    // The cache hit ratio's inputs are stock metrics.
    prom.wait_for_series("pg_stat_database_blks_hit", WAIT);
    prom.wait_for_series("pg_stat_database_blks_read", WAIT);

    let log = exporter.tail_log(200);
    assert!(!log.contains("level=error"), "a custom query fails:\n{log}");

    dashboard_panels_show_series(&prom);
}

/// Every query of the built-in dashboard (panels and their table columns) that reads a custom
/// or cache metric returns series from this Prometheus.
fn dashboard_panels_show_series(prom: &Prometheus) {
    let builtin = config::load(None, &Overrides::default()).unwrap();
    let mut checked = 0;
    for panel in &builtin.config.panels {
        let queries = std::iter::once(&panel.query).chain(panel.columns.iter().map(|c| &c.query));
        for query in queries {
            let reads_causes = FAMILIES.iter().any(|f| query.contains(f))
                || query.contains("pg_stat_database_blks_");
            if reads_causes {
                // rate() needs two scrapes: wait_for_series polls until there is an answer.
                prom.wait_for_series(query, WAIT);
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "the dashboard's panels of the causes: {checked} queries");
}

/// The pid of the session of `app` once it is in `state`.
fn wait_for_pid(pg: &Postgres, app: &str, state: &str) -> String {
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE application_name = '{app}' AND state = '{state}'"
    );
    let mut pid = String::new();
    let found = support::wait_for(WAIT, || {
        pid = pg.psql(&sql);
        !pid.is_empty()
    });
    assert!(found, "no session of {app} in state {state}");
    pid
}
