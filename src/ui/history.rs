//! Recent alert transitions and acknowledgements, newest first.

use ratatui::text::{Line, Span};

use super::text;
use crate::alert::Event;
use crate::model::Model;
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn lines<'a>(model: &Model, theme: &Theme, max: usize) -> Vec<Line<'a>> {
    if model.recent.is_empty() {
        return vec![Line::styled("No alert events yet.", theme.style(Role::Muted))];
    }
    model
        .recent
        .iter()
        .rev()
        .take(max.max(1) + usize::from(model.ui.pane_scroll))
        .map(|e| event_line(model, theme, e))
        .collect()
}

fn event_line<'a>(model: &Model, theme: &Theme, e: &Event) -> Line<'a> {
    let when = text::clock(e.at(), model.utc_offset);
    let what = match e {
        Event::Transition { from, to, .. } => format!("{} → {}", from.label(), to.label()),
        Event::Escalation { from, to, .. } => format!("{} → {}", from.label(), to.label()),
        Event::Ack { by, silence: Some(_), .. } => format!("silenced by {}", sanitize::clean(by)),
        Event::Ack { by, .. } => format!("acked by {}", sanitize::clean(by)),
        Event::Unack { reason, .. } => format!("ack ended ({reason:?})"),
        Event::Storm { from, to, count, .. } => {
            format!("{} more {} → {}", crate::units::thousands(*count), from.label(), to.label())
        }
    };
    let vals: Vec<String> = e.labels().values().map(|v| sanitize::clean_owned(v)).collect();
    Line::from(vec![
        Span::styled(format!("{when} "), theme.style(Role::Muted)),
        Span::styled(format!("{} ", sanitize::clean(e.rule())), theme.style(Role::Text)),
        Span::styled(format!("{} ", vals.join(",")), theme.style(Role::Muted)),
        Span::styled(what, theme.style(Role::Accent)),
    ])
}
