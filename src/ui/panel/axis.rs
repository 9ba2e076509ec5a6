//! The value axis of a line chart: round bounds, the row a value lands on, and tick labels that
//! sit on the rows their values are drawn on. Every finite value has a place, up to ±`f64::MAX`:
//! spans too wide for an `f64` are measured on scaled-down values (see [`span_scale`]).

/// The factor (1, or 2⁻²⁰ for spans near the top of the `f64` range) that values between `lo`
/// and `hi` are multiplied by before their distances are measured, so that neither `hi − lo`
/// nor that span times the dots of a plot overflows. Ordinary spans keep a factor of 1, so
/// their arithmetic is exactly as it always was; scaling by a power of two is exact for all
/// but subnormal values, which are 0 next to such spans.
pub fn span_scale(lo: f64, hi: f64) -> f64 {
    const ROOM: f64 = 1_048_576.0; // 2^20: more dots than any plot has
    if ((hi - lo) * ROOM).is_finite() {
        1.0
    } else {
        1.0 / ROOM
    }
}

/// Where `v` lies between `lo` (0) and `hi` (1), for any finite values, without overflow;
/// NaN when `hi <= lo` or a value is not finite.
pub fn fraction(v: f64, lo: f64, hi: f64) -> f64 {
    if hi <= lo || !v.is_finite() || !lo.is_finite() || !hi.is_finite() {
        return f64::NAN;
    }
    let k = span_scale(lo, hi);
    (v * k - lo * k) / (hi * k - lo * k)
}

/// Maps values between `lo` and `hi` onto `rows` terminal rows of a braille canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub rows: u16,
}

impl Scale {
    /// The row (0 = top) on which the braille canvas draws `v`: the same arithmetic as ratatui's
    /// canvas (4 dots per row, rounded), so a label or threshold line lands where the data does.
    pub fn row(&self, v: f64) -> Option<u16> {
        if !v.is_finite() || v < self.lo || v > self.hi || self.rows == 0 || self.hi <= self.lo {
            return None;
        }
        let dots = f64::from(self.rows) * 4.0;
        let k = span_scale(self.lo, self.hi);
        let (hi, lo, v) = (self.hi * k, self.lo * k, v * k);
        let dot = ((hi - v) * (dots - 1.0) / (hi - lo)).round();
        Some(((dot as u32) / 4).min(u32::from(self.rows) - 1) as u16)
    }

    /// Tick values, top first: max and min, and the middle when there are rows enough to keep
    /// the three apart.
    pub fn ticks(&self) -> Vec<f64> {
        match self.rows {
            0 => Vec::new(),
            1 => vec![self.hi],
            2..=4 => vec![self.hi, self.lo],
            _ => vec![self.hi, midpoint(self.lo, self.hi), self.lo],
        }
    }
}

/// Halfway between `lo` and `hi`, for any finite values (`(lo + hi) / 2` overflows at the top
/// of the range).
fn midpoint(lo: f64, hi: f64) -> f64 {
    let mid = (hi + lo) / 2.0;
    if mid.is_finite() {
        mid
    } else {
        hi / 2.0 + lo / 2.0
    }
}

/// The smallest "round" number (1, 2, 2.5, 4, 5, 6, 8 times a power of ten) at or above `v`;
/// `f64::MAX` when that number is past it, and `v` itself when too small to have a power of ten
/// (subnormal).
pub fn nice_ceil(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return if v.is_finite() { 0.0 } else { v };
    }
    let mag = 10f64.powf(v.log10().floor());
    if !mag.is_normal() {
        return v;
    }
    for m in [1.0, 2.0, 2.5, 4.0, 5.0, 6.0, 8.0, 10.0] {
        let c = m * mag;
        // Tolerate float noise: 0.30000000000000004 is 0.3.
        if c >= v * (1.0 - 1e-9) {
            return c.min(f64::MAX);
        }
    }
    (10.0 * mag).min(f64::MAX)
}

/// `v` (≥ 0) with 5 % headroom, at most `f64::MAX`.
fn headroom(v: f64) -> f64 {
    (v * 1.05).min(f64::MAX)
}

