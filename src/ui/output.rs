//! Output of runbook actions: every recent run with its exact command and status, and the
//! newest run's output lines (stdout, stderr marked), scrollable.

use ratatui::text::{Line, Span};

use super::text;
use crate::model::{Model, Run, Watch};
use crate::runbook::Stream;
use crate::sanitize;
use crate::theme::{Role, Theme};

pub fn lines<'a>(model: &Model, theme: &Theme) -> Vec<Line<'a>> {
    let Some(latest) = model.runs.latest() else {
        return vec![Line::styled("No action has run yet.", theme.style(Role::Muted))];
    };
    let mut out = vec![header(model, theme, latest)];
    // The command on one line above its result (the confirm dialog showed it whole).
    let mut command = latest.display.lines();
    let first = command.next().unwrap_or_default();
    let more = if command.next().is_some() { " …" } else { "" };
    out.push(Line::styled(format!("$ {}{more}", sanitize::clean(first)), theme.style(Role::Muted)));
    out.extend(guard_lines(latest, theme));
    if let Some(w) = &latest.verify {
        out.push(Line::styled(sanitize::clean_owned(&w.status()), theme.style(verdict_role(w))));
    }
    if latest.dropped > 0 {
        out.push(Line::styled(
            format!("… {} earlier lines dropped", latest.dropped),
            theme.style(Role::Muted),
        ));
    }
    out.extend(output_lines(latest, theme));
    let earlier: Vec<&Run> =
        model.runs.list.iter().rev().filter(|r| r.id != latest.id && !r.dry_run).collect();
    if !earlier.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled("Earlier runs", theme.style(Role::Accent)));
        out.extend(earlier.into_iter().map(|r| header(model, theme, r)));
    }
    out
}

/// The output lines of one run (stderr in the warning role, notes muted).
pub fn output_lines<'a>(run: &Run, theme: &Theme) -> Vec<Line<'a>> {
    run.output
        .iter()
        .map(|(stream, line)| {
            let role = match stream {
                Stream::Stdout => Role::Text,
                Stream::Stderr => Role::Warning,
                Stream::Info => Role::Muted,
            };
            Line::styled(sanitize::clean_owned(line), theme.style(role))
        })
        .collect()
}

/// The guards a run started with, one a line: `guard ✓ replica in sync: 2 (needs < 5)`, marked
/// `OVERRIDDEN` when the engineer ran it although it failed.
fn guard_lines<'a>(run: &Run, theme: &Theme) -> Vec<Line<'a>> {
    let overridden = run.checks.overridden;
    let lines = run.guards.iter().zip(&run.checks.readings).map(|(g, r)| {
        let (mark, role) = if r.ok() { ("✓", Role::Ok) } else { ("✖", Role::Critical) };
        let mut spans = vec![
            Span::styled(format!("guard {mark} "), theme.style(role)),
            Span::styled(sanitize::clean_owned(&g.why), theme.style(Role::Text)),
            Span::styled(format!(": {}", sanitize::clean(&r.shown)), theme.style(role)),
        ];
        if overridden && !r.ok() {
            spans.push(Span::styled("  OVERRIDDEN", theme.style(Role::Critical)));
        }
        Line::from(spans)
    });
    lines.collect()
}

fn verdict_role(w: &Watch) -> Role {
    match &w.verdict {
        Some(v) if v.effective => Role::Ok,
        Some(_) => Role::Critical,
        None => Role::Accent,
    }
}

fn header<'a>(model: &Model, theme: &Theme, run: &Run) -> Line<'a> {
    let role = match (&run.finished, &run.refused) {
        (_, Some(_)) => Role::Warning,
        (Some((o, _)), _) if o.success() => Role::Ok,
        (Some(_), _) => Role::Critical,
        (None, None) => Role::Accent,
    };
    let target = if run.target.is_empty() {
        String::new()
    } else {
        format!(" on {}", sanitize::clean(&run.target))
    };
    // The status first: the pane does not wrap, and a long label must not hide how it ended.
    Line::from(vec![
        Span::styled(
            format!("{} ", text::clock(run.started, model.utc_offset)),
            theme.style(Role::Muted),
        ),
        Span::styled(run.status(model.now), theme.style(role)),
        Span::styled(
            match run.verify.as_ref().and_then(|w| w.verdict.as_ref()) {
                Some(v) if v.effective => " · effective",
                Some(_) => " · NOT effective",
                None => "",
            },
            theme.style(run.verify.as_ref().map_or(Role::Muted, verdict_role)),
        ),
        Span::styled(
            format!("  [{}] {}{target}", run.key, sanitize::clean(&run.label)),
            theme.style(Role::Text),
        ),
    ])
}
