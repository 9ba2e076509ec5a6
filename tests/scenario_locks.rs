//! The peak-hour causes on a real PostgreSQL, end to end: `scripts/lab up` starts PostgreSQL
//! with pg_stat_statements, postgres_exporter with warroom's queries
//! (examples/postgres-exporter-queries.yaml), Prometheus and Alertmanager; warroom runs in tmux
//! on the lab's generated config. A batch job (`application_name` nightly-batch) takes a row
//! lock and holds it while pgbench's transactions queue behind it, and an expensive report runs
//! in a loop. The test watches the lock-wait panel and the top-statements table show them, the
//! lock alert fire, the runbook's read-only action name the blocker, the guarded cancel of the
//! head blocker run with its guard shown holding, the blocked sessions drain, the run marked
//! effective, and the whole story in `warroom timeline`. Timings go to stderr.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;
mod tmux;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use support::lab::{path_str, Lab, Load};
use tmux::screen::{row_state, select_alert};
use tmux::{Start, Tmux};

/// The rule under test (its `for` in the lab is 5 s).
const RULE: &str = "PgLockWaits";
/// What the batch job calls itself in `pg_stat_activity`.
const BATCH_APP: &str = "nightly-batch";
/// What the expensive report calls itself.
const REPORT_APP: &str = "report-export";
/// pgbench clients queued behind the batch job: above the rule's critical threshold (20).
const PGBENCH_CLIENTS: &str = "24";
/// One checkout transaction: an update of the client's own account.
const CHECKOUT_SQL: &str =
    "\\set aid :client_id + 1\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n";
/// The expensive statement the report runs again and again.
const REPORT_SQL: &str =
    "SELECT count(*) FROM pgbench_accounts a CROSS JOIN generate_series(1, 3) AS g WHERE a.abalance >= 0;";

impl Load {
    /// The batch job: locks the accounts pgbench's clients update and keeps running a
    /// statement, the locks held, until cancelled.
    fn batch_job(&mut self, lab: &Lab) {
        let mut child = lab
            .tool("psql")
            .args(["-X", "-q"])
            .env("PGAPPNAME", BATCH_APP)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the batch job");
        let mut stdin = child.stdin.take().expect("psql stdin");
        stdin
            .write_all(
                format!(
                    "BEGIN;\nUPDATE pgbench_accounts SET abalance = abalance WHERE aid <= {PGBENCH_CLIENTS};\n\
                     SELECT pg_sleep(600);\n"
                )
                .as_bytes(),
            )
            .expect("write to psql");
        stdin.flush().expect("flush psql stdin");
        self.children.push(child);
        self.stdins.push(stdin);
    }

    /// The checkout's traffic: each pgbench client updates an account of its own (so they never
    /// wait for each other), one the batch job holds.
    fn pgbench(&mut self, lab: &Lab, dir: &Path) {
        let script = dir.join("checkout.sql");
        std::fs::write(&script, CHECKOUT_SQL).expect("write the checkout script");
        let args = ["-n", "-c", PGBENCH_CLIENTS, "-j", "2", "-T", "150", "-f", path_str(&script)];
        self.spawn_pgbench(lab, &dir.join("pgbench.log"), &args, None);
    }

    /// The report: one client running the expensive statement in a loop.
    fn report(&mut self, lab: &Lab, dir: &Path) {
        let script = dir.join("report.sql");
        std::fs::write(&script, REPORT_SQL).expect("write the report script");
        let args = ["-n", "-c", "1", "-T", "150", "-f", path_str(&script)];
        self.spawn_pgbench(lab, &dir.join("report.log"), &args, Some(REPORT_APP));
    }

