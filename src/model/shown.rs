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

use super::{DataStatus, Model, Panel, QueryState, SeriesBuf};
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
    /// The queries of a table's extra columns, in the order of the panel's `columns`.
    pub columns: Vec<&'a QueryState>,
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
        Self { query, live, series, columns: Vec::new() }
    }

    /// The query whose health the panel shows: the worse of its own and its twin's (an error
    /// or staleness in either shows), the panel's own on a tie; then a column's query when it
    /// is stale or failing (an empty column only shows `–` in its cells).
    pub fn health(&self, now: DateTime<Utc>) -> &'a QueryState {
        let (mine, twins) = (self.query.status(now), self.live.map(|t| t.status(now)));
        let own = match self.live {
            // The twin says what the value is: a window that holds no points yet (a new
            // series, a server that just started) is no "no data" while the twin has a value.
            Some(twin) if mine == DataStatus::NoData && twins == Some(DataStatus::Ok) => twin,
            Some(twin) if twins > Some(mine) => twin,
            _ => self.query,
        };
        let column = self
            .columns
            .iter()
            .filter(|c| matches!(c.status(now), DataStatus::Stale | DataStatus::Error))
            .max_by_key(|c| c.status(now));
        match column {
            Some(c) if c.status(now) > own.status(now) => c,
            _ => own,
        }
    }

    /// The value column `column` shows in the row of a series with `labels`: see
    /// [`matching_value`].
    pub fn column_value(&self, column: usize, labels: &Labels) -> Option<f64> {
        matching_value(labels, &self.columns.get(column)?.series)
    }

    /// The status the panel shows at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> DataStatus {
        self.health(now).status(now)
    }
}

/// The newest value of the series of `column` that belongs to a row with labels `row`: the
/// series agrees with the row on every label they share (`__name__` aside) and shares at least
/// one (a series without labels belongs to every row). When several do, the one sharing the
/// most labels; `None` when no series belongs to the row, or when two are equally close (the
/// column's query should aggregate by the row's labels).
pub fn matching_value(row: &Labels, column: &[SeriesBuf]) -> Option<f64> {
    let mut best: Option<(usize, f64)> = None;
    let mut tied = false;
    for s in column {
        let Some(point) = s.last() else { continue };
        let mut own = 0;
        let mut shared = 0;
        let mut agrees = true;
        for (name, value) in s.labels.iter().filter(|(k, _)| k.as_str() != "__name__") {
            own += 1;
            if let Some(theirs) = row.get(name) {
                shared += 1;
                agrees &= theirs == value;
            }
        }
        if !agrees || (shared == 0 && own > 0) {
            continue;
        }
        match best {
            Some((closest, _)) if shared < closest => {}
            Some((closest, _)) if shared == closest => tied = true,
            _ => {
                best = Some((shared, point.v));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, v)| v)
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
        let mut data = PanelData::new(query, live);
        data.columns = panel.columns.iter().filter_map(|&c| self.queries.get(c)).collect();
        Some(data)
    }

    /// Whether any panel shows query `q`: as its own query, as the live twin of its own, or as
    /// one of its columns.
    pub fn shows(&self, q: usize) -> bool {
        self.panels.iter().any(|p| {
            p.query == q
                || p.columns.contains(&q)
                || self.queries.get(p.query).and_then(|pq| self.live_twin(pq)) == Some(q)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn column(series: &[(&[(&str, &str)], f64)]) -> Vec<SeriesBuf> {
        series
            .iter()
            .map(|(l, v)| SeriesBuf { labels: labels(l), points: [Point { t: 1.0, v: *v }].into() })
            .collect()
    }

    /// A query answered at `at` with `series` (no series: an empty answer).
    fn answered(series: Vec<SeriesBuf>, at: DateTime<Utc>) -> QueryState {
        let mut q = QueryState::new("q".into(), 0, std::time::Duration::from_secs(1), true);
        q.empty = series.is_empty();
        q.series = series;
        q.last_ok = Some(at);
        q
    }

    #[test]
    fn a_window_without_points_yet_is_no_no_data_while_the_twin_has_a_value() {
        let now = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let range = answered(Vec::new(), now);
        let twin = answered(column(&[(&[], 24.0)]), now);
        let panel = PanelData::new(&range, Some(&twin));
        assert_eq!(panel.status(now), DataStatus::Ok, "the value is there: the twin's");
        // Both empty: no data. The twin empty while the window holds points: no data now.
        let empty_twin = answered(Vec::new(), now);
        assert_eq!(PanelData::new(&range, Some(&empty_twin)).status(now), DataStatus::NoData);
        let held = answered(column(&[(&[], 3.0)]), now);
        assert_eq!(PanelData::new(&held, Some(&empty_twin)).status(now), DataStatus::NoData);
        // A failing window still shows, whatever the twin says.
        let mut failing = answered(Vec::new(), now);
        failing.error = Some(crate::model::QueryError {
            class: "timeout".into(),
            message: "timeout".into(),
            since: now,
            retryable: true,
        });
        assert_eq!(PanelData::new(&failing, Some(&twin)).status(now), DataStatus::Error);
    }

    #[test]
    fn a_row_takes_the_series_that_agrees_on_the_labels_they_share() {
        let row = labels(&[("queryid", "42"), ("query", "SELECT 1"), ("instance", "db1")]);
        let by_queryid = column(&[(&[("queryid", "7")], 1.0), (&[("queryid", "42")], 2.0)]);
        assert_eq!(matching_value(&row, &by_queryid), Some(2.0));
        // A label the row lacks is no reason to refuse; one it holds otherwise is.
        let wider = column(&[(&[("queryid", "42"), ("datname", "shop")], 3.0)]);
        assert_eq!(matching_value(&row, &wider), Some(3.0));
        let other = column(&[(&[("queryid", "43")], 3.0)]);
        assert_eq!(matching_value(&row, &other), None);
        // Sharing nothing is not matching; having no labels at all is a value for every row.
        assert_eq!(matching_value(&row, &column(&[(&[("pid", "1")], 4.0)])), None);
        assert_eq!(matching_value(&row, &column(&[(&[], 5.0)])), Some(5.0));
        assert_eq!(matching_value(&row, &column(&[(&[("__name__", "x")], 6.0)])), Some(6.0));
    }

    #[test]
    fn the_closest_series_wins_and_a_tie_is_no_value() {
        let row = labels(&[("queryid", "42"), ("instance", "db1")]);
        let closer = column(&[
            (&[("queryid", "42")], 1.0),
            (&[("queryid", "42"), ("instance", "db1")], 2.0),
        ]);
        assert_eq!(matching_value(&row, &closer), Some(2.0));
        let tie = column(&[
            (&[("queryid", "42"), ("datname", "a")], 1.0),
            (&[("queryid", "42"), ("datname", "b")], 2.0),
        ]);
        assert_eq!(matching_value(&row, &tie), None, "two databases: the query should sum them");
        assert_eq!(matching_value(&row, &[]), None);
    }
}
