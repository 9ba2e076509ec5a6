//! Placeholder units (the full module lands with the theme work).
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    #[default]
    None,
    Percent,
    Short,
    Ops,
    #[serde(rename = "s")]
    Seconds,
}

impl Unit {
    pub fn format(&self, v: f64) -> String {
        if v.is_nan() {
            return "NaN".into();
        }
        match self {
            Unit::Percent => format!("{v:.1}%"),
            _ => format!("{v:.1}"),
        }
    }
}
