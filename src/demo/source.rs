//! The simulated metrics store: one snapshot per second (with calm history before the start),
//! answering the demo dashboard's PromQL expressions.

use std::collections::VecDeque;

use super::scenario::{Scenario, Snapshot, MEAN_SECS, STATEMENTS};
use crate::prom::Labels;

/// Seconds of history kept (and pre-filled before the demo starts).
const HISTORY_SECS: usize = 3 * 3600;

/// A query answer: labels and value per series.
pub type Rows = Vec<(Labels, f64)>;

/// The simulated store.
pub struct SimSource {
    scenario: Scenario,
    history: VecDeque<Snapshot>,
    last: f64,
}

impl SimSource {
    /// A store whose meltdown starts at Unix time `start` (seconds), with calm history before it.
    pub fn new(start: f64) -> Self {
        let start = start.floor();
        let mut scenario = Scenario::new(start);
        let mut history = VecDeque::with_capacity(HISTORY_SECS + 1);
        let first = start - HISTORY_SECS as f64 / 4.0;
        let mut t = first;
        while t <= start {
            history.push_back(scenario.step(t));
            t += 1.0;
        }
        Self { scenario, history, last: start }
    }

    /// Steps the simulation up to `now`.
    pub fn advance_to(&mut self, now: f64) {
        let now = now.floor();
        // After a long pause (laptop asleep) don't replay hours second by second.
        if now - self.last > HISTORY_SECS as f64 {
            self.last = now - HISTORY_SECS as f64;
        }
        while self.last < now {
            self.last += 1.0;
            let snap = self.scenario.step(self.last);
            self.history.push_back(snap);
            if self.history.len() > HISTORY_SECS {
                self.history.pop_front();
            }
        }
    }

    /// The snapshot in force at time `t`: the newest one at or before it.
    pub fn at(&self, t: f64) -> Option<&Snapshot> {
        let first = self.history.front()?.t;
        if t < first {
            return None;
        }
        let idx = ((t - first).floor() as usize).min(self.history.len() - 1);
        self.history.get(idx)
    }

    pub fn scenario_mut(&mut self) -> &mut Scenario {
        &mut self.scenario
    }

    /// Answers `expr` at time `t`; `None` when the simulator does not know the expression.
    pub fn eval(&self, expr: &str, t: f64) -> Option<Rows> {
        let f = evaluator(expr)?;
        Some(self.at(t).map(f).unwrap_or_default())
    }
}

type Eval = fn(&Snapshot) -> Rows;

fn one(v: f64) -> Rows {
    vec![(Labels::new(), v)]
}

fn labelled(pairs: &[(&str, &str)], v: f64) -> (Labels, f64) {
    (pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), v)
}

/// Known expressions, compared with whitespace removed.
const QUERIES: &[(&str, Eval)] = &[
    (
        r#"100 * sum by (instance) (rate(namedprocess_namegroup_cpu_seconds_total{groupname="postgres"}[1m])) / on (instance) group_left count by (instance) (node_cpu_seconds_total{mode="idle"})"#,
        |s| {
            vec![
                labelled(&[("instance", "pg-main-1")], s.cpu_primary),
                labelled(&[("instance", "pg-replica-1")], s.cpu_replica),
            ]
        },
    ),
    (r#"sum by (state) (pg_stat_activity_count{datname="shop"})"#, |s| {
        vec![
            labelled(&[("state", "active")], s.active),
            labelled(&[("state", "idle")], s.idle),
            labelled(&[("state", "idle in transaction")], s.idle_in_tx),
        ]
    }),
    (r#"sum(rate(http_requests_total{job="shop-api",code=~"5.."}[1m]))"#, |s| one(s.http_5xx)),
    (r#"sum(rate(pg_stat_database_xact_commit{datname="shop"}[1m]))"#, |s| one(s.tps)),
    (
        r#"100 * sum(rate(pg_stat_database_xact_rollback{datname="shop"}[1m])) / sum(rate(pg_stat_database_xact_commit{datname="shop"}[1m]) + rate(pg_stat_database_xact_rollback{datname="shop"}[1m]))"#,
        |s| one(s.rollback_pct),
    ),
    (r#"sum(pg_stat_activity_count{datname="shop",state="idle in transaction"})"#, |s| {
        one(s.idle_in_tx)
    }),
    (
        r#"topk(5, sum by (query) (rate(pg_stat_statements_total_time_seconds{datname="shop"}[1m])))"#,
        |s| {
            STATEMENTS.iter().zip(s.statements).map(|(q, v)| labelled(&[("query", q)], v)).collect()
        },
    ),
    (r#"sum by (query) (rate(pg_stat_statements_calls{datname="shop"}[1m]))"#, |s| {
        let calls = s.statements.iter().zip(MEAN_SECS).map(|(t, mean)| t / mean);
        STATEMENTS.iter().zip(calls).map(|(q, v)| labelled(&[("query", q)], v)).collect()
    }),
    (
        r#"sum by (query) (rate(pg_stat_statements_total_time_seconds{datname="shop"}[1m])) / sum by (query) (rate(pg_stat_statements_calls{datname="shop"}[1m]))"#,
        |_| STATEMENTS.iter().zip(MEAN_SECS).map(|(q, v)| labelled(&[("query", q)], v)).collect(),
    ),
    (r#"max(pg_stat_activity_max_tx_duration{datname="shop"})"#, |s| one(s.longest_query_secs)),
    (r#"sum(pg_stat_activity_count{datname="shop"})"#, |s| one(s.connections())),
    (r#"sum(rate(pg_stat_database_deadlocks{datname="shop"}[1m]))"#, |s| one(s.deadlocks)),
    (r#"pg_up"#, |_| vec![labelled(&[("instance", "pg-main-1")], 1.0)]),
];

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn evaluator(expr: &str) -> Option<Eval> {
    let want = squash(expr);
    QUERIES.iter().find(|(q, _)| squash(q) == want).map(|(_, f)| *f)
}

/// Whether the simulator answers `expr` (used by tests and `warroom check --demo`).
pub fn knows(expr: &str) -> bool {
    evaluator(expr).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_before_start_and_stepping() {
        let mut s = SimSource::new(1000.0);
        assert!(s.at(999.0).is_some(), "calm history exists");
        s.advance_to(1060.0);
        let snap = s.at(1060.0).unwrap();
        assert_eq!(snap.t, 1060.0);
        let rows =
            s.eval("sum by (state)(pg_stat_activity_count{datname=\"shop\"})", 1060.0).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(s.eval("up", 1060.0).is_none());
    }

    #[test]
    fn demo_dashboard_queries_are_all_answered() {
        let cfg: crate::config::Config = toml::from_str(super::super::DASHBOARD).unwrap();
        for p in &cfg.panels {
            assert!(knows(&p.query), "simulator does not answer panel {:?}", p.title);
            for c in &p.columns {
                assert!(
                    knows(&c.query),
                    "simulator does not answer {:?} of {:?}",
                    c.title,
                    p.title
                );
            }
        }
    }
}
