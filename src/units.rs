//! Units for panel values, and compact formatting for narrow cells: at most 7 characters where
//! the value allows (`97.3%`, `1.23k`, `1.5 GiB`, `250ms`, `3m20s`).
//!
//! Names follow Grafana's unit ids where one exists, so dashboards translate directly:
//!
//! | name                         | unit                    | example     |
//! |------------------------------|-------------------------|-------------|
//! | `none` (or empty)            | plain number            | `1.23k`     |
//! | `short`, `count`             | count                   | `4.56M`     |
//! | `percent`, `%`               | percent, 0–100          | `97.3%`     |
//! | `percentunit`                | ratio, 0–1              | `97.3%`     |
//! | `bytes`, `B`                 | bytes (binary prefixes) | `1.5 GiB`   |
//! | `Bps`, `B/s`, `bytes/s`      | bytes per second        | `12 MiB/s`  |
//! | `s`, `seconds`               | seconds                 | `1.2s`      |
//! | `ms`, `milliseconds`         | milliseconds            | `250ms`     |
//! | `ops`, `ops/s`, `reqps`, `rps` | per second            | `1.2k/s`    |
//! | `suffix:TEXT`                | number then TEXT        | `12 conns`  |
//!
//! Non-finite values are never disguised as numbers: `NaN`, `+Inf`, `-Inf`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diag::suggest;

/// The unit a panel's values are in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A plain number.
    #[default]
    None,
    /// Percent, where 100 means 100%.
    Percent,
    /// A ratio, where 1 means 100%.
    PercentUnit,
    /// Bytes, shown with binary prefixes (KiB, MiB, …).
    Bytes,
    /// Bytes per second.
    BytesPerSec,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
    /// Operations (queries, requests, transactions) per second.
    OpsPerSec,
    /// A count of things.
    Count,
    /// A number followed by this text verbatim (include a leading space if you want one).
    Custom(String),
}

/// Every accepted name and its unit, first name canonical.
const NAMES: [(&str, Unit); 20] = [
    ("none", Unit::None),
    ("", Unit::None),
    ("percent", Unit::Percent),
    ("%", Unit::Percent),
    ("percentunit", Unit::PercentUnit),
    ("bytes", Unit::Bytes),
    ("B", Unit::Bytes),
    ("Bps", Unit::BytesPerSec),
    ("B/s", Unit::BytesPerSec),
    ("bytes/s", Unit::BytesPerSec),
    ("s", Unit::Seconds),
    ("seconds", Unit::Seconds),
    ("ms", Unit::Millis),
    ("milliseconds", Unit::Millis),
    ("ops", Unit::OpsPerSec),
    ("ops/s", Unit::OpsPerSec),
    ("reqps", Unit::OpsPerSec),
    ("rps", Unit::OpsPerSec),
    ("short", Unit::Count),
    ("count", Unit::Count),
];

const SI_PREFIXES: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
const BINARY_PREFIXES: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

impl Unit {
    /// The canonical name, as accepted by [`FromStr`] and written by `Serialize`.
    pub fn name(&self) -> String {
        match self {
            Unit::Custom(suffix) => format!("suffix:{suffix}"),
            other => NAMES
                .iter()
                .find(|(_, u)| u == other)
                .map_or_else(String::new, |(n, _)| (*n).to_string()),
        }
    }

    /// Formats a value compactly for a table cell or an axis label.
    pub fn format(&self, v: f64) -> String {
        if v.is_nan() {
            return "NaN".into();
        }
        if v.is_infinite() {
            return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
        }
        if v < 0.0 {
            return format!("-{}", self.format(-v));
        }
        match self {
            Unit::None | Unit::Count => si(v),
            Unit::Percent => format!("{}%", si(v)),
            Unit::PercentUnit => format!("{}%", percent_of_ratio(v)),
            Unit::Bytes => binary(v),
            Unit::BytesPerSec => format!("{}/s", binary(v)),
            Unit::Seconds => seconds(v),
            // A subnormal number of milliseconds is 0 seconds: say it in milliseconds.
            Unit::Millis if v / 1000.0 == 0.0 && v > 0.0 => format!("{}ms", si(v)),
            Unit::Millis => seconds(v / 1000.0),
            Unit::OpsPerSec => format!("{}/s", si(v)),
            Unit::Custom(suffix) => format!("{}{suffix}", si(v)),
        }
    }

