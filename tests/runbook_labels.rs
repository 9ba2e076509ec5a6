//! Action labels name the values their action uses: `{{ name }}` placeholders from `vars` are
//! filled at load time, after the config's `[runbook_vars]` have replaced the defaults.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;

use warroom::config::{self, Overrides};
use warroom::runbook::{check_runbooks, parse_runbook};
use warroom::setup::load_runbooks;

fn labels(config_text: &str) -> Vec<(String, char, String)> {
    let mut cfg = config::load_str(config_text, Path::new("<test>"), &Overrides::default())
        .expect("valid config");
    cfg.config.runbooks_dir = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks"));
    let (runbooks, problems) = load_runbooks(&cfg, None, false);
    assert!(problems.is_empty(), "{problems:?}");
    runbooks
        .iter()
        .flat_map(|rb| rb.actions.iter().map(|a| (rb.id.clone(), a.key, a.label.clone())))
        .collect()
}

fn label(all: &[(String, char, String)], runbook: &str, key: char) -> String {
    all.iter()
        .find(|(id, k, _)| id == runbook && *k == key)
        .map(|(_, _, l)| l.clone())
        .unwrap_or_else(|| panic!("no action {key} in {runbook}"))
}

#[test]
fn labels_state_the_defaults_of_the_runbook_files() {
    let all = labels(config::DEFAULT_CONFIG);
    assert_eq!(
        label(&all, "pg-idle-in-transaction", 't'),
        "Terminate sessions idle in transaction for more than 60 s"
    );
    assert_eq!(
        label(&all, "pg-long-running-queries", 'c'),
        "Cancel statements running for more than 120 s"
    );
}

#[test]
fn labels_follow_runbook_vars_of_the_config() {
    // Not the built-in text any more: its rule file is the example's, on disk.
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postgres-rules.yml");
    let text = format!(
        "{}\n[runbook_vars]\nolder_than = \"5\"\nlonger_than = \"15\"\nservice = \"postgresql@15-main\"\n",
        config::DEFAULT_CONFIG
            .replace("rule_files = [\"postgres-rules.yml\"]", &format!("rule_files = [{rules:?}]"))
    );
    let all = labels(&text);
    for (runbook, key, want) in [
        ("pg-idle-in-transaction", 't', "Terminate sessions idle in transaction for more than 5 s"),
        ("pg-connections-high", 't', "Terminate sessions idle in transaction for more than 5 s"),
        ("pg-long-running-queries", 'c', "Cancel statements running for more than 15 s"),
        ("pg-cpu-high", 'c', "Cancel statements running for more than 15 s"),
        (
            "pg-cpu-high",
            'R',
            "Restart the PostgreSQL service postgresql@15-main (last resort, over ssh)",
        ),
    ] {
        assert_eq!(label(&all, runbook, key), want, "{runbook} {key}");
    }
}

#[test]
fn a_label_naming_anything_but_vars_is_reported() {
    let text = r#"+++
id = "labels"
title = "Labels"
alerts = ["PgDown"]

[[actions]]
key = "s"
label = "Status of {{ labels.instance }} after {{ wait }} s"
confirm = "none"
argv = ["true"]
vars = { wait = "5" }
+++
body
"#;
    let rb = parse_runbook(Path::new("labels.md"), text).expect("parses");
    let diags = check_runbooks(&[rb], &["PgDown".to_owned()], &warroom::keymap::reserved_chars());
    let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("label placeholder {{ labels.instance }} is not a name from vars"),
        "{shown:?}"
    );
}
