//! What a panel widget draws from: the panel's spec, its data and how to colour it.

use ratatui::style::Style;

use crate::config::PanelSpec;
use crate::model::{Model, PanelData};
use crate::prom::Labels;
use crate::sanitize;
use crate::template;
use crate::theme::{Role, Theme};

/// What a panel widget draws from.
pub struct PanelView<'a> {
    pub model: &'a Model,
    pub theme: &'a Theme,
    pub spec: &'a PanelSpec,
    /// The series to draw (with the live twin's newest samples) and the queries behind them.
    pub data: PanelData<'a>,
    /// Data is not current: draw it muted.
    pub stale: bool,
    /// Zoomed: steps back from the newest point of the inspection cursor.
    pub cursor: Option<usize>,
}

impl PanelView<'_> {
    /// The legend of a series with these labels: the panel's template, else the labels. Every
    /// legend stands beside a value that says its unit, so the template's trailing repeat of
    /// the unit is left out (`commits/s` → `commits`, see [`Unit::without_repeat`]); a
    /// template that is only the unit gives the title.
    ///
    /// [`Unit::without_repeat`]: crate::units::Unit::without_repeat
    pub fn legend(&self, labels: &Labels) -> String {
        let raw = match self.spec.legend.as_deref().map(|t| self.spec.unit.without_repeat(t)) {
            Some("") => self.spec.title.clone(),
            Some(t) => template::render_lenient(t, template::label_lookup(labels)),
            None if labels.is_empty() => self.spec.title.clone(),
            None => labels
                .iter()
                .filter(|(k, _)| k.as_str() != "__name__")
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        };
        sanitize::clean_owned(&raw)
    }

    /// Colour of a value against the panel's thresholds.
    pub fn value_style(&self, v: f64) -> Style {
        // NaN is no value at all; ±Inf is a value (a ratio over zero) and meets thresholds.
        let role = if v.is_nan() {
            Role::NoData
        } else if self.spec.critical.is_some_and(|c| v >= c) {
            Role::Critical
        } else if self.spec.warning.is_some_and(|w| v >= w) {
            Role::Warning
        } else if self.spec.warning.is_some() || self.spec.critical.is_some() {
            Role::Ok
        } else {
            Role::Text
        };
        self.dim(self.theme.style(role))
    }

    /// Mutes a style when the data is stale.
    pub fn dim(&self, style: Style) -> Style {
        if self.stale {
            self.theme.style(Role::Stale)
        } else {
            style
        }
    }
}
