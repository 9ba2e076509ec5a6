//! Human durations as written in config files and on the command line: `500ms`, `5s`, `1m30s`,
//! `2h`, `1d`. A bare number means seconds.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Parses `1m30s`-style durations. Errors say what was expected.
pub fn parse(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty duration; write e.g. \"5s\", \"1m30s\" or \"500ms\"".into());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return secs_to_duration(secs, input);
    }
    let mut total_ms: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| {
            format!("{input:?}: number without a unit at the end (use ms, s, m, h or d)")
        })?;
        if num_len == 0 {
            return Err(format!("{input:?}: expected a number before {rest:?}"));
        }
        let value: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("{input:?}: {:?} is not a number", &rest[..num_len]))?;
        let after = &rest[num_len..];
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let factor_ms = match &after[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "w" => 604_800_000.0,
            other => {
                return Err(format!("{input:?}: unknown unit {other:?} (use ms, s, m, h, d or w)"))
            }
        };
        total_ms += value * factor_ms;
        rest = &after[unit_len..];
    }
    secs_to_duration(total_ms / 1000.0, input)
}

fn secs_to_duration(secs: f64, input: &str) -> Result<Duration, String> {
    if !secs.is_finite() || !(0.0..=10.0 * 365.0 * 86_400.0).contains(&secs) {
        return Err(format!("{input:?}: duration out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Formats a duration the way it would be written in a config file (`1m30s`, `250ms`).
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) && ms < 60_000 {
        return if ms < 1000 { format!("{ms}ms") } else { format!("{:.1}s", d.as_secs_f64()) };
    }
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// Serde adapter: `#[serde(deserialize_with = "crate::duration::de")]`.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = DurationRepr::deserialize(d)?;
    raw.to_duration().map_err(serde::de::Error::custom)
}

/// Serde adapter for `Option<Duration>`.
pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let raw = Option::<DurationRepr>::deserialize(d)?;
    raw.map(|r| r.to_duration().map_err(serde::de::Error::custom)).transpose()
}

/// A duration as a file writes it: text (`"30s"`, `"1m30s"`) or a number of seconds. For
/// readers that check it later, with its place in the file (runbook front matter).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationRepr {
    Text(String),
    Secs(f64),
}

impl DurationRepr {
    /// The duration, or what is wrong with it.
    pub fn to_duration(&self) -> Result<Duration, String> {
        match self {
            DurationRepr::Text(s) => parse(s),
            DurationRepr::Secs(n) => secs_to_duration(*n, &n.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let cases = [
            ("5s", 5_000),
            ("500ms", 500),
            ("1m30s", 90_000),
            ("2h", 7_200_000),
            ("1d", 86_400_000),
            ("15", 15_000),
            ("0.5s", 500),
        ];
        for (text, ms) in cases {
            assert_eq!(parse(text).map(|d| d.as_millis()), Ok(ms), "{text}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        for bad in ["", "5x", "s", "-1s", "1m3"] {
            let err = parse(bad).expect_err(bad);
            assert!(!err.is_empty());
        }
        assert!(parse("5x").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn formats_round_trip() {
        for text in ["1m30s", "5s", "250ms", "2h", "1d"] {
            let d = parse(text).expect("valid");
            assert_eq!(format(d), text);
        }
    }
}
