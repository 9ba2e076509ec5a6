//! One `[[alerts]]` entry of the config: what to query, which thresholds, how long to wait, and
//! what to do when the data stops coming. Validation returns problems a person can fix.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use super::direction::Direction;
use crate::template;

/// How bad an alert is. Ordered: `Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    /// A marker that reads without colour: `"!"` for warning, `"!!"` for critical.
    pub fn symbol(self) -> &'static str {
        match self {
            Severity::Warning => "!",
            Severity::Critical => "!!",
        }
    }

    /// A short upper-case label for tables and snapshots: `"WARN"` or `"CRIT"`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Warning => "WARN",
            Severity::Critical => "CRIT",
        }
    }
}

/// What to do when the query returns nothing (`no_data`) or fails (`on_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Raise a "no data" / "error" alert after the rule's `for` period (never a silent OK).
    #[default]
    Alert,
    /// Leave every state as it was, as if the evaluation had not happened.
    Keep,
    /// Count it as the condition being false: everything resolves.
    Ok,
}

/// One `[[alerts]]` entry.
///
/// ```toml
/// [[alerts]]
/// name = "db_cpu_high"
/// panel = "db_cpu"
/// warning = 80
/// critical = 95
/// resolve = 70
/// for = "2m"
/// summary = "DB CPU {{ value }}% on {{ labels.instance }}"
/// runbook = "db-cpu"
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Identifier shown in the alert list and used as `alertname`.
    pub name: String,
    /// PromQL to evaluate; exactly one of `query` and `panel` is set.
    #[serde(default)]
    pub query: Option<String>,
    /// Name of a panel whose query this rule evaluates.
    #[serde(default)]
    pub panel: Option<String>,
    /// Source to query; the default source when absent.
    #[serde(default)]
    pub source: Option<String>,
    /// Which side of the thresholds is bad; `above` by default. `present`: every series the
    /// query returns is an alert of `severity` (no thresholds).
    #[serde(default)]
    pub direction: Direction,
    /// The severity of a `present` rule's alerts (`warning` when absent).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Threshold for a warning.
    #[serde(default)]
    pub warning: Option<f64>,
    /// Threshold for a critical alert.
    #[serde(default)]
    pub critical: Option<f64>,
    /// While firing, the alert clears only once the value is back past this level
    /// (not strictly beyond it). Defaults to the lowest firing threshold.
    #[serde(default)]
    pub resolve: Option<f64>,
    /// How long the condition must hold before the alert fires; 0 fires at once.
    #[serde(rename = "for", default, deserialize_with = "crate::duration::de")]
    pub for_: Duration,
    /// How long a firing alert stays firing after the condition stops holding.
    #[serde(default, deserialize_with = "crate::duration::de")]
    pub keep_firing_for: Duration,
    /// Template with `{{ value }}`, `{{ threshold }}`, `{{ severity }}`, `{{ rule }}` and
    /// `{{ labels.NAME }}`; `"{{ rule }} is {{ value }}"` when absent.
    #[serde(default)]
    pub summary: Option<String>,
    /// Id of the runbook to show beside the alert, or a URL (whose last path segment may name
    /// a runbook of the folder; else the link is shown).
    #[serde(default)]
    pub runbook: Option<String>,
    /// What an empty answer (or a `NaN` value) means.
    #[serde(default)]
    pub no_data: Policy,
    /// What a failed query means.
    #[serde(default)]
    pub on_error: Policy,
    /// Extra labels added to every alert of this rule (they win over the series' own labels).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Where the rule was written, when not in the config's `[[alerts]]` (a Prometheus rule
    /// file's alert), for messages.
    #[serde(skip)]
    pub defined_at: Option<crate::diag::Place>,
}

/// Summary template used when a rule has none.
pub const DEFAULT_SUMMARY: &str = "{{ rule }} is {{ value }}";

/// Placeholders a summary may use besides `labels.NAME`.
pub const SUMMARY_VARS: [&str; 4] = ["value", "threshold", "severity", "rule"];

