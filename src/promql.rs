//! PromQL as a parser sees it (the `promql-parser` crate): one home for validating expressions,
//! taking a comparison apart into the query and its threshold, and listing the selectors an
//! expression reads. Nothing here sends a query.

use promql_parser::parser::{self, Expr};

use crate::alert::Direction;

/// Longest expression handed to the parser; longer ones are refused unread.
pub const MAX_EXPR_BYTES: usize = 64 << 10;

/// Parses `expr`; the error is the parser's message on one line, without control characters.
pub fn parse(expr: &str) -> Result<Expr, String> {
    if expr.len() > MAX_EXPR_BYTES {
        return Err(format!("expression of {} bytes is longer than {MAX_EXPR_BYTES}", expr.len()));
    }
    if expr.trim().is_empty() {
        return Err("empty expression".into());
    }
    parser::parse(expr).map_err(|e| one_line(&e))
}

fn one_line(message: &str) -> String {
    let joined = message.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::sanitize::clean_owned(&joined)
}

/// A comparison of a query with a number: `QUERY > 95`, `5 < QUERY`, `(QUERY) <= 0.5`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The query side, as written in the expression.
    pub query: String,
    /// Which values of the query the comparison keeps.
    pub direction: Direction,
    /// The number it compares with.
    pub threshold: f64,
}

/// `expr` as a filtering comparison of a query with a number, when it is one (not `bool`, not
/// `==`/`!=`, not two vectors).
pub fn comparison(expr: &str) -> Result<Option<Comparison>, String> {
    let parsed = parse(expr)?;
    let Expr::Binary(b) = unparen(&parsed) else { return Ok(None) };
    if b.return_bool() {
        return Ok(None);
    }
    let Some(direction) = Direction::of_operator(&b.op.to_string()) else { return Ok(None) };
    let (query, direction, threshold, literal_left) = match (number(&b.lhs), number(&b.rhs)) {
        (None, Some(n)) => (&*b.lhs, direction, n, false),
        (Some(n), None) => (&*b.rhs, direction.flipped(), n, true),
        _ => return Ok(None),
    };
    let text = source_of(expr, &b.op.to_string(), query, literal_left)
        .unwrap_or_else(|| query.to_string());
    Ok(Some(Comparison { query: text, direction, threshold }))
}

/// The expression under any number of parentheses.
fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

/// The value of a number literal (possibly negated or in parentheses).
fn number(e: &Expr) -> Option<f64> {
    match unparen(e) {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Unary(u) => number(&u.expr).map(|v| -v),
        _ => None,
    }
}

/// The query side as the user wrote it: the text before the last (or after the first)
/// operator whose piece parses to the same expression. `None` when no piece does.
fn source_of(expr: &str, op: &str, query: &Expr, literal_left: bool) -> Option<String> {
    let want = query.to_string();
    let text = expr.trim();
    let positions: Vec<usize> = text.match_indices(op).map(|(i, _)| i).collect();
    let candidates: Box<dyn Iterator<Item = &usize>> =
        if literal_left { Box::new(positions.iter()) } else { Box::new(positions.iter().rev()) };
    for &at in candidates {
        let piece = if literal_left { &text[at + op.len()..] } else { &text[..at] };
        let piece = strip_outer_open(piece.trim(), literal_left);
        if parser::parse(piece).is_ok_and(|p| p.to_string() == want) {
            return Some(piece.to_string());
        }
    }
    None
}

/// For `(QUERY > 5)`, the piece before the operator is `(QUERY`: drop the unmatched opening
/// parenthesis (or, after the operator, the unmatched closing one).
fn strip_outer_open(piece: &str, literal_left: bool) -> &str {
    let open = piece.matches('(').count();
    let close = piece.matches(')').count();
    match (literal_left, open.cmp(&close)) {
        (false, std::cmp::Ordering::Greater) => piece.strip_prefix('(').unwrap_or(piece).trim(),
        (true, std::cmp::Ordering::Less) => piece.strip_suffix(')').unwrap_or(piece).trim(),
        _ => piece,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(expr: &str) -> Option<(String, Direction, f64)> {
        comparison(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .map(|c| (c.query, c.direction, c.threshold))
    }

    #[test]
    fn comparisons_come_apart_as_written() {
        let q =
            "100 * sum(rate(pg_stat_database_xact_rollback[1m])) / clamp_min(sum(rate(x[1m])), 1)";
        let cases = [
            (format!("{q} > 5"), Some((q.to_string(), Direction::Above, 5.0))),
            (format!("({q}) >= 5"), Some((format!("({q})"), Direction::AtLeast, 5.0))),
            (format!("({q} < 2)"), Some((q.to_string(), Direction::Below, 2.0))),
            ("2 < up".to_string(), Some(("up".to_string(), Direction::Above, 2.0))),
            (
                "min by (instance) (pg_up) <= -1".into(),
                Some(("min by (instance) (pg_up)".into(), Direction::AtMost, -1.0)),
            ),
            ("up > bool 1".into(), None),
            ("up == 0".into(), None),
            ("up > on (job) other".into(), None),
            ("absent(up{job=\"pg\"})".into(), None),
            ("rate(a[5m]) > 0.5 and b".into(), None),
        ];
        for (expr, want) in cases {
            assert_eq!(split(&expr), want, "{expr}");
        }
    }

    #[test]
    fn errors_are_one_clean_line() {
        let e = parse("sum(rate(x[5m])").err().unwrap_or_default();
        assert!(!e.contains('\n') && !e.is_empty(), "{e}");
        assert!(parse("").is_err());
        assert!(parse(&"x+".repeat(MAX_EXPR_BYTES)).is_err());
    }
}
