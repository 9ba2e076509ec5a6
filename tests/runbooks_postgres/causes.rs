//! The runbooks of the causes on a real server: the head blocker of the longest lock chain is
//! found at run time and cancelled (its queue drains, another chain stays), or, idle in
//! transaction, terminated; one statement is cancelled by its query id (and no other), and a
//! batch job's sessions are terminated (and no other application's); label values outside
//! their allow-list are refused before anything runs.

use std::time::Duration;

use warroom::runbook::{prepare, Mode, Refusal};

use super::{action, context, run, run_on, served};
use crate::support::{self, Postgres};

const WAIT: Duration = Duration::from_secs(30);

/// Waits until `sql` answers `want`; fails the test with the last answer after [`WAIT`].
fn wait_for_answer(pg: &Postgres, sql: &str, want: &str) {
    let mut last = String::new();
    let reached = support::wait_for(WAIT, || {
        last = pg.psql(sql);
        last == want
    });
    assert!(reached, "{sql:?} answers {last:?}, not {want:?}");
}

/// Sessions of `app` waiting for a lock.
fn waiting(app: &str) -> String {
    format!(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name = '{app}' AND wait_event_type = 'Lock'"
    )
}

fn sessions(app: &str) -> String {
    format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'")
}

#[tokio::test]
async fn the_head_blocker_of_the_longest_chain_is_cancelled_and_its_queue_drains() {
    let (pg, s) = served(Postgres::start());
    pg.psql(
        "CREATE TABLE orders (id int PRIMARY KEY, n int); INSERT INTO orders VALUES (1, 0), (2, 0)",
    );
    let hold = |row: u32| {
        format!("BEGIN; UPDATE orders SET n = n + 1 WHERE id = {row}; SELECT pg_sleep(120);\n")
    };
    let bump = |row: u32| format!("UPDATE orders SET n = n + 1 WHERE id = {row};\n");
    let sleeping = |app: &str| {
        format!(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = '{app}' AND query LIKE '%pg_sleep%'"
        )
    };
    // A short chain on row 2, the longest on row 1.
    let _short_head = pg.session("migration", &hold(2));
    wait_for_answer(&pg, &sleeping("migration"), "1");
    let _short = pg.session("admin", &bump(2));
    let _head = pg.session("nightly-report", &hold(1));
    wait_for_answer(&pg, &sleeping("nightly-report"), "1");
    let _queue: Vec<_> = (0..3).map(|_| pg.session("checkout", &bump(1))).collect();
    wait_for_answer(&pg, &waiting("checkout"), "3");
    wait_for_answer(&pg, &waiting("admin"), "1");
    let head =
        pg.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'nightly-report'");

    let cancel = action("pg-lock-waits", 'c', &s, ("unused", "0"));
    let chosen = run(&cancel, &s, true).await;
    assert!(
        chosen.iter().any(|l| l.contains(&head) && l.contains("nightly-report")),
        "{chosen:#?}"
    );
    assert!(!chosen.iter().any(|l| l.contains("migration")), "{chosen:#?}");
    let done = run(&cancel, &s, false).await;
    let line = done.iter().find(|l| l.contains(&head)).unwrap_or_else(|| panic!("{done:#?}"));
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    assert_eq!(fields[4], "3", "sessions blocked: {done:#?}");
    assert!(line.contains("statement cancelled"), "{done:#?}");

    // The queue behind row 1 gets the lock and finishes; the other chain is untouched.
    wait_for_answer(&pg, &waiting("checkout"), "0");
    wait_for_answer(&pg, "SELECT n FROM orders WHERE id = 1", "3");
    assert_eq!(pg.psql(&waiting("admin")), "1");
    let look = action("pg-lock-waits", 'b', &s, ("unused", "0"));
    let chains = run(&look, &s, false).await;
    assert!(chains.iter().any(|l| l.contains("migration")), "{chains:#?}");
}

