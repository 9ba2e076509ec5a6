//! The variable picker (`:`): choose a dashboard variable's value, and the panels it changes
//! get their new queries (`Effect::Replan` restarts the pollers on them).
//!
//! `←`/`→` (or `Tab`) step through the variables of every dashboard, `↑`/`↓` through a
//! variable's options ("All" first when it has one), `Space` ticks options of a multi-value
//! variable, `Enter` chooses (the ticked ones, else the one under the cursor), `Esc` closes.

use crossterm::event::{KeyCode, KeyEvent};

use crate::grafana::vars::Selection;
use crate::model::{Model, Overlay, VarPicker};
use crate::msg::Effect;

/// Opens the picker on the first choosable variable, or says there is none.
pub(super) fn open(model: &mut Model) -> Vec<Effect> {
    match slots(model).first() {
        Some(&(dashboard, var)) => {
            let mut picker = VarPicker { dashboard, var, ..VarPicker::default() };
            picker.cursor = cursor_of_current(model, &picker);
            model.ui.overlay = Overlay::Variables(Box::new(picker));
        }
        None => model.flash = Some(("no dashboard variables to choose".into(), model.now)),
    }
    vec![Effect::Redraw]
}

/// Every choosable variable as (dashboard, variable).
fn slots(model: &Model) -> Vec<(usize, usize)> {
    model
        .dashboards
        .iter()
        .enumerate()
        .flat_map(|(d, live)| live.choosable().into_iter().map(move |v| (d, v)))
        .collect()
}

/// The picker's rows: `None` is "All", then each option.
pub fn rows(model: &Model, p: &VarPicker) -> Vec<Option<String>> {
    let Some(v) = model.dashboards.get(p.dashboard).and_then(|l| l.var(p.var)) else {
        return Vec::new();
    };
    let all = v.include_all.then_some(None);
    all.into_iter().chain(v.options.iter().cloned().map(Some)).collect()
}

fn cursor_of_current(model: &Model, p: &VarPicker) -> usize {
    let Some(v) = model.dashboards.get(p.dashboard).and_then(|l| l.var(p.var)) else { return 0 };
    let rows = rows(model, p);
    match &v.current {
        Selection::All => 0,
        Selection::Values(chosen) => chosen
            .first()
            .and_then(|c| rows.iter().position(|r| r.as_ref() == Some(c)))
            .unwrap_or(0),
    }
}

pub(super) fn key(model: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Variables(picker) = &model.ui.overlay else { return Vec::new() };
    let mut p = (**picker).clone();
    let rows = rows(model, &p);
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char(':') => {
            model.ui.overlay = Overlay::None;
            return vec![Effect::Redraw];
        }
        KeyCode::Up | KeyCode::Char('k') => p.cursor = p.cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            p.cursor = (p.cursor + 1).min(rows.len().saturating_sub(1));
        }
        KeyCode::Left
        | KeyCode::Right
        | KeyCode::Char('h' | 'l')
        | KeyCode::Tab
        | KeyCode::BackTab => {
            let slots = slots(model);
            let at = slots.iter().position(|s| *s == (p.dashboard, p.var)).unwrap_or(0);
            let back = matches!(key.code, KeyCode::Left | KeyCode::Char('h') | KeyCode::BackTab);
            let n = slots.len().max(1);
            let next = if back { (at + n - 1) % n } else { (at + 1) % n };
            if let Some(&(dashboard, var)) = slots.get(next) {
                p = VarPicker { dashboard, var, ..VarPicker::default() };
                p.cursor = cursor_of_current(model, &p);
            }
        }
        KeyCode::Char(' ') => {
            let multi = model
                .dashboards
                .get(p.dashboard)
                .and_then(|l| l.var(p.var))
                .is_some_and(|v| v.multi);
            if let (true, Some(Some(value))) = (multi, rows.get(p.cursor)) {
                match p.ticked.iter().position(|t| t == value) {
                    Some(i) => {
                        p.ticked.remove(i);
                    }
                    None => p.ticked.push(value.clone()),
                }
            }
        }
        KeyCode::Enter => {
            let selection = if !p.ticked.is_empty() {
                Selection::Values(p.ticked.clone())
            } else {
                match rows.get(p.cursor) {
                    Some(None) => Selection::All,
                    Some(Some(v)) => Selection::Values(vec![v.clone()]),
                    None => return Vec::new(),
                }
            };
            model.ui.overlay = Overlay::None;
            return choose(model, p.dashboard, p.var, selection);
        }
        _ => return Vec::new(),
    }
    model.ui.overlay = Overlay::Variables(Box::new(p));
    vec![Effect::Redraw]
}

/// Sets a variable and gives the panels it changes their new specs.
pub fn choose(
    model: &mut Model,
    dashboard: usize,
    var: usize,
    selection: Selection,
) -> Vec<Effect> {
    let Some(live) = model.dashboards.get_mut(dashboard) else { return Vec::new() };
    let panels = &model.panels;
    let changed = live.choose(var, selection, |i| panels.get(i).map(|p| p.spec.clone()));
    let mut effects = apply(model, changed);
    if let Some(live) = model.dashboards.get(dashboard).filter(|l| l.has_dependents(var)) {
        let (generation, vars) = (live.generation, live.dashboard.vars.clone());
        effects.push(Effect::ResolveVars { dashboard, generation, vars });
    }
    effects
}

/// Variables asked of the source again: their panels follow.
pub(super) fn resolved(
    model: &mut Model,
    dashboard: usize,
    generation: u64,
    vars: Vec<crate::grafana::vars::Variable>,
) -> Vec<Effect> {
    let Some(live) = model.dashboards.get_mut(dashboard) else { return Vec::new() };
    let panels = &model.panels;
    let changed = live.resolved(generation, vars, |i| panels.get(i).map(|p| p.spec.clone()));
    apply(model, changed)
}

/// The chart window changed: `$__interval`, `$__rate_interval` and `$__range` follow it in
/// the dashboards' queries (a restart of the pollers when a query changed).
pub(super) fn window_changed(model: &mut Model) -> Vec<Effect> {
    let window = model.window;
    let mut effects = Vec::new();
    for d in 0..model.dashboards.len() {
        let panels = &model.panels;
        let changed =
            model.dashboards[d].window_changed(&window, |i| panels.get(i).map(|p| p.spec.clone()));
        effects.extend(apply(model, changed).into_iter().filter(|e| matches!(e, Effect::Replan)));
    }
    effects.truncate(1);
    effects
}

fn apply(model: &mut Model, changed: Vec<(usize, crate::config::PanelSpec)>) -> Vec<Effect> {
    if changed.is_empty() {
        return vec![Effect::Redraw];
    }
    let queries_before = model.queries.len();
    for (i, spec) in changed {
        model.replace_panel(i, spec);
    }
    let mut effects = vec![Effect::Redraw];
    if model.queries.len() != queries_before {
        effects.push(Effect::Replan);
    }
    effects
}
