//! Grafana's panel types, unit ids and threshold steps in warroom's terms.

use super::model::Step;
use crate::config::PanelKind;
use crate::units::Unit;

/// The warroom kind drawing a Grafana panel type, or `None` when there is none.
///
/// `bargauge` becomes a gauge (each series its own bar, as Grafana draws it), not `bars`,
/// which stacks every series into one bar, a sum the dashboard never showed.
pub fn kind(panel_type: &str) -> Option<PanelKind> {
    Some(match panel_type {
        "timeseries" | "graph" => PanelKind::Line,
        "stat" | "singlestat" => PanelKind::Stat,
        "gauge" | "bargauge" => PanelKind::Gauge,
        "table" | "table-old" => PanelKind::Table,
        _ => return None,
    })
}

/// Grafana unit ids warroom draws, and the unit it draws each in. Grafana's SI (`decbytes`,
/// `Bps`) and binary (`bytes`, `binBps`) byte units all show with binary prefixes, which say so.
const UNITS: [(&str, Unit); 17] = [
    ("", Unit::None),
    ("none", Unit::None),
    ("short", Unit::Count),
    ("percent", Unit::Percent),
    ("percentunit", Unit::PercentUnit),
    ("bytes", Unit::Bytes),
    ("decbytes", Unit::Bytes),
    ("Bps", Unit::BytesPerSec),
    ("binBps", Unit::BytesPerSec),
    ("s", Unit::Seconds),
    ("ms", Unit::Millis),
    ("ops", Unit::OpsPerSec),
    ("reqps", Unit::OpsPerSec),
    ("rps", Unit::OpsPerSec),
    ("wps", Unit::OpsPerSec),
    ("iops", Unit::OpsPerSec),
    ("cps", Unit::OpsPerSec),
];

/// The unit for Grafana unit id `id` (custom `suffix:TEXT` included), or `None` when warroom
/// has no such unit.
pub fn unit(id: &str) -> Option<Unit> {
    if let Some(text) = id.strip_prefix("suffix:") {
        return Some(Unit::Custom(format!(" {}", crate::sanitize::clean(text.trim()))));
    }
    UNITS.iter().find(|(name, _)| *name == id).map(|(_, u)| u.clone())
}

/// How bad a threshold colour reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Fine,
    Warning,
    Critical,
}

/// Grafana's palette names (`red`, `dark-orange`, `semi-dark-yellow`…) and `#rrggbb` colours.
fn severity(color: &str) -> Severity {
    let c = color.trim().to_ascii_lowercase();
    if c.contains("red") {
        return Severity::Critical;
    }
    if c.contains("orange") || c.contains("yellow") {
        return Severity::Warning;
    }
    let hex = c.strip_prefix('#').filter(|h| h.len() >= 6 && h.is_ascii());
    let channel = |i: usize| hex.and_then(|h| u8::from_str_radix(h.get(i..i + 2)?, 16).ok());
    match (channel(0), channel(2), channel(4)) {
        (Some(r), Some(g), Some(b)) if r >= 0xc0 && g < 0x80 && b < 0xa0 => Severity::Critical,
        (Some(r), Some(g), Some(b)) if r >= 0xc0 && g >= 0x80 && b < 0x80 => Severity::Warning,
        _ => Severity::Fine,
    }
}

