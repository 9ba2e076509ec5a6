//! The shipped examples: `examples/postgres.toml` passes `warroom check`, is the built-in
//! dashboard with its runbooks wired in, and `examples/postgres-rules.yml` gives Prometheus the
//! same alerts (names, expressions, thresholds, `for`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use warroom::alert::{Direction, RuleSpec};
use warroom::config::{self, ConfigFile, Overrides};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> ConfigFile {
    let path = repo().join("examples/postgres.toml");
    config::load(Some(&path), &Overrides::default()).unwrap_or_else(|problems| {
        let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        panic!("{}:\n{}", path.display(), shown.join("\n"))
    })
}

#[test]
fn postgres_example_passes_warroom_check_offline() {
    let output = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check", "--config", "examples/postgres.toml", "--offline"])
        .current_dir(repo())
        .env_remove("WARROOM_CONFIG")
        .output()
        .expect("run warroom check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "warroom check failed:\n{stdout}{stderr}");
    assert!(stdout.contains("7 alert rules, 6 runbooks"), "{stdout}");
}

#[test]
fn postgres_example_is_the_built_in_dashboard() {
    let builtin = config::load(None, &Overrides::default()).expect("built-in config");
    let example = example();
    let panels = |c: &ConfigFile| -> Vec<(String, String)> {
        c.config.panels.iter().map(|p| (p.id(), p.query.clone())).collect()
    };
    assert_eq!(panels(&example), panels(&builtin), "panels differ from src/config/default.toml");
    assert_eq!(
        example.config.alerts, builtin.config.alerts,
        "alert rules differ from src/config/default.toml"
    );
    assert_eq!(example.config.runbooks_dir.as_deref(), Some(Path::new("../runbooks")));
    assert!(example.config.runbook_vars.contains_key("pg_port"), "runbook_vars.pg_port");
}

/// One alerting rule of a Prometheus rule file.
#[derive(Debug, PartialEq)]
struct PromRule {
    alert: String,
    expr: String,
    for_: String,
    severity: String,
}

/// The rules of `examples/postgres-rules.yml`, read line by line: that file keeps to one
/// `key: value` per line, which is all this needs (promtool checks the YAML itself).
fn prometheus_rules(text: &str) -> Vec<PromRule> {
    let mut rules: Vec<PromRule> = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("- alert: ") {
            rules.push(PromRule {
                alert: name.to_owned(),
                expr: String::new(),
                for_: String::new(),
                severity: String::new(),
            });
        } else if let Some(rule) = rules.last_mut() {
            if let Some(expr) = line.strip_prefix("expr: ") {
                rule.expr = expr.to_owned();
            } else if let Some(for_) = line.strip_prefix("for: ") {
                rule.for_ = for_.to_owned();
            } else if let Some(labels) = line.strip_prefix("labels: ") {
                let severity = labels.split("severity: ").nth(1).unwrap_or_default();
                rule.severity = severity.trim_end_matches('}').trim().to_owned();
            }
        }
    }
    rules
}

/// `1m`, `30s`: how Prometheus writes a duration.
fn prom_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// The Prometheus rules equal to a warroom rule: one per threshold, most severe first.
fn expected_rules(rule: &RuleSpec, example: &ConfigFile) -> Vec<PromRule> {
    let query = match (&rule.query, &rule.panel) {
        (Some(q), _) => q.clone(),
        (None, Some(panel)) => example
            .config
            .panels
            .iter()
            .find(|p| &p.id() == panel)
            .map(|p| p.query.clone())
            .unwrap_or_else(|| panic!("{}: no panel {panel}", rule.name)),
        (None, None) => panic!("{}: neither query nor panel", rule.name),
    };
    let op = match rule.direction {
        Direction::Above => ">",
        Direction::Below => "<",
    };
    [("critical", rule.critical), ("warning", rule.warning)]
        .into_iter()
        .filter_map(|(severity, threshold)| {
            Some(PromRule {
                alert: rule.name.clone(),
                expr: format!("{query} {op} {}", threshold?),
                for_: prom_duration(rule.for_),
                severity: severity.to_owned(),
            })
        })
        .collect()
}

#[test]
fn prometheus_rules_match_the_dashboard_alerts() {
    let path = repo().join("examples/postgres-rules.yml");
    let text = std::fs::read_to_string(&path).expect("read examples/postgres-rules.yml");
    let example = example();
    let expected: Vec<PromRule> =
        example.config.alerts.iter().flat_map(|r| expected_rules(r, &example)).collect();
    let found = prometheus_rules(&text);
    assert_eq!(found, expected, "{} disagrees with examples/postgres.toml", path.display());
}

#[test]
fn prometheus_rules_pass_promtool() {
    let promtool = find_on_path("promtool").unwrap_or_else(|| {
        panic!("`promtool` is not installed: run scripts/test, or: apt-get install -y prometheus")
    });
    let output = Command::new(promtool)
        .args(["check", "rules", "examples/postgres-rules.yml"])
        .current_dir(repo())
        .output()
        .expect("run promtool");
    assert!(
        output.status.success(),
        "promtool check rules failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn find_on_path(binary: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
}

/// A copied example keeps `runbooks_dir = "../runbooks"`: `check` says where that setting is,
/// what it resolved to, and how to fix it; `--runbooks` fixes it for the dashboard and `check`.
#[test]
fn a_copied_example_says_where_its_runbooks_went() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("prod.toml");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postgres.toml"), &copy)
        .unwrap();
    let check = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["check", "--offline", "--config"])
            .arg(&copy)
            .args(extra)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = check(&[]);
    assert_ne!(code, Some(0), "{text}");
    let line = std::fs::read_to_string(&copy)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("runbooks_dir"))
        .unwrap()
        + 1;
    assert!(text.contains(&format!("prod.toml:{line}")), "file and line: {text}");
    assert!(text.contains("resolves to") && text.contains("runbooks"), "{text}");
    assert!(text.contains("--runbooks"), "the fix: {text}");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (code, text) = check(&["--runbooks", shipped.to_str().unwrap()]);
    assert!(!text.contains("resolves to"), "{text}");
    assert_eq!(code, Some(0), "{text}");
}
