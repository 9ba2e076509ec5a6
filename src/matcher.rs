//! One label matcher, for every place that matches labels: runbooks' `matchers`
//! (`instance=~"pg-.*"`) and Alertmanager's silences alike. A missing label matches as the
//! empty string and regular expressions are anchored at both ends, as in PromQL and
//! Alertmanager. Text is parsed by the PromQL parser.

use regex::Regex;

use crate::prom::Labels;

/// Compiles `pattern` so that it must match the whole value.
pub fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

/// How a label matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `=~` (anchored regex)
    Re,
    /// `!~`
    NotRe,
}

impl MatchOp {
    /// The operator as PromQL writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Ne => "!=",
            MatchOp::Re => "=~",
            MatchOp::NotRe => "!~",
        }
    }
}

/// A label matcher such as `instance=~"pg-.*"`.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Label name.
    pub name: String,
    /// Comparison.
    pub op: MatchOp,
    /// The value or pattern as written.
    pub value: String,
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        (&self.name, self.op, &self.value) == (&o.name, o.op, &o.value)
    }
}

impl Matcher {
    /// A matcher from its parts (Alertmanager's `isRegex`/`isEqual`); `Err` when a regular
    /// expression does not compile.
    pub fn new(name: &str, value: &str, is_regex: bool, is_equal: bool) -> Result<Self, String> {
        let op = match (is_regex, is_equal) {
            (false, true) => MatchOp::Eq,
            (false, false) => MatchOp::Ne,
            (true, true) => MatchOp::Re,
            (true, false) => MatchOp::NotRe,
        };
        Self::with_op(name, op, value)
    }

    /// `name = value`.
    pub fn equal(name: &str, value: &str) -> Self {
        Matcher { name: name.into(), op: MatchOp::Eq, value: value.into(), regex: None }
    }

    fn with_op(name: &str, op: MatchOp, value: &str) -> Result<Self, String> {
        let regex = match op {
            MatchOp::Re | MatchOp::NotRe => Some(anchored(value).map_err(|e| {
                format!("{name}{}{value:?}: invalid regular expression: {e}", op.as_str())
            })?),
            MatchOp::Eq | MatchOp::Ne => None,
        };
        Ok(Matcher { name: name.into(), op, value: value.into(), regex })
    }

    /// Parses `name="value"`, `name!="value"`, `name=~"re"` or `name!~"re"` (single or double
    /// quotes, PromQL escapes).
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let text = text.trim();
        if !text.contains(['=', '~']) {
            return Err(format!("{text:?} has no operator; write e.g. severity=\"critical\""));
        }
        let value = text.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
        let value = value.trim_start().trim_start_matches(['=', '!', '~']).trim_start();
        if !value.starts_with(['"', '\'', '`']) {
            return Err(format!("{text:?}: the value must be in quotes, e.g. \"critical\""));
        }
        // A metric name in front, so a matcher of the empty string is a selector too.
        let selector = format!("m{{{text}}}");
        let parsed = crate::promql::parse(&selector).map_err(|e| format!("{text:?}: {e}"))?;
        let promql_parser::parser::Expr::VectorSelector(vs) = parsed else {
            return Err(format!("{text:?} is not one label matcher"));
        };
        let m = match vs.matchers.matchers.as_slice() {
            [m] if vs.matchers.or_matchers.is_empty() && m.name != "__name__" => m,
            _ => return Err(format!("{text:?} is not one label matcher")),
        };
        use promql_parser::label::MatchOp as P;
        let op = match &m.op {
            P::Equal => MatchOp::Eq,
            P::NotEqual => MatchOp::Ne,
            P::Re(_) => MatchOp::Re,
            P::NotRe(_) => MatchOp::NotRe,
        };
        Self::with_op(&m.name, op, &m.value).map_err(|e| format!("{text:?}: {e}"))
    }

    /// Whether `value` (empty when the label is absent) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Eq, _) => value == self.value,
            (MatchOp::Ne, _) => value != self.value,
            (MatchOp::Re, Some(re)) => re.is_match(value),
            (MatchOp::NotRe, Some(re)) => !re.is_match(value),
            (MatchOp::Re | MatchOp::NotRe, None) => false,
        }
    }

    /// Whether `labels` satisfy the matcher (a missing label is the empty string).
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(labels.get(&self.name).map(String::as_str).unwrap_or_default())
    }

    /// Whether it compares with a regular expression.
    pub fn is_regex(&self) -> bool {
        matches!(self.op, MatchOp::Re | MatchOp::NotRe)
    }

    /// Whether a match is a hit (`=`, `=~`) rather than a miss (`!=`, `!~`).
    pub fn is_equal(&self) -> bool {
        matches!(self.op, MatchOp::Eq | MatchOp::Re)
    }

    /// As PromQL and Alertmanager write it: `name="v"`, `name!="v"`, `name=~"v"`, `name!~"v"`.
    pub fn text(&self) -> String {
        format!("{}{}{:?}", self.name, self.op.as_str(), self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let m = Matcher::parse(r#"instance=~"pg-.*""#).unwrap_or_else(|e| panic!("{e}"));
        assert!(m.matches("pg-1") && !m.matches("xpg-1"), "anchored");
        let m = Matcher::parse("severity='critical'").unwrap_or_else(|e| panic!("{e}"));
        assert!(m.matches("critical") && !m.matches("warning"));
        let m = Matcher::parse(r#"env!="""#).unwrap_or_else(|e| panic!("{e}"));
        assert!(m.matches("dev") && !m.matches(""), "the empty string is a value");
        let m = Matcher::parse(r#"a!~"x|y""#).unwrap_or_else(|e| panic!("{e}"));
        assert!((m.is_regex(), m.is_equal()) == (true, false) && m.matches("z"));
        assert_eq!(m.text(), r#"a!~"x|y""#);
        for bad in ["severity critical", r#"x=~"(""#, r#"a="1",b="2""#, "=\"x\"", ""] {
            assert!(Matcher::parse(bad).is_err(), "{bad}");
        }
        let am = Matcher::new("x", "(", true, true);
        assert!(am.is_err());
        let labels: Labels = [("job".to_string(), "pg".to_string())].into();
        assert!(Matcher::equal("job", "pg").matches_labels(&labels));
        assert!(Matcher::equal("missing", "").matches_labels(&labels));
    }
}
