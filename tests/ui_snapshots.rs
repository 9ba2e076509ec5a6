//! Screens as a person sees them: the demo dashboard rendered into a `TestBackend` with pinned
//! data and clock, compared as text snapshots — and, since text is colour-blind, a compact
//! summary of the styles on the rows that carry meaning (header, alert rows, footer) per theme.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::Terminal;
use warroom::demo::demo_model;
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::snapshot::buffer_text;
use warroom::theme::{ColorDepth, Theme, ThemeLoader, BUILTIN_THEMES};
use warroom::update::update;

/// Sizes every screen is snapshotted at: the SSH default and a big tmux pane.
const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn render(model: &Model, theme: &Theme, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::render(model, theme, f)).unwrap();
    t.backend().buffer().clone()
}

fn frame(model: &Model, w: u16, h: u16) -> String {
    buffer_text(&render(model, &Theme::default(), w, h))
}

fn press(model: &mut Model, code: KeyCode) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    update(model, Msg::Key { key, at: std::time::Instant::now() });
}

/// Every shipped theme, plus the default theme as `NO_COLOR` turns it.
fn themes() -> Vec<Theme> {
    let loader = ThemeLoader::builtin_only();
    let mut all: Vec<Theme> =
        BUILTIN_THEMES.iter().map(|(name, _)| loader.load(name).unwrap()).collect();
    all.push(no_color());
    all
}

fn no_color() -> Theme {
    Theme::default().downgrade(ColorDepth::None)
}

/// The screens under test, by name, each a model at the given size.
fn screens(w: u16, h: u16) -> Vec<(&'static str, Model)> {
    let main = demo_model(90, w, h);
    let mut zoomed = main.clone();
    press(&mut zoomed, KeyCode::Enter);
    for _ in 0..5 {
        press(&mut zoomed, KeyCode::Left);
    }
    let mut help = main.clone();
    press(&mut help, KeyCode::Char('?'));
    vec![("main", main), ("zoomed", zoomed), ("help", help)]
}

#[test]
fn screens_at_80x24_and_160x48() {
    for (w, h) in SIZES {
        for (name, model) in screens(w, h) {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), frame(&model, w, h));
        }
    }
}

#[test]
fn too_small_screens() {
    for (w, h) in [(40, 10), (59, 24), (80, 15)] {
        let m = demo_model(90, w, h);
        insta::assert_snapshot!(format!("too_small_{w}x{h}"), frame(&m, w, h));
    }
}

/// Themes change how things look, never where they are: every theme draws the same text. (A
/// theme without colours shades stacked-bar segments `▓▒░` to tell them apart: same places.)
#[test]
fn every_theme_draws_the_same_text() {
    let unshade = |s: String| s.replace(['▓', '▒', '░'], "█");
    for (w, h) in SIZES {
        for (name, model) in screens(w, h) {
            let reference = frame(&model, w, h);
            for theme in themes() {
                let text = unshade(buffer_text(&render(&model, &theme, w, h)));
                assert_eq!(text, reference, "{name} {w}x{h} in theme {}", theme.name());
            }
        }
    }
}

#[test]
fn any_size_renders_without_panic() {
    let mut m = demo_model(90, 80, 24);
    for w in [0u16, 1, 2, 5, 20, 59, 60, 61, 79, 80, 81, 200, 333] {
        for h in [0u16, 1, 2, 5, 15, 16, 17, 24, 60, 120] {
            // Before the model hears of the new size (a resize still settling) and after.
            let _ = frame(&m, w, h);
            update(&mut m, Msg::Resize { width: w, height: h });
            let _ = frame(&m, w, h);
        }
    }
    // Zoomed and help screens of a model that last heard of a 1×1 terminal, at both extremes.
    for (_, screen) in screens(1, 1) {
        let _ = frame(&screen, 1, 1);
        let _ = frame(&screen, 333, 120);
    }
}

