//! Thinning long series for the canvas: per dot column, only the lowest and highest point.

/// A point of a chart: seconds relative to the window's end, value.
pub type Point = (f64, f64);

/// Thins a series (points in time order) to at most its lowest and highest point in each
/// `bucket`-wide slice of x from `left`, in time order. With buckets no wider than a dot
/// column the line covers the same dots, spikes included, while the canvas draws a handful of
/// segments per column instead of every point of a long window.
pub fn min_max(points: impl Iterator<Item = Point>, left: f64, bucket: f64) -> Vec<Point> {
    let (lower, upper) = points.size_hint();
    let mut out = Vec::with_capacity(upper.unwrap_or(lower));
    if bucket.is_nan() || bucket <= 0.0 {
        out.extend(points);
        return out;
    }
    let flush = |out: &mut Vec<Point>, lo: Point, hi: Point| {
        if lo == hi {
            out.push(lo);
        } else if lo.0 <= hi.0 {
            out.extend([lo, hi]);
        } else {
            out.extend([hi, lo]);
        }
    };
    // The bucket being filled: its index, lowest and highest point.
    let mut current: Option<(i64, Point, Point)> = None;
    for p in points {
        // Points lie right of `left`: truncation is floor here, without a libm call per point.
        let index = ((p.0 - left) / bucket) as i64;
        match &mut current {
            Some((i, lo, hi)) if *i == index => {
                if p.1 < lo.1 {
                    *lo = p;
                }
                if p.1 > hi.1 {
                    *hi = p;
                }
            }
            _ => {
                if let Some((_, lo, hi)) = current {
                    flush(&mut out, lo, hi);
                }
                current = Some((index, p, p));
            }
        }
    }
    if let Some((_, lo, hi)) = current {
        flush(&mut out, lo, hi);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::min_max;

    #[test]
    fn sparse_points_pass_unchanged() {
        let points = vec![(-10.0, 1.0), (-7.0, 5.0), (-2.0, 3.0)];
        assert_eq!(min_max(points.iter().copied(), -10.0, 1.0), points);
    }

    #[test]
    fn dense_points_keep_each_buckets_extremes_in_time_order() {
        // Two buckets of width 1: [-4, -3) and [-3, -2).
        let points =
            [(-4.0, 2.0), (-3.75, 9.0), (-3.5, 1.0), (-3.25, 4.0), (-3.0, 5.0), (-2.5, 5.0)];
        assert_eq!(
            min_max(points.iter().copied(), -4.0, 1.0),
            vec![(-3.75, 9.0), (-3.5, 1.0), (-3.0, 5.0)]
        );
    }

    #[test]
    fn a_spike_survives() {
        let points: Vec<(f64, f64)> =
            (0..100).map(|i| (f64::from(i) / 100.0, if i == 37 { 100.0 } else { 1.0 })).collect();
        let thinned = min_max(points.iter().copied(), 0.0, 0.5);
        assert!(thinned.iter().any(|p| p.1 == 100.0), "{thinned:?}");
        assert!(thinned.len() <= 4);
    }
}
