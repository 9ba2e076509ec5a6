//! Alert evaluation on each poll result, the bell, and acknowledgements.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::record::record;
use crate::alert::{AlertState, Observation};
use crate::model::{Model, Overlay, ACK_EXPIRIES};
use crate::msg::Effect;
use crate::prom::{FetchKind, PollResult};

/// Feeds a poll result to every rule that evaluates its query. Rules evaluate live instant
/// queries only (a rule naming a chart evaluates the chart's live twin), so what the charts
/// show — panned, zoomed, any range — never changes an alert.
pub(super) fn evaluate(model: &mut Model, r: &PollResult) -> Vec<Effect> {
    let rules = model.alerts.rules_of_query(r.query);
    if rules.is_empty() || r.kind != FetchKind::Instant {
        return Vec::new();
    }
    let mut events = Vec::new();
    match &r.outcome {
        Ok(f) => {
            // A vector is evaluated where it lies; other shapes are reduced to their latest.
            let owned;
            let samples: &[crate::prom::Sample] = match &f.response.data {
                crate::prom::QueryData::Vector(v) => v,
                other => {
                    owned = other.latest();
                    &owned
                }
            };
            for i in rules {
                events.extend(model.alerts.observe(i, Observation::Samples(samples), r.at));
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for i in rules {
                events.extend(model.alerts.observe(i, Observation::Error(&msg), r.at));
                model.alerts.failed(i, e.blind_reason());
            }
        }
    }
    record(model, events)
}

/// `a`: opens the acknowledge dialog for the selected alert (if it is worth acknowledging).
pub(super) fn open_ack(model: &mut Model) -> Vec<Effect> {
    let Some(alert) = model.selected_alert() else {
        return Vec::new();
    };
    if matches!(alert.state, AlertState::Inactive | AlertState::Resolved) {
        return Vec::new();
    }
    model.ui.overlay = Overlay::Ack { key: alert.key.clone(), note: String::new(), expiry: 0 };
    vec![Effect::Redraw]
}

/// Keys while the acknowledge dialog is open: type a note, Tab cycles the expiry, Enter
/// acknowledges, Esc cancels.
/// The longest acknowledgement note.
pub(super) const NOTE_MAX: usize = 200;

pub(super) fn ack_key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Ack { key: alert, note, expiry, .. } = &mut model.ui.overlay else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => model.ui.overlay = Overlay::None,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            return super::quit(model)
        }
        KeyCode::Tab => *expiry = (*expiry + 1) % ACK_EXPIRIES.len(),
        KeyCode::BackTab => *expiry = (*expiry + ACK_EXPIRIES.len() - 1) % ACK_EXPIRIES.len(),
        KeyCode::Backspace => {
            note.pop();
        }
        KeyCode::Char(c) => super::paste::type_into(note, c, NOTE_MAX),
        KeyCode::Enter => {
            let (alert, note, expiry) = (alert.clone(), note.trim().to_string(), *expiry);
            model.ui.overlay = Overlay::None;
            let until = ACK_EXPIRIES[expiry]
                .map(|mins| model.now + chrono::Duration::minutes(i64::from(mins)));
            let note = (!note.is_empty()).then_some(note);
            return super::ack::acknowledge(model, alert, note, until);
        }
        _ => return Vec::new(),
    }
    vec![Effect::Redraw]
}
