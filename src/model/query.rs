//! What is known about one query: its series (ring buffers trimmed to the window), its health,
//! and how old its data is.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::prom::{FetchKind, PollResult};
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

/// Whether two runs of points are the same, bit for bit (so NaN equals NaN).
fn same_points<'a>(
    a: impl ExactSizeIterator<Item = &'a Point>,
    b: impl ExactSizeIterator<Item = &'a Point>,
) -> bool {
    a.len() == b.len()
        && a.zip(b).all(|(x, y)| x.t.to_bits() == y.t.to_bits() && x.v.to_bits() == y.v.to_bits())
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

/// The state shown on a panel, in order of badness (the order compares by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// For a range query: the instant query of the same expression, polled on the same
    /// interval, whose answer is the live value (never the viewed window's).
    pub live: Option<usize>,
    pub series: Vec<SeriesBuf>,
    /// Whether the series of its answers are held: false for a query only alert rules read
    /// (they evaluate the answer itself), so a storm's series are not kept twice.
    pub holds_series: bool,
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
            live: None,
            series: Vec::new(),
            holds_series: true,
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
    /// dropped. Returns true when anything visible changed: an answer that repeats what is held
    /// (same points, same warnings, still fresh) asks for no redraw, so an idle dashboard sends
    /// nothing over a slow link.
    pub fn apply(&mut self, r: PollResult, window_start: f64) -> bool {
        if r.kind == FetchKind::Unchanged && r.outcome.is_ok() {
            // No request was sent: the held data is confirmed current, nothing else changes.
            // `at` is when the source last answered any poller, which vouches for it.
            let was_stale = self.status(r.at) == DataStatus::Stale;
            self.error = None;
            self.last_ok = self.last_ok.max(Some(r.at));
            return was_stale;
        }
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
                let status_before = self.status(r.at);
                self.bytes += fetched.bytes as u64;
                let mut changed = self.error.take().is_some();
                self.last_ok = Some(r.at);
                changed |= self.warnings != fetched.response.warnings
                    || self.partial != fetched.response.partial;
                self.warnings = fetched.response.warnings;
                self.partial = fetched.response.partial;
                self.step = r.step;
                let data = fetched.response.data;
                let was_empty = self.empty;
                self.empty = data.is_empty();
                changed |= match r.kind {
                    _ if !self.holds_series => false,
                    FetchKind::Instant => self.replace_latest(data),
                    FetchKind::Full => self.replace_all(data),
                    FetchKind::Incremental => self.merge(data, r.start),
                    FetchKind::Unchanged => false,
                };
                changed |= self.trim(window_start);
                // An increment is a few steps of a window: it may be empty while the window
                // holds data (a server just started, VictoriaMetrics hiding its newest points).
                // The panel has no data when it holds none; "nothing now" is its live twin's word.
                if r.kind == FetchKind::Incremental && self.holds_series {
                    self.empty = self.series.is_empty();
                }
                changed |= self.empty != was_empty;
                changed || self.status(r.at) != status_before
            }
        }
    }

    /// Returns whether a value or a series changed (an instant point's time is not shown).
    fn replace_latest(&mut self, data: QueryData) -> bool {
        let latest = match data {
            QueryData::Vector(v) => v, // owned already: no copy of 20,000 label sets
            other => other.latest(),
        };
        let new: Vec<SeriesBuf> = latest
            .into_iter()
            .map(|s| SeriesBuf { labels: s.labels, points: VecDeque::from([s.point]) })
            .collect();
        let changed = new.len() != self.series.len()
            || new.iter().zip(&self.series).any(|(a, b)| {
                a.labels != b.labels
                    || a.last().map(|p| p.v.to_bits()) != b.last().map(|p| p.v.to_bits())
            });
        self.series = new;
        changed
    }

    /// Returns whether any series or point differs from what was held.
    fn replace_all(&mut self, data: QueryData) -> bool {
        let new: Vec<SeriesBuf> = match data {
            QueryData::Matrix(m) => m
                .into_iter()
                .map(|s| SeriesBuf { labels: s.labels, points: s.points.into() })
                .collect(),
            other => return self.replace_latest(other),
        };
        let changed = new.len() != self.series.len()
            || new.iter().zip(&self.series).any(|(a, b)| {
                a.labels != b.labels || !same_points(a.points.iter(), b.points.iter())
            });
        self.series = new;
        changed
    }

    /// Replaces held points at or after `from` with the new ones, series by series; a new series
    /// is added. A series absent from the answer keeps its points (and ages out): its held
    /// points are real history, while an empty answer may only mean that the server hides its
    /// newest data (VictoriaMetrics answers nothing for a range inside its latency offset).
    /// Returns whether any point differs from what was held.
    fn merge(&mut self, data: QueryData, from: f64) -> bool {
        let QueryData::Matrix(m) = data else {
            return self.replace_latest(data);
        };
        let mut changed = false;
        for s in m {
            match self.series.iter_mut().find(|b| b.labels == s.labels) {
                Some(buf) => {
                    let keep = buf.points.iter().take_while(|p| p.t < from).count();
                    changed |= !same_points(buf.points.range(keep..), s.points.iter());
                    buf.points.truncate(keep);
                    buf.points.extend(s.points);
                }
                None => {
                    changed = true;
                    self.series.push(SeriesBuf { labels: s.labels, points: s.points.into() });
                }
            }
        }
        changed
    }

    /// Drops points older than `window_start` and series left empty; returns whether it did.
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
            Some(age) if age > self.interval * 2 + Duration::from_secs(1) => DataStatus::Stale,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::client::Fetched;
    use crate::prom::{QueryResponse, Series};

    fn series(name: &str, points: &[(f64, f64)]) -> Series {
        let labels = Labels::from([("s".to_string(), name.to_string())]);
        Series { labels, points: points.iter().map(|&(t, v)| Point { t, v }).collect() }
    }

    fn result(kind: FetchKind, start: f64, end: f64, data: Vec<Series>) -> PollResult {
        PollResult {
            query: 0,
            generation: 0,
            kind,
            at: DateTime::from_timestamp(end as i64, 0).unwrap_or_default(),
            start,
            end,
            step: Duration::from_secs(10),
            outcome: Ok(Fetched {
                response: QueryResponse {
                    data: QueryData::Matrix(data),
                    warnings: vec![],
                    partial: false,
                },
                rtt: Duration::ZERO,
                bytes: 0,
            }),
        }
    }

    fn held(q: &QueryState) -> Vec<(String, Vec<(f64, f64)>)> {
        let mut out: Vec<_> = q
            .series
            .iter()
            .map(|s| (s.labels["s"].clone(), s.points.iter().map(|p| (p.t, p.v)).collect()))
            .collect();
        out.sort_by(|a: &(String, Vec<(f64, f64)>), b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn incremental_with_overlap_equals_a_full_fetch() {
        let mut inc = QueryState::new("q".into(), 0, Duration::from_secs(5), true);
        inc.apply(
            result(
                FetchKind::Full,
                0.0,
                40.0,
                vec![
                    series("a", &[(0.0, 1.0), (10.0, 2.0), (20.0, 3.0), (30.0, 4.0), (40.0, 4.0)]),
                    series("gone", &[(30.0, 9.0), (40.0, 9.0)]),
                ],
            ),
            0.0,
        );
        // The server revised 40 (a late scrape), "gone" vanished after 40, "new" appeared at 50.
        inc.apply(
            result(
                FetchKind::Incremental,
                40.0,
                60.0,
                vec![
                    series("a", &[(40.0, 5.0), (50.0, 6.0), (60.0, 7.0)]),
                    series("new", &[(50.0, 1.0), (60.0, 1.0)]),
                ],
            ),
            15.0,
        );
        let mut full = QueryState::new("q".into(), 0, Duration::from_secs(5), true);
        full.apply(
            result(
                FetchKind::Full,
                20.0,
                60.0,
                vec![
                    series("a", &[(20.0, 3.0), (30.0, 4.0), (40.0, 5.0), (50.0, 6.0), (60.0, 7.0)]),
                    series("gone", &[(30.0, 9.0), (40.0, 9.0)]),
                    series("new", &[(50.0, 1.0), (60.0, 1.0)]),
                ],
            ),
            15.0,
        );
        assert_eq!(held(&inc), held(&full));
    }

    #[test]
    fn an_empty_increment_is_not_no_data_while_the_window_holds_points() {
        let mut q = QueryState::new("q".into(), 0, Duration::from_secs(5), true);
        let at = |t: f64| DateTime::from_timestamp(t as i64, 0).unwrap_or_default();
        q.apply(
            result(FetchKind::Full, 0.0, 40.0, vec![series("a", &[(30.0, 1.0), (40.0, 2.0)])]),
            0.0,
        );
        assert_eq!(q.status(at(40.0)), DataStatus::Ok);
        q.apply(result(FetchKind::Incremental, 40.0, 50.0, vec![]), 0.0);
        assert_eq!(q.status(at(50.0)), DataStatus::Ok, "the chart still draws its points");
        // Once the points are out of the window, the panel has nothing: no data.
        q.apply(result(FetchKind::Incremental, 50.0, 60.0, vec![]), 55.0);
        assert_eq!(q.status(at(60.0)), DataStatus::NoData);
        // A full fetch that finds nothing is no data at once.
        let mut full = QueryState::new("q".into(), 0, Duration::from_secs(5), true);
        full.apply(result(FetchKind::Full, 0.0, 40.0, vec![]), 0.0);
        assert_eq!(full.status(at(40.0)), DataStatus::NoData);
    }

    #[test]
    fn points_before_the_window_are_trimmed() {
        let mut q = QueryState::new("q".into(), 0, Duration::from_secs(5), true);
        q.apply(
            result(
                FetchKind::Full,
                0.0,
                20.0,
                vec![series("a", &[(0.0, 1.0), (10.0, 2.0), (20.0, 3.0)])],
            ),
            5.0,
        );
        assert_eq!(held(&q), vec![("a".to_string(), vec![(10.0, 2.0), (20.0, 3.0)])]);
        q.apply(result(FetchKind::Incremental, 20.0, 30.0, vec![]), 25.0);
        assert!(q.series.is_empty(), "a series with no point left in the window is dropped");
    }
}
