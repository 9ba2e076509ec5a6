//! The shipped examples: `examples/postgres.toml` passes `warroom check`, is the built-in
//! dashboard with its runbooks wired in, and its alert rules, `examples/postgres-rules.yml`,
//! pass `promtool check rules` (tests/rule_files.rs shows they are the rules warroom runs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use warroom::alert::RuleSpec;
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
    assert!(stdout.contains("10 alert rules, 8 runbooks"), "{stdout}");
}

#[test]
fn postgres_example_is_the_built_in_dashboard() {
    let builtin = config::load(None, &Overrides::default()).expect("built-in config");
    let example = example();
    // Every setting of every panel, its table columns too.
    let panels = |c: &ConfigFile| -> Vec<(String, String)> {
        c.config.panels.iter().map(|p| (p.id(), format!("{p:#?}"))).collect()
    };
    assert_eq!(panels(&example), panels(&builtin), "panels differ from src/config/default.toml");
    let rules = |c: &ConfigFile| -> Vec<RuleSpec> {
        let mut rules = c.config.alerts.clone();
        rules.iter_mut().for_each(|r| r.defined_at = None);
        rules
    };
    assert_eq!(rules(&example), rules(&builtin), "alert rules differ from the built-in dashboard");
    assert_eq!(example.config.runbooks_dir.as_deref(), Some(Path::new("../runbooks")));
    assert!(example.config.runbook_vars.contains_key("pg_port"), "runbook_vars.pg_port");
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
    // The rule file goes with it (without it, `check` says the file is missing).
    std::fs::copy(
        repo().join("examples/postgres-rules.yml"),
        dir.path().join("postgres-rules.yml"),
    )
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
