//! What is known about one query: its series (ring buffers trimmed to the window), its health,
//! and how old its data is.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::prom::poller::{FetchKind, PollResult};
use crate::prom::{Labels, Point, QueryData};

/// One series of a query, points in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesBuf {
    pub labels: Labels,
    pub points: VecDeque<Point>,
}

impl SeriesBuf {
    /// The newest point.
    pub fn last(&self) -> Option<Point> {
        self.points.back().copied()
    }
}

/// The last failure of a query, kept beside the last good data.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    /// Short class: `bad_data`, `timeout`, `http 502`, `unreachable`…
    pub class: String,
    pub message: String,
    /// First failure of the current run of failures.
    pub since: DateTime<Utc>,
    /// Whether retrying can help (server trouble) or not (the query itself is wrong).
    pub retryable: bool,
}

/// The state shown on a panel, in order of badness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStatus {
    /// Nothing fetched yet.
    Loading,
    /// Fresh data.
    Ok,
    /// Fresh data, but the server warned or answered partially.
    Degraded,
    /// Fresh answer without any series.
    NoData,
    /// Last good data is older than two intervals.
    Stale,
    /// The last fetch failed (last good data, if any, is still shown, marked stale).
    Error,
}

/// Everything about one distinct query (shared by every panel that shows it).
#[derive(Debug, Clone)]
pub struct QueryState {
    pub expr: String,
    pub source: usize,
    pub interval: Duration,
    /// Range query (history) or instant query (latest only).
    pub range: bool,
    pub series: Vec<SeriesBuf>,
    /// When the last good answer was requested.
    pub last_ok: Option<DateTime<Utc>>,
    pub error: Option<QueryError>,
    pub warnings: Vec<String>,
    pub partial: bool,
    /// Whether the last good answer held no series.
    pub empty: bool,
    /// Step of the held range data.
    pub step: Duration,
    /// Bytes received for this query, over its life.
    pub bytes: u64,
    pub requests: u64,
}

impl QueryState {
    pub fn new(expr: String, source: usize, interval: Duration, range: bool) -> Self {
        Self {
            expr,
            source,
            interval,
            range,
            series: Vec::new(),
            last_ok: None,
            error: None,
            warnings: Vec::new(),
            partial: false,
            empty: false,
            step: interval,
            bytes: 0,
            requests: 0,
        }
    }

    /// Takes in one poll result. `window_start` is the oldest time still shown; older points are
    /// dropped. Returns true when anything visible changed: the data, its status (loading,
    /// error, stale, no data, partial) or its warnings. An answer that only repeats what is held
    /// (the last step fetched again, an unchanged instant value) changes nothing on screen, and
    /// the clock tick redraws the chart's moving time axis anyway.
    pub fn apply(&mut self, r: PollResult, window_start: f64) -> bool {
        self.requests += 1;
        match r.outcome {
            Err(e) => {
                let (class, message, retryable) = (e.class(), e.to_string(), e.is_retryable());
                let since = match &self.error {
                    Some(prev) if prev.class == class => prev.since,
                    _ => r.at,
                };
                let changed = self.error.as_ref().is_none_or(|p| p.message != message);
                self.error = Some(QueryError { class, message, since, retryable });
                changed
            }
            Ok(fetched) => {
                // Loading, error or stale until now: the status badge changes.
                let was_fresh = self.error.is_none()
                    && self.age(r.at).is_some_and(|age| age <= self.stale_after());
                let caveats_same = self.warnings == fetched.response.warnings
                    && self.partial == fetched.response.partial;
                self.bytes += fetched.bytes as u64;
                self.error = None;
                self.last_ok = Some(r.at);
                self.warnings = fetched.response.warnings;
                self.partial = fetched.response.partial;
                self.step = r.step;
                let data = fetched.response.data;
                let was_empty = std::mem::replace(&mut self.empty, data.is_empty());
                let data_changed = match r.kind {
                    FetchKind::Instant => {
                        let old = std::mem::take(&mut self.series);
                        self.replace_latest(data);
                        self.trim(window_start);
                        !same_latest(&old, &self.series)
                    }
                    FetchKind::Full => {
                        let old = std::mem::take(&mut self.series);
                        self.replace_all(data);
                        self.trim(window_start);
                        old != self.series
                    }
                    FetchKind::Incremental => {
                        let merged = self.merge(data, r.start);
                        self.trim(window_start) || merged
                    }
                };
                !was_fresh || !caveats_same || was_empty != self.empty || data_changed
            }
        }
    }

