//! Reading runbook files: `+++` TOML front matter, then the Markdown body. Every problem becomes
//! a [`Diagnostic`] with the line in the file, not in the front matter.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::spec::Runbook;
use super::validate::{RawRunbook, Validator};
use super::{diag, Diagnostic};

/// Loads every `*.md` file in `dir` (sorted by name) except `README.md`. Files with any error are left out whole,
/// so a half-understood runbook never offers actions; all their problems are returned.
pub fn load_dir(dir: &Path) -> (Vec<Runbook>, Vec<Diagnostic>) {
    let mut runbooks: Vec<Runbook> = Vec::new();
    let mut diags = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(diag(
                dir,
                0,
                format!("cannot read the runbook directory: {e}"),
                "create it or point the config's runbook directory elsewhere",
            ));
            return (runbooks, diags);
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
        .filter(|p| p.file_stem().is_none_or(|s| !s.eq_ignore_ascii_case("readme")))
        .collect();
    paths.sort();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(diag(
                    &path,
                    0,
                    format!("cannot read: {e}"),
                    "check the file's permissions and that it is UTF-8",
                ));
                continue;
            }
        };
        match parse_runbook(&path, &text) {
            Ok(rb) => {
                if let Some(first) = runbooks.iter().find(|r| r.id == rb.id) {
                    diags.push(diag(
                        &path,
                        1,
                        format!(
                            "runbook id {:?} is already used by {}",
                            rb.id,
                            first.file.display()
                        ),
                        "give every runbook its own id",
                    ));
                } else {
                    runbooks.push(rb);
                }
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    (runbooks, diags)
}

/// Parses one runbook file's text. `file` is only used in diagnostics and kept in the result.
pub fn parse_runbook(file: &Path, text: &str) -> Result<Runbook, Vec<Diagnostic>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, front_start, body) = split_front_matter(text).ok_or_else(|| {
        vec![diag(
            file,
            1,
            "no front matter: the file must start with a line holding only +++",
            "add a TOML block between two +++ lines at the top (id, title, alerts, [[actions]])",
        )]
    })?;
    let lines = LineMap { text, front_start };
    let raw: RawRunbook = toml::from_str(front).map_err(|e| {
        let line = e.span().map_or(1, |s| lines.line(&s));
        vec![diag(file, line, toml_message(e.message()), toml_fix(e.message()))]
    })?;
    let mut v = Validator { file, lines, diags: Vec::new() };
    let runbook = v.runbook(raw, body);
    if v.diags.is_empty() {
        Ok(runbook)
    } else {
        Err(v.diags)
    }
}

/// Splits `+++\n<toml>\n+++\n<body>`; returns the TOML, its byte offset and the body.
fn split_front_matter(text: &str) -> Option<(&str, usize, &str)> {
    let first_end = text.find('\n')?;
    if text[..first_end].trim_end() != "+++" {
        return None;
    }
    let start = first_end + 1;
    let mut pos = start;
    for line in text[start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let body = &text[pos + line.len()..];
            return Some((&text[start..pos], start, body.trim_start_matches('\n')));
        }
        pos += line.len();
    }
    None
}

/// Maps byte offsets in the front matter to 1-based lines in the whole file.
#[derive(Clone, Copy)]
pub(super) struct LineMap<'a> {
    text: &'a str,
    front_start: usize,
}

impl LineMap<'_> {
    pub(super) fn line(&self, span: &Range<usize>) -> usize {
        let end = (self.front_start + span.start).min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }
}

/// The TOML parser's message, in the runbook's terms where it speaks of warroom's types.
fn toml_message(message: &str) -> String {
    if message.contains("untagged enum RawGuards") {
        "guard is neither a { query, why } table nor a list of them (a field misspelt or missing?)"
            .into()
    } else {
        message.trim().to_string()
    }
}

fn toml_fix(message: &str) -> String {
    if message.contains("unknown field") {
        "remove the field or correct its spelling (see runbooks/README.md for the fields)".into()
    } else if message.contains("untagged enum RawGuards") {
        "write guard = { query = '…', why = \"…\" }, or a list of such tables".into()
    } else if message.contains("missing field") {
        "add the field".into()
    } else if message.contains("invalid type") {
        "give the value the expected type (strings in quotes, lists in [ ])".into()
    } else {
        "correct the TOML on this line".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::spec::{Confirm, DEFAULT_TIMEOUT};

    const GOOD: &str = r#"+++
id = "x"
title = "X"
alerts = ["A"]

[[actions]]
key = "t"
label = "Touch"
argv = ["echo", "{{ labels.instance }}"]
+++
# Body
text
"#;

    #[test]
    fn parses_front_matter_and_keeps_body() {
        let rb = parse_runbook(Path::new("x.md"), GOOD).unwrap();
        assert_eq!(rb.id, "x");
        assert_eq!(rb.actions[0].key, 't');
        assert_eq!(rb.actions[0].line, 7);
        assert_eq!(rb.actions[0].confirm, Confirm::YesNo);
        assert_eq!(rb.actions[0].timeout, DEFAULT_TIMEOUT);
        assert!(rb.body.starts_with("# Body"));
        assert_eq!(rb.alerts_line, 4);
    }

    #[test]
    fn toml_errors_point_at_the_file_line() {
        let bad = GOOD.replace("label = \"Touch\"", "label = \"Touch");
        let d = parse_runbook(Path::new("x.md"), &bad).unwrap_err();
        assert_eq!(d[0].line, Some(8), "{d:?}");
    }
}
