//! The real binary in a real terminal (tmux): it starts and shows data, quits cleanly and gives
//! the terminal back, survives resize storms, ends when its terminal goes away (with or without
//! SIGHUP), keeps hostile label values from reaching the terminal, and renders under the TERM
//! values tmux users have.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod tmux;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tmux::{processes_with_env, wait_gone, Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// Runs `"$@"` and then reports, on one line, its exit status and the terminal modes it left
/// behind; then stays, so the pane can still be inspected. (A shell's `$?` is reliable where
/// tmux's `#{pane_dead_status}` sometimes stays empty for a while after a threaded program exits.)
const REPORT: &str = r#""$@"; st=$?; m=""; for f in $(stty -a); do case "$f" in icanon|-icanon|echo|-echo) m="$m $f";; esac; done; echo "exit=$st modes:$m."; sleep 60"#;

/// What the report line says after a clean exit: status 0, cooked mode and echo back on.
const CLEAN_EXIT: &str = "exit=0 modes: icanon echo.";

/// A warroom session in tmux with private state and config directories.
struct Session {
    tmux: Tmux,
    /// `XDG_STATE_HOME=…`: unique to this session, inherited by anything warroom starts.
    marker: String,
    state: std::path::PathBuf,
    _dirs: tempfile::TempDir,
}

impl Session {
    /// Starts warroom with `args`. `report`: under the [`REPORT`] shell (read its line with
    /// [`Session::exit_report`]); else directly, as the pane's own process.
    fn start(name: &str, term: &str, size: (u16, u16), args: &[&str], report: bool) -> Session {
        let dirs = tempfile::tempdir().expect("temp dir");
        let state = dirs.path().join("state");
        let config = dirs.path().join("config");
        let env = vec![
            ("XDG_STATE_HOME".to_string(), state.display().to_string()),
            ("XDG_CONFIG_HOME".to_string(), config.display().to_string()),
        ];
        let marker = format!("XDG_STATE_HOME={}", state.display());
        let mut argv: Vec<String> = if report {
            ["sh", "-c", REPORT, "report"].map(String::from).to_vec()
        } else {
            Vec::new()
        };
        argv.extend(args.iter().map(|s| s.to_string()));
        let tmux = Tmux::start(name, Start { width: size.0, height: size.1, term, env, argv });
        Session { tmux, marker, state, _dirs: dirs }
    }

    fn demo(name: &str, term: &str) -> Session {
        Session::start(name, term, (80, 24), &[BIN, "--demo"], true)
    }

    /// Waits for the report line printed after warroom exits.
    fn exit_report(&self, within: Duration) -> String {
        let screen = self.tmux.wait_until(within, "warroom to exit", |s| {
            s.lines().any(|l| l.starts_with("exit=") && l.ends_with('.'))
        });
        screen.lines().find(|l| l.starts_with("exit=")).unwrap_or_default().to_string()
    }

    /// warroom's log (it never logs to the terminal).
    fn log(&self) -> String {
        // Each environment has its own folder: read whichever this session wrote.
        let envs = std::fs::read_dir(self.state.join("warroom")).into_iter().flatten().flatten();
        envs.filter_map(|e| std::fs::read_to_string(e.path().join("warroom.log")).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Kills the tmux server and checks that warroom is gone within 2 s, having left its loop
    /// the orderly way (no panic, no abort).
    fn assert_ends_with_its_terminal(&self) {
        assert!(!self.warroom_pids().is_empty(), "warroom found by its state dir");
        self.tmux.kill_server();
        let left = wait_gone(&self.marker, Duration::from_secs(2));
        assert!(left.is_empty(), "still running 2 s after the terminal went away: {left:?}");
        let log = self.log();
        assert!(log.contains("dashboard loop ended"), "no orderly exit in the log:\n{log}");
        assert!(!log.contains("panic"), "{log}");
    }

    /// Running warroom processes of this session (not the shell around them).
    fn warroom_pids(&self) -> Vec<u32> {
        processes_with_env(&self.marker)
            .into_iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "warroom")
            })
            .collect()
    }
}

