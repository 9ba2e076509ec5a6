//! What every poller of one source shares: its client, its concurrency cap, the window to
//! fetch, and where results go.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};

use super::client::{Client, Fetched};
use super::plan::Plan;
use super::result::PollResult;
use super::types::PromError;
use crate::model::Window;
use crate::poll::Outbox;

/// What every poller of one source shares.
pub(super) struct Shared<M> {
    pub client: Client,
    pub cap: Arc<Semaphore>,
    pub window: watch::Receiver<Window>,
    pub out: Outbox<PollResult, M>,
}

impl<M> Clone for Shared<M> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            cap: self.cap.clone(),
            window: self.window.clone(),
            out: self.out.clone(),
        }
    }
}

impl<M> Shared<M> {
    /// Sends one result; false when the dashboard is gone.
    pub async fn send(&self, result: PollResult) -> bool {
        self.out.send(result).await
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
        fetch_capped(&self.cap, client, expr, plan).await
    }
}

/// One request under the concurrency cap `cap` of `client`'s source: an instant query, or the
/// range `plan`. The source's contact record learns whether it answered.
pub async fn fetch_capped(
    cap: &Semaphore,
    client: &Client,
    expr: &str,
    plan: Option<&Plan>,
) -> Result<Fetched, PromError> {
    let Ok(_permit) = cap.acquire().await else {
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
