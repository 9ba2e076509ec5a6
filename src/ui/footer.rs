//! The footer: the keys that apply right now.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::{Focus, Model, Overlay};
use crate::theme::{Role, Theme};

/// How long a message stays in the footer.
const FLASH_SECS: i64 = 15;

/// The selected alert's runbook keys; disabled-looking in read-only mode.
fn runbook_keys<'a>(model: &Model, theme: &Theme) -> Vec<Span<'a>> {
    let Some(alert) = model.selected_alert() else { return Vec::new() };
    let mut spans = Vec::new();
    for rb in model.runbooks_for(alert) {
        for a in &rb.actions {
            let role = if model.read_only {
                Role::Muted
            } else if a.dangerous {
                Role::Critical
            } else {
                Role::Accent
            };
            spans.push(Span::styled(a.key.to_string(), theme.style(role)));
            let label = crate::ui::text::fit(&crate::sanitize::clean(&a.label), 28);
            let ro = if model.read_only { " [read-only]" } else { "" };
            spans.push(Span::styled(format!(" {label}{ro}  "), theme.style(Role::Muted)));
        }
    }
    spans
}

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
        (Overlay::Confirm(_), _, _) => vec![("y", "run"), ("n/Esc", "cancel")],
        (_, None, Focus::Alerts) => {
            vec![("j/k", "select"), ("a", "ack"), ("v", "pane"), ("Tab", "panels"), ("q", "quit")]
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
    if let Some((text, at)) = &model.flash {
        if (model.now - *at).num_seconds() < FLASH_SECS {
            spans.push(Span::styled(format!("{text}  "), theme.style(Role::Warning)));
        }
    }
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), theme.style(Role::Accent)));
        spans.push(Span::styled(format!(" {what}  "), theme.style(Role::Muted)));
    }
    if matches!(model.ui.overlay, Overlay::None) && model.ui.zoom.is_none() {
        spans.extend(runbook_keys(model, theme));
    }
    Line::from(spans).render(area, buf);
}