/// Waits until every panel title of the demo's first row and the alert list are drawn.
fn wait_for_dashboard(t: &Tmux) -> String {
    t.wait_until(Duration::from_secs(15), "the demo dashboard", |s| {
        ["DB CPU", "Connections by state", "App 5xx errors", "Alerts"].iter().all(|n| s.contains(n))
    })
}

#[test]
fn demo_shows_panels_fires_an_alert_and_q_gives_the_terminal_back() {
    let s = Session::demo("start", "tmux-256color");
    let t = &s.tmux;
    wait_for_dashboard(t);
    assert_eq!(t.display("#{alternate_on}"), "1", "the dashboard draws on the alternate screen");
    t.wait_until(Duration::from_secs(60), "an alert FIRING in the list", |screen| {
        screen.lines().any(|l| l.contains("FIRING") && (l.contains("WARN") || l.contains("CRIT")))
    });
    t.send_keys(&["q"]);
    assert_eq!(s.exit_report(Duration::from_secs(5)), CLEAN_EXIT);
    assert!(!t.capture().contains("DB CPU"), "the dashboard is gone from the screen");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor shown again");
}

/// A panic (forced in test builds) leaves the terminal usable: restored by the panic hook,
/// whether the loop itself panicked (exit 101) or a task did (the loop notices, exit 1).
#[test]
fn a_panic_gives_the_terminal_back() {
    for (kind, status) in [("loop", "exit=101"), ("task", "exit=1")] {
        let dirs = tempfile::tempdir().expect("temp dir");
        let env = vec![
            ("XDG_STATE_HOME".to_string(), dirs.path().display().to_string()),
            ("WARROOM_DEBUG_PANIC".to_string(), kind.to_string()),
            // A backtrace would scroll the message off the 24 rows.
            ("RUST_BACKTRACE".to_string(), "0".to_string()),
        ];
        let argv = ["sh", "-c", REPORT, "report", BIN, "--demo"].map(String::from).to_vec();
        let t = Tmux::start(&format!("panic-{kind}"), Start { env, argv, ..Start::default() });
        let screen = t.wait_until(Duration::from_secs(15), "warroom to exit", |s| {
            s.lines().any(|l| l.starts_with("exit=") && l.ends_with('.'))
        });
        let want = format!("{status} modes: icanon echo.");
        assert!(screen.contains(&want), "{kind}: want {want:?} in\n{screen}");
        assert!(
            screen.contains("panicking on purpose"),
            "{kind}: the panic is reported:\n{screen}"
        );
        assert_eq!(t.display("#{alternate_on}"), "0", "{kind}");
    }
}

#[test]
fn resize_storm_down_to_1x1_and_back_leaves_it_alive_and_responsive() {
    let s = Session::demo("resize", "tmux-256color");
    let t = &s.tmux;
    wait_for_dashboard(t);
    // A deterministic storm over ~3 s while the demo keeps polling every second.
    let mut x: u32 = 12345;
    for i in 0..150 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let (w, h) = match i % 10 {
            0 => (1, 1),
            1 => (2, 1),
            2 => (1, 60),
            3 => (300, 1),
            _ => (1 + (x >> 16) as u16 % 220, 1 + (x >> 8) as u16 % 70),
        };
        t.resize(w, h);
        std::thread::sleep(Duration::from_millis(20));
    }
    t.resize(100, 30);
    assert_eq!(s.warroom_pids().len(), 1, "still running after the storm:\n{}", t.capture());
    wait_for_dashboard(t);
    t.send_keys(&["?"]);
    t.wait_for("any key closes", Duration::from_secs(5));
    t.send_keys(&["Escape"]);
    t.wait_until(Duration::from_secs(5), "help closed", |s| !s.contains("any key closes"));
    t.send_keys(&["q"]);
    assert_eq!(s.exit_report(Duration::from_secs(5)), CLEAN_EXIT);
}

