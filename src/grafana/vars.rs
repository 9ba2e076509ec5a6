//! Template variables: what each one is, the values it holds, and substitution of `$var`,
//! `${var}`, `${var:format}`, `[[var]]` and Grafana's built-ins (`$__interval`,
//! `$__rate_interval`, `$__range` and their `_s`/`_ms` forms) into queries and texts.
//!
//! In a query every value is written as PromQL string content (`\` and `"` escaped, so a label
//! value from the server can never end the string it lands in). A multi-value or `includeAll`
//! variable (or the `regex` format) is regex-escaped too and several values are joined as
//! `(a|b)`, as Grafana's Prometheus datasource does, so `label=~"$var"` matches exactly them.

use std::time::Duration;

use super::model::{strings, VarJson};

/// The most values one variable holds; a label with more is cut there (and said so).
pub const MAX_VALUES: usize = 1000;

/// What a variable's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A query against the datasource: `label_values(…)`, `query_result(…)`, `metrics(…)`.
    Query(String),
    /// Values written in the dashboard (custom, interval, constant, textbox).
    Fixed,
    /// A datasource variable: warroom's sources stand for it.
    Datasource,
}

/// The values chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// "All": every option (or `allValue` when the variable sets one).
    All,
    Values(Vec<String>),
}

/// One variable of a dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub source: Source,
    /// Regex filtering (and with a group, extracting from) query results.
    pub regex: Option<String>,
    pub multi: bool,
    pub include_all: bool,
    pub all_value: Option<String>,
    /// The values it may take.
    pub options: Vec<String>,
    pub current: Selection,
    /// The `interval` type's `auto` option stands for the computed interval.
    pub auto_interval: bool,
    /// The config source its datasource names; `None`: the default source.
    pub datasource: Option<String>,
}

impl Variable {
    /// Reads a variable; `Err` names what is not supported (`adhoc`, unknown types).
    pub fn from_json(v: &VarJson) -> Result<Variable, String> {
        let query = match &v.query {
            serde_json::Value::Object(o) => o.get("query").and_then(|q| q.as_str()).unwrap_or(""),
            other => other.as_str().unwrap_or(""),
        }
        .to_string();
        let saved: Vec<String> = v.options.iter().flat_map(|o| strings(&o.value)).collect();
        let (source, options) = match v.kind.as_str() {
            "query" => {
                let q = if query.trim().is_empty() {
                    v.definition.clone().unwrap_or_default()
                } else {
                    query
                };
                (Source::Query(q), saved)
            }
            "custom" | "interval" => {
                let listed = split_custom(&query);
                (Source::Fixed, if listed.is_empty() { saved } else { listed })
            }
            "constant" | "textbox" => (Source::Fixed, vec![query]),
            "datasource" => (Source::Datasource, Vec::new()),
            other => return Err(format!("variable type {other:?} is not supported")),
        };
        let mut values = strings(&v.current.value);
        let all = values.iter().any(|s| s == "$__all");
        let current = if all && v.include_all {
            Selection::All
        } else {
            values.retain(|s| s != "$__all");
            if values.is_empty() && v.kind != "textbox" {
                values.extend(options.first().cloned());
            }
            if v.kind == "constant" || (v.kind == "textbox" && values.is_empty()) {
                values = options.clone();
            }
            Selection::Values(values)
        };
        let auto_interval = v.kind == "interval" && options.iter().any(|o| o == "auto");
        Ok(Variable {
            name: v.name.clone(),
            source,
            regex: v.regex.clone().filter(|r| !r.trim().is_empty()),
            multi: v.multi,
            include_all: v.include_all,
            all_value: v.all_value.clone().filter(|a| !a.is_empty()),
            options,
            current,
            auto_interval,
            datasource: None,
        })
    }

    /// Settles the selection on `options` just resolved: kept when every chosen value is still
    /// an option, else the first option (as Grafana does on load).
    pub fn settle(&mut self) {
        if let Selection::Values(chosen) = &self.current {
            if chosen.is_empty() || !chosen.iter().all(|c| self.options.contains(c)) {
                self.current =
                    Selection::Values(self.options.first().cloned().into_iter().collect());
            }
        }
    }

    /// The values substituted, each as written before any escaping.
    fn values(&self) -> Vec<String> {
        match &self.current {
            Selection::All => self.options.clone(),
            Selection::Values(v) => v.clone(),
        }
    }
}

