//! Reading an action's `guard` and `verify` from the front matter: each query must be a PromQL
//! template whose labels sit inside quoted strings, each `why` must say something, `within` must
//! be a sensible duration.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::guard::{label_outside_quotes, sample_fill, Guard, Verify, MAX_WITHIN};
use super::validate::Validator;
use crate::duration::DurationRepr;
use crate::units::Unit;

/// `guard = { query, why }`, or a list of them (`[[actions.guard]]`).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawGuards {
    One(RawGuard),
    Many(Vec<RawGuard>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGuard {
    query: String,
    why: String,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVerify {
    query: String,
    within: Spanned<DurationRepr>,
    unit: Option<String>,
}

impl Validator<'_> {
    pub(super) fn guards(
        &mut self,
        raw: Option<Spanned<RawGuards>>,
        vars: &BTreeMap<String, String>,
        lines: &mut BTreeMap<String, usize>,
    ) -> Vec<Guard> {
        let Some(raw) = raw else { return Vec::new() };
        let line = self.line(&raw);
        lines.insert("guard".into(), line);
        let list = match raw.into_inner() {
            RawGuards::One(g) => vec![g],
            RawGuards::Many(g) => g,
        };
        if list.is_empty() {
            self.err(line, "guard = [] guards nothing", "add { query = '…', why = \"…\" }");
        }
        let mut out = Vec::new();
        for g in list {
            self.promql_template(line, "guard", &g.query, vars);
            if g.why.trim().is_empty() {
                self.err(
                    line,
                    "a guard needs a `why`: the dialog shows it beside the live value",
                    "say what must be true, e.g. why = \"replica must be in sync\"",
                );
            }
            let unit = self.unit(line, "guard", g.unit.as_deref());
            out.push(Guard { query: g.query, why: g.why.trim().to_owned(), unit });
        }
        out
    }

    pub(super) fn verify(
        &mut self,
        raw: Option<Spanned<RawVerify>>,
        vars: &BTreeMap<String, String>,
        lines: &mut BTreeMap<String, usize>,
    ) -> Option<Verify> {
        let raw = raw?;
        let line = self.line(&raw);
        lines.insert("verify".into(), line);
        let raw = raw.into_inner();
        self.promql_template(line, "verify", &raw.query, vars);
        let within = self.duration(Some(&raw.within), "verify.within", MAX_WITHIN);
        if within.is_zero() || within > MAX_WITHIN {
            self.err(
                self.line(&raw.within),
                "verify.within must be above zero and at most 1h",
                "e.g. within = \"2m\"",
            );
        }
        let unit = self.unit(line, "verify", raw.unit.as_deref());
        Some(Verify { query: raw.query, within, unit })
    }

    /// The unit a guard's or verify query's values are shown in (none: plain numbers).
    fn unit(&mut self, line: usize, field: &str, unit: Option<&str>) -> Unit {
        match unit.map(str::parse::<Unit>) {
            None => Unit::None,
            Some(Ok(u)) => u,
            Some(Err(e)) => {
                self.err(
                    line,
                    format!("{field}.unit: {e}"),
                    "use a panel unit such as \"percent\"",
                );
                Unit::None
            }
        }
    }

    /// `query` as a template over labels and `vars` (the action's constants, which may hold
    /// whole expressions) that fills to PromQL.
    fn promql_template(
        &mut self,
        line: usize,
        field: &str,
        query: &str,
        vars: &BTreeMap<String, String>,
    ) {
        if let Err(e) = crate::template::placeholders(query) {
            self.err(
                line,
                format!("{field}: bad template {query:?}: {e}"),
                "close every {{ with }}",
            );
            return;
        }
        if query.trim().is_empty() {
            self.err(line, format!("{field}: the query is empty"), "write a PromQL expression");
            return;
        }
        if let Some(name) = label_outside_quotes(query) {
            self.err(
                line,
                format!("{field}: {{{{ {name} }}}} stands outside a quoted string"),
                "use labels only as matcher values: instance=\"{{ labels.instance }}\"",
            );
        }
        if let Err(e) = crate::promql::parse(&sample_fill(query, vars)) {
            self.err(
                line,
                format!("{field}: the query is not PromQL: {e}"),
                "fix the expression (try it in the server's expression browser)",
            );
        }
    }
}
