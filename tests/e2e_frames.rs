//! How often the real binary draws, seen from the terminal: new data is drawn on the clock's
//! once-a-second beat however scattered the answers, while a key still draws at once.
//!
//! The demo polls seven queries every second, each answer changing what is shown; the bytes
//! warroom writes to its pane are recorded with `tmux pipe-pane`, and each frame ends by hiding
//! the cursor (`ESC [ ? 25 l`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod tmux;

use std::time::{Duration, Instant};

use tmux::{Start, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const FRAME_END: &[u8] = b"\x1b[?25l";

fn frames(bytes: &[u8]) -> usize {
    bytes.windows(FRAME_END.len()).filter(|w| *w == FRAME_END).count()
}

#[test]
fn data_is_drawn_on_the_beat_and_keys_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = vec![
        ("XDG_STATE_HOME".to_string(), dir.path().join("state").display().to_string()),
        ("XDG_CONFIG_HOME".to_string(), dir.path().join("config").display().to_string()),
    ];
    let argv = vec![BIN.to_string(), "--demo".to_string()];
    let t = Tmux::start("frames", Start { width: 120, height: 40, env, argv, ..Start::default() });
    t.wait_for("DB CPU", Duration::from_secs(15));
    // Past start-up: every query has answered and the charts hold data.
    std::thread::sleep(Duration::from_secs(3));

    let record = t.path("pane.out");
    let pipe = format!("cat > '{}'", record.display());
    t.tmux(&["pipe-pane", "-o", "-t", "wr", &pipe]);
    let secs = 6;
    std::thread::sleep(Duration::from_secs(secs));
    t.tmux(&["pipe-pane", "-t", "wr"]);
    let idle = std::fs::read(&record).expect("pane recording");
    let n = frames(&idle);
    eprintln!("{n} frames in {secs} s, {} bytes", idle.len());
    // One beat a second; one more when the recording starts or ends mid-frame.
    assert!(n >= 3, "the clock and the data still draw: {n} frames in {secs} s");
    assert!(n as u64 <= secs + 1, "{n} frames in {secs} s: data is not waiting for the beat");

    // A key draws at once, between beats.
    let started = Instant::now();
    t.send_keys(&["?"]);
    t.wait_for("any key closes", Duration::from_secs(2));
    let shown = started.elapsed();
    assert!(shown < Duration::from_millis(700), "help took {shown:?}");
}
