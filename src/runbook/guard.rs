//! Conditions on live metrics around an action: `guard`s that must hold just before it runs
//! ("the replica is in sync", "CPU has been above 95 % for 5 minutes"), and a `verify` query
//! that, watched after it ran, says whether it worked ("CPU below 80 % within 2 minutes").
//!
//! Both are PromQL expressions asked of the alert's source as instant queries. A comparison of a
//! query with a number (`max(lag) < 5`) holds when the query answers and every series it returns
//! passes; the value shown is the one closest to failing. Any other expression holds when it
//! returns at least one series, as an alert expression fires. An empty answer, an error or an
//! unreachable source never holds: a guard that cannot be checked refuses the action.

use std::time::Duration;

use crate::alert::summary::format_value;
use crate::alert::Direction;
use crate::prom::{QueryData, Sample};
use crate::promql;
use crate::sanitize;
use crate::units::Unit;

/// A precondition of an action, as the runbook writes it (`query` may hold placeholders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// PromQL; labels may only appear inside quoted strings (`instance="{{ labels.instance }}"`).
    pub query: String,
    /// Why it must hold, shown next to its value: "replica must be in sync".
    pub why: String,
    /// How its values read (`percent`: "98%").
    pub unit: Unit,
}

/// How to tell, after an action ran, whether it worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    /// PromQL that holds once the action had its effect.
    pub query: String,
    /// How long to watch for that after the run ends.
    pub within: Duration,
    /// How its values read (`percent`: "CPU 98% → 71%").
    pub unit: Unit,
}

/// The longest `within` a runbook may ask for.
pub const MAX_WITHIN: Duration = Duration::from_secs(3600);

/// What asking a guard or verify query found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// `Some(true)`: it holds; `Some(false)`: it does not; `None`: it could not be told (no
    /// data, an error): treated as not holding.
    pub holds: Option<bool>,
    /// The value that decided (for comparisons), for "98 % → 71 %".
    pub value: Option<f64>,
    /// For people: `"2.1 (needs < 5)"`, `"no data"`, `"cannot check: …"`.
    pub shown: String,
}

impl Reading {
    /// Whether it was seen to hold.
    pub fn ok(&self) -> bool {
        self.holds == Some(true)
    }

    /// A reading that could not be taken.
    pub fn unknown(why: &str) -> Reading {
        let why: String = sanitize::clean(why).chars().take(200).collect();
        Reading { holds: None, value: None, shown: format!("cannot check: {why}") }
    }
}

/// What watching a verify query after a run found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// It held within the time given.
    pub effective: bool,
    /// Its reading when the run started.
    pub before: Option<Reading>,
    /// The reading that decided: the first that held, or the last one.
    pub after: Reading,
    /// From the run's end to that reading.
    pub elapsed: Duration,
    /// How the values read.
    pub unit: Unit,
}

impl Verdict {
    /// `"effective: 98 → 71 within 40 s"`, `"not effective: 98 → 97 (needs < 80) after 2m"`.
    pub fn summary(&self) -> String {
        let secs = crate::duration::format(Duration::from_secs(self.elapsed.as_secs()));
        let values = match (self.before.as_ref().and_then(|b| b.value), self.after.value) {
            (Some(b), Some(a)) => format!("{} → {}", show(&self.unit, b), show(&self.unit, a)),
            (None, Some(a)) => format!("now {}", show(&self.unit, a)),
            (_, None) => self.after.shown.clone(),
        };
        if self.effective {
            format!("effective: {values} within {secs}")
        } else {
            let needs = self.after.shown.split_once(" (").map_or("", |(_, n)| n);
            let needs = if needs.is_empty() { String::new() } else { format!(" ({needs}") };
            format!("not effective: {values}{needs} after {secs}")
        }
    }
}

/// What to ask the source for, and how to judge its answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Ask `query`; every value must be on the kept side of `threshold`.
    Compare { query: String, direction: Direction, threshold: f64 },
    /// Ask the whole expression; it holds when it returns anything.
    Present { query: String },
}

impl Plan {
    /// How `expr` is asked and judged. An expression that does not parse is asked as it is
    /// (the source says what is wrong with it).
    pub fn of(expr: &str) -> Plan {
        match promql::comparison(expr) {
            Ok(Some(c)) => {
                Plan::Compare { query: c.query, direction: c.direction, threshold: c.threshold }
            }
            _ => Plan::Present { query: expr.trim().to_owned() },
        }
    }

