//! The executor, reached the only way there is, through the launcher: process groups,
//! deadlines, cancellation, output limits, the environment, HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use warroom::runbook::exec::MAX_LINE;
use warroom::runbook::{
    parse_runbook, BaseEnv, Confirm, Identity, Launcher, Order, Outcome, Request, Resolved,
    RunEvent, RunHandle, Stream, Submitted,
};

/// One state dir (audit log, locks) for the whole test binary.
static STATE: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

/// Starts `resolved` with `timeout` through a launcher on [`STATE`]; each run gets a target of
/// its own, so the lock never refuses one.
fn start_in(
    launcher: &Launcher,
    run_id: u64,
    mut resolved: Resolved,
    timeout: Duration,
    tx: mpsc::UnboundedSender<RunEvent>,
) -> RunHandle {
    static TARGET: AtomicU64 = AtomicU64::new(0);
    resolved.target = format!("target-{}", TARGET.fetch_add(1, Ordering::SeqCst));
    let text = format!(
        "+++\nid = \"t\"\ntitle = \"t\"\nalerts = [\"A\"]\n[[actions]]\nkey = \"x\"\n\
         label = \"test\"\nargv = [\"true\"]\ntimeout = \"{}ms\"\n+++\n",
        timeout.as_millis()
    );
    let rb = parse_runbook(Path::new("t.md"), &text).unwrap();
    let action = Box::new(rb.actions[0].clone());
    let order =
        Order::Run { run_id, action, resolved: Box::new(resolved), checks: Default::default() };
    match launcher.submit(order, tx) {
        Submitted::Started(handle) => handle,
        other => panic!("not started: {other:?}"),
    }
}

fn start(
    run_id: u64,
    resolved: Resolved,
    timeout: Duration,
    tx: mpsc::UnboundedSender<RunEvent>,
) -> RunHandle {
    let launcher = Launcher::new(STATE.path(), Identity::default(), false);
    start_in(&launcher, run_id, resolved, timeout, tx)
}

fn resolved(request: Request) -> Resolved {
    Resolved {
        runbook: "t".into(),
        key: 'x',
        label: "test".into(),
        request,
        env: BTreeMap::new(),
        target: String::new(),
        labels: Default::default(),
        dry_run: false,
        dangerous: false,
        confirm: Confirm::YesNo,
        guards: Vec::new(),
        verify: None,
        announced: false,
    }
}

fn argv(args: &[&str]) -> Resolved {
    resolved(Request::Argv(args.iter().map(|s| s.to_string()).collect()))
}

async fn collect(
    rx: &mut mpsc::UnboundedReceiver<RunEvent>,
) -> (Vec<(Stream, String)>, Outcome, Duration) {
    let mut lines = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("run did not finish in time")
            .expect("channel closed");
        match ev {
            RunEvent::Output { stream, line, .. } => lines.push((stream, line)),
            RunEvent::Finished { outcome, duration, .. } => return (lines, outcome, duration),
        }
    }
}

/// Live (non-zombie) processes whose command line is exactly `argv`.
fn live_processes(argv: &[&str]) -> Vec<u32> {
    let want = argv.join("\0") + "\0";
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline != want.as_bytes() {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
        if state != Some('Z') {
            out.push(pid);
        }
    }
    out
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let secs = format!("300.{}", std::process::id());
    let script = format!("sleep {secs} & sleep {secs}; echo never");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let began = Instant::now();
    start(1, argv(&["sh", "-c", &script]), Duration::from_secs(2), tx);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(live_processes(&["sleep", &secs]).len(), 2, "both sleeps started");
    let (lines, outcome, duration) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(duration >= Duration::from_secs(2));
    assert!(began.elapsed() < Duration::from_secs(8), "{:?}", began.elapsed());
    assert!(lines.iter().all(|(_, l)| l != "never"));
    assert!(live_processes(&["sleep", &secs]).is_empty(), "survivors");
}

#[tokio::test]
async fn a_group_ignoring_sigterm_is_killed_after_the_grace_period() {
    let secs = format!("301.{}", std::process::id());
    let script = format!("trap '' TERM; sleep {secs} & trap '' TERM; sleep {secs}");
    let (tx, mut rx) = mpsc::unbounded_channel();
    start(1, argv(&["sh", "-c", &script]), Duration::from_secs(1), tx);
    let (_, outcome, duration) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::TimedOut);
    assert!(duration >= Duration::from_secs(3), "waited for the grace: {duration:?}");
    assert!(live_processes(&["sleep", &secs]).is_empty(), "survivors");
}

#[tokio::test]
async fn background_leftovers_are_stopped_when_the_action_exits() {
    let secs = format!("302.{}", std::process::id());
    let script = format!("sleep {secs} & echo started");
    let (tx, mut rx) = mpsc::unbounded_channel();
    start(1, argv(&["sh", "-c", &script]), Duration::from_secs(30), tx);
    let (lines, outcome, duration) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Exited(0));
    assert!(duration < Duration::from_secs(5));
    assert!(lines.iter().any(|(s, l)| *s == Stream::Stdout && l == "started"));
    assert!(lines.iter().any(|(s, _)| *s == Stream::Info));
    assert!(live_processes(&["sleep", &secs]).is_empty(), "survivors");
}

