//! The alert list: severity as colour *and* symbol/text (reads under `NO_COLOR`), state, since,
//! value, labels; firing critical first; acknowledged alerts dimmed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::text;
use crate::alert::summary::format_value;
use crate::alert::{AlertState, AlertView, Severity};
use crate::model::{Focus, Model};
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn render(model: &Model, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let list = &model.alert_list;
    let focused = model.ui.focus == Focus::Alerts;
    let shown_firing = list.firing - list.hidden_firing;
    let title = format!(" Alerts {shown_firing} firing / {} listed ", list.shown_len());
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(if focused { Role::BorderFocus } else { Role::Border }))
        .title(Line::styled(title, theme.style(Role::Title)));
    if let Some((text, role)) = pager_line(model) {
        let room = area.width.saturating_sub(4) as usize;
        block = block
            .title_bottom(Line::styled(text::fit(&format!(" {text} "), room), theme.style(role)));
    }
    let inner = block.inner(area);
    block.render(area, buf);
    let mut rows = inner.rows();
    // Firing alerts the filter hides are never silent: they are counted first.
    if list.hidden_firing > 0 {
        if let Some(row) = rows.next() {
            let text = format!("▲ {} firing hidden by filter (Esc shows all)", list.hidden_firing);
            Line::styled(text::fit(&text, row.width as usize), theme.style(Role::Critical))
                .render(row, buf);
        }
    }
    if list.shown_len() == 0 {
        let Some(row) = rows.next() else { return };
        let (msg, role) = empty_message(model);
        Line::styled(text::fit(&msg, row.width as usize), theme.style(role)).render(row, buf);
        return;
    }
    let rows: Vec<Rect> = rows.collect();
    let selected = model.selected_index();
    let first = selected.saturating_sub(rows.len().saturating_sub(1));
    for (i, row) in (first..list.shown_len()).zip(rows) {
        let Some(alert) = list.shown_at(i) else { break };
        let mut line = row_line(model, theme, alert, row.width as usize);
        if i == selected {
            // Over every span, not under them: a critical row's own colour on the selection
            // bar would be unreadable. Severity still reads from `!!`/`CRIT`.
            let bar = if focused {
                theme.style(Role::Selection)
            } else {
                Style::default().add_modifier(Modifier::BOLD)
            };
            for span in &mut line.spans {
                span.style = span.style.patch(bar);
            }
        }
        line.render(row, buf);
    }
}

/// What an empty list says: all clear only when every rule was just evaluated on a good answer
/// and no filter is hiding anything.
fn empty_message(model: &Model) -> (String, Role) {
    let list = &model.alert_list;
    if !list.watching {
        return ("No alert rules configured.".into(), Role::Muted);
    }
    if !model.ui.filter.is_empty() {
        return (format!("No alert matches the filter /{}.", model.ui.filter), Role::Muted);
    }
    match &list.blind {
        Some(b) if b.starting => (b.text(), Role::Warning),
        Some(b) => (format!("{}: no alert can be trusted", b.text()), Role::Critical),
        None => ("✓ All clear: no alert pending or firing.".into(), Role::Ok),
    }
}

/// Symbol and role of an alert, so severity reads with and without colour.
pub fn marker(alert: &AlertView) -> (&'static str, Role) {
    match alert.state {
        AlertState::Firing => match alert.severity {
            Severity::Critical => ("!!", Role::Critical),
            Severity::Warning => ("! ", Role::Warning),
        },
        AlertState::NoData => ("∅ ", Role::NoData),
        AlertState::Error => ("✖ ", Role::Critical),
        AlertState::Pending => ("… ", Role::Warning),
        AlertState::Resolved => ("✓ ", Role::Ok),
        AlertState::Inactive => ("  ", Role::Muted),
    }
}

fn row_line<'a>(model: &Model, theme: &Theme, a: &AlertView, width: usize) -> Line<'a> {
    let (sym, role) = marker(a);
    let style = if a.is_handled() { theme.style(Role::Muted) } else { theme.style(role) };
    let since = text::clock(a.since, model.utc_offset);
    let value = if a.value.is_nan() && a.state != AlertState::Firing {
        String::new()
    } else {
        format_value(a.value)
    };
    let labels = short_labels(a);
    // Narrow (80 columns split in two): the name matters more than the time, which the details
    // pane shows anyway.
    let narrow = width < 60;
    let fixed = if narrow {
        format!("{sym} {} {} ", a.severity.label(), a.state.label())
    } else {
        format!("{sym} {} {:<8} ", a.severity.label(), a.state.label())
    };
    // Someone on another bastion is running one of its runbook's actions on it right now.
    let tag = match model.running_on(a) {
        Some(an) => format!("{}⚑ {} ", handled_tag(a), sanitize::clean(&an.user)),
        None => handled_tag(a).to_owned(),
    };
    let tail = if narrow { format!(" {value:>6}") } else { format!(" {value:>7} {since}") };
    let room =
        width.saturating_sub(fixed.chars().count() + tag.chars().count() + tail.chars().count());
    let name = text::fit(&format!("{}{} {labels}", origin_tags(a), sanitize::clean(&a.rule)), room);
    Line::from(vec![
        Span::styled(fixed, style),
        Span::styled(tag, theme.style(Role::Muted)),
        Span::styled(
            format!("{name:<room$}"),
            if a.is_handled() { style } else { theme.style(Role::Text) },
        ),
        Span::styled(tail, style),
    ])
}

/// Where a row comes from, when not only from warroom's own rule: `prom:main ` for a source's
/// alerting rule, `warroom+prom:main ` when both report it (twins merged into one row).
fn origin_tags(a: &AlertView) -> String {
    let tags = a.prom_tags();
    if tags.is_empty() {
        return String::new();
    }
    let tags = sanitize::clean_owned(&tags.join("+"));
    if a.is_local() {
        format!("warroom+{tags} ")
    } else {
        format!("{tags} ")
    }
}

/// `SIL ` when an Alertmanager silence covers the alert (`SIL… ` while it is being made),
/// `ACK ` when acknowledged here.
pub fn handled_tag(a: &AlertView) -> &'static str {
    match (&a.silence, &a.ack) {
        (Some(s), _) if s.id.is_none() => "SIL… ",
        (Some(_), _) => "SIL ",
        (None, Some(_)) => "ACK ",
        (None, None) => "",
    }
}

/// The pager's latest notice (a silence made or refused), else a failing alerts fetch or
/// Alertmanager, for the list's bottom border.
fn pager_line(model: &Model) -> Option<(String, Role)> {
    let recent = |n: &crate::pager::Notice| {
        let keep = if n.problem { 300 } else { 30 };
        (model.now - n.at).num_seconds() < keep
    };
    if let Some(n) = model.pager.notice.as_ref().filter(|n| recent(n)) {
        return Some((n.text.clone(), if n.problem { Role::Warning } else { Role::Accent }));
    }
    model.pager.problem().map(|p| (p, Role::Warning))
}

/// Label values worth showing in one line: everything but `alertname`/`__name__`.
fn short_labels(a: &AlertView) -> String {
    let vals: Vec<String> = a
        .labels
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "alertname" | "__name__" | "severity"))
        .map(|(_, v)| sanitize::clean_owned(v))
        .collect();
    vals.join(",")
}