#[test]
fn killing_the_tmux_server_ends_warroom_within_2s() {
    let s = Session::start("kill", "tmux-256color", (80, 24), &[BIN, "--demo"], false);
    wait_for_dashboard(&s.tmux);
    s.assert_ends_with_its_terminal();
}

/// `setsid` puts warroom in a session of its own: when the terminal goes, no SIGHUP comes (as
/// under `nohup` or a shell that traps HUP). It must notice by itself.
#[test]
fn losing_the_terminal_without_sighup_still_ends_warroom_within_2s() {
    let has_setsid = std::process::Command::new("setsid").arg("--version").output().is_ok();
    assert!(has_setsid, "setsid (util-linux) is needed for this test");
    let argv = ["setsid", "-w", BIN, "--demo"];
    let s = Session::start("nohup", "tmux-256color", (80, 24), &argv, false);
    wait_for_dashboard(&s.tmux);
    s.assert_ends_with_its_terminal();
}

#[test]
fn screen_256color_and_tmux_256color_both_render() {
    for term in ["screen-256color", "tmux-256color"] {
        let s = Session::demo(&format!("term-{term}"), term);
        let t = &s.tmux;
        let screen = wait_for_dashboard(t);
        assert!(screen.contains("PROD"), "{term}:\n{screen}");
        let pid = s.warroom_pids().first().copied().expect("warroom running");
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let want = format!("TERM={term}");
        assert!(env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()), "warroom sees {want}");
        t.send_keys(&["q"]);
        assert_eq!(s.exit_report(Duration::from_secs(5)), CLEAN_EXIT, "{term}");
        assert_eq!(t.display("#{alternate_on}"), "0", "{term}");
    }
}

// ---- Hostile label values ----------------------------------------------------------------------

/// A label value that would set the terminal title and clear the screen if it reached the
/// terminal raw.
const HOSTILE: &str = "\u{1b}]0;x\u{7}evil\u{1b}[2Jname";

/// Answers every instant query with a vector and every range query with a matrix, both holding
/// one series labelled [`HOSTILE`]. Stops when dropped (or after a minute, whichever first).
struct HostileProm {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HostileProm {
    fn start() -> HostileProm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::SeqCst) && Instant::now() < until {
                match listener.accept() {
                    Ok((sock, _)) => answer(sock),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        HostileProm { addr, stop, thread: Some(thread) }
    }
}

impl Drop for HostileProm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(mut sock: TcpStream) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(2)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match sock.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let metric = serde_json::json!({ "__name__": "hostile_metric", "name": HOSTILE });
    let body = if path.starts_with("/api/v1/query_range") {
        let values: Vec<_> =
            (0..30).map(|i| serde_json::json!([now - 30.0 + f64::from(i), "5"])).collect();
        serde_json::json!({ "status": "success", "data": { "resultType": "matrix",
            "result": [{ "metric": metric, "values": values }] } })
    } else if path.starts_with("/api/v1/query") {
        serde_json::json!({ "status": "success", "data": { "resultType": "vector",
            "result": [{ "metric": metric, "value": [now, "5"] }] } })
    } else {
        serde_json::json!({ "status": "error", "errorType": "not_found", "error": "no such path" })
    }
    .to_string();
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(reply.as_bytes());
}

