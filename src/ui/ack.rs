//! The acknowledge dialog: note, expiry, and what will be acknowledged.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::alert::AlertKey;
use crate::model::ACK_EXPIRIES;
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(
    theme: &Theme,
    key: &AlertKey,
    note: &str,
    expiry: usize,
    silence: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    let w = 60.min(area.width);
    let h = 9.min(area.height);
    let rect = super::overlay::centered(area, w, h, buf);
    let labels: Vec<String> =
        key.labels.iter().map(|(k, v)| format!("{k}={}", sanitize::clean(v))).collect();
    let choices: Vec<Span> = ACK_EXPIRIES
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let text = match e {
                None if silence => "until resolved (1h)".to_string(),
                None => "until resolved".to_string(),
                Some(m) if *m >= 60 => format!("{}h", m / 60),
                Some(m) => format!("{m}m"),
            };
            let role = if i == expiry { Role::Selection } else { Role::Muted };
            Span::styled(format!(" {text} "), theme.style(role))
        })
        .collect();
    let lines = vec![
        Line::from(vec![
            Span::styled("alert  ", theme.style(Role::Muted)),
            Span::styled(sanitize::clean_owned(&key.rule), theme.style(Role::Title)),
            Span::raw(format!(" {}", labels.join(" "))),
        ]),
        Line::from(vec![
            Span::styled("note   ", theme.style(Role::Muted)),
            Span::raw(note.to_string()),
            Span::styled("▏", theme.style(Role::Accent)),
        ]),
        Line::from([vec![Span::styled("expiry ", theme.style(Role::Muted))], choices].concat()),
        Line::raw(""),
        Line::styled(
            if silence {
                "Enter silence in Alertmanager · Tab expiry · Esc cancel"
            } else {
                "Enter acknowledge · Tab expiry · Esc cancel"
            },
            theme.style(Role::Accent),
        ),
    ];
    Paragraph::new(lines)
        .style(theme.style(Role::Text))
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Role::BorderFocus))
                .title(Line::styled(
                    if silence { " Acknowledge: silence " } else { " Acknowledge " },
                    theme.style(Role::Title),
                )),
        )
        .render(rect, buf);
}
