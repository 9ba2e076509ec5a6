//! Reading the dashboard as a person does in a tmux capture: the state of an alert's row, the
//! rows of a rule, which alert the runbook pane is about; and selecting an alert with the keys.

use std::time::Duration;

use super::Tmux;

/// The state word of `rule`'s row in the alert list (the left column of the bottom half).
pub fn row_state(screen: &str, rule: &str) -> Option<&'static str> {
    screen.lines().find_map(|line| {
        let left = line.split("││").next().unwrap_or(line);
        let (before, _) = left.split_once(&format!(" {rule} "))?;
        ["PENDING", "FIRING", "RESOLVED", "NO DATA", "ERROR"]
            .into_iter()
            .find(|state| before.contains(state))
    })
}

/// The live rows (pending or firing, for any reason) of the alert list (the left column of the
/// bottom half) that name `rule`; resolved episodes are rows of their own.
pub fn rows_of<'a>(screen: &'a str, rule: &str) -> Vec<&'a str> {
    let name = format!(" {rule} ");
    screen
        .lines()
        .map(|line| line.split("││").next().unwrap_or(line))
        .filter(|left| {
            left.contains(&name)
                && ["PENDING", "FIRING", "NO DATA", "ERROR"].iter().any(|s| left.contains(s))
        })
        .collect()
}

/// The rule of the selected alert, from the header of the runbook pane
/// (`!! CRIT FIRING PgIdleInTransaction since 01:17:45`).
pub fn selected_rule(screen: &str) -> Option<String> {
    let header =
        regex::Regex::new(r"(?:PENDING|FIRING|RESOLVED|NO DATA|ERROR) (\w+) (?:active )?since ")
            .expect("valid regex");
    screen.lines().find_map(|line| {
        let right = line.split("││").nth(1)?;
        Some(header.captures(right)?[1].to_owned())
    })
}

/// Focuses the alert list and moves the selection until the runbook pane shows `rule`; the
/// screen then.
pub fn select_alert(term: &Tmux, rule: &str) -> String {
    term.send_keys(&["Tab"]);
    let mut screen = term
        .wait_until(Duration::from_secs(10), "an alert selected", |s| selected_rule(s).is_some());
    for key in ["j", "j", "j", "j", "j", "j", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k"] {
        if selected_rule(&screen).as_deref() == Some(rule) {
            break;
        }
        let before = selected_rule(&screen);
        term.send_keys(&[key]);
        screen = term.wait_until(Duration::from_secs(5), "the selection to move", |s| {
            selected_rule(s) != before || row_state(s, rule).is_none()
        });
    }
    assert_eq!(selected_rule(&screen).as_deref(), Some(rule), "cannot select {rule}:\n{screen}");
    screen
}
