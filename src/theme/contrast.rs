//! Contrast of text against what it is drawn on, as WCAG 2 defines it: the ratio of the
//! relative luminances, 1:1 to 21:1. 4.5:1 is the minimum for normal text.

use ratatui::style::Color;

use super::color::indexed_rgb;

/// WCAG's minimum for normal text.
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

/// The RGB value of a colour as xterm shows it; `None` for the terminal's own default.
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    let index = |i: u8| Some(indexed_rgb(i));
    match c {
        Color::Reset => None,
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) => index(i),
        Color::Black => index(0),
        Color::Red => index(1),
        Color::Green => index(2),
        Color::Yellow => index(3),
        Color::Blue => index(4),
        Color::Magenta => index(5),
        Color::Cyan => index(6),
        Color::Gray => index(7),
        Color::DarkGray => index(8),
        Color::LightRed => index(9),
        Color::LightGreen => index(10),
        Color::LightYellow => index(11),
        Color::LightBlue => index(12),
        Color::LightMagenta => index(13),
        Color::LightCyan => index(14),
        Color::White => index(15),
    }
}

/// Relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// The contrast ratio of two colours, 1.0 to 21.0, whichever is lighter.
pub fn ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_on_white_is_21_and_equal_colours_1() {
        assert!((ratio((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((ratio((120, 30, 200), (120, 30, 200)) - 1.0).abs() < 1e-9);
        // A known pair: #767676 on white is WCAG's classic 4.54:1.
        assert!((ratio((0x76, 0x76, 0x76), (255, 255, 255)) - 4.54).abs() < 0.01);
    }
}
