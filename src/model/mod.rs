//! The dashboard's whole state. Changed only by `update`; read by `render`.

mod query;
mod replan;
mod runs;
mod shown;
mod source;
mod tabs;
mod team;
mod ui;
mod window;

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};

pub use query::{DataStatus, QueryError, QueryState, SeriesBuf};
pub use runs::{Run, Runs, Watch, OUTPUT_LINES};
pub use shown::{PanelData, Shown};
pub use source::{Caveat, Health, SourceState};
pub use tabs::Tab;
pub use ui::{
    Confirmation, Find, Focus, Overlay, Pane, QueryOwner, Ui, VarPicker, Why, ACK_EXPIRIES,
};
pub use window::Window;

use crate::alert::{Acks, AlertBook, AlertList, AlertView, Event};
use crate::config::{Config, EnvKind, PanelSpec};
use crate::prom::QuerySpec;
use crate::runbook::Runbook;

/// One panel: its spec and the query it shows.
#[derive(Debug, Clone)]
pub struct Panel {
    pub spec: PanelSpec,
    pub query: usize,
    /// The queries of a table panel's extra columns, in the order of `spec.columns`.
    pub columns: Vec<usize>,
}

/// The environment badge.
#[derive(Debug, Clone)]
pub struct EnvInfo {
    pub name: String,
    pub kind: EnvKind,
    /// When the header says PEAK and actions with `peak_confirm` ask for more.
    pub peak: crate::peak::PeakHours,
}

/// Everything render needs and update changes.
#[derive(Debug, Clone)]
pub struct Model {
    /// Wall-clock time, set only from messages, so tests pin it.
    pub now: DateTime<Utc>,
    /// Offset the clock is shown in (the local zone at start-up; UTC in tests).
    pub utc_offset: FixedOffset,
    pub env: EnvInfo,
    pub read_only: bool,
    pub window: Window,
    pub sources: Vec<SourceState>,
    pub queries: Vec<QueryState>,
    pub panels: Vec<Panel>,
    pub ui: Ui,
    pub quit: bool,
    /// Alert rules (each with the live query it evaluates) and their per-series states.
    pub alerts: AlertBook,
    /// Who is on which problem: one acknowledgement per row of the alert list.
    pub acks: Acks,
    /// The alert list every widget reads: rebuilt by `update` after each change.
    pub alert_list: AlertList,
    /// Recent alert events, oldest first (from the history file at start, then live).
    pub recent: VecDeque<Event>,
    /// Who acknowledges and runs actions (`$SUDO_USER`, else `$USER`).
    pub user: String,
    /// Ring the bell on new firing alerts.
    pub bell: bool,
    pub last_bell: Option<DateTime<Utc>>,
    /// Runbooks loaded at start-up.
    pub runbooks: Vec<Runbook>,
    /// Action runs and their output.
    pub runs: Runs,
    /// A short message for the footer (refusals, results), with when it was set.
    pub flash: Option<(String, DateTime<Utc>)>,
    /// Prometheus's own alerts, Alertmanager's silences.
    pub pager: crate::pager::PagerState,
    /// Grafana dashboards on screen, with their variables as chosen.
    pub dashboards: Vec<crate::grafana::live::Live>,
}

/// What the alert list is built from, out of the model's parts (borrowed apart, so the
/// acknowledgements can be settled while they are read).
fn alert_inputs<'a>(
    book: &'a AlertBook,
    pager: &'a crate::pager::PagerState,
    filter: &'a str,
    now: DateTime<Utc>,
) -> crate::alert::list::Inputs<'a> {
    crate::alert::list::Inputs {
        book,
        prom: &pager.sources,
        prom_interval: pager.interval,
        alertmanager: pager.alertmanager.as_ref(),
        silencing: &pager.silencing,
        filter,
        now,
    }
}

/// How many recent events the model keeps for display.
pub const RECENT_EVENTS: usize = 500;

