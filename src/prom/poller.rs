//! Poller tasks: one per distinct range query, one per source and interval for the instant
//! queries asked together. Each polls on its interval at the process's random phase (so one
//! dashboard's pollers wake it once per interval, and many dashboards spread), keeps at most
//! one request in flight, backs off on errors, respects its source's concurrency cap, fetches
//! range queries incrementally, and sends owned results tagged with the window generation it
//! used — it never touches the model.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

use super::client::Client;
pub use super::plan::{plan, FetchKind, Held, Plan, QuerySpec};
pub use super::result::PollResult;
use super::shared::Shared;
use super::single::spawn_one;
use crate::model::Window;
use crate::poll::Outbox;

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
                out: Outbox::new(tx.clone(), wrap),
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
