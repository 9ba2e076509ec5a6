//! The poller of a source's instant queries of one interval, asked in one combined request
//! ([`super::batch`]). Each member still gets a result of its own every poll. When the combined
//! answer cannot stand for the members' own, they are asked alone that same poll; a member
//! whose own answer is an error, a warning or not a vector leaves for a poller of its own, and
//! when every member is fine alone the source is taken not to support combining at all.

use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use tokio::task::JoinHandle;

use super::batch::{self, Cause, Round};
use super::client::{Client, Fetched};
use super::plan::{plan, QuerySpec};
use super::result::PollResult;
use super::shared::Shared;
use super::single::{log_failure, spawn_one};
use super::types::PromError;
use crate::poll::{backoff, deadline, next_slot};

/// Pollers started for members that left; stopped when the combined poller is.
#[derive(Default)]
struct Departed(Vec<JoinHandle<()>>);

impl Drop for Departed {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// Polls `members` (instant queries of one source and interval, at least two) together until
/// fewer than two are left, then waits on the pollers of those that left.
pub(super) async fn run<M: Send + 'static>(mut members: Vec<QuerySpec>, mut ctx: Shared<M>) {
    let Some(interval) = members.first().map(|q| q.interval) else {
        return;
    };
    let client = ctx.client.with_timeout(deadline(interval));
    let mut departed = Departed::default();
    let mut failures: u32 = 0;
    let mut ask_alone: Option<Cause> = None;
    while members.len() >= 2 {
        let results = match ask_alone.take() {
            Some(cause) => Outcome::Alone(cause),
            None => together(&ctx, &client, &members).await,
        };
        let (answers, next) = match results {
            Outcome::Answers(a) => (a, Next::Stay),
            Outcome::Failed(e) => {
                failures = failures.saturating_add(1);
                log_failure(client.name(), members[0].id, &e, failures);
                if matches!(e, PromError::Timeout(_)) {
                    ask_alone = Some(Cause::Timeout);
                }
                let delay = backoff(interval, failures, e.is_retryable());
                (members.iter().map(|_| Err(e.clone())).collect(), Next::Wait(delay))
            }
            Outcome::Alone(cause) => {
                let answers = alone_now(&ctx, &client, &members).await;
                let refs: Vec<_> =
                    answers.iter().map(|a| a.as_ref().map(|f| &f.response)).collect();
                let round = Round::judge(cause, &refs);
                (answers, Next::Split(round))
            }
        };
        let window = *ctx.window.borrow_and_update();
        let at = Utc::now();
        let any_ok = answers.iter().any(|a| a.is_ok());
        for (q, outcome) in members.iter().zip(answers) {
            let result =
                PollResult::of(q.id, window.generation, &plan(q, &window, None, at), outcome);
            if !ctx.send(result).await {
                return; // the dashboard is gone
            }
        }
        let delay = match next {
            Next::Wait(delay) => delay,
            Next::Stay | Next::Split(_) if any_ok => {
                failures = 0;
                next_slot(interval)
            }
            Next::Stay | Next::Split(_) => {
                failures = failures.saturating_add(1);
                backoff(interval, failures, true)
            }
        };
        if let Next::Split(round) = next {
            let leaving: Vec<usize> = if round.give_up {
                tracing::warn!(
                    source = client.name(),
                    "the source refuses combined queries; asking each query alone"
                );
                (0..members.len()).collect()
            } else {
                round.leave
            };
            for i in leaving.into_iter().rev() {
                let q = members.remove(i);
                tracing::info!(source = client.name(), query = q.id, "query is asked alone");
                departed.0.push(spawn_one(q, ctx.clone()));
            }
        }
        if !ctx.sleep(delay).await {
            return;
        }
    }
    for q in members.drain(..) {
        departed.0.push(spawn_one(q, ctx.clone()));
    }
    let Departed(handles) = &mut departed;
    for h in handles.iter_mut() {
        let _ = h.await;
    }
}

/// What one poll of the combined request came to.
enum Outcome {
    /// One answer per member.
    Answers(Vec<Result<Fetched, PromError>>),
    /// The server is in trouble: every member gets this error.
    Failed(PromError),
    /// The members must be asked alone, now.
    Alone(Cause),
}

/// What follows a poll.
enum Next {
    Stay,
    Wait(Duration),
    Split(Round),
}

/// Asks the members in one request and splits the answer.
async fn together<M>(ctx: &Shared<M>, client: &Client, members: &[QuerySpec]) -> Outcome {
    let expr = batch::combined(members.iter().map(|q| q.expr.as_str()));
    match ctx.fetch(client, &expr, None).await {
        Ok(f) => match batch::split(f.response, members.len()) {
            Some(parts) => {
                let share = f.bytes / members.len();
                Outcome::Answers(
                    parts
                        .into_iter()
                        .map(|response| Ok(Fetched { response, rtt: f.rtt, bytes: share }))
                        .collect(),
                )
            }
            None => Outcome::Alone(Cause::Unusable),
        },
        Err(e) if batch::source_wide(&e) => Outcome::Failed(e),
        Err(_) => Outcome::Alone(Cause::Unusable),
    }
}

/// Asks every member alone, at once (within the source's concurrency cap).
async fn alone_now<M>(
    ctx: &Shared<M>,
    client: &Client,
    members: &[QuerySpec],
) -> Vec<Result<Fetched, PromError>> {
    join_all(members.iter().map(|q| ctx.fetch(client, &q.expr, None))).await
}
