//! Problems found while loading theme files, each with a location and a fix the user can act on.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a theme file: where it is, what is wrong and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeProblem {
    /// The file the problem is in; `None` when no file is involved (e.g. `--theme nope`).
    /// Themes compiled into the binary show as `<built-in>/NAME.toml`.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// What is wrong, e.g. `unknown role "critcal"`.
    pub message: String,
    /// What to do, e.g. `did you mean "critical"?`.
    pub fix: Option<String>,
}

impl ThemeProblem {
    /// A problem with no location.
    pub fn new(message: impl Into<String>) -> Self {
        ThemeProblem { file: None, line: None, column: None, message: message.into(), fix: None }
    }

    /// Attaches a fix.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// Attaches a file.
    pub fn in_file(mut self, file: Option<&Path>) -> Self {
        self.file = file.map(Path::to_path_buf);
        self
    }

    /// Attaches the line and column of byte offset `span.start` in `text`.
    pub fn at(mut self, text: &str, span: Range<usize>) -> Self {
        let (line, column) = line_col(text, span.start);
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for ThemeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(col) = self.column {
                    write!(f, ":{col}")?;
                }
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, " — {fix}")?;
        }
        Ok(())
    }
}

impl From<ThemeProblem> for crate::diag::Diagnostic {
    /// For `warroom check` and start-up, which print every file's problems the same way.
    /// The column is dropped; a problem with no file is attributed to `<theme>`.
    fn from(p: ThemeProblem) -> Self {
        let file = p.file.unwrap_or_else(|| PathBuf::from("<theme>"));
        let d = crate::diag::Diagnostic::new(file, p.line, p.message);
        match p.fix {
            Some(fix) => d.with_fix(fix),
            None => d,
        }
    }
}

/// A theme could not be loaded; holds every problem found, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ThemeError {
    /// The problems, at least one.
    pub problems: Vec<ThemeProblem>,
}

impl From<ThemeProblem> for ThemeError {
    fn from(p: ThemeProblem) -> Self {
        ThemeError { problems: vec![p] }
    }
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_and_fix_are_shown() {
        let text = "parent = \"dark\"\n[roles]\ncritcal = \"red\"\n";
        let start = text.find("critcal").unwrap();
        let p = ThemeProblem::new("unknown role \"critcal\"")
            .with_fix("did you mean \"critical\"?")
            .in_file(Some(Path::new("themes/x.toml")))
            .at(text, start..start + 7);
        assert_eq!(
            p.to_string(),
            "themes/x.toml:3:1: unknown role \"critcal\" — did you mean \"critical\"?"
        );
    }

    #[test]
    fn converts_to_a_diagnostic() {
        let d = crate::diag::Diagnostic::from(
            ThemeProblem::new("theme \"x\" not found").with_fix("did you mean \"dark\"?"),
        );
        assert_eq!(d.file, PathBuf::from("<theme>"));
        assert_eq!(d.fix.as_deref(), Some("did you mean \"dark\"?"));
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("é = 1", 2), (1, 2));
        assert_eq!(line_col("é = 1", 1), (1, 1));
        assert_eq!(line_col("a\nbc", 99), (2, 3));
    }
}