// ---- Styles ------------------------------------------------------------------------------------

fn colour(c: Color) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("@{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn style_name(s: Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = s.fg.filter(|c| *c != Color::Reset) {
        parts.push(format!("fg={}", colour(fg)));
    }
    if let Some(bg) = s.bg.filter(|c| *c != Color::Reset) {
        parts.push(format!("bg={}", colour(bg)));
    }
    for (m, name) in [
        (Modifier::BOLD, "bold"),
        (Modifier::DIM, "dim"),
        (Modifier::ITALIC, "italic"),
        (Modifier::UNDERLINED, "underline"),
        (Modifier::REVERSED, "reversed"),
    ] {
        if s.add_modifier.contains(m) {
            parts.push(name.to_string());
        }
    }
    if parts.is_empty() {
        "plain".into()
    } else {
        parts.join(" ")
    }
}

/// One row as runs of equal style: `x0-x1 style "text"`, blank plain runs left out.
fn row_styles(buf: &Buffer, y: u16) -> Vec<String> {
    let mut runs: Vec<(u16, u16, Style, String)> = Vec::new();
    for x in 0..buf.area.width {
        let cell = &buf[(x, y)];
        let style = cell.style();
        match runs.last_mut() {
            Some((_, end, s, text)) if *s == style => {
                *end = x;
                text.push_str(cell.symbol());
            }
            _ => runs.push((x, x, style, cell.symbol().to_string())),
        }
    }
    runs.into_iter()
        .filter(|(_, _, s, text)| !(text.trim().is_empty() && style_name(*s) == "plain"))
        .map(|(x0, x1, s, text)| {
            let text: String = text.trim().chars().take(24).collect();
            format!("  {x0:>3}-{x1:<3} {:<40} {text:?}", style_name(s))
        })
        .collect()
}

/// The header, every alert row and the footer, run by run.
fn style_summary(buf: &Buffer) -> String {
    let text = buffer_text(buf);
    let rows: Vec<&str> = text.lines().collect();
    let last = buf.area.height - 1;
    let mut out = String::new();
    for (y, line) in rows.iter().enumerate() {
        let y = y as u16;
        let alert_row = line.contains(" FIRING ") && line.starts_with('│');
        if y == 0 || y == last || alert_row {
            out.push_str(&format!(
                "row {y}: {}\n",
                line.trim().chars().take(40).collect::<String>()
            ));
            for run in row_styles(buf, y) {
                out.push_str(&run);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn styles_of_header_alerts_and_footer_per_theme() {
    let model = demo_model(90, 80, 24);
    for theme in themes() {
        let name = if theme == no_color() { "no-color".to_string() } else { theme.name().into() };
        let buf = render(&model, &theme, 80, 24);
        insta::assert_snapshot!(format!("styles_{name}"), style_summary(&buf));
    }
}

/// Without colour, a critical and a warning row must still look different, and both must
/// differ from plain text.
#[test]
fn severities_differ_without_colour() {
    let model = demo_model(90, 80, 24);
    let buf = render(&model, &no_color(), 80, 24);
    let text = buffer_text(&buf);
    let row_of = |needle: &str| {
        text.lines().position(|l| l.contains(needle)).map(|y| y as u16).unwrap_or_else(|| {
            panic!("no row with {needle:?} in\n{text}");
        })
    };
    let marker = |y: u16| buf[(1, y)].style();
    let (crit, warn) = (marker(row_of("CRIT FIRING")), marker(row_of("WARN FIRING")));
    assert_ne!(crit, warn, "critical and warning rows look the same without colour");
    let plain = Theme::mono().style(warroom::theme::Role::Text);
    assert_ne!(crit, plain);
    assert_ne!(warn, plain);
    for s in [crit, warn] {
        assert!(s.fg.is_none_or(|c| c == Color::Reset), "colour left under NO_COLOR: {s:?}");
    }
}
