//! End to end in a real terminal: `warroom --demo` in tmux, an alert fires on screen; Tab, `a`,
//! a note and Enter acknowledge it; the row shows ACK; and the history file in
//! `$XDG_STATE_HOME/warroom/` holds both the firing transition and the acknowledgement.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod tmux;

use std::time::Duration;

use tmux::{Start, Tmux};
use warroom::alert::{AlertState, Event};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

#[test]
fn demo_alert_fires_is_acknowledged_and_recorded() {
    let dirs = tempfile::tempdir().unwrap();
    let state = dirs.path().join("state");
    let env = vec![
        ("XDG_STATE_HOME".to_string(), state.display().to_string()),
        ("XDG_CONFIG_HOME".to_string(), dirs.path().join("config").display().to_string()),
        ("SUDO_USER".to_string(), String::new()),
        ("USER".to_string(), "oncall-ana".to_string()),
    ];
    let argv = vec![BIN.to_string(), "--demo".to_string()];
    let t =
        Tmux::start("pager-ack", Start { width: 120, height: 40, env, argv, ..Start::default() });

    // The demo's meltdown makes an alert fire within its first half minute.
    t.wait_until(Duration::from_secs(60), "an alert firing in the list", |s| {
        s.lines().any(|l| l.contains(" FIRING ") && l.contains("Demo"))
    });
    t.send_keys(&["Tab"]);
    t.send_keys(&["a"]);
    let dialog = t.wait_for("Enter acknowledge", Duration::from_secs(5));
    let rule = dialog
        .lines()
        .find_map(|l| l.split("alert  ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|r| r.trim_end_matches('│').to_string())
        .unwrap_or_else(|| panic!("no alert named in the dialog:\n{dialog}"));
    t.send_keys(&["-l", "looking at it"]);
    t.send_keys(&["Enter"]);
    let screen = t.wait_until(Duration::from_secs(5), "the alert shown as acknowledged", |s| {
        s.lines().any(|l| l.contains(&format!("ACK {rule}")))
    });
    assert!(screen.contains("acknowledged by oncall-ana"), "{screen}");

    let path = state.join("warroom/demo-prod/history.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let events: Vec<Event> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let fired = events.iter().position(
        |e| matches!(e, Event::Transition { rule: r, to: AlertState::Firing, .. } if *r == rule),
    );
    let acked = events.iter().position(|e| {
        matches!(e, Event::Ack { rule: r, by, note: Some(n), silence: None, .. }
            if *r == rule && by == "oncall-ana" && n == "looking at it")
    });
    match (fired, acked) {
        (Some(f), Some(a)) => assert!(f < a, "acknowledged before it fired?\n{text}"),
        _ => panic!("history lacks the firing of {rule} or its acknowledgement:\n{text}"),
    }
    t.send_keys(&["q"]);
}