impl RuleSpec {
    /// The severity a value calls for on its own, ignoring hysteresis and `for`.
    pub fn level(&self, value: f64) -> Option<Severity> {
        if !self.direction.has_thresholds() {
            return Some(self.present_severity());
        }
        let beyond = |t: Option<f64>| t.is_some_and(|t| self.direction.beyond(value, t));
        if beyond(self.critical) {
            Some(Severity::Critical)
        } else if beyond(self.warning) {
            Some(Severity::Warning)
        } else {
            None
        }
    }

    /// The severity of a `present` rule's alerts.
    fn present_severity(&self) -> Severity {
        self.severity.unwrap_or(Severity::Warning)
    }

    /// The least severe configured threshold: the one that starts an alert.
    pub fn firing_threshold(&self) -> Option<f64> {
        self.warning.or(self.critical)
    }

    /// The level a firing alert must get back past to clear.
    pub fn resolve_threshold(&self) -> Option<f64> {
        self.resolve.or_else(|| self.firing_threshold())
    }

    /// Whether a firing alert with this value keeps firing (hysteresis). A `present` rule's
    /// series fires for as long as it is there.
    pub fn still_firing(&self, value: f64) -> bool {
        if !self.direction.has_thresholds() {
            return true;
        }
        self.resolve_threshold().is_some_and(|r| self.direction.beyond(value, r))
    }

    /// What an empty answer means: a `present` rule's empty answer is all being well.
    pub fn no_data_policy(&self) -> Policy {
        if self.direction.has_thresholds() {
            self.no_data
        } else {
            Policy::Ok
        }
    }

    /// The most severe severity this rule can raise (used for no-data and error alerts).
    pub fn max_severity(&self) -> Severity {
        if !self.direction.has_thresholds() {
            self.present_severity()
        } else if self.critical.is_some() {
            Severity::Critical
        } else {
            Severity::Warning
        }
    }

    /// The least severe severity this rule can raise.
    pub fn min_severity(&self) -> Severity {
        if !self.direction.has_thresholds() {
            self.present_severity()
        } else if self.warning.is_some() {
            Severity::Warning
        } else {
            Severity::Critical
        }
    }

    /// The threshold that belongs to `severity`.
    pub fn threshold(&self, severity: Severity) -> Option<f64> {
        match severity {
            Severity::Warning => self.warning,
            Severity::Critical => self.critical,
        }
    }

    /// The summary template in effect.
    pub fn summary_template(&self) -> &str {
        self.summary.as_deref().unwrap_or(DEFAULT_SUMMARY)
    }

