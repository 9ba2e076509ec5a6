//! Output commands piped into a reader that stops early (`warroom completions bash | head -1`)
//! end quietly and successfully: a closed pipe is no failure, and never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

#[test]
fn a_reader_that_stops_early_is_no_failure() {
    for args in [&["completions", "bash"][..], &["completions", "zsh"], &["man"]] {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start warroom");
        // The reader is gone before anything is written: every write meets a closed pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for warroom");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
