//! Which values of a rule's query are bad: past a threshold on one side (strictly or not), or
//! any series at all (`present`, the shape of a Prometheus rule whose `expr` is no comparison).

use serde::{Deserialize, Serialize};

/// Which side of the threshold is bad, or that every series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Values strictly greater than the threshold breach it (CPU, latency, errors).
    #[default]
    Above,
    /// Values strictly less than the threshold breach it (free connections, throughput, `pg_up`).
    Below,
    /// Values greater than or equal to the threshold breach it (PromQL's `>=`).
    AtLeast,
    /// Values less than or equal to the threshold breach it (PromQL's `<=`).
    AtMost,
    /// Every series the query returns is an alert, whatever its value; an empty answer means
    /// all is well. The rule's `severity` says how bad; it has no thresholds.
    Present,
}

impl Direction {
    /// Whether `value` is past `limit` on the bad side. `NaN` is never past anything; under
    /// `present` everything is.
    pub fn beyond(self, value: f64, limit: f64) -> bool {
        match self {
            Direction::Above => value > limit,
            Direction::Below => value < limit,
            Direction::AtLeast => value >= limit,
            Direction::AtMost => value <= limit,
            Direction::Present => true,
        }
    }

    /// Whether higher values are the worse ones (`above`, `at_least`).
    pub fn rising(self) -> bool {
        matches!(self, Direction::Above | Direction::AtLeast)
    }

    /// Whether the rule compares values with thresholds (every direction but `present`).
    pub fn has_thresholds(self) -> bool {
        self != Direction::Present
    }

    /// The word used in config and messages: `"above"`, `"below"`, `"at_least"`…
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Above => "above",
            Direction::Below => "below",
            Direction::AtLeast => "at_least",
            Direction::AtMost => "at_most",
            Direction::Present => "present",
        }
    }

    /// The PromQL comparison that keeps the bad values: `>`, `<`, `>=`, `<=` (none for
    /// `present`).
    pub fn operator(self) -> Option<&'static str> {
        match self {
            Direction::Above => Some(">"),
            Direction::Below => Some("<"),
            Direction::AtLeast => Some(">="),
            Direction::AtMost => Some("<="),
            Direction::Present => None,
        }
    }

    /// The direction a PromQL comparison operator keeps: the inverse of [`Direction::operator`].
    pub fn of_operator(op: &str) -> Option<Direction> {
        [Direction::Above, Direction::Below, Direction::AtLeast, Direction::AtMost]
            .into_iter()
            .find(|d| d.operator() == Some(op))
    }

    /// The same comparison with its sides swapped (`5 < x` is `x > 5`).
    pub fn flipped(self) -> Direction {
        match self {
            Direction::Above => Direction::Below,
            Direction::Below => Direction::Above,
            Direction::AtLeast => Direction::AtMost,
            Direction::AtMost => Direction::AtLeast,
            Direction::Present => Direction::Present,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_follow_promql() {
        let cases = [
            (Direction::Above, 5.0, false, 6.0, true),
            (Direction::AtLeast, 5.0, true, 4.0, false),
            (Direction::Below, 5.0, false, 4.0, true),
            (Direction::AtMost, 5.0, true, 6.0, false),
        ];
        for (d, at, at_limit, other, past) in cases {
            assert_eq!(d.beyond(at, 5.0), at_limit, "{d:?} at the limit");
            assert_eq!(d.beyond(other, 5.0), past, "{d:?} at {other}");
            assert!(!d.beyond(f64::NAN, 5.0));
            let op = d.operator().unwrap_or_default();
            assert_eq!(Direction::of_operator(op), Some(d));
            assert_eq!(d.flipped().flipped(), d);
        }
        assert!(Direction::Present.beyond(f64::NAN, 0.0));
        assert_eq!(Direction::of_operator("=="), None);
    }
}
