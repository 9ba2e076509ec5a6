//! The scale under a gauge's bar: `min` at the left, `max` at the right, and `▲value` under each
//! threshold. Labels never touch: each is placed whole where it has a column of space to either
//! side of every label placed before it, or left out. Min and max go first, then the thresholds
//! in the order given; a threshold's `▲` stays under its column, with the value to its right or,
//! when that does not fit, to its left (`90%▲`).

use unicode_width::UnicodeWidthStr;

use super::axis;
use crate::theme::Role;
use crate::units::Unit;

/// One label of the scale, at column `x` from the row's left edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub x: u16,
    pub text: String,
    /// `Muted` for the ends, the threshold's severity for a threshold.
    pub role: Role,
}

impl Label {
    /// The columns it covers, `x..end`.
    fn span(&self) -> (usize, usize) {
        (usize::from(self.x), usize::from(self.x) + self.text.width())
    }
}

/// The labels of a scale from `lo` to `hi` in a row `width` columns wide, left to right;
/// thresholds outside `lo < t < hi` have no place and are left out.
pub fn labels(
    unit: &Unit,
    (lo, hi): (f64, f64),
    thresholds: &[(Option<f64>, Role)],
    width: u16,
) -> Vec<Label> {
    let at_right = |text: String, role| {
        let x = width.checked_sub(text.width().try_into().ok()?)?;
        Some(Label { x, text, role })
    };
    let mut wanted: Vec<Vec<Label>> = vec![
        vec![Label { x: 0, text: unit.format(lo), role: Role::Muted }],
        at_right(unit.format(hi), Role::Muted).into_iter().collect(),
    ];
    for &(t, role) in thresholds {
        let Some(t) = t.filter(|t| *t > lo && *t < hi) else { continue };
        let f = axis::fraction(t, lo, hi);
        if !f.is_finite() || width == 0 {
            continue;
        }
        let col = (f * f64::from(width)).floor().clamp(0.0, f64::from(width - 1)) as u16;
        let value = unit.format(t);
        let left = format!("{value}▲");
        let left_x = (col + 1).checked_sub(left.width().try_into().unwrap_or(u16::MAX));
        let mut options = vec![Label { x: col, text: format!("▲{value}"), role }];
        options.extend(left_x.map(|x| Label { x, text: left, role }));
        wanted.push(options);
    }
    let mut placed: Vec<Label> = Vec::new();
    for options in wanted {
        if let Some(label) = options.into_iter().find(|l| fits(l, &placed, width)) {
            placed.push(label);
        }
    }
    placed.sort_by_key(|l| l.x);
    placed
}

