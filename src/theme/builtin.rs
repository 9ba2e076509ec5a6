//! The themes shipped in `themes/`, compiled into the binary so `--theme light` works with no
//! files on disk.

/// Name and file text of every shipped theme.
pub const BUILTIN_THEMES: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("16color", include_str!("../../themes/16color.toml")),
];

/// The name of the default theme.
pub const DEFAULT_THEME: &str = "dark";

/// The text of a shipped theme.
pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN_THEMES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}
