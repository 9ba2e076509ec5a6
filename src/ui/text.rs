//! Small text helpers shared by the widgets.

use chrono::{DateTime, FixedOffset, Utc};

/// `HH:MM:SS` in the model's display offset.
pub fn clock(t: DateTime<Utc>, offset: FixedOffset) -> String {
    t.with_timezone(&offset).format("%H:%M:%S").to_string()
}

/// Cuts `s` to at most `width` terminal columns, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    super::width::truncate(s, width).into_owned()
}
