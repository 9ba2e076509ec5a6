//! Colour values as written in theme files, and the xterm palette used to approximate them on
//! terminals with fewer colours.

use ratatui::style::Color;

/// The hint shown whenever a colour cannot be parsed.
pub const COLOUR_HINT: &str = "use #rrggbb, an ANSI name (red, lightred, darkgray, …) or 0-255";

/// The 16 ANSI colour names accepted in theme files, in palette order (index 0–15).
pub const ANSI_NAMES: [&str; 16] = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
];

/// The 16 ANSI colours as ratatui names them, in palette order.
pub const ANSI_COLORS: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// xterm's default RGB values for the 16 ANSI colours; the reference for nearest-colour matching.
const ANSI_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// The six levels of each channel in xterm's 6×6×6 colour cube (indices 16–231).
const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// Parses a colour as written in a theme file: `#rrggbb`, an ANSI name (case, `-`, `_` and
/// spaces ignored, `grey` accepted for `gray`), `reset`/`default` for the terminal's own colour,
/// or a palette index `0`–`255` written as a string.
pub fn parse_colour(s: &str) -> Option<Color> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        let [_, r, g, b] = v.to_be_bytes();
        return Some(Color::Rgb(r, g, b));
    }
    if let Ok(i) = t.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    let name: String = t
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect::<String>()
        .replace("grey", "gray");
    if matches!(name.as_str(), "reset" | "default") {
        return Some(Color::Reset);
    }
    ANSI_NAMES.iter().position(|n| *n == name).map(|i| ANSI_COLORS[i])
}

/// Whether `c` is one of the 16 ANSI colours (by name or as index 0–15), or the terminal default.
pub fn is_ansi16(c: Color) -> bool {
    match c {
        Color::Rgb(..) => false,
        Color::Indexed(i) => i < 16,
        _ => true,
    }
}

/// The RGB value xterm shows for a palette index.
pub fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI_RGB[usize::from(i)],
        16..=231 => {
            let n = i - 16;
            let level = |x: u8| CUBE_LEVELS[usize::from(x)];
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The nearest xterm-256 palette entry to an RGB colour, chosen from the colour cube and the
/// grey ramp only (16–255): indices 0–15 are redefined by many terminal themes.
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let cube_index = |v: u8| -> u8 {
        CUBE_LEVELS
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| (i32::from(**l) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i as u8)
    };
    let (ci, cj, ck) = (cube_index(r), cube_index(g), cube_index(b));
    let cube = 16 + 36 * ci + 6 * cj + ck;
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    let grey_step = (avg.saturating_sub(3) / 10).min(23) as u8;
    let grey = 232 + grey_step;
    if distance((r, g, b), indexed_rgb(grey)) < distance((r, g, b), indexed_rgb(cube)) {
        grey
    } else {
        cube
    }
}

/// The closest of the 16 ANSI colours to an RGB colour, by meaning rather than by distance:
/// greys stay grey (by lightness), anything with colour keeps its hue family (so a mint green
/// that is numerically nearer to cyan still reads as "ok"), and light tones map to the bright
/// variants. Orange counts as yellow, the usual warning colour.
pub fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let chroma = i32::from(max) - i32::from(min);
    let lightness = (u16::from(max) + u16::from(min)) / 2;
    if chroma < 40 || lightness < 30 {
        return match lightness {
            0..=50 => Color::Black,
            51..=152 => Color::DarkGray,
            153..=221 => Color::Gray,
            _ => Color::White,
        };
    }
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let hue = if i32::from(max) == r {
        (60 * (g - b) / chroma).rem_euclid(360)
    } else if i32::from(max) == g {
        60 * (b - r) / chroma + 120
    } else {
        60 * (r - g) / chroma + 240
    };
    let light = lightness > 140;
    let (normal, bright) = match hue {
        0..=14 | 345..=360 => (Color::Red, Color::LightRed),
        15..=74 => (Color::Yellow, Color::LightYellow),
        75..=149 => (Color::Green, Color::LightGreen),
        150..=194 => (Color::Cyan, Color::LightCyan),
        195..=254 => (Color::Blue, Color::LightBlue),
        _ => (Color::Magenta, Color::LightMagenta),
    };
    if light {
        bright
    } else {
        normal
    }
}

