//! Health of one Prometheus-compatible source, as the header shows it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// How a source is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No answer yet.
    Unknown,
    Up,
    /// Answers, but some requests fail, or answers are partial or carry warnings.
    Degraded,
    /// Unreachable or failing every query.
    Down,
}

/// Why a source that answers is not quite healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caveat {
    /// The answer covers only part of the data (`isPartial`, a partial-response warning).
    Partial,
    /// The server warned; the first warning's text (already sanitized and scrubbed of secrets).
    Warning(String),
}

/// What the header knows about one source.
#[derive(Debug, Clone)]
pub struct SourceState {
    pub name: String,
    /// Base URL, for display: sanitized, without the password of any user info.
    pub url: String,
    pub last_rtt: Option<Duration>,
    pub last_ok: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Consecutive failed requests.
    pub failures: u32,
    /// Caveats of the last answer of each query (by query index) that had any.
    pub caveats: BTreeMap<usize, Caveat>,
    /// Whether instant queries of one interval are asked in one request.
    pub combine: bool,
    /// The latest answer refused warroom's credentials (401, 403): the server is up, but
    /// nothing it says can be read.
    pub auth_refused: bool,
}

impl SourceState {
    pub fn new(name: String, url: String) -> Self {
        Self {
            name,
            url: crate::secret::redact_url(&url),
            last_rtt: None,
            last_ok: None,
            last_error: None,
            failures: 0,
            caveats: BTreeMap::new(),
            combine: true,
            auth_refused: false,
        }
    }

    /// Records the caveats of query `query`'s latest good answer (none clears them).
    pub fn note_answer(&mut self, query: usize, partial: bool, warnings: &[String]) {
        let caveat = match warnings.first() {
            _ if partial => Some(Caveat::Partial),
            Some(w) => Some(Caveat::Warning(w.clone())),
            None => None,
        };
        match caveat {
            Some(c) => self.caveats.insert(query, c),
            None => self.caveats.remove(&query),
        };
    }

    /// Why the source shows as degraded while answering: `partial`, or `warning: …`.
    pub fn caveat(&self) -> Option<String> {
        if self.caveats.values().any(|c| c == &Caveat::Partial) {
            return Some("partial".into());
        }
        self.caveats.values().find_map(|c| match c {
            Caveat::Warning(w) => Some(format!("warning: {w}")),
            Caveat::Partial => None,
        })
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
            (_, 0) if !self.caveats.is_empty() => Health::Degraded,
            (_, 0) => Health::Up,
            (Some(_), 1..=2) => Health::Degraded,
            _ => Health::Down,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_answers_and_warnings_degrade_until_a_clean_answer() {
        let mut s = SourceState::new("p".into(), "http://ops:hunter2@prom:9090".into());
        assert!(!s.url.contains("hunter2"), "{}", s.url);
        let t = DateTime::from_timestamp(0, 0).unwrap_or_default();
        s.record(t, Some(Duration::from_millis(3)), None);
        assert_eq!(s.health(), Health::Up);
        s.note_answer(1, false, &["store eu-1 slow".into()]);
        assert_eq!(
            (s.health(), s.caveat().as_deref()),
            (Health::Degraded, Some("warning: store eu-1 slow"))
        );
        s.note_answer(2, true, &[]);
        assert_eq!(s.caveat().as_deref(), Some("partial"));
        s.note_answer(1, false, &[]);
        s.note_answer(2, false, &[]);
        assert_eq!((s.health(), s.caveat()), (Health::Up, None));
    }
}
