//! A small tmux harness for end-to-end tests of the real binary: each session runs on a tmux
//! server of its own (`tmux -L <unique socket>`), so tests run in parallel; the server is killed
//! when the harness is dropped.

#![allow(dead_code)]

pub mod latency;
pub mod screen;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The session every harness creates.
const SESSION: &str = "wr";

/// One tmux server with one session running one command.
pub struct Tmux {
    socket: String,
    /// Holds the tmux config and whatever the test puts there (state dir, config files).
    pub dir: tempfile::TempDir,
}

/// How a session starts.
pub struct Start<'a> {
    pub width: u16,
    pub height: u16,
    /// `default-terminal`, i.e. the `TERM` the program sees.
    pub term: &'a str,
    /// Extra environment for the program (`-e NAME=value`).
    pub env: Vec<(String, String)>,
    /// The program and its arguments, run directly (no shell).
    pub argv: Vec<String>,
}

impl Default for Start<'_> {
    fn default() -> Self {
        Start { width: 80, height: 24, term: "tmux-256color", env: Vec::new(), argv: Vec::new() }
    }
}

fn require_tmux() {
    let ok = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "tmux is not installed: these tests drive the real binary in tmux. Install it with \
         `apt-get install tmux` (scripts/test installs it when missing)."
    );
}

impl Tmux {
    /// Starts a detached session of `start.width`×`start.height` running `start.argv`. The pane
    /// stays after the program exits (`remain-on-exit`), so its exit status can be read.
    pub fn start(name: &str, start: Start) -> Tmux {
        require_tmux();
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("tmux.conf");
        let text = format!(
            "set -g remain-on-exit on\nset -g status off\nset -g default-terminal \"{}\"\n\
             set -g history-limit 100\nset -g set-clipboard on\n",
            start.term
        );
        std::fs::write(&conf, text).expect("write tmux.conf");
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let socket = format!("warroom-{name}-{}-{n}", std::process::id());
        let t = Tmux { socket, dir };
        let mut args: Vec<String> = vec!["-f".into(), path_str(&conf), "new-session".into()];
        args.extend(["-d", "-s", SESSION, "-x"].map(String::from));
        args.push(start.width.to_string());
        args.push("-y".into());
        args.push(start.height.to_string());
        for (k, v) in &start.env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.extend(start.argv);
        let out = t.tmux(&args);
        assert!(out.status.success(), "tmux new-session failed: {}", stderr(&out));
        t
    }

    /// Runs one tmux command on this server.
    pub fn tmux<S: AsRef<str>>(&self, args: &[S]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args.iter().map(|a| a.as_ref()))
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// Types keys into the pane, in `send-keys` syntax (`q`, `Enter`, `C-c`).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys: {}", stderr(&out));
    }

    /// Pastes `text` into the pane as tmux does (`paste-buffer -p`): wrapped in bracketed-paste
    /// markers when the program asked for them, as plain typed characters when it did not.
    pub fn paste(&self, text: &str) {
        let out = self.tmux(&["set-buffer", "-b", "warroom-test", "--", text]);
        assert!(out.status.success(), "set-buffer: {}", stderr(&out));
        let out = self.tmux(&["paste-buffer", "-p", "-d", "-b", "warroom-test", "-t", SESSION]);
        assert!(out.status.success(), "paste-buffer: {}", stderr(&out));
    }

    /// The visible pane as text.
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", SESSION]).stdout)
            .into_owned()
    }

    /// A tmux format (`#{pane_pid}`…) expanded for the pane.
    pub fn display(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", SESSION, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The pid of the program in the pane.
    pub fn pane_pid(&self) -> u32 {
        let pid = self.display("#{pane_pid}");
        pid.parse().unwrap_or_else(|_| panic!("no pane pid: {pid:?}"))
    }

    /// Waits until the pane shows `needle`; panics with the screen after `within`.
    pub fn wait_for(&self, needle: &str, within: Duration) -> String {
        self.wait_until(within, &format!("{needle:?} on screen"), |s| s.contains(needle))
    }

    /// Waits until `ok(screen)`; panics with `what` and the last screen after `within`.
    pub fn wait_until(&self, within: Duration, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!("waited {within:?} for {what}; the pane shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the program to exit; its exit status (128 + N for signal N), or `None` if it is
    /// still running after `within`.
    pub fn wait_exit(&self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        loop {
            // tmux marks the pane dead when the terminal closes and fills in the status when it
            // has reaped the process, a moment later.
            // tmux 3.3 sometimes leaves the exited program a zombie for a long while: read the
            // status the kernel keeps for the zombie instead.
            if self.display("#{pane_dead}") == "1" {
                if let Ok(status) = self.display("#{pane_dead_status}").parse() {
                    return Some(status);
                }
                if let Ok(signal) = self.display("#{pane_dead_signal}").parse::<i32>() {
                    return Some(128 + signal);
                }
                if let Some(status) =
                    self.display("#{pane_pid}").parse().ok().and_then(zombie_status)
                {
                    return Some(status);
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Resizes the window (and so the pane).
    pub fn resize(&self, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        let out = self.tmux(&["resize-window", "-t", SESSION, "-x", &w, "-y", &h]);
        assert!(out.status.success(), "resize-window {w}x{h}: {}", stderr(&out));
    }

    /// Kills the tmux server and with it the pane's terminal.
    pub fn kill_server(&self) {
        let _ = self.tmux(&["kill-server"]);
    }

    /// A path inside the harness's temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.kill_server();
    }
}

/// Processes (other than zombies) whose environment holds `marker` (e.g. a unique
/// `XDG_STATE_HOME=…`): the program and anything it started, even after they were reparented.
pub fn processes_with_env(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The state follows the command name in parentheses: "123 (warroom) S ...".
            let zombie =
                stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            !zombie && env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes())
        })
        .collect()
}

/// Waits until no process carries `marker`; the ones left after `within`.
pub fn wait_gone(marker: &str, within: Duration) -> Vec<u32> {
    let deadline = Instant::now() + within;
    loop {
        let left = processes_with_env(marker);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `pid` is gone (or a zombie, which has ended and only waits to be reaped).
pub fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z')),
    }
}

/// Live processes of session `sid`.
pub fn in_session(sid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // After the command name: state, ppid, pgrp, session.
            let rest: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, r)| r.split_whitespace().collect())
                .unwrap_or_default();
            rest.first() != Some(&"Z") && rest.get(3) == Some(&sid.to_string().as_str())
        })
        .collect()
}

/// The exit status of a zombie (128 + N when signal N ended it), from the `exit_code` field of
/// `/proc/PID/stat` (Linux 3.5+); `None` while the process still runs.
fn zombie_status(pid: u32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (in parentheses): state is field 3, exit_code field 52.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    if rest.first() != Some(&"Z") {
        return None;
    }
    let code: i32 = rest.get(52 - 3)?.parse().ok()?;
    Some(if code & 0x7f != 0 { 128 + (code & 0x7f) } else { (code >> 8) & 0xff })
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("temp paths are UTF-8").to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
