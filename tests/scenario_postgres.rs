//! The peak-hour scenario on a real PostgreSQL, end to end: `scripts/lab up` starts PostgreSQL,
//! its exporters, Prometheus (with examples/postgres-rules.yml) and Alertmanager; warroom runs in
//! tmux on the lab's generated config; pgbench overloads the database while thirty sessions sit
//! idle in transaction. The test watches PgIdleInTransaction go PENDING then FIRING on screen
//! (and in Prometheus and Alertmanager), selects it, presses `t`, confirms, sees `exit 0`, sees
//! the sessions gone from `pg_stat_activity` and the alert RESOLVED, then finds the story in the
//! audit log and in `warroom timeline`. Timings go to stderr (see BENCHMARKS.md).
//!
//! Every process is stopped when the test ends, passed or failed: tmux by its guard, pgbench and
//! the psql sessions by theirs, the lab by `scripts/lab down`. A missing program fails the test
//! with the command that installs it.

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

use support::http;
use support::lab::{Lab, Load};
use tmux::screen::{row_state, rows_of, select_alert};
use tmux::{Start, Tmux};

/// The rule under test and its `for` in the lab's config (scripts/lab sets every `for` to 5s).
const RULE: &str = "PgIdleInTransaction";
const LAB_FOR: Duration = Duration::from_secs(5);
/// Sessions left idle in transaction: above the rule's critical threshold (20).
const IDLE_SESSIONS: usize = 30;
/// pgbench clients: a moderate overload for a small, shared machine.
const PGBENCH_CLIENTS: &str = "20";
/// What the idle sessions call themselves in `pg_stat_activity`.
const IDLE_APP: &str = "checkout-worker";

