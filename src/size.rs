//! Byte sizes as written in config files: `32MiB`, `512KiB`, `64MB`, `1GiB`. A bare number means
//! bytes. Shown back with binary prefixes (`32 MiB`), the way byte panels show them.

use serde::{Deserialize, Deserializer};

/// Parses `32MiB`-style sizes. Errors say what was expected.
pub fn parse(input: &str) -> Result<u64, String> {
    let s = input.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(format!("{input:?}: expected a number, e.g. \"32MiB\" or \"500KB\""));
    }
    let value: f64 =
        number.parse().map_err(|_| format!("{input:?}: {number:?} is not a number"))?;
    let factor: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "{input:?}: unknown unit {other:?} (use B, KB, MB, GB, KiB, MiB or GiB)"
            ))
        }
    };
    let bytes = value * factor;
    // Far beyond any answer worth reading, and below u64::MAX so the cast is exact.
    if !bytes.is_finite() || bytes > 1e15 {
        return Err(format!("{input:?}: size out of range"));
    }
    Ok(bytes.round() as u64)
}

/// `33554432` → `"32 MiB"`.
pub fn format(bytes: u64) -> String {
    crate::units::Unit::Bytes.format(bytes as f64)
}

/// Serde adapter: `#[serde(deserialize_with = "crate::size::de")]`, for a string with a unit or
/// a whole number of bytes.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Bytes(u64),
        Text(String),
    }
    match Repr::deserialize(d)? {
        Repr::Bytes(n) => Ok(n),
        Repr::Text(s) => parse(&s).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        for (text, bytes) in [
            ("32MiB", 32 << 20),
            ("512 KiB", 512 << 10),
            ("1GiB", 1 << 30),
            ("64MB", 64_000_000),
            ("1000", 1000),
            ("0.5KiB", 512),
        ] {
            assert_eq!(parse(text), Ok(bytes), "{text}");
        }
        for bad in ["", "MiB", "5 parsecs", "-1MiB", "99999999999GiB"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_with_binary_prefixes() {
        assert_eq!(format(32 << 20), "32 MiB");
        assert_eq!(format(512 << 10), "512 KiB");
    }
}
