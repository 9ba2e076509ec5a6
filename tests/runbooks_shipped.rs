//! Every runbook shipped in `runbooks/` loads and passes `warroom check`.

use std::path::Path;

use warroom::runbook::{check_runbooks, load_dir, ActionKind, Context, BUILTIN_KEYS};

const KNOWN_ALERTS: &[&str] = &[
    "DemoDbCpuHigh",
    "DemoIdleInTransaction",
    "DemoErrorRate",
    "DemoConnectionsHigh",
    "PgCpuHigh",
    "PgIdleInTransaction",
    "PgConnectionsHigh",
    "PgLongRunningQueries",
    "PgDown",
    "PgRollbackRate",
    "PgDeadlocks",
];

fn known() -> Vec<String> {
    KNOWN_ALERTS.iter().map(|s| s.to_string()).collect()
}

#[test]
fn shipped_runbooks_load_and_check_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (runbooks, diags) = load_dir(&dir);
    let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert!(diags.is_empty(), "load problems:\n{}", shown.join("\n"));
    let checked = check_runbooks(&runbooks, &known(), BUILTIN_KEYS);
    let shown: Vec<String> = checked.iter().map(|d| d.to_string()).collect();
    assert!(checked.is_empty(), "check problems:\n{}", shown.join("\n"));
    for rb in &runbooks {
        assert!(!rb.body.trim().is_empty(), "{} has no body", rb.id);
        assert!(!rb.actions.is_empty(), "{} has no actions", rb.id);
    }
}

#[test]
fn every_known_alert_has_a_runbook() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (runbooks, _) = load_dir(&dir);
    for alert in KNOWN_ALERTS {
        let n = runbooks
            .iter()
            .filter(|r| r.applies_to(alert, &Default::default()))
            .count();
        assert_eq!(n, 1, "{alert} should have exactly one runbook, has {n}");
    }
}

#[test]
fn shipped_actions_resolve_for_typical_labels() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (runbooks, _) = load_dir(&dir);
    let mut ctx = Context::default();
    ctx.labels
        .insert("instance".into(), "db-1.example.com:9187".into());
    ctx.labels.insert("job".into(), "postgres".into());
    ctx.vars
        .insert("source_url".into(), "http://127.0.0.1:9999".into());
    ctx.vars.insert("environment".into(), "prod".into());
    ctx.vars.insert("alertname".into(), "X".into());
    ctx.vars.insert("value".into(), "1".into());
    for rb in &runbooks {
        for action in &rb.actions {
            let r = action
                .resolve(&ctx)
                .unwrap_or_else(|e| panic!("{} '{}': {e}", rb.id, action.key));
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
