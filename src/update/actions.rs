//! Runbook actions: key → resolved request → confirm dialog (or straight to the launcher in
//! read-only mode, which records the denial) → run events. Every refusal, this module's own
//! (templates, allow-lists, a dry run's) as well as the launcher's, goes to the launcher as an
//! [`Order`], which writes it to the audit log. Two steps for anything that changes
//! state, and keys typed before the dialog opened never confirm it.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::alert::summary::format_value;
use crate::alert::AlertView;
use crate::model::{Confirmation, Model, Overlay, Pane, Run};
use crate::msg::Effect;
use crate::runbook::{prepare, ActionSpec, Confirm, Context, Mode, Order, Resolved, RunEvent};

/// Keys read sooner than this after the dialog opened were typed ahead: they never confirm.
pub const CONFIRM_GUARD: Duration = Duration::from_millis(400);

/// The action bound to `key` for the selected alert, if any.
pub fn action_for_key(model: &Model, key: char) -> Option<(AlertView, ActionSpec)> {
    let alert = model.selected_alert()?.clone();
    let action = model
        .runbooks_for(&alert)
        .into_iter()
        .flat_map(|rb| rb.actions.iter())
        .find(|a| a.key == key)
        .cloned()?;
    Some((alert, action))
}

/// What templates may use besides labels: the source's URL, the alert, the environment.
fn context(model: &Model, alert: &AlertView) -> Context {
    let source = model
        .alerts
        .query_of(&alert.rule)
        .and_then(|q| model.queries.get(q))
        .map(|q| q.source)
        .unwrap_or(0);
    let mut ctx = Context { labels: (*alert.labels).clone(), ..Context::default() };
    let url = model.sources.get(source).map(|s| s.url.clone()).unwrap_or_default();
    ctx.vars.insert("source_url".into(), url);
    ctx.vars.insert("alertname".into(), alert.rule.clone());
    ctx.vars.insert("environment".into(), model.env.name.clone());
    ctx.vars.insert("value".into(), format_value(alert.value));
    ctx
}

/// A runbook key was pressed (at `at`).
pub(super) fn runbook_key(model: &mut Model, key: char, at: Instant) -> Vec<Effect> {
    let Some((alert, action)) = action_for_key(model, key) else {
        return Vec::new();
    };
    let ctx = context(model, &alert);
    let mut resolved = match prepare(&action, &ctx, Mode::Confirmed) {
        Ok(r) => r,
        Err(refused) => {
            flash(model, format!("{} refused: {}", action.label, refused.refusal));
            return vec![Effect::Action(Order::Refused(refused)), Effect::Redraw];
        }
    };
    if model.read_only {
        // The launcher refuses in read-only mode and writes the denial to the audit log.
        return launch(model, action, resolved);
    }
    if let Some(peak) = action.peak_confirm.filter(|_| model.env.peak.contains(model.now)) {
        resolved.confirm = resolved.confirm.stricter(peak);
    }
    if resolved.confirm == Confirm::None && !resolved.dangerous {
        return launch(model, action, resolved);
    }
    let mut effects = vec![Effect::Redraw];
    let mut dry_run = None;
    if action.dry_run.is_some() {
        match prepare(&action, &ctx, Mode::DryRun) {
            Ok(dry) => {
                let id = model.runs.allocate();
                model.runs.add(new_run(model, id, &dry));
                dry_run = Some(id);
                effects.push(order(id, action.clone(), dry));
            }
            Err(refused) => {
                flash(model, format!("dry run refused: {}", refused.refusal));
                effects.push(Effect::Action(Order::Refused(refused)));
            }
        }
    }
    let environment = model.env.name.clone();
    effects.push(Effect::PeekRun(Box::new(resolved.clone())));
    model.ui.overlay = Overlay::Confirm(Box::new(Confirmation {
        action,
        resolved,
        typed: String::new(),
        opened: at,
        dry_run,
        dry_scroll: 0,
        environment,
        blocked: None,
    }));
    effects
}

