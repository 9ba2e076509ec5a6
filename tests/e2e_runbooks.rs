//! Runbook actions on the real binary, driven through tmux: a key and `y` typed as one burst
//! run nothing; a deliberate confirmation runs the action and the audit log has both records;
//! read-only mode runs nothing and records the denial; `kill -9` of warroom during a run leaves
//! the `started` record on disk; hostile label values reach no shell.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod fake;
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use tmux::{Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

const RUNBOOK: &str = r#"+++
id = "e2e"
title = "End-to-end runbook"
alerts = ["E2eAlert"]

[[actions]]
key = "t"
label = "Touch the marker"
argv = ["touch", "{{ marker }}"]
vars = { marker = "/nonexistent/marker" }
confirm = "yes-no"

[[actions]]
key = "w"
label = "Wait half a minute"
argv = ["sleep", "30"]
confirm = "yes-no"
timeout = "60s"

[[actions]]
key = "g"
label = "Ignore SIGTERM"
shell = true
argv = ["sh", "-c", "trap '' TERM; sleep 30"]
confirm = "yes-no"
timeout = "60s"

[[actions]]
key = "x"
label = "Write the environment"
shell = true
argv = ["sh", "-c", 'env > "$WARROOM_VAR_MARKER-env"']
vars = { marker = "/nonexistent/marker" }
env = { RUNBOOK_OWN = "set by the runbook" }
confirm = "none"

[[actions]]
key = "i"
label = "Echo the instance"
argv = ["touch", "{{ marker }}-{{ labels.instance }}"]
vars = { marker = "/nonexistent/marker" }
confirm = "yes-no"
+++
Test runbook.
"#;

/// A dashboard whose only alert fires at once; returns the harness-owned dir layout:
/// `config.toml`, `runbooks/e2e.md`, `state/`, `locks/` (not the host's shared lock dir, so
/// parallel runs never meet), and the marker path.
fn setup(dir: &Path, url: &str, query: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("runbooks")).unwrap();
    std::fs::write(dir.join("runbooks/e2e.md"), RUNBOOK).unwrap();
    let marker = dir.join("ran");
    let config = format!(
        r#"refresh = "1s"
runbooks_dir = "runbooks"
lock_dir = "locks"
[environment]
name = "e2e"
[runbook_vars]
marker = "{}"
[[sources]]
name = "src"
url = "{url}"
bearer_token_env = "E2E_SOURCE_TOKEN"
[[panels]]
title = "Probe"
id = "probe"
kind = "table"
query = '{query}'
legend = "{{{{ instance }}}}"
[[alerts]]
name = "E2eAlert"
panel = "probe"
critical = 1
runbook = "e2e"
"#,
        marker.display()
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    marker
}

fn start(name: &str, extra: &[&str], url: &str, query: &str) -> (Tmux, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap().keep();
    let marker = setup(&dir, url, query);
    let mut argv =
        vec![BIN.to_string(), "--config".into(), dir.join("config.toml").display().to_string()];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let env = vec![
        ("XDG_STATE_HOME".to_string(), dir.join("state").display().to_string()),
        ("USER".into(), "oncall".into()),
        ("E2E_SOURCE_TOKEN".into(), SOURCE_TOKEN.into()),
        ("PGHOST".into(), "db-e2e".into()),
        ("E2E_UNRELATED".into(), "not for actions".into()),
    ];
    let t = Tmux::start(name, Start { width: 160, height: 48, env, argv, ..Start::default() });
    t.wait_for("E2eAlert", Duration::from_secs(20));
    t.wait_for("FIRING", Duration::from_secs(20));
    (t, marker)
}

fn audit(marker: &Path) -> String {
    let path = marker.parent().unwrap().join("state/warroom/e2e/audit.jsonl");
    std::fs::read_to_string(path).unwrap_or_default()
}

fn wait_file(path: &Path, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    path.exists()
}

/// The source's bearer token, in the variable the config names: actions never see it.
const SOURCE_TOKEN: &str = "e2e-token-b1d3c0de";

/// Presses an action's key, waits for the dialog and past the type-ahead guard, and says yes.
fn confirm(t: &Tmux, key: &str) {
    t.send_keys(&[key]);
    t.wait_for("Confirm action", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(800));
    t.send_keys(&["y"]);
}

const DEMO_QUERY: &str = r#"sum(pg_stat_activity_count{datname="shop"})"#;

#[test]
fn a_burst_confirms_nothing_and_a_deliberate_yes_runs_and_is_audited() {
    let (t, marker) = start("burst", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    // The key and `y` in one send-keys call: typed ahead of the dialog.
    t.send_keys(&["t", "y"]);
    t.wait_for("Confirm action", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(800));
    assert!(!marker.exists(), "a buffered y must not confirm");
    assert!(!audit(&marker).contains("\"started\""), "nothing started:\n{}", audit(&marker));
    t.send_keys(&["y"]);
    assert!(wait_file(&marker, Duration::from_secs(10)), "a deliberate y runs the action");
    t.wait_for("exit 0", Duration::from_secs(10));
    let log = audit(&marker);
    assert!(log.contains("\"kind\":\"started\"") && log.contains("\"kind\":\"finished\""), "{log}");
    assert!(log.contains("\"user\":\"oncall\""), "{log}");
    assert!(log.contains(&marker.display().to_string()), "resolved argv recorded: {log}");
}

#[test]
fn actions_get_the_allow_listed_environment_only() {
    let (t, marker) = start("env", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    t.send_keys(&["x"]);
    let written = marker.with_file_name("ran-env");
    assert!(wait_file(&written, Duration::from_secs(10)), "the action ran:\n{}", t.capture());
    t.wait_for("exit 0", Duration::from_secs(10));
    let env = std::fs::read_to_string(&written).unwrap();
    let names: Vec<&str> = env.lines().filter_map(|l| l.split_once('=')).map(|(k, _)| k).collect();
    for want in ["PATH", "HOME", "USER", "PGHOST", "RUNBOOK_OWN"] {
        assert!(names.contains(&want), "{want} passed on: {names:?}");
    }
    assert!(env.contains("PGHOST=db-e2e") && env.contains("USER=oncall"), "{env}");
    assert!(!env.contains(SOURCE_TOKEN), "the source's token reached the action:\n{env}");
    for withheld in ["E2E_SOURCE_TOKEN", "E2E_UNRELATED", "XDG_STATE_HOME", "CARGO_PKG_NAME"] {
        assert!(!names.contains(&withheld), "{withheld} reached the action: {names:?}");
    }
    let allowed = |n: &str| {
        ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "TZ", "SSH_AUTH_SOCK", "RUNBOOK_OWN"]
            .contains(&n)
            || n.starts_with("LC_")
            || n.starts_with("PG")
            // What a shell action gets from warroom: its vars and labels.
            || n.starts_with("WARROOM_VAR_")
            || n.starts_with("WARROOM_LABEL_")
            // Set by sh itself.
            || ["PWD", "SHLVL", "_", "OLDPWD"].contains(&n)
    };
    let extra: Vec<&&str> = names.iter().filter(|n| !allowed(n)).collect();
    assert!(extra.is_empty(), "not on the allow-list: {extra:?}");
    let log = audit(&marker);
    assert!(log.contains("\"env_passed\":[") && log.contains("\"PGHOST\""), "{log}");
    assert!(!log.contains("db-e2e") && !log.contains(SOURCE_TOKEN), "values recorded: {log}");
}

#[test]
fn pasted_text_presses_no_runbook_key_and_confirms_nothing() {
    let (t, marker) = start("paste", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    // A paste that arrives in two pieces, as over a slow link. Read as keys, the first piece's
    // `t` would open the dialog and the second's `y`, well past the type-ahead guard, confirm it.
    t.paste("\tt1");
    std::thread::sleep(Duration::from_millis(700));
    t.paste("y");
    std::thread::sleep(Duration::from_millis(800));
    let screen = t.capture();
    assert!(!screen.contains("Confirm action"), "a paste pressed a runbook key:\n{screen}");
    assert!(!marker.exists(), "a paste ran the action");
    assert!(!audit(&marker).contains("\"started\""), "{}", audit(&marker));
    assert!(screen.contains("pasted text ignored"), "a paste goes unanswered:\n{screen}");
    // Pasted into the dialog, it confirms nothing either.
    t.send_keys(&["t"]);
    t.wait_for("Confirm action", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(700));
    t.paste("y");
    t.wait_for("type the confirmation", Duration::from_secs(5));
    assert!(!marker.exists(), "a pasted y ran the action");
    t.send_keys(&["Escape"]);
    // Into the filter it is text: control characters stripped, line breaks made spaces.
    t.send_keys(&["/"]);
    t.paste("Demo\u{1b}[2J\nDb");
    t.wait_for("/Demo[2J Db", Duration::from_secs(5));
}

#[test]
fn the_lock_dir_of_the_config_is_used_and_an_unusable_one_refuses_politely() {
    let (t, marker) = start("lockdir", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    let dir = marker.parent().unwrap();
    // A lock dir that cannot be: a file stands where it should be.
    std::fs::write(dir.join("locks"), "not a directory").unwrap();
    confirm(&t, "t");
    let want = format!("cannot use lock dir {}", dir.join("locks").display());
    t.wait_until(Duration::from_secs(10), "the refusal", |s| s.contains("cannot use lock dir"));
    assert!(!marker.exists(), "ran without a lock");
    // The refusal is written off the loop, maybe a moment after the screen shows it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !audit(&marker).contains(&want) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = audit(&marker);
    assert!(log.contains(&want) && log.contains("not a directory"), "{log}");
    assert!(!log.contains("\"kind\":\"started\""), "{log}");
    // Once it can be used, runs take their locks there.
    std::fs::remove_file(dir.join("locks")).unwrap();
    confirm(&t, "t");
    assert!(wait_file(&marker, Duration::from_secs(10)), "the action ran");
    let locks: Vec<_> = std::fs::read_dir(dir.join("locks")).unwrap().flatten().collect();
    assert!(locks.iter().any(|e| e.file_name().to_string_lossy().ends_with(".lock")), "{locks:?}");
}

#[test]
fn read_only_runs_nothing_and_records_the_denial() {
    let (t, marker) =
        start("readonly", &["--demo", "--read-only"], "http://127.0.0.1:9", DEMO_QUERY);
    t.wait_for("READ-ONLY", Duration::from_secs(5));
    t.send_keys(&["t"]);
    t.wait_for("read-only", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(800));
    t.send_keys(&["y"]);
    std::thread::sleep(Duration::from_millis(800));
    assert!(!marker.exists(), "read-only mode ran the action");
    let log = audit(&marker);
    assert!(log.contains("\"kind\":\"denied\""), "{log}");
    assert!(!log.contains("\"kind\":\"started\""), "{log}");
}

#[test]
fn kill_9_during_a_run_leaves_the_started_record() {
    let (t, marker) = start("kill9", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    confirm(&t, "w");
    t.wait_for("running", Duration::from_secs(10));
    let pid = t.pane_pid();
    let out = std::process::Command::new("kill").args(["-9", &pid.to_string()]).output().unwrap();
    assert!(out.status.success());
    let status = t.wait_exit(Duration::from_secs(20));
    assert!(status.is_some_and(|s| s != 0), "warroom was killed: {status:?}");
    let log = audit(&marker);
    assert!(log.contains("\"kind\":\"started\""), "the started record survived: {log}");
    assert!(log.contains("\"sleep\""), "{log}");
    // The orphaned `sleep` is the action's own process group; end it so nothing lingers.
    let _ = std::process::Command::new("pkill").args(["-f", "^sleep 30$"]).output();
}

#[test]
fn a_lost_terminal_ends_warroom_and_a_stuck_action_within_a_second() {
    let (t, marker) = start("hangup", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    confirm(&t, "g");
    t.wait_for("running", Duration::from_secs(10));
    let pid = t.pane_pid();
    // The pane's program leads a session of its own; the action (own process group) stays in it.
    // "running" shows once the run is asked for; the audit record comes first, then the child.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux::in_session(pid).len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = tmux::in_session(pid);
    assert!(before.len() >= 3, "warroom, sh and sleep run: {before:?}");
    // The terminal goes away: warroom gets SIGHUP, its tty closes.
    let lost = Instant::now();
    t.kill_server();
    while !tmux::ended(pid) && lost.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = lost.elapsed();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !tmux::in_session(pid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let left = tmux::in_session(pid);
    eprintln!("warroom ended {} ms after the terminal was lost", took.as_millis());
    assert!(left.is_empty(), "processes left behind: {left:?}");
    assert!(took < Duration::from_secs(1), "warroom took {took:?} to end");
    let log = audit(&marker);
    assert!(log.contains("\"outcome\":\"terminal lost: killed\""), "{log}");
}

#[test]
fn hostile_label_values_reach_no_shell() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tag = format!("pwned-{}", std::process::id());
    let hostile = [
        format!(";touch /tmp/{tag}-1"),
        format!("$(touch /tmp/{tag}-2)"),
        "-rf".to_string(),
        format!("a\nb; touch /tmp/{tag}-3"),
    ];
    for (i, value) in hostile.iter().enumerate() {
        let metric = serde_json::json!({"instance": value});
        let body = serde_json::json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": metric, "value": [1.0, "5"]}]}})
        .to_string();
        let server =
            rt.block_on(fake::Fake::start(fake::Reply::Send(200, "application/json", body)));
        let (t, marker) = start(&format!("hostile{i}"), &[], &server.url(), "probe");
        t.send_keys(&["i"]);
        std::thread::sleep(Duration::from_millis(800));
        let screen = t.capture();
        assert!(screen.contains("refused"), "value {value:?} should be refused:\n{screen}");
        // Were a dialog open after all, this would confirm it.
        t.send_keys(&["y"]);
        std::thread::sleep(Duration::from_millis(800));
        let log = audit(&marker);
        assert!(log.contains("\"kind\":\"refused\""), "{log}");
        assert!(!log.contains("\"kind\":\"started\""), "{log}");
        drop(t);
        drop(server);
    }
    for n in 1..=3 {
        assert!(!Path::new(&format!("/tmp/{tag}-{n}")).exists(), "a shell ran a label value");
    }
}

#[test]
fn an_action_already_running_says_so_before_asking_again() {
    let (t, _marker) = start("busy", &["--demo"], "http://127.0.0.1:9", DEMO_QUERY);
    confirm(&t, "w");
    t.wait_for("running", Duration::from_secs(10));
    // The same action on the same target, while the first run holds its lock.
    t.send_keys(&["w"]);
    let screen = t.wait_for("cannot run now: already running since", Duration::from_secs(5));
    assert!(screen.contains("by oncall@"), "the holder is named:\n{screen}");
    assert!(!screen.contains("Run it?"), "it still asks:\n{screen}");
    t.send_keys(&["Escape"]);
    t.send_keys(&["q"]);
    assert!(t.wait_exit(Duration::from_secs(10)).is_some(), "warroom quits, ending the run");
}
