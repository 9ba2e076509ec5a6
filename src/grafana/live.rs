//! A dashboard on screen: its variables as chosen, and which of the model's panels it made, so
//! choosing a value gives the affected panels their new queries.

use std::time::Duration;

use super::vars::{substitute, Builtins, Place, Selection, Source, Variable};
use super::Dashboard;
use crate::config::PanelSpec;
use crate::model::Window;

/// An imported dashboard and the model panels it made.
#[derive(Debug, Clone)]
pub struct Live {
    pub dashboard: Dashboard,
    pub builtins: Builtins,
    /// Indexes into the model's panels, in the order [`Dashboard::specs`] makes them.
    pub panels: Vec<usize>,
    /// Counts choices, so variables resolved for an older choice are not applied.
    pub generation: u64,
    /// The dashboard's poll interval, from which `$__interval` follows the chart window.
    pub refresh: Duration,
}

impl Live {
    /// A dashboard whose panels are the model's `panels`, polled every `refresh`, with the
    /// built-ins of `window`.
    pub fn new(
        dashboard: Dashboard,
        panels: Vec<usize>,
        refresh: Duration,
        window: &Window,
    ) -> Self {
        let builtins = Builtins { interval: window.step(refresh), range: window.range };
        Live { dashboard, builtins, panels, generation: 0, refresh }
    }

    /// The chart window changed (range, width): the built-ins follow it, and the panels whose
    /// spec changes with them are returned, as [`Live::choose`] does.
    pub fn window_changed(
        &mut self,
        window: &Window,
        current: impl Fn(usize) -> Option<PanelSpec>,
    ) -> Vec<(usize, PanelSpec)> {
        let builtins = Builtins { interval: window.step(self.refresh), range: window.range };
        if builtins == self.builtins {
            return Vec::new();
        }
        self.builtins = builtins;
        self.respec(current)
    }

    /// The dashboard's variables a person can choose from (datasource variables stand for the
    /// configured source and constants are constant).
    pub fn choosable(&self) -> Vec<usize> {
        self.dashboard
            .vars
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.options.is_empty() && v.source != Source::Datasource)
            .map(|(i, _)| i)
            .collect()
    }

    pub fn var(&self, i: usize) -> Option<&Variable> {
        self.dashboard.vars.get(i)
    }

    /// Sets variable `var` to `selection` and returns the panels whose spec changed (model
    /// panel index, new spec). Ids stay those the panels have (`current`), so nothing that
    /// names a panel loses it.
    pub fn choose(
        &mut self,
        var: usize,
        selection: Selection,
        current: impl Fn(usize) -> Option<PanelSpec>,
    ) -> Vec<(usize, PanelSpec)> {
        let Some(v) = self.dashboard.vars.get_mut(var) else { return Vec::new() };
        if v.current == selection {
            return Vec::new();
        }
        v.current = selection;
        self.generation += 1;
        self.respec(current)
    }

    /// Whether a query variable after `var` names it: choosing `var` changes its options.
    pub fn has_dependents(&self, var: usize) -> bool {
        let Some(chosen) = self.dashboard.vars.get(var) else { return false };
        // A query names the variable when substituting a marker value changes it.
        let mut marker = chosen.clone();
        marker.current = Selection::Values(vec!["\u{0}".into()]);
        let marker = [marker];
        self.dashboard.vars.iter().skip(var + 1).any(|v| match &v.source {
            Source::Query(q) => substitute(q, &marker, &self.builtins, Place::Text) != *q,
            _ => false,
        })
    }

    /// Takes variables resolved again after choice `generation` (their options and settled
    /// choices); stale ones (a newer choice was made since) are ignored. Returns the panels
    /// whose spec changed, as [`Live::choose`] does.
    pub fn resolved(
        &mut self,
        generation: u64,
        vars: Vec<Variable>,
        current: impl Fn(usize) -> Option<PanelSpec>,
    ) -> Vec<(usize, PanelSpec)> {
        if generation != self.generation || vars.len() != self.dashboard.vars.len() {
            return Vec::new();
        }
        self.dashboard.vars = vars;
        self.respec(current)
    }

    fn respec(&self, current: impl Fn(usize) -> Option<PanelSpec>) -> Vec<(usize, PanelSpec)> {
        let fresh = self.dashboard.specs(&self.builtins, &mut std::collections::HashSet::new());
        self.panels
            .iter()
            .zip(fresh)
            .filter_map(|(&i, mut spec)| {
                let old = current(i)?;
                spec.id = old.id.clone();
                let changed =
                    spec.query != old.query || spec.title != old.title || spec.legend != old.legend;
                changed.then_some((i, spec))
            })
            .collect()
    }
}