/// `"a, b,c"` and `"key : value"` pairs (the value is what is substituted).
fn split_custom(query: &str) -> Vec<String> {
    query
        .split(',')
        .map(|item| item.rsplit_once(" : ").map_or(item, |(_, v)| v).trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// Grafana's built-in variables, from warroom's refresh and range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Builtins {
    /// The range step charts use (`$__interval`).
    pub interval: Duration,
    /// The chart window (`$__range`).
    pub range: Duration,
}

/// The scrape interval Grafana assumes for `$__rate_interval` when its datasource sets none.
pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(15);

impl Builtins {
    /// `$__rate_interval`: max(`$__interval` + scrape interval, 4 × scrape interval).
    pub fn rate_interval(&self) -> Duration {
        (self.interval + SCRAPE_INTERVAL).max(4 * SCRAPE_INTERVAL)
    }

    fn get(&self, name: &str) -> Option<String> {
        let secs = |d: Duration| format!("{}s", d.as_secs().max(1));
        Some(match name {
            "__interval" | "__auto_interval" => secs(self.interval),
            "__interval_ms" => self.interval.as_millis().to_string(),
            "__rate_interval" => secs(self.rate_interval()),
            "__rate_interval_ms" => self.rate_interval().as_millis().to_string(),
            "__range" => secs(self.range),
            "__range_s" => self.range.as_secs().to_string(),
            "__range_ms" => self.range.as_millis().to_string(),
            _ => return None,
        })
    }
}

/// Where a substituted text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A PromQL expression: values escaped as above.
    Query,
    /// A title or legend: values as they are, several joined with `, `.
    Text,
}

/// `text` with every known variable replaced; unknown `$names` stay as they are.
pub fn substitute(text: &str, vars: &[Variable], builtins: &Builtins, into: Place) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['$', '[']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some((name, format, len)) = reference(tail) else {
            let c = tail.chars().next().map_or(1, char::len_utf8);
            out.push_str(&tail[..c]);
            rest = &tail[c..];
            continue;
        };
        let value = match vars.iter().find(|v| v.name == name) {
            Some(v) => Some(render(v, format, builtins, into)),
            None => builtins.get(name),
        };
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&tail[..len]),
        }
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// A reference at the start of `s`: its name, format and length in bytes.
fn reference(s: &str) -> Option<(&str, Option<&str>, usize)> {
    let word =
        |t: &str| t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(t.len());
    if let Some(t) = s.strip_prefix("${") {
        let end = t.find('}')?;
        let inner = &t[..end];
        let (name, format) = match inner.split_once(':') {
            Some((n, f)) => (n, Some(f)),
            None => (inner, None),
        };
        return (word(name) == name.len() && !name.is_empty()).then_some((name, format, end + 3));
    }
    if let Some(t) = s.strip_prefix("[[") {
        let end = t.find("]]")?;
        let inner = &t[..end];
        let (name, format) = match inner.split_once(':') {
            Some((n, f)) => (n, Some(f)),
            None => (inner, None),
        };
        return (word(name) == name.len() && !name.is_empty()).then_some((name, format, end + 4));
    }
    let t = s.strip_prefix('$')?;
    let n = word(t);
    (n > 0).then_some((&t[..n], None, n + 1))
}

fn render(v: &Variable, format: Option<&str>, builtins: &Builtins, into: Place) -> String {
    if v.auto_interval
        && matches!(&v.current, Selection::Values(c) if c.iter().any(|c| c == "auto"))
    {
        return builtins.get("__interval").unwrap_or_default();
    }
    if into == Place::Text {
        return match &v.current {
            Selection::All => "All".into(),
            Selection::Values(chosen) => chosen.join(", "),
        };
    }
    if let (Selection::All, Some(all)) = (&v.current, &v.all_value) {
        // Grafana substitutes allValue as written (it is usually `.*`).
        return all.clone();
    }
    let values = v.values();
    let joined = match format {
        Some("raw" | "csv") => values.join(","),
        Some("pipe") => values.join("|"),
        Some("regex") => regex_alternatives(&values),
        _ if v.multi || v.include_all => regex_alternatives(&values),
        _ => values.join(","),
    };
    promql_string(&joined)
}

/// Values regex-escaped, one as it is, several as `(a|b)`.
fn regex_alternatives(values: &[String]) -> String {
    let escaped: Vec<String> = values.iter().map(|v| regex::escape(v)).collect();
    match escaped.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", escaped.join("|")),
    }
}

