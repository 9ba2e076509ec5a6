//! The pace every poller keeps, whatever it asks: a query's source, Prometheus's own alerts,
//! Alertmanager's silences, the team's announcements. Polls fall at the process's random phase
//! of each interval (one wake-up per interval for a whole dashboard), back off with jitter on
//! errors, never overlap the next poll, and hand their results to the loop through an
//! [`Outbox`] that wraps them in whatever message type the loop reads.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

/// Where a poller's results go: a channel of the loop's messages, and how a result becomes one.
/// Pollers never name the loop's message type, so they are tested with a channel of their own.
pub struct Outbox<T, M> {
    tx: mpsc::Sender<M>,
    wrap: fn(T) -> M,
}

impl<T, M> Outbox<T, M> {
    /// Results sent to `tx`, each wrapped by `wrap`.
    pub fn new(tx: mpsc::Sender<M>, wrap: fn(T) -> M) -> Self {
        Self { tx, wrap }
    }

    /// Sends one result; false when the loop is gone.
    pub async fn send(&self, result: T) -> bool {
        self.tx.send((self.wrap)(result)).await.is_ok()
    }
}

impl<T, M> Clone for Outbox<T, M> {
    fn clone(&self) -> Self {
        Self { tx: self.tx.clone(), wrap: self.wrap }
    }
}

/// Longest wait between attempts while backing off.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A deadline below the interval, so a slow answer never overlaps the next poll.
pub fn deadline(interval: Duration) -> Duration {
    interval.mul_f64(0.8).max(Duration::from_millis(500))
}

/// This process's phase within every interval, a fraction drawn at random when it starts.
static PHASE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// Time to this process's next poll slot of `interval`: slots fall at the same random phase of
/// every interval (on the wall clock), so all pollers of one interval wake the process together,
/// once, while dashboards started together still poll at moments of their own.
pub fn next_slot(interval: Duration) -> Duration {
    let phase = *PHASE.get_or_init(fastrand::f64);
    slot_after(interval, phase, Utc::now().timestamp_micros())
}

/// Where in a second slots fall: late enough that most answers arrive just before the next
/// clock beat (which draws them), early enough to leave a slow server some time.
const SLOT_WINDOW_US: (i64, i64) = (700_000, 900_000);

/// Where the slots of an interval of `i` microseconds fall, for `phase` in `[0, 1)`: in a
/// random whole second of the interval, inside [`SLOT_WINDOW_US`]; intervals under a second
/// spread over the whole interval.
fn slot_offset(i: i64, phase: f64) -> i64 {
    let phase = phase.clamp(0.0, 1.0);
    if i < 1_000_000 {
        return (phase * i as f64) as i64;
    }
    let seconds = i / 1_000_000;
    let spread = phase * seconds as f64;
    let second = (spread as i64).min(seconds - 1);
    let (from, to) = SLOT_WINDOW_US;
    (second * 1_000_000 + from + ((spread - second as f64) * (to - from) as f64) as i64) % i
}

/// The wait from `now_us` (Unix microseconds) to the next slot of `interval` at `phase`.
fn slot_after(interval: Duration, phase: f64, now_us: i64) -> Duration {
    let i = (interval.as_micros() as i64).max(1);
    let into = (now_us - slot_offset(i, phase)).rem_euclid(i);
    Duration::from_micros((i - into) as u64)
}

/// Exponential backoff with full jitter on retryable errors; errors a retry cannot fix (bad
/// query) wait four intervals before the next attempt.
pub fn backoff(interval: Duration, failures: u32, retryable: bool) -> Duration {
    if !retryable {
        return (interval * 4).min(MAX_BACKOFF);
    }
    let exp = interval.saturating_mul(1u32 << failures.min(6)).min(MAX_BACKOFF);
    let low = interval.min(exp);
    low + (exp - low).mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fall_at_the_phase_of_every_interval() {
        let s = Duration::from_secs(1);
        // Phase 0.5 of 1 s: slots at .800 of every second, half-way through the window.
        assert_eq!(slot_after(s, 0.5, 10_000_000), Duration::from_millis(800));
        assert_eq!(slot_after(s, 0.5, 10_900_000), Duration::from_millis(900));
        // On a slot: the next one, a whole interval on.
        assert_eq!(slot_after(s, 0.5, 10_800_000), s);
        assert_eq!(slot_after(s, 0.5, 10_800_001), Duration::from_micros(999_999));
        // Every phase lands inside the window of some second.
        for p in 0..100 {
            let at = 1_000_000_000 + slot_after(s, p as f64 / 100.0, 1_000_000_000).as_micros();
            assert!((700_000..=900_000).contains(&(at % 1_000_000)), "phase {p}: {at}");
        }
        // 5 s intervals: a random second of the five, inside its window.
        let five = Duration::from_secs(5);
        assert_eq!(slot_after(five, 0.5, 1_000_000_000), Duration::from_millis(2_800));
        assert_eq!(slot_after(five, 0.0, 1_000_000_001), Duration::from_micros(699_999));
        // Under a second: spread over the interval.
        let half = Duration::from_millis(500);
        assert_eq!(slot_after(half, 0.5, 1_000_000_000), Duration::from_millis(250));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let i = Duration::from_secs(5);
        for n in 1..20 {
            let d = backoff(i, n, true);
            assert!(d >= i && d <= MAX_BACKOFF, "{n}: {d:?}");
        }
        assert_eq!(backoff(i, 1, false), Duration::from_secs(20));
    }
}