    /// Problems with this rule, each phrased so a person can fix it. Empty when valid.
    /// Does not check that `panel`, `source` or `runbook` exist: the config knows those.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !is_identifier(&self.name) {
            problems.push(format!(
                "name {:?} is not an identifier: use letters, digits, '_' or '-', starting with a letter",
                self.name
            ));
        }
        match (&self.query, &self.panel) {
            (Some(_), Some(_)) => problems.push(
                "both query and panel are set: keep one (panel reuses that panel's query)".into(),
            ),
            (None, None) => problems.push(
                "neither query nor panel is set: add query = \"PromQL\" or panel = \"PANEL_NAME\""
                    .into(),
            ),
            (Some(q), None) if q.trim().is_empty() => {
                problems.push("query is empty: write the PromQL to evaluate".into())
            }
            (None, Some(p)) if p.trim().is_empty() => {
                problems.push("panel is empty: name the panel whose query to use".into())
            }
            _ => {}
        }
        for (what, value) in [("source", &self.source), ("runbook", &self.runbook)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                problems.push(format!("{what} is empty: remove it or name one"));
            }
        }
        self.validate_thresholds(&mut problems);
        self.validate_summary(&mut problems);
        for key in self.labels.keys() {
            if !is_label_name(key) {
                problems.push(format!(
                    "label name {key:?} is not valid: use letters, digits and '_', not starting with a digit"
                ));
            }
        }
        problems
    }

    fn validate_thresholds(&self, problems: &mut Vec<String>) {
        for (what, value) in
            [("warning", self.warning), ("critical", self.critical), ("resolve", self.resolve)]
        {
            if value.is_some_and(|v| !v.is_finite()) {
                problems.push(format!("{what} must be a finite number"));
            }
        }
        let dir = self.direction;
        if !dir.has_thresholds() {
            if self.warning.is_some() || self.critical.is_some() || self.resolve.is_some() {
                problems.push(
                    "direction \"present\" has no thresholds: remove warning, critical and \
                     resolve, and set severity = \"warning\" or \"critical\""
                        .into(),
                );
            }
            return;
        }
        if self.severity.is_some() {
            problems.push(
                "severity is only for direction = \"present\": the thresholds give the severity"
                    .into(),
            );
        }
        match (self.warning, self.critical) {
            (None, None) => problems.push(
                "no threshold: set warning = N and/or critical = N".into(),
            ),
            (Some(w), Some(c)) if !dir.beyond(c, w) => problems.push(format!(
                "critical {c} is not {} warning {w} for direction {}: critical must be the more severe threshold",
                dir.as_str(),
                dir.as_str()
            )),
            _ => {}
        }
        if let (Some(r), Some(t)) = (self.resolve, self.firing_threshold()) {
            if dir.beyond(r, t) && r != t {
                let name = if self.warning.is_some() { "warning" } else { "critical" };
                let fix = if dir.rising() { "below" } else { "above" };
                problems.push(format!(
                    "resolve {r} is {} {name} {t} for direction {}: set resolve {fix} the threshold",
                    dir.as_str(),
                    dir.as_str()
                ));
            }
        }
    }

    fn validate_summary(&self, problems: &mut Vec<String>) {
        let Some(summary) = &self.summary else { return };
        match template::placeholders(summary) {
            Err(e) => problems.push(format!("summary: {e}")),
            Ok(names) => {
                for name in names {
                    let ok = SUMMARY_VARS.contains(&name)
                        || name.strip_prefix("labels.").is_some_and(is_label_name);
                    if !ok {
                        problems.push(format!(
                            "summary: unknown placeholder {{{{ {name} }}}}: use {{{{ labels.{name} }}}} \
                             for a label, or one of value, threshold, severity, rule"
                        ));
                    }
                }
            }
        }
    }
}

