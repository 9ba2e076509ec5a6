//! Themes: styles for [`Role`]s, loaded from `themes/NAME.toml` with a parent fallback.
//!
//! ```no_run
//! use warroom::theme::{ColorDepth, Role, ThemeLoader};
//!
//! let loader = ThemeLoader::standard(None, |k| std::env::var(k).ok());
//! let theme = loader.load("light")?.downgrade(ColorDepth::from_env());
//! let style = theme.style(Role::Critical);
//! # Ok::<(), warroom::theme::ThemeError>(())
//! ```

mod builtin;
mod color;
pub mod contrast;
mod depth;
mod load;
mod parse;
mod problem;
mod role;
mod styles;

pub use builtin::{builtin_text, BUILTIN_THEMES, DEFAULT_THEME};
pub use color::{is_ansi16, parse_colour, COLOUR_HINT};
pub use depth::{downgrade_color, downgrade_style, ColorDepth};
pub use load::{check_themes, user_theme_dir, ThemeLoader};
pub use parse::{parse_theme, ThemeSpec};
pub use problem::{ThemeError, ThemeProblem};
pub use role::Role;
pub use styles::Theme;
