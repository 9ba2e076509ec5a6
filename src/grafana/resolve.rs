//! Query variables resolved live from their source, through the source's one [`Client`]
//! (its auth, deadline, size limit and secret scrubbing): `label_values(label)` and
//! `label_values(selector, label)` ask `/api/v1/label/<label>/values` (with `match[]`),
//! `metrics(regex)` the values of `__name__`, `query_result(expr)` an instant query whose
//! series are written as Grafana writes them (`name{a="b"} value timestamp`). The variable's
//! regex then filters the values, or extracts from them with a capture group.

use super::vars::{substitute, Builtins, Place, Selection, Source, Variable, MAX_VALUES};
use crate::prom::{Client, QueryData};

/// Most query variables of one dashboard asked of the source (one request each).
pub const MAX_QUERY_VARS: usize = 50;

/// What a variable's query asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarQuery {
    LabelValues { label: String, selector: Option<String> },
    Metrics(String),
    QueryResult(String),
}

/// Reads Grafana's variable query functions; `None` for anything else.
pub fn parse_query(q: &str) -> Option<VarQuery> {
    let q = q.trim();
    let call = |name: &str| {
        q.strip_prefix(name)?.trim_start().strip_prefix('(')?.strip_suffix(')').map(str::trim)
    };
    if let Some(args) = call("label_values") {
        return Some(match top_level_comma(args) {
            Some(at) => VarQuery::LabelValues {
                label: args[at + 1..].trim().to_string(),
                selector: Some(args[..at].trim().to_string()).filter(|s| !s.is_empty()),
            },
            None => VarQuery::LabelValues { label: args.to_string(), selector: None },
        });
    }
    if let Some(args) = call("metrics") {
        return Some(VarQuery::Metrics(args.to_string()));
    }
    call("query_result").map(|expr| VarQuery::QueryResult(expr.to_string()))
}

