//! Themes: styles for [`Role`]s, loaded from `themes/NAME.toml` with a parent fallback.

mod color;
mod depth;
mod parse;
mod problem;
mod role;

pub use color::{is_ansi16, parse_colour};
pub use depth::{downgrade_color, downgrade_style, ColorDepth};
pub use parse::{parse_theme, ThemeSpec};
pub use problem::{ThemeError, ThemeProblem};
pub use role::Role;
