//! How many colours the terminal can show, and how to approximate a style on one that shows fewer.

use std::fmt;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use super::color::{indexed_rgb, nearest_16, nearest_256, ANSI_COLORS};

/// The colour capability of the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColorDepth {
    /// 24-bit RGB.
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// The 16 ANSI colours only (the linux console, old xterms, some serial consoles).
    Ansi16,
    /// No colour at all (`NO_COLOR`, `TERM=dumb`): modifiers only.
    None,
}

impl ColorDepth {
    /// Detects the depth from environment variables, looked up through `env` so tests need not
    /// touch the process environment. In order:
    /// - `NO_COLOR` set and non-empty → [`ColorDepth::None`] (<https://no-color.org>);
    /// - `TERM=dumb` → [`ColorDepth::None`], whatever `COLORTERM` claims (a dumb terminal cannot
    ///   show escape sequences at all);
    /// - `COLORTERM=truecolor` or `24bit` → [`ColorDepth::TrueColor`];
    /// - `TERM` containing `256color` (`xterm-256color`, `tmux-256color`, …) → [`ColorDepth::Ansi256`];
    /// - anything else → [`ColorDepth::Ansi16`].
    pub fn detect<F>(env: F) -> ColorDepth
    where
        F: Fn(&str) -> Option<String>,
    {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        let term = env("TERM").unwrap_or_default();
        if term == "dumb" {
            return ColorDepth::None;
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        if term.contains("256color") {
            return ColorDepth::Ansi256;
        }
        ColorDepth::Ansi16
    }

    /// [`ColorDepth::detect`] on the process environment.
    pub fn from_env() -> ColorDepth {
        ColorDepth::detect(|k| std::env::var(k).ok())
    }

    /// The name accepted by [`FromStr`]: `truecolor`, `256`, `16` or `none`.
    pub const fn name(self) -> &'static str {
        match self {
            ColorDepth::TrueColor => "truecolor",
            ColorDepth::Ansi256 => "256",
            ColorDepth::Ansi16 => "16",
            ColorDepth::None => "none",
        }
    }
}

impl fmt::Display for ColorDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ColorDepth {
    type Err = String;

    /// Parses a depth given on the command line, for overriding detection.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "truecolor" | "24bit" | "rgb" => Ok(ColorDepth::TrueColor),
            "256" | "ansi256" => Ok(ColorDepth::Ansi256),
            "16" | "ansi16" | "ansi" => Ok(ColorDepth::Ansi16),
            "none" | "no" | "off" | "mono" => Ok(ColorDepth::None),
            _ => Err(format!("unknown colour depth {s:?}: use truecolor, 256, 16 or none")),
        }
    }
}

/// Approximates one colour at `depth`. `None` means "no colour": the caller drops it.
pub fn downgrade_color(c: Color, depth: ColorDepth) -> Option<Color> {
    match (depth, c) {
        (ColorDepth::None, _) => None,
        (ColorDepth::TrueColor, c) => Some(c),
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Some(Color::Indexed(nearest_256(r, g, b))),
        (ColorDepth::Ansi256, c) => Some(c),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_16(r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i < 16 => Some(ANSI_COLORS[usize::from(i)]),
        (ColorDepth::Ansi16, Color::Indexed(i)) => {
            let (r, g, b) = indexed_rgb(i);
            Some(nearest_16(r, g, b))
        }
        (ColorDepth::Ansi16, c) => Some(c),
    }
}

/// Approximates a style at `depth`. With [`ColorDepth::None`] every colour goes and the
/// modifiers stay; a style that relied on a background colour (selection, header, the production
/// badge) gets reverse video instead, so it still stands out.
pub fn downgrade_style(style: Style, depth: ColorDepth) -> Style {
    let mut out = style;
    out.fg = style.fg.and_then(|c| downgrade_color(c, depth));
    out.bg = style.bg.and_then(|c| downgrade_color(c, depth));
    out.underline_color = style.underline_color.and_then(|c| downgrade_color(c, depth));
    if depth == ColorDepth::None && matches!(style.bg, Some(c) if c != Color::Reset) {
        out = out.add_modifier(Modifier::REVERSED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(name, _)| *name == k).map(|(_, v)| (*v).to_string())
    }

    #[test]
    fn detection_follows_the_documented_order() {
        let cases: &[(&[(&str, &str)], ColorDepth)] = &[
            (&[], ColorDepth::Ansi16),
            (&[("TERM", "xterm")], ColorDepth::Ansi16),
            (&[("TERM", "linux")], ColorDepth::Ansi16),
            (&[("TERM", "xterm-256color")], ColorDepth::Ansi256),
            (&[("TERM", "tmux-256color")], ColorDepth::Ansi256),
            (&[("TERM", "screen-256color")], ColorDepth::Ansi256),
            (&[("TERM", "xterm-256color"), ("COLORTERM", "truecolor")], ColorDepth::TrueColor),
            (&[("TERM", "xterm"), ("COLORTERM", "24bit")], ColorDepth::TrueColor),
            (&[("TERM", "xterm"), ("COLORTERM", "yes")], ColorDepth::Ansi16),
            (&[("TERM", "dumb")], ColorDepth::None),
            (&[("TERM", "dumb"), ("COLORTERM", "truecolor")], ColorDepth::None),
            (&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")], ColorDepth::None),
            (&[("NO_COLOR", ""), ("TERM", "xterm-256color")], ColorDepth::Ansi256),
        ];
        for (vars, want) in cases {
            assert_eq!(ColorDepth::detect(env(vars)), *want, "{vars:?}");
        }
    }

    #[test]
    fn depth_names_round_trip() {
        for d in [ColorDepth::TrueColor, ColorDepth::Ansi256, ColorDepth::Ansi16, ColorDepth::None]
        {
            assert_eq!(d.name().parse::<ColorDepth>(), Ok(d));
        }
        assert!("lots".parse::<ColorDepth>().is_err());
    }

    #[test]
    fn colours_downgrade_per_depth() {
        let rgb = Color::Rgb(0xff, 0x55, 0x55);
        assert_eq!(downgrade_color(rgb, ColorDepth::TrueColor), Some(rgb));
        assert_eq!(downgrade_color(rgb, ColorDepth::Ansi256), Some(Color::Indexed(203)));
        assert_eq!(downgrade_color(rgb, ColorDepth::Ansi16), Some(Color::LightRed));
        assert_eq!(downgrade_color(rgb, ColorDepth::None), None);
        assert_eq!(downgrade_color(Color::Indexed(196), ColorDepth::Ansi16), Some(Color::Red));
        assert_eq!(downgrade_color(Color::Indexed(1), ColorDepth::Ansi16), Some(Color::Red));
        assert_eq!(downgrade_color(Color::Yellow, ColorDepth::Ansi256), Some(Color::Yellow));
    }

    #[test]
    fn no_colour_keeps_modifiers_and_reverses_backgrounds() {
        let critical = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
        let mono = downgrade_style(critical, ColorDepth::None);
        assert_eq!(mono, Style::new().add_modifier(Modifier::BOLD));

        let selection = Style::new().fg(Color::Black).bg(Color::Cyan);
        let mono = downgrade_style(selection, ColorDepth::None);
        assert_eq!(mono, Style::new().add_modifier(Modifier::REVERSED));
    }
}
