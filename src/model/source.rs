//! Health of one Prometheus-compatible source, as the header shows it.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How a source is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No answer yet.
    Unknown,
    Up,
    /// Answers, but some queries fail or answers are partial.
    Degraded,
    /// Unreachable or failing every query.
    Down,
}

/// What the header knows about one source.
#[derive(Debug, Clone)]
pub struct SourceState {
    pub name: String,
    /// Base URL, for display (configs carry no credentials in URLs; it is still sanitized).
    pub url: String,
    pub last_rtt: Option<Duration>,
    pub last_ok: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Consecutive failed requests.
    pub failures: u32,
}

impl SourceState {
    pub fn new(name: String, url: String) -> Self {
        Self {
            name,
            url,
            last_rtt: None,
            last_ok: None,
            last_error: None,
            failures: 0,
        }
    }

    /// Records a request's outcome (network-level: an API error still means the source is up).
    pub fn record(&mut self, at: DateTime<Utc>, rtt: Option<Duration>, error: Option<String>) {
        match error {
            None => {
                self.last_rtt = rtt;
                self.last_ok = Some(at);
                self.failures = 0;
                self.last_error = None;
            }
            Some(e) => {
                self.failures = self.failures.saturating_add(1);
                self.last_error = Some(e);
            }
        }
    }

    pub fn health(&self) -> Health {
        match (self.last_ok, self.failures) {
            (None, 0) => Health::Unknown,
            (_, 0) => Health::Up,
            (Some(_), 1..=2) => Health::Degraded,
            _ => Health::Down,
        }
    }
}
