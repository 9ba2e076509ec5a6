//! Filling a rule's summary template for one alert, and formatting values for people.

use crate::prom::Labels;
use crate::sanitize;
use crate::template;

use super::rule::{RuleSpec, Severity};

/// Formats a value for a summary: at most two decimals, trailing zeros dropped;
/// `NaN`, `+Inf` and `-Inf` as Prometheus writes them.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// Renders `rule`'s summary for a series with `labels` (already merged with the rule's labels),
/// its current `value` and `severity`. Unknown placeholders render empty; the result is free of
/// control characters, whatever the labels hold.
pub fn render(rule: &RuleSpec, labels: &Labels, value: f64, severity: Severity) -> String {
    let labels_of = template::label_lookup(labels);
    let text = template::render_lenient(rule.summary_template(), |name| match name {
        "value" => Some(format_value(value)),
        "threshold" => rule.threshold(severity).map(format_value),
        "severity" => Some(severity.label().to_string()),
        "rule" => Some(rule.name.clone()),
        other => labels_of(other),
    });
    sanitize::clean_owned(&text)
}

/// The summary of a rule-level "no data" alert.
pub fn no_data(rule: &RuleSpec) -> String {
    format!("no data: the query of {} returns no series", rule.name)
}

/// The summary of one series' "no data" alert (its value is `NaN`): names the series instead of
/// filling the template with "NaN".
pub fn series_no_data(rule: &RuleSpec, labels: &Labels) -> String {
    let series: Vec<String> = labels
        .iter()
        .filter(|(k, _)| !rule.labels.contains_key(*k))
        .map(|(k, v)| format!("{k}={}", sanitize::clean(v)))
        .collect();
    let series = if series.is_empty() { "its series".to_string() } else { series.join(" ") };
    sanitize::clean_owned(&format!("no data: {} has no value (NaN) for {series}", rule.name))
}

/// The summary of a rule-level "error" alert; `message` comes from the server and is cleaned
/// and shortened.
pub fn query_error(rule: &RuleSpec, message: &str) -> String {
    const MAX: usize = 200;
    let clean = sanitize::clean(message);
    let short: String = clean.chars().take(MAX).collect();
    let ellipsis = if clean.chars().count() > MAX { "…" } else { "" };
    format!("query failed for {}: {short}{ellipsis}", rule.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_values() {
        let cases = [
            (97.0, "97"),
            (97.345, "97.34"),
            (0.5, "0.5"),
            (-0.001, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (1e9, "1000000000"),
        ];
        for (v, text) in cases {
            assert_eq!(format_value(v), text, "{v}");
        }
    }

    #[test]
    fn renders_and_sanitizes() {
        let rule: RuleSpec = toml::from_str(
            "name = \"cpu\"\nquery = \"up\"\nwarning = 80\n\
             summary = \"DB CPU {{ value }}% on {{ labels.instance }} ({{ severity }} > {{ threshold }}) {{ labels.nope }}\"",
        )
        .unwrap();
        let labels: Labels = [("instance".to_string(), "db-1\u{1b}[2J".to_string())].into();
        assert_eq!(
            render(&rule, &labels, 91.5, Severity::Warning),
            "DB CPU 91.5% on db-1\\x1b[2J (WARN > 80) "
        );
    }

    #[test]
    fn series_no_data_names_the_series_not_nan_in_the_template() {
        let rule: RuleSpec = toml::from_str(
            "name = \"cpu\"\nquery = \"up\"\nwarning = 80\nsummary = \"CPU {{ value }}%\"\nlabels = { team = \"dba\" }",
        )
        .unwrap();
        let labels: Labels = [("instance", "db-1\u{7}"), ("team", "dba")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            series_no_data(&rule, &labels),
            "no data: cpu has no value (NaN) for instance=db-1\\x07"
        );
        assert_eq!(
            series_no_data(&rule, &Labels::new()),
            "no data: cpu has no value (NaN) for its series"
        );
    }

    #[test]
    fn error_text_is_cleaned_and_bounded() {
        let rule: RuleSpec =
            toml::from_str("name = \"cpu\"\nquery = \"up\"\nwarning = 80").unwrap();
        let long = format!("bad\u{7}{}", "x".repeat(500));
        let text = query_error(&rule, &long);
        assert!(text.starts_with("query failed for cpu: bad\\x07x"));
        assert!(text.ends_with('…'));
        assert!(text.chars().count() < 260);
    }
}
