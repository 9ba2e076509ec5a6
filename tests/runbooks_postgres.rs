//! The shipped PostgreSQL runbooks against a real server: each test starts a private
//! PostgreSQL cluster on a free loopback port (see `tests/support/postgres.rs`). The actions
//! on the causes (lock chains, one statement, one batch job) are in
//! `runbooks_postgres/causes.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;
use std::time::Duration;

#[path = "runbooks_postgres/causes.rs"]
mod causes;
mod support;

use tokio::sync::mpsc;
use warroom::runbook::{
    load_dir, prepare, ActionSpec, Context, Identity, Launcher, Mode, Order, Outcome, RunEvent,
    Submitted,
};

struct Server {
    port: String,
    user: String,
}

/// A private cluster; dropping the first element stops it.
fn server() -> (support::Postgres, Server) {
    served(support::Postgres::start())
}

fn served(pg: support::Postgres) -> (support::Postgres, Server) {
    let s = Server { port: pg.port().to_string(), user: "postgres".into() };
    (pg, s)
}

fn action(runbook: &str, key: char, s: &Server, threshold: (&str, &str)) -> ActionSpec {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (runbooks, diags) = load_dir(&dir);
    assert!(diags.is_empty(), "{diags:?}");
    let rb = runbooks.iter().find(|r| r.id == runbook).unwrap();
    let mut a = rb.action(key).unwrap().clone();
    a.vars.insert("pg_port".into(), s.port.clone());
    a.vars.insert(threshold.0.into(), threshold.1.into());
    a
}

async fn run(a: &ActionSpec, s: &Server, dry: bool) -> Vec<String> {
    run_on(a, s, dry, &[]).await
}

/// The alert's labels: `instance` (the exporter's address, as a stock scrape gives it) and
/// `extra`.
fn context(extra: &[(&str, &str)]) -> Context {
    let mut ctx = Context::default();
    ctx.labels.insert("instance".into(), "127.0.0.1:9187".into());
    for (k, v) in extra {
        ctx.labels.insert((*k).into(), (*v).into());
    }
    ctx
}

/// Runs `a` (its dry run when `dry`) for an alert with the labels of [`context`]; fails the
/// test unless it exits 0; its output lines.
async fn run_on(a: &ActionSpec, s: &Server, dry: bool, labels: &[(&str, &str)]) -> Vec<String> {
    let ctx = context(labels);
    let mode = if dry { Mode::DryRun } else { Mode::Confirmed };
    let mut r = prepare(a, &ctx, mode).unwrap();
    assert_eq!(r.env.get("PGHOST").map(String::as_str), Some("127.0.0.1"));
    r.env.insert("PGUSER".into(), s.user.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    // A state dir of its own per run: no lock or cooldown left by an earlier one.
    let state = tempfile::tempdir().unwrap();
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    // What runs against the database is under test here; guards, read from Prometheus, are
    // taken to hold (`scenario_locks.rs` reads them for real).
    let held =
        |_| warroom::runbook::Reading { holds: Some(true), value: None, shown: "held".into() };
    let checks = warroom::runbook::Checks {
        readings: r.guards.iter().map(held).collect(),
        overridden: false,
    };
    let order =
        Order::Run { run_id: 1, action: Box::new(a.clone()), resolved: Box::new(r), checks };
    assert!(matches!(launcher.submit(order, tx), Submitted::Started(_)));
    let mut lines = Vec::new();
    loop {
        match rx.recv().await.unwrap() {
            RunEvent::Output { line, .. } => lines.push(line),
            RunEvent::Finished { outcome, .. } => {
                assert_eq!(outcome, Outcome::Exited(0), "{lines:#?}");
                return lines;
            }
        }
    }
}

#[tokio::test]
async fn idle_in_transaction_sessions_are_listed_then_terminated() {
    let (pg, s) = server();
    let _holder = pg.session("psql", "begin; select 1;\n");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let a = action("pg-idle-in-transaction", 't', &s, ("older_than", "1"));
    let listed = run(&a, &s, true).await;
    assert!(listed.iter().any(|l| l.contains("| psql")), "{listed:#?}");
    assert!(!listed.iter().any(|l| l.contains("terminated")), "{listed:#?}");
    let done = run(&a, &s, false).await;
    assert!(done.iter().any(|l| l.contains("terminated")), "{done:#?}");
    assert!(done.iter().any(|l| l.trim_end().ends_with("| t")), "{done:#?}");
    let again = run(&a, &s, true).await;
    assert!(again.iter().any(|l| l == "(0 rows)"), "{again:#?}");
}

#[tokio::test]
async fn long_running_statements_are_listed_then_cancelled() {
    let (pg, s) = server();
    let _holder = pg.session("psql", "select pg_sleep(45);\n");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let a = action("pg-long-running-queries", 'c', &s, ("longer_than", "1"));
    let listed = run(&a, &s, true).await;
    assert!(listed.iter().any(|l| l.contains("pg_sleep(45)")), "{listed:#?}");
    let done = run(&a, &s, false).await;
    assert!(
        done.iter().any(|l| l.contains("pg_sleep(45)") && l.trim_end().ends_with("| t")),
        "{done:#?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = run(&a, &s, true).await;
    assert!(!again.iter().any(|l| l.contains("pg_sleep(45)")), "{again:#?}");
}

#[tokio::test]
async fn read_only_diagnostics_run() {
    let (_pg, s) = server();
    for (rb, key) in [
        ("pg-connections-high", 's'),
        ("pg-errors", 's'),
        ("pg-errors", 'b'),
        ("pg-idle-in-transaction", 'b'),
    ] {
        let a = action(rb, key, &s, ("unused", "0"));
        let out = run(&a, &s, false).await;
        assert!(
            out.iter().any(|l| l.ends_with("rows)") || l.ends_with("row)")),
            "{rb} {key}: {out:#?}"
        );
    }
}