#[tokio::test]
async fn cancel_stops_the_run() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = start(9, argv(&["sleep", "30"]), Duration::from_secs(60), tx);
    tokio::time::sleep(Duration::from_millis(200)).await;
    handle.cancel();
    let (_, outcome, duration) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Cancelled);
    assert!(duration < Duration::from_secs(5));
}

#[tokio::test]
async fn a_hang_up_kills_a_group_ignoring_sigterm_after_a_short_grace() {
    let secs = format!("303.{}", std::process::id());
    let script = format!("trap '' TERM; sleep {secs} & sleep {secs}");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = start(1, argv(&["sh", "-c", &script]), Duration::from_secs(60), tx);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(live_processes(&["sleep", &secs]).len(), 2, "both sleeps started");
    let asked = Instant::now();
    handle.hang_up();
    let (_, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::TerminalLost { killed: true });
    assert_eq!(outcome.summary(), "terminal lost: killed");
    let took = asked.elapsed();
    assert!(took >= warroom::runbook::exec::HANGUP_GRACE, "{took:?}");
    assert!(took < Duration::from_millis(800), "{took:?}");
    assert!(live_processes(&["sleep", &secs]).is_empty(), "survivors");
}

#[tokio::test]
async fn output_is_streamed_sanitized_and_cut() {
    let script = format!(
        "printf 'out\\n'; printf 'err\\033[2J\\n' >&2; head -c {} /dev/zero | tr '\\0' x; echo; exit 3",
        MAX_LINE + 500
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    start(1, argv(&["sh", "-c", &script]), Duration::from_secs(10), tx);
    let (lines, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Exited(3));
    assert!(lines.contains(&(Stream::Stdout, "out".into())));
    assert!(lines.contains(&(Stream::Stderr, "err\\x1b[2J".into())));
    let long = lines.iter().find(|(_, l)| l.starts_with("xxx")).expect("long line");
    assert_eq!(long.1, format!("{} […]", "x".repeat(MAX_LINE)));
}

#[tokio::test]
async fn programs_get_the_allow_list_and_their_own_variables_only() {
    let outer = [
        ("PATH", std::env::var("PATH").unwrap()),
        ("HOME", "/home/alice".to_string()),
        ("LC_TIME", "C".into()),
        ("PGHOST", "db-1".into()),
        ("PROM_TOKEN", "s3cret-token".into()),
        ("PGTOKEN", "s3cret-too".into()),
        ("LD_PRELOAD", "/tmp/evil.so".into()),
    ];
    let withheld = ["PROM_TOKEN".to_string(), "PGTOKEN".to_string()];
    let launcher = Launcher::new(STATE.path(), Identity::default(), false)
        .with_env(BaseEnv::from_vars(outer, &withheld));
    let mut r = argv(&["env"]);
    r.env.insert("OWN".into(), "mine".into());
    let (tx, mut rx) = mpsc::unbounded_channel();
    start_in(&launcher, 1, r, Duration::from_secs(10), tx);
    let (lines, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Exited(0));
    let mut seen: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    seen.sort_unstable();
    let path = format!("PATH={}", std::env::var("PATH").unwrap());
    let want = ["HOME=/home/alice", "LC_TIME=C", "OWN=mine", path.as_str(), "PGHOST=db-1"];
    assert_eq!(seen, want);
}

#[tokio::test]
async fn a_missing_program_fails_to_start() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    start(1, argv(&["/nonexistent/warroom-test"]), Duration::from_secs(5), tx);
    let (_, outcome, _) = collect(&mut rx).await;
    assert!(matches!(outcome, Outcome::FailedToStart(_)), "{outcome:?}");
}

#[tokio::test]
async fn http_actions_report_status_and_body() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = sock.read(&mut buf).await.unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        let body = "terminated 3 sessions\n\u{1b}[31mred\n";
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(reply.as_bytes()).await.unwrap();
        request
    });
    let req = resolved(Request::Http {
        method: "POST".into(),
        url: format!("http://{addr}/-/demo/terminate-idle?instance=db%201"),
        headers: vec![("X-Test".into(), "yes".into())],
        body: Some("{}".into()),
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    start(1, req, Duration::from_secs(5), tx);
    let (lines, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::Http(200));
    assert!(outcome.success());
    let texts: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(texts, vec!["HTTP 200 OK", "terminated 3 sessions", "\\x1b[31mred"]);
    let request = server.await.unwrap();
    assert!(request.starts_with("POST /-/demo/terminate-idle?instance=db%201 HTTP/1.1"));
    assert!(request.to_ascii_lowercase().contains("x-test: yes"));
}

#[tokio::test]
async fn http_timeout_and_refused_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts but never answers.
    let _server = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let req = |url: String| {
        resolved(Request::Http { method: "POST".into(), url, headers: vec![], body: None })
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    start(1, req(format!("http://{addr}/x")), Duration::from_millis(500), tx.clone());
    let (_, outcome, _) = collect(&mut rx).await;
    assert_eq!(outcome, Outcome::TimedOut);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    start(2, req(format!("http://{closed_addr}/x")), Duration::from_secs(5), tx);
    let (_, outcome, _) = collect(&mut rx).await;
    assert!(matches!(outcome, Outcome::RequestFailed(_)), "{outcome:?}");
}
