//! Alert events on their way out: kept for the history pane, written to the history file,
//! and the bell on a new firing alert.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::alert::{AlertState, Event};
use crate::model::Model;
use crate::msg::Effect;

/// Shortest time between two bells.
const BELL_EVERY: Duration = Duration::from_secs(30);

/// Keeps events for display, asks for them to be written, and rings the bell on new firing.
pub(super) fn record(model: &mut Model, events: Vec<Event>) -> Vec<Effect> {
    if events.is_empty() {
        return Vec::new();
    }
    // A storm (thousands of alerts of one rule moving at once) is a few lines, not megabytes.
    let events = crate::alert::storm::coalesce(events, crate::alert::storm::RECORDED_ONE_BY_ONE);
    // A pending alert that clears is flapping worth seeing live, not a line for the postmortem.
    let lasting: Vec<Event> = events.iter().filter(|e| !is_pending_cleared(e)).cloned().collect();
    let mut effects = Vec::new();
    if !lasting.is_empty() {
        effects.push(Effect::Record(lasting));
    }
    effects.push(Effect::Redraw);
    let fired = events.iter().any(Event::fired);
    if fired && model.bell && bell_due(model.last_bell, model.now) {
        model.last_bell = Some(model.now);
        effects.push(Effect::Bell);
    }
    model.remember(events);
    effects
}

/// `Pending → Inactive`: the condition cleared before `for` passed.
fn is_pending_cleared(e: &Event) -> bool {
    matches!(e, Event::Transition { from: AlertState::Pending, to: AlertState::Inactive, .. })
}

fn bell_due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|t| (now - t).to_std().unwrap_or_default() >= BELL_EVERY)
}
