//! One Grafana panel as a [`Draft`]: its kind, unit, min/max, thresholds and visible queries
//! with their datasources, and what of it warroom cannot show.

use serde_json::Value;

use super::model::Input;
use super::{clip, layout, map, vars, Draft, Query, MAX_TITLE};
use crate::units::Unit;

/// Most visible targets of one panel shown (each becomes a panel).
pub const MAX_TARGETS: usize = 20;
/// Longest query taken (longer ones are refused).
const MAX_QUERY: usize = 16 * 1024;

/// A panel as a draft, and what of it is not shown (message, fix).
pub(super) fn draft(
    p: &layout::Placed,
    inputs: &[Input],
    sources: &[&str],
) -> (Option<Draft>, Vec<(String, String)>) {
    let panel = p.panel;
    let mut found: Vec<(String, String)> = Vec::new();
    let Some(kind) = map::kind(&panel.kind) else {
        let msg =
            format!("type {:?} is not supported: the panel is not shown", clip(&panel.kind, 40));
        found.push((
            msg,
            "warroom shows timeseries, graph, stat, gauge, bargauge and table panels".into(),
        ));
        return (None, found);
    };
    if let Some(var) = &panel.repeat {
        found.push((
            format!(
                "repeat by ${}: shown once, for every value at once",
                crate::sanitize::clean(var)
            ),
            "repeated panels are drawn once; narrow the variable to see one value".into(),
        ));
    }
    let d = &panel.field_config.defaults;
    let legacy_unit =
        panel.format.clone().or_else(|| panel.yaxes.first().and_then(|a| a.format.clone()));
    let unit = match d.unit.clone().or(legacy_unit) {
        None => Unit::None,
        Some(id) => map::unit(&id).unwrap_or_else(|| {
            found.push((
                format!("unit {:?} is not one warroom has: values are shown as plain numbers", clip(&id, 40)),
                "warroom has none, short, percent, percentunit, bytes, decbytes, Bps, binBps, s, ms, \
                 ops, reqps, rps, wps, iops, cps and suffix:TEXT"
                    .into(),
            ));
            Unit::None
        }),
    };
    let (min, max) = (d.min.filter(|v| v.is_finite()), d.max.filter(|v| v.is_finite()));
    let (warning, critical) = match (&d.thresholds, &panel.thresholds) {
        (Some(t), _) => {
            let percent = t.mode.as_deref() == Some("percentage");
            map::thresholds(&t.steps, percent, min, max).unwrap_or_else(|e| {
                found.push((
                    e,
                    "set absolute steps where higher is worse, or alert on the query instead"
                        .into(),
                ));
                (None, None)
            })
        }
        (None, Value::String(s)) => map::legacy_thresholds(s),
        _ => (None, None),
    };
    let mut queries = Vec::new();
    let visible = panel.targets.iter().filter(|t| !t.hide).count();
    if visible > MAX_TARGETS {
        found.push((
            format!("{visible} visible queries: the first {MAX_TARGETS} are shown"),
            "hide the queries not needed on call".into(),
        ));
    }
    for (k, t) in panel.targets.iter().filter(|t| !t.hide).take(MAX_TARGETS).enumerate() {
        // Grafana names targets A, B, C… when the file does not.
        let letter = char::from(b'A' + (k % 26) as u8).to_string();
        let ref_id = t.ref_id.as_deref().filter(|r| !r.trim().is_empty()).unwrap_or(&letter);
        let ref_id = clip(&crate::sanitize::clean(ref_id), 20);
        let ds = if t.datasource.is_null() { &panel.datasource } else { &t.datasource };
        let source = match datasource(ds, inputs, sources) {
            Ok(s) => s,
            Err(e) => {
                found.push((
                    format!("query {ref_id}: {e}: not shown"),
                    "warroom reads Prometheus datasources".into(),
                ));
                continue;
            }
        };
        let Some(expr) = t.expr.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
            found.push((
                format!("query {ref_id} has no PromQL `expr`: not shown"),
                "give the target a PromQL expression".into(),
            ));
            continue;
        };
        if expr.len() > MAX_QUERY {
            found.push((
                format!("query {ref_id} is longer than {MAX_QUERY} bytes: not shown"),
                "shorten it".into(),
            ));
            continue;
        }
        let legend = vars::legend(t.legend_format.as_deref()).map(|l| clip(&l, 200));
        queries.push(Query { expr: expr.to_string(), legend, ref_id, source });
    }
    if queries.is_empty() {
        if panel.targets.iter().all(|t| t.hide) {
            found.push((
                "no visible query: the panel is not shown".into(),
                "unhide a target or remove the panel".into(),
            ));
        }
        return (None, found);
    }
    let title = clip(&panel.title, MAX_TITLE);
    let draft = Draft { title, kind, queries, unit, min, max, warning, critical, width: p.width };
    (Some(draft), found)
}

