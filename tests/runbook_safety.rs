//! Hostile label values, the audit trail, locks and cooldown, redaction: the promises the
//! confirm dialog makes to the engineer at 3 a.m.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use warroom::runbook::audit::read_since;
use warroom::runbook::{
    parse_runbook, prepare, ActionSpec, Context, Identity, Launcher, Mode, Order, Outcome,
    RecordKind, Refusal, Resolved, RunEvent, RunLock, Runbook, Submitted,
};

fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    )
}

fn runbook(text: &str) -> Runbook {
    parse_runbook(Path::new("test.md"), text).unwrap_or_else(|d| panic!("{d:?}"))
}

fn ctx(instance: &str) -> Context {
    let mut c = Context::default();
    c.labels.insert("instance".into(), instance.into());
    c.labels.insert("job".into(), "postgres".into());
    c
}

fn who() -> Identity {
    Identity {
        user: "alice".into(),
        host: "bastion-1".into(),
        environment: "test".into(),
        ..Default::default()
    }
}

/// Collects a run's events until `Finished`.
async fn collect(rx: &mut mpsc::UnboundedReceiver<RunEvent>) -> (Vec<String>, Outcome, Duration) {
    let mut lines = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("run did not finish in time")
            .expect("channel closed");
        match ev {
            RunEvent::Output { line, .. } => lines.push(line),
            RunEvent::Finished { outcome, duration, .. } => return (lines, outcome, duration),
        }
    }
}

/// What the dashboard does with a resolved action: hands it to the launcher. The run, or why
/// it was refused.
fn launch(
    launcher: &Launcher,
    run_id: u64,
    action: &ActionSpec,
    resolved: Resolved,
    tx: mpsc::UnboundedSender<RunEvent>,
) -> Result<warroom::runbook::RunHandle, Refusal> {
    let action = Box::new(action.clone());
    match launcher.submit(
        Order::Run { run_id, action, resolved: Box::new(resolved), checks: Default::default() },
        tx,
    ) {
        Submitted::Started(h) => Ok(h),
        Submitted::NotStarted { refusal, .. } => Err(refusal),
        Submitted::Recorded => panic!("a run order came back as recorded"),
    }
}

/// What the dashboard does with a refusal of `prepare`: hands it to the launcher.
fn refuse(launcher: &Launcher, refused: Box<warroom::runbook::Refused>) -> Refusal {
    let refusal = refused.refusal.clone();
    let (tx, _rx) = mpsc::unbounded_channel();
    assert!(matches!(launcher.submit(Order::Refused(refused), tx), Submitted::Recorded));
    refusal
}

fn hostile(marker: &Path) -> Vec<String> {
    let m = marker.display();
    vec![
        format!(";touch {m}"),
        format!("$(touch {m})"),
        "-rf".to_string(),
        format!("db-1\ntouch {m}"),
        format!("`touch {m}`"),
    ]
}

const STRICT: &str = r#"+++
id = "strict"
title = "Strict"
alerts = ["A"]

[[actions]]
key = "e"
label = "Echo the instance"
argv = ["printf", "[%s]\n", "{{ labels.instance }}"]
+++
body
"#;

const PERMISSIVE: &str = r#"+++
id = "permissive"
title = "Permissive"
alerts = ["A"]

[[actions]]
key = "e"
label = "Echo the instance"
argv = ["printf", "[%s]\n", "{{ labels.instance }}"]
allow = { instance = '(?s).*' }

[[actions]]
key = "p"
label = "Echo the instance inside an argument"
argv = ["printf", "[%s]\n", "x{{ labels.instance }}x"]
allow = { instance = '(?s).*' }

[[actions]]
key = "s"
label = "Echo the instance from a shell script"
shell = true
argv = ["sh", "-c", 'printf "[%s]\n" "$WARROOM_LABEL_INSTANCE"']
allow = { instance = '(?s).*' }
+++
body
"#;

