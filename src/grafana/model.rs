//! Serde structs of a Grafana Classic dashboard (JSON model, as exported or as the HTTP API's
//! `{"dashboard": …}` wraps it). Only what the import reads; every other field is ignored. Fields
//! whose type varies between Grafana versions are kept as [`Value`] and read leniently.

use serde::Deserialize;
use serde_json::Value;

/// The dashboard, or the API's wrapper around it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardJson {
    /// Set when the file is the HTTP API's `{"dashboard": …, "meta": …}`.
    pub dashboard: Option<Box<DashboardJson>>,
    pub title: Option<String>,
    pub panels: Vec<PanelJson>,
    /// The pre-5.0 schema's rows (`rows[].panels` with `span`): not read, only reported.
    pub rows: Vec<Value>,
    pub templating: Templating,
    /// Datasource inputs of an exported dashboard (`${DS_PROMETHEUS}`).
    #[serde(rename = "__inputs")]
    pub inputs: Vec<Input>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Templating {
    pub list: Vec<VarJson>,
}

/// One of `__inputs`: `{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
/// "pluginId": "prometheus"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Input {
    pub name: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "pluginId")]
    pub plugin_id: Option<String>,
    pub value: Option<String>,
}

/// A panel, a row (`type: "row"`, with its `panels` when collapsed) or anything else.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PanelJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[serde(rename = "gridPos")]
    pub grid_pos: GridPos,
    /// Panels of a collapsed row.
    pub panels: Vec<PanelJson>,
    pub datasource: Value,
    pub targets: Vec<Target>,
    #[serde(rename = "fieldConfig")]
    pub field_config: FieldConfig,
    /// `repeat: "var"`: Grafana draws one copy per value.
    pub repeat: Option<String>,
    /// Old `singlestat` unit.
    pub format: Option<String>,
    /// Old `singlestat` thresholds, `"70,90"`; newer panels keep theirs in `fieldConfig`.
    pub thresholds: Value,
    /// Old `graph` axes: the first one's `format` is the unit.
    pub yaxes: Vec<YAxis>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YAxis {
    pub format: Option<String>,
    pub min: Value,
    pub max: Value,
}

/// Place on the 24-column grid; heights in grid units of 30 px.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct GridPos {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Target {
    pub expr: Option<String>,
    #[serde(rename = "legendFormat")]
    pub legend_format: Option<String>,
    pub hide: bool,
    #[serde(rename = "refId")]
    pub ref_id: Option<String>,
    pub datasource: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FieldConfig {
    pub defaults: Defaults,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Defaults {
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub decimals: Option<f64>,
    pub thresholds: Option<Thresholds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// `absolute` (the default) or `percentage` (of min…max).
    pub mode: Option<String>,
    pub steps: Vec<Step>,
}

/// A threshold step: from `value` on (the base step has none) values show in `color`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Step {
    pub color: String,
    pub value: Option<f64>,
}

/// A template variable.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VarJson {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// A string, or `{"query": "…", "refId": …}` in newer versions.
    pub query: Value,
    pub definition: Option<String>,
    pub regex: Option<String>,
    pub multi: bool,
    #[serde(rename = "includeAll")]
    pub include_all: bool,
    #[serde(rename = "allValue")]
    pub all_value: Option<String>,
    pub current: Current,
    pub options: Vec<OptionJson>,
    pub datasource: Value,
}

/// The value chosen when the dashboard was saved: a string or a list of them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Current {
    pub text: Value,
    pub value: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptionJson {
    pub text: Value,
    pub value: Value,
    pub selected: bool,
}

/// The strings in `v`: a string, or each string of a list; anything else is none.
pub fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(String::from)).collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}
