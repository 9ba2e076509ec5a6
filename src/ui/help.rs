//! The `?` overlay: every key, from the same table the keymap uses.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::keymap::BINDINGS;
use crate::theme::{Role, Theme};

pub fn render(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>7}  ", b.label), theme.style(Role::Accent)),
                Span::styled(b.help, theme.style(Role::Text)),
            ])
        })
        .collect();
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 48.min(area.width);
    let rect = super::overlay::centered(area, w, h, buf);
    Paragraph::new(lines)
        .style(theme.style(Role::Text))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Role::BorderFocus))
                .title(Line::styled(" Keys — any key closes ", theme.style(Role::Title))),
        )
        .render(rect, buf);
}