#[tokio::test]
async fn hostile_labels_are_refused_by_the_default_allow_list_and_audited() {
    let state = tempfile::tempdir().unwrap();
    let marker = std::env::temp_dir().join(format!("pwned-{}", unique()));
    let rb = runbook(STRICT);
    let action = &rb.actions[0];
    let launcher = Launcher::new(state.path(), who(), false);
    for value in hostile(&marker) {
        let err =
            refuse(&launcher, prepare(action, &ctx(&value), Mode::Confirmed).expect_err(&value));
        let msg = err.to_string();
        assert!(matches!(err, Refusal::NotAllowed { .. }), "{msg}");
        assert!(msg.contains("label instance"), "{msg}");
        assert!(msg.contains("[A-Za-z0-9_]"), "names the pattern: {msg}");
        assert!(!msg.contains('\n'), "sanitized: {msg:?}");
    }
    // Refusals are written off the caller's thread; give them a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH).0;
    let refused: Vec<_> = log.iter().filter(|r| r.kind == RecordKind::Refused).collect();
    assert_eq!(refused.len(), 5, "{log:?}");
    assert!(refused[0].reason.as_deref().unwrap().contains("not allowed"));
    assert!(!marker.exists());
}

#[tokio::test]
async fn hostile_labels_let_through_arrive_verbatim_as_one_argument() {
    let state = tempfile::tempdir().unwrap();
    let marker = std::env::temp_dir().join(format!("pwned-{}", unique()));
    let rb = runbook(PERMISSIVE);
    let launcher = Launcher::new(state.path(), who(), false);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut run_id = 0;
    for value in hostile(&marker) {
        for action in &rb.actions {
            run_id += 1;
            let resolved = prepare(action, &ctx(&value), Mode::Confirmed).unwrap();
            // The confirm dialog shows one line, quoted so the value reads as data.
            let shown = resolved.display();
            assert!(!shown.contains('\n'), "{shown:?}");
            if action.key == 'e' && value.contains('\n') {
                assert!(shown.contains(" $'db-1\\ntouch "), "{shown}");
            }
            launch(&launcher, run_id, action, resolved, tx.clone()).unwrap();
            let (lines, outcome, _) = collect(&mut rx).await;
            assert_eq!(outcome, Outcome::Exited(0));
            let printed = lines.join("\n");
            let expected =
                if action.key == 'p' { format!("[x{value}x]") } else { format!("[{value}]") };
            assert_eq!(printed, expected, "{}", action.key);
        }
    }
    assert!(!marker.exists(), "a label value was executed");
    let log = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH).0;
    let started: Vec<_> =
        log.iter().filter(|r| r.kind == RecordKind::Started && r.action_key == "e").collect();
    assert_eq!(started.len(), 5);
    for (record, value) in started.iter().zip(hostile(&marker)) {
        assert_eq!(record.command, vec!["printf".to_string(), "[%s]\n".into(), value.clone()]);
        assert_eq!(record.labels.get("instance"), Some(&value));
    }
}

