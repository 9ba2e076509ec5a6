//! What warroom reads from a Prometheus rule's annotations: the summary (Go template → warroom
//! template), and the `warroom_*` annotations that carry what Prometheus has no word for
//! (hysteresis, what no data means). Prometheus keeps and ignores them.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::alert::Policy;

/// Annotations holding the summary, in order of preference (as the pager reads alerts).
pub use crate::pager::SUMMARY_ANNOTATIONS;

/// `warroom_resolve`: the level a firing alert must get back past to clear.
pub const RESOLVE: &str = "warroom_resolve";
/// `warroom_no_data`: `alert` (default), `keep` or `ok` — what an empty answer means.
pub const NO_DATA: &str = "warroom_no_data";
/// `warroom_on_error`: `alert` (default), `keep` or `ok` — what a failed query means.
pub const ON_ERROR: &str = "warroom_on_error";

/// The summary template of a rule: the first summary annotation, translated.
pub fn summary(annotations: &BTreeMap<String, String>) -> Option<String> {
    SUMMARY_ANNOTATIONS
        .iter()
        .filter_map(|k| annotations.get(*k))
        .find(|v| !v.trim().is_empty())
        .map(|v| translate(v))
}

/// Go template actions that are structure, not a value.
const CONTROL: [&str; 8] = ["if", "else", "end", "range", "with", "define", "template", "block"];

/// A Prometheus (Go) template as a warroom template: `{{ $value }}` and its pipelines
/// (`{{ $value | humanize }}`, `{{ printf "%.1f" $value }}`) → `{{ value }}`;
/// `{{ $labels.x }}`, `{{ .Labels.x }}`, `{{ index $labels "x" }}` → `{{ labels.x }}`; other
/// actions (`if`, `range`, `end`, queries) are left out, their text kept.
pub fn translate(go: &str) -> String {
    static ACTION: OnceLock<Option<Regex>> = OnceLock::new();
    static LABEL: OnceLock<Option<Regex>> = OnceLock::new();
    let action = ACTION.get_or_init(|| Regex::new(r"(?s)\{\{-?(.*?)-?\}\}").ok());
    let label = LABEL.get_or_init(|| {
        Regex::new(
            r#"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)|index\s+(?:\$labels|\.Labels)\s+"([A-Za-z_][A-Za-z0-9_]*)""#,
        )
        .ok()
    });
    let (Some(action), Some(label)) = (action, label) else { return go.to_string() };
    let out = action.replace_all(go, |c: &regex::Captures<'_>| {
        let inner = c.get(1).map_or("", |m| m.as_str());
        let word = inner.split_whitespace().next().unwrap_or_default();
        if CONTROL.contains(&word) {
            String::new()
        } else if let Some(l) = label.captures(inner) {
            let name = l.get(1).or(l.get(2)).map_or("", |m| m.as_str());
            format!("{{{{ labels.{name} }}}}")
        } else if inner.contains("$value") || inner.contains(".Value") {
            "{{ value }}".to_string()
        } else {
            String::new()
        }
    });
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A policy annotation's value, or what is wrong with it.
pub fn policy(annotations: &BTreeMap<String, String>, key: &str) -> Result<Policy, String> {
    match annotations.get(key).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("alert") => Ok(Policy::Alert),
        Some("keep") => Ok(Policy::Keep),
        Some("ok") => Ok(Policy::Ok),
        Some(other) => Err(format!("annotation {key}: {other:?} is not alert, keep or ok")),
    }
}

/// The `warroom_resolve` level, or what is wrong with it.
pub fn resolve(annotations: &BTreeMap<String, String>) -> Result<Option<f64>, String> {
    let Some(v) = annotations.get(RESOLVE) else { return Ok(None) };
    match v.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(format!("annotation {RESOLVE}: {v:?} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_templates_become_warroom_templates() {
        let cases = [
            (
                "CPU {{ $value }}% on {{ $labels.instance }}",
                "CPU {{ value }}% on {{ labels.instance }}",
            ),
            ("{{ $value | humanizePercentage }} used", "{{ value }} used"),
            ("{{ printf \"%.2f\" $value }}s", "{{ value }}s"),
            ("{{- .Labels.job -}} down ({{ .Value }})", "{{ labels.job }} down ({{ value }})"),
            ("{{ index $labels \"datname\" }}", "{{ labels.datname }}"),
            ("{{ if gt $value 1.0 }}many{{ end }} left", "many left"),
            ("plain text", "plain text"),
        ];
        for (go, want) in cases {
            assert_eq!(translate(go), want, "{go}");
        }
    }

    #[test]
    fn overrides() {
        let mut a = BTreeMap::new();
        assert_eq!(policy(&a, NO_DATA), Ok(Policy::Alert));
        a.insert(NO_DATA.to_string(), "OK".to_string());
        a.insert(RESOLVE.to_string(), "70".to_string());
        assert_eq!(policy(&a, NO_DATA), Ok(Policy::Ok));
        assert_eq!(resolve(&a), Ok(Some(70.0)));
        a.insert(ON_ERROR.to_string(), "ignore".to_string());
        a.insert(RESOLVE.to_string(), "NaN".to_string());
        assert!(policy(&a, ON_ERROR).is_err());
        assert!(resolve(&a).is_err());
    }
}
