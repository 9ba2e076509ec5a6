//! Poller tasks: one per distinct query. Each polls on its interval with jitter, keeps at most
//! one request in flight, backs off on errors, respects its source's concurrency cap, fetches
//! range queries incrementally, and sends owned results tagged with the window generation it
//! used — it never touches the model.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

use super::client::{Client, Fetched};
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
}

/// The time window charts show; changed by zoom and pan. Every change bumps `generation`, and
/// pollers then re-fetch the whole window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub range: Duration,
    /// How far the window's end lies before now (panning into the past).
    pub offset: Duration,
    /// Most points a chart can show (its width in braille dots).
    pub max_points: u32,
    pub generation: u64,
}

impl Window {
    /// The step for a query polled every `interval`: at least the interval, and coarse enough that
    /// the window holds at most `max_points` points; rounded to a "nice" value.
    pub fn step(&self, interval: Duration) -> Duration {
        let by_width = self.range.as_secs_f64() / f64::from(self.max_points.max(10));
        let raw = by_width.max(interval.as_secs_f64()).max(1.0);
        let nice = [
            1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
        ];
        Duration::from_secs_f64(
            nice.iter()
                .copied()
                .find(|n| *n >= raw)
                .unwrap_or(raw.ceil()),
        )
    }
}

/// How a result relates to what the model already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchKind {
    /// Latest values only.
    Instant,
    /// The whole window: replace what is held.
    Full,
    /// Points from `start` on: replace held points at or after it, then append.
    Incremental,
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
        let tasks = queries
            .into_iter()
            .filter_map(|q| {
                let client = clients.get(q.source)?.clone();
                let cap = caps.get(q.source)?.clone();
                let job = Job {
                    q,
                    client,
                    cap,
                    window: window.clone(),
                    tx: tx.clone(),
                    wrap,
                };
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

struct Job<M> {
    q: QuerySpec,
    client: Client,
    cap: Arc<Semaphore>,
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
        let mut last_end: Option<(u64, f64)> = None; // (generation, end) of the last good range fetch
        let mut failures: u32 = 0;
        loop {
            let window = *self.window.borrow_and_update();
            let plan = plan(&self.q, &window, last_end, Utc::now());
            let outcome = match plan.kind {
                FetchKind::Instant => self.fetch(&client, None).await,
                _ => self.fetch(&client, Some(&plan)).await,
            };
            let ok = outcome.is_ok();
            let delay = match &outcome {
                Ok(_) => {
                    failures = 0;
                    if plan.kind != FetchKind::Instant {
                        last_end = Some((window.generation, plan.end));
                    }
                    jitter(self.q.interval)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
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
            if !ok && last_end.is_some_and(|(g, _)| g != window.generation) {
                last_end = None;
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
            Some(p) => {
                client
                    .query_range(&self.q.expr, p.start, p.end, p.step)
                    .await
            }
        }
    }
}

/// What the next request asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub kind: FetchKind,
    pub at: DateTime<Utc>,
    pub start: f64,
    pub end: f64,
    pub step: Duration,
}

/// Decides between an instant, a full and an incremental fetch. Range windows end on a step
/// boundary so consecutive fetches line up; an incremental fetch starts at the last step already
/// held (re-fetching it, as it may have been computed before all scrapes arrived).
pub fn plan(q: &QuerySpec, w: &Window, last: Option<(u64, f64)>, now: DateTime<Utc>) -> Plan {
    let step = w.step(q.interval);
    let now_s = now.timestamp_millis() as f64 / 1000.0 - w.offset.as_secs_f64();
    let step_s = step.as_secs_f64();
    let end = (now_s / step_s).floor() * step_s;
    let full_start = end - (w.range.as_secs_f64() / step_s).floor() * step_s;
    if !q.range {
        return Plan {
            kind: FetchKind::Instant,
            at: now,
            start: now_s,
            end: now_s,
            step,
        };
    }
    match last {
        Some((g, last_end))
            if g == w.generation
                && w.offset.is_zero()
                && last_end > full_start
                && last_end <= end =>
        {
            Plan {
                kind: FetchKind::Incremental,
                at: now,
                start: last_end,
                end,
                step,
            }
        }
        _ => Plan {
            kind: FetchKind::Full,
            at: now,
            start: full_start,
            end,
            step,
        },
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
    let exp = interval
        .saturating_mul(1u32 << failures.min(6))
        .min(MAX_BACKOFF);
    let low = interval.min(exp);
    low + (exp - low).mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(range: bool) -> QuerySpec {
        QuerySpec {
            id: 0,
            source: 0,
            expr: "up".into(),
            range,
            interval: Duration::from_secs(5),
        }
    }

    fn w() -> Window {
        Window {
            range: Duration::from_secs(900),
            offset: Duration::ZERO,
            max_points: 150,
            generation: 1,
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    #[test]
    fn step_fits_width_and_interval() {
        assert_eq!(w().step(Duration::from_secs(5)), Duration::from_secs(10));
        assert_eq!(w().step(Duration::from_secs(1)), Duration::from_secs(10));
        let wide = Window {
            max_points: 1000,
            ..w()
        };
        assert_eq!(wide.step(Duration::from_secs(1)), Duration::from_secs(1));
        assert_eq!(wide.step(Duration::from_secs(5)), Duration::from_secs(5));
    }

    #[test]
    fn first_fetch_is_full_and_aligned() {
        let p = plan(&q(true), &w(), None, at(1_000_003));
        assert_eq!(p.kind, FetchKind::Full);
        assert_eq!(p.end, 1_000_000.0);
        assert_eq!(p.start, 1_000_000.0 - 900.0);
    }

    #[test]
    fn later_fetches_are_incremental_until_window_changes() {
        let p = plan(&q(true), &w(), Some((1, 1_000_000.0)), at(1_000_012));
        assert_eq!(p.kind, FetchKind::Incremental);
        assert_eq!((p.start, p.end), (1_000_000.0, 1_000_010.0));
        let zoomed = Window {
            generation: 2,
            ..w()
        };
        assert_eq!(
            plan(&q(true), &zoomed, Some((1, 1_000_000.0)), at(1_000_012)).kind,
            FetchKind::Full
        );
        // A gap longer than the window: full again.
        assert_eq!(
            plan(&q(true), &w(), Some((1, 1_000_000.0)), at(1_002_000)).kind,
            FetchKind::Full
        );
    }

    #[test]
    fn instant_queries_stay_instant() {
        assert_eq!(plan(&q(false), &w(), None, at(5)).kind, FetchKind::Instant);
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
