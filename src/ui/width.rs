//! Fitting text into terminal cells: display width (wide CJK characters take two columns,
//! combining marks none) and truncation with an ellipsis.
//!
//! Strings from outside must go through [`crate::sanitize::clean`] first: control characters
//! have no display width and are not handled here.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The ellipsis marking truncated text; one column wide.
pub const ELLIPSIS: &str = "…";

/// Columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` cut to at most `max` columns, ending in [`ELLIPSIS`] when anything was cut.
/// Borrowed when it already fits.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    truncate_with(s, max, ELLIPSIS)
}

/// [`truncate`] with a chosen marker, e.g. `"~"` for terminals without Unicode. When not even
/// the marker fits, the text is cut without one.
pub fn truncate_with<'a>(s: &'a str, max: usize, marker: &str) -> Cow<'a, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let marker_width = width(marker);
    if max < marker_width {
        return Cow::Borrowed(&s[..prefix_end(s, max)]);
    }
    let end = prefix_end(s, max - marker_width);
    let mut out = String::with_capacity(end + marker.len());
    out.push_str(&s[..end]);
    out.push_str(marker);
    Cow::Owned(out)
}

/// `s` cut at the start to at most `max` columns, beginning with [`ELLIPSIS`] when anything was
/// cut: for names whose end tells them apart (`…eu-west-1-db-3:9187`).
pub fn truncate_start(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Owned(String::new());
    }
    let budget = max - width(ELLIPSIS);
    let mut used = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = char_width(c);
        if used + w > budget {
            break;
        }
        used += w;
        start = i;
    }
    // Do not begin with a combining mark cut off from its base character.
    while let Some(c) = s[start..].chars().next().filter(|c| char_width(*c) == 0) {
        start += c.len_utf8();
    }
    Cow::Owned(format!("{ELLIPSIS}{}", &s[start..]))
}

/// `s` truncated to `cols` columns and padded with spaces to exactly `cols`.
pub fn fit(s: &str, cols: usize) -> String {
    let t = truncate(s, cols);
    let pad = cols.saturating_sub(width(&t));
    let mut out = String::with_capacity(t.len() + pad);
    out.push_str(&t);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Byte length of the longest prefix of `s` within `cols` columns, keeping combining marks with
/// their base character.
fn prefix_end(s: &str, cols: usize) -> usize {
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let w = char_width(c);
        if used + w > cols {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_columns() {
        let cases: &[(&str, usize, &str)] = &[
            ("pg_up", 10, "pg_up"),
            ("pg_up", 5, "pg_up"),
            ("pg_stat_activity", 8, "pg_stat…"),
            ("pg_stat_activity", 1, "…"),
            ("pg_stat_activity", 0, ""),
            ("数据库连接", 6, "数据…"),
            ("数据库连接", 5, "数据…"),
            ("数据库连接", 10, "数据库连接"),
            ("cafe\u{301} au lait", 5, "cafe\u{301}…"),
            ("", 3, ""),
        ];
        for (s, max, want) in cases {
            let got = truncate(s, *max);
            assert_eq!(got, *want, "{s:?} to {max}");
            assert!(width(&got) <= *max);
        }
        assert!(matches!(truncate("short", 9), Cow::Borrowed(_)));
        assert_eq!(truncate_with("pg_stat_activity", 8, "~"), "pg_stat~");
        assert_eq!(truncate_with("pg_stat_activity", 2, "..."), "pg");
    }

    #[test]
    fn truncates_from_the_start() {
        assert_eq!(truncate_start("eu-west-1-db-3:9187", 10), "…db-3:9187");
        assert_eq!(truncate_start("x\u{301}yz", 2), "…z");
        assert_eq!(truncate_start("db-3", 10), "db-3");
        assert_eq!(truncate_start("数据库连接", 5), "…连接");
        assert_eq!(truncate_start("abc", 0), "");
    }

    #[test]
    fn fit_pads_to_exact_width() {
        assert_eq!(fit("ok", 4), "ok  ");
        assert_eq!(fit("critical", 4), "cri…");
        assert_eq!(fit("数据库", 5), "数据…");
        assert_eq!(fit("数据库", 4), "数… ");
    }
}
