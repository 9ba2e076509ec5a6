//! Runbook actions: key → resolved request → confirm dialog (or straight to the launcher in
//! read-only mode, which records the denial) → run events. Every refusal, this module's own
//! (templates, allow-lists, a dry run's) as well as the launcher's, goes to the launcher as an
//! [`Order`], which writes it to the audit log. Two steps for anything that changes
//! state, and keys typed before the dialog opened never confirm it.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::alert::summary::format_value;
use crate::alert::AlertView;
use crate::model::{Confirmation, Model, Overlay, Pane, Run, Watch};
use crate::msg::Effect;
use crate::runbook::{
    prepare, ActionSpec, Checks, Confirm, Context, Mode, Order, Outcome, Resolved, RunEvent,
};

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

/// The source of the alert's rule (the first one when it has none of its own).
fn alert_source(model: &Model, alert: &AlertView) -> usize {
    model.alerts.query_of(&alert.rule).and_then(|q| model.queries.get(q)).map_or(0, |q| q.source)
}

/// What templates may use besides labels: the source's URL, the alert, the environment.
fn context(model: &Model, alert: &AlertView) -> Context {
    let source = alert_source(model, alert);
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
    let source = alert_source(model, &alert);
    if model.read_only {
        // The launcher refuses in read-only mode and writes the denial to the audit log.
        return launch(model, (action, resolved), source, Checks::default());
    }
    if let Some(peak) = action.peak_confirm.filter(|_| model.env.peak.contains(model.now)) {
        resolved.confirm = resolved.confirm.stricter(peak);
    }
    // An action with guards always shows them, read live, before it runs.
    if resolved.confirm == Confirm::None && !resolved.dangerous && resolved.guards.is_empty() {
        return launch(model, (action, resolved), source, Checks::default());
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
    let resolved_announced = resolved.announced;
    effects.push(Effect::PeekRun(Box::new(resolved.clone())));
    let guards = resolved.guards.is_empty().then(Vec::new);
    let c = Confirmation {
        action,
        resolved,
        typed: String::new(),
        opened: at,
        dry_run,
        dry_scroll: 0,
        environment,
        blocked: None,
        source,
        reading: guards.is_none(),
        guards,
        confirming: false,
        read_at: None,
        announce: announce_note(model, resolved_announced),
    };
    if c.reading {
        effects.push(super::guards::read(&c, false));
    }
    model.ui.overlay = Overlay::Confirm(Box::new(c));
    effects
}

/// What the confirm dialog says of an announced action's announcement: whether the team will
/// hear of it (Alertmanager answered the latest read) or not.
fn announce_note(model: &Model, announced: bool) -> Option<String> {
    let team = model.pager.team.as_ref().filter(|_| announced)?;
    Some(match &team.error {
        None => "announced to the team through Alertmanager before it starts".into(),
        Some(_) => "not announced: Alertmanager unreachable".into(),
    })
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
    if c.confirming {
        return Vec::new(); // the guards are being read once more: only Esc counts
    }
    // What must be typed: the override when a guard fails and the runbook allows it, else the
    // target for type-target actions; other actions take y.
    let typed = c.override_text();
    let expected = typed
        .clone()
        .or_else(|| (c.resolved.confirm == Confirm::TypeTarget).then(|| c.resolved.target.clone()));
    let confirmed = match (&expected, key.code) {
        (Some(want), KeyCode::Enter) => {
            if c.typed != *want {
                let what = if typed.is_some() { "the override" } else { "the target's name" };
                flash(model, format!("type {what} exactly to confirm"));
                return vec![Effect::Redraw];
            }
            true
        }
        (Some(_), KeyCode::Backspace) => {
            c.typed.pop();
            false
        }
        (Some(_), KeyCode::Char(ch)) if !ch.is_control() && c.typed.len() < 200 => {
            c.typed.push(ch);
            false
        }
        (None, KeyCode::Char('n')) => return cancel(model),
        (None, KeyCode::Char('y') | KeyCode::Enter) => true,
        _ => return Vec::new(),
    };
    if !confirmed {
        return vec![Effect::Redraw];
    }
    super::guards::confirmed(model, typed.is_some())
}

fn cancel(model: &mut Model) -> Vec<Effect> {
    if let Overlay::Confirm(c) = &model.ui.overlay {
        let label = c.action.label.clone();
        flash(model, format!("cancelled: {label}"));
    }
    model.ui.overlay = Overlay::None;
    vec![Effect::Redraw]
}

/// Hands the action to the launcher with the guards as read (`checks`); when it has a verify
/// query, its value is read as it starts, to compare with afterwards.
pub(super) fn launch(
    model: &mut Model,
    (action, resolved): (ActionSpec, Resolved),
    source: usize,
    checks: Checks,
) -> Vec<Effect> {
    let id = model.runs.allocate();
    let mut run = new_run(model, id, &resolved);
    let mut effects = Vec::new();
    if let Some(verify) = resolved.verify.clone() {
        effects.push(Effect::Verify { run_id: id, source, verify, watch: false });
        let resolved = Box::new(resolved.clone());
        run.verify = Some(Watch { source, resolved, before: None, latest: None, verdict: None });
    }
    run.checks = checks.clone();
    model.runs.add(run);
    model.ui.pane = Pane::Output;
    model.ui.pane_scroll = 0;
    let (action, resolved) = (Box::new(action), Box::new(resolved));
    effects.push(Effect::Action(Order::Run { run_id: id, action, resolved, checks }));
    effects.push(Effect::Redraw);
    effects
}

fn order(run_id: u64, action: ActionSpec, resolved: Resolved) -> Effect {
    let (action, resolved) = (Box::new(action), Box::new(resolved));
    Effect::Action(Order::Run { run_id, action, resolved, checks: Checks::default() })
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
        guards: r.guards.clone(),
        checks: Checks::default(),
        verify: None,
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
            let mut effects = vec![Effect::Redraw];
            if let Some(run) = model.runs.get_mut(run_id) {
                if let Outcome::Refused(refusal) = &outcome {
                    // Refused at the gate (another host was first): it never ran.
                    let reason = refusal.to_string();
                    note = Some(format!("{} not run: {reason}", run.label));
                    run.refused = Some(reason);
                    run.verify = None;
                } else if !run.dry_run {
                    let mark = if outcome.success() { "✓" } else { "✖" };
                    note = Some(format!("{mark} {}: {}", run.label, outcome.summary()));
                }
                // What never started had no effect to look for.
                if matches!(outcome, Outcome::FailedToStart(_) | Outcome::Refused(_)) {
                    run.verify = None;
                }
                if let Some(w) = &run.verify {
                    if let Some(verify) = w.resolved.verify.clone() {
                        let source = w.source;
                        effects.push(Effect::Verify { run_id, source, verify, watch: true });
                    }
                }
                run.finished = Some((outcome, duration));
            }
            if let Some(n) = note {
                flash(model, n);
            }
            return effects;
        }
    }
    vec![Effect::Redraw]
}

/// A run the launcher would not start.
pub(super) fn refused(model: &mut Model, run_id: u64, reason: String) -> Vec<Effect> {
    let label = model.runs.get_mut(run_id).map(|run| {
        run.refused = Some(reason.clone());
        run.verify = None; // it never ran: nothing to verify
        run.label.clone()
    });
    flash(model, format!("{} not run: {reason}", label.unwrap_or_default()));
    vec![Effect::Redraw]
}

pub(super) fn flash(model: &mut Model, text: String) {
    model.flash = Some((crate::sanitize::clean_owned(&text), model.now));
}

/// The launcher's word on whether the action in the confirm dialog could run now.
pub(super) fn can_run(
    model: &mut Model,
    (runbook, key, target): crate::runbook::ActionId,
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