#[test]
fn hostile_label_values_show_as_text_and_leave_the_pane_title_alone() {
    let prom = HostileProm::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("hostile.toml");
    std::fs::write(
        &config,
        format!(
            r#"refresh = "1s"
[environment]
name = "hostile"
[[sources]]
name = "h"
url = "http://{}"
[[panels]]
title = "Top"
kind = "table"
query = "hostile_metric"
legend = "{{{{ name }}}}"
[[panels]]
title = "Line"
kind = "line"
query = "hostile_metric"
legend = "{{{{ name }}}}"
[[alerts]]
name = "Hostile"
query = "hostile_metric"
warning = 1
"#,
            prom.addr
        ),
    )
    .expect("write config");
    let config = config.display().to_string();
    let args = [BIN, "--config", &config];
    let s = Session::start("hostile", "tmux-256color", (120, 30), &args, true);
    let t = &s.tmux;
    let host = t.display("#{host}");
    // The escape shows as the visible text `\x1b]0;x\x07evil\x1b[2Jname`.
    let screen = t.wait_for("\\x1b]0;x\\x07evil\\x1b[2Jname", Duration::from_secs(20));
    assert!(screen.contains("Top") && screen.contains("Line"), "{screen}");
    t.wait_for("FIRING", Duration::from_secs(10));
    assert_eq!(t.display("#{pane_title}"), host, "the title escape reached the terminal");
    assert!(!screen.contains('\u{1b}'));

    // Control: the same bytes written raw do set the title in this tmux, so the check above can
    // fail.
    let raw = "printf '\\033]0;x\\007'; sleep 3";
    let out = t.tmux(&["new-window", "-d", "-t", "wr:9", "sh", "-c", raw]);
    assert!(out.status.success());
    let deadline = Instant::now() + Duration::from_secs(3);
    while t.tmux(&["display-message", "-p", "-t", "wr:9", "#{pane_title}"]).stdout != b"x\n" {
        assert!(Instant::now() < deadline, "control: raw OSC 0 did not set the title");
        std::thread::sleep(Duration::from_millis(50));
    }
    t.send_keys(&["q"]);
    assert_eq!(s.exit_report(Duration::from_secs(5)), CLEAN_EXIT);
}

