//! `e` and "why no data?": the overlay shows the query behind the selection (a panel's, or the
//! selected alert's rule's); when that query answered with no series, the source is asked, part
//! by part, what loses them (once per opening: the answer stays until the overlay closes).

use crate::alert::Origin;
use crate::explain::Explanation;
use crate::model::{Focus, Model, Overlay, QueryOwner, Why};
use crate::msg::Effect;

/// `e`: the overlay with the query behind the selection — the selected local alert's rule when
/// the alert list has the focus, else the selected (or zoomed) panel — and, when that query's
/// last good answer was empty, the question to its source.
pub(super) fn show_query(model: &mut Model) -> Vec<Effect> {
    let rule = (model.ui.focus == Focus::Alerts)
        .then(|| model.selected_alert())
        .flatten()
        .filter(|a| a.origins.contains(&Origin::Local))
        .and_then(|a| Some((a.rule.clone(), model.alerts.query_of(&a.rule)?)));
    let (query, of) = match rule {
        Some((name, query)) => (query, QueryOwner::Rule(name)),
        None => {
            let visible = model.visible_panels();
            let panel = model.ui.zoom.or_else(|| visible.get(model.ui.panel).copied());
            match panel.and_then(|p| Some((model.panels.get(p)?.query, p))) {
                Some((query, panel)) => (query, QueryOwner::Panel(panel)),
                None => return super::keys::notice(model, "no panel selected"),
            }
        }
    };
    model.ui.overlay = Overlay::Query { query, of };
    ask(model, query)
}

/// Effects of opening the overlay on `query`: a redraw, and the question to the source when
/// its last good answer was empty (the live twin's, for a range query: what the value is).
fn ask(model: &mut Model, query: usize) -> Vec<Effect> {
    let mut effects = vec![Effect::Redraw];
    model.ui.why = None;
    let Some(query) = model.queries.get(query).map(|q| q.live.unwrap_or(query)) else {
        return effects;
    };
    let Some(q) = model.queries.get(query) else { return effects };
    if q.empty && q.last_ok.is_some() && q.error.is_none() {
        model.ui.why = Some(Why { query, answer: None });
        effects.push(Effect::Explain { query, source: q.source, expr: q.expr.clone() });
    }
    effects
}

/// The answer, if the overlay still waits for it.
pub(super) fn answered(model: &mut Model, query: usize, explanation: Explanation) -> Vec<Effect> {
    let waiting = matches!(model.ui.overlay, Overlay::Query { .. })
        && model.ui.why.as_ref().is_some_and(|w| w.query == query && w.answer.is_none());
    if !waiting {
        return Vec::new();
    }
    model.ui.why = Some(Why { query, answer: Some(explanation) });
    vec![Effect::Redraw]
}
