//! An expression as the tree of its vector-valued parts, each a query that can be asked on
//! its own (`count(PART)` says how many series it holds now): selectors at the leaves, joins,
//! filters, functions and aggregations above them.

use promql_parser::parser::{value::ValueType, Expr};

/// Most parts asked about for one expression: the rest are left out (leaves first kept).
pub const MAX_NODES: usize = 24;

/// What a part of the expression does.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `metric{matchers}`: `metric` is the name when it has one, `matchers` the label matchers
    /// other than the name, as `(label, matcher text)`.
    Selector { metric: Option<String>, matchers: Vec<(String, String)> },
    /// Two vectors matched on labels: `on` the labels it matches on (`None`: all of them, or
    /// all but `ignoring`), `set` for `and`/`or`/`unless`.
    Join { op: String, on: Option<Vec<String>>, set: bool },
    /// A vector compared with a number, keeping only the series that pass.
    Filter { op: String },
    /// A function of a vector or a range (`rate`, `label_replace`…); `range` is the range of
    /// its range selector (`1m`) if it has one.
    Call { name: String, range: Option<String> },
    /// `sum`, `count`, `topk`… and other vector operations.
    Other,
}

/// One vector-valued part.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The part as PromQL.
    pub text: String,
    pub kind: Kind,
    /// Its vector-valued parts, as indexes into the tree.
    pub children: Vec<usize>,
}

/// The parts of `expr`, the whole first (index 0 when the expression is a vector).
pub fn nodes(expr: &Expr) -> Vec<Node> {
    let mut out = Vec::new();
    walk(expr, &mut out);
    // Keep the whole and as many leaves-first parts as the cap allows.
    if out.len() > MAX_NODES {
        out.truncate(MAX_NODES);
        for n in &mut out {
            n.children.retain(|&c| c < MAX_NODES);
        }
    }
    out
}

/// Adds `e`'s node (if vector-valued) and its descendants; returns the indexes of the nodes
/// directly under whatever called (itself, or its vector parts when it is not one).
fn walk(e: &Expr, out: &mut Vec<Node>) -> Vec<usize> {
    let vector = e.value_type() == ValueType::Vector;
    match e {
        Expr::Paren(p) => walk(&p.expr, out),
        Expr::Unary(u) => walk(&u.expr, out),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Vec::new(),
        Expr::VectorSelector(vs) => {
            let matchers = vs
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name != "__name__")
                .map(|m| (m.name.clone(), m.to_string()))
                .collect();
            let kind = Kind::Selector { metric: vs.name.clone(), matchers };
            vec![push(out, e.to_string(), kind)]
        }
        Expr::MatrixSelector(ms) => walk(&Expr::VectorSelector(ms.vs.clone()), out),
        Expr::Subquery(s) => walk(&s.expr, out),
        Expr::Aggregate(a) => {
            let at = push(out, e.to_string(), Kind::Other);
            let kids = walk(&a.expr, out);
            out[at].children = kids;
            vec![at]
        }
        Expr::Call(c) => {
            let range = c.args.args.iter().find_map(|a| match a.as_ref() {
                Expr::MatrixSelector(ms) => Some(format_range(ms.range)),
                _ => None,
            });
            let kind = Kind::Call { name: c.func.name.to_string(), range };
            let at = vector.then(|| push(out, e.to_string(), kind));
            let kids: Vec<usize> = c.args.args.iter().flat_map(|a| walk(a, out)).collect();
            match at {
                Some(at) => {
                    out[at].children = kids;
                    vec![at]
                }
                None => kids,
            }
        }
        Expr::Binary(b) => {
            let both =
                b.lhs.value_type() == ValueType::Vector && b.rhs.value_type() == ValueType::Vector;
            let op = b.op.to_string();
            let kind = if both {
                let on =
                    b.modifier.as_ref().and_then(|m| m.matching.as_ref()).and_then(|m| match m {
                        promql_parser::parser::LabelModifier::Include(l) => Some(l.labels.clone()),
                        promql_parser::parser::LabelModifier::Exclude(_) => None,
                    });
                let set = matches!(op.as_str(), "and" | "or" | "unless");
                Kind::Join { op, on, set }
            } else if b.op.is_comparison_operator() && !b.return_bool() {
                Kind::Filter { op }
            } else {
                Kind::Other
            };
            let at = vector.then(|| push(out, e.to_string(), kind));
            let mut kids = walk(&b.lhs, out);
            kids.extend(walk(&b.rhs, out));
            match at {
                Some(at) => {
                    out[at].children = kids;
                    vec![at]
                }
                None => kids,
            }
        }
    }
}

fn push(out: &mut Vec<Node>, text: String, kind: Kind) -> usize {
    out.push(Node { text, kind, children: Vec::new() });
    out.len() - 1
}

fn format_range(d: std::time::Duration) -> String {
    crate::duration::format(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(expr: &str) -> Vec<Node> {
        nodes(&crate::promql::parse(expr).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn a_join_of_two_rates() {
        let t = tree(
            r#"sum by (instance) (rate(a_total{job="x"}[1m])) / on (instance) count by (instance) (b{mode="idle"})"#,
        );
        let kinds: Vec<&Kind> = t.iter().map(|n| &n.kind).collect();
        assert!(
            matches!(kinds[0], Kind::Join { on: Some(on), set: false, .. } if on == &["instance"])
        );
        assert_eq!(t[0].children.len(), 2);
        let selectors: Vec<&str> = t
            .iter()
            .filter(|n| matches!(n.kind, Kind::Selector { .. }))
            .map(|n| n.text.as_str())
            .collect();
        assert_eq!(selectors, [r#"a_total{job="x"}"#, r#"b{mode="idle"}"#]);
        let rate = t.iter().find(|n| matches!(&n.kind, Kind::Call { name, .. } if name == "rate"));
        assert!(
            matches!(rate.map(|n| &n.kind), Some(Kind::Call { range: Some(r), .. }) if r == "1m")
        );
    }

    #[test]
    fn scalars_are_no_parts_and_filters_are() {
        let t = tree("100 * up > 5");
        assert!(matches!(t[0].kind, Kind::Filter { .. }), "{t:?}");
        assert_eq!(t.len(), 3, "filter, 100 * up, up: {t:?}");
        assert!(tree("vector(1)").len() == 1);
        assert!(tree("scalar(up)").len() == 1, "only up");
    }
}
