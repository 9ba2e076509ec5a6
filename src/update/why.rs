//! "Why no data?": opening the `e` overlay on a panel whose query answered with no series asks
//! the source, part by part, what loses them (once per opening: the answer stays until the
//! overlay closes).

use crate::explain::Explanation;
use crate::model::{Model, Overlay, Why};
use crate::msg::Effect;

/// The query a panel's emptiness is read from: its live twin when it has one (what the panel's
/// value comes from), else its own.
fn shown_query(model: &Model, panel: usize) -> Option<usize> {
    let q = model.panels.get(panel)?.query;
    Some(model.queries.get(q)?.live.unwrap_or(q))
}

/// Effects of opening the overlay on `panel`: a redraw, and the question to the source when
/// its last good answer was empty.
pub(super) fn ask(model: &mut Model, panel: usize) -> Vec<Effect> {
    let mut effects = vec![Effect::Redraw];
    model.ui.why = None;
    let Some(query) = shown_query(model, panel) else { return effects };
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
