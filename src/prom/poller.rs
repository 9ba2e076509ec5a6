//! Poller tasks: one per distinct range query, one per source and interval for the instant
//! queries asked together. Each polls on its interval at the process's random phase (so one
//! dashboard's pollers wake it once per interval, and many dashboards spread), keeps at most
//! one request in flight, backs off on errors, respects its source's concurrency cap, fetches
//! range queries incrementally, and sends owned results tagged with the window generation it
//! used — it never touches the model.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

use super::client::{Client, Fetched};
pub use super::plan::{plan, FetchKind, Held, Plan, QuerySpec};
use super::types::PromError;
use crate::model::Window;

/// One poll's outcome, as sent to the update loop.
#[derive(Debug, Clone)]
pub struct PollResult {
    pub query: usize,
    pub generation: u64,
    pub kind: FetchKind,
    /// When the request was sent (wall clock).
    pub at: DateTime<Utc>,
    /// Window the result covers (range queries): `[start, end]` in Unix seconds, and the step.
    pub start: f64,
    pub end: f64,
    pub step: Duration,
    pub outcome: Result<Fetched, PromError>,
}

impl PollResult {
    /// The result of carrying out `plan` for query `query` of window `generation`.
    pub(super) fn of(
        query: usize,
        generation: u64,
        plan: &Plan,
        outcome: Result<Fetched, PromError>,
    ) -> Self {
        PollResult {
            query,
            generation,
            kind: plan.kind,
            at: plan.at,
            start: plan.start,
            end: plan.end,
            step: plan.step,
            outcome,
        }
    }
}

/// Handles of running pollers; dropping or calling [`Pollers::stop`] aborts them all.
#[derive(Default)]
pub struct Pollers {
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    /// Starts the pollers: one task per range query, and per source and interval one task for
    /// the instant queries that may be combined (or one per query when they may not).
    /// `clients[i]` serves source `i`; `caps[i]` is its concurrency cap.
    pub fn start<M: Send + 'static>(
        queries: Vec<QuerySpec>,
        clients: &[Client],
        caps: &[Arc<Semaphore>],
        window: watch::Receiver<Window>,
        tx: mpsc::Sender<M>,
        wrap: fn(PollResult) -> M,
    ) -> Self {
        let shared: Vec<Shared<M>> = clients
            .iter()
            .zip(caps)
            .map(|(client, cap)| Shared {
                client: client.clone(),
                cap: cap.clone(),
                window: window.clone(),
                tx: tx.clone(),
                wrap,
            })
            .collect();
        let mut groups: BTreeMap<(usize, Duration), Vec<QuerySpec>> = BTreeMap::new();
        let mut alone = Vec::new();
        for q in queries {
            if q.combine && !q.range {
                groups.entry((q.source, q.interval)).or_default().push(q);
            } else {
                alone.push(q);
            }
        }
        let mut tasks = Vec::new();
        for members in groups.into_values() {
            if members.len() < 2 {
                alone.extend(members);
            } else if let Some(ctx) = shared.get(members[0].source) {
                tasks.push(tokio::spawn(super::batch_job::run(members, ctx.clone())));
            }
        }
        for q in alone {
            if let Some(ctx) = shared.get(q.source) {
                tasks.push(spawn_one(q, ctx.clone()));
            }
        }
        Self { tasks }
    }

    /// Aborts every poller.
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Pollers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What every poller of one source shares.
pub(super) struct Shared<M> {
    pub client: Client,
    pub cap: Arc<Semaphore>,
    pub window: watch::Receiver<Window>,
    pub tx: mpsc::Sender<M>,
    pub wrap: fn(PollResult) -> M,
}

impl<M> Clone for Shared<M> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            cap: self.cap.clone(),
            window: self.window.clone(),
            tx: self.tx.clone(),
            wrap: self.wrap,
        }
    }
}

impl<M> Shared<M> {
    /// Sends one result; false when the dashboard is gone.
    pub async fn send(&self, result: PollResult) -> bool {
        self.tx.send((self.wrap)(result)).await.is_ok()
    }

