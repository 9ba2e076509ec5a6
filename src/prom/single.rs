//! The poller of one query, asked alone: a range query (fetched incrementally when it may be),
//! or an instant query that is not combined with others of its source.

use chrono::Utc;
use tokio::task::JoinHandle;

use super::plan::{plan, FetchKind, Held, QuerySpec};
use super::result::{nothing_new, PollResult};
use super::shared::Shared;
use super::types::PromError;
use crate::poll::{backoff, deadline, next_slot};

/// Starts the poller of one query, alone.
pub(super) fn spawn_one<M: Send + 'static>(q: QuerySpec, ctx: Shared<M>) -> JoinHandle<()> {
    tokio::spawn(Job { q, ctx }.run())
}

struct Job<M> {
    q: QuerySpec,
    ctx: Shared<M>,
}

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
