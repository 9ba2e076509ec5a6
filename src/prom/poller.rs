//! Poller tasks: one per distinct query. Each polls on its interval with jitter, keeps at most
//! one request in flight, backs off on errors, respects its source's concurrency cap, fetches
//! range queries incrementally, and sends owned results tagged with the window generation it
//! used — it never touches the model.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

use super::client::{Client, Fetched};
pub use super::plan::{plan, FetchKind, Held, Plan, Window};
use super::types::PromError;

/// What one poller fetches.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    /// Index of the query in the model's query table.
    pub id: usize,
    /// Index of the source.
    pub source: usize,
    pub expr: String,
    /// Range query (history for charts) or instant query (latest values only).
    pub range: bool,
    pub interval: Duration,
    /// After the first full window, fetch only new steps (off: re-fetch the whole window).
    pub incremental: bool,
}

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

/// Handles of running pollers; dropping or calling [`Pollers::stop`] aborts them all.
#[derive(Default)]
pub struct Pollers {
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    /// Starts one task per query. `clients[i]` serves source `i`; `caps[i]` is its concurrency cap.
    pub fn start<M: Send + 'static>(
        queries: Vec<QuerySpec>,
        clients: &[Client],
        caps: &[Arc<Semaphore>],
        window: watch::Receiver<Window>,
        tx: mpsc::Sender<M>,
        wrap: fn(PollResult) -> M,
    ) -> Self {
        let contacts: Vec<Arc<Contact>> = clients.iter().map(|_| Arc::default()).collect();
        let tasks = queries
            .into_iter()
            .filter_map(|q| {
                let client = clients.get(q.source)?.clone();
                let cap = caps.get(q.source)?.clone();
                let contact = contacts.get(q.source)?.clone();
                let window = window.clone();
                let job = Job { q, client, cap, contact, window, tx: tx.clone(), wrap };
                Some(tokio::spawn(job.run()))
            })
            .collect();
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

/// When a source last answered any poller, and when a request to it last failed (Unix
/// milliseconds; 0: never).
#[derive(Debug, Default)]
struct Contact {
    answered: AtomicI64,
    failed: AtomicI64,
}

impl Contact {
    fn record(&self, answered: bool) {
        let now = Utc::now().timestamp_millis();
        let slot = if answered { &self.answered } else { &self.failed };
        slot.store(now, Ordering::Relaxed);
    }

    /// Whether the source answered within `within` and nothing failed since.
    fn recent(&self, within: Duration) -> bool {
        let answered = self.answered.load(Ordering::Relaxed);
        let age = Utc::now().timestamp_millis() - answered;
        answered > 0
            && self.failed.load(Ordering::Relaxed) < answered
            && age >= 0
            && (age as u128) <= within.as_millis()
    }
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
    client: Client,
    cap: Arc<Semaphore>,
    contact: Arc<Contact>,
    window: watch::Receiver<Window>,
    tx: mpsc::Sender<M>,
    wrap: fn(PollResult) -> M,
}

/// Longest wait between attempts while backing off.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl<M: Send + 'static> Job<M> {
    async fn run(mut self) {
        // Deadline below the interval so a slow answer never overlaps the next poll.
        let deadline = self.q.interval.mul_f64(0.8).max(Duration::from_millis(500));
        let client = self.client.with_timeout(deadline);
        let overlap = client.overlap();
        let mut held: Option<Held> = None; // what the last good range fetch left in the model
        let mut failures: u32 = 0;
        loop {
            let window = *self.window.borrow_and_update();
            let last = if self.q.incremental { held } else { None };
            let mut plan = plan(&self.q, &window, last, Utc::now());
            // Skip the request only while the data held is good and the source answered a
            // moment ago: else this poll doubles as the check that it still does. A quarter of
            // the interval keeps a frozen server's panels turning stale within two intervals.
            if failures > 0 || !self.contact.recent(self.q.interval / 4) {
                plan = plan.fetch_anyway();
            }
            let outcome = match plan.kind {
                FetchKind::Unchanged => Ok(nothing_new()),
                FetchKind::Instant => self.fetch(&client, None).await,
                _ => self.fetch(&client, Some(&plan)).await,
            };
            let answered = match &outcome {
                Ok(_) => plan.kind != FetchKind::Unchanged,
                Err(e) => matches!(e, PromError::Api { status, .. } if *status < 500),
            };
            if plan.kind != FetchKind::Unchanged {
                self.contact.record(answered);
            }
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
                    jitter(self.q.interval)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 {
                        tracing::warn!(source = client.name(), query = self.q.id, error = %e, "query failed");
                    } else {
                        tracing::debug!(source = client.name(), query = self.q.id, error = %e, failures, "query still failing");
                    }
                    backoff(self.q.interval, failures, e.is_retryable())
                }
            };
            let result = PollResult {
                query: self.q.id,
                generation: window.generation,
                kind: plan.kind,
                at: plan.at,
                start: plan.start,
                end: plan.end,
                step: plan.step,
                outcome,
            };
            if self.tx.send((self.wrap)(result)).await.is_err() {
                return; // the dashboard is gone
            }
            if !ok && held.is_some_and(|h| h.generation != window.generation) {
                held = None;
            }
            // Sleep until the next poll, but wake at once when the window changes.
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                changed = self.window.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn fetch(&self, client: &Client, plan: Option<&Plan>) -> Result<Fetched, PromError> {
        let Ok(_permit) = self.cap.acquire().await else {
            return Err(PromError::Network("shutting down".into()));
        };
        match plan {
            None => client.query(&self.q.expr, None).await,
            Some(p) => client.query_range(&self.q.expr, p.start, p.end, p.step).await,
        }
    }
}

/// The interval ± 10 %, so many dashboards started together don't poll in lockstep.
fn jitter(interval: Duration) -> Duration {
    interval.mul_f64(0.9 + fastrand::f64() * 0.2)
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
    fn backoff_grows_and_is_capped() {
        let i = Duration::from_secs(5);
        for n in 1..20 {
            let d = backoff(i, n, true);
            assert!(d >= i && d <= MAX_BACKOFF, "{n}: {d:?}");
        }
        assert_eq!(backoff(i, 1, false), Duration::from_secs(20));
    }
}
