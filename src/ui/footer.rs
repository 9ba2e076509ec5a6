//! The footer: the keys that apply right now.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::{Focus, Model, Overlay};
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let keys: Vec<(&str, &str)> = match (&model.ui.overlay, model.ui.zoom, model.ui.focus) {
        (Overlay::Filter, _, _) => vec![("Enter", "apply"), ("Esc", "clear"), ("Bksp", "delete")],
        (Overlay::Help, _, _) => vec![("any key", "close help")],
        (Overlay::Ack { .. }, _, _) => {
            vec![("Enter", "acknowledge"), ("Tab", "expiry"), ("Esc", "cancel")]
        }
        (_, Some(_), _) => {
            vec![
                ("←/→", "inspect"),
                ("+/-", "range"),
                ("[/]", "pan"),
                ("Esc", "back"),
                ("q", "quit"),
            ]
        }
        (_, None, Focus::Panels) => vec![
            ("hjkl", "move"),
            ("Enter", "zoom"),
            ("Tab", "alerts"),
            ("/", "filter"),
            ("+/-", "range"),
            ("?", "help"),
            ("q", "quit"),
        ],
        (_, None, Focus::Alerts) => {
            vec![("j/k", "select"), ("a", "ack"), ("Tab", "panels"), ("?", "help"), ("q", "quit")]
        }
    };
    let mut spans = Vec::new();
    if matches!(model.ui.overlay, Overlay::Filter) || !model.ui.filter.is_empty() {
        spans.push(Span::styled(format!("/{}", model.ui.filter), theme.style(Role::Accent)));
        if matches!(model.ui.overlay, Overlay::Filter) {
            spans.push(Span::styled("▏", theme.style(Role::Accent)));
        }
        spans.push(Span::raw("  "));
    }
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), theme.style(Role::Accent)));
        spans.push(Span::styled(format!(" {what}  "), theme.style(Role::Muted)));
    }
    Line::from(spans).render(area, buf);
}
