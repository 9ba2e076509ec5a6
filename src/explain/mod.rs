//! "Why no data?": an expression that returns nothing, taken apart and asked part by part from
//! the live source — how many series each selector has, which part (a join, a matcher, a
//! filter, a function) loses them all, and the likely fix. For `warroom check` and the `e`
//! overlay of a panel without data.
//!
//! - [`tree`]: the expression's vector-valued parts.
//! - [`findings`]: what their counts say (pure).
//!
//! Every probe is an instant query of the source (`count(PART)`, at most
//! [`tree::MAX_NODES`] parts, four at a time) plus a few follow-ups for what was found.

pub mod findings;
pub mod tree;

use std::collections::BTreeMap;
use std::future::Future;

use crate::prom::{Client, Labels, Sample};
pub use findings::Finding;

/// What asking the parts of one expression found.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// How many series the whole expression returns now; `Err` when it failed or did not parse.
    pub returns: Result<usize, String>,
    /// Each selector and how many series it selects now.
    pub selectors: Vec<(String, Result<usize, String>)>,
    pub findings: Vec<Finding>,
}

impl Explanation {
    /// The explanation as lines of text, for the overlay and `check`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.returns {
            Ok(n) => out.push(format!("the query returns {n} series now")),
            Err(e) => out.push(format!("the query fails: {e}")),
        }
        // What was found first: on a small screen the list of selectors is what gets cut.
        for f in &self.findings {
            out.push(format!("→ {}", f.what));
            out.push(format!("  fix: {}", f.fix));
        }
        for (text, n) in &self.selectors {
            let n = match n {
                Ok(n) => format!("{n} series"),
                Err(e) => format!("error: {e}"),
            };
            out.push(format!("  {:<9} {}", n, findings::short(text)));
        }
        out
    }

    /// One line: the first finding (or what the query returns).
    pub fn headline(&self) -> String {
        match (self.findings.first(), &self.returns) {
            (Some(f), _) => format!("{} — {}", f.what, f.fix),
            (None, Ok(n)) => format!("returns {n} series now"),
            (None, Err(e)) => format!("fails: {e}"),
        }
    }
}

/// Explains `expr` by asking the parts of it from `client`'s source.
pub async fn explain_on(client: &Client, expr: &str) -> Explanation {
    explain(expr, |q: String| async move {
        client.query(&q, None).await.map(|f| f.response.data.latest()).map_err(|e| e.to_string())
    })
    .await
}

/// Explains `expr`, asking each probe (an instant PromQL query) of `ask`.
pub async fn explain<F, Fut>(expr: &str, ask: F) -> Explanation
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<Sample>, String>>,
{
    let parsed = match crate::promql::parse(expr) {
        Ok(p) => p,
        Err(e) => {
            return Explanation { returns: Err(e), selectors: Vec::new(), findings: Vec::new() }
        }
    };
    let nodes = tree::nodes(&parsed);
    let probes: Vec<String> = nodes.iter().map(|n| format!("count({})", n.text)).collect();
    let counts: Vec<Result<usize, String>> =
        ask_all(&ask, probes).await.into_iter().map(|r| r.map(|s| count(&s))).collect();
    let returns = if nodes.is_empty() {
        ask(expr.to_string()).await.map(|s| s.len())
    } else {
        counts.first().cloned().unwrap_or(Ok(0))
    };
    let known: Vec<Option<usize>> = counts.iter().map(|c| c.as_ref().ok().copied()).collect();
    let selectors = nodes
        .iter()
        .zip(&counts)
        .filter(|(n, _)| matches!(n.kind, tree::Kind::Selector { .. }))
        .map(|(n, c)| (n.text.clone(), c.clone()))
        .collect();
    let mut found = Vec::new();
    if returns == Ok(0) {
        for i in findings::culprits(&nodes, &known) {
            found.push(finding(&nodes, i, &ask).await);
        }
    }
    Explanation { returns, selectors, findings: found }
}

/// The finding for culprit `i`, after the follow-up probes it needs.
async fn finding<F, Fut>(nodes: &[tree::Node], i: usize, ask: &F) -> Finding
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<Sample>, String>>,
{
    let node = &nodes[i];
    match &node.kind {
        tree::Kind::Selector { metric: Some(name), matchers } => {
            let total = ask(format!("count({{__name__={name:?}}})")).await.ok().map(|s| count(&s));
            let mut values = BTreeMap::new();
            let mut similar = Vec::new();
            if total.unwrap_or(0) > 0 {
                for (label, _) in matchers.iter().take(3) {
                    let q = format!("count by ({label}) ({name})");
                    let vals = ask(q).await.unwrap_or_default();
                    let mut vals: Vec<String> = vals
                        .iter()
                        .map(|s| s.labels.get(label).cloned().unwrap_or_default())
                        .collect();
                    vals.sort();
                    values.insert(label.clone(), vals);
                }
            } else {
                let pattern = format!("{}.*", regex::escape(findings::stem(name)));
                let q = format!("count by (__name__) ({{__name__=~{pattern:?}}})");
                similar = ask(q)
                    .await
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| s.labels.get("__name__").cloned())
                    .collect();
                similar.sort();
            }
            findings::selector(node, total, &similar, &values)
        }
        tree::Kind::Join { .. } => {
            let side = |c: Option<&usize>| c.map(|&c| ask(format!("topk(1, {})", nodes[c].text)));
            let (l, r) = (side(node.children.first()), side(node.children.get(1)));
            let first = |s: Vec<Sample>| s.into_iter().next().map(|s| s.labels);
            let left: Option<Labels> = match l {
                Some(f) => f.await.ok().and_then(first),
                None => None,
            };
            let right: Option<Labels> = match r {
                Some(f) => f.await.ok().and_then(first),
                None => None,
            };
            findings::join(node, left.as_ref(), right.as_ref())
        }
        _ => findings::generic(node),
    }
}

