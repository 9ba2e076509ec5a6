//! [`Theme`]: a resolved table of styles, one per [`Role`], plus the series palette.

use ratatui::style::{Modifier, Style};

use super::depth::{downgrade_style, ColorDepth};
use super::parse::ThemeSpec;
use super::role::Role;

/// A resolved theme. Lookups are a plain array index, cheap enough for every cell of every frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    name: String,
    styles: [Style; Role::COUNT],
    /// Never empty.
    series: Vec<Style>,
}

impl Theme {
    /// The root of every parent chain: no colours at all, only modifiers, so that even this
    /// theme tells critical from ok and shows the selection and the production badge.
    pub fn mono() -> Theme {
        let mut styles = [Style::new(); Role::COUNT];
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        for (role, style) in [
            (Role::Muted, Style::new().add_modifier(Modifier::DIM)),
            (Role::BorderFocus, bold),
            (Role::Title, bold),
            (Role::Critical, bold.add_modifier(Modifier::REVERSED)),
            (Role::Warning, bold),
            (Role::NoData, Style::new().add_modifier(Modifier::ITALIC)),
            (Role::Stale, Style::new().add_modifier(Modifier::ITALIC | Modifier::DIM)),
            (Role::QueryError, bold.add_modifier(Modifier::UNDERLINED)),
            (Role::Acked, Style::new().add_modifier(Modifier::DIM)),
            (Role::Selection, reversed),
            (Role::HeaderBg, reversed),
            (Role::EnvProd, bold.add_modifier(Modifier::REVERSED)),
            (Role::EnvStaging, reversed),
            (Role::EnvOther, reversed),
            (Role::ChartGrid, Style::new().add_modifier(Modifier::DIM)),
            (Role::Marker, bold),
        ] {
            styles[role.index()] = style;
        }
        Theme { name: "mono".into(), styles, series: vec![Style::new()] }
    }

    /// The theme's name (its file stem, e.g. `dark`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The style for a role.
    #[inline]
    pub fn style(&self, role: Role) -> Style {
        self.styles[role.index()]
    }

    /// The style for the `i`-th series of a chart; the palette repeats when `i` runs past its end.
    #[inline]
    pub fn series(&self, i: usize) -> Style {
        self.series[i % self.series.len()]
    }

    /// How many distinct series styles the palette holds.
    pub fn series_len(&self) -> usize {
        self.series.len()
    }

    /// Overrides one role, e.g. the environment badge colour set in the config file.
    pub fn set(&mut self, role: Role, style: Style) {
        self.styles[role.index()] = style;
    }

    /// This theme as a terminal of the given depth can show it: RGB becomes the nearest
    /// 256-palette entry or ANSI colour; with [`ColorDepth::None`] colours go, modifiers stay,
    /// backgrounds become reverse video, and each role also gets the modifiers it has in
    /// [`Theme::mono`] (critical reversed and bold, warning bold, …) so severity still reads.
    pub fn downgrade(&self, depth: ColorDepth) -> Theme {
        let mut styles = self.styles.map(|s| downgrade_style(s, depth));
        if depth == ColorDepth::None {
            // Without colour, severities would collapse into one bold: add the modifiers of the
            // monochrome scheme, which is designed to tell every role apart without colour.
            for (style, mono) in styles.iter_mut().zip(Theme::mono().styles) {
                *style = style.add_modifier(mono.add_modifier);
            }
        }
        Theme {
            name: self.name.clone(),
            styles,
            series: self.series.iter().map(|s| downgrade_style(*s, depth)).collect(),
        }
    }

    /// Applies a theme file on top of this (its parent), under a new name.
    pub(crate) fn apply(mut self, name: &str, spec: &ThemeSpec) -> Theme {
        self.name = name.to_string();
        for (role, style) in &spec.roles {
            self.styles[role.index()] = *style;
        }
        if let Some(series) = spec.series.as_ref().filter(|s| !s.is_empty()) {
            self.series.clone_from(series);
        }
        self
    }
}

impl Default for Theme {
    /// The built-in `dark` theme, compiled into the binary. Parses the embedded file (a few
    /// microseconds): build the theme once at start-up and pass `&Theme` to the renderer.
    fn default() -> Self {
        super::load::ThemeLoader::builtin_only().load("dark").unwrap_or_else(|_| Theme::mono())
    }
}
