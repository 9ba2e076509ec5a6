//! Prometheus rule files as alert rules: `examples/postgres-rules.yml` loads into the same
//! rules, and the same alert states, as the TOML rules it replaced; other shapes of rule
//! (`present` rules, `>=`, group labels, runbook links) and bad files give what they should.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use warroom::alert::{AlertBook, AlertState, Direction, Observation, RuleSpec, Severity};
use warroom::config::{self, ConfigFile, Overrides};
use warroom::prom::{Labels, Point, Sample};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> ConfigFile {
    config::load(Some(path), &Overrides::default()).unwrap_or_else(|problems| {
        let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        panic!("{}:\n{}", path.display(), shown.join("\n"))
    })
}

/// The rules of a config with each `panel = …` replaced by that panel's query and without
/// where they were written: what the rule evaluates and how.
fn effective(c: &ConfigFile) -> Vec<RuleSpec> {
    let mut rules: Vec<RuleSpec> = c
        .config
        .alerts
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(id) = r.panel.take() {
                let panel = c.config.panels.iter().find(|p| p.id() == id).unwrap();
                r.query = Some(panel.query.clone());
            }
            r.defined_at = None;
            r
        })
        .collect();
    rules.sort_by(|a, b| a.name.cmp(&b.name));
    rules
}

fn toml_rules() -> ConfigFile {
    load(&repo().join("tests/fixtures/rules/postgres-toml-rules.toml"))
}

/// The rules of `c` that the TOML rules had (the rule file has gained more since).
fn replaced(c: &ConfigFile) -> Vec<RuleSpec> {
    let old: Vec<String> = toml_rules().config.alerts.iter().map(|r| r.name.clone()).collect();
    effective(c).into_iter().filter(|r| old.contains(&r.name)).collect()
}