/// Asks every probe, four at a time, answers in order.
async fn ask_all<F, Fut>(ask: &F, probes: Vec<String>) -> Vec<Result<Vec<Sample>, String>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<Sample>, String>>,
{
    let mut out = Vec::with_capacity(probes.len());
    for chunk in probes.chunks(4) {
        out.extend(futures_util::future::join_all(chunk.iter().cloned().map(ask)).await);
    }
    out
}

/// The value of a `count(…)` answer: its one sample, or 0 when empty.
fn count(samples: &[Sample]) -> usize {
    samples.first().map_or(0, |s| {
        let v = s.point.v;
        if v.is_finite() && v >= 0.0 {
            v as usize
        } else {
            0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::Point;

    fn sample(labels: &[(&str, &str)], v: f64) -> Sample {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Sample { labels, point: Point { t: 0.0, v } }
    }

    /// Explains `expr` against canned answers: a probe not listed is empty.
    fn run(expr: &str, answers: &[(&str, Vec<Sample>)]) -> Explanation {
        let answers: BTreeMap<String, Vec<Sample>> =
            answers.iter().map(|(q, s)| (q.to_string(), s.clone())).collect();
        let rt =
            tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(explain(expr, |q: String| {
            let a = answers.get(&q).cloned().unwrap_or_default();
            async move { Ok(a) }
        }))
    }

    #[test]
    fn a_join_on_instance_across_exporters_names_the_ports() {
        let expr = "sum by (instance) (rate(cpu_total[1m])) / on (instance) count by (instance) (node_cpu_seconds_total)";
        let e = run(
            expr,
            &[
                ("count(sum by (instance) (rate(cpu_total[1m])))", vec![sample(&[], 1.0)]),
                ("count(rate(cpu_total[1m]))", vec![sample(&[], 1.0)]),
                ("count(cpu_total)", vec![sample(&[], 1.0)]),
                ("count(count by (instance) (node_cpu_seconds_total))", vec![sample(&[], 1.0)]),
                ("count(node_cpu_seconds_total)", vec![sample(&[], 8.0)]),
                (
                    "topk(1, sum by (instance) (rate(cpu_total[1m])))",
                    vec![sample(&[("instance", "db:9256")], 0.5)],
                ),
                (
                    "topk(1, count by (instance) (node_cpu_seconds_total))",
                    vec![sample(&[("instance", "db:9100")], 8.0)],
                ),
            ],
        );
        assert_eq!(e.returns, Ok(0));
        assert_eq!(e.findings.len(), 1, "{e:?}");
        let f = &e.findings[0];
        assert!(
            f.what.contains("on (instance)")
                && f.what.contains("\"db:9256\"")
                && f.what.contains("\"db:9100\""),
            "{f:?}"
        );
        assert!(f.fix.contains("host part"), "{f:?}");
        assert_eq!(
            e.selectors,
            vec![("cpu_total".to_string(), Ok(1)), ("node_cpu_seconds_total".to_string(), Ok(8))]
        );
    }

    #[test]
    fn a_renamed_metric_and_a_label_mismatch() {
        let e = run(
            "sum(rate(pg_stat_database_xact_commit[1m]))",
            &[(
                "count by (__name__) ({__name__=~\"pg_stat_database_xact_commit.*\"})",
                vec![sample(&[("__name__", "pg_stat_database_xact_commit_total")], 3.0)],
            )],
        );
        let f = &e.findings[0];
        assert!(f.what.contains("no series of pg_stat_database_xact_commit"), "{f:?}");
        assert!(f.fix.contains("pg_stat_database_xact_commit_total"), "{f:?}");

        let e = run(
            "sum(pg_stat_activity_count{state=\"idle in txn\"})",
            &[
                ("count({__name__=\"pg_stat_activity_count\"})", vec![sample(&[], 4.0)]),
                (
                    "count by (state) (pg_stat_activity_count)",
                    vec![
                        sample(&[("state", "active")], 1.0),
                        sample(&[("state", "idle in transaction")], 1.0),
                    ],
                ),
            ],
        );
        let f = &e.findings[0];
        assert!(f.what.contains("has 4 series, none with state=\"idle in txn\""), "{f:?}");
        assert!(f.fix.contains("\"idle in transaction\""), "{f:?}");

        let e = run("up{job=\"nope\"}", &[]);
        assert!(e.findings[0].fix.contains("exporter"), "{e:?}");
        let e = run("sum(pg_up)", &[("count(sum(pg_up))", vec![sample(&[], 1.0)])]);
        assert_eq!((e.returns, e.findings.len()), (Ok(1), 0));
    }
}