/// Perceptually weighted squared RGB distance ("redmean"): cheap and much better than plain
/// Euclidean distance at keeping reds red and greys grey.
fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let rmean = (i32::from(a.0) + i32::from(b.0)) / 2;
    let dr = i32::from(a.0) - i32::from(b.0);
    let dg = i32::from(a.1) - i32::from(b.1);
    let db = i32::from(a.2) - i32::from(b.2);
    let d = (((512 + rmean) * dr * dr) >> 8) + 4 * dg * dg + (((767 - rmean) * db * db) >> 8);
    d.unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_spelling() {
        let cases = [
            ("#ff5555", Some(Color::Rgb(0xff, 0x55, 0x55))),
            ("#FFaa00", Some(Color::Rgb(0xff, 0xaa, 0x00))),
            ("red", Some(Color::Red)),
            ("LightRed", Some(Color::LightRed)),
            ("light_red", Some(Color::LightRed)),
            ("dark-grey", Some(Color::DarkGray)),
            ("reset", Some(Color::Reset)),
            ("196", Some(Color::Indexed(196))),
            ("#ff55", None),
            ("#gg0000", None),
            ("256", None),
            ("crimson", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_colour(input), want, "{input:?}");
        }
    }

    #[test]
    fn palette_rgb_values() {
        assert_eq!(indexed_rgb(16), (0, 0, 0));
        assert_eq!(indexed_rgb(196), (255, 0, 0));
        assert_eq!(indexed_rgb(231), (255, 255, 255));
        assert_eq!(indexed_rgb(232), (8, 8, 8));
        assert_eq!(indexed_rgb(255), (238, 238, 238));
        assert_eq!(indexed_rgb(9), (255, 0, 0));
    }

    #[test]
    fn nearest_256_matches_exact_palette_entries() {
        for i in 16..=255u8 {
            let (r, g, b) = indexed_rgb(i);
            assert_eq!(indexed_rgb(nearest_256(r, g, b)), (r, g, b), "index {i}");
        }
        assert_eq!(nearest_256(0xff, 0x55, 0x55), 203);
        assert_eq!(nearest_256(0x80, 0x80, 0x80), 244);
    }

    #[test]
    fn nearest_16_keeps_hues() {
        assert_eq!(nearest_16(0xff, 0x55, 0x55), Color::LightRed);
        assert_eq!(nearest_16(0xcc, 0x00, 0x00), Color::Red);
        assert_eq!(nearest_16(0x50, 0xfa, 0x7b), Color::LightGreen);
        assert_eq!(nearest_16(0xf1, 0xfa, 0x8c), Color::LightYellow);
        assert_eq!(nearest_16(0x6e, 0x6e, 0x6e), Color::DarkGray);
        assert_eq!(nearest_16(0x10, 0x10, 0x10), Color::Black);
        assert_eq!(nearest_16(0xf8, 0xf8, 0xf2), Color::White);
        assert_eq!(nearest_16(0xff, 0xb8, 0x6c), Color::LightYellow);
        assert_eq!(nearest_16(0xf1, 0xc4, 0x0f), Color::Yellow);
        assert_eq!(nearest_16(0x8b, 0xe9, 0xfd), Color::LightCyan);
        assert_eq!(nearest_16(0x1f, 0x78, 0xc1), Color::Blue);
        assert_eq!(nearest_16(0x3b, 0x42, 0x52), Color::DarkGray);
        assert_eq!(nearest_16(0x33, 0x00, 0x00), Color::Black);
        assert_eq!(nearest_16(0xcc, 0x00, 0xcc), Color::Magenta);
    }
}