#[tokio::test]
async fn a_statement_is_cancelled_by_its_query_id_and_no_other() {
    let (pg, s) = served(Postgres::with_pg_stat_statements());
    let _target = pg.session("report", "SELECT pg_sleep(60);\n");
    let _other = pg.session("report", "SELECT count(*) FROM pg_sleep(60);\n");
    let running = "SELECT count(*) FROM pg_stat_activity \
                   WHERE application_name = 'report' AND state = 'active' AND query_id IS NOT NULL";
    wait_for_answer(&pg, running, "2");
    let id_of = |text: &str| {
        pg.psql(&format!("SELECT query_id FROM pg_stat_activity WHERE query LIKE '{text}%'"))
    };
    let (id, other) = (id_of("SELECT pg_sleep(60)"), id_of("SELECT count(*)"));
    assert_ne!(id, other);

    let cancel = action("pg-cpu-high", 'x', &s, ("unused", "0"));
    let labels = [("queryid", id.as_str())];
    let listed = run_on(&cancel, &s, true, &labels).await;
    assert!(listed.iter().any(|l| l.contains("SELECT pg_sleep(60)")), "{listed:#?}");
    assert!(!listed.iter().any(|l| l.contains("count(*)")), "{listed:#?}");
    let done = run_on(&cancel, &s, false, &labels).await;
    assert!(
        done.iter().any(|l| l.contains("SELECT pg_sleep(60)") && l.trim_end().ends_with("| t")),
        "{done:#?}"
    );
    assert!(done.iter().any(|l| l == "(1 row)"), "{done:#?}");
    wait_for_answer(&pg, running, "1");
    assert_eq!(id_of("SELECT count(*)"), other, "the other statement still runs");

    // A query id is a number: anything else never reaches psql.
    let refused = prepare(&cancel, &context(&[("queryid", "1 -c x=1")]), Mode::Confirmed);
    let refused = refused.expect_err("an id with a space and an option");
    assert!(matches!(refused.refusal, Refusal::NotAllowed { .. }), "{:?}", refused.refusal);
}

#[tokio::test]
async fn pausing_a_batch_job_terminates_only_its_sessions() {
    let (pg, s) = served(Postgres::start());
    let job = "nightly-report";
    let _job: Vec<_> = ["SELECT pg_sleep(60);\n", "BEGIN; SELECT 1;\n", "SELECT 1;\n"]
        .into_iter()
        .map(|sql| pg.session(job, sql))
        .collect();
    let _shop: Vec<_> = (0..2).map(|_| pg.session("checkout", "SELECT pg_sleep(60);\n")).collect();
    let _twin = pg.session("nightly-report-2", "SELECT 1;\n");
    wait_for_answer(&pg, &sessions(job), "3");
    wait_for_answer(&pg, &sessions("checkout"), "2");
    wait_for_answer(&pg, &sessions("nightly-report-2"), "1");

    let pause = action("pg-batch-job", 'P', &s, ("unused", "0"));
    let labels = [("application_name", job)];
    let listed = run_on(&pause, &s, true, &labels).await;
    assert!(listed.iter().any(|l| l == "(3 rows)"), "{listed:#?}");
    let done = run_on(&pause, &s, false, &labels).await;
    assert_eq!(done.iter().filter(|l| l.trim_end().ends_with("| t")).count(), 3, "{done:#?}");
    wait_for_answer(&pg, &sessions(job), "0");
    assert_eq!(pg.psql(&sessions("checkout")), "2");
    assert_eq!(pg.psql(&sessions("nightly-report-2")), "1");

    // The customers' application is no batch job: refused before anything runs. Looking at
    // its sessions is fine.
    let refused = prepare(&pause, &context(&[("application_name", "checkout")]), Mode::Confirmed);
    let refused = refused.expect_err("checkout is not a batch job");
    assert!(matches!(refused.refusal, Refusal::NotAllowed { .. }), "{:?}", refused.refusal);
    let look = action("pg-batch-job", 's', &s, ("unused", "0"));
    let seen = run_on(&look, &s, false, &[("application_name", "checkout")]).await;
    assert!(seen.iter().any(|l| l == "(2 rows)"), "{seen:#?}");
}

/// A head idle in transaction runs no statement: cancelling says so and changes nothing;
/// terminating it releases its locks.
#[tokio::test]
async fn an_idle_head_blocker_is_left_to_terminate() {
    let (pg, s) = served(Postgres::start());
    pg.psql("CREATE TABLE orders (id int PRIMARY KEY, n int); INSERT INTO orders VALUES (1, 0)");
    let _head = pg.session("admin", "BEGIN; UPDATE orders SET n = n + 1 WHERE id = 1;\n");
    let idle = "SELECT count(*) FROM pg_stat_activity \
                WHERE application_name = 'admin' AND state = 'idle in transaction'";
    wait_for_answer(&pg, idle, "1");
    let _queue: Vec<_> = (0..2)
        .map(|_| pg.session("checkout", "UPDATE orders SET n = n + 1 WHERE id = 1;\n"))
        .collect();
    wait_for_answer(&pg, &waiting("checkout"), "2");

    let cancel = action("pg-lock-waits", 'c', &s, ("unused", "0"));
    let said = run(&cancel, &s, false).await;
    assert!(said.iter().any(|l| l.contains("admin") && l.contains("press T")), "{said:#?}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(pg.psql(&waiting("checkout")), "2", "a cancel leaves an idle transaction be");

    let terminate = action("pg-lock-waits", 'T', &s, ("unused", "0"));
    let done = run(&terminate, &s, false).await;
    assert!(done.iter().any(|l| l.contains("admin") && l.trim_end().ends_with("| t")), "{done:#?}");
    wait_for_answer(&pg, &waiting("checkout"), "0");
    wait_for_answer(&pg, &sessions("admin"), "0");
}
