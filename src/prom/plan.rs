//! What the next request of a poller asks for: an instant query, the whole chart window, or
//! only its new steps. Pure functions of the window, what is already held, and the time.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::Window;

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
    /// After the first full window, fetch only new steps (off: re-fetch the whole window).
    pub incremental: bool,
    /// May be asked together with the source's other instant queries of the same interval.
    pub combine: bool,
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
    /// Nothing new at this step: no new step has begun and no held point is waiting to settle.
    /// No request was sent; the held data stands. Pollers send it only while their source
    /// answered another request within the interval with no failure since, and date it at that
    /// answer, so it never hides a server that stopped answering.
    Unchanged,
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

/// What a poller holds after a good range fetch, for planning the next one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Held {
    /// Window generation the data was fetched for.
    pub generation: u64,
    /// Newest step fetched (Unix seconds).
    pub end: f64,
    /// Points at or before this time were final when fetched; newer ones may still change on
    /// the server (late scrapes, VictoriaMetrics' latency offset) and are fetched again once
    /// they have settled, `overlap` seconds after their time.
    pub settled: f64,
    pub overlap: f64,
}

impl Plan {
    /// What is held once this plan's fetch succeeded for window `generation`, when the server
    /// may still revise the newest `overlap` of data.
    pub fn held(&self, generation: u64, overlap: Duration) -> Held {
        let at = self.at.timestamp_millis() as f64 / 1000.0;
        let overlap = overlap.as_secs_f64();
        Held { generation, end: self.end, settled: at - overlap, overlap }
    }

    /// An [`FetchKind::Unchanged`] plan turned into a request for the same steps, for when the
    /// source's liveness has to be checked by this poller itself.
    pub fn fetch_anyway(self) -> Plan {
        match self.kind {
            FetchKind::Unchanged => Plan { kind: FetchKind::Incremental, ..self },
            _ => self,
        }
    }
}