/// Whether `label` lies inside the row with a free column between it and every placed label.
fn fits(label: &Label, placed: &[Label], width: u16) -> bool {
    let (x, end) = label.span();
    end <= usize::from(width)
        && placed.iter().map(Label::span).all(|(px, pend)| end < px || pend < x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(unit: &Unit, lo: f64, hi: f64, crit: f64, warn: f64, width: u16) -> Vec<Label> {
        let thresholds = [(Some(crit), Role::Critical), (Some(warn), Role::Warning)];
        labels(unit, (lo, hi), &thresholds, width)
    }

    fn row(labels: &[Label], width: u16) -> String {
        let mut cells = vec![" ".to_string(); usize::from(width)];
        for l in labels {
            for (i, c) in l.text.chars().enumerate() {
                cells[usize::from(l.x) + i] = c.to_string();
            }
        }
        cells.concat()
    }

    /// Threshold layouts that crowd each other or the ends, in several units.
    fn layouts() -> Vec<(Unit, f64, f64, f64, f64)> {
        vec![
            (Unit::Percent, 0.0, 100.0, 90.0, 80.0),
            (Unit::Percent, 0.0, 100.0, 81.0, 80.0),
            (Unit::Percent, 0.0, 100.0, 90.0, 90.0),
            (Unit::Percent, 0.0, 100.0, 99.0, 1.0),
            (Unit::Percent, 0.0, 100.0, 5.0, 2.0),
            (Unit::Count, 0.0, 80.0, 40.0, 20.0),
            (Unit::Bytes, 0.0, 1e12, 9e11, 8e11),
            (Unit::Seconds, -60.0, 7200.0, 3600.0, 3590.0),
            (Unit::Custom(" conns".into()), 0.0, 500.0, 450.0, 400.0),
        ]
    }

    #[test]
    fn labels_never_touch_at_any_width() {
        for (unit, lo, hi, crit, warn) in layouts() {
            for width in 0..=120 {
                let placed = scale(&unit, lo, hi, crit, warn, width);
                let shown = row(&placed, width);
                for (i, a) in placed.iter().enumerate() {
                    let (x, end) = a.span();
                    assert!(end <= usize::from(width), "{shown:?} wider than {width}");
                    for b in &placed[i + 1..] {
                        let (bx, bend) = b.span();
                        assert!(end < bx || bend < x, "{unit:?} at {width}: {shown:?}");
                    }
                }
            }
        }
    }

    /// Whether `text` at `x` stays inside `width` with a free column beside each of `others`.
    fn clear(text: &str, x: Option<usize>, others: &[&Label], width: u16) -> bool {
        let Some(x) = x else { return false };
        let end = x + text.width();
        end <= usize::from(width) && others.iter().map(|o| o.span()).all(|(a, b)| end < a || b < x)
    }

    /// A label is left out only when every place it may take is taken by one placed before it.
    #[test]
    fn ends_come_first_then_critical_then_warning() {
        for (unit, lo, hi, crit, warn) in layouts() {
            let (l, h) = (unit.format(lo), unit.format(hi));
            for width in 0..=120 {
                let placed = scale(&unit, lo, hi, crit, warn, width);
                let find =
                    |text: &str, role| placed.iter().find(|p| p.text == text && p.role == role);
                let min = find(&l, Role::Muted);
                assert_eq!(min.is_some(), l.width() <= usize::from(width), "{unit:?} at {width}");
                let max = placed.iter().rev().find(|p| p.role == Role::Muted && p.x > 0);
                let max_fits = l.width() + 1 + h.width() <= usize::from(width);
                assert_eq!(max.is_some(), max_fits, "{unit:?} max at {width}: {placed:?}");
                let mut before: Vec<&Label> = min.into_iter().chain(max).collect();
                for (t, role) in [(crit, Role::Critical), (warn, Role::Warning)] {
                    let col = (axis::fraction(t, lo, hi) * f64::from(width)).floor() as usize;
                    let v = unit.format(t);
                    let right = format!("▲{v}");
                    let left = format!("{v}▲");
                    let left_x = (col + 1).checked_sub(left.width());
                    let room = clear(&right, Some(col), &before, width)
                        || clear(&left, left_x, &before, width);
                    let shown = placed.iter().find(|p| p.role == role);
                    assert_eq!(shown.is_some(), room, "{unit:?} {role:?} at {width}: {placed:?}");
                    before.extend(shown);
                }
            }
        }
    }

    #[test]
    fn the_marker_stays_under_its_threshold() {
        for width in [20, 28, 38, 48, 60] {
            for l in scale(&Unit::Percent, 0.0, 100.0, 90.0, 80.0, width) {
                let Some(i) = l.text.chars().position(|c| c == '▲') else { continue };
                let t = if l.role == Role::Critical { 90.0 } else { 80.0 };
                let col = (t / 100.0 * f64::from(width)).floor() as usize;
                assert_eq!(usize::from(l.x) + i, col, "{l:?} at {width}");
            }
        }
    }

    #[test]
    fn the_3am_screen_reads() {
        let cases: &[(u16, &str)] = &[
            (
                80,
                "0%                                                              ▲80% 90%▲   100%",
            ),
            (60, "0%                                           80%▲  90%▲ 100%"),
            (48, "0%                                    ▲80%  100%"),
            (28, "0%                 80%▲ 100%"),
            (10, "0%    100%"),
            (6, "0%    "),
        ];
        for (width, want) in cases {
            let got = row(&scale(&Unit::Percent, 0.0, 100.0, 90.0, 80.0, *width), *width);
            assert_eq!(got, *want, "width {width}");
        }
    }

    #[test]
    fn out_of_range_and_missing_thresholds_are_left_out() {
        let thresholds = [(None, Role::Critical), (Some(100.0), Role::Warning)];
        let placed = labels(&Unit::Percent, (0.0, 100.0), &thresholds, 40);
        assert_eq!(placed.len(), 2, "{placed:?}");
        let empty = labels(&Unit::None, (5.0, 5.0), &[(Some(5.0), Role::Critical)], 40);
        assert!(empty.iter().all(|l| l.role == Role::Muted), "{empty:?}");
    }
}
