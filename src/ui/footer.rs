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
fn runbook_keys<'a>(model: &Model, theme: &Theme, room: usize) -> Vec<Span<'a>> {
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
            let label = crate::ui::text::fit(&crate::sanitize::clean(&a.label), room);
            let ro = if model.read_only { " [read-only]" } else { "" };
            spans.push(Span::styled(format!(" {label}{ro}  "), theme.style(Role::Muted)));
        }
    }
    spans
}

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    use crate::keymap::{hint, Action as A};
    if model.ui.still {
        return; // keys mean nothing in a frame pasted into the incident chat
    }
    // Keys of dialogs are the dialogs' own; the dashboard's come from the keymap's table.
    let dialog: Option<Vec<(&str, &str)>> = match &model.ui.overlay {
        Overlay::Filter => Some(vec![("Enter", "apply"), ("Esc", "clear"), ("Bksp", "delete")]),
        Overlay::Find => Some(vec![("Enter", "find"), ("Esc", "cancel"), ("Bksp", "delete")]),
        Overlay::Help | Overlay::Query { .. } => Some(vec![("any key", "close")]),
        Overlay::Ack { .. } => {
            Some(vec![("Enter", "acknowledge"), ("Tab", "expiry"), ("Esc", "cancel")])
        }
        Overlay::Confirm(c) if c.resolved.confirm == crate::runbook::Confirm::TypeTarget => {
            Some(vec![("type the target, Enter", "run"), ("Esc", "cancel")])
        }
        Overlay::Confirm(_) => Some(vec![("y", "run"), ("n/Esc", "cancel")]),
        Overlay::Variables(_) => Some(vec![
            ("←/→", "variable"),
            ("↑/↓", "value"),
            ("Space", "tick"),
            ("Enter", "choose"),
            ("Esc", "close"),
        ]),
        Overlay::None => None,
    };
    let actions: Vec<(A, &str)> = match (model.ui.zoom, model.ui.focus) {
        _ if dialog.is_some() => Vec::new(),
        (Some(p), _) => {
            let mut keys = Vec::new();
            let line =
                model.panels.get(p).is_some_and(|p| p.spec.kind == crate::config::PanelKind::Line);
            if line {
                keys.push((A::Left, "inspect"));
            }
            keys.extend([(A::RangeIn, "range"), (A::PanBack, "pan")]);
            if !model.window.offset.is_zero() {
                keys.push((A::Live, "live"));
            }
            keys.extend([(A::ShowQuery, "query"), (A::Back, "back"), (A::Quit, "quit")]);
            keys
        }
        (None, Focus::Panels) => {
            let mut keys = vec![(A::Up, "move"), (A::Zoom, "zoom"), (A::NextFocus, "alerts")];
            keys.extend([(A::Filter, "filter"), (A::RangeIn, "range"), (A::ShowQuery, "query")]);
            if !model.window.offset.is_zero() {
                keys.push((A::Live, "live"));
            }
            if model.dashboards.iter().any(|d| !d.choosable().is_empty()) {
                keys.push((A::Variables, "variables"));
            }
            if !model.dashboards.is_empty() && model.tabs().len() > 1 {
                keys.push((A::NextTab, "tabs"));
            }
            keys.extend([(A::Help, "help"), (A::Quit, "quit")]);
            keys
        }
        (None, Focus::Alerts) => vec![
            (A::Down, "select"),
            (A::Acknowledge, "ack"),
            (A::NextPane, "pane"),
            (A::NextFocus, "panels"),
            (A::Quit, "quit"),
        ],
    };
    let keys: Vec<(&str, &str)> =
        dialog.unwrap_or_else(|| actions.iter().map(|(a, what)| (hint(*a), *what)).collect());
    let mut spans = Vec::new();
    if matches!(model.ui.overlay, Overlay::Filter) || !model.ui.filter.is_empty() {
        spans.push(Span::styled(format!("/{}", model.ui.filter), theme.style(Role::Accent)));
        if matches!(model.ui.overlay, Overlay::Filter) {
            spans.push(Span::styled("▏", theme.style(Role::Accent)));
        }
        spans.push(Span::raw("  "));
    }
    if let Some(find) = &model.ui.find {
        spans.push(Span::styled(format!("find: {}", find.text), theme.style(Role::Accent)));
        if matches!(model.ui.overlay, Overlay::Find) {
            spans.push(Span::styled("▏", theme.style(Role::Accent)));
        } else {
            spans.push(Span::styled(" (n/N next, Esc ends)", theme.style(Role::Muted)));
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
        // Labels get a fair share of the width: short at 80 columns, whole at 160.
        let room = (area.width as usize / 5).max(12);
        spans.extend(runbook_keys(model, theme, room));
    }
    Line::from(spans).render(area, buf);
}
