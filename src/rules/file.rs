//! Prometheus rule files as Prometheus reads them: `groups`, each with `rules` of `alert` (or
//! `record`), `expr`, `for`, `keep_firing_for`, `labels` and `annotations`. Unknown keys are
//! errors, as they are to Prometheus. Files are bounded in size; the YAML parser keeps its own
//! budget against alias bombs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diag::Diagnostic;

/// Largest rule file read: Prometheus installations with thousands of rules stay far below.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// The folder the built-in dashboard's `rule_files` are found in: files carried in the binary.
pub const BUILT_IN_DIR: &str = "<built-in>";

/// The rule files carried in the binary, by name.
const BUILT_IN: [(&str, &str); 1] =
    [("postgres-rules.yml", include_str!("../../examples/postgres-rules.yml"))];

fn built_in(path: &Path) -> Option<&'static str> {
    if path.parent() != Some(Path::new(BUILT_IN_DIR)) {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// One rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub groups: Vec<Group>,
}

/// One group of rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    /// Prometheus's evaluation interval of the group; warroom evaluates at its refresh.
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub query_offset: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
    /// Labels added to every rule of the group (Prometheus 3).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One alerting or recording rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub alert: Option<Spanned<String>>,
    #[serde(default)]
    pub record: Option<Spanned<String>>,
    pub expr: Spanned<String>,
    #[serde(rename = "for", default)]
    pub for_: Option<String>,
    #[serde(default)]
    pub keep_firing_for: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl Rule {
    /// The line of the rule in its file (that of `alert:`, else `record:`, else `expr:`).
    pub fn line(&self) -> usize {
        let at = self.alert.as_ref().or(self.record.as_ref()).unwrap_or(&self.expr);
        usize::try_from(at.referenced.line()).unwrap_or(0)
    }
}

/// Reads and parses one rule file; a problem names the file and, when the parser knows it,
/// the line.
pub fn read(path: &Path) -> Result<RuleFile, Diagnostic> {
    let to_diag = |(line, msg): (Option<usize>, String)| {
        Diagnostic::new(path, line, msg)
            .with_fix("write Prometheus's rule file format (`promtool check rules` checks it)")
    };
    if let Some(text) = built_in(path) {
        return parse(text).map_err(to_diag);
    }
    let fail = |line: Option<usize>, msg: String, fix: &str| {
        Err(Diagnostic::new(path, line, msg).with_fix(fix.to_string()))
    };
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return fail(None, format!("cannot read rule file: {e}"), "check rule_files"),
    };
    if size > MAX_FILE_BYTES {
        let msg = format!("rule file is {size} bytes, more than the {MAX_FILE_BYTES} read");
        return fail(None, msg, "split it into several files");
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(None, format!("cannot read rule file: {e}"), "check rule_files"),
    };
    parse(&text).map_err(to_diag)
}

/// Parses rule file text; an error is its line (when known) and a one-line message.
pub fn parse(text: &str) -> Result<RuleFile, (Option<usize>, String)> {
    let mut options = serde_saphyr::options::Options::default();
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let line = e.location().and_then(|l| usize::try_from(l.line()).ok()).filter(|&l| l > 0);
        let msg: String = e.to_string().lines().next().unwrap_or("invalid YAML").into();
        (line, format!("not a rule file: {}", crate::sanitize::clean(&msg)))
    })
}

/// The files `patterns` name, each relative to `base` unless absolute. A pattern may hold `*`
/// and `?` in its last path segment (`rules/*.yml`), as Prometheus's `rule_files` do; files
/// come sorted. A pattern without wildcards must name a file.
pub fn expand(patterns: &[String], base: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for pattern in patterns {
        let full = base.join(pattern);
        let name = full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = full.parent().map(Path::to_path_buf).unwrap_or_else(|| base.to_path_buf());
        if dir.to_string_lossy().contains(['*', '?']) {
            problems.push(format!("{pattern:?}: wildcards are allowed in the file name only"));
            continue;
        }
        if dir == Path::new(BUILT_IN_DIR) {
            let known = BUILT_IN.iter().filter(|(n, _)| wildcard(&name, n));
            let before = files.len();
            files.extend(known.map(|(n, _)| dir.join(n)));
            if files.len() == before {
                problems.push(format!("{pattern:?}: no such built-in rule file"));
            }
            continue;
        }
        if !name.contains(['*', '?']) {
            if full.is_file() {
                files.push(full);
            } else {
                problems.push(format!("{pattern:?}: no such file ({})", full.display()));
            }
            continue;
        }
        let mut found: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| p.file_name().is_some_and(|n| wildcard(&name, &n.to_string_lossy())))
                .collect(),
            Err(e) => {
                problems.push(format!("{pattern:?}: cannot list {}: {e}", dir.display()));
                continue;
            }
        };
        found.sort();
        files.extend(found);
    }
    (files, problems)
}

/// Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one.
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        for (p, n, ok) in [
            ("*.yml", "pg.yml", true),
            ("*.yml", "pg.yaml", false),
            ("pg-?.yml", "pg-1.yml", true),
            ("*", "anything", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ] {
            assert_eq!(wildcard(p, n), ok, "{p} {n}");
        }
    }

    #[test]
    fn parses_and_places_rules() {
        let text = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: {severity: critical, tier: 1}\n";
        let file = parse(text).map_err(|e| e.1).unwrap_or_else(|e| panic!("{e}"));
        let rule = &file.groups[0].rules[0];
        assert_eq!(rule.line(), 4);
        assert_eq!(rule.labels.get("tier").map(String::as_str), Some("1"));
    }

    #[test]
    fn unknown_keys_and_bad_yaml_name_a_line() {
        let (line, msg) =
            parse("groups:\n  - name: g\n    rules:\n      - alert: A\n        exp: up\n")
                .err()
                .unwrap_or_default();
        assert!(msg.contains("exp"), "{msg}");
        assert_eq!(line, Some(5), "{msg}");
        let (line, _) = parse("groups: [\n").err().unwrap_or_default();
        assert!(line.is_some());
    }
}