/// Bounds for data between `lo` and `hi` (finite values only): the panel's `min`/`max` when set,
/// else zero-based round numbers with a little headroom, so a small wobble never looks like a
/// cliff and the scale does not jitter with every new point. Always finite, with `lo < hi`, for
/// any finite data up to ±`f64::MAX`; a `min` or `max` that is not finite counts as unset.
pub fn bounds(data: Option<(f64, f64)>, min: Option<f64>, max: Option<f64>) -> (f64, f64) {
    let (dlo, dhi) = data.filter(|(l, h)| l.is_finite() && h.is_finite()).unwrap_or((0.0, 0.0));
    let (min, max) = (min.filter(|v| v.is_finite()), max.filter(|v| v.is_finite()));
    let mut lo = min.unwrap_or(if dlo >= 0.0 { 0.0 } else { -nice_ceil(headroom(-dlo)) });
    let mut hi = max.unwrap_or_else(|| {
        if dhi > 0.0 {
            nice_ceil(headroom(dhi))
        } else if dlo < 0.0 {
            0.0
        } else {
            1.0
        }
    });
    if hi <= lo {
        let room = nice_ceil(lo.abs().max(1.0));
        hi = lo + room;
        // At the top of the range there is no room above: take it below.
        if !hi.is_finite() || hi <= lo {
            (lo, hi) = (lo - room, lo);
        }
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_ceil(69.8), 80.0);
        assert_eq!(nice_ceil(100.0), 100.0);
        assert_eq!(nice_ceil(101.0), 200.0);
        assert_eq!(nice_ceil(0.3), 0.4);
        assert_eq!(nice_ceil(0.1 + 0.2), 0.4);
        assert_eq!(nice_ceil(2.1), 2.5);
        assert_eq!(nice_ceil(0.0), 0.0);
    }

    #[test]
    fn bounds_are_round_and_zero_based() {
        assert_eq!(bounds(Some((12.0, 63.5)), None, None), (0.0, 80.0));
        assert_eq!(bounds(Some((12.0, 63.5)), Some(0.0), Some(100.0)), (0.0, 100.0));
        assert_eq!(bounds(None, None, None), (0.0, 1.0));
        assert_eq!(bounds(Some((0.0, 0.0)), None, None), (0.0, 1.0));
        let (lo, hi) = bounds(Some((-30.0, 10.0)), None, None);
        assert!(lo <= -30.0 && hi >= 10.0, "{lo} {hi}");
        let (lo, hi) = bounds(Some((-30.0, -10.0)), None, None);
        assert!(lo <= -30.0 && hi > lo, "{lo} {hi}");
        // A max below the data's min still gives a usable range.
        let (lo, hi) = bounds(Some((5.0, 6.0)), Some(10.0), Some(10.0));
        assert!(hi > lo);
    }

    #[test]
    fn rows_match_the_canvas() {
        let s = Scale { lo: 0.0, hi: 100.0, rows: 5 };
        assert_eq!(s.row(100.0), Some(0));
        assert_eq!(s.row(0.0), Some(4));
        assert_eq!(s.row(50.0), Some(2));
        assert_eq!(s.row(80.0), Some(1));
        assert_eq!(s.row(101.0), None);
        assert_eq!(s.row(f64::NAN), None);
        assert_eq!(s.ticks(), vec![100.0, 50.0, 0.0]);
        assert_eq!(Scale { rows: 3, ..s }.ticks(), vec![100.0, 0.0]);
        assert_eq!(Scale { rows: 0, ..s }.row(1.0), None);
    }

    #[test]
    fn extreme_values_get_finite_bounds_and_rows() {
        let huge = [f64::MAX, 1e308, 1.5e308, 5e-324, f64::MIN_POSITIVE, 1.0, 0.0];
        let values: Vec<f64> = huge.iter().flat_map(|&v| [v, -v]).collect();
        for &a in &values {
            for &b in &values {
                let data = Some((a.min(b), a.max(b)));
                for (min, max) in
                    [(None, None), (Some(a), None), (None, Some(b)), (Some(a), Some(b))]
                {
                    let (lo, hi) = bounds(data, min, max);
                    assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{a:e} {b:e}: {lo} {hi}");
                    let s = Scale { lo, hi, rows: 10 };
                    assert_eq!(s.row(hi), Some(0), "{lo:e}..{hi:e}");
                    assert_eq!(s.row(lo), Some(9), "{lo:e}..{hi:e}");
                    assert!(s.ticks().iter().all(|t| t.is_finite() && s.row(*t).is_some()));
                }
            }
        }
        assert_eq!(bounds(Some((0.0, 1e308)), None, None), (0.0, f64::MAX));
        assert_eq!(bounds(Some((-f64::MAX, f64::MAX)), None, None), (-f64::MAX, f64::MAX));
        assert_eq!(bounds(Some((f64::MAX, f64::MAX)), None, None), (0.0, f64::MAX));
        assert_eq!(bounds(Some((1.0, 2.0)), Some(f64::NAN), Some(f64::INFINITY)), (0.0, 2.5));
        assert_eq!(bounds(None, Some(f64::MAX), None), (0.0, f64::MAX));
        assert_eq!(nice_ceil(1e308), 1e308);
        assert_eq!(nice_ceil(1.5e308), f64::MAX);
        assert_eq!(nice_ceil(5e-324), 5e-324);
        let wide = Scale { lo: -f64::MAX, hi: f64::MAX, rows: 5 };
        assert_eq!(wide.ticks(), vec![f64::MAX, 0.0, -f64::MAX]);
        assert_eq!(wide.row(0.0), Some(2));
        assert_eq!(fraction(0.0, -f64::MAX, f64::MAX), 0.5);
        assert_eq!(fraction(f64::MAX, -f64::MAX, f64::MAX), 1.0);
        assert_eq!(fraction(25.0, 0.0, 100.0), 0.25);
        assert!(fraction(1.0, 1.0, 1.0).is_nan() && fraction(f64::NAN, 0.0, 1.0).is_nan());
    }
}