/// Warning and critical from threshold steps: critical is the value of the first step
/// coloured red (from there on Grafana shows red), warning the first step coloured orange or
/// yellow below it. `percent` steps (mode `percentage`) are taken of `min`…`max`.
///
/// Err says why the steps cannot be shown: warroom's thresholds mean "higher is worse", so
/// steps that turn better as values rise (a red base, green above) are refused, as are
/// percentage steps without both min and max.
pub fn thresholds(
    steps: &[Step],
    percent: bool,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<(Option<f64>, Option<f64>), String> {
    let base =
        steps.iter().find(|s| s.value.is_none()).map_or(Severity::Fine, |s| severity(&s.color));
    let mut valued: Vec<(f64, Severity)> = steps
        .iter()
        .filter_map(|s| Some((s.value.filter(|v| v.is_finite())?, severity(&s.color))))
        .collect();
    valued.sort_by(|a, b| a.0.total_cmp(&b.0));
    if valued.is_empty() {
        return Ok((None, None));
    }
    let top = valued.iter().map(|s| s.1).max().unwrap_or(Severity::Fine);
    let last = valued.last().map_or(Severity::Fine, |s| s.1);
    if base > Severity::Fine && (base > top || last < base) {
        return Err("threshold steps turn better as values rise; warroom's warning and \
                    critical mean higher is worse"
            .into());
    }
    let scale = |v: f64| -> Result<f64, String> {
        if !percent {
            return Ok(v);
        }
        match (min, max) {
            (Some(lo), Some(hi)) => Ok(lo + (hi - lo) * v / 100.0),
            _ => Err("percentage thresholds without both min and max".into()),
        }
    };
    let critical = valued.iter().find(|s| s.1 == Severity::Critical).map(|s| s.0);
    let warning = valued
        .iter()
        .find(|s| s.1 == Severity::Warning && critical.is_none_or(|c| s.0 < c))
        .map(|s| s.0);
    Ok((warning.map(scale).transpose()?, critical.map(scale).transpose()?))
}

/// Old `singlestat` thresholds, `"70,90"`: warning, then critical.
pub fn legacy_thresholds(text: &str) -> (Option<f64>, Option<f64>) {
    let mut values =
        text.split(',').map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite()));
    let warning = values.next().flatten();
    let critical = values.next().flatten();
    (warning, critical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panel_types() {
        let table = [
            ("timeseries", Some(PanelKind::Line)),
            ("graph", Some(PanelKind::Line)),
            ("stat", Some(PanelKind::Stat)),
            ("singlestat", Some(PanelKind::Stat)),
            ("gauge", Some(PanelKind::Gauge)),
            ("bargauge", Some(PanelKind::Gauge)),
            ("table", Some(PanelKind::Table)),
            ("text", None),
            ("heatmap", None),
            ("piechart", None),
            ("row", None),
        ];
        for (t, want) in table {
            assert_eq!(kind(t), want, "{t}");
        }
    }

    #[test]
    fn units() {
        let table = [
            ("percent", Some(Unit::Percent)),
            ("percentunit", Some(Unit::PercentUnit)),
            ("bytes", Some(Unit::Bytes)),
            ("decbytes", Some(Unit::Bytes)),
            ("Bps", Some(Unit::BytesPerSec)),
            ("s", Some(Unit::Seconds)),
            ("ms", Some(Unit::Millis)),
            ("ops", Some(Unit::OpsPerSec)),
            ("reqps", Some(Unit::OpsPerSec)),
            ("short", Some(Unit::Count)),
            ("none", Some(Unit::None)),
            ("suffix:conns", Some(Unit::Custom(" conns".into()))),
            ("suffix:\u{1b}[31m", Some(Unit::Custom(" \\x1b[31m".into()))),
            ("dtdurations", None),
            ("currencyUSD", None),
            ("%", None),
        ];
        for (id, want) in table {
            assert_eq!(unit(id), want, "{id}");
        }
    }

    fn steps(list: &[(&str, Option<f64>)]) -> Vec<Step> {
        list.iter().map(|(c, v)| Step { color: (*c).into(), value: *v }).collect()
    }

    #[test]
    fn threshold_steps() {
        type Case =
            (&'static [(&'static str, Option<f64>)], Result<(Option<f64>, Option<f64>), ()>);
        let table: [Case; 9] = [
            (&[("green", None)], Ok((None, None))),
            (&[("green", None), ("red", Some(80.0))], Ok((None, Some(80.0)))),
            (
                &[("green", None), ("orange", Some(70.0)), ("red", Some(90.0))],
                Ok((Some(70.0), Some(90.0))),
            ),
            // Out of order in the file, sorted by value.
            (
                &[("green", None), ("red", Some(90.0)), ("#EAB839", Some(70.0))],
                Ok((Some(70.0), Some(90.0))),
            ),
            (
                &[
                    ("green", None),
                    ("yellow", Some(60.0)),
                    ("orange", Some(75.0)),
                    ("red", Some(90.0)),
                    ("dark-red", Some(95.0)),
                ],
                Ok((Some(60.0), Some(90.0))),
            ),
            (&[("green", None), ("semi-dark-orange", Some(5.0))], Ok((Some(5.0), None))),
            (&[("green", None), ("#F2495C", Some(1.0))], Ok((None, Some(1.0)))),
            (&[("green", None), ("blue", Some(1.0))], Ok((None, None))),
            // Cache hit ratio: red below 0.9, green above.
            (&[("red", None), ("green", Some(0.9))], Err(())),
        ];
        for (list, want) in table {
            let got = thresholds(&steps(list), false, None, None).map_err(|_| ());
            assert_eq!(got, want, "{list:?}");
        }
        let pct = steps(&[("green", None), ("orange", Some(50.0)), ("red", Some(80.0))]);
        assert_eq!(thresholds(&pct, true, Some(0.0), Some(200.0)), Ok((Some(100.0), Some(160.0))));
        assert!(thresholds(&pct, true, None, Some(200.0)).is_err());
        assert_eq!(legacy_thresholds("70, 90"), (Some(70.0), Some(90.0)));
        assert_eq!(legacy_thresholds("x"), (None, None));
    }
}
