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
    ];
    lines.extend(guard_lines(c, theme));
    lines.extend(verify_line(c, theme));
    if let Some(note) = &c.announce {
        let role = if note.starts_with("not ") { Role::Warning } else { Role::Muted };
        lines.push(Line::styled(format!("team    {}", sanitize::clean(note)), theme.style(role)));
    }
    lines.push(Line::styled("will run exactly:", muted));
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
        let left = room.saturating_sub(shown + usize::from(cut) + 1);
        let (rows, place) = dry_window(output_lines(run, theme), left, c.dry_scroll);
        lines.push(Line::styled(format!("dry run ({}){place}:", run.status(model.now)), muted));
        lines.extend(rows);
    }
    lines.push(Line::raw(""));
    let critical = theme.style(Role::Critical);
    let typing = |ask: String, style| {
        vec![
            Span::styled(ask, style),
            Span::styled(sanitize::clean_owned(&c.typed), theme.style(Role::Text)),
            Span::styled("▏", theme.style(Role::Accent)),
        ]
    };
    let prompt = match (&c.blocked, r.confirm) {
        // The launcher said it cannot run now: say why instead of asking.
        (Some(why), _) => vec![Span::styled(
            format!("✖ cannot run now: {}   Esc/n = close", sanitize::clean(why)),
            critical,
        )],
        _ if c.confirming => {
            vec![Span::styled("reading the guards once more, then it runs…   Esc = cancel", muted)]
        }
        _ if c.guards.is_none() => {
            vec![Span::styled("reading the guards…   Esc = cancel", muted)]
        }
        _ if c.guard_failed() => match c.override_text() {
            Some(o) => {
                typing(format!("✖ a guard fails. To run anyway type {o:?} and Enter: "), critical)
            }
            None => vec![Span::styled(
                "✖ refused: a guard does not hold (recorded)   Esc/n = close",
                critical,
            )],
        },
        (None, Confirm::TypeTarget) => {
            typing(format!("type {:?} and Enter to run: ", sanitize::clean(&r.target)), danger)
        }
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

/// One line per guard: whether it holds, why it must, its live value.
fn guard_lines<'a>(c: &Confirmation, theme: &Theme) -> Vec<Line<'a>> {
    let guards = &c.resolved.guards;
    if guards.is_empty() {
        return Vec::new();
    }
    // Every guard holds for the shown values only while they are fresh: they are read again
    // when the engineer confirms.
    let muted = theme.style(Role::Muted);
    let mut out = vec![Line::styled("guards, read live just now:", muted)];
    for (i, g) in guards.iter().enumerate() {
        let reading = c.guards.as_ref().and_then(|r| r.get(i));
        let (mark, role, value) = match reading {
            None => ("…", Role::Muted, "reading…".to_owned()),
            Some(r) if r.ok() => ("✓", Role::Ok, r.shown.clone()),
            Some(r) => ("✖", Role::Critical, r.shown.clone()),
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {mark} "), theme.style(role)),
            Span::styled(sanitize::clean_owned(&g.why), theme.style(Role::Text)),
            Span::styled(format!(": {}", sanitize::clean(&value)), theme.style(role)),
        ]));
        out.push(Line::styled(format!("      {}", sanitize::clean(&g.query)), muted));
    }
    out
}

/// What warroom watches after the run to tell whether it worked.
fn verify_line<'a>(c: &Confirmation, theme: &Theme) -> Option<Line<'a>> {
    let v = c.resolved.verify.as_ref()?;
    Some(Line::styled(
        format!(
            "afterwards, watches for {}: {}",
            crate::duration::format(v.within),
            sanitize::clean(&v.query)
        ),
        theme.style(Role::Muted),
    ))
}

/// The part of a dry run's output that fits in `room` lines, from line `scroll` of its body, and
/// where that is (`, lines 3–10 of 32, PgUp/PgDn`) when it does not all fit. A table's header
/// (a line, then a rule of `-` and `+` as psql draws it) stays on top however far it scrolls.
fn dry_window(out: Vec<Line<'_>>, room: usize, scroll: usize) -> (Vec<Line<'_>>, String) {
    let text = |l: &Line| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>();
    let rule = |l: &Line| {
        let t = text(l);
        t.contains('-') && t.trim().chars().all(|c| c == '-' || c == '+')
    };
    let pinned = match out.iter().position(rule) {
        Some(i) if (1..=3).contains(&i) && room > i + 2 => i + 1,
        _ => 0,
    };
    let total = out.len();
    if total <= room {
        return (out, String::new());
    }
    let mut out = out;
    let body = out.split_off(pinned);
    let fits = room.saturating_sub(pinned).max(1);
    let from = scroll.min(body.len().saturating_sub(fits));
    let to = (from + fits).min(body.len());
    let place =
        format!(", lines {}–{} of {total}, PgUp/PgDn scroll", pinned + from + 1, pinned + to);
    out.extend(body.into_iter().skip(from).take(fits));
    (out, place)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<Line<'static>> {
        texts.iter().map(|t| Line::raw(t.to_string())).collect()
    }

    fn shown(out: &[Line]) -> Vec<String> {
        out.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn a_table_keeps_its_header_while_its_rows_scroll() {
        let mut t = vec![" pid | state", "-----+-------"];
        let rows: Vec<String> = (1..=30).map(|i| format!(" {i:3} | idle")).collect();
        t.extend(rows.iter().map(String::as_str));
        t.push("(30 rows)");
        let (top, place) = dry_window(lines(&t), 6, 0);
        assert_eq!(
            shown(&top),
            [
                " pid | state",
                "-----+-------",
                "   1 | idle",
                "   2 | idle",
                "   3 | idle",
                "   4 | idle"
            ]
        );
        assert_eq!(place, ", lines 3–6 of 33, PgUp/PgDn scroll");
        let (end, place) = dry_window(lines(&t), 6, 1000);
        assert_eq!(shown(&end)[..2], [" pid | state", "-----+-------"]);
        assert_eq!(shown(&end).last().map(String::as_str), Some("(30 rows)"));
        assert_eq!(place, ", lines 30–33 of 33, PgUp/PgDn scroll");
    }

    #[test]
    fn output_that_fits_is_shown_whole_and_plain_text_pins_nothing() {
        let (all, place) = dry_window(lines(&["a", "b"]), 6, 3);
        assert_eq!((shown(&all), place), (vec!["a".to_string(), "b".to_string()], String::new()));
        let text: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
        let refs: Vec<&str> = text.iter().map(String::as_str).collect();
        let (part, _) = dry_window(lines(&refs), 3, 2);
        assert_eq!(shown(&part), ["line 2", "line 3", "line 4"]);
    }
}
