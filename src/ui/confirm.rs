//! The confirm dialog: the exact command or request after templating, the target, the
//! environment, the dry run's output, and how to confirm.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget, Wrap};

use super::output::output_lines;
use crate::model::{Confirmation, Model};
use crate::runbook::Confirm;
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, c: &Confirmation, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(4).min(110);
    let max_h = area.height.saturating_sub(2).min(44);
    let r = &c.resolved;
    let muted = theme.style(Role::Muted);
    let danger = if r.dangerous { theme.style(Role::Critical) } else { theme.style(Role::Warning) };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("action  ", muted),
            Span::styled(sanitize::clean_owned(&r.label), theme.style(Role::Title)),
            Span::styled(if r.dangerous { "  DANGEROUS" } else { "" }, theme.style(Role::Critical)),
        ]),
        Line::from(vec![
            Span::styled("target  ", muted),
            Span::styled(
                if r.target.is_empty() {
                    "(none)".to_string()
                } else {
                    sanitize::clean_owned(&r.target)
                },
                theme.style(Role::Text),
            ),
        ]),
        Line::from(vec![
            Span::styled("env     ", muted),
            Span::styled(sanitize::clean_owned(&c.environment), danger),
            Span::styled(format!("   runbook {}", sanitize::clean(&r.runbook)), muted),
        ]),
        Line::styled("will run exactly:", muted),
    ];
    // The prompt always shows; the command gets at most two thirds of what is left, the dry run the
    // rest (its newest lines): a long argv never pushes the question out of the dialog.
    let room = usize::from(max_h).saturating_sub(2 + lines.len() + 2);
    let accent = theme.style(Role::Accent);
    let command = r.display_lines();
    let dry = c.dry_run.and_then(|id| model.runs.get(id));
    // What will run matters more than the preview: two thirds for the command.
    let command_room = if dry.is_some() { (room * 2 / 3).max(3) } else { room };
    let cut = command.len() > command_room;
    let shown = if cut { command_room.saturating_sub(1) } else { command.len() };
    lines.extend(
        command
            .iter()
            .take(shown)
            .map(|l| Line::styled(format!("  {}", sanitize::clean(l)), accent)),
    );
    if cut {
        lines.push(Line::styled(
            format!(
                "  … {} more lines (the audit log records the whole command)",
                command.len() - shown
            ),
            muted,
        ));
    }
    if let Some(run) = dry {
        lines.push(Line::styled(format!("dry run ({}):", run.status(model.now)), muted));
        let out = output_lines(run, theme);
        let left = room.saturating_sub(shown + usize::from(cut) + 1);
        let skip = out.len().saturating_sub(left);
        lines.extend(out.into_iter().skip(skip));
    }
    lines.push(Line::raw(""));
    let prompt = match (&c.blocked, r.confirm) {
        // The launcher said it cannot run now: say why instead of asking.
        (Some(why), _) => vec![Span::styled(
            format!("✖ cannot run now: {}   Esc/n = close", sanitize::clean(why)),
            theme.style(Role::Critical),
        )],
        (None, Confirm::TypeTarget) => vec![
            Span::styled(
                format!("type {:?} and Enter to run: ", sanitize::clean(&r.target)),
                danger,
            ),
            Span::styled(c.typed.clone(), theme.style(Role::Text)),
            Span::styled("▏", theme.style(Role::Accent)),
        ],
        (None, _) => vec![Span::styled("Run it?  y = yes   n/Esc = no", danger)],
    };
    // As tall as the (wrapped) content and the prompt, no taller; the prompt has the last row
    // of its own, so no output, however wide, can push the question out of sight.
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner_w).max(1)).sum::<usize>() + 1;
    let h = (rows as u16 + 2).min(max_h);
    let rect = super::overlay::centered(area, w, h, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(danger)
        .title(Line::styled(" Confirm action ", danger));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let body = Rect { height: inner.height.saturating_sub(1), ..inner };
    Paragraph::new(lines)
        .style(theme.style(Role::Text))
        .wrap(Wrap { trim: false })
        .render(body, buf);
    if inner.height > 0 {
        let last = Rect { y: inner.bottom() - 1, height: 1, ..inner };
        Line::from(prompt).render(last, buf);
    }
}
