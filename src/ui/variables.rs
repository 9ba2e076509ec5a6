//! The `:` overlay: a dashboard's template variables and the options of the one chosen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::grafana::vars::Selection;
use crate::model::{Model, VarPicker};
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, p: &VarPicker, area: Rect, buf: &mut Buffer) {
    let Some(live) = model.dashboards.get(p.dashboard) else { return };
    let Some(var) = live.var(p.var) else { return };
    let mut names = vec![Span::styled("variables ", theme.style(Role::Muted))];
    for i in live.choosable() {
        let Some(v) = live.var(i) else { continue };
        let style = if i == p.var { theme.style(Role::Selection) } else { theme.style(Role::Text) };
        names.push(Span::styled(format!(" ${} ", sanitize::clean(&v.name)), style));
    }
    let mut lines = vec![Line::from(names), Line::default()];
    let rows = crate::update::vars::rows(model, p);
    let height = area.height.saturating_sub(6).max(1) as usize;
    let first = p.cursor.saturating_sub(height.saturating_sub(1));
    for (i, row) in rows.iter().enumerate().skip(first).take(height) {
        let chosen = match (&var.current, row) {
            (Selection::All, None) => true,
            (Selection::Values(c), Some(v)) => c.contains(v),
            _ => false,
        };
        let ticked = row.as_ref().is_some_and(|v| p.ticked.contains(v));
        let mark = match (ticked, chosen) {
            (true, _) => "[x] ",
            (false, true) => " ●  ",
            (false, false) if var.multi => "[ ] ",
            _ => "    ",
        };
        let text = row.as_deref().map_or_else(|| "All".to_string(), sanitize::clean_owned);
        let style = if i == p.cursor {
            theme.style(Role::Selection).add_modifier(Modifier::BOLD)
        } else {
            theme.style(Role::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(mark, theme.style(Role::Accent)),
            Span::styled(text, style),
        ]));
    }
    let w = area.width.saturating_sub(4).clamp(20, 70);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = super::overlay::centered(area, w, h, buf);
    let title = format!(" ${} — {} ", sanitize::clean(&var.name), live.dashboard.title);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Role::BorderFocus))
                .title(Line::styled(title, theme.style(Role::Title))),
        )
        .render(rect, buf);
}
