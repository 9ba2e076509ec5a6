//! `warroom --demo`: an embedded, simulated Prometheus-compatible source replaying a peak-hour
//! meltdown, served over HTTP on a loopback port so the real client code path runs.

mod pinned;
mod scenario;
mod server;
mod source;

pub use pinned::{demo_model, PINNED_START};
pub use scenario::{Scenario, Snapshot, LOOP_SECS};
pub use server::DemoServer;
pub use source::{knows, SimSource};

/// The demo dashboard (its source URL is replaced by the simulator's).
pub const DASHBOARD: &str = include_str!("dashboard.toml");
