//! Deliberately broken runbooks produce the messages `warroom check` promises: file, line, text.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;

use warroom::runbook::{check_runbooks, load_dir, Diagnostic};

const KNOWN_ALERTS: &[&str] = &[
    "PgCpuHigh",
    "PgIdleInTransaction",
    "PgConnectionsHigh",
    "PgLongRunningQueries",
    "PgDown",
    "PgRollbackRate",
    "PgDeadlocks",
];

fn diagnostics() -> Vec<Diagnostic> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_runbooks");
    let (runbooks, mut diags) = load_dir(&dir);
    let known: Vec<String> = KNOWN_ALERTS.iter().map(|s| s.to_string()).collect();
    diags.extend(check_runbooks(&runbooks, &known, &warroom::keymap::reserved_chars()));
    diags
}

/// (file, line, text the message must contain)
const EXPECTED: &[(&str, usize, &str)] = &[
    ("bad-matcher.md", 4, "bad matcher: \"severity=critical\": the value must be in quotes"),
    (
        "bad-regex.md",
        10,
        "allow pattern for label \"instance\" is not a valid regex: unclosed character class",
    ),
    ("dangerous-no-confirm.md", 10, "a dangerous action cannot use confirm = \"none\""),
    ("key-too-long.md", 7, "key \"rs\" must be exactly one character"),
    ("no-front-matter.md", 1, "no front matter"),
    ("shell-interpolation.md", 10, "argv of a shell action holds {{ placeholders }}"),
    ("shell-undeclared.md", 9, "argv runs a shell script but the action does not say shell = true"),
    ("ssh-remote-label.md", 9, "labels may only fill the destination"),
    ("toml-syntax.md", 8, "invalid basic string"),
    ("type-target-without-target.md", 10, "confirm = \"type-target\" needs a target"),
    ("unknown-field.md", 10, "unknown field `comfirm`"),
    (
        "missing-program.md",
        9,
        "program \"pg_frobnicate_warroom_test\" (argv[0] of key 'm') is not installed",
    ),
    ("reserved-key.md", 7, "key 'q' is already a dashboard key"),
    ("unknown-alert.md", 4, "alert \"PgIdelInTransaction\" is not defined by any alert rule"),
    ("unknown-placeholder.md", 10, "unknown placeholder {{ olderthan }}"),
    (
        "unknown-placeholder.md",
        9,
        "{{ labels.instance.port }} needs a named group (?P<port>…) in allow.instance",
    ),
    ("clash-b.md", 12, "key 's' is also bound by runbook \"clash-a\""),
    ("guard-problems.md", 10, "guard: the query is not PromQL"),
    ("guard-problems.md", 10, "a guard needs a `why`"),
    ("guard-problems.md", 14, "verify: {{ labels.limit }} stands outside a quoted string"),
    ("guard-problems.md", 14, "verify.within must be above zero and at most 1h"),
    ("guard-override-alone.md", 10, "guard_override without a guard"),
    ("guard-unknown-field.md", 10, "guard is neither a { query, why } table nor a list of them"),
];

#[test]
fn broken_runbooks_give_the_expected_messages() {
    let diags = diagnostics();
    let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    for (file, line, text) in EXPECTED {
        let found = diags.iter().any(|d| {
            d.file.file_name().is_some_and(|f| f == *file)
                && d.line == Some(*line)
                && d.message.contains(text)
        });
        assert!(found, "missing {file}:{line}: {text}\ngot:\n{}", shown.join("\n"));
    }
    assert_eq!(diags.len(), EXPECTED.len(), "unexpected extra problems:\n{}", shown.join("\n"));
    for d in &diags {
        assert!(d.fix.is_some(), "every problem says how to fix it: {d}");
    }
}

#[test]
fn fixes_are_specific() {
    let diags = diagnostics();
    let fix = |file: &str| {
        diags
            .iter()
            .find(|d| d.file.file_name().is_some_and(|f| f == file))
            .and_then(|d| d.fix.clone())
            .unwrap_or_default()
    };
    assert_eq!(fix("unknown-alert.md"), "did you mean \"PgIdleInTransaction\"?");
    assert!(fix("shell-interpolation.md").contains("$WARROOM_LABEL_INSTANCE"));
    assert!(fix("reserved-key.md").contains("pick a key that is not one of"));
}
