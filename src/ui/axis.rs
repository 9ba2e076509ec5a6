//! The value axis of a line chart: round bounds, the row a value lands on, and tick labels that
//! sit on the rows their values are drawn on.

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
        let dot = ((self.hi - v) * (dots - 1.0) / (self.hi - self.lo)).round();
        Some(((dot as u32) / 4).min(u32::from(self.rows) - 1) as u16)
    }

    /// Tick values, top first: max and min, and the middle when there are rows enough to keep
    /// the three apart.
    pub fn ticks(&self) -> Vec<f64> {
        match self.rows {
            0 => Vec::new(),
            1 => vec![self.hi],
            2..=4 => vec![self.hi, self.lo],
            _ => vec![self.hi, (self.hi + self.lo) / 2.0, self.lo],
        }
    }
}

/// The smallest "round" number (1, 2, 2.5, 4, 5, 6, 8 times a power of ten) at or above `v`.
pub fn nice_ceil(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return if v.is_finite() { 0.0 } else { v };
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 4.0, 5.0, 6.0, 8.0, 10.0] {
        let c = m * mag;
        // Tolerate float noise: 0.30000000000000004 is 0.3.
        if c >= v * (1.0 - 1e-9) {
            return c;
        }
    }
    10.0 * mag
}

/// Bounds for data between `lo` and `hi` (finite values only): the panel's `min`/`max` when set,
/// else zero-based round numbers with a little headroom, so a small wobble never looks like a
/// cliff and the scale does not jitter with every new point.
pub fn bounds(data: Option<(f64, f64)>, min: Option<f64>, max: Option<f64>) -> (f64, f64) {
    let (dlo, dhi) = data.unwrap_or((0.0, 0.0));
    let lo = min.unwrap_or(if dlo >= 0.0 { 0.0 } else { -nice_ceil(-dlo * 1.05) });
    let mut hi = max.unwrap_or_else(|| {
        if dhi > 0.0 {
            nice_ceil(dhi * 1.05)
        } else if dlo < 0.0 {
            0.0
        } else {
            1.0
        }
    });
    if hi <= lo {
        hi = lo + nice_ceil(lo.abs().max(1.0));
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
}
