//! A panel given a new query (a dashboard variable was chosen): the panel gets query states of
//! its own, and queries nothing uses any more are no longer polled.

use super::{Model, QueryState};
use crate::config::PanelSpec;

impl Model {
    /// Which queries a panel (or its live twin) or an alert rule uses.
    pub fn queries_in_use(&self) -> Vec<bool> {
        let mut used = vec![false; self.queries.len()];
        let mark = |q: usize, used: &mut Vec<bool>| {
            if let Some(u) = used.get_mut(q) {
                *u = true;
            }
        };
        for p in &self.panels {
            mark(p.query, &mut used);
            for &c in &p.columns {
                mark(c, &mut used);
            }
            if let Some(live) = self.queries.get(p.query).and_then(|q| q.live) {
                mark(live, &mut used);
            }
        }
        for r in self.alerts.bound() {
            if let Some(q) = r.query {
                mark(q, &mut used);
            }
        }
        used
    }

    /// Gives panel `panel` the spec `spec`: a new query (and live twin, for charts) when its
    /// query changed, since the old one may be shared. The old query states, once nothing uses
    /// them, are emptied; the caller restarts the pollers ([`crate::msg::Effect::Replan`]).
    pub fn replace_panel(&mut self, panel: usize, spec: PanelSpec) {
        let Some(p) = self.panels.get(panel) else { return };
        let Some(old) = self.queries.get(p.query) else { return };
        let (source, interval, range) = (old.source, old.interval, old.range);
        if old.expr != spec.query.trim() {
            let expr = spec.query.trim().to_string();
            let mut fresh = QueryState::new(expr.clone(), source, interval, range);
            if range {
                self.queries.push(QueryState::new(expr, source, interval, false));
                fresh.live = Some(self.queries.len() - 1);
            }
            self.queries.push(fresh);
            self.panels[panel].query = self.queries.len() - 1;
        }
        // Columns keep their query while it is the same expression, else get one of their own.
        let mut columns = Vec::with_capacity(spec.columns.len());
        for (j, c) in spec.columns.iter().enumerate() {
            let expr = c.query.trim();
            let held = self.panels[panel].columns.get(j).copied();
            match held.filter(|&q| self.queries.get(q).is_some_and(|q| q.expr == expr)) {
                Some(q) => columns.push(q),
                None => {
                    self.queries.push(QueryState::new(expr.to_string(), source, interval, false));
                    columns.push(self.queries.len() - 1);
                }
            }
        }
        self.panels[panel].columns = columns;
        self.panels[panel].spec = spec;
        let used = self.queries_in_use();
        for (q, in_use) in self.queries.iter_mut().zip(used) {
            if !in_use && q.holds_series {
                // Keep the slot (late answers for it land here harmlessly), not its data.
                *q = QueryState {
                    holds_series: false,
                    ..QueryState::new(String::new(), q.source, q.interval, q.range)
                };
            }
        }
    }
}
