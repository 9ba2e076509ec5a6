//! The shipped PostgreSQL runbooks against a real server: each test starts a private
//! PostgreSQL cluster on a free loopback port (see `tests/support/postgres.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    let pg = support::Postgres::start();
    let s = Server { port: pg.port().to_string(), user: "postgres".into() };
    (pg, s)
}

/// A psql session fed `sql` on stdin and then left open.
fn session(s: &Server, sql: &str) -> Child {
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-h", "127.0.0.1", "-p", &s.port, "-U", &s.user, "postgres"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(sql.as_bytes()).unwrap();
    // Keep stdin open so the session stays: leak it into a thread that holds it.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        drop(stdin);
    });
    child
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
    let mut ctx = Context::default();
    ctx.labels.insert("instance".into(), "127.0.0.1:9187".into());
    let mode = if dry { Mode::DryRun } else { Mode::Confirmed };
    let mut r = prepare(a, &ctx, mode).unwrap();
    assert_eq!(r.env.get("PGHOST").map(String::as_str), Some("127.0.0.1"));
    r.env.insert("PGUSER".into(), s.user.clone());
    let (tx, mut rx) = mpsc::unbounded_channel();
    // A state dir of its own per run: no lock or cooldown left by an earlier one.
    let state = tempfile::tempdir().unwrap();
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    let order = Order::Run {
        run_id: 1,
        action: Box::new(a.clone()),
        resolved: Box::new(r),
        checks: Default::default(),
    };
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
    let (_pg, s) = server();
    let mut holder = session(&s, "begin; select 1;\n");
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
    let _ = holder.kill();
    let _ = holder.wait();
}

#[tokio::test]
async fn long_running_statements_are_listed_then_cancelled() {
    let (_pg, s) = server();
    let mut holder = session(&s, "select pg_sleep(45);\n");
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
    let _ = holder.kill();
    let _ = holder.wait();
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
