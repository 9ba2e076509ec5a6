//! Two engineers, two real warroom processes in tmux, each talking to its own member of a real
//! Alertmanager pair clustered on loopback, each with its own state and lock directory: alice
//! runs an action; bob's runbook pane says so ("⚑ alice is running … since …"), his confirm
//! dialog refuses the same action on the same target with who and since, and once alice's run
//! ended his pane says how it ended. The command ran once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;
mod tmux;

use std::path::Path;
use std::time::Duration;

use support::Alertmanager;
use tmux::{Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// One action for every demo alert, on a fixed target; it appends a line to `file` (what the
/// test counts) and holds for 6 s.
fn runbook(file: &Path) -> String {
    format!(
        r#"+++
id = "team-demo"
title = "Team demo"
alerts = ["DemoErrorRate", "DemoDbCpuHigh", "DemoIdleInTransaction", "DemoConnectionsHigh"]

[[actions]]
key = "x"
label = "Terminate idle sessions"
argv = ["sh", "-c", "echo ran >> \"$WARROOM_VAR_FILE\"; sleep 6"]
shell = true
target = "pg-main-1"
vars = {{ file = "{}" }}
+++
Terminate them.
"#,
        file.display()
    )
}

/// Starts `user`'s warroom on the demo source with the team's Alertmanager at `am`.
fn warroom(user: &str, am: &str, file: &Path, home: &Path) -> Tmux {
    let home = home.join(user);
    let runbooks = home.join("runbooks");
    std::fs::create_dir_all(&runbooks).unwrap();
    std::fs::write(runbooks.join("team-demo.md"), runbook(file)).unwrap();
    let config = home.join("config.toml");
    let text = format!(
        "state_dir = \"{state}\"\nlock_dir = \"{locks}\"\n{dashboard}\n[alertmanager]\nurl = \"{am}\"\n",
        state = home.join("state").display(),
        locks = home.join("locks").display(),
        dashboard = warroom::demo::DASHBOARD,
    );
    std::fs::write(&config, text).unwrap();
    let env = vec![
        ("USER".to_string(), user.to_string()),
        ("SUDO_USER".to_string(), String::new()),
        ("XDG_STATE_HOME".to_string(), home.join("xdg").display().to_string()),
    ];
    let argv = [BIN, "--demo", "--config", config.to_str().unwrap()]
        .iter()
        .chain(&["--runbooks", runbooks.to_str().unwrap()])
        .map(|s| s.to_string())
        .collect();
    Tmux::start(
        &format!("team-{user}"),
        Start { width: 280, height: 50, env, argv, ..Start::default() },
    )
}

fn runs(file: &Path) -> usize {
    std::fs::read_to_string(file).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn bob_sees_alices_run_and_his_dialog_refuses_the_same_action() {
    let (am1, am2) = Alertmanager::pair();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs");
    let host = warroom::runbook::Identity::from_env("").host;
    let alice = warroom("alice", &am1.url(), &file, dir.path());
    let bob = warroom("bob", &am2.url(), &file, dir.path());
    for t in [&alice, &bob] {
        t.wait_until(Duration::from_secs(60), "an alert firing", |s| s.contains(" FIRING "));
        t.send_keys(&["Tab"]);
        t.wait_for("[x] Terminate idle sessions", Duration::from_secs(10));
    }

    alice.send_keys(&["x"]);
    let dialog = alice.wait_for("Run it?", Duration::from_secs(5));
    assert!(dialog.contains("team    announced to the team through Alertmanager"), "{dialog}");
    std::thread::sleep(Duration::from_millis(500)); // keys typed ahead of a dialog never confirm
    alice.send_keys(&["y"]);
    assert!(support::wait_for(Duration::from_secs(10), || runs(&file) == 1), "alice's run");

    let running =
        format!("⚑ alice is running Terminate idle sessions on pg-main-1 from {host} since");
    bob.wait_for(&running, Duration::from_secs(10));
    bob.send_keys(&["x"]);
    // The prompt is one row of the dialog: its start says it all.
    let refused = "cannot run now: already running elsewhere: alice is running Terminate idle";
    let dialog = bob.wait_for(refused, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(500));
    bob.send_keys(&["y"]);
    bob.send_keys(&["Escape"]);

    let ended =
        format!("⚑ alice ran Terminate idle sessions on pg-main-1 from {host}: exit 0, 6 s");
    let after = bob.wait_for(&ended, Duration::from_secs(20));
    assert_eq!(runs(&file), 1, "the command ran once");
    println!("bob's dialog:\n{dialog}\nbob's screen after alice's run:\n{after}");
    for t in [&alice, &bob] {
        t.send_keys(&["q"]);
    }
}
