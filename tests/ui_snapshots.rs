//! Screens as a person sees them: the demo dashboard rendered into a `TestBackend` with pinned
//! data and clock, compared as text snapshots.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::demo::demo_model;
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

fn frame(model: &Model, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::render(model, &Theme::default(), f))
        .unwrap();
    buffer_text(t.backend().buffer())
}

fn press(model: &mut Model, code: KeyCode) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    update(
        model,
        Msg::Key {
            key,
            at: std::time::Instant::now(),
        },
    );
}

#[test]
fn main_screen_80x24() {
    insta::assert_snapshot!(frame(&demo_model(90, 80, 24), 80, 24));
}

#[test]
fn main_screen_160x48() {
    insta::assert_snapshot!(frame(&demo_model(90, 160, 48), 160, 48));
}

#[test]
fn zoomed_panel_with_cursor_160x48() {
    let mut m = demo_model(90, 160, 48);
    press(&mut m, KeyCode::Enter);
    for _ in 0..5 {
        press(&mut m, KeyCode::Left);
    }
    insta::assert_snapshot!(frame(&m, 160, 48));
}

#[test]
fn help_overlay_80x24() {
    let mut m = demo_model(90, 80, 24);
    press(&mut m, KeyCode::Char('?'));
    insta::assert_snapshot!(frame(&m, 80, 24));
}

#[test]
fn too_small_screen() {
    let m = demo_model(90, 40, 10);
    insta::assert_snapshot!(frame(&m, 40, 10));
}

#[test]
fn any_size_renders_without_panic() {
    let m = demo_model(90, 80, 24);
    for w in [1u16, 2, 5, 20, 59, 60, 61, 79, 80, 81, 200, 333] {
        for h in [1u16, 2, 5, 15, 16, 17, 24, 60, 120] {
            let _ = frame(&m, w, h);
        }
    }
}