/// The config source a datasource reference names (`None`: the default source), or why it is
/// not a Prometheus one.
pub(super) fn datasource(
    v: &Value,
    inputs: &[Input],
    sources: &[&str],
) -> Result<Option<String>, String> {
    let (kind, name) = match v {
        Value::Null => return Ok(None),
        Value::String(s) => (None, s.as_str()),
        Value::Object(o) => (
            o.get("type").and_then(Value::as_str),
            o.get("uid").and_then(Value::as_str).unwrap_or(""),
        ),
        _ => return Ok(None),
    };
    let foreign =
        |t: &str| Err(format!("datasource type {:?}", clip(&crate::sanitize::clean(t), 40)));
    match kind {
        Some("datasource") | None
            if matches!(name, "-- Mixed --" | "-- Dashboard --" | "grafana" | "-- Grafana --") =>
        {
            return foreign(name)
        }
        Some("__expr__") => return foreign("expression"),
        Some(t) if !t.contains("prometheus") && t != "datasource" => return foreign(t),
        _ => {}
    }
    let var = name
        .strip_prefix("${")
        .and_then(|n| n.strip_suffix('}'))
        .or_else(|| name.strip_prefix('$'));
    let label = match var {
        Some(var) => match inputs.iter().find(|i| i.name == var) {
            Some(input) => {
                if let Some(plugin) =
                    input.plugin_id.as_deref().filter(|p| !p.contains("prometheus"))
                {
                    return foreign(plugin);
                }
                input.label.as_deref().unwrap_or("")
            }
            // A datasource variable: the default source stands for it.
            None => return Ok(None),
        },
        None => name,
    };
    Ok(sources.iter().find(|s| **s == label).map(|s| (*s).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasources() {
        let inputs: Vec<Input> = serde_json::from_str(
            r#"[{"name":"DS_PROMETHEUS","label":"eu","type":"datasource","pluginId":"prometheus"},
                {"name":"DS_LOKI","label":"logs","type":"datasource","pluginId":"loki"}]"#,
        )
        .unwrap();
        let ds =
            |json: &str| datasource(&serde_json::from_str(json).unwrap(), &inputs, &["main", "eu"]);
        let table: [(&str, Result<Option<&str>, ()>); 10] = [
            ("null", Ok(None)),
            (r#""${DS_PROMETHEUS}""#, Ok(Some("eu"))),
            (r#""$datasource""#, Ok(None)),
            (r#""main""#, Ok(Some("main"))),
            (r#""Prometheus""#, Ok(None)),
            (r#"{"type":"prometheus","uid":"${DS_PROMETHEUS}"}"#, Ok(Some("eu"))),
            (r#"{"type":"prometheus","uid":"abc123"}"#, Ok(None)),
            (r#"{"type":"loki","uid":"x"}"#, Err(())),
            (r#""${DS_LOKI}""#, Err(())),
            (r#"{"type":"datasource","uid":"-- Mixed --"}"#, Err(())),
        ];
        for (json, want) in table {
            assert_eq!(ds(json).map_err(|_| ()), want.map(|o| o.map(String::from)), "{json}");
        }
    }
}