    /// The words a value formatted in this unit already says, as a legend or caption beside the
    /// value might say them again (`commits/s`, `seconds`, `heap bytes`); each comes before the
    /// shorter words it ends with.
    fn words(&self) -> Vec<&str> {
        let words: &[&str] = match self {
            Unit::None | Unit::Count => &[],
            Unit::Percent | Unit::PercentUnit => &["percent", "pct", "%"],
            Unit::Bytes => &["bytes"],
            Unit::BytesPerSec => &["bytes/s", "per second", "B/s", "Bps", "/sec", "/s"],
            Unit::Seconds | Unit::Millis => &["milliseconds", "seconds", "secs", "sec", "ms", "s"],
            Unit::OpsPerSec => &["per second", "/sec", "/s"],
            Unit::Custom(suffix) => return vec![suffix.trim()],
        };
        words.to_vec()
    }

    /// `text` without a trailing repeat of what a value in this unit already says, so a legend
    /// beside the value says the unit once: `commits/s` → `commits`, `latency (ms)` →
    /// `latency`, and for seconds `seconds` → nothing. A word that starts with a letter or digit
    /// counts only after a space (`items` keeps its `ms`); one that starts otherwise (`/s`, `%`)
    /// may end a word (`5xx/s` → `5xx`). Case does not matter.
    pub fn without_repeat<'a>(&self, text: &'a str) -> &'a str {
        let trimmed = text.trim_end();
        for word in self.words().into_iter().filter(|w| !w.is_empty()) {
            for (open, close) in [("", ""), ("(", ")"), ("[", "]")] {
                let tail = format!("{open}{word}{close}");
                let Some(head) = strip_suffix_ignoring_case(trimmed, &tail) else { continue };
                let attaches = !tail.starts_with(|c: char| c.is_alphanumeric());
                if attaches || head.is_empty() || head.ends_with(char::is_whitespace) {
                    return head
                        .trim_end_matches(|c: char| c.is_whitespace() || "-–—:,·".contains(c));
                }
            }
        }
        text
    }
}

