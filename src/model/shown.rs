//! What a panel shows: its query's series and, on the live window, the newest sample of the
//! query's live twin — merged here once, so every widget draws the same values.
//!
//! A range query's last point sits on the step grid (10 s apart at 160×48 over 5 m), while its
//! twin is asked for the newest sample on every refresh. On the live window each series gets
//! the twin's sample as its newest point when it is newer than the held data: the stat value,
//! the legend and the chart's rightmost point follow the source at the refresh rate, while the
//! history still moves one step at a time. A panned window shows its own past unchanged.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::{DataStatus, Model, Panel, QueryState};
use crate::prom::{Labels, Point};

/// Held points of a series that only the live answer has.
static NO_POINTS: VecDeque<Point> = VecDeque::new();

/// One series as a panel shows it: the points its query holds, then the live sample when that
/// is newer than the newest of them.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub labels: &'a Labels,
    held: &'a VecDeque<Point>,
    /// The live twin's sample, when it is newer than every held point.
    pub live: Option<Point>,
}

impl<'a> Shown<'a> {
    /// The held points, oldest first (without the live sample).
    pub fn held(&self) -> std::collections::vec_deque::Iter<'a, Point> {
        self.held.iter()
    }

    /// Every point shown, oldest first: the held ones, then the live sample.
    pub fn points(&self) -> impl DoubleEndedIterator<Item = Point> + 'a {
        self.held.iter().copied().chain(self.live)
    }

    /// How many points [`Shown::points`] yields.
    pub fn len(&self) -> usize {
        self.held.len() + usize::from(self.live.is_some())
    }

    /// Whether there is no point at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest point: the live sample, else the newest held one.
    pub fn last(&self) -> Option<Point> {
        self.live.or_else(|| self.held.back().copied())
    }

    /// The newest value; NaN when there is none.
    pub fn value(&self) -> f64 {
        self.last().map(|p| p.v).unwrap_or(f64::NAN)
    }
}

/// What one panel draws from: its query, the live twin whose samples it shows (if any), and
/// the series merged from both.
#[derive(Debug, Clone)]
pub struct PanelData<'a> {
    /// The panel's own query (a range query's step and window).
    pub query: &'a QueryState,
    /// The live twin, when its samples are shown: a range query on the live window.
    pub live: Option<&'a QueryState>,
    /// The query's series in its order, each with the twin's newer sample; then series only the
    /// twin has.
    pub series: Vec<Shown<'a>>,
}

impl<'a> PanelData<'a> {
    /// Merges `query`'s series with the newest samples of `live`, matched by labels.
    pub fn new(query: &'a QueryState, live: Option<&'a QueryState>) -> Self {
        let mut series: Vec<Shown<'a>> = query
            .series
            .iter()
            .map(|s| Shown { labels: &s.labels, held: &s.points, live: None })
            .collect();
        let held = series.len();
        for (i, twin) in live.into_iter().flat_map(|q| q.series.iter().enumerate()) {
            let Some(sample) = twin.last() else { continue };
            // The two answers usually list their series in the same order: try that place first.
            let at = match series.get(i) {
                Some(s) if i < held && *s.labels == twin.labels => Some(i),
                _ => series[..held].iter().position(|s| *s.labels == twin.labels),
            };
            match at {
                Some(k) => {
                    if series[k].held.back().is_none_or(|p| sample.t > p.t) {
                        series[k].live = Some(sample);
                    }
                }
                None => series.push(Shown {
                    labels: &twin.labels,
                    held: &NO_POINTS,
                    live: Some(sample),
                }),
            }
        }
        Self { query, live, series }
    }

    /// The query whose health the panel shows: the worse of its own and its twin's (an error
    /// or staleness in either shows), the panel's own on a tie.
    pub fn health(&self, now: DateTime<Utc>) -> &'a QueryState {
        match self.live {
            Some(twin) if twin.status(now) > self.query.status(now) => twin,
            _ => self.query,
        }
    }

    /// The status the panel shows at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> DataStatus {
        self.health(now).status(now)
    }
}

impl Model {
    /// The live twin whose samples the panels of query `q` show: none when the window is panned
    /// into the past (a panned chart shows its window unchanged) or the query has no twin.
    pub fn live_twin(&self, q: &QueryState) -> Option<usize> {
        q.live.filter(|_| self.window.offset.is_zero())
    }

    /// What `panel` shows now.
    pub fn panel_data(&self, panel: &Panel) -> Option<PanelData<'_>> {
        let query = self.queries.get(panel.query)?;
        let live = self.live_twin(query).and_then(|i| self.queries.get(i));
        Some(PanelData::new(query, live))
    }

    /// Whether any panel shows query `q`: as its own query, or as the live twin of its own.
    pub fn shows(&self, q: usize) -> bool {
        self.panels.iter().any(|p| {
            p.query == q || self.queries.get(p.query).and_then(|pq| self.live_twin(pq)) == Some(q)
        })
    }
}