impl Model {
    /// Builds the initial state from a validated config. Identical queries (same source, same
    /// expression, same kind and interval) across panels become one query, fetched once.
    pub fn new(config: &Config, now: DateTime<Utc>) -> Self {
        let sources: Vec<SourceState> = config
            .sources
            .iter()
            .map(|s| SourceState {
                combine: s.combine_queries,
                ..SourceState::new(s.name.clone(), crate::sanitize::clean_owned(&s.url))
            })
            .collect();
        let mut queries: Vec<QueryState> = Vec::new();
        let mut index: HashMap<(usize, String, bool, Duration), usize> = HashMap::new();
        let panels = config
            .panels
            .iter()
            .map(|spec| {
                let source = spec
                    .source
                    .as_ref()
                    .and_then(|n| config.sources.iter().position(|s| &s.name == n))
                    .unwrap_or(0);
                let range = spec.kind.needs_range();
                let interval = spec.refresh.unwrap_or(config.refresh);
                let mut intern = |expr: &str, range: bool| {
                    let expr = expr.trim().to_string();
                    let key = (source, expr.clone(), range, interval);
                    *index.entry(key).or_insert_with(|| {
                        queries.push(QueryState::new(expr, source, interval, range));
                        queries.len() - 1
                    })
                };
                let query = intern(&spec.query, range);
                // A table's columns are latest values, like the table itself.
                let columns = spec.columns.iter().map(|c| intern(&c.query, false)).collect();
                Panel { spec: spec.clone(), query, columns }
            })
            .collect::<Vec<Panel>>();
        // Every range query gets a live twin: the same expression asked as an instant query
        // on the same interval (in the source's combined request). Its answer is the newest
        // sample, whatever window the charts show: what alert rules evaluate, and what panels
        // show as their current value.
        for i in 0..queries.len() {
            if !queries[i].range {
                continue;
            }
            let (source, expr, interval) =
                (queries[i].source, queries[i].expr.clone(), queries[i].interval);
            let key = (source, expr.clone(), false, interval);
            let live = *index.entry(key).or_insert_with(|| {
                queries.push(QueryState::new(expr, source, interval, false));
                queries.len() - 1
            });
            queries[i].live = Some(live);
        }
        let rules = config
            .alerts
            .iter()
            .map(|rule| {
                let query = match (&rule.panel, &rule.query) {
                    (Some(id), _) => panels
                        .iter()
                        .find(|p| &p.spec.id() == id)
                        .map(|p| queries[p.query].live.unwrap_or(p.query)),
                    (None, Some(expr)) => {
                        let source = rule
                            .source
                            .as_ref()
                            .and_then(|n| config.sources.iter().position(|s| &s.name == n))
                            .unwrap_or(0);
                        let expr = expr.trim().to_string();
                        let key = (source, expr.clone(), false, config.refresh);
                        Some(*index.entry(key).or_insert_with(|| {
                            let mut q = QueryState::new(expr, source, config.refresh, false);
                            q.holds_series = false; // no panel shows it
                            queries.push(q);
                            queries.len() - 1
                        }))
                    }
                    (None, None) => None,
                };
                let interval = query.and_then(|q| queries.get(q)).map(|q| q.interval);
                crate::alert::Rule::new(rule.clone(), query, interval.unwrap_or(config.refresh))
            })
            .collect();
        let mut model = Self {
            now,
            utc_offset: chrono::Offset::fix(&Utc),
            env: EnvInfo {
                name: config.environment.name.clone(),
                kind: config.environment.kind,
                peak: config.environment.peak_hours(),
            },
            read_only: config.environment.read_only,
            window: Window {
                range: config.range,
                offset: Duration::ZERO,
                max_points: 120,
                generation: 0,
            },
            sources,
            queries,
            panels,
            ui: Ui { width: 80, height: 24, ..Ui::default() },
            quit: false,
            alerts: AlertBook::with_rules(rules),
            acks: Acks::default(),
            alert_list: AlertList::default(),
            recent: VecDeque::new(),
            user: "unknown".into(),
            bell: config.bell,
            last_bell: None,
            runbooks: Vec::new(),
            runs: Runs::default(),
            flash: None,
            pager: crate::pager::PagerState::new(config),
            dashboards: Vec::new(),
        };
        model.rebuild_alerts();
        model
    }