/// Keys while the confirm dialog is open.
pub(super) fn confirm_key(model: &mut Model, key: KeyEvent, at: Instant) -> Vec<Effect> {
    let Overlay::Confirm(c) = &mut model.ui.overlay else {
        return Vec::new();
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return super::quit(model);
    }
    if key.code == KeyCode::Esc {
        return cancel(model);
    }
    // Reading the dry run is not answering: it scrolls whenever the keys come.
    let page = 5;
    match key.code {
        KeyCode::PageDown | KeyCode::Down => {
            let lines = c.dry_run.and_then(|id| model.runs.get(id)).map_or(0, |r| r.output.len());
            c.dry_scroll = (c.dry_scroll + page).min(lines.saturating_sub(1));
        }
        KeyCode::PageUp | KeyCode::Up => c.dry_scroll = c.dry_scroll.saturating_sub(page),
        _ => {}
    }
    if matches!(key.code, KeyCode::PageDown | KeyCode::Down | KeyCode::PageUp | KeyCode::Up) {
        return vec![Effect::Redraw];
    }
    if at.saturating_duration_since(c.opened) < CONFIRM_GUARD {
        return Vec::new(); // typed ahead of the dialog: never confirms, never cancels
    }
    if let Some(why) = &c.blocked {
        if key.code == KeyCode::Char('n') {
            return cancel(model);
        }
        let text = format!("cannot run now: {why} (Esc closes)");
        flash(model, text);
        return vec![Effect::Redraw];
    }
    let confirmed = match (c.resolved.confirm, key.code) {
        (Confirm::TypeTarget, KeyCode::Enter) => {
            if c.typed != c.resolved.target {
                flash(model, "type the target's name exactly to confirm".into());
                return vec![Effect::Redraw];
            }
            true
        }
        (Confirm::TypeTarget, KeyCode::Backspace) => {
            c.typed.pop();
            false
        }
        (Confirm::TypeTarget, KeyCode::Char(ch)) if !ch.is_control() && c.typed.len() < 200 => {
            c.typed.push(ch);
            false
        }
        (_, KeyCode::Char('n')) => return cancel(model),
        (_, KeyCode::Char('y') | KeyCode::Enter) => true,
        _ => return Vec::new(),
    };
    if !confirmed {
        return vec![Effect::Redraw];
    }
    let Overlay::Confirm(c) = std::mem::take(&mut model.ui.overlay) else {
        return Vec::new();
    };
    let Confirmation { action, resolved, .. } = *c;
    launch(model, action, resolved)
}

fn cancel(model: &mut Model) -> Vec<Effect> {
    if let Overlay::Confirm(c) = &model.ui.overlay {
        let label = c.action.label.clone();
        flash(model, format!("cancelled: {label}"));
    }
    model.ui.overlay = Overlay::None;
    vec![Effect::Redraw]
}

fn launch(model: &mut Model, action: ActionSpec, resolved: Resolved) -> Vec<Effect> {
    let id = model.runs.allocate();
    model.runs.add(new_run(model, id, &resolved));
    model.ui.pane = Pane::Output;
    model.ui.pane_scroll = 0;
    vec![order(id, action, resolved), Effect::Redraw]
}

fn order(run_id: u64, action: ActionSpec, resolved: Resolved) -> Effect {
    let (action, resolved) = (Box::new(action), Box::new(resolved));
    Effect::Action(Order::Run { run_id, action, resolved })
}

fn new_run(model: &Model, id: u64, r: &Resolved) -> Run {
    Run {
        id,
        runbook: r.runbook.clone(),
        key: r.key,
        label: r.label.clone(),
        display: r.display(),
        target: r.target.clone(),
        dry_run: r.dry_run,
        started: model.now,
        output: Default::default(),
        dropped: 0,
        finished: None,
        refused: None,
    }
}

/// Progress of a run.
pub(super) fn run_event(model: &mut Model, ev: RunEvent) -> Vec<Effect> {
    match ev {
        RunEvent::Output { run_id, stream, line } => {
            if let Some(run) = model.runs.get_mut(run_id) {
                run.push(stream, line);
            }
        }
        RunEvent::Finished { run_id, outcome, duration } => {
            let mut note = None;
            if let Some(run) = model.runs.get_mut(run_id) {
                if !run.dry_run {
                    let mark = if outcome.success() { "✓" } else { "✖" };
                    note = Some(format!("{mark} {}: {}", run.label, outcome.summary()));
                }
                run.finished = Some((outcome, duration));
            }
            if let Some(n) = note {
                flash(model, n);
            }
        }
    }
    vec![Effect::Redraw]
}

/// A run the launcher would not start.
pub(super) fn refused(model: &mut Model, run_id: u64, reason: String) -> Vec<Effect> {
    let label = model.runs.get_mut(run_id).map(|run| {
        run.refused = Some(reason.clone());
        run.label.clone()
    });
    flash(model, format!("{} not run: {reason}", label.unwrap_or_default()));
    vec![Effect::Redraw]
}

fn flash(model: &mut Model, text: String) {
    model.flash = Some((crate::sanitize::clean_owned(&text), model.now));
}

/// The launcher's word on whether the action in the confirm dialog could run now.
pub(super) fn can_run(
    model: &mut Model,
    (runbook, key, target): (String, char, String),
    refusal: Option<String>,
) -> Vec<Effect> {
    let Overlay::Confirm(c) = &mut model.ui.overlay else {
        return Vec::new();
    };
    let r = &c.resolved;
    if (r.runbook.as_str(), r.key, r.target.as_str()) != (&runbook, key, &target) {
        return Vec::new(); // an answer about a dialog since closed
    }
    c.blocked = refusal.map(|r| crate::sanitize::clean_owned(&r));
    vec![Effect::Redraw]
}
