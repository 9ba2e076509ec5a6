//! Problems found in files the user wrote (config, runbooks, themes), reported with the file, the
//! line and what to do about it — the way `warroom check` and start-up print them.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub message: String,
    /// What to change, when there is something concrete to say.
    pub fix: Option<String>,
    /// A warning: worth reading, but nothing stops working (`check` still succeeds).
    pub warning: bool,
}

impl Diagnostic {
    pub fn new(file: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line, message: message.into(), fix: None, warning: false }
    }

    /// The same, as a warning.
    pub fn as_warning(mut self) -> Self {
        self.warning = true;
        self
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Where something was written: a file and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: Option<usize>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Line of the `index`-th (0-based) `[[name]]` array-of-tables header in a TOML text.
pub fn table_line(text: &str, name: &str, index: usize) -> Option<usize> {
    let header = format!("[[{name}]]");
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(&header))
        .nth(index)
        .map(|(i, _)| i + 1)
}

/// Line of `key = …` in the table whose header is at line `table` (1-based; `None`: the top
/// level before any table), else the table's own line.
pub fn key_line(text: &str, table: Option<usize>, key: &str) -> Option<usize> {
    let start = table.unwrap_or(0);
    text.lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            l.trim_start().strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|(i, _)| i + 1)
        .or(table)
}

/// Turns a `toml` parse error into a diagnostic with the line it points at.
pub fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> Diagnostic {
    let line = err.span().map(|s| line_of(text, s.start));
    Diagnostic::new(file, line, err.message().trim().to_string())
}

/// The closest of `candidates` to `word` (edit distance ≤ 2), for "did you mean …?" hints.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_and_tables() {
        let text = "a = 1\n[[panels]]\nx = 1\n[[panels]]\n";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 6), 2);
        assert_eq!(table_line(text, "panels", 1), Some(4));
        assert_eq!(table_line(text, "alerts", 0), None);
        let text = "top = 1\n[[s]]\nname = 1\nx = 2\n[[s]]\nxy = 3\n";
        assert_eq!(key_line(text, Some(2), "x"), Some(4));
        assert_eq!(key_line(text, Some(5), "x"), Some(5), "xy is not x; the table's line");
        assert_eq!(key_line(text, None, "top"), Some(1));
        assert_eq!(key_line(text, None, "x"), None);
    }

    #[test]
    fn suggests_near_words() {
        assert_eq!(suggest("critcal", ["critical", "warning"]), Some("critical"));
        assert_eq!(suggest("zzz", ["critical"]), None);
    }
}
