//! When a source last answered and when a request to it last failed: shared by every clone of
//! its [`Client`](super::Client), so the query pollers and the pager's alert poller of one
//! source see the same evidence (a poller backing off learns at once that the source is back).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Unix milliseconds of the last answer and of the last failure (0: never).
#[derive(Debug, Default)]
pub struct Contact {
    answered: AtomicI64,
    failed: AtomicI64,
}

impl Contact {
    /// Records one request's outcome: answered (the server spoke), or failed.
    pub fn record(&self, answered: bool) {
        self.record_at(answered, Utc::now().timestamp_millis());
    }

    fn record_at(&self, answered: bool, now_ms: i64) {
        let slot = if answered { &self.answered } else { &self.failed };
        slot.fetch_max(now_ms, Ordering::Relaxed);
    }

    /// When the source last answered, if that was within `within` and nothing failed since.
    pub fn answered_within(&self, within: Duration) -> Option<DateTime<Utc>> {
        self.answered_within_at(within, Utc::now().timestamp_millis())
    }

    fn answered_within_at(&self, within: Duration, now_ms: i64) -> Option<DateTime<Utc>> {
        let answered = self.answered.load(Ordering::Relaxed);
        let age = now_ms - answered;
        let fresh = answered > 0
            && self.failed.load(Ordering::Relaxed) < answered
            && age >= 0
            && (age as u128) <= within.as_millis();
        fresh.then(|| DateTime::from_timestamp_millis(answered)).flatten()
    }

    /// Whether the source answered any request after `since` (Unix milliseconds).
    pub fn answered_after(&self, since_ms: i64) -> bool {
        self.answered.load(Ordering::Relaxed) > since_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_vouches_only_while_recent_and_unbroken() {
        let c = Contact::default();
        assert_eq!(c.answered_within_at(Duration::from_secs(1), 10_000), None, "never answered");
        c.record_at(true, 10_000);
        assert!(c.answered_within_at(Duration::from_secs(1), 10_500).is_some());
        assert!(c.answered_within_at(Duration::from_secs(1), 11_001).is_none(), "too old");
        c.record_at(false, 10_600);
        assert!(c.answered_within_at(Duration::from_secs(1), 10_700).is_none(), "failed since");
    }

    #[test]
    fn answered_after_tells_a_poller_the_source_is_back() {
        let c = Contact::default();
        assert!(!c.answered_after(0));
        c.record_at(false, 5_000);
        assert!(!c.answered_after(5_000));
        c.record_at(true, 6_000);
        assert!(c.answered_after(5_000));
        // An older answer arriving late never moves the record back.
        c.record_at(true, 4_000);
        assert!(c.answered_after(5_999));
    }
}