    /// Sleeps for `delay`, or less when the window changes; false when the dashboard is gone.
    pub async fn sleep(&mut self, delay: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            changed = self.window.changed() => changed.is_ok(),
        }
    }

    /// One request under the source's concurrency cap: an instant query, or the range `plan`.
    pub async fn fetch(
        &self,
        client: &Client,
        expr: &str,
        plan: Option<&Plan>,
    ) -> Result<Fetched, PromError> {
        let Ok(_permit) = self.cap.acquire().await else {
            return Err(PromError::Network("shutting down".into()));
        };
        let outcome = match plan {
            None => client.query(expr, None).await,
            Some(p) => client.query_range(expr, p.start, p.end, p.step).await,
        };
        client.contact().record(match &outcome {
            Ok(_) => true,
            Err(e) => matches!(e, PromError::Api { status, .. } if *status < 500),
        });
        outcome
    }
}

/// Starts the poller of one query, alone.
pub(super) fn spawn_one<M: Send + 'static>(q: QuerySpec, ctx: Shared<M>) -> JoinHandle<()> {
    tokio::spawn(Job { q, ctx }.run())
}

/// A deadline below the interval, so a slow answer never overlaps the next poll.
pub(super) fn deadline(interval: Duration) -> Duration {
    interval.mul_f64(0.8).max(Duration::from_millis(500))
}

/// The answer of a poll that sent no request ([`FetchKind::Unchanged`]).
fn nothing_new() -> Fetched {
    Fetched {
        response: super::types::QueryResponse {
            data: super::types::QueryData::Matrix(Vec::new()),
            warnings: Vec::new(),
            partial: false,
        },
        rtt: Duration::ZERO,
        bytes: 0,
    }
}

struct Job<M> {
    q: QuerySpec,
    ctx: Shared<M>,
}

/// Longest wait between attempts while backing off.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl<M: Send + 'static> Job<M> {
    async fn run(mut self) {
        let client = self.ctx.client.with_timeout(deadline(self.q.interval));
        let overlap = client.overlap();
        let mut held: Option<Held> = None; // what the last good range fetch left in the model
        let mut failures: u32 = 0;
        loop {
            let window = *self.ctx.window.borrow_and_update();
            let last = if self.q.incremental { held } else { None };
            let mut plan = plan(&self.q, &window, last, Utc::now());
            // Skip the request only while the data held is good and the source answered
            // within the interval with no failure since: else this poll doubles as the check
            // that it still does. A skipped poll vouches for the data only as of that answer,
            // so a frozen server's panels still turn stale two intervals after it froze.
            let vouched = client.contact().answered_within(self.q.interval);
            if failures > 0 || vouched.is_none() {
                plan = plan.fetch_anyway();
            }
            let outcome = match plan.kind {
                FetchKind::Unchanged => Ok(nothing_new()),
                FetchKind::Instant => self.ctx.fetch(&client, &self.q.expr, None).await,
                _ => self.ctx.fetch(&client, &self.q.expr, Some(&plan)).await,
            };
            let ok = outcome.is_ok();
            let delay = match &outcome {
                Ok(_) => {
                    if failures > 0 {
                        tracing::info!(
                            source = client.name(),
                            query = self.q.id,
                            "query answers again"
                        );
                    }
                    failures = 0;
                    if matches!(plan.kind, FetchKind::Full | FetchKind::Incremental) {
                        held = Some(plan.held(window.generation, overlap));
                    }
                    next_slot(self.q.interval)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    log_failure(client.name(), self.q.id, e, failures);
                    backoff(self.q.interval, failures, e.is_retryable())
                }
            };
            let mut result = PollResult::of(self.q.id, window.generation, &plan, outcome);
            if plan.kind == FetchKind::Unchanged {
                result.at = vouched.unwrap_or(plan.at);
            }
            if !self.ctx.send(result).await {
                return; // the dashboard is gone
            }
            if !ok && held.is_some_and(|h| h.generation != window.generation) {
                held = None;
            }
            // Sleep until the next poll, but wake at once when the window changes.
            if !self.ctx.sleep(delay).await {
                return;
            }
        }
    }
}

/// Logs the first failure of a run as a warning, the rest quietly.
pub(super) fn log_failure(source: &str, query: usize, e: &PromError, failures: u32) {
    if failures == 1 {
        tracing::warn!(source, query, error = %e, "query failed");
    } else {
        tracing::debug!(source, query, error = %e, failures, "query still failing");
    }
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