    /// The expression sent to the source.
    pub fn query(&self) -> &str {
        match self {
            Plan::Compare { query, .. } | Plan::Present { query } => query,
        }
    }

    /// Judges the source's answer: its samples (a scalar answer is one sample), or the error;
    /// values read in `unit`.
    pub fn judge(&self, answer: Result<&[Sample], &str>, unit: &Unit) -> Reading {
        let samples = match answer {
            Ok(s) => s,
            Err(e) => return Reading::unknown(e),
        };
        let values: Vec<f64> = samples.iter().map(|s| s.point.v).collect();
        if values.is_empty() {
            return Reading { holds: None, value: None, shown: "no data".into() };
        }
        match self {
            Plan::Present { .. } => {
                let n = values.len();
                let shown = if n == 1 { "1 series".to_owned() } else { format!("{n} series") };
                Reading { holds: Some(true), value: values.first().copied(), shown }
            }
            Plan::Compare { direction, threshold, .. } => {
                let passes = |v: f64| direction.beyond(v, *threshold);
                // The value closest to failing: the first that fails, else the one nearest the
                // threshold on its kept side.
                let worst = values.iter().copied().find(|v| !passes(*v)).unwrap_or_else(|| {
                    let key = |v: f64| (v - threshold).abs();
                    values.iter().copied().fold(f64::NAN, |a, b| {
                        if a.is_nan() || key(b) < key(a) {
                            b
                        } else {
                            a
                        }
                    })
                });
                let holds = values.iter().all(|v| passes(*v));
                let op = direction.operator().unwrap_or("?");
                let (worst_text, limit) = (show(unit, worst), show(unit, *threshold));
                let mut shown = format!("{worst_text} (needs {op} {limit})");
                if values.len() > 1 {
                    shown.push_str(&format!(", {} series", values.len()));
                }
                Reading { holds: Some(holds), value: Some(worst), shown }
            }
        }
    }
}

/// Asks `client`'s source for `expr` now and judges the answer (see [`Plan`]), values in `unit`.
pub async fn read_on(client: &crate::prom::Client, expr: &str, unit: &Unit) -> Reading {
    let plan = Plan::of(expr);
    let answer = match client.query(plan.query(), None).await {
        Ok(fetched) => match fetched.response.data {
            QueryData::Vector(samples) => Ok(samples),
            QueryData::Scalar(point) => Ok(vec![Sample { labels: Default::default(), point }]),
            _ => Err("the query gives no instant vector or scalar".to_owned()),
        },
        Err(e) => Err(e.to_string()),
    };
    match &answer {
        Ok(samples) => plan.judge(Ok(samples), unit),
        Err(e) => plan.judge(Err(e), unit),
    }
}

/// Reads every guard at once; the readings are in the guards' order.
pub async fn read_guards(client: &crate::prom::Client, guards: &[Guard]) -> Vec<Reading> {
    futures_util::future::join_all(guards.iter().map(|g| read_on(client, &g.query, &g.unit))).await
}

/// `v` in `unit`, or as a plain number.
pub fn show(unit: &Unit, v: f64) -> String {
    match unit {
        Unit::None => format_value(v),
        u => u.format(v),
    }
}

/// The first `{{ labels.… }}` placeholder of a PromQL template that is not inside a quoted
/// string. Only there can an escaped label value never change what the expression means.
pub fn label_outside_quotes(template: &str) -> Option<String> {
    let Ok(pieces) = crate::template::pieces(template) else { return None };
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for piece in pieces {
        match piece {
            crate::template::Piece::Text(text) => {
                for c in text.chars() {
                    match (quote, c) {
                        (Some(_), _) if escaped => escaped = false,
                        (Some(_), '\\') => escaped = true,
                        (Some(q), c) if c == q => quote = None,
                        (None, '"' | '\'') => quote = Some(c),
                        _ => {}
                    }
                }
            }
            crate::template::Piece::Var(name) => {
                if name.starts_with("labels.") && quote.is_none() {
                    return Some(name.to_owned());
                }
            }
        }
    }
    None
}

