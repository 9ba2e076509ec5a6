//! `update(&mut Model, Msg) -> Vec<Effect>`: the only place the model changes. Pure: no I/O,
//! no awaits, no clock reads — time arrives in messages.

mod ack;
mod actions;
mod alerts;
mod copy;
mod find;
mod guards;
mod keys;
mod pager;
mod paste;
mod record;
pub mod vars;
mod why;

pub use actions::{action_for_key, CONFIRM_GUARD};

use crate::model::Model;
use crate::msg::{Effect, Msg};
use crate::prom::{FetchKind, PollResult};

/// Time ranges `+`/`-` step through.
pub const RANGES: &[u64] = &[300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600];

/// Applies one message. Whenever it changes what the alert list is built from (rules'
/// evaluations, time, the sources' alerts, silences, acknowledgements, the filter), the list is
/// rebuilt once, here, for every widget to read.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let rebuild = match &msg {
        Msg::Pager(_) | Msg::History(_) => true,
        Msg::Poll(r) => !model.alerts.rules_of_query(r.query).is_empty(),
        _ => false,
    };
    let before = (model.acks.version(), model.pager.silencing.len(), model.ui.filter.clone());
    let mut effects = dispatch(model, msg);
    let after = (model.acks.version(), model.pager.silencing.len(), model.ui.filter.clone());
    if rebuild || before != after {
        let events = model.rebuild_alerts();
        effects.extend(record::record(model, events));
    }
    effects
}

fn dispatch(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            let changed = now.timestamp() != model.now.timestamp();
            let before = model.now;
            model.now = now;
            // Time alone changes the list only when a resolved alert ages out or an
            // acknowledgement lapses; it may always change whether the list is blind.
            let mut effects = Vec::new();
            if model.alerts.forget_expired(now)
                || model.acks.expiring_by(now)
                || model.pager.silence_edge(before, now)
            {
                let events = model.rebuild_alerts();
                effects = record::record(model, events);
            } else if model.refresh_blind() {
                effects.push(Effect::Redraw);
            }
            if changed {
                effects.push(Effect::Redraw);
            }
            effects.extend(guards::refresh(model));
            effects
        }
        Msg::Resize { width, height } => resize(model, width, height),
        Msg::Poll(result) => poll(model, *result),
        Msg::Key { key, at } => keys::key_event(model, key, at),
        Msg::Paste(text) => paste::paste(model, &text),
        Msg::Run(ev) => actions::run_event(model, ev),
        Msg::RunRefused { run_id, reason } => actions::refused(model, run_id, reason),
        Msg::CanRun { runbook, key, target, refusal } => {
            actions::can_run(model, (runbook, key, target), refusal)
        }
        Msg::GuardsRead { action, readings, last } => {
            guards::read_back(model, action, readings, last)
        }
        Msg::VerifyRead { run_id, reading, stage } => {
            guards::verify_read(model, run_id, reading, stage)
        }
        Msg::Pager(m) => pager::message(model, m),
        Msg::Explained { query, explanation } => why::answered(model, query, *explanation),
        Msg::History(events) => {
            // A restart remembers: pending and firing alerts, acknowledgements in force.
            let now = model.now;
            let (alerts, acks) =
                crate::alert::restore::restore(&mut model.alerts, &mut model.acks, &events, now);
            if alerts + acks > 0 {
                tracing::info!(alerts, acks, "restored from the alert history");
            }
            model.remember(events);
            vec![Effect::Redraw]
        }
        Msg::VarsResolved { dashboard, generation, vars } => {
            vars::resolved(model, dashboard, generation, vars)
        }
        Msg::Quit => quit(model),
    }
}

pub(crate) fn redraw_if(changed: bool) -> Vec<Effect> {
    if changed {
        vec![Effect::Redraw]
    } else {
        Vec::new()
    }
}

pub(crate) fn quit(model: &mut Model) -> Vec<Effect> {
    model.quit = true;
    vec![Effect::Quit]
}

fn poll(model: &mut Model, r: PollResult) -> Vec<Effect> {
    if r.kind != FetchKind::Instant && r.generation != model.window.generation {
        return Vec::new(); // a late answer for a window no longer shown
    }
    let window_start = model.window_start();
    // A panel shows its own query and, on the live window, its query's live twin: the twin's
    // newest sample is the stat value, the legend and the chart's rightmost point.
    let shown = model.shows(r.query);
    let mut effects = alerts::evaluate(model, &r);
    let Some(query) = model.queries.get_mut(r.query) else {
        return effects;
    };
    // An unchanged poll sent no request: it says nothing about the source.
    let source = model.sources.get_mut(query.source).filter(|_| r.kind != FetchKind::Unchanged);
    if let Some(source) = source {
        let (rtt, error) = match &r.outcome {
            Ok(f) => (Some(f.rtt), None),
            // Refused credentials: the server is up, but warroom reads nothing from it.
            Err(e) if e.is_auth() => (None, Some(e.to_string())),
            // An API error means the server answered: it is up, the query is wrong. So does
            // an answer too large to read.
            Err(crate::prom::PromError::Api { status, .. }) if *status < 500 => (None, None),
            Err(crate::prom::PromError::TooLarge(_)) => (None, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let health = (source.health(), source.auth_refused);
        source.auth_refused = matches!(&r.outcome, Err(e) if e.is_auth());
        source.record(r.at, rtt, error);
        if let Ok(f) = &r.outcome {
            source.note_answer(r.query, f.response.partial, &f.response.warnings);
        }
        // The round-trip time alone waits for the next tick; a change of health shows at once.
        if (source.health(), source.auth_refused) != health {
            effects.push(Effect::Redraw);
        }
    }
    // A query that only alert rules read shows through their alerts: a change of state has
    // asked for a frame above, and the values in the list follow on the next tick.
    let changed = query.apply(r, window_start);
    effects.extend(redraw_if(changed && shown));
    effects
}

fn resize(model: &mut Model, width: u16, height: u16) -> Vec<Effect> {
    model.ui.width = width;
    model.ui.height = height;
    let mut effects = vec![Effect::Redraw];
    let max_points = chart_points(width, model.ui.columns());
    let old = model.window;
    let new = crate::model::Window { max_points, ..old };
    let step_changed = model.queries.iter().any(|q| old.step(q.interval) != new.step(q.interval));
    model.window.max_points = max_points;
    if step_changed {
        effects.extend(set_window(model, |w| w));
    }
    effects
}

/// Points one grid chart shows at this terminal width: one per cell of its plot area (the panel
/// less its borders and y-axis labels). More would be fetched for nothing.
pub fn chart_points(width: u16, columns: usize) -> u32 {
    let per_panel = (width as usize / columns.max(1)).saturating_sub(10);
    (per_panel as u32).clamp(20, 1000)
}

pub(crate) fn set_window(
    model: &mut Model,
    change: impl FnOnce(crate::model::Window) -> crate::model::Window,
) -> Vec<Effect> {
    let mut w = change(model.window);
    w.generation = model.window.generation + 1;
    model.window = w;
    for q in &mut model.queries {
        if q.range {
            q.series.clear();
            q.last_ok = None;
        }
    }
    let mut effects = vec![Effect::SetWindow(w), Effect::Redraw];
    effects.extend(vars::window_changed(model));
    effects
}