    fn replace_latest(&mut self, data: QueryData) {
        self.series = data
            .latest()
            .into_iter()
            .map(|s| SeriesBuf { labels: s.labels, points: VecDeque::from([s.point]) })
            .collect();
    }

    fn replace_all(&mut self, data: QueryData) {
        self.series = match data {
            QueryData::Matrix(m) => m
                .into_iter()
                .map(|s| SeriesBuf { labels: s.labels, points: s.points.into() })
                .collect(),
            other => {
                self.replace_latest(other);
                return;
            }
        };
    }

    /// Replaces held points at or after `from` with the new ones, series by series; series that
    /// are new are added, series absent from the answer keep their history (and age out).
    /// Returns whether any held point or series changed.
    fn merge(&mut self, data: QueryData, from: f64) -> bool {
        let QueryData::Matrix(m) = data else {
            let old = std::mem::take(&mut self.series);
            self.replace_latest(data);
            return !same_latest(&old, &self.series);
        };
        let mut changed = false;
        for s in m {
            match self.series.iter_mut().find(|b| b.labels == s.labels) {
                Some(buf) => {
                    let held = buf.points.iter().rev().take_while(|p| p.t >= from).count();
                    let tail = buf.points.range(buf.points.len() - held..);
                    if held == s.points.len() && tail.eq(s.points.iter()) {
                        continue; // the same steps again
                    }
                    buf.points.truncate(buf.points.len() - held);
                    buf.points.extend(s.points);
                    changed = true;
                }
                None => {
                    self.series.push(SeriesBuf { labels: s.labels, points: s.points.into() });
                    changed = true;
                }
            }
        }
        changed
    }

    /// Drops points older than `window_start`, and series left without points. Returns whether
    /// anything was dropped.
    fn trim(&mut self, window_start: f64) -> bool {
        let mut dropped = false;
        for s in &mut self.series {
            while s.points.front().is_some_and(|p| p.t < window_start) {
                s.points.pop_front();
                dropped = true;
            }
        }
        let before = self.series.len();
        self.series.retain(|s| !s.points.is_empty());
        dropped || self.series.len() != before
    }

    /// How old good data may get before the panel shows it as stale.
    fn stale_after(&self) -> Duration {
        self.interval * 2 + Duration::from_secs(1)
    }

    /// Age of the newest good data at `now`.
    pub fn age(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.last_ok.map(|t| (now - t).to_std().unwrap_or_default())
    }

    /// The status a panel shows at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> DataStatus {
        if self.error.is_some() {
            return DataStatus::Error;
        }
        match self.age(now) {
            None => DataStatus::Loading,
            Some(age) if age > self.stale_after() => DataStatus::Stale,
            Some(_) if self.empty => DataStatus::NoData,
            Some(_) if self.partial || !self.warnings.is_empty() => DataStatus::Degraded,
            Some(_) => DataStatus::Ok,
        }
    }

    /// Latest value per series, for alert rules, stat, gauge, table and bar panels.
    pub fn latest(&self) -> Vec<crate::prom::Sample> {
        self.series
            .iter()
            .filter_map(|s| {
                s.last().map(|p| crate::prom::Sample { labels: s.labels.clone(), point: p })
            })
            .collect()
    }
}

/// Whether two instant answers show the same: the same series with the same values (the
/// evaluation time of an instant answer is not shown).
fn same_latest(a: &[SeriesBuf], b: &[SeriesBuf]) -> bool {
    let same_values = |x: &SeriesBuf, y: &SeriesBuf| {
        x.points.len() == y.points.len()
            && x.points.iter().zip(&y.points).all(|(p, q)| p.v.to_bits() == q.v.to_bits())
    };
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.labels == y.labels && same_values(x, y))
}
