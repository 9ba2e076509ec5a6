//! The selected alert and its runbook: what it is, who is on it, the action keys (disabled in
//! read-only mode), and the Markdown body to read.

use ratatui::text::{Line, Span};

use super::text;
use crate::alert::Origin;
use crate::model::Model;
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn lines<'a>(model: &Model, theme: &Theme) -> Vec<Line<'a>> {
    let Some(a) = model.selected_alert() else {
        return vec![Line::styled(
            "Select an alert (Tab, j/k) to see its runbook.",
            theme.style(Role::Muted),
        )];
    };
    let muted = theme.style(Role::Muted);
    let (sym, role) = super::alerts::marker(a);
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                format!("{sym} {} {} ", a.severity.label(), a.state.label()),
                theme.style(role),
            ),
            Span::styled(sanitize::clean_owned(&a.rule), theme.style(Role::Title)),
            Span::styled(
                format!(
                    " {} {}",
                    if a.is_local() { "since" } else { "active since" },
                    text::clock(a.since, model.utc_offset)
                ),
                muted,
            ),
        ]),
        Line::styled(a.summary.to_string(), theme.style(Role::Text)),
    ];
    let sources: Vec<String> = a
        .origins
        .iter()
        .filter_map(|o| match o {
            Origin::Local => None,
            Origin::Prometheus { source } => Some(sanitize::clean_owned(source)),
        })
        .collect();
    if !sources.is_empty() {
        let also = if a.is_local() { "warroom's rule, and " } else { "" };
        out.push(Line::styled(
            format!("from {also}Prometheus {} (its own alerting rule)", sources.join(", ")),
            muted,
        ));
    }
    let labels: Vec<String> =
        a.labels.iter().map(|(k, v)| format!("{k}={}", sanitize::clean(v))).collect();
    if !labels.is_empty() {
        out.push(Line::styled(labels.join(" "), muted));
    }
    if let Some(ack) = &a.ack {
        let until = ack
            .until
            .map(|u| format!("until {}", text::clock(u, model.utc_offset)))
            .unwrap_or_else(|| "until resolved".into());
        let note = ack.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        out.push(Line::styled(format!("acknowledged by {} {until}{note}", ack.by), muted));
    }
    if let Some(sil) = &a.silence {
        let id =
            sil.id.as_deref().map(|i| format!(" ({i})")).unwrap_or_else(|| " (being made)".into());
        out.push(Line::styled(
            format!(
                "silenced in Alertmanager by {} until {}: {}{id}",
                sil.by,
                text::clock(sil.until, model.utc_offset),
                sil.comment
            ),
            muted,
        ));
    }
    let runbooks = model.runbooks_for(a);
    if runbooks.is_empty() {
        let hint = match &a.runbook {
            Some(link) if crate::runbook::reference::is_link(link) => {
                out.push(Line::styled("runbook (not in the runbooks folder):", muted));
                out.push(Line::styled(sanitize::clean_owned(link), theme.style(Role::Accent)));
                out.push(Line::styled("y copies the alert with this link", muted));
                return out;
            }
            Some(id) => format!(
                "runbook {:?} is not loaded (check the runbooks folder)",
                sanitize::clean(id)
            ),
            None => "no runbook for this alert".into(),
        };
        out.push(Line::styled(hint, theme.style(Role::Warning)));
        return out;
    }
    for rb in runbooks {
        out.push(Line::raw(""));
        out.push(Line::styled(sanitize::clean_owned(&rb.title), theme.style(Role::Title)));
        for act in &rb.actions {
            let (key_role, note) = if model.read_only {
                (Role::Muted, " (read-only: disabled)")
            } else if act.dangerous {
                (Role::Critical, " (dangerous)")
            } else {
                (Role::Accent, "")
            };
            out.push(Line::from(vec![
                Span::styled(format!(" [{}] ", act.key), theme.style(key_role)),
                Span::styled(sanitize::clean_owned(&act.label), theme.style(Role::Text)),
                Span::styled(note, muted),
            ]));
            out.extend(team_lines(model, theme, a, act));
        }
        out.push(Line::raw(""));
        out.extend(super::markdown::lines(&rb.body, &rb.title, theme));
    }
    out
}

/// What other warrooms announced of `act` on this alert's target: "⚑ alice is running
/// Terminate idle sessions on pg-main-1 from bastion-2 since 01:02:10", or how it ended.
fn team_lines<'a>(
    model: &Model,
    theme: &Theme,
    alert: &crate::alert::AlertView,
    act: &crate::runbook::ActionSpec,
) -> Vec<Line<'a>> {
    model
        .announced(alert, act)
        .into_iter()
        .map(|an| {
            let role = if an.running(model.now) { Role::Warning } else { Role::Muted };
            let text = sanitize::clean_owned(&an.line(model.utc_offset));
            Line::styled(format!("     ⚑ {text}"), theme.style(role))
        })
        .collect()
}
