//! Real servers for integration tests: Prometheus, VictoriaMetrics, Alertmanager, PostgreSQL
//! and its postgres_exporter, and a scriptable `/metrics` exporter.
//!
//! Each test file that needs them declares `mod support;`. Every server listens on a free
//! loopback port, keeps its data and its log in a private temporary directory, is ready when
//! `start` returns, and is killed (and reaped) when dropped, so a failing test leaves nothing
//! running. A missing binary fails the test with the command that installs it; `scripts/test`
//! installs them all.

// Each test binary uses a different part of the harness.
#![allow(dead_code, unused_imports)]

pub mod alertmanager;
pub mod api;
pub mod exporter;
pub mod http;
pub mod lab;
pub mod postgres;
pub mod postgres_exporter;
pub mod process;
pub mod prometheus;
pub mod victoria;

pub use alertmanager::Alertmanager;
pub use exporter::StaticExporter;
pub use postgres::Postgres;
pub use postgres_exporter::PostgresExporter;
pub use prometheus::{Prometheus, PrometheusOpts};
pub use victoria::{VictoriaMetrics, VictoriaMetricsOpts};

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to become ready. Generous: CI machines are small and busy.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A loopback TCP port that was free a moment ago, never the same one twice in a test binary
/// (so tests running in parallel cannot be handed the same port).
///
/// The port is released before it is returned, so another process may take it first; the
/// server starters retry with a new port when that happens.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
        let port = listener.local_addr().expect("local address of a bound listener").port();
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if handed_out.insert(port) {
            return port;
        }
    }
}

/// Polls `condition` every 100 ms until it holds (returns `true`) or `deadline` passes
/// (returns `false`). The condition is always checked at least once.
pub fn wait_until(deadline: Instant, mut condition: impl FnMut() -> bool) -> bool {
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// `wait_until` with a timeout instead of a deadline.
pub fn wait_for(timeout: Duration, condition: impl FnMut() -> bool) -> bool {
    wait_until(Instant::now() + timeout, condition)
}
