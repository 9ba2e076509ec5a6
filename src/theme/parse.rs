//! Reads one theme file into a [`ThemeSpec`]: the roles and palette it sets and the parent it
//! names, or every problem found in it.
//!
//! ```toml
//! parent = "dark"                      # optional; default: the built-in dark theme
//! description = "for a light terminal" # optional
//! series = ["#1f77b4", "orange", 33]   # optional; replaces the parent's palette
//!
//! [roles]
//! critical = { fg = "#ff5555", bold = true }
//! muted = "darkgray"                   # a bare colour is shorthand for { fg = … }
//! selection = { fg = "black", bg = "cyan", reversed = false }
//! ```
//! A role set here replaces the parent's style for that role entirely (no field-by-field merge:
//! what you read in the file is what you get).

use std::ops::Range;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::color::{parse_colour, COLOUR_HINT};
use super::problem::ThemeProblem;
use super::role::Role;
use crate::diag::suggest;

/// Most entries a series palette may hold.
pub const MAX_SERIES: usize = 32;

const TOP_KEYS: [&str; 4] = ["parent", "description", "series", "roles"];
const STYLE_KEYS: [&str; 7] = ["fg", "bg", "bold", "dim", "italic", "underline", "reversed"];
const MODIFIERS: [(&str, Modifier); 5] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underline", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
];

/// The contents of one theme file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThemeSpec {
    /// The parent theme's name and the byte span of its value, if the file names one.
    pub parent: Option<(String, Range<usize>)>,
    /// The `description` line, if any.
    pub description: Option<String>,
    /// Roles this file sets, each once.
    pub roles: Vec<(Role, Style)>,
    /// The series palette, if this file sets one.
    pub series: Option<Vec<Style>>,
}

/// Parses a theme file's text. `file` is only used to label problems.
pub fn parse_theme(text: &str, file: Option<&Path>) -> Result<ThemeSpec, Vec<ThemeProblem>> {
    let mut p = Parser { text, file, problems: Vec::new() };
    let spec = p.document();
    p.problems.sort_by_key(|p| (p.line, p.column));
    if p.problems.is_empty() {
        Ok(spec)
    } else {
        Err(p.problems)
    }
}

struct Parser<'a> {
    text: &'a str,
    file: Option<&'a Path>,
    problems: Vec<ThemeProblem>,
}