/// Problems across all rules: each rule's own (prefixed with its name) plus duplicate names.
pub fn validate_all(rules: &[RuleSpec]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for rule in rules {
        for p in rule.validate() {
            problems.push(format!("alert {:?}: {p}", rule.name));
        }
        if !seen.insert(rule.name.as_str()) {
            problems.push(format!(
                "alert {:?}: the name is used by another alert: rename one of them",
                rule.name
            ));
        }
    }
    problems
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<RuleSpec, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn parses_a_full_entry() {
        let rule = parse(
            r#"
            name = "db_cpu_high"
            panel = "db_cpu"
            direction = "above"
            warning = 80
            critical = 95.5
            resolve = 70
            for = "2m"
            keep_firing_for = "30s"
            summary = "DB CPU {{ value }}% on {{ labels.instance }}"
            runbook = "db-cpu"
            no_data = "keep"
            on_error = "ok"
            labels = { team = "dba" }
            "#,
        )
        .unwrap();
        assert_eq!(rule.warning, Some(80.0));
        assert_eq!(rule.critical, Some(95.5));
        assert_eq!(rule.for_, Duration::from_secs(120));
        assert_eq!(rule.keep_firing_for, Duration::from_secs(30));
        assert_eq!(rule.no_data, Policy::Keep);
        assert_eq!(rule.on_error, Policy::Ok);
        assert_eq!(rule.labels["team"], "dba");
        assert!(rule.validate().is_empty(), "{:?}", rule.validate());
    }

    #[test]
    fn defaults() {
        let rule = parse("name = \"x\"\nquery = \"up\"\ncritical = 1").unwrap();
        assert_eq!(rule.direction, Direction::Above);
        assert_eq!(rule.for_, Duration::ZERO);
        assert_eq!(rule.keep_firing_for, Duration::ZERO);
        assert_eq!(rule.no_data, Policy::Alert);
        assert_eq!(rule.on_error, Policy::Alert);
        assert_eq!(rule.resolve_threshold(), Some(1.0));
        assert_eq!(rule.summary_template(), DEFAULT_SUMMARY);
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        let err = parse("name = \"x\"\nquery = \"up\"\nwarn = 1").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        assert!(parse("name = \"x\"\nquery = \"up\"\ndirection = \"sideways\"").is_err());
        assert!(parse("name = \"x\"\nquery = \"up\"\nfor = \"5 minutes\"").is_err());
        assert!(parse("name = \"x\"\nquery = \"up\"\nno_data = \"ignore\"").is_err());
    }

    #[test]
    fn validation_messages_say_what_to_fix() {
        let cases: &[(&str, &str)] = &[
            ("name = \"x\"\nwarning = 1", "neither query nor panel"),
            ("name = \"x\"\nquery = \"up\"\npanel = \"p\"\nwarning = 1", "keep one"),
            ("name = \"x\"\nquery = \"up\"", "no threshold"),
            ("name = \"1x\"\nquery = \"up\"\nwarning = 1", "not an identifier"),
            (
                "name = \"x\"\nquery = \"up\"\nwarning = 80\nresolve = 90",
                "resolve 90 is above warning 80 for direction above: set resolve below the threshold",
            ),
            (
                "name = \"x\"\nquery = \"up\"\ndirection = \"below\"\ncritical = 5\nresolve = 2",
                "resolve 2 is below critical 5 for direction below: set resolve above the threshold",
            ),
            (
                "name = \"x\"\nquery = \"up\"\nwarning = 90\ncritical = 80",
                "critical 80 is not above warning 90",
            ),
            (
                "name = \"x\"\nquery = \"up\"\nwarning = 1\nsummary = \"{{ instance }}\"",
                "{{ labels.instance }}",
            ),
            ("name = \"x\"\nquery = \"up\"\nwarning = 1\nsummary = \"{{ value\"", "summary:"),
            ("name = \"x\"\nquery = \"up\"\nwarning = nan", "finite"),
            (
                "name = \"x\"\nquery = \"up\"\nwarning = 1\nlabels = { \"bad-key\" = \"v\" }",
                "label name",
            ),
        ];
        for (text, expected) in cases {
            let problems = parse(text).unwrap().validate();
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{text}: expected {expected:?} in {problems:?}"
            );
        }
    }

    #[test]
    fn duplicate_names_are_reported() {
        let rule = parse("name = \"x\"\nquery = \"up\"\nwarning = 1").unwrap();
        let problems = validate_all(&[rule.clone(), rule]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("used by another alert"));
    }

    #[test]
    fn levels_and_hysteresis() {
        let rule = parse("name = \"x\"\nquery = \"up\"\nwarning = 80\ncritical = 90\nresolve = 70")
            .unwrap();
        assert_eq!(rule.level(80.0), None);
        assert_eq!(rule.level(85.0), Some(Severity::Warning));
        assert_eq!(rule.level(95.0), Some(Severity::Critical));
        assert_eq!(rule.level(f64::NAN), None);
        assert!(rule.still_firing(75.0));
        assert!(!rule.still_firing(70.0));
        assert!(!rule.still_firing(f64::NAN));
    }

    #[test]
    fn severity_reads_without_colour() {
        assert_eq!(Severity::Critical.symbol(), "!!");
        assert_eq!(Severity::Critical.label(), "CRIT");
        assert_eq!(Severity::Warning.symbol(), "!");
        assert_eq!(Severity::Warning.label(), "WARN");
        assert!(Severity::Warning < Severity::Critical);
    }
}