/// `value` as the inside of a PromQL string literal: backslashes and both quotes escaped, line
/// breaks written as `\n`, other control characters dropped.
pub fn promql_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `template` with `vars` filled in and a stand-in for everything else (labels, the
/// dashboard's own values), to see whether it parses and runs.
pub fn sample_fill(template: &str, vars: &std::collections::BTreeMap<String, String>) -> String {
    crate::template::render(template, |name| {
        Some(
            vars.get(name)
                .cloned()
                .unwrap_or_else(|| if name.starts_with("labels.") { "x" } else { "1" }.to_owned()),
        )
    })
    .unwrap_or_else(|_| template.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::{Labels, Point};

    fn samples(values: &[f64]) -> Vec<Sample> {
        values
            .iter()
            .map(|v| Sample { labels: Labels::new(), point: Point { t: 0.0, v: *v } })
            .collect()
    }

    #[test]
    fn a_comparison_holds_only_when_every_series_passes() {
        let plan = Plan::of("max(pg_replication_lag_seconds) < 5");
        assert_eq!(plan.query(), "max(pg_replication_lag_seconds)");
        let r = plan.judge(Ok(&samples(&[2.0])), &Unit::None);
        assert_eq!((r.holds, r.value, r.shown.as_str()), (Some(true), Some(2.0), "2 (needs < 5)"));
        let r = plan.judge(Ok(&samples(&[1.0, 7.5, 3.0])), &Unit::None);
        assert_eq!(r.holds, Some(false));
        assert_eq!(r.shown, "7.5 (needs < 5), 3 series");
        let r = plan.judge(Ok(&samples(&[1.0, 4.0, 3.0])), &Unit::None);
        assert_eq!((r.holds, r.value), (Some(true), Some(4.0)), "the one closest to failing");
    }

    #[test]
    fn values_read_in_their_unit() {
        let plan = Plan::of("min_over_time(cpu[5m]) > 95");
        let r = plan.judge(Ok(&samples(&[98.4])), &Unit::Percent);
        assert_eq!(r.shown, "98.4% (needs > 95%)");
        let verdict = Verdict {
            effective: true,
            before: Some(plan.judge(Ok(&samples(&[98.0])), &Unit::Percent)),
            after: plan.judge(Ok(&samples(&[71.0])), &Unit::Percent),
            elapsed: Duration::from_millis(40_700),
            unit: Unit::Percent,
        };
        assert_eq!(verdict.summary(), "effective: 98% → 71% within 40s");
    }

    #[test]
    fn no_data_and_errors_never_hold() {
        let plan = Plan::of("min_over_time(cpu[5m]) > 95");
        let empty = plan.judge(Ok(&[]), &Unit::None);
        assert_eq!((empty.holds, empty.shown.as_str()), (None, "no data"));
        assert!(!empty.ok());
        let err = plan.judge(Err("connection refused\x1b[2J"), &Unit::None);
        assert!(!err.ok());
        assert_eq!(err.shown, "cannot check: connection refused\\x1b[2J");
    }

    #[test]
    fn an_expression_that_is_no_comparison_holds_when_it_returns_anything() {
        let plan = Plan::of("up{job=\"postgres\"} == 1");
        assert!(matches!(plan, Plan::Present { .. }));
        assert!(plan.judge(Ok(&samples(&[1.0, 1.0])), &Unit::None).ok());
        assert_eq!(plan.judge(Ok(&samples(&[1.0, 1.0])), &Unit::None).shown, "2 series");
        assert!(!plan.judge(Ok(&[]), &Unit::None).ok());
    }

    #[test]
    fn labels_must_sit_inside_quoted_strings() {
        assert_eq!(label_outside_quotes(r#"up{instance="{{ labels.instance }}"} == 1"#), None);
        assert_eq!(label_outside_quotes(r#"x{a='{{ labels.a }}'} > {{ limit }}"#), None);
        assert_eq!(
            label_outside_quotes(r#"x{a="\"{{ labels.a }}"} > {{ labels.b }}"#),
            Some("labels.b".into())
        );
        assert_eq!(label_outside_quotes("{{ labels.q }} > 1"), Some("labels.q".into()));
    }

    #[test]
    fn escaped_values_stay_inside_their_string() {
        let hostile = "a\"} or vector(1) or x{y=\"\\\n\x07";
        let filled = format!("max(up{{instance=\"{}\"}}) < 5", promql_escape(hostile));
        let c = promql::comparison(&filled).unwrap().unwrap();
        let promql_parser::parser::Expr::Aggregate(max) = promql::parse(&c.query).unwrap() else {
            panic!("not one aggregation: {filled}")
        };
        let promql_parser::parser::Expr::VectorSelector(v) = *max.expr else {
            panic!("not one selector: {filled}")
        };
        let values: Vec<&str> = v.matchers.matchers.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(values, ["a\"} or vector(1) or x{y=\"\\\n"]);
    }
}
