//! What the counts of an expression's parts say: which part loses every series, and the likely
//! fix — a missing exporter, a renamed metric, a label matcher or join that matches nothing, a
//! range too short for `rate`. Pure: the probes' answers come in, sentences go out.

use std::collections::BTreeMap;

use super::tree::{Kind, Node};
use crate::prom::Labels;

/// One thing found: what is wrong, and what would likely fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub what: String,
    pub fix: String,
}

/// Metric name prefixes and the exporters that publish them.
const EXPORTERS: [(&str, &str); 8] = [
    ("pg_", "postgres_exporter"),
    ("node_", "node_exporter"),
    ("namedprocess_", "process-exporter"),
    ("mysql_", "mysqld_exporter"),
    ("redis_", "redis_exporter"),
    ("probe_", "blackbox_exporter"),
    ("container_", "cAdvisor"),
    ("kube_", "kube-state-metrics"),
];

/// Functions whose range must hold two samples of a series to give a value.
const TWO_SAMPLE: [&str; 8] =
    ["rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets"];

/// The parts that lose every series themselves: empty while each of their parts has series
/// (a selector: empty at all).
pub fn culprits(nodes: &[Node], counts: &[Option<usize>]) -> Vec<usize> {
    (0..nodes.len())
        .filter(|&i| counts.get(i) == Some(&Some(0)))
        .filter(|&i| nodes[i].children.iter().all(|&c| counts.get(c).copied().flatten() > Some(0)))
        .collect()
}

/// The exporter a metric name's prefix belongs to.
pub fn exporter_of(metric: &str) -> Option<&'static str> {
    EXPORTERS.iter().find(|(p, _)| metric.starts_with(p)).map(|(_, e)| *e)
}

/// A metric's name without the suffix that versions of exporters add or drop, for finding it
/// renamed: `pg_stat_database_xact_commit_total` → `pg_stat_database_xact_commit`.
pub fn stem(metric: &str) -> &str {
    ["_total", "_count", "_sum", "_bucket", "_seconds", "_bytes"]
        .iter()
        .find_map(|s| metric.strip_suffix(s))
        .unwrap_or(metric)
}

/// A selector without series: the metric is missing (maybe renamed: `similar` are the names the
/// source has that share its stem), or its matchers drop every series (`values` are the values
/// each matcher's label has on the metric).
pub fn selector(
    node: &Node,
    metric_series: Option<usize>,
    similar: &[String],
    values: &BTreeMap<String, Vec<String>>,
) -> Finding {
    let Kind::Selector { metric, matchers } = &node.kind else {
        return generic(node);
    };
    let Some(name) = metric else {
        return Finding {
            what: format!("no series match {}", node.text),
            fix: "check each matcher against the labels the source has".into(),
        };
    };
    match metric_series {
        Some(n) if n > 0 && !matchers.is_empty() => {
            let mut fix: Vec<String> = Vec::new();
            for (label, m) in matchers {
                match values.get(label).map(Vec::as_slice) {
                    Some([]) | None => {}
                    Some([only]) if only.is_empty() => {
                        fix.push(format!("{name} has no label {label} ({m} matches nothing)"))
                    }
                    Some(vals) => fix.push(format!("{label} is one of {}", quoted(vals))),
                }
            }
            Finding {
                what: format!("{name} has {n} series, none with {}", matcher_list(matchers)),
                fix: if fix.is_empty() {
                    "check the matchers against the labels the source has".into()
                } else {
                    format!("label mismatch: {}", fix.join("; "))
                },
            }
        }
        _ => {
            let others: Vec<&String> = similar.iter().filter(|s| *s != name).take(5).collect();
            let fix = if !others.is_empty() {
                let names: Vec<String> = others.iter().map(|s| s.to_string()).collect();
                format!(
                    "the source has {}: renamed in another exporter version? use that name",
                    names.join(", ")
                )
            } else {
                match exporter_of(name) {
                    Some(e) => format!("is {e} running, and scraped by this source? (its `up`)"),
                    None => "is the exporter that publishes it running and scraped?".into(),
                }
            };
            Finding { what: format!("no series of {name} at all"), fix }
        }
    }
}

/// A join (`/`, `and`, …) that matches nothing although both sides have series: the labels it
/// matches on, as each side has them (`left`, `right`: one series of each side).
pub fn join(node: &Node, left: Option<&Labels>, right: Option<&Labels>) -> Finding {
    let Kind::Join { op, on, .. } = &node.kind else { return generic(node) };
    let (Some(l), Some(r)) = (left, right) else {
        return Finding {
            what: format!("`{op}` matches no series of one side with the other"),
            fix: "compare the labels of both sides".into(),
        };
    };
    let keys: Vec<String> = match on {
        Some(on) => on.clone(),
        None => {
            let mut all: Vec<String> =
                l.keys().chain(r.keys()).filter(|k| *k != "__name__").cloned().collect();
            all.sort();
            all.dedup();
            all
        }
    };
    let differ: Vec<String> = keys
        .iter()
        .filter(|k| l.get(*k) != r.get(*k))
        .map(|k| {
            let show = |s: &Labels| s.get(k).map_or("(none)".to_string(), |v| format!("{v:?}"));
            format!("{k}: left {} right {}", show(l), show(r))
        })
        .collect();
    let ports = keys.iter().any(|k| {
        let host =
            |s: &Labels| s.get(k).and_then(|v| v.rsplit_once(':')).map(|(h, _)| h.to_string());
        l.get(k) != r.get(k) && host(l).is_some() && host(l) == host(r)
    });
    let matching =
        on.as_ref().map_or("every label".to_string(), |on| format!("on ({})", on.join(", ")));
    let fix = if ports {
        "each exporter's `instance` keeps its own port: match on the host part, derived with \
         label_replace(…, \"host\", \"$1\", \"instance\", \"(.*?)(?::[0-9]+)?\") on both sides"
            .to_string()
    } else if on.is_none() {
        "the sides differ in labels: match with on (…) or ignoring (…)".to_string()
    } else {
        "make the matched labels agree (label_replace on one side)".to_string()
    };
    Finding { what: format!("`{op}` matches nothing ({matching}): {}", differ.join("; ")), fix }
}

/// Any other part that is empty although its parts have series.
pub fn generic(node: &Node) -> Finding {
    match &node.kind {
        Kind::Call { name, range: Some(range) } if TWO_SAMPLE.contains(&name.as_str()) => Finding {
            what: format!("{name}(…[{range}]) is empty although its input has series"),
            fix: format!(
                "[{range}] holds fewer than two samples of each series: make the range at least \
                 four scrape intervals"
            ),
        },
        Kind::Call { name, .. } if name == "absent" => Finding {
            what: "absent(…) is empty: its input has series".into(),
            fix: "nothing to fix: that is what absent() means".into(),
        },
        Kind::Filter { op } => Finding {
            what: format!("the comparison `{op}` keeps no series now"),
            fix: "the condition is false for every series: data is there".into(),
        },
        _ => Finding {
            what: format!("{} is empty although its parts have series", short(&node.text)),
            fix: "check this part on its own in Prometheus".into(),
        },
    }
}

fn matcher_list(matchers: &[(String, String)]) -> String {
    matchers.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(", ")
}

fn quoted(values: &[String]) -> String {
    let shown: Vec<String> = values.iter().take(6).map(|v| format!("{v:?}")).collect();
    let more = values.len().saturating_sub(6);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A part's text cut to a readable length.
pub fn short(text: &str) -> String {
    if text.chars().count() <= 60 {
        return text.to_string();
    }
    let head: String = text.chars().take(57).collect();
    format!("{head}…")
}