/// `s` without `suffix` at its end, compared ignoring ASCII case.
fn strip_suffix_ignoring_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let (head, tail) = (s.get(..cut)?, s.get(cut..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

impl FromStr for Unit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(suffix) = s.strip_prefix("suffix:") {
            return Ok(Unit::Custom(suffix.to_string()));
        }
        if let Some((_, unit)) = NAMES.iter().find(|(n, _)| *n == s) {
            return Ok(unit.clone());
        }
        let names = NAMES.iter().map(|(n, _)| *n).filter(|n| !n.is_empty());
        let hint = match s {
            "bps" => "did you mean \"Bps\" (bytes per second)?".to_string(),
            _ => match suggest(s, names.clone()) {
                Some(n) => format!("did you mean \"{n}\"?"),
                None => format!(
                    "use one of {}, or \"suffix:TEXT\" for any other unit",
                    names.collect::<Vec<_>>().join(", ")
                ),
            },
        };
        Err(format!("unknown unit {s:?} — {hint}"))
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// `12345` → `"12,345"`: counts as people read them.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Three significant digits (two below 0.1, to stay narrow), trailing zeros trimmed;
/// `x` is finite, `0 <= x < 999.5`.
fn sig3(x: f64) -> String {
    let decimals = match x {
        x if x >= 99.95 => 0,
        x if x >= 9.995 => 1,
        x if x >= 0.9995 => 2,
        x if x >= 0.0095 => 3,
        _ => 4,
    };
    trim(format!("{x:.decimals$}"))
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// SI-prefixed number: `950`, `1.23k`, `45.6M`; tiny values in exponent form (`1.2e-5`).
fn si(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if x < 0.0009995 {
        return trim_exponent(format!("{x:.1e}"));
    }
    let mut k = 0;
    let mut scaled = x;
    while scaled >= 999.5 && k + 1 < SI_PREFIXES.len() {
        scaled /= 1000.0;
        k += 1;
    }
    if scaled >= 999.5 {
        return trim_exponent(format!("{x:.1e}"));
    }
    format!("{}{}", sig3(scaled), SI_PREFIXES[k])
}

/// `1.0e-5` → `1e-5`.
fn trim_exponent(s: String) -> String {
    s.replace(".0e", "e")
}

/// A ratio as a percentage (`0.973` → `97.3`), also past `f64::MAX / 100`, where the
/// percentage is too large for an `f64` and its exponent is written out instead.
fn percent_of_ratio(x: f64) -> String {
    let pct = x * 100.0;
    if pct.is_finite() {
        return si(pct);
    }
    let sci = format!("{x:.1e}");
    match sci.split_once('e').and_then(|(m, e)| Some((m, e.parse::<i32>().ok()?))) {
        Some((mantissa, exp)) => trim_exponent(format!("{mantissa}e{}", exp + 2)),
        None => trim_exponent(sci),
    }
}

/// Binary-prefixed bytes: `512 B`, `1.5 GiB`, `12 MiB`; `0.98 MiB` just below a boundary.
fn binary(x: f64) -> String {
    let mut k = 0;
    let mut scaled = x;
    while scaled >= 999.5 && k + 1 < BINARY_PREFIXES.len() {
        scaled /= 1024.0;
        k += 1;
    }
    let num = if scaled < 1.0 && k > 0 {
        trim(format!("{scaled:.2}"))
    } else if scaled >= 999.5 {
        return format!("{} {}", trim_exponent(format!("{x:.1e}")), BINARY_PREFIXES[0]);
    } else if k > 0 {
        // Three characters at most, so "1.5 GiB", "12 MiB" and "123 MiB" fit in seven columns.
        let decimals = usize::from(scaled < 9.95);
        trim(format!("{scaled:.decimals$}"))
    } else {
        // Plain bytes read as plain numbers do: `512`, `12.5`, `1e-5`.
        si(scaled)
    };
    format!("{num} {}", BINARY_PREFIXES[k])
}

/// Durations: `800ns`, `250µs`, `12.5ms`, `1.23s`, `3m20s`, `2h5m`, `3d4h`, `1.5y`.
fn seconds(x: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    const YEAR: f64 = 365.0 * DAY;
    if x == 0.0 {
        return "0s".into();
    }
    if x < 0.9995e-9 {
        return format!("{}s", trim_exponent(format!("{x:.1e}")));
    }
    for (scale, suffix) in [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")] {
        let scaled = x / scale;
        let limit = if suffix == "s" { 59.95 } else { 999.5 };
        if scaled < limit {
            return format!("{}{suffix}", sig3(scaled));
        }
    }
    let two_parts = |total: f64, big: f64, big_suffix: &str, small_suffix: &str| {
        let big_n = (total / big).floor();
        let small_n = total - big_n * big;
        if small_n == 0.0 {
            format!("{big_n}{big_suffix}")
        } else {
            format!("{big_n}{big_suffix}{small_n}{small_suffix}")
        }
    };
    let secs = x.round();
    if secs < HOUR {
        return two_parts(secs, MINUTE, "m", "s");
    }
    let mins = (x / MINUTE).round();
    if mins < DAY / MINUTE {
        return two_parts(mins, HOUR / MINUTE, "h", "m");
    }
    let hours = (x / HOUR).round();
    if hours < 100.0 * 24.0 {
        return two_parts(hours, 24.0, "d", "h");
    }
    if x < YEAR {
        return format!("{}d", (x / DAY).round());
    }
    format!("{}y", si(x / YEAR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_table() {
        let cases: &[(Unit, f64, &str)] = &[
            (Unit::None, 0.0, "0"),
            (Unit::None, 1.0, "1"),
            (Unit::None, 1.5, "1.5"),
            (Unit::None, 12.34, "12.3"),
            (Unit::None, 123.4, "123"),
            (Unit::None, 999.4, "999"),
            (Unit::None, 999.6, "1k"),
            (Unit::None, 1200.0, "1.2k"),
            (Unit::None, 1234.0, "1.23k"),
            (Unit::None, 12_345.0, "12.3k"),
            (Unit::None, 999_999.0, "1M"),
            (Unit::None, 3_400_000.0, "3.4M"),
            (Unit::None, 2.5e18, "2.5E"),
            (Unit::None, 1e24, "1e24"),
            (Unit::None, 0.5, "0.5"),
            (Unit::None, 0.123, "0.123"),
            (Unit::None, 0.0123, "0.012"),
            (Unit::None, 0.00996, "0.01"),
            (Unit::None, 0.00123, "0.0012"),
            (Unit::None, 0.000012, "1.2e-5"),
            (Unit::None, -1234.0, "-1.23k"),
            (Unit::None, -0.0, "0"),
            (Unit::Count, 42.0, "42"),
            (Unit::Percent, 97.3, "97.3%"),
            (Unit::Percent, 100.0, "100%"),
            (Unit::Percent, 5.0, "5%"),
            (Unit::Percent, 0.05, "0.05%"),
            (Unit::Percent, 1600.0, "1.6k%"),
            (Unit::PercentUnit, 0.973, "97.3%"),
            (Unit::PercentUnit, 1.0, "100%"),
            (Unit::Bytes, 0.0, "0 B"),
            (Unit::Bytes, 512.0, "512 B"),
            (Unit::Bytes, 1023.0, "1 KiB"),
            (Unit::Bytes, 1536.0, "1.5 KiB"),
            (Unit::Bytes, 1000.0 * 1024.0, "0.98 MiB"),
            (Unit::Bytes, 1.5 * 1024.0 * 1024.0 * 1024.0, "1.5 GiB"),
            (Unit::Bytes, 123.4 * 1024.0 * 1024.0, "123 MiB"),
            (Unit::Bytes, 12.3 * 1024.0 * 1024.0, "12 MiB"),
            (Unit::Bytes, 12.5, "12.5 B"),
            (Unit::BytesPerSec, 12.0 * 1024.0 * 1024.0, "12 MiB/s"),
            (Unit::Seconds, 0.0, "0s"),
            (Unit::Seconds, 0.25, "250ms"),
            (Unit::Seconds, 0.0125, "12.5ms"),
            (Unit::Seconds, 0.00025, "250µs"),
            (Unit::Seconds, 8e-7, "800ns"),
            (Unit::Seconds, 0.9996, "1s"),
            (Unit::Seconds, 1.2, "1.2s"),
            (Unit::Seconds, 59.9, "59.9s"),
            (Unit::Seconds, 59.97, "1m"),
            (Unit::Seconds, 180.0, "3m"),
            (Unit::Seconds, 200.0, "3m20s"),
            (Unit::Seconds, 3599.7, "1h"),
            (Unit::Seconds, 7500.0, "2h5m"),
            (Unit::Seconds, 86_400.0 * 3.0 + 4.0 * 3600.0, "3d4h"),
            (Unit::Seconds, 86_400.0 * 200.0, "200d"),
            (Unit::Seconds, 86_400.0 * 365.0 * 1.5, "1.5y"),
            (Unit::Seconds, -90.0, "-1m30s"),
            (Unit::Millis, 250.0, "250ms"),
            (Unit::Millis, 1500.0, "1.5s"),
            (Unit::OpsPerSec, 1234.0, "1.23k/s"),
            (Unit::Custom(" conns".into()), 12.0, "12 conns"),
        ];
        for (unit, v, want) in cases {
            assert_eq!(unit.format(*v), *want, "{unit:?} {v}");
        }
    }

    #[test]
    fn non_finite_values_are_never_numbers() {
        for unit in NAMES.iter().map(|(_, u)| u) {
            assert_eq!(unit.format(f64::NAN), "NaN");
            assert_eq!(unit.format(f64::INFINITY), "+Inf");
            assert_eq!(unit.format(f64::NEG_INFINITY), "-Inf");
        }
    }

    #[test]
    fn extreme_values_stay_short_and_never_read_zero() {
        let extremes = [f64::MAX, 1.5e308, 1e308, 2e307, 1e300, f64::MIN_POSITIVE, 1e-310, 5e-324];
        for unit in NAMES.iter().map(|(_, u)| u) {
            for v in extremes.iter().flat_map(|v| [*v, -*v]) {
                let s = unit.format(v);
                assert!(s.chars().count() <= 14, "{unit:?} {v:e} -> {s:?}");
                assert!(!s.to_lowercase().contains("inf"), "{unit:?} {v:e} -> {s:?}");
                let digits = s.trim_start_matches('-');
                assert!(!digits.starts_with('0'), "{unit:?} {v:e} -> {s:?}");
                assert_eq!(s.starts_with('-'), v < 0.0, "{unit:?} {v:e} -> {s:?}");
            }
        }
        let cases: &[(Unit, f64, &str)] = &[
            (Unit::None, f64::MAX, "1.8e308"),
            (Unit::None, 5e-324, "4.9e-324"),
            (Unit::PercentUnit, f64::MAX, "1.8e310%"),
            (Unit::PercentUnit, -1e308, "-1e310%"),
            (Unit::PercentUnit, 2e306, "2e308%"),
            (Unit::Bytes, 1e308, "1e308 B"),
            (Unit::Bytes, 5e-324, "4.9e-324 B"),
            (Unit::Bytes, 0.00001, "1e-5 B"),
            (Unit::Millis, 5e-324, "4.9e-324ms"),
            (Unit::Seconds, 1e308, "3.2e300y"),
        ];
        for (unit, v, want) in cases {
            assert_eq!(unit.format(*v), *want, "{unit:?} {v:e}");
        }
    }

    #[test]
    fn common_values_fit_seven_columns() {
        let units = [
            Unit::None,
            Unit::Percent,
            Unit::PercentUnit,
            Unit::Bytes,
            Unit::Seconds,
            Unit::Millis,
            Unit::OpsPerSec,
        ];
        let mut v = 0.001;
        while v < 1e15 {
            for unit in &units {
                let s = unit.format(v);
                // "0.98 MiB" just below a binary boundary and "0.0014/s" for tiny rates.
                let limit = match unit {
                    Unit::Bytes if s.starts_with("0.") => 8,
                    Unit::OpsPerSec if v < 0.01 => 8,
                    _ => 7,
                };
                assert!(s.chars().count() <= limit, "{unit:?} {v} -> {s:?}");
            }
            v *= 1.37;
        }
    }

    #[test]
    fn a_repeated_unit_is_said_once() {
        let conns = Unit::Custom(" conns".into());
        let cases: &[(Unit, &str, &str)] = &[
            (Unit::OpsPerSec, "commits/s", "commits"),
            (Unit::OpsPerSec, "{{ name }} 5xx/s", "{{ name }} 5xx"),
            (Unit::OpsPerSec, "tx/s", "tx"),
            (Unit::OpsPerSec, "deadlocks per second", "deadlocks"),
            (Unit::OpsPerSec, "ops/s", "ops"),
            (Unit::Seconds, "seconds", ""),
            (Unit::Seconds, "Longest (s)", "Longest"),
            (Unit::Seconds, "wait - Secs", "wait"),
            (Unit::Millis, "latency [ms]", "latency"),
            (Unit::Percent, "CPU %", "CPU"),
            (Unit::Percent, "used%", "used"),
            (Unit::PercentUnit, "hit ratio percent", "hit ratio"),
            (Unit::Bytes, "heap bytes", "heap"),
            (Unit::BytesPerSec, "written bytes/s", "written"),
            (conns, "{{ name }} conns", "{{ name }}"),
            // Not a repeat: other words, a word's own letters, a unit that says no word.
            (Unit::Seconds, "items", "items"),
            (Unit::Seconds, "commits", "commits"),
            (Unit::Millis, "rooms", "rooms"),
            (Unit::Percent, "rollbacks", "rollbacks"),
            (Unit::Bytes, "{{ instance }}", "{{ instance }}"),
            (Unit::OpsPerSec, "up", "up"),
            (Unit::Count, "seconds/s", "seconds/s"),
            (Unit::None, "%", "%"),
            (Unit::Custom(String::new()), "conns", "conns"),
            (Unit::Seconds, "", ""),
            (Unit::Seconds, "µs", "µs"),
            (Unit::Seconds, "users's", "users's"),
            (Unit::Seconds, "wait-secs", "wait-secs"),
        ];
        for (unit, text, want) in cases {
            assert_eq!(unit.without_repeat(text), *want, "{unit:?} {text:?}");
        }
    }

    #[test]
    fn parses_names() {
        let cases: &[(&str, Unit)] = &[
            ("percent", Unit::Percent),
            ("percentunit", Unit::PercentUnit),
            ("bytes", Unit::Bytes),
            ("Bps", Unit::BytesPerSec),
            ("s", Unit::Seconds),
            ("ms", Unit::Millis),
            ("ops", Unit::OpsPerSec),
            ("short", Unit::Count),
            ("", Unit::None),
            ("suffix: conns", Unit::Custom(" conns".into())),
        ];
        for (name, unit) in cases {
            assert_eq!(name.parse::<Unit>().as_ref(), Ok(unit), "{name}");
            assert_eq!(unit.name().parse::<Unit>().as_ref(), Ok(unit), "{name}");
        }
    }

    #[test]
    fn unknown_names_are_explained() {
        assert_eq!(
            "percnet".parse::<Unit>(),
            Err("unknown unit \"percnet\" — did you mean \"percent\"?".to_string())
        );
        assert_eq!(
            "bps".parse::<Unit>(),
            Err("unknown unit \"bps\" — did you mean \"Bps\" (bytes per second)?".to_string())
        );
        assert!("furlongs".parse::<Unit>().unwrap_err().contains("\"suffix:TEXT\""));
    }

    #[test]
    fn serde_uses_names() {
        #[derive(Deserialize, Serialize, Debug, PartialEq)]
        struct Panel {
            unit: Unit,
        }
        let p: Panel = toml::from_str("unit = \"Bps\"").unwrap();
        assert_eq!(p.unit, Unit::BytesPerSec);
        assert_eq!(toml::to_string(&p).unwrap().trim(), "unit = \"Bps\"");
        let err = toml::from_str::<Panel>("unit = \"secs\"").unwrap_err();
        assert!(err.to_string().contains("unknown unit \"secs\""), "{err}");
    }
}