/// Byte index of the last comma outside brackets and quotes.
fn top_level_comma(s: &str) -> Option<usize> {
    let (mut depth, mut quote, mut escaped, mut last) = (0i32, None, false, None);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(' | '{' | '[') => depth += 1,
            (None, ')' | '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => last = Some(i),
            _ => {}
        }
        escaped = false;
    }
    last
}

/// Grafana's `/pattern/flags` (or a bare pattern) as a regex; `i` is the one flag that counts.
fn compile(regex: &str) -> Result<regex::Regex, String> {
    let (pattern, flags) = match regex.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
        Some((p, f)) => (p, f),
        None => (regex, ""),
    };
    let pattern = if flags.contains('i') { format!("(?i){pattern}") } else { pattern.to_string() };
    regex::RegexBuilder::new(&pattern).size_limit(1 << 20).build().map_err(|e| {
        format!("regex {:?} is not one warroom reads ({e})", crate::sanitize::clean(regex))
    })
}

/// The values the regex keeps: matching ones, or with a capture group (the one named `value`,
/// else the first) what it captured; duplicates dropped, order kept.
pub fn filter(values: Vec<String>, regex: Option<&str>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let re = regex.map(compile).transpose()?;
    for v in values {
        let kept = match &re {
            None => Some(v),
            Some(re) => re.captures(&v).map(|caps| {
                caps.name("value")
                    .or_else(|| caps.get(1))
                    .map_or_else(|| v.clone(), |m| m.as_str().to_string())
            }),
        };
        if let Some(k) = kept.filter(|k| !out.contains(k)) {
            out.push(k);
        }
    }
    Ok(out)
}

/// Series of an answer as `query_result` gives them to the regex.
pub fn result_lines(data: &QueryData) -> Vec<String> {
    data.latest()
        .iter()
        .map(|s| {
            let name = s.labels.get("__name__").cloned().unwrap_or_default();
            let labels: Vec<String> = s
                .labels
                .iter()
                .filter(|(k, _)| *k != "__name__")
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            format!("{name}{{{}}} {} {}", labels.join(", "), s.point.v, (s.point.t * 1000.0) as i64)
        })
        .collect()
}

/// Resolves every query variable in order (a variable's query may name earlier ones), each
/// from the client of the source its datasource names, else the first of `clients` (the
/// default source), then settles each selection on its options. Returns a line per variable
/// that could not be resolved; such a variable keeps the value saved in the dashboard.
pub async fn resolve(
    vars: &mut [Variable],
    clients: &[Client],
    builtins: &Builtins,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut asked = 0;
    for i in 0..vars.len() {
        let Source::Query(q) = &vars[i].source else { continue };
        asked += 1;
        if asked > MAX_QUERY_VARS {
            problems.push(format!(
                "variable ${}: more than {MAX_QUERY_VARS} query variables; the rest keep their saved values",
                crate::sanitize::clean(&vars[i].name)
            ));
            break;
        }
        let q = substitute(q, &vars[..i], builtins, Place::Query);
        let name = vars[i].name.clone();
        let named = vars[i].datasource.as_deref();
        let client = named.and_then(|n| clients.iter().find(|c| c.name() == n)).or(clients.first());
        let Some(client) = client else { break };
        match options(&q, client).await.and_then(|o| filter(o, vars[i].regex.as_deref())) {
            Ok(mut options) => {
                options.truncate(MAX_VALUES);
                vars[i].options = options;
                vars[i].settle();
            }
            Err(e) => problems.push(format!("variable ${}: {e}", crate::sanitize::clean(&name))),
        }
    }
    for v in vars.iter_mut().filter(|v| v.source == Source::Fixed) {
        if matches!(v.current, Selection::Values(ref c) if c.is_empty()) {
            v.settle();
        }
    }
    problems
}

async fn options(q: &str, client: &Client) -> Result<Vec<String>, String> {
    let fail = |e: crate::prom::PromError| format!("source {:?}: {e}", client.name());
    match parse_query(q) {
        Some(VarQuery::LabelValues { label, selector }) => {
            let matchers: Vec<String> = selector.into_iter().collect();
            client.label_values(&label, &matchers, MAX_VALUES).await.map(|(v, _)| v).map_err(fail)
        }
        Some(VarQuery::Metrics(regex)) => {
            let names =
                client.label_values("__name__", &[], 10 * MAX_VALUES).await.map_err(fail)?.0;
            let re = compile(&regex)?;
            Ok(names.into_iter().filter(|n| re.is_match(n)).collect())
        }
        Some(VarQuery::QueryResult(expr)) => {
            let fetched = client.query(&expr, None).await.map_err(fail)?;
            Ok(result_lines(&fetched.response.data))
        }
        None => Err(format!(
            "query {:?} is not label_values(…), metrics(…) or query_result(…)",
            crate::sanitize::clean(q)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_queries() {
        let lv = |label: &str, selector: Option<&str>| VarQuery::LabelValues {
            label: label.into(),
            selector: selector.map(String::from),
        };
        let table = [
            ("label_values(instance)", Some(lv("instance", None))),
            ("label_values(pg_up, instance)", Some(lv("instance", Some("pg_up")))),
            (
                "label_values(pg_stat_database_tup_fetched{instance=~\"$instance\", datname!~\"a,b\"}, datname)",
                Some(lv("datname", Some("pg_stat_database_tup_fetched{instance=~\"$instance\", datname!~\"a,b\"}"))),
            ),
            (" label_values( up{a=\"x\\\",\"} , job ) ", Some(lv("job", Some("up{a=\"x\\\",\"}")))),
            ("metrics(pg_.*)", Some(VarQuery::Metrics("pg_.*".into()))),
            ("query_result(topk(5, up))", Some(VarQuery::QueryResult("topk(5, up)".into()))),
            ("up", None),
            ("label_names()", None),
        ];
        for (q, want) in table {
            assert_eq!(parse_query(q), want, "{q}");
        }
    }

    #[test]
    fn regex_filters_and_extracts() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
        assert_eq!(filter(v(&["a", "b", "a"]), None).unwrap(), v(&["a", "b"]));
        // Lookahead is JavaScript regex, not one warroom reads: an error, never a panic.
        assert!(filter(v(&["shop", "template0"]), Some("/^(?!template).*/")).is_err());
        assert_eq!(filter(v(&["shop", "Template0"]), Some("/^t/i")).unwrap(), v(&["Template0"]));
        assert_eq!(
            filter(v(&["db1:9187", "db2:9187"]), Some("/(.*):9187/")).unwrap(),
            v(&["db1", "db2"])
        );
        let lines = v(&["up{instance=\"a:1\", job=\"x\"} 1 1000"]);
        assert_eq!(filter(lines, Some("/instance=\"(?<value>[^\"]+)\"/")).unwrap(), v(&["a:1"]));
    }
}
