//! The tab bar above the panel grid, shown when Grafana dashboards are open beside the
//! config's panels (or several of them): ` panels │ PostgreSQL Database │ Node `.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::model::Tab;
use crate::sanitize;
use crate::theme::{Role, Theme};

/// Draws `tabs` in `area` (one row), `shown` highlighted.
pub fn render(tabs: &[Tab], shown: usize, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    for (i, tab) in tabs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", theme.style(Role::Muted)));
        }
        let title = super::text::fit(&sanitize::clean(&tab.title), 32);
        let role = if i == shown { Role::Selection } else { Role::Muted };
        spans.push(Span::styled(format!(" {title} "), theme.style(role)));
    }
    spans.push(Span::styled("  </> tabs", theme.style(Role::Muted)));
    Line::from(spans).render(area, buf);
}
