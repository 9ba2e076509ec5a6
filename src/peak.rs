//! Peak hours: the daily windows (`"20:00-23:00"`, in a fixed UTC offset or the machine's
//! local time) when the header shows PEAK and runbook actions may ask for more confirmation.

use chrono::{DateTime, FixedOffset, Local, Timelike, Utc};

/// The environment's peak hours; empty: never.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeakHours {
    /// `(start, end)` in minutes after midnight; `end <= start` wraps past midnight.
    windows: Vec<(u16, u16)>,
    /// The offset the windows are written in; `None`: the machine's local time.
    zone: Option<FixedOffset>,
}

impl PeakHours {
    /// Parses `["20:00-23:00", "11:30-13:00"]` and an optional zone (`"+08:00"`, `"-05:00"`,
    /// `"UTC"`, or `"local"`).
    pub fn parse(windows: &[String], zone: Option<&str>) -> Result<PeakHours, String> {
        let zone = match zone.map(str::trim) {
            None | Some("local") => None,
            Some("UTC" | "utc" | "Z") => FixedOffset::east_opt(0),
            Some(z) => Some(z.parse::<FixedOffset>().map_err(|_| {
                format!("peak_zone {z:?}: write an offset such as \"+08:00\", \"UTC\" or \"local\"")
            })?),
        };
        let windows = windows.iter().map(|w| window(w)).collect::<Result<Vec<_>, _>>()?;
        Ok(PeakHours { windows, zone })
    }

    /// Whether `now` falls in a peak window.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        if self.windows.is_empty() {
            return false;
        }
        let (h, m) = match self.zone {
            Some(z) => {
                let t = now.with_timezone(&z);
                (t.hour(), t.minute())
            }
            None => {
                let t = now.with_timezone(&Local);
                (t.hour(), t.minute())
            }
        };
        let at = u16::try_from(h * 60 + m).unwrap_or(0);
        self.windows.iter().any(|&(start, end)| {
            if start < end {
                (start..end).contains(&at)
            } else {
                at >= start || at < end
            }
        })
    }
}

/// `"20:00-23:00"` as minutes after midnight.
fn window(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("peak {text:?}: write a window such as \"20:00-23:00\"");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let minutes = |s: &str| -> Option<u16> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
    };
    let (start, end) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
    if start == end {
        return Err(format!("peak {text:?}: the window is empty"));
    }
    Ok((start, end % (24 * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(i64::from(h * 3600 + m * 60), 0).unwrap_or_default()
    }

    #[test]
    fn windows_in_a_zone_and_past_midnight() {
        let p = PeakHours::parse(&["20:00-23:00".into(), "23:30-01:00".into()], Some("+08:00"))
            .unwrap_or_default();
        // 12:00 UTC is 20:00 at +08:00.
        for (h, m, peak) in [
            (12, 0, true),
            (14, 59, true),
            (15, 0, false),
            (15, 30, true),
            (16, 59, true),
            (17, 0, false),
            (11, 59, false),
        ] {
            assert_eq!(p.contains(at(h, m)), peak, "{h}:{m:02} UTC");
        }
        let utc = PeakHours::parse(&["00:00-24:00".into()], Some("UTC")).unwrap_or_default();
        assert!(utc.contains(at(23, 59)) && utc.contains(at(0, 0)));
        assert!(!PeakHours::default().contains(at(12, 0)));
        for bad in ["20-23", "25:00-26:00", "20:00-20:00", "8pm-11pm"] {
            assert!(PeakHours::parse(&[bad.into()], None).is_err(), "{bad}");
        }
        assert!(PeakHours::parse(&[], Some("Asia/Shanghai")).is_err());
    }
}