/// The alert list never lies: the demo's firing alert stays firing through pan, zoom and a
/// filter that hides it, and nothing of that reaches the history.
#[test]
fn a_firing_alert_survives_pan_range_and_filter() {
    let s = Session::start("truth", "tmux-256color", (160, 48), &[BIN, "--demo"], false);
    let t = &s.tmux;
    wait_for_dashboard(t);
    let firing =
        |screen: &str| screen.lines().any(|l| l.contains("FIRING") && l.contains("DemoDbCpuHigh"));
    t.wait_until(Duration::from_secs(60), "DemoDbCpuHigh FIRING", firing);
    for keys in [&["["][..], &["["], &["+"], &["-", "-"], &["]", "]"]] {
        t.send_keys(keys);
        std::thread::sleep(Duration::from_secs(3));
        let screen = t.capture();
        assert!(firing(&screen), "after {keys:?}: {screen}");
        assert!(
            !screen.lines().any(|l| l.contains("RESOLVED") && l.contains("DemoDbCpuHigh")),
            "after {keys:?}: {screen}"
        );
    }
    t.send_keys(&["/", "z", "z", "z", "Enter"]);
    let screen = t.wait_for("firing hidden by filter", Duration::from_secs(5));
    assert!(!screen.contains("All clear"), "{screen}");
    assert!(screen.contains("FIRING"), "the header still counts them: {screen}");
    let history = std::fs::read_to_string(s.state.join("warroom/demo-prod/history.jsonl"))
        .unwrap_or_default();
    let resolved = history
        .lines()
        .filter(|l| l.contains("DemoDbCpuHigh") && l.contains(r#""to":"resolved""#))
        .count();
    assert_eq!(resolved, 0, "the view wrote a false RESOLVED:\n{history}");
    t.send_keys(&["q"]);
}

#[test]
fn esc_and_an_arrow_in_one_read_are_esc_and_the_arrow_never_a_pan() {
    let s = Session::start("bunched", "tmux-256color", (160, 48), &[BIN, "--demo"], false);
    let t = &s.tmux;
    wait_for_dashboard(t);
    // Esc, then Down / PgDn / Left, each pair arriving in one write as over a laggy link:
    // read apart, the `[` of each sequence would pan the charts back.
    for bytes in
        [&["1b", "1b", "5b", "42"][..], &["1b", "1b", "5b", "36", "7e"], &["1b", "1b", "4f", "44"]]
    {
        let mut args = vec!["send-keys", "-t", "wr", "-H"];
        args.extend_from_slice(bytes);
        assert!(t.tmux(&args).status.success());
        std::thread::sleep(Duration::from_millis(700));
        let screen = t.capture();
        let header = screen.lines().next().unwrap_or_default();
        assert!(!header.contains(" −"), "{bytes:?} panned the charts:\n{screen}");
        assert!(!screen.contains("already live"), "{bytes:?} was read as `]` or `0`:\n{screen}");
    }
    // A deliberate `[` still pans.
    t.send_keys(&["["]);
    t.wait_until(Duration::from_secs(5), "the charts panned", |s| {
        s.lines().next().is_some_and(|h| h.contains(" −"))
    });
    t.send_keys(&["q"]);
}

#[test]
fn y_copies_the_panel_query_and_the_alert_through_osc_52() {
    let s = Session::start("copy", "tmux-256color", (160, 48), &[BIN, "--demo"], false);
    let t = &s.tmux;
    wait_for_dashboard(t);
    // tmux takes an application's OSC 52 into its newest paste buffer (set-clipboard on).
    let buffer = || String::from_utf8_lossy(&t.tmux(&["show-buffer"]).stdout).into_owned();
    t.send_keys(&["y"]);
    t.wait_for("copied the query of DB CPU", Duration::from_secs(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !buffer().contains("namedprocess_namegroup_cpu_seconds_total")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(buffer().starts_with("100 * sum by (instance)"), "{:?}", buffer());
    // On the alert list it is the selected alert, as one line.
    let firing = |s: &str| s.lines().any(|l| l.contains("FIRING"));
    t.wait_until(Duration::from_secs(60), "a firing alert", firing);
    t.send_keys(&["Tab", "y"]);
    t.wait_for("copied alert", Duration::from_secs(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !buffer().contains(" since ") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let line = buffer();
    assert!(
        line.contains("FIRING") && line.contains(" value ") && !line.contains('\n'),
        "{line:?}"
    );
    t.send_keys(&["q"]);
}

#[test]
fn v_cycles_the_pane_and_ctrl_l_wipes_stray_output() {
    let s = Session::start("panes", "tmux-256color", (160, 48), &[BIN, "--demo"], false);
    let t = &s.tmux;
    wait_for_dashboard(t);
    t.wait_for("Select an alert", Duration::from_secs(10));
    // Runbook → Output → History → Runbook: each pane says what it holds.
    t.send_keys(&["v"]);
    t.wait_for("No action has run yet", Duration::from_secs(5));
    t.send_keys(&["v"]);
    t.wait_until(Duration::from_secs(5), "the history pane", |s| {
        s.contains("No alert events yet.") || s.contains(" → ")
    });
    t.send_keys(&["v"]);
    t.wait_for("Select an alert", Duration::from_secs(5));
    // Something else writes to the terminal (here, into the blank runbook pane): it stays until
    // Ctrl-L repaints every cell.
    let tty = t.display("#{pane_tty}");
    std::fs::write(tty.trim(), "\x1b[43;100HSTRAY-GARBAGE-ON-THE-TTY").unwrap();
    t.wait_for("STRAY-GARBAGE-ON-THE-TTY", Duration::from_secs(5));
    // Frames draw only the cells that changed: the garbage outlives a few of them.
    std::thread::sleep(Duration::from_secs(2));
    assert!(t.capture().contains("STRAY-GARBAGE-ON-THE-TTY"), "{}", t.capture());
    t.send_keys(&["C-l"]);
    t.wait_until(Duration::from_secs(5), "the repaint", |s| !s.contains("STRAY-GARBAGE"));
    t.send_keys(&["q"]);
}