impl Parser<'_> {
    fn problem(&mut self, span: Range<usize>, message: String, fix: Option<String>) {
        let mut p = ThemeProblem::new(message).in_file(self.file).at(self.text, span);
        p.fix = fix;
        self.problems.push(p);
    }

    fn document(&mut self) -> ThemeSpec {
        let mut spec = ThemeSpec::default();
        let root = match DeTable::parse(self.text) {
            Ok(root) => root,
            Err(e) => {
                let message = e.message().trim().replace('\n', "; ");
                self.problem(
                    e.span().unwrap_or(0..0),
                    format!("not valid TOML: {message}"),
                    Some("fix the syntax at this spot".into()),
                );
                return spec;
            }
        };
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "parent" => spec.parent = self.string(value, "parent").map(|s| (s, value.span())),
                "description" => spec.description = self.string(value, "description"),
                "series" => spec.series = self.series(value),
                "roles" => spec.roles = self.roles(value),
                other => self.unknown_top_key(key, other),
            }
        }
        spec
    }

    fn unknown_top_key(&mut self, key: &Spanned<std::borrow::Cow<'_, str>>, name: &str) {
        let fix = if Role::from_name(name).is_some() {
            format!("roles go under a [roles] table: move \"{name}\" below [roles]")
        } else if let Some(s) = suggest(name, TOP_KEYS) {
            format!("did you mean \"{s}\"?")
        } else {
            format!("allowed keys: {}", TOP_KEYS.join(", "))
        };
        self.problem(key.span(), format!("unknown key \"{name}\""), Some(fix));
    }

    fn string(&mut self, value: &Spanned<DeValue<'_>>, what: &str) -> Option<String> {
        if let DeValue::String(s) = value.get_ref() {
            return Some(s.to_string());
        }
        self.problem(
            value.span(),
            format!("\"{what}\" must be a string"),
            Some(format!("write {what} = \"…\"")),
        );
        None
    }

    fn series(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Vec<Style>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                value.span(),
                "\"series\" must be a list of colours".into(),
                Some("write series = [\"#8be9fd\", \"green\", 214]".into()),
            );
            return None;
        };
        if items.is_empty() || items.len() > MAX_SERIES {
            self.problem(
                value.span(),
                format!("\"series\" has {} entries", items.len()),
                Some(format!("give between 1 and {MAX_SERIES} colours")),
            );
            return None;
        }
        let styles: Vec<Option<Style>> = items.iter().map(|item| self.style(item)).collect();
        styles.into_iter().collect()
    }

    fn roles(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<(Role, Style)> {
        let DeValue::Table(table) = value.get_ref() else {
            self.problem(
                value.span(),
                "\"roles\" must be a table".into(),
                Some("start it with a [roles] line".into()),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(table.len());
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let Some(role) = Role::from_name(name) else {
                let names = Role::ALL.map(Role::name);
                let fix = match suggest(name, names) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("known roles: {}", names.join(", ")),
                };
                self.problem(key.span(), format!("unknown role \"{name}\""), Some(fix));
                continue;
            };
            if let Some(style) = self.style(value) {
                out.push((role, style));
            }
        }
        out
    }

    /// A style: a bare colour (foreground) or a table of fg, bg and modifiers.
    fn style(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Style> {
        let DeValue::Table(table) = value.get_ref() else {
            return self.colour(value).map(|c| Style::new().fg(c));
        };
        let mut style = Style::new();
        let mut ok = true;
        for (key, v) in table.iter() {
            let name = key.get_ref().as_ref();
            match name {
                "fg" | "bg" => match self.colour(v) {
                    Some(c) if name == "fg" => style = style.fg(c),
                    Some(c) => style = style.bg(c),
                    None => ok = false,
                },
                _ => match MODIFIERS.iter().find(|(m, _)| *m == name) {
                    Some((_, modifier)) => match v.get_ref() {
                        DeValue::Boolean(true) => style = style.add_modifier(*modifier),
                        DeValue::Boolean(false) => {}
                        _ => {
                            ok = false;
                            self.problem(
                                v.span(),
                                format!("\"{name}\" must be true or false"),
                                Some(format!("write {name} = true")),
                            );
                        }
                    },
                    None => {
                        ok = false;
                        let fix = match (style_key_alias(name), suggest(name, STYLE_KEYS)) {
                            (Some(s), _) | (None, Some(s)) => format!("did you mean \"{s}\"?"),
                            (None, None) => format!("a style takes {}", STYLE_KEYS.join(", ")),
                        };
                        self.problem(
                            key.span(),
                            format!("unknown style key \"{name}\""),
                            Some(fix),
                        );
                    }
                },
            }
        }
        ok.then_some(style)
    }

    fn colour(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Color> {
        let parsed = match value.get_ref() {
            DeValue::String(s) => parse_colour(s).ok_or_else(|| format!("{s:?}")),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .and_then(|n| u8::try_from(n).ok())
                .map(Color::Indexed)
                .ok_or_else(|| i.to_string()),
            DeValue::Float(f) => Err(f.to_string()),
            DeValue::Boolean(b) => Err(b.to_string()),
            _ => Err("value".to_string()),
        };
        match parsed {
            Ok(c) => Some(c),
            Err(shown) => {
                let fix = match value.get_ref() {
                    DeValue::String(s)
                        if s.len() == 6 && parse_colour(&format!("#{s}")).is_some() =>
                    {
                        format!("hex colours start with #: write \"#{s}\"")
                    }
                    _ => COLOUR_HINT.to_string(),
                };
                self.problem(value.span(), format!("bad colour {shown}"), Some(fix));
                None
            }
        }
    }
}

/// Words people reach for instead of `fg` and `bg`.
fn style_key_alias(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "color" | "colour" | "foreground" | "fore" | "fg_color" | "text" => Some("fg"),
        "background" | "back" | "bg_color" => Some("bg"),
        "underlined" => Some("underline"),
        "reverse" | "inverse" | "inverted" => Some("reversed"),
        "faint" => Some("dim"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        match parse_theme(text, Some(Path::new("t.toml"))) {
            Ok(_) => Vec::new(),
            Err(ps) => ps.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn reads_roles_series_and_parent() {
        let spec = parse_theme(
            "parent = \"dark\"\nseries = [\"red\", 33, { fg = \"#010203\", bold = true }]\n\
             [roles]\ncritical = { fg = \"#ff5555\", bold = true }\nmuted = \"darkgray\"\n\
             selection = { bg = 4, reversed = true, italic = false }\n",
            None,
        )
        .unwrap();
        assert_eq!(spec.parent.as_ref().map(|p| p.0.as_str()), Some("dark"));
        assert_eq!(
            spec.series,
            Some(vec![
                Style::new().fg(Color::Red),
                Style::new().fg(Color::Indexed(33)),
                Style::new().fg(Color::Rgb(1, 2, 3)).add_modifier(Modifier::BOLD),
            ])
        );
        assert!(spec.roles.contains(&(
            Role::Critical,
            Style::new().fg(Color::Rgb(0xff, 0x55, 0x55)).add_modifier(Modifier::BOLD)
        )));
        assert!(spec.roles.contains(&(Role::Muted, Style::new().fg(Color::DarkGray))));
        assert!(spec.roles.contains(&(
            Role::Selection,
            Style::new().bg(Color::Indexed(4)).add_modifier(Modifier::REVERSED)
        )));
    }

    #[test]
    fn every_problem_in_a_file_is_reported_with_its_line() {
        let got = messages(
            "[roles]\ncritcal = \"red\"\nwarning = { fg = \"#ff55\" }\nok = { fg = 300 }\n\
             info = { bold = \"yes\" }\nmuted = { colour = \"red\" }\n",
        );
        assert_eq!(
            got,
            vec![
                "t.toml:2:1: unknown role \"critcal\" — did you mean \"critical\"?",
                "t.toml:3:18: bad colour \"#ff55\" — use #rrggbb, an ANSI name (red, lightred, \
                 darkgray, …) or 0-255",
                "t.toml:4:13: bad colour 300 — use #rrggbb, an ANSI name (red, lightred, \
                 darkgray, …) or 0-255",
                "t.toml:5:17: \"bold\" must be true or false — write bold = true",
                "t.toml:6:11: unknown style key \"colour\" — did you mean \"fg\"?",
            ]
        );
    }

    #[test]
    fn common_slips_get_specific_fixes() {
        assert_eq!(
            messages("critical = \"red\"\n"),
            vec![
                "t.toml:1:1: unknown key \"critical\" — roles go under a [roles] table: \
                  move \"critical\" below [roles]"
            ]
        );
        assert_eq!(
            messages("[roles]\nok = \"50fa7b\"\n"),
            vec!["t.toml:2:6: bad colour \"50fa7b\" — hex colours start with #: write \"#50fa7b\""]
        );
        assert_eq!(
            messages("[roles]\nok = { underlined = true }\n"),
            vec!["t.toml:2:8: unknown style key \"underlined\" — did you mean \"underline\"?"]
        );
        assert_eq!(
            messages("[roles]\nok = { shade = \"red\" }\n"),
            vec![
                "t.toml:2:8: unknown style key \"shade\" — a style takes fg, bg, bold, dim, \
                  italic, underline, reversed"
            ]
        );
        assert_eq!(
            messages("parnet = \"dark\"\n"),
            vec!["t.toml:1:1: unknown key \"parnet\" — did you mean \"parent\"?"]
        );
        assert_eq!(
            messages("series = []\n"),
            vec!["t.toml:1:10: \"series\" has 0 entries — give between 1 and 32 colours"]
        );
    }

    #[test]
    fn roles_may_be_written_as_tables() {
        let spec = parse_theme("[roles.critical]\nfg = \"red\"\nbold = true\n", None).unwrap();
        assert_eq!(
            spec.roles,
            vec![(Role::Critical, Style::new().fg(Color::Red).add_modifier(Modifier::BOLD))]
        );
        assert_eq!(
            messages("[roles.critical]\nbold = true\nfg = \"#12\"\n"),
            vec![
                "t.toml:3:6: bad colour \"#12\" — use #rrggbb, an ANSI name (red, lightred, \
                  darkgray, …) or 0-255"
            ]
        );
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let got = messages("[roles]\ncritical = { fg = \"red\" \n");
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("t.toml:2:"), "{got:?}");
        assert!(got[0].contains("not valid TOML"), "{got:?}");
    }
}