/// Decides between an instant, a full and an incremental fetch.
///
/// Range windows start and end on multiples of the step, so consecutive fetches line up. An
/// incremental fetch starts at the oldest held step that was not yet settled when it was
/// fetched (at least the newest held step), so a point first computed before all of its data
/// arrived is fetched again. When no new step has begun and no held point is waiting to settle,
/// there is nothing to ask for ([`FetchKind::Unchanged`]). After a window change (new
/// generation), or a gap longer than the window, the whole window is fetched.
pub fn plan(q: &QuerySpec, w: &Window, held: Option<Held>, now: DateTime<Utc>) -> Plan {
    let step = w.step(q.interval);
    let now_s = now.timestamp_millis() as f64 / 1000.0 - w.offset.as_secs_f64();
    if !q.range {
        return Plan { kind: FetchKind::Instant, at: now, start: now_s, end: now_s, step };
    }
    let step_s = step.as_secs_f64();
    let end = (now_s / step_s).floor() * step_s;
    let full_start = end - (w.range.as_secs_f64() / step_s).floor() * step_s;
    match held {
        Some(h) if h.generation == w.generation && h.end > full_start && h.end <= end => {
            let unsettled = (h.settled / step_s).floor() * step_s + step_s;
            let start = unsettled.min(h.end).max(full_start);
            let wall = now.timestamp_millis() as f64 / 1000.0;
            let waiting = h.settled < h.end && wall - h.overlap < h.end;
            let kind = if end == h.end && (h.settled >= h.end || waiting) {
                FetchKind::Unchanged
            } else {
                FetchKind::Incremental
            };
            Plan { kind, at: now, start, end, step }
        }
        _ => Plan { kind: FetchKind::Full, at: now, start: full_start, end, step },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I5: Duration = Duration::from_secs(5);

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

    fn q(range: bool) -> QuerySpec {
        QuerySpec {
            id: 0,
            source: 0,
            expr: "up".into(),
            range,
            interval: I5,
            incremental: true,
            combine: false,
        }
    }

    fn held(end: f64, settled: f64) -> Option<Held> {
        Some(Held { generation: 1, end, settled, overlap: 30.0 })
    }

    #[test]
    fn step_fits_width_and_interval() {
        assert_eq!(w().step(I5), Duration::from_secs(10));
        assert_eq!(w().step(Duration::from_secs(1)), Duration::from_secs(10));
        let wide = Window { max_points: 1000, ..w() };
        assert_eq!(wide.step(Duration::from_secs(1)), Duration::from_secs(1));
        assert_eq!(wide.step(I5), I5);
    }

    #[test]
    fn points_never_exceed_max_points() {
        for range in [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600] {
            for max_points in 10..=400 {
                for interval in [1, 5, 15] {
                    let w = Window { range: Duration::from_secs(range), max_points, ..w() };
                    let step = w.step(Duration::from_secs(interval));
                    assert!(
                        w.points(step) <= u64::from(max_points),
                        "range {range} s, {max_points} points, step {step:?}: {}",
                        w.points(step)
                    );
                    // Every point a full fetch returns is in the window, aligned to the step.
                    let p = plan(
                        &QuerySpec { interval: Duration::from_secs(interval), ..q(true) },
                        &w,
                        None,
                        at(1_000_003),
                    );
                    let n = ((p.end - p.start) / step.as_secs_f64()).round() as u64 + 1;
                    assert!(n <= u64::from(max_points));
                    assert_eq!(p.start % step.as_secs_f64(), 0.0);
                }
            }
        }
        // 300 s over 61 points: 5 s fits exactly.
        let exact = Window { range: Duration::from_secs(300), max_points: 61, ..w() };
        assert_eq!(exact.step(Duration::from_secs(1)), I5);
        let one_less = Window { max_points: 60, ..exact };
        assert_eq!(one_less.step(Duration::from_secs(1)), Duration::from_secs(6));
    }

    #[test]
    fn first_fetch_is_full_and_aligned() {
        let p = plan(&q(true), &w(), None, at(1_000_003));
        assert_eq!(p.kind, FetchKind::Full);
        assert_eq!(p.end, 1_000_000.0);
        assert_eq!(p.start, 1_000_000.0 - 900.0);
    }

    #[test]
    fn incremental_refetches_only_unsettled_steps() {
        // Everything held was settled: only the newest held step is fetched again.
        let p = plan(&q(true), &w(), held(1_000_000.0, 1_000_000.0), at(1_000_012));
        assert_eq!(p.kind, FetchKind::Incremental);
        assert_eq!((p.start, p.end), (1_000_000.0, 1_000_010.0));
        // The last fetch ran at 1_000_003 with a 30 s overlap: steps after 999_973 are fetched
        // again, from the first step boundary after it.
        let p = plan(&q(true), &w(), held(1_000_000.0, 999_973.0), at(1_000_012));
        assert_eq!((p.start, p.end), (999_980.0, 1_000_010.0));
        // Never before the window.
        let p = plan(&q(true), &w(), held(1_000_000.0, 0.0), at(1_000_012));
        assert_eq!(p.start, 1_000_010.0 - 900.0);
    }

    #[test]
    fn nothing_is_fetched_between_steps_once_settled() {
        // Fetched at 1_000_003 with everything settled: nothing new before 1_000_010.
        let h = held(1_000_000.0, 1_000_003.0);
        let p = plan(&q(true), &w(), h, at(1_000_007));
        assert_eq!((p.kind, p.start, p.end), (FetchKind::Unchanged, 1_000_000.0, 1_000_000.0));
        assert_eq!(p.clone().fetch_anyway().kind, FetchKind::Incremental);
        // Fetched at 1_000_003 with a 30 s overlap: the newest step settles at 1_000_030; until
        // then there is nothing to gain, after it one more fetch of the unsettled steps.
        let h = held(1_000_000.0, 999_973.0);
        assert_eq!(plan(&q(true), &w(), h, at(1_000_008)).kind, FetchKind::Unchanged);
        let wide = Window { range: Duration::from_secs(3600), ..w() }; // 30 s steps
                                                                       // Fetched at 1_000_022 with a 20 s overlap: 1_000_020 settles at 1_000_040.
        let h = Some(Held { generation: 1, end: 1_000_020.0, settled: 1_000_002.0, overlap: 20.0 });
        assert_eq!(plan(&q(true), &wide, h, at(1_000_039)).kind, FetchKind::Unchanged);
        let p = plan(&q(true), &wide, h, at(1_000_040));
        assert_eq!((p.kind, p.start, p.end), (FetchKind::Incremental, 1_000_020.0, 1_000_020.0));
    }

    #[test]
    fn window_change_or_long_gap_fetches_everything() {
        let zoomed = Window { generation: 2, ..w() };
        let h = held(1_000_000.0, 1_000_000.0);
        assert_eq!(plan(&q(true), &zoomed, h, at(1_000_012)).kind, FetchKind::Full);
        // A gap longer than the window.
        assert_eq!(plan(&q(true), &w(), h, at(1_002_000)).kind, FetchKind::Full);
        // A gap shorter than the window: the missing steps are fetched.
        let p = plan(&q(true), &w(), h, at(1_000_500));
        assert_eq!((p.kind, p.start, p.end), (FetchKind::Incremental, 1_000_000.0, 1_000_500.0));
    }

    #[test]
    fn panned_windows_are_fetched_incrementally_too() {
        let panned = Window { offset: Duration::from_secs(450), ..w() };
        let first = plan(&q(true), &panned, None, at(1_000_453));
        assert_eq!((first.start, first.end), (999_100.0, 1_000_000.0));
        let h = first.held(1, Duration::ZERO);
        let next = plan(&q(true), &panned, Some(h), at(1_000_463));
        assert_eq!(
            (next.kind, next.start, next.end),
            (FetchKind::Incremental, 1_000_000.0, 1_000_010.0)
        );
    }

    #[test]
    fn instant_queries_stay_instant() {
        assert_eq!(plan(&q(false), &w(), None, at(5)).kind, FetchKind::Instant);
    }
}
