//! The `e` overlay: the PromQL behind the selected panel (or alert rule) and the source it is
//! asked of, so the engineer can see (and copy) exactly what a number on screen comes from —
//! and, when it returns nothing, why.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::model::{Model, QueryOwner};
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(
    model: &Model,
    theme: &Theme,
    (query, of): (usize, &QueryOwner),
    area: Rect,
    buf: &mut Buffer,
) {
    let Some(q) = model.queries.get(query) else { return };
    let source = model.sources.get(q.source);
    let label = |s: &str| Span::styled(format!("{s:<9}"), theme.style(Role::Muted));
    let text = |s: String| Span::styled(s, theme.style(Role::Text));
    let owner = match of {
        QueryOwner::Panel(p) => {
            let title = model.panels.get(*p).map(|p| p.spec.title.as_str()).unwrap_or_default();
            Line::from(vec![label("panel"), text(sanitize::clean_owned(title))])
        }
        QueryOwner::Rule(name) => {
            Line::from(vec![label("alert"), text(sanitize::clean_owned(name))])
        }
    };
    let mut lines = vec![
        owner,
        Line::from(vec![
            label("source"),
            text(source.map_or_else(String::new, |s| format!("{} ({})", s.name, s.url))),
        ]),
        Line::from(vec![
            label("asked"),
            text(format!(
                "every {}, {}",
                crate::duration::format(q.interval),
                if q.range {
                    "range query, newest value from its instant twin"
                } else {
                    "instant query"
                }
            )),
        ]),
        Line::default(),
    ];
    lines.extend(
        q.expr.lines().map(|l| Line::styled(sanitize::clean_owned(l), theme.style(Role::Accent))),
    );
    if let Some(why) = model.ui.why.as_ref().filter(|w| w.query == q.live.unwrap_or(query)) {
        lines.push(Line::default());
        lines.push(Line::styled("why no data?", theme.style(Role::Title)));
        match &why.answer {
            None => lines.push(Line::styled(
                "asking the source about each part of the query…",
                theme.style(Role::Muted),
            )),
            Some(answer) => lines.extend(answer.lines().into_iter().map(|l| {
                let role = if l.starts_with('→') { Role::Warning } else { Role::Text };
                Line::styled(sanitize::clean_owned(&l), theme.style(role))
            })),
        }
    }
    if let Some(e) = &q.error {
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("last error: {}", sanitize::clean(&e.message)),
            theme.style(Role::Critical),
        ));
    }
    let w = area.width.saturating_sub(4).clamp(20, 100);
    let h = (lines.len() as u16 + 4).min(area.height);
    let rect = super::overlay::centered(area, w, h, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Role::BorderFocus))
                .title(Line::styled(" Query — any key closes ", theme.style(Role::Title))),
        )
        .render(rect, buf);
}
