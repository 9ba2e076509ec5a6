//! The pane beside the alert list: what the selected alert is about, who is on it, and the
//! recent history of transitions and acknowledgements.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::text;
use crate::alert::{Event, Origin};
use crate::model::Model;
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Line::styled(" Details ", theme.style(Role::Title)));
    let mut lines: Vec<Line> = Vec::new();
    let label = |s: &str| Span::styled(format!("{s} "), theme.style(Role::Muted));
    if let Some(a) = model.selected_alert() {
        let (sym, role) = super::alerts::marker(&a);
        lines.push(Line::from(vec![
            Span::styled(
                format!("{sym} {} {} ", a.severity.label(), a.state.label()),
                theme.style(role),
            ),
            Span::styled(sanitize::clean_owned(&a.rule), theme.style(Role::Title)),
        ]));
        lines.push(Line::styled(a.summary.clone(), theme.style(Role::Text)));
        let labels: Vec<String> =
            a.labels.iter().map(|(k, v)| format!("{k}={}", sanitize::clean(v))).collect();
        if !labels.is_empty() {
            lines.push(Line::from(vec![label("labels"), Span::raw(labels.join(" "))]));
        }
        let since = match &a.origin {
            Origin::Local => "since",
            Origin::Prometheus { source } => {
                lines.push(Line::from(vec![
                    label("from"),
                    Span::raw(format!("Prometheus {} (its own rule)", sanitize::clean(source))),
                ]));
                "active since"
            }
        };
        lines.push(Line::from(vec![
            label(since),
            Span::raw(text::clock(a.since, model.utc_offset)),
        ]));
        if let Some(s) = &a.silence {
            let id =
                s.id.as_deref()
                    .map(|i| format!(" ({i})"))
                    .unwrap_or_else(|| " (being made)".into());
            lines.push(Line::from(vec![
                label("silenced"),
                Span::styled(
                    format!(
                        "by {} until {}: {}{id}",
                        s.by,
                        text::clock(s.until, model.utc_offset),
                        s.comment
                    ),
                    theme.style(Role::Muted),
                ),
            ]));
        }
        if let Some(ack) = &a.ack {
            let until = ack
                .until
                .map(|u| format!("until {}", text::clock(u, model.utc_offset)))
                .unwrap_or_else(|| "until resolved".into());
            let note = ack.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
            lines.push(Line::from(vec![
                label("ack"),
                Span::styled(format!("{} {until}{note}", ack.by), theme.style(Role::Muted)),
            ]));
        }
        if let Some(rb) = &a.runbook {
            lines.push(Line::from(vec![label("runbook"), Span::raw(sanitize::clean_owned(rb))]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Recent events", theme.style(Role::Accent)));
    for e in model.recent.iter().rev().take(area.height as usize) {
        lines.push(event_line(model, theme, e));
    }
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((model.ui.pane_scroll, 0))
        .render(area, buf);
}

fn event_line<'a>(model: &Model, theme: &Theme, e: &Event) -> Line<'a> {
    let when = text::clock(e.at(), model.utc_offset);
    let what = match e {
        Event::Transition { from, to, .. } => format!("{} → {}", from.label(), to.label()),
        Event::Escalation { from, to, .. } => format!("{} → {}", from.label(), to.label()),
        Event::Ack { by, silence: Some(_), .. } => format!("silenced by {by}"),
        Event::Ack { by, .. } => format!("acked by {by}"),
        Event::Unack { reason, .. } => format!("ack ended ({reason:?})"),
    };
    let vals: Vec<String> = e.labels().values().map(|v| sanitize::clean_owned(v)).collect();
    Line::from(vec![
        Span::styled(format!("{when} "), theme.style(Role::Muted)),
        Span::styled(format!("{} ", sanitize::clean(e.rule())), theme.style(Role::Text)),
        Span::styled(format!("{} ", vals.join(",")), theme.style(Role::Muted)),
        Span::styled(what, theme.style(Role::Accent)),
    ])
}
