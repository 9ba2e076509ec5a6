//! How long a key takes to show on screen: the help overlay toggled with `?`, timed from
//! `send-keys` until `capture-pane` shows the change (polled every 2 ms), and what the same
//! measurement costs on `cat`, which does nothing but echo.

use std::time::{Duration, Instant};

use super::{Start, Tmux};

/// What the help overlay says: open when the screen shows it.
pub const HELP: &str = "any key closes";

/// From sending `?` until the help overlay shows (or, when open, until it closes).
pub fn toggle(term: &Tmux) -> Duration {
    let open = term.capture().contains(HELP);
    let started = Instant::now();
    term.send_keys(&["?"]);
    loop {
        if term.capture().contains(HELP) != open {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no redraw after a key:\n{}",
            term.capture()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `n` toggles (an even number leaves help as it was), 50 ms apart: sorted.
pub fn toggles(term: &Tmux, n: usize) -> Vec<Duration> {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let d = toggle(term);
            std::thread::sleep(Duration::from_millis(50));
            d
        })
        .collect();
    samples.sort();
    samples
}

/// The median of sorted samples.
pub fn median(sorted: &[Duration]) -> Duration {
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// What the measurement itself costs: a key typed into `cat` until tmux shows its echo (median).
pub fn tmux_echo() -> Duration {
    let cat = Tmux::start("echo", Start { argv: vec!["cat".into()], ..Start::default() });
    std::thread::sleep(Duration::from_millis(300));
    let mut samples: Vec<Duration> = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        .iter()
        .map(|key| {
            let started = Instant::now();
            cat.send_keys(&[key]);
            while !cat.capture().contains(key) {
                std::thread::sleep(Duration::from_millis(2));
            }
            started.elapsed()
        })
        .collect();
    samples.sort();
    median(&samples)
}
