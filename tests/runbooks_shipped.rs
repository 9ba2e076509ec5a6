//! Every runbook shipped in `runbooks/` (and the demo's, compiled in) loads and passes the same
//! checks `warroom check` runs, against the config that uses it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;

use warroom::config::{self, ConfigFile, Overrides};
use warroom::runbook::{load_dir, ActionKind, Context};
use warroom::setup::load_runbooks;

fn builtin() -> ConfigFile {
    let mut c = config::load(None, &Overrides::default()).unwrap();
    // Resolve `runbooks/` against the repository, whatever the test's working directory.
    c.config.runbooks_dir = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks"));
    c
}

fn demo() -> ConfigFile {
    config::load_str(warroom::demo::DASHBOARD, Path::new("<demo>"), &Overrides::default()).unwrap()
}

#[test]
fn shipped_runbooks_check_cleanly_against_their_configs() {
    for (name, cfg, demo_mode) in [("built-in", builtin(), false), ("demo", demo(), true)] {
        let (runbooks, problems) = load_runbooks(&cfg, None, demo_mode);
        let shown: Vec<String> = problems.iter().map(|d| d.to_string()).collect();
        assert!(problems.is_empty(), "{name}:\n{}", shown.join("\n"));
        assert!(!runbooks.is_empty(), "{name}: no runbooks loaded");
        for rb in &runbooks {
            assert!(!rb.body.trim().is_empty(), "{} has no body", rb.id);
            assert!(!rb.actions.is_empty(), "{} has no actions", rb.id);
        }
    }
}

#[test]
fn every_alert_rule_has_exactly_one_runbook() {
    for (name, cfg, demo_mode) in [("built-in", builtin(), false), ("demo", demo(), true)] {
        let (runbooks, _) = load_runbooks(&cfg, None, demo_mode);
        for rule in &cfg.config.alerts {
            let n =
                runbooks.iter().filter(|r| r.applies_to(&rule.name, &Default::default())).count();
            assert_eq!(n, 1, "{name}: {} should have exactly one runbook, has {n}", rule.name);
            let named = rule.runbook.as_deref().unwrap_or_default();
            assert!(
                runbooks.iter().any(|r| r.id == named),
                "{name}: {} names {named:?}",
                rule.name
            );
        }
    }
}

#[test]
fn compiled_in_demo_runbooks_match_the_files() {
    for (file, text) in warroom::setup::DEMO_RUNBOOKS {
        let on_disk = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/demo").join(file);
        assert_eq!(std::fs::read_to_string(on_disk).unwrap(), text, "{file}");
    }
}

#[test]
fn shipped_actions_resolve_for_typical_labels() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (mut runbooks, _) = load_dir(&root);
    runbooks.extend(load_dir(&root.join("demo")).0);
    let mut ctx = Context::default();
    ctx.labels.insert("instance".into(), "db-1.example.com:9187".into());
    ctx.labels.insert("job".into(), "postgres".into());
    // What the alerts of the causes add: a statement (PgExpensiveStatement), an application
    // (PgAppSessionsHigh).
    ctx.labels.insert("queryid".into(), "-6680645881763619241".into());
    ctx.labels.insert("application_name".into(), "nightly-report".into());
    ctx.vars.insert("source_url".into(), "http://127.0.0.1:9999".into());
    ctx.vars.insert("environment".into(), "prod".into());
    ctx.vars.insert("alertname".into(), "X".into());
    ctx.vars.insert("value".into(), "1".into());
    for rb in &runbooks {
        for action in &rb.actions {
            let r =
                action.resolve(&ctx).unwrap_or_else(|e| panic!("{} '{}': {e}", rb.id, action.key));
            if let ActionKind::Argv { .. } = action.kind {
                if let Some(host) = r.env.get("PGHOST") {
                    assert_eq!(host, "db-1.example.com");
                }
            }
            if let Some(d) = action.resolve_dry_run(&ctx).unwrap() {
                assert!(d.dry_run);
            }
        }
    }
}

/// A shipped action that can hurt and names a target makes the engineer type that target:
/// `y` alone is too easy to press at 3 a.m.
#[test]
fn shipped_dangerous_actions_type_their_target() {
    let (runbooks, _) = load_runbooks(&builtin(), None, false);
    let mut checked = 0;
    for rb in &runbooks {
        for a in rb.actions.iter().filter(|a| a.dangerous && a.target.is_some()) {
            assert_eq!(
                a.confirm,
                warroom::runbook::Confirm::TypeTarget,
                "{} [{}] {}",
                rb.id,
                a.key,
                a.label
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "the terminate and cancel actions are dangerous: {checked}");
}