/// `s` as the content of a double-quoted PromQL string.
fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Grafana's `legendFormat` as a warroom legend: `{{label}}` placeholders are the same syntax;
/// `__auto` and an empty one mean the series' labels (no template).
pub fn legend(format: Option<&str>) -> Option<String> {
    let f = format?.trim();
    (!f.is_empty() && f != "__auto").then(|| f.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, multi: bool, all: bool, current: Selection, options: &[&str]) -> Variable {
        Variable {
            name: name.into(),
            source: Source::Fixed,
            regex: None,
            multi,
            include_all: all,
            all_value: None,
            options: options.iter().map(|s| (*s).to_string()).collect(),
            current,
            auto_interval: false,
            datasource: None,
        }
    }

    fn values(v: &[&str]) -> Selection {
        Selection::Values(v.iter().map(|s| (*s).to_string()).collect())
    }

    const B: Builtins =
        Builtins { interval: Duration::from_secs(10), range: Duration::from_secs(900) };

    #[test]
    fn substitution_forms_and_escaping() {
        let vars = [
            var("instance", false, false, values(&["db1:9187"]), &["db1:9187"]),
            var("datname", true, true, Selection::All, &["shop", "a.b"]),
            var("one", true, false, values(&["x+y"]), &[]),
            var("evil", false, false, values(&["a\"} or vector(1) #\\"]), &[]),
        ];
        let table = [
            ("up{instance=\"$instance\"}", "up{instance=\"db1:9187\"}"),
            ("up{instance=\"${instance}\"}", "up{instance=\"db1:9187\"}"),
            ("up{instance=\"[[instance]]\"}", "up{instance=\"db1:9187\"}"),
            ("x{d=~\"$datname\"}", "x{d=~\"(shop|a\\\\.b)\"}"),
            ("x{d=~\"${datname:regex}\"}", "x{d=~\"(shop|a\\\\.b)\"}"),
            ("x{d=~\"${datname:pipe}\"}", "x{d=~\"shop|a.b\"}"),
            ("x{d=\"${datname:csv}\"}", "x{d=\"shop,a.b\"}"),
            ("x{o=~\"$one\"}", "x{o=~\"x\\\\+y\"}"),
            ("x{e=\"$evil\"}", "x{e=\"a\\\"} or vector(1) #\\\\\"}"),
            ("rate(x[$__rate_interval])", "rate(x[60s])"),
            ("rate(x[$__interval]) $__interval_ms", "rate(x[10s]) 10000"),
            ("increase(x[$__range]) $__range_s $__range_ms", "increase(x[900s]) 900 900000"),
            (
                "$unknown ${also_unknown} [[nope]] $ [x] $$",
                "$unknown ${also_unknown} [[nope]] $ [x] $$",
            ),
            ("$instancefoo", "$instancefoo"),
            ("über $instance", "über db1:9187"),
        ];
        for (text, want) in table {
            assert_eq!(substitute(text, &vars, &B, Place::Query), want, "{text}");
        }
        assert_eq!(substitute("$datname on $instance", &vars, &B, Place::Text), "All on db1:9187");
        let mut with_all = vars[1].clone();
        with_all.all_value = Some(".*".into());
        assert_eq!(substitute("x{d=~\"$datname\"}", &[with_all], &B, Place::Query), "x{d=~\".*\"}");
        // A long range: the rate interval follows the step.
        let long =
            Builtins { interval: Duration::from_secs(120), range: Duration::from_secs(86400) };
        assert_eq!(substitute("$__rate_interval", &[], &long, Place::Query), "135s");
    }

    #[test]
    fn variables_from_json() {
        let parse = |json: &str| Variable::from_json(&serde_json::from_str(json).unwrap());
        let custom = parse(
            r#"{"name":"q","type":"custom","query":"a, b : bee,c","current":{"value":"bee"}}"#,
        )
        .unwrap();
        assert_eq!(custom.options, ["a", "bee", "c"]);
        assert_eq!(custom.current, values(&["bee"]));
        let constant = parse(r#"{"name":"job","type":"constant","query":"postgres"}"#).unwrap();
        assert_eq!(constant.current, values(&["postgres"]));
        let all = parse(r#"{"name":"d","type":"query","query":{"query":"label_values(d)"},"includeAll":true,"multi":true,"current":{"text":["All"],"value":["$__all"]}}"#).unwrap();
        assert_eq!(
            (all.source, all.current),
            (Source::Query("label_values(d)".into()), Selection::All)
        );
        let interval = parse(
            r#"{"name":"i","type":"interval","query":"auto,1m,5m","current":{"value":"auto"}}"#,
        )
        .unwrap();
        assert!(interval.auto_interval);
        assert_eq!(substitute("[$i]", &[interval], &B, Place::Query), "[10s]");
        let textbox =
            parse(r#"{"name":"t","type":"textbox","query":"def","current":{"value":"typed"}}"#)
                .unwrap();
        assert_eq!(textbox.current, values(&["typed"]));
        assert!(parse(r#"{"name":"f","type":"adhoc"}"#).is_err());
    }

    #[test]
    fn settle_keeps_valid_choices_else_the_first() {
        let mut v = var("v", false, false, values(&["gone"]), &[]);
        v.options = vec!["a".into(), "b".into()];
        v.settle();
        assert_eq!(v.current, values(&["a"]));
        v.current = values(&["b"]);
        v.settle();
        assert_eq!(v.current, values(&["b"]));
    }

    #[test]
    fn legends() {
        assert_eq!(
            legend(Some("{{datname}} {{ state }}")).as_deref(),
            Some("{{datname}} {{ state }}")
        );
        assert_eq!(legend(Some("__auto")), None);
        assert_eq!(legend(Some(" ")), None);
        assert_eq!(legend(None), None);
    }
}