    fn spawn_pgbench(&mut self, lab: &Lab, log: &Path, args: &[&str], app: Option<&str>) {
        let out = std::fs::File::create(log).expect("create pgbench log");
        let err = out.try_clone().expect("clone log handle");
        let mut command = lab.tool("pgbench");
        command.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
        if let Some(app) = app {
            command.env("PGAPPNAME", app);
        }
        self.children.push(command.spawn().expect("start pgbench"));
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Sessions waiting for a lock right now.
fn waiting(lab: &Lab) -> usize {
    lab.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        .parse()
        .expect("a count")
}

/// The records of `audit.jsonl` for `runbook` and `key`.
fn audit_records(path: &Path, runbook: &str, key: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["runbook"] == runbook && r["action_key"] == key)
        .collect()
}

#[test]
fn peak_hour_lock_pile_up_found_and_cleared_with_a_guarded_verified_action() {
    let started = Instant::now();
    let root = tempfile::Builder::new().prefix("warroom-locks-").tempdir().expect("temp dir");
    let lab = Lab::up(root.path());
    let state_home = root.path().join("state");
    let warroom = env!("CARGO_BIN_EXE_warroom");

    // The lab's config, its guards and verify queries included, passes the live check.
    lab.check(&state_home);

    let init = lab.tool("pgbench").args(["-i", "-q"]).output().expect("run pgbench -i");
    assert!(init.status.success(), "pgbench -i: {}", String::from_utf8_lossy(&init.stderr));

    let env = lab.warroom_env(&state_home);
    let term = Tmux::start(
        "locks",
        Start { width: 200, height: 60, env, argv: vec![warroom.to_owned()], ..Start::default() },
    );
    term.wait_until(Duration::from_secs(30), "the dashboard with data", |s| {
        s.contains("● prometheus") && s.contains("Lock waits")
    });

    // The causes: a batch job holding a row lock, pgbench queueing behind it, a heavy report.
    let overload = Instant::now();
    let mut load = Load::default();
    load.batch_job(&lab);
    let locked =
        support::wait_for(Duration::from_secs(20), || lab.sessions(BATCH_APP, "active") == 1);
    assert!(locked, "the batch job is not running");
    load.pgbench(&lab, root.path());
    load.report(&lab, root.path());
    let piled = support::wait_for(Duration::from_secs(30), || waiting(&lab) >= 20);
    assert!(piled, "pgbench's sessions do not queue behind the batch job ({})", waiting(&lab));

    // On screen: who blocks how many, and the report among the top statements.
    let causes =
        term.wait_until(Duration::from_secs(40), "the blocker and the report on screen", |s| {
            s.contains(BATCH_APP) && s.contains("SELECT count(*) FROM pgbench_accounts a")
        });
    eprintln!("--- the causes on screen ---\n{causes}");
    // A panel with a value never says it has no data (a fresh Prometheus has no point yet at
    // a chart's step boundaries, while its live twin has the value).
    // The panel's own top border: from its title to the border's corner.
    let lying = causes.lines().find(|l| {
        let border = l.split("Lock waits").nth(1).and_then(|r| r.split(['┐', '┓']).next());
        border.is_some_and(|b| b.contains("no data"))
    });
    assert!(lying.is_none(), "the lock-wait panel shows a value and says `no data`:\n{causes}");
    let prometheus = lab.var("WARROOM_LAB_PROMETHEUS_URL").to_owned();
    for q in ["up", "sum(pg_lock_chains_blocked_sessions)", "min(pg_up)"] {
        if let Ok(r) = support::http::get(&format!("{prometheus}/api/v1/query?query={q}")) {
            eprintln!("--- {q} then ---\n{}", r.json()["data"]["result"]);
        }
    }
    let causes_shown = overload.elapsed();
    term.wait_until(Duration::from_secs(40), &format!("{RULE} FIRING"), |s| {
        row_state(s, RULE) == Some("FIRING")
    });
    let firing = overload.elapsed();

    // The read-only look names the blocker.
    let screen = select_alert(&term, RULE);
    assert!(screen.contains("[b] Lock chains"), "{screen}");
    term.send_keys(&["b"]);
    term.wait_until(Duration::from_secs(20), "the lock chains, naming the batch job", |s| {
        s.lines().any(|l| l.contains("exit 0") && l.contains("[b]")) && s.contains(BATCH_APP)
    });

    // The guarded cancel of the head blocker: its guard read live and holding, then confirmed.
    let key = Instant::now();
    term.send_keys(&["c"]);
    let dialog =
        term.wait_until(Duration::from_secs(20), "the dialog with its guard holding", |s| {
            s.contains("Confirm action") && s.contains("✓ ") && s.contains("Run it?")
        });
    eprintln!("--- the guarded action's dialog ---\n{dialog}");
    assert!(dialog.contains("guards, read live just now:"), "{dialog}");
    assert!(dialog.contains("afterwards, watches for"), "{dialog}");
    std::thread::sleep(Duration::from_millis(600));
    term.send_keys(&["y"]);
    let screen = term.wait_until(Duration::from_secs(30), "the cancel's `exit 0`", |s| {
        !s.contains("Confirm action")
            && s.lines().any(|l| l.contains("exit 0") && l.contains("[c]"))
    });
    let cancelled = key.elapsed();
    assert!(screen.contains("guard ✓ "), "the output pane shows the guard it ran with:\n{screen}");
    let action_done = Instant::now();

    // The queue drains, the run is marked effective, the alert resolves.
    let drained = support::wait_for(Duration::from_secs(20), || waiting(&lab) == 0);
    assert!(drained, "sessions still wait for locks after the cancel: {}", waiting(&lab));
    let screen = term.wait_until(Duration::from_secs(70), "the run marked effective", |s| {
        s.contains("✓ effective: ")
    });
    let effective = action_done.elapsed();
    assert!(screen.contains(" · effective  [c]"), "{screen}");
    term.wait_until(Duration::from_secs(40), &format!("{RULE} RESOLVED"), |s| {
        row_state(s, RULE) == Some("RESOLVED")
    });
    let resolved = action_done.elapsed();

    // The audit log: the run with its guard, and its verdict.
    let audit = state_home.join("warroom/lab/audit.jsonl");
    let records = audit_records(&audit, "pg-lock-waits", "c");
    let started_rec = records.iter().find(|r| r["kind"] == "started").expect("a started record");
    assert_eq!(started_rec["guards"][0]["holds"], true, "{started_rec}");
    let verified = records.iter().find(|r| r["kind"] == "verified").expect("a verified record");
    assert_eq!(verified["verification"]["effective"], true, "{verified}");

    // The whole story in the timeline, in order.
    let timeline = lab.timeline_with(&state_home, &format!("{RULE} RESOLVED"));
    let at = |needle: &str, from: usize| {
        from + timeline[from..].find(needle).unwrap_or_else(|| {
            panic!("no {needle:?} after byte {from} of the timeline:\n{timeline}")
        })
    };
    let fired_at = at(&format!("{RULE} FIRING"), 0);
    // This warroom's own records (a `| ` cell), not the team's copy of them.
    let look_at = at("| action finished: [b]", fired_at);
    let started_at = at("| action started: [c]", look_at);
    let finished_at = at("| action finished: [c]", started_at);
    at("| action effective: ", finished_at);
    assert!(!timeline.contains("[host "), "this host's runs are told once:\n{timeline}");
    at(&format!("{RULE} RESOLVED"), started_at);
    assert!(timeline[started_at..finished_at].contains("(holds)"), "{timeline}");

    eprintln!(
        "lock pile-up scenario timings: overload start → blocker and report on screen {}, \
         {RULE} FIRING {}; `c` → exit 0 {} (0.6 s pause before `y`); exit 0 → effective {}, \
         RESOLVED {}; whole test {}",
        secs(causes_shown),
        secs(firing),
        secs(cancelled),
        secs(effective),
        secs(resolved),
        secs(started.elapsed()),
    );
    drop(term);
    drop(load);
    drop(lab);
}
