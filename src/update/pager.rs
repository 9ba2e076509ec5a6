//! The pager side in `update`: Prometheus's alerts and Alertmanager's silences arriving, and
//! the outcome of a silence being made.

use super::ack::created;
use super::record::record;
use crate::model::Model;
use crate::msg::Effect;
use crate::pager::PagerMsg;

/// Applies a pager result.
pub(super) fn message(model: &mut Model, msg: PagerMsg) -> Vec<Effect> {
    match msg {
        PagerMsg::PromAlerts { source, at, result } => {
            // An answer that repeats what is shown draws nothing.
            let (events, changed) = model.pager.prom_result(source, at, result);
            let mut effects = record(model, events);
            if changed && !effects.iter().any(|e| matches!(e, Effect::Redraw)) {
                effects.push(Effect::Redraw);
            }
            effects
        }
        PagerMsg::Silences { at, result } => {
            super::redraw_if(model.pager.silences_result(at, result))
        }
        PagerMsg::SilenceCreated { at, request, result } => created(model, at, *request, result),
        PagerMsg::Team { at, result } => {
            super::redraw_if(model.pager.team.as_mut().is_some_and(|t| t.result(at, result)))
        }
    }
}
