//! What one poll of one query came to, as the pollers (and `warroom snapshot`, and the pinned
//! demo) hand it to the update loop.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::client::Fetched;
use super::plan::{FetchKind, Plan};
use super::types::{PromError, QueryData, QueryResponse};

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
    pub fn of(
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

/// The answer of a poll that sent no request ([`FetchKind::Unchanged`]).
pub(super) fn nothing_new() -> Fetched {
    Fetched {
        response: QueryResponse {
            data: QueryData::Matrix(Vec::new()),
            warnings: Vec::new(),
            partial: false,
        },
        rtt: Duration::ZERO,
        bytes: 0,
    }
}
