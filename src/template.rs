//! The one template syntax used across warroom: `{{ name }}` placeholders, filled by a lookup.
//!
//! Used for alert summaries (`{{ labels.instance }}`, `{{ value }}`), panel legends and runbook
//! action arguments. There is no logic, no escaping language and no shell: a placeholder is
//! replaced by a value, and a template that names something unknown is an error the caller reports.

use std::fmt;

/// A problem with a template or its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{` without a closing `}}`.
    Unclosed { at: usize },
    /// A placeholder naming nothing the lookup knows.
    Unknown { name: String },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unclosed { at } => {
                write!(f, "\"{{{{\" at byte {at} is never closed with \"}}}}\"")
            }
            TemplateError::Unknown { name } => write!(f, "unknown placeholder {{{{ {name} }}}}"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// Splits a template into literal text and placeholder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Parses `template` into pieces; fails on an unclosed `{{`.
pub fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed { at: offset + start })?;
        out.push(Piece::Var(after[..end].trim()));
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Names of all placeholders in `template`, in order of appearance.
pub fn placeholders(template: &str) -> Result<Vec<&str>, TemplateError> {
    Ok(pieces(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(v) => Some(v),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Renders `template`, asking `lookup` for each placeholder; an unknown name is an error.
pub fn render<F>(template: &str, lookup: F) -> Result<String, TemplateError>
where
    F: FnMut(&str) -> Option<String>,
{
    render_marked(template, lookup).map(|(out, _)| out)
}

/// Where a placeholder's value landed in a rendered text: its byte range and the name.
pub type Mark<'a> = (std::ops::Range<usize>, &'a str);

/// Like [`render`], and says where each placeholder's value is in the result, so a caller can
/// judge a value by where it landed (a URL's path, say).
pub fn render_marked<F>(
    template: &str,
    mut lookup: F,
) -> Result<(String, Vec<Mark<'_>>), TemplateError>
where
    F: FnMut(&str) -> Option<String>,
{
    let mut out = String::with_capacity(template.len());
    let mut marks = Vec::new();
    for piece in pieces(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => match lookup(name) {
                Some(v) => {
                    let start = out.len();
                    out.push_str(&v);
                    marks.push((start..out.len(), name));
                }
                None => return Err(TemplateError::Unknown { name: name.to_string() }),
            },
        }
    }
    Ok((out, marks))
}

/// Renders for display, where a missing value must not hide the rest: unknown placeholders
/// become an empty string (legends and summaries of series that lack a label).
pub fn render_lenient<F>(template: &str, mut lookup: F) -> String
where
    F: FnMut(&str) -> Option<String>,
{
    match pieces(template) {
        Ok(pieces) => pieces
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Var(name) => lookup(name).unwrap_or_default(),
            })
            .collect(),
        Err(_) => template.to_string(),
    }
}

/// The lookup for a label set: `labels.NAME` (and bare `NAME`, as legends often write it).
pub fn label_lookup<'a>(labels: &'a crate::prom::Labels) -> impl Fn(&str) -> Option<String> + 'a {
    move |name: &str| {
        let key = name.strip_prefix("labels.").unwrap_or(name);
        labels.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_text() {
        let out = render("db {{ labels.instance }} at {{value}}%", |n| match n {
            "labels.instance" => Some("pg-1".into()),
            "value" => Some("97".into()),
            _ => None,
        });
        assert_eq!(out.unwrap(), "db pg-1 at 97%");
    }

    #[test]
    fn unknown_and_unclosed_are_errors() {
        assert_eq!(
            render("{{ nope }}", |_| None),
            Err(TemplateError::Unknown { name: "nope".into() })
        );
        assert_eq!(render("a {{ b", |_| None), Err(TemplateError::Unclosed { at: 2 }));
    }

    #[test]
    fn lenient_leaves_missing_empty() {
        let labels: crate::prom::Labels = [("state".to_string(), "idle".to_string())].into();
        assert_eq!(render_lenient("{{state}}/{{db}}", label_lookup(&labels)), "idle/");
    }

    #[test]
    fn marks_say_where_values_landed() {
        let (out, marks) = render_marked("a/{{x}}/{{ y }}", |n| Some(n.repeat(2))).unwrap();
        assert_eq!(out, "a/xx/yy");
        assert_eq!(marks, vec![(2..4, "x"), (5..7, "y")]);
    }

    #[test]
    fn lists_placeholders() {
        assert_eq!(placeholders("x {{a}} {{ b.c }}").unwrap(), vec!["a", "b.c"]);
    }
}
