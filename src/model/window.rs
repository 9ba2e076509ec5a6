//! The time window charts show: how far back, how far panned into the past, how many points a
//! chart can hold, and the generation every change bumps. Model state: `update` changes it on
//! zoom, pan and resize; pollers read it to plan their fetches.

use std::time::Duration;

/// The time window charts show; changed by zoom and pan. Every change bumps `generation`, and
/// pollers then re-fetch the whole window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub range: Duration,
    /// How far the window's end lies before now (panning into the past).
    pub offset: Duration,
    /// Most points a chart can show (its width in cells).
    pub max_points: u32,
    pub generation: u64,
}

/// Steps a window may use: divisors and multiples of a minute and an hour, close enough together
/// that rounding up loses few points, and few enough that a small resize keeps the step (and the
/// data held) as it is.
const NICE_STEPS: [f64; 30] = [
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 10.0, 12.0, 15.0, 20.0, 30.0, 40.0, 45.0, 60.0, 90.0, 120.0,
    180.0, 240.0, 300.0, 450.0, 600.0, 900.0, 1200.0, 1800.0, 2400.0, 3600.0, 7200.0, 10800.0,
    21600.0, 43200.0,
];

impl Window {
    /// The step for a query polled every `interval`: at least the interval, and coarse enough
    /// that the window holds at most `max_points` points (both ends included); rounded up to a
    /// "nice" value.
    pub fn step(&self, interval: Duration) -> Duration {
        // n points span n - 1 steps.
        let gaps = f64::from(self.max_points.max(10) - 1);
        let by_width = self.range.as_secs_f64() / gaps;
        let raw = by_width.max(interval.as_secs_f64()).max(1.0);
        Duration::from_secs_f64(
            NICE_STEPS.iter().copied().find(|n| *n >= raw).unwrap_or(raw.ceil()),
        )
    }

    /// How many points a full fetch of this window at `step` holds.
    pub fn points(&self, step: Duration) -> u64 {
        let step = step.as_secs_f64().max(1e-3);
        (self.range.as_secs_f64() / step).floor() as u64 + 1
    }
}