#[test]
fn the_example_rule_file_is_the_toml_rules_it_replaced() {
    let old = effective(&toml_rules());
    assert_eq!(old.len(), 7);
    let example = replaced(&load(&repo().join("examples/postgres.toml")));
    assert_eq!(example, old, "examples/postgres-rules.yml loads into other rules");
    let builtin = config::load(None, &Overrides::default()).unwrap();
    assert_eq!(replaced(&builtin), old, "the built-in copy of the rule file");
    let place = builtin.config.alerts[0].defined_at.clone().unwrap();
    assert_eq!(place.file, Path::new("<built-in>/postgres-rules.yml"));
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn series(instance: &str, v: f64) -> Sample {
    let labels: Labels = [("instance".to_string(), instance.to_string())].into();
    Sample { labels, point: Point { t: 0.0, v } }
}

/// Every listed alert as (rule, instance, state, severity), sorted.
fn states(book: &AlertBook) -> Vec<(String, String, AlertState, Severity)> {
    let mut out: Vec<_> = book
        .alerts()
        .into_iter()
        .map(|a| {
            let instance = a.labels.get("instance").cloned().unwrap_or_default();
            (a.rule.clone(), instance, a.state, a.severity)
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// The same values fed to the TOML rules and to the rule file's: the same states at every
/// step — through pending, warning, critical, hysteresis, resolution, no data and errors.
#[test]
fn both_give_the_same_alert_states_step_by_step() {
    let (old, new) =
        (effective(&toml_rules()), replaced(&load(&repo().join("examples/postgres.toml"))));
    let mut a = AlertBook::new(old.clone());
    let mut b = AlertBook::new(new);
    // (seconds, value of db-1 or None for an empty answer, error?)
    let steps: &[(i64, Option<f64>, bool)] = &[
        (0, Some(10.0), false),
        (30, Some(85.0), false),
        (60, Some(85.0), false),
        (90, Some(97.0), false),
        (120, Some(97.0), false),
        (150, Some(97.0), false),
        (180, Some(75.0), false),
        (210, Some(72.0), false),
        (240, Some(3.0), false),
        (270, None, false),
        (300, None, false),
        (330, None, false),
        (360, None, true),
        (420, None, true),
        (480, Some(0.0), false),
        (540, Some(1.5), false),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for &(at, value, error) in steps {
        for i in 0..old.len() {
            let samples: Vec<Sample> = value.map(|v| series("db-1", v)).into_iter().collect();
            let observation = if error {
                Observation::Error("connection refused")
            } else {
                Observation::Samples(&samples)
            };
            a.observe(i, observation, t(at));
            let observation = if error {
                Observation::Error("connection refused")
            } else {
                Observation::Samples(&samples)
            };
            b.observe(i, observation, t(at));
        }
        let (sa, sb) = (states(&a), states(&b));
        assert_eq!(sa, sb, "at {at}s");
        seen.extend(sa.iter().map(|s| format!("{:?}", s.2)));
    }
    for state in ["Pending", "Firing", "Resolved", "NoData", "Error"] {
        assert!(seen.contains(state), "the steps never reached {state}: {seen:?}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SHAPES: &str = r#"groups:
  - name: shapes
    labels: {team: db}
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: ExporterDown
        expr: up{job="postgres"} == 0
        for: 1m
        labels: {severity: page}
        annotations:
          description: '{{ $labels.instance }} is down'
          runbook_url: https://wiki.example/runbooks/pg-down.md
      - alert: ReplicationLag
        expr: 30 <= max by (instance) (pg_replication_lag_seconds)
        keep_firing_for: 2m
        labels: {severity: warning, tier: "1"}
        annotations: {summary: 'lag {{ $value | humanizeDuration }}'}
      - alert: NoBackups
        expr: absent(pg_backup_last_success_timestamp)
        annotations: {runbook_url: 'https://wiki.example/backups'}
"#;

#[test]
fn other_shapes_of_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "shapes.yml", SHAPES);
    let cfg = write(
        dir.path(),
        "warroom.toml",
        "rule_files = [\"*.yml\"]\n[[sources]]\nname = \"p\"\nurl = \"http://127.0.0.1:9\"\n",
    );
    let c = load(&cfg);
    let by = |n: &str| c.config.alerts.iter().find(|r| r.name == n).cloned().unwrap();
    assert_eq!(c.config.alerts.len(), 3, "the recording rule is Prometheus's");

    let down = by("ExporterDown");
    assert_eq!(down.direction, Direction::Present);
    assert_eq!(down.severity, Some(Severity::Critical), "severity page is critical");
    assert_eq!(down.query.as_deref(), Some("up{job=\"postgres\"} == 0"));
    assert_eq!(down.summary.as_deref(), Some("{{ labels.instance }} is down"));
    assert_eq!(down.runbook.as_deref(), Some("https://wiki.example/runbooks/pg-down.md"));
    assert_eq!(down.labels.get("team").map(String::as_str), Some("db"), "group labels");
    assert_eq!(down.labels.get("severity"), None, "warroom's severity says it");
    assert_eq!(down.for_.as_secs(), 60);
    let place = down.defined_at.clone().unwrap();
    assert_eq!(
        (place.file.file_name().unwrap().to_str(), place.line),
        (Some("shapes.yml"), Some(7))
    );

    let lag = by("ReplicationLag");
    assert_eq!(lag.direction, Direction::AtLeast, "30 <= x is x >= 30");
    assert_eq!((lag.warning, lag.critical), (Some(30.0), None));
    assert_eq!(lag.query.as_deref(), Some("max by (instance) (pg_replication_lag_seconds)"));
    assert_eq!(lag.keep_firing_for.as_secs(), 120);
    assert_eq!(lag.summary.as_deref(), Some("lag {{ value }}"));

    // A present rule: every series is an alert of its severity, whatever the value; an empty
    // answer is all being well.
    let mut book = AlertBook::new(vec![by("ExporterDown"), by("NoBackups")]);
    let down_now = [series("db-1", 0.0)];
    book.observe(0, Observation::Samples(&down_now), t(0));
    book.observe(0, Observation::Samples(&down_now), t(61));
    book.observe(1, Observation::Samples(&[series("", 1.0)]), t(61));
    let s = states(&book);
    assert_eq!(
        s[0],
        ("ExporterDown".into(), "db-1".into(), AlertState::Firing, Severity::Critical)
    );
    assert_eq!(s[1].2, AlertState::Firing, "no `for`: at once; {s:?}");
    assert_eq!(s[1].3, Severity::Warning, "no severity label: warning");
    book.observe(0, Observation::Samples(&[]), t(90));
    assert_eq!(states(&book)[0].2, AlertState::Resolved);
}

/// `warroom check` on bad rule files: each problem with its file and line and a fix, every one
/// at once.
#[test]
fn bad_rule_files_are_named_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n      - alert: Late\n        expr: up > 1\n        for: soon\n      - alert: Twice\n        expr: up > 1\n        annotations: {warroom_no_data: maybe}\n      - alert: Dup\n        expr: up > 1\n",
    );
    write(
        dir.path(),
        "typo.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: X\n        exp: up\n",
    );
    let cfg = write(
        dir.path(),
        "warroom.toml",
        "rule_files = [\"bad.yml\", \"typo.yml\", \"gone/*.yml\", \"missing.yml\"]\n\n[[sources]]\nname = \"p\"\nurl = \"http://127.0.0.1:9\"\n\n[[alerts]]\nname = \"Dup\"\nquery = \"up\"\nwarning = 1\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "--offline", "--config"])
        .arg(&cfg)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "config problems stop the dashboard: {text}");
    for want in [
        "bad.yml:4: alert \"Broken\": expr:",
        "bad.yml:6: alert \"Late\": for:",
        "bad.yml:9: alert \"Twice\": annotation warroom_no_data",
        "typo.yml:5:",
        "warroom.toml:1: rule_files: \"gone/*.yml\"",
        "warroom.toml:1: rule_files: \"missing.yml\": no such file",
        "warroom.toml:7: alert \"Dup\" is defined in [[alerts]] and in",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(text.contains("fix:"), "{text}");
}
