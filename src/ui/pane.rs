//! The pane beside the alert list: the selected alert's runbook, the output of actions, or the
//! recent alert history (`v` cycles).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::{find, history, output, runbook};
use crate::model::{Model, Pane};
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let tab = |name: &str, pane: Pane| {
        let role = if model.ui.pane == pane { Role::Selection } else { Role::Muted };
        Span::styled(format!(" {name} "), theme.style(role))
    };
    let running = model.runs.running().count();
    let output = if running > 0 { format!("Output ({running} running)") } else { "Output".into() };
    let title = Line::from(vec![
        tab("Runbook", Pane::Runbook),
        tab(&output, Pane::Output),
        tab("History", Pane::History),
        Span::styled(" v ", theme.style(Role::Accent)),
    ]);
    let block =
        Block::default().borders(Borders::ALL).border_style(theme.style(Role::Border)).title(title);
    let mut lines = match model.ui.pane {
        Pane::Runbook => runbook::lines(model, theme),
        Pane::Output => output::lines(model, theme),
        Pane::History => history::lines(model, theme, area.height as usize),
    };
    let wrapped = model.ui.pane != Pane::Output;
    let inner_width = area.width.saturating_sub(2);
    let mut scroll = model.ui.pane_scroll;
    let mut block = block;
    if let Some(f) = model.ui.find.as_ref().filter(|f| !f.text.is_empty()) {
        let found = find::mark(&mut lines, f, theme);
        block = block.title_bottom(Line::styled(format!(" {} ", found.text(f)), found.role(theme)));
        if let Some(at) = found.line {
            scroll = find::row_of(&lines, at, wrapped.then_some(inner_width));
        }
    }
    let para = Paragraph::new(lines).block(block);
    // Output keeps its columns (psql tables, aligned logs): not wrapped, scrolled sideways
    // with ←/→; what people read is wrapped.
    let para = match model.ui.pane {
        Pane::Output => para.scroll((scroll, model.ui.pane_hscroll)),
        _ => para.wrap(Wrap { trim: false }).scroll((scroll, 0)),
    };
    para.render(area, buf);
}