#[tokio::test]
async fn the_started_record_is_on_disk_before_the_child_runs() {
    let state = tempfile::tempdir().unwrap();
    let audit_path = state.path().join("audit.jsonl");
    let text = format!(
        r#"+++
id = "audit-first"
title = "Audit first"
alerts = ["A"]

[[actions]]
key = "x"
label = "Read the audit log"
target = "{{{{ labels.instance }}}}"
argv = ["cat", "{{{{ audit }}}}"]
vars = {{ audit = "{}" }}
+++
"#,
        audit_path.display()
    );
    let rb = runbook(&text);
    let launcher = Launcher::new(state.path(), who(), false);
    let resolved = prepare(&rb.actions[0], &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    launch(&launcher, 4242, &rb.actions[0], resolved, tx).unwrap();
    let (lines, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Exited(0));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(r#""kind":"started""#), "{}", lines[0]);
    assert!(lines[0].contains(r#""run_id":4242"#), "{}", lines[0]);
    assert!(lines[0].contains(r#""user":"alice""#), "{}", lines[0]);
    let log = read_since(&audit_path, chrono::DateTime::UNIX_EPOCH).0;
    let kinds: Vec<_> = log.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, vec![RecordKind::Started, RecordKind::Finished]);
    assert_eq!(log[1].exit_code, Some(0));
    assert_eq!(log[1].output_tail.len(), 1);
    assert_eq!(log[1].target, "db-1:9187");
}

const SLOW: &str = r#"+++
id = "slow"
title = "Slow"
alerts = ["A"]

[[actions]]
key = "w"
label = "Wait a bit"
target = "{{ labels.instance }}"
argv = ["sleep", "1"]
cooldown = "1m"
+++
"#;

#[tokio::test]
async fn a_second_run_on_the_same_target_is_refused_then_the_cooldown_holds() {
    let state = tempfile::tempdir().unwrap();
    let rb = runbook(SLOW);
    let action: &ActionSpec = &rb.actions[0];
    // Two launchers on one state dir stand for two warroom processes.
    let first = Launcher::new(state.path(), who(), false);
    let second = Launcher::new(state.path(), who(), false);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let r = prepare(action, &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    launch(&first, 1, action, r, tx.clone()).unwrap();

    let r = prepare(action, &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    let err = launch(&second, 2, action, r, tx.clone()).unwrap_err();
    assert!(matches!(err, Refusal::Running { .. }), "{err}");
    assert!(err.to_string().starts_with("already running since "), "{err}");
    assert!(err.to_string().contains("alice@bastion-1"), "{err}");

    // A different target is independent.
    let r = prepare(action, &ctx("db-2:9187"), Mode::Confirmed).unwrap();
    launch(&second, 3, action, r, tx.clone()).unwrap();

    let (_, o1, _) = collect(&mut rx).await;
    let (_, o2, _) = collect(&mut rx).await;
    assert_eq!((o1, o2), (Outcome::Exited(0), Outcome::Exited(0)));

    let r = prepare(action, &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    let err = launch(&second, 4, action, r, tx.clone()).unwrap_err();
    assert!(matches!(err, Refusal::CoolingDown { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg == "cooling down, 60 s left" || msg == "cooling down, 59 s left", "{msg}");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = read_since(first.audit_log().path(), chrono::DateTime::UNIX_EPOCH).0;
    let reasons: Vec<_> = log.iter().filter_map(|r| r.reason.clone()).collect();
    assert_eq!(reasons.len(), 2, "{log:?}");
}

#[tokio::test]
async fn read_only_mode_denies_and_records() {
    let state = tempfile::tempdir().unwrap();
    let rb = runbook(SLOW);
    let launcher = Launcher::new(state.path(), who(), true);
    let r = prepare(&rb.actions[0], &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = launch(&launcher, 1, &rb.actions[0], r, tx).unwrap_err();
    assert_eq!(err, Refusal::ReadOnly);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH).0;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, RecordKind::Denied);
}

const SECRETS: &str = r#"+++
id = "secrets"
title = "Secrets"
alerts = ["A"]

[[actions]]
key = "h"
label = "Call the control plane"
vars = { token = "tok-s3cr3t" }
[actions.http]
method = "POST"
url = "https://ops:pa55@control.example.com/v1/restart?instance={{ labels.instance }}&api_token=q-s3cr3t"
headers = { Authorization = "Bearer {{ token }}", X-Request-Source = "warroom" }

[[actions]]
key = "p"
label = "psql with a password"
argv = ["true"]
dry_run = ["true", "dry"]
[actions.env]
PGPASSWORD = "hunter2"
PGHOST = "db-1"
+++
"#;

#[tokio::test]
async fn secrets_are_redacted_in_display_and_audit() {
    let state = tempfile::tempdir().unwrap();
    let rb = runbook(SECRETS);
    let launcher = Launcher::new(state.path(), who(), false);
    let http = prepare(&rb.actions[0], &ctx("db 1/x"), Mode::Confirmed);
    // The default allow-list refuses a value with a space and a slash …
    assert!(http.is_err());
    let http = prepare(&rb.actions[0], &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    let shown = http.display();
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(!shown.contains("pa55"), "{shown}");
    assert!(shown.contains("Authorization: <redacted>"), "{shown}");
    assert!(shown.contains("X-Request-Source: warroom"), "{shown}");
    assert!(shown.contains("instance=db-1%3A9187"), "label percent-encoded: {shown}");

    let psql = prepare(&rb.actions[1], &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    assert_eq!(psql.env.get("PGPASSWORD").map(String::as_str), Some("hunter2"));
    let shown = psql.display();
    assert_eq!(shown, "PGHOST=db-1 PGPASSWORD='<redacted>' true");
    let (tx, mut rx) = mpsc::unbounded_channel();
    launch(&launcher, 1, &rb.actions[1], psql, tx).unwrap();
    let (_, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Exited(0));
    let raw = std::fs::read_to_string(launcher.audit_log().path()).unwrap();
    assert!(!raw.contains("hunter2"), "{raw}");
    assert!(raw.contains(r#""PGPASSWORD":"<redacted>""#), "{raw}");
}

#[tokio::test]
async fn audit_reader_skips_a_torn_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("audit.jsonl");
    let rb = runbook(SLOW);
    let launcher = Launcher::new(dir.path(), who(), false);
    let r = prepare(&rb.actions[0], &ctx("db-1:9187"), Mode::Confirmed).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    launch(&launcher, 7, &rb.actions[0], r, tx).unwrap();
    collect(&mut rx).await;
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(br#"{"time":"2030-01-01T00:00:00Z","kind":"star"#).unwrap();
    let (all, warnings) = read_since(&path, chrono::DateTime::UNIX_EPOCH);
    assert_eq!((all.len(), warnings.len()), (2, 0), "{warnings:?}");
    let future = read_since(&path, chrono::Utc::now() + chrono::Duration::hours(1)).0;
    assert!(future.is_empty());
    // The next run's records are not lost to the torn line: it is ended first, and named.
    let r = prepare(&rb.actions[0], &ctx("db-2:9187"), Mode::Confirmed).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    launch(&launcher, 8, &rb.actions[0], r, tx).unwrap();
    collect(&mut rx).await;
    let (all, warnings) = read_since(&path, chrono::DateTime::UNIX_EPOCH);
    assert_eq!(all.len(), 4, "both records of the second run are there: {all:#?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("audit.jsonl:3: not an audit record"), "{warnings:?}");
}

const PATHS: &str = r#"+++
id = "paths"
title = "Paths"
alerts = ["A"]

[[actions]]
key = "r"
label = "Restart through the API"
allow = { instance = '[a-z0-9.]*' }
[actions.http]
method = "POST"
url = "http://127.0.0.1:9/api/v1/instances/{{ labels.instance }}/restart?from={{ labels.instance }}"

[[actions]]
key = "d"
label = "Restart a dotted name"
allow = { instance = '[a-z0-9.]*' }
[actions.http]
method = "POST"
url = "http://127.0.0.1:9/api/v1/instances/.{{ labels.instance }}/restart"

[[actions]]
key = "q"
label = "Ask about an instance"
allow = { instance = '[a-z0-9.]*' }
[actions.http]
method = "GET"
url = "http://127.0.0.1:9/api/v1/ask?instance={{ labels.instance }}#{{ labels.instance }}"
+++
"#;

#[tokio::test]
async fn dot_segments_from_labels_are_refused_in_url_paths_and_audited() {
    let state = tempfile::tempdir().unwrap();
    let rb = runbook(PATHS);
    let launcher = Launcher::new(state.path(), who(), false);
    let url = |r: &Resolved| match &r.request {
        warroom::runbook::Request::Http { url, .. } => url.clone(),
        other => panic!("{other:?}"),
    };
    // `..` and `.` as the whole path segment, and `.` that makes `..` with the template's dot.
    for (action, value) in [(0, ".."), (0, "."), (1, ".")] {
        let refused = prepare(&rb.actions[action], &ctx(value), Mode::Confirmed)
            .expect_err(&format!("{} with {value:?}", rb.actions[action].key));
        let err = refuse(&launcher, refused);
        assert!(matches!(err, Refusal::PathSegment { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("label instance") && msg.contains("URL path"), "{msg}");
    }
    // Dots that are not a whole segment, and dot values outside the path, are fine.
    for (action, value, want) in [
        (0, "db.1", "http://127.0.0.1:9/api/v1/instances/db.1/restart?from=db.1"),
        (0, "...", "http://127.0.0.1:9/api/v1/instances/.../restart?from=..."),
        (1, "db", "http://127.0.0.1:9/api/v1/instances/.db/restart"),
        (2, "..", "http://127.0.0.1:9/api/v1/ask?instance=..#.."),
    ] {
        let r = prepare(&rb.actions[action], &ctx(value), Mode::Confirmed).unwrap();
        assert_eq!(url(&r), want);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH).0;
    let refused: Vec<_> = log.iter().filter(|r| r.kind == RecordKind::Refused).collect();
    assert_eq!(refused.len(), 3, "{log:?}");
    assert!(refused.iter().all(|r| r.reason.as_deref().is_some_and(|t| t.contains("URL path"))));
    // Refusals are written off the caller's thread: in any order, each value once.
    let mut values: Vec<&str> =
        refused.iter().filter_map(|r| r.labels.get("instance").map(String::as_str)).collect();
    values.sort_unstable();
    assert_eq!(values, [".", ".", ".."], "{log:?}");
}

/// Set for [`lock_helper`] when a test runs this binary again as another user:
/// `<lock dir>|<target>`.
const HELPER: &str = "WARROOM_TEST_LOCK_HELPER";

/// Not a test of its own: run as another user by
/// [`locks_and_cooldowns_hold_across_users_of_one_host`], it tries the `slow` action's lock on
/// a target and prints what came of it.
#[test]
fn lock_helper() {
    let Ok(job) = std::env::var(HELPER) else { return };
    let (dir, target) = job.split_once('|').unwrap();
    let cooldown = Duration::from_secs(60);
    let outcome = match RunLock::acquire(Path::new(dir), "slow", 'w', target, cooldown, "nobody") {
        Ok(lock) => {
            lock.finish().unwrap();
            "ran".to_string()
        }
        Err(e) => e.to_string(),
    };
    println!("\nOUTCOME:{outcome}");
}

/// What [`lock_helper`] reports when this binary runs as `nobody`.
fn as_nobody(dir: &Path, target: &str) -> String {
    use std::os::unix::process::CommandExt;
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "lock_helper", "--nocapture", "--test-threads=1"])
        .env(HELPER, format!("{}|{target}", dir.display()))
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.split_once("OUTCOME:").map(|(_, o)| o))
        .unwrap_or_else(|| panic!("no outcome: {text}\n{}", String::from_utf8_lossy(&out.stderr)))
        .to_string()
}

#[test]
#[allow(unsafe_code, reason = "geteuid, through libc")]
fn locks_and_cooldowns_hold_across_users_of_one_host() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: geteuid has no failure modes.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: acting as a second user (nobody) needs root");
        return;
    }
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = parent.path().join("locks");
    let cooldown = Duration::from_secs(60);
    // root holds db-1: nobody is refused and told by whom.
    let held = RunLock::acquire(&dir, "slow", 'w', "db-1", cooldown, "root's run").unwrap();
    assert_eq!(as_nobody(&dir, "db-1"), "already running since root's run");
    // root's run ends: its cooldown holds for nobody too.
    held.finish().unwrap();
    assert!(as_nobody(&dir, "db-1").starts_with("cooling down, "), "{}", as_nobody(&dir, "db-1"));
    // nobody runs on db-2 (creating its files), and nobody's cooldown holds for root.
    assert_eq!(as_nobody(&dir, "db-2"), "ran");
    let err = RunLock::acquire(&dir, "slow", 'w', "db-2", cooldown, "root").unwrap_err();
    assert!(matches!(err, Refusal::CoolingDown { .. }), "{err:?}");

    let meta = std::fs::metadata(&dir).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o1777, "sticky and open to all");
    let mut owners = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let meta = entry.as_ref().unwrap().metadata().unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o644, "{:?}", entry.unwrap().path());
        owners.insert(meta.uid());
    }
    assert_eq!(owners, [0, 65534].into(), "each file belongs to whoever made it");
}