impl Load {
    fn pgbench(&mut self, lab: &Lab, log: &Path) {
        let out = std::fs::File::create(log).expect("create pgbench log");
        let err = out.try_clone().expect("clone log handle");
        let child = lab
            .tool("pgbench")
            // Select-only: every transaction is one statement, so pgbench itself never shows as
            // "idle in transaction" and the alert is about the stuck sessions only.
            .args(["-S", "-n", "-c", PGBENCH_CLIENTS, "-j", "2", "-T", "120"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start pgbench");
        self.children.push(child);
    }

    /// A psql session that runs `BEGIN; SELECT 1;` and then waits, transaction open.
    fn idle_in_transaction(&mut self, lab: &Lab) {
        let mut child = lab
            .tool("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .env("PGAPPNAME", IDLE_APP)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start psql");
        let mut stdin = child.stdin.take().expect("psql stdin");
        stdin.write_all(b"BEGIN;\nSELECT 1;\n").expect("write to psql");
        stdin.flush().expect("flush psql stdin");
        self.children.push(child);
        self.stdins.push(stdin);
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Waits until Prometheus's own critical alert for `rule` is in `state` in `/api/v1/alerts`.
fn prometheus_alert(url: &str, rule: &str, state: &str, within: Duration) {
    let mut last = Value::Null;
    let found = support::wait_for(within, || {
        let Ok(response) = http::get(&format!("{url}/api/v1/alerts")) else { return false };
        last = response.json();
        last["data"]["alerts"].as_array().into_iter().flatten().any(|a| {
            a["labels"]["alertname"] == rule
                && a["labels"]["severity"] == "critical"
                && a["state"] == state
        })
    });
    assert!(found, "Prometheus has no {state} critical {rule} after {within:?}: {last}");
}

#[test]
fn peak_hour_idle_in_transaction_alert_one_key_recovery() {
    let started = Instant::now();
    let root = tempfile::Builder::new().prefix("warroom-scenario-").tempdir().expect("temp dir");
    let lab = Lab::up(root.path());
    let prometheus = lab.var("WARROOM_LAB_PROMETHEUS_URL").to_owned();
    let alertmanager = lab.var("WARROOM_LAB_ALERTMANAGER_URL").to_owned();
    let state_home = root.path().join("state");
    let lab_ready = started.elapsed();

    // The generated config is valid and its queries are accepted by the lab's Prometheus.
    let warroom = env!("CARGO_BIN_EXE_warroom");
    lab.check(&state_home);

    lab.psql("SELECT 1");
    let init = lab.tool("pgbench").args(["-i", "-q"]).output().expect("run pgbench -i");
    assert!(init.status.success(), "pgbench -i: {}", String::from_utf8_lossy(&init.stderr));

    // warroom on the lab, with the psql of the lab's server first on PATH for the runbooks.
    let env = lab.warroom_env(&state_home);
    let mut load = Load::default();
    let term = Tmux::start(
        "scenario",
        Start { width: 160, height: 48, env, argv: vec![warroom.to_owned()], ..Start::default() },
    );
    term.wait_until(Duration::from_secs(30), "the dashboard with data", |s| {
        s.contains("● prometheus") && s.contains(" idle in transaction ")
    });
    // A stock scrape config (no relabelling) and still every panel has data, the DB CPU join of
    // process-exporter and node_exporter too (on the host part of their instances).
    term.wait_until(Duration::from_secs(30), "data on every panel, DB CPU too", |s| {
        let panels = s.split("┌ Alerts").next().unwrap_or_default();
        !panels.contains("no data")
            && !panels.contains("loading")
            && panels.contains("■ 127.0.0.1 ")
    });

    // The overload: pgbench, then sessions that open a transaction and stop talking.
    let overload = Instant::now();
    load.pgbench(&lab, &root.path().join("pgbench.log"));
    for _ in 0..IDLE_SESSIONS {
        load.idle_in_transaction(&lab);
    }
    let all_idle = support::wait_for(Duration::from_secs(30), || {
        lab.sessions(IDLE_APP, "idle in transaction") == IDLE_SESSIONS
    });
    assert!(all_idle, "the {IDLE_SESSIONS} psql sessions did not all go idle in transaction");

    term.wait_until(Duration::from_secs(30), &format!("{RULE} PENDING"), |s| {
        row_state(s, RULE) == Some("PENDING")
    });
    let pending = overload.elapsed();
    let screen =
        term.wait_until(LAB_FOR + Duration::from_secs(10), &format!("{RULE} FIRING"), |s| {
            row_state(s, RULE) == Some("FIRING")
        });
    let firing = overload.elapsed();
    assert!(
        firing - pending >= LAB_FOR - Duration::from_secs(1),
        "{RULE} fired {} after going pending, before its `for` of {LAB_FOR:?}:\n{screen}",
        secs(firing - pending)
    );

    // Prometheus's copy of the rule agrees, and Alertmanager has it.
    prometheus_alert(&prometheus, RULE, "firing", Duration::from_secs(15));
    let in_alertmanager = support::wait_for(Duration::from_secs(15), || {
        http::get(&format!("{alertmanager}/api/v2/alerts")).is_ok_and(|r| {
            r.json().as_array().into_iter().flatten().any(|a| a["labels"]["alertname"] == RULE)
        })
    });
    assert!(in_alertmanager, "Alertmanager never received {RULE}");

    // One problem, one row: warroom's rule and Prometheus's warning and critical copies merge.
    term.wait_until(Duration::from_secs(10), "one row for warroom and prom", |s| {
        rows_of(s, RULE).len() == 1 && rows_of(s, RULE)[0].contains("warroom+prom:")
    });

    // Select the alert: focus the list, then move until the runbook pane shows it.
    let screen = select_alert(&term, RULE);
    assert!(screen.contains("[t] Terminate sessions idle in transaction"), "{screen}");

    // One key, then the confirmation (after the type-ahead guard of the dialog).
    let key = Instant::now();
    term.send_keys(&["t"]);
    // The whole dialog: a capture may land while a frame is still being written, so wait for
    // its last line (the question) too, not only for the dry run's.
    let dialog =
        term.wait_until(Duration::from_secs(15), "the confirm dialog with its dry run", |s| {
            s.contains("Confirm action")
                && s.contains("dry run (exit 0")
                && s.contains("and Enter to run")
        });
    let port = lab.var("PGPORT");
    // A stock scrape config: the alert's instance is postgres_exporter's address, port and all.
    let target = format!("127.0.0.1:{}", lab.lab_env("LAB_POSTGRES_EXPORTER_PORT"));
    // The lab's [runbook_vars] (older_than = 5) in the label and in the command, on its port.
    let label = "Terminate sessions idle in transaction for more than 5 s";
    let shown_target = format!("target  {target}");
    for shown in [label, &shown_target, &format!("PGPORT={port}"), "make_interval(secs => 5)"] {
        assert!(dialog.contains(shown), "the dialog does not show {shown:?}:\n{dialog}");
    }
    let dialog_shown = key.elapsed();
    std::thread::sleep(Duration::from_millis(700));
    // Dangerous: the target is typed, not just `y`.
    assert!(dialog.contains(&format!("type \"{target}\" and Enter to run")), "{dialog}");
    let confirm = Instant::now();
    term.send_keys(&["-l", &target]);
    term.send_keys(&["Enter"]);
    let screen = term.wait_until(Duration::from_secs(30), "the action's `exit 0`", |s| {
        !s.contains("Confirm action")
            && s.lines().any(|l| l.contains("exit 0") && l.contains("[t]"))
    });
    let finished = confirm.elapsed();
    let one_key = key.elapsed();
    let action_done = Instant::now();
    assert!(screen.contains(": exit 0"), "no success message in the footer:\n{screen}");

    // The sessions are gone from PostgreSQL, and the alert resolves.
    let gone = support::wait_for(Duration::from_secs(10), || {
        lab.sessions(IDLE_APP, "idle in transaction") == 0
    });
    assert!(gone, "sessions still idle in transaction after the action");
    let left = lab.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{IDLE_APP}'"
    ));
    assert_eq!(left, "0", "the idle sessions' backends are still there");
    let screen = term.wait_until(Duration::from_secs(20), &format!("{RULE} RESOLVED"), |s| {
        row_state(s, RULE) == Some("RESOLVED")
    });
    let resolved = action_done.elapsed();
    assert!(screen.contains(RULE), "{screen}");
    let prom_resolved = support::wait_for(Duration::from_secs(20), || {
        http::get(&format!("{prometheus}/api/v1/alerts")).is_ok_and(|r| {
            !r.json()["data"]["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["labels"]["alertname"] == RULE)
        })
    });
    assert!(prom_resolved, "Prometheus still has {RULE} after the sessions were terminated");
    // The runbook's verify query saw the sessions go: the run is marked effective on screen.
    let screen = term.wait_until(Duration::from_secs(60), "the run marked effective", |s| {
        s.contains("✓ effective: ")
    });
    assert!(screen.contains(" · effective  [t]"), "{screen}");

    // The audit log: a `started` and a `finished` record of the confirmed run, exit 0.
    let audit_path = state_home.join("warroom/lab/audit.jsonl");
    let audit = std::fs::read_to_string(&audit_path).expect("read audit.jsonl");
    let records: Vec<Value> =
        audit.lines().map(|l| serde_json::from_str(l).expect("an audit record is JSON")).collect();
    let ours = |kind: &str| {
        records.iter().find(|r| {
            r["kind"] == kind
                && r["mode"] == "confirmed"
                && r["runbook"] == "pg-idle-in-transaction"
                && r["action_key"] == "t"
                && r["target"] == target.as_str()
        })
    };
    let started_rec = ours("started").unwrap_or_else(|| panic!("no started record:\n{audit}"));
    let finished_rec = ours("finished").unwrap_or_else(|| panic!("no finished record:\n{audit}"));
    assert_eq!(started_rec["run_id"], finished_rec["run_id"], "{audit}");
    assert_eq!(started_rec["user"], "oncall");
    assert_eq!(started_rec["env"]["PGPORT"], port);
    assert_eq!(finished_rec["exit_code"], 0, "{finished_rec}");
    let verified = ours("verified").unwrap_or_else(|| panic!("no verified record:\n{audit}"));
    assert_eq!(verified["run_id"], started_rec["run_id"], "{audit}");
    assert_eq!(verified["verification"]["effective"], true, "{verified}");

    // The whole story in the timeline, in order.
    let timeline = lab.timeline_with(&state_home, &format!("{RULE} RESOLVED"));
    let position = |needle: &str| {
        timeline
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in the timeline:\n{timeline}"))
    };
    let fired_at = position(&format!("{RULE} FIRING"));
    let started_at = position("action started: [t]");
    let finished_at = started_at
        + timeline[started_at..]
            .find("action finished: [t]")
            .unwrap_or_else(|| panic!("no action finished after the start:\n{timeline}"));
    // An earlier flap may have resolved once before the action: the one that counts follows it.
    let resolved_at = finished_at
        + timeline[finished_at..]
            .find(&format!("{RULE} RESOLVED"))
            .unwrap_or_else(|| panic!("no {RULE} RESOLVED after the action:\n{timeline}"));
    assert!(
        fired_at < started_at && started_at < finished_at && finished_at < resolved_at,
        "the timeline is out of order:\n{timeline}"
    );
    assert!(timeline[finished_at..].contains("action effective: "), "{timeline}");
    assert!(
        timeline[finished_at..].lines().next().is_some_and(|l| l.contains("exit 0")),
        "{timeline}"
    );

    eprintln!(
        "peak-hour scenario timings: lab up {}; overload start → {RULE} PENDING on screen {}, \
         FIRING {} (for = {}); `t` → confirm dialog with dry run {}; target typed → exit 0 on screen {} \
         (`t` → exit 0 {}, with a 0.7 s pause before typing); exit 0 → RESOLVED on screen {}; \
         whole test {}",
        secs(lab_ready),
        secs(pending),
        secs(firing),
        secs(LAB_FOR),
        secs(dialog_shown),
        secs(finished),
        secs(one_key),
        secs(resolved),
        secs(started.elapsed()),
    );
    drop(term);
    drop(load);
    drop(lab);
}