    /// What the pollers should fetch: every query a panel or an alert rule uses.
    pub fn query_specs(&self) -> Vec<QuerySpec> {
        let used = self.queries_in_use();
        self.queries
            .iter()
            .enumerate()
            .filter(|(id, _)| used[*id])
            .map(|(id, q)| QuerySpec {
                id,
                source: q.source,
                expr: q.expr.clone(),
                range: q.range,
                interval: q.interval,
                incremental: true,
                combine: self.sources.get(q.source).is_some_and(|s| s.combine),
            })
            .collect()
    }

    /// Oldest time (Unix seconds) still inside the chart window.
    pub fn window_start(&self) -> f64 {
        let end = self.now.timestamp_millis() as f64 / 1000.0 - self.window.offset.as_secs_f64();
        end - self.window.range.as_secs_f64()
    }

    /// Panels matching the filter, as indexes into `panels`.
    pub fn visible_panels(&self) -> Vec<usize> {
        let f = self.ui.filter.to_lowercase();
        let on_tab = self.tab_panels().unwrap_or_else(|| (0..self.panels.len()).collect());
        on_tab
            .into_iter()
            .filter(|&i| f.is_empty() || self.panels[i].spec.title.to_lowercase().contains(&f))
            .collect()
    }

    /// Rebuilds the alert list from the rules, the sources' alerts, acknowledgements,
    /// silences and the filter; returns what settling acknowledgements produced (expired,
    /// outgrown). `update` calls it after every change of any of those.
    pub fn rebuild_alerts(&mut self) -> Vec<Event> {
        let inputs = alert_inputs(&self.alerts, &self.pager, &self.ui.filter, self.now);
        let (list, events) = AlertList::build(&inputs, &mut self.acks);
        self.alert_list = list;
        events
    }

    /// As time passes: says again whether the alert list is blind; returns whether that changed.
    pub fn refresh_blind(&mut self) -> bool {
        let inputs = alert_inputs(&self.alerts, &self.pager, &self.ui.filter, self.now);
        self.alert_list.refresh_blind(&inputs)
    }

    /// Alerts matching the filter, in display order (one row per problem, twins merged).
    pub fn visible_alerts(&self) -> Vec<AlertView> {
        self.alert_list.shown().cloned().collect()
    }

    /// Position of the selection among the listed alerts.
    pub fn selected_index(&self) -> usize {
        self.ui
            .alert_key
            .as_ref()
            .and_then(|k| self.alert_list.position(k))
            .unwrap_or(self.ui.alert)
            .min(self.alert_list.shown_len().saturating_sub(1))
    }

    /// The alert under the selection.
    pub fn selected_alert(&self) -> Option<&AlertView> {
        self.alert_list.shown_at(self.selected_index())
    }

    /// Moves the selection by `delta` rows and pins it to that alert.
    pub fn move_alert_selection(&mut self, delta: isize) {
        let n = self.alert_list.shown_len();
        if n == 0 {
            return;
        }
        let i = self.selected_index().saturating_add_signed(delta).min(n - 1);
        let key = self.alert_list.shown_at(i).map(|a| a.key.clone());
        if key != self.ui.alert_key && i != self.selected_index() {
            // Another alert: its runbook is what to read next.
            self.ui.pane = Pane::Runbook;
            self.ui.pane_scroll = 0;
        }
        self.ui.alert = i;
        self.ui.alert_key = key;
    }

    /// Runbooks for an alert: the one its rule names (by id, or by the last segment of a
    /// link), then any whose `alerts`/`matchers` apply.
    pub fn runbooks_for(&self, alert: &AlertView) -> Vec<&Runbook> {
        let mut out: Vec<&Runbook> = Vec::new();
        if let Some(id) = alert.runbook.as_deref().and_then(crate::runbook::reference::id_of) {
            out.extend(self.runbooks.iter().filter(|r| r.id == id));
        }
        for rb in &self.runbooks {
            if !out.iter().any(|o| o.id == rb.id) && rb.applies_to(&alert.rule, &alert.labels) {
                out.push(rb);
            }
        }
        out
    }

    /// Remembers events for the history view.
    pub fn remember(&mut self, events: impl IntoIterator<Item = Event>) {
        self.recent.extend(events);
        while self.recent.len() > RECENT_EVENTS {
            self.recent.pop_front();
        }
    }

    /// The panel under the selection, as an index into `panels`.
    pub fn selected_panel(&self) -> Option<usize> {
        self.visible_panels().get(self.ui.panel).copied()
    }
}
