//! Deliberately broken config files (`tests/invalid_configs/`) are refused with the messages
//! `warroom check` and start-up promise: file, line, what is wrong, and the fix. Settings that
//! cannot work (no deadline, no or absurd concurrency, two kinds of auth) never get as far as a
//! request, and no value makes the process panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};

use warroom::config::{load, Overrides};

/// (file, line, text the message must contain, text the fix must contain)
const EXPECTED: &[(&str, Option<usize>, &str, &str)] = &[
    ("timeout-zero.toml", Some(5), "source \"prom\": timeout \"0s\" leaves no time", "100ms"),
    ("max-concurrency-zero.toml", Some(4), "max_concurrency 0 is out of range", "use 1 to 1024"),
    (
        "max-concurrency-absurd.toml",
        Some(5),
        "max_concurrency 18446744073709551615 is out of range",
        "use 1 to 1024",
    ),
    ("max-concurrency-large.toml", Some(4), "max_concurrency 100000 is out of range", "1 to 1024"),
    (
        "bearer-and-basic-auth.toml",
        Some(6),
        "source \"prom\": both bearer_token_env and basic_auth",
        "keep one kind of auth",
    ),
    (
        "alertmanager-token-file-and-basic-auth.toml",
        Some(8),
        "alertmanager: both bearer_token_file and basic_auth",
        "keep one kind of auth",
    ),
    ("alertmanager-timeout-zero.toml", Some(7), "alertmanager: timeout \"0s\"", "100ms"),
    ("max-response-bytes-zero.toml", Some(4), "max_response_bytes 0 is too small", "32MiB"),
    ("max-series-zero.toml", Some(4), "max_series is 0", "max_series = 10000"),
    ("max-response-bytes-unit.toml", Some(4), "unknown unit \"parsecs\"", ""),
    ("url-password-not-a-url.toml", Some(4), "is not a URL", "http://prometheus:9090"),
    ("typo-in-key.toml", Some(1), "unknown field `refersh`", "did you mean `refresh`?"),
    ("peak-window.toml", Some(3), "peak \"8pm-11pm\": write a window such as", "peak_zone"),
    (
        "columns-on-a-chart.toml",
        Some(10),
        "panel \"Statements\": columns belong to table panels only",
        "kind = \"table\"",
    ),
    (
        "column-without-query.toml",
        Some(14),
        "panel \"Top statements\": column 2 (\"mean\") has an empty query",
        "sum by (queryid)",
    ),
    ("column-typo.toml", Some(12), "unknown field `qeury`", "did you mean `query`?"),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs")
}

#[test]
fn broken_configs_give_the_expected_messages() {
    for (file, line, message, fix) in EXPECTED {
        let path = dir().join(file);
        let problems = load(Some(&path), &Overrides::default()).unwrap_err();
        let found = problems.iter().find(|p| p.message.contains(message));
        let Some(p) = found else {
            panic!("{file}: no problem says {message:?}: {problems:#?}");
        };
        assert_eq!(p.file, path, "{file}");
        assert_eq!(p.line, *line, "{file}: {p}");
        if !fix.is_empty() {
            assert!(p.fix.as_deref().is_some_and(|f| f.contains(fix)), "{file}: fix of {p}");
        }
        assert_eq!(problems.len(), 1, "{file}: one mistake, one problem: {problems:#?}");
    }
}

#[test]
fn every_broken_config_is_expected() {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(EXPECTED.iter().any(|(f, ..)| *f == name), "{name} has no expected message");
    }
}

#[test]
fn a_password_in_a_url_that_does_not_parse_is_not_printed() {
    let path = dir().join("url-password-not-a-url.toml");
    let problems = load(Some(&path), &Overrides::default()).unwrap_err();
    let text = format!("{problems:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("http://ops:<redacted>@prometheus:99999"), "{text}");
}

/// `warroom check` and start-up refuse each file with the status of config errors (2) and the
/// message, before any request and without a panic (101).
#[test]
fn warroom_check_and_start_up_refuse_them_without_panicking() {
    for (file, line, message, _) in EXPECTED {
        let path = dir().join(file);
        for args in [&["check", "--offline", "--config"][..], &["--config"]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
                .args(args)
                .arg(&path)
                .env_remove("WARROOM_CONFIG")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.status.code(), Some(2), "{file} {args:?}: {text}");
            let at = match line {
                Some(l) => format!("{}:{l}: ", path.display()),
                None => format!("{}: ", path.display()),
            };
            assert!(text.contains(&at) && text.contains(message), "{file} {args:?}: {text}");
            assert!(!text.contains("panicked"), "{file}: {text}");
        }
    }
}

/// A runbook with one action, so that actions need their locks.
const ONE_ACTION: &str = r#"+++
id = "restart"
title = "Restart"
alerts = ["ServiceDown"]

[[actions]]
key = "r"
label = "Restart the service"
argv = ["true"]
confirm = "yes-no"
+++
Restart it.
"#;

#[test]
fn a_lock_dir_anyone_may_empty_is_reported_by_check_with_its_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locks = dir.path().join("locks");
    std::fs::create_dir(&locks).unwrap();
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = dir.path().join("warroom.toml");
    let text = format!(
        "refresh = \"1s\"\nlock_dir = {:?}\n\n[[sources]]\nname = \"p\"\nurl = \"http://127.0.0.1:9\"\n",
        locks.display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    let config = load(Some(&path), &Overrides::default()).unwrap();
    let runbook = warroom::runbook::parse_runbook(Path::new("restart.md"), ONE_ACTION).unwrap();

    let problems = warroom::setup::lock_dir_problems(&config, std::slice::from_ref(&runbook));
    let [p] = &problems[..] else { panic!("{problems:#?}") };
    assert_eq!((p.file.as_path(), p.line), (path.as_path(), Some(2)), "{p}");
    assert!(p.message.contains("lacks the sticky bit"), "{p}");
    assert!(p.message.contains("every action would be refused"), "{p}");
    assert!(p.fix.as_deref().is_some_and(|f| f.contains("lock_dir")), "{p}");

    // Sticky, it is fine; so is a folder that does not exist yet (it is made 1777).
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o1777)).unwrap();
    assert_eq!(warroom::setup::lock_dir_problems(&config, std::slice::from_ref(&runbook)), []);
    std::fs::remove_dir(&locks).unwrap();
    assert_eq!(warroom::setup::lock_dir_problems(&config, std::slice::from_ref(&runbook)), []);
    // Without actions there is nothing to lock.
    std::fs::remove_dir(&locks).unwrap();
    std::fs::create_dir(&locks).unwrap();
    std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_eq!(warroom::setup::lock_dir_problems(&config, &[]), []);
}
