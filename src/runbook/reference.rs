//! How an alert names its runbook: an id of the runbooks folder (`pg-cpu-high`), or a link
//! (`https://wiki/runbooks/pg-cpu-high.md`) from a Prometheus rule's `runbook_url` annotation,
//! whose last path segment may name a runbook of the folder. One home for reading either, for
//! local rules, rule files and the sources' own alerts alike.

use std::collections::BTreeMap;

/// Annotations that name a runbook, in order of preference.
pub const ANNOTATIONS: [&str; 3] = ["runbook", "runbook_url", "runbook_id"];

/// The runbook reference of a set of annotations: the first non-empty of [`ANNOTATIONS`],
/// stripped of control characters.
pub fn from_annotations(annotations: &BTreeMap<String, String>) -> Option<String> {
    ANNOTATIONS
        .iter()
        .filter_map(|k| annotations.get(*k))
        .map(|v| crate::sanitize::clean_owned(v.trim()))
        .find(|v| !v.is_empty())
}

/// Whether a reference is a link rather than an id.
pub fn is_link(reference: &str) -> bool {
    let lower = reference.get(..8).unwrap_or(reference).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The runbook id a reference names: the reference itself, or a link's last path segment
/// without query, fragment and extension (`…/pg-cpu-high.md#steps` → `pg-cpu-high`). `None`
/// for a link without a path.
pub fn id_of(reference: &str) -> Option<&str> {
    if !is_link(reference) {
        return Some(reference);
    }
    let rest = reference.split_once("://").map_or(reference, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let (_, path) = path.split_once('/')?;
    let last = path.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty())?;
    let id = last.rsplit_once('.').map_or(last, |(stem, _)| stem);
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_links() {
        let cases = [
            ("pg-cpu-high", Some("pg-cpu-high"), false),
            ("https://wiki.example/runbooks/pg-cpu-high.md", Some("pg-cpu-high"), true),
            ("https://wiki.example/runbooks/pg-cpu-high/", Some("pg-cpu-high"), true),
            ("http://wiki.example/r/PgDown?x=1#steps", Some("PgDown"), true),
            ("HTTPS://wiki.example", None, true),
            ("https://wiki.example/", None, true),
        ];
        for (reference, id, link) in cases {
            assert_eq!(id_of(reference), id, "{reference}");
            assert_eq!(is_link(reference), link, "{reference}");
        }
    }

    #[test]
    fn annotations_in_order_and_cleaned() {
        let mut a = BTreeMap::new();
        a.insert("runbook_url".to_string(), "https://w/r/x\u{1b}[2J.md".to_string());
        let link = from_annotations(&a).unwrap_or_default();
        assert!(link.starts_with("https://w/r/x") && !link.contains('\u{1b}'), "{link:?}");
        a.insert("runbook".to_string(), " ".to_string());
        assert_eq!(from_annotations(&a), Some(link));
        a.insert("runbook".to_string(), "pg-down".to_string());
        assert_eq!(from_annotations(&a).as_deref(), Some("pg-down"));
        assert_eq!(from_annotations(&BTreeMap::new()), None);
    }
}
