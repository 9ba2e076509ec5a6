//! Small text helpers shared by the widgets.

use chrono::{DateTime, FixedOffset, Utc};

/// `HH:MM:SS` in the model's display offset.
pub fn clock(t: DateTime<Utc>, offset: FixedOffset) -> String {
    t.with_timezone(&offset).format("%H:%M:%S").to_string()
}

/// Cuts `s` to at most `width` characters, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}
