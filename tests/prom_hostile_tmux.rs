//! The real binary in tmux against servers whose answers are too large to hold: a gzip bomb
//! (10 GiB inflated), a 50 MB answer, 100,000 series, each answered to every request, every
//! second. The panel says what happened, keys still redraw at once, and the process stays small
//! (its `VmHWM`). Prints the measured figures (run with `--nocapture` to see them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod fake;
mod tmux;

use std::time::Duration;

use fake::stream::{many_series, Body, Streamer};
use fake::{Fake, Reply};
use tmux::{latency, Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// Holds a hostile server alive while the test runs.
enum Server {
    Stream(Streamer),
    Fake(Fake),
}

impl Server {
    fn url(&self) -> String {
        match self {
            Server::Stream(s) => s.url(),
            Server::Fake(f) => f.url(),
        }
    }
}

fn config(url: &str) -> String {
    format!(
        r#"refresh = "1s"
range = "5m"

[[sources]]
name = "hostile"
url = "{url}"

[[panels]]
title = "Targets"
kind = "table"
query = "up"
"#
    )
}

fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn hostile_answers_are_said_keys_stay_fast_and_memory_stays_small() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenarios: [(&str, &str, Server); 3] =
        [
            (
                "gzip bomb, 10 GiB inflated",
                "answer larger than 32 MiB",
                Server::Stream(rt.block_on(Streamer::start(Body::GzipBomb { decoded: 10 << 30 }))),
            ),
            (
                "50 MB answer",
                "answer larger than 32 MiB",
                Server::Stream(rt.block_on(Streamer::start(Body::Plain {
                    len: 50_000_000,
                    content_length: false,
                }))),
            ),
            (
                "100,000 series",
                "100,000 series, first 10,000 shown",
                Server::Fake(rt.block_on(Fake::start(Reply::Send(
                    200,
                    "application/json",
                    many_series(100_000),
                )))),
            ),
        ];
    let mut report = Vec::new();
    for (name, says, server) in scenarios {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("warroom.toml");
        std::fs::write(&config_path, config(&server.url())).unwrap();
        let env = vec![
            ("XDG_STATE_HOME".to_string(), dir.path().join("state").display().to_string()),
            ("WARROOM_CONFIG".to_string(), config_path.display().to_string()),
        ];
        let argv = vec![BIN.to_string()];
        let term =
            Tmux::start("hostile", Start { width: 160, height: 48, env, argv, ..Start::default() });
        term.wait_for(says, Duration::from_secs(30));
        // A few more rounds of the same answer, then keys while they keep coming.
        std::thread::sleep(Duration::from_secs(3));
        let keys = latency::toggles(&term, 20);
        let hwm = vm_hwm_kib(term.pane_pid());
        let screen = term.capture();
        assert!(screen.contains(says), "{name}: the panel no longer says {says:?}:\n{screen}");
        report.push(format!(
            "{name}: key → redraw median {:?}, worst {:?}; VmHWM {} MiB",
            latency::median(&keys),
            keys.last().copied().unwrap_or_default(),
            hwm / 1024
        ));
        assert!(latency::median(&keys) < Duration::from_millis(100), "{name}: {keys:?}");
        assert!(hwm > 0 && hwm < 100 * 1024, "{name}: peak {hwm} KiB");
        drop(term);
        drop(server);
    }
    eprintln!(
        "tmux's own cost (cat's echo), median {:?}\n{}",
        latency::tmux_echo(),
        report.join("\n")
    );
}
