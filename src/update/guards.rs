//! An action's guards and its verification, as the dashboard drives them.
//!
//! Guards are read when the confirm dialog opens (the dialog shows each live value), and read
//! once more the moment the engineer confirms: the action starts only if that last reading
//! holds. A reading where a guard fails refuses the action, and the refusal is audited; the
//! dialog stays open to show why. A runbook may allow the engineer to type `override` instead,
//! which starts the run with the readings and the override in its audit record. After a run
//! ends, its verify query is watched until it holds or its time is up, and the verdict goes to
//! the output pane, the footer and the audit log.

use super::actions::{flash, launch};
use crate::model::{Confirmation, Model, Overlay};
use crate::msg::{Effect, VerifyStage};
use crate::runbook::{Checks, Order, Reading, Refusal, Refused, Verdict};

/// How old the shown readings may grow before the open dialog reads the guards again.
pub const READ_AGAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// On the clock: the open dialog's guards read again when their values are older than
/// [`READ_AGAIN`], so what it shows stays live.
pub(super) fn refresh(model: &mut Model) -> Vec<Effect> {
    let now = model.now;
    let Overlay::Confirm(c) = &mut model.ui.overlay else { return Vec::new() };
    let old = c.read_at.is_some_and(|t| (now - t).to_std().is_ok_and(|age| age >= READ_AGAIN));
    if c.resolved.guards.is_empty() || c.reading || c.confirming || !old {
        return Vec::new();
    }
    c.reading = true;
    vec![read(c, false)]
}

/// The effect that reads the dialog's guards (`last`: after confirming).
pub(super) fn read(c: &Confirmation, last: bool) -> Effect {
    let guards = c.resolved.guards.clone();
    Effect::ReadGuards { action: c.action_id(), source: c.source, guards, last }
}

/// The engineer confirmed the dialog (`overriding`: by typing the override).
pub(super) fn confirmed(model: &mut Model, overriding: bool) -> Vec<Effect> {
    let Overlay::Confirm(c) = &mut model.ui.overlay else { return Vec::new() };
    if c.resolved.guards.is_empty() || overriding {
        let readings = c.guards.clone().unwrap_or_default();
        return start(model, Checks { readings, overridden: overriding });
    }
    match &c.guards {
        None => {
            flash(model, "the guards are still being read: wait for their values".into());
            vec![Effect::Redraw]
        }
        Some(readings) if readings.iter().all(Reading::ok) => {
            (c.confirming, c.reading) = (true, true);
            vec![read(c, true), Effect::Redraw]
        }
        Some(_) => {
            // Refused (and audited) when the reading came back: say so again.
            let text = match c.override_text() {
                Some(o) => format!("a guard does not hold: type {o:?} and Enter to run it anyway"),
                None => "refused: a guard does not hold (Esc closes)".to_owned(),
            };
            flash(model, text);
            vec![Effect::Redraw]
        }
    }
}

/// Guards read for the dialog `action` is about.
pub(super) fn read_back(
    model: &mut Model,
    action: crate::runbook::ActionId,
    readings: Vec<Reading>,
    last: bool,
) -> Vec<Effect> {
    let now = model.now;
    let Overlay::Confirm(c) = &mut model.ui.overlay else { return Vec::new() };
    if c.action_id() != action || last != c.confirming {
        return Vec::new(); // about a dialog since closed, or a reading since overtaken
    }
    let all_hold = readings.len() == c.resolved.guards.len() && readings.iter().all(Reading::ok);
    let failed_before = c.guard_failed();
    c.guards = Some(readings.clone());
    (c.confirming, c.reading, c.read_at) = (false, false, Some(now));
    if all_hold && last {
        return start(model, Checks { readings, overridden: false });
    }
    // A refusal is recorded when a guard is seen failing, not again at every reading after.
    if all_hold || (failed_before && !last) {
        return vec![Effect::Redraw];
    }
    refuse(model)
}

/// Closes the dialog and hands its action to the launcher.
fn start(model: &mut Model, checks: Checks) -> Vec<Effect> {
    let Overlay::Confirm(c) = std::mem::take(&mut model.ui.overlay) else { return Vec::new() };
    let Confirmation { action, resolved, source, .. } = *c;
    launch(model, (action, resolved), source, checks)
}

/// A guard does not hold: the refusal goes to the audit log. The dialog stays open with the
/// values read; its prompt asks for the override when the runbook allows one.
fn refuse(model: &mut Model) -> Vec<Effect> {
    let Overlay::Confirm(c) = &mut model.ui.overlay else { return Vec::new() };
    let readings = c.guards.clone().unwrap_or_default();
    let checks = Checks { readings, overridden: false };
    let refusal = checks
        .refusal(&c.action, &c.resolved)
        .unwrap_or_else(|| Refusal::Guard("the guards changed while they were read".into()));
    let refused = Box::new(Refused {
        runbook: c.action.runbook.clone(),
        key: c.action.key,
        label: c.action.label.clone(),
        dry_run: false,
        labels: c.resolved.labels.clone(),
        refusal: refusal.clone(),
    });
    c.typed.clear();
    let label = c.action.label.clone();
    let text = match c.override_text() {
        Some(o) => format!("{label} refused: {refusal}; type {o:?} to run it anyway"),
        None => format!("{label} refused: {refusal}"),
    };
    flash(model, text);
    vec![Effect::Action(Order::Refused(refused)), Effect::Redraw]
}

/// A reading of run `run_id`'s verify query.
pub(super) fn verify_read(
    model: &mut Model,
    run_id: u64,
    reading: Reading,
    stage: VerifyStage,
) -> Vec<Effect> {
    let Some(run) = model.runs.get_mut(run_id) else { return Vec::new() };
    let Some(watch) = run.verify.as_mut() else { return Vec::new() };
    if watch.verdict.is_some() {
        return Vec::new();
    }
    let elapsed = match stage {
        VerifyStage::Before => {
            watch.before = Some(reading);
            return vec![Effect::Redraw];
        }
        VerifyStage::Watching => {
            watch.latest = Some(reading);
            return vec![Effect::Redraw];
        }
        VerifyStage::Done { elapsed } => elapsed,
    };
    let unit = watch.resolved.verify.as_ref().map(|v| v.unit.clone()).unwrap_or_default();
    let (effective, before) = (reading.ok(), watch.before.clone());
    let verdict = Verdict { effective, before, after: reading, elapsed, unit };
    watch.latest = Some(verdict.after.clone());
    watch.verdict = Some(verdict.clone());
    let resolved = watch.resolved.clone();
    let line = watch.status();
    let label = run.label.clone();
    flash(model, format!("{label}: {line}"));
    let verdict = Box::new(verdict);
    vec![Effect::Action(Order::Verified { run_id, resolved, verdict }), Effect::Redraw]
}
