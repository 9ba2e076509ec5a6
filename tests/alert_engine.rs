//! Behaviour of the alert engine, table-driven, with a pinned clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use warroom::alert::list::Inputs;
use warroom::alert::{
    Acks, AlertBook, AlertKey, AlertList, AlertState, AlertView, Event, HistoryLog, Observation,
    RuleSpec, Scope, Severity, UnackReason,
};
use warroom::prom::{Labels, Point, Sample};

/// The alert domain without the rest of the model: the rules' book, the acknowledgements, and
/// the list built from them after every change, as `update` does.
struct Desk {
    book: AlertBook,
    acks: Acks,
    list: AlertList,
}

impl Desk {
    fn new(rules: Vec<RuleSpec>) -> Self {
        Desk { book: AlertBook::new(rules), acks: Acks::default(), list: AlertList::default() }
    }

    fn with_resolved_retention(mut self, retention: Duration) -> Self {
        self.book = self.book.with_resolved_retention(retention);
        self
    }

    fn rebuild(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let silencing = std::collections::BTreeMap::new();
        let inputs = Inputs {
            book: &self.book,
            prom: &[],
            prom_interval: Duration::from_secs(1),
            alertmanager: None,
            silencing: &silencing,
            filter: "",
            now,
        };
        let (list, events) = AlertList::build(&inputs, &mut self.acks);
        self.list = list;
        events
    }

    fn observe(&mut self, rule: usize, obs: Observation<'_>, now: DateTime<Utc>) -> Vec<Event> {
        let mut events = self.book.observe(rule, obs, now);
        events.extend(self.rebuild(now));
        events
    }

    fn tick(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let mut events = self.book.tick(now);
        events.extend(self.rebuild(now));
        events
    }

    fn ack(
        &mut self,
        key: &AlertKey,
        note: Option<String>,
        until: Option<DateTime<Utc>>,
        by: String,
        now: DateTime<Utc>,
    ) -> Option<Event> {
        let row = self.list.row_of(key)?.clone();
        let event = self.acks.ack(&row, note, until, &by, now);
        self.rebuild(now);
        event
    }

    fn unack(&mut self, key: &AlertKey, by: String, now: DateTime<Utc>) -> Option<Event> {
        let row = self.list.row_of(key)?.clone();
        let event = self.acks.unack(&row, &by, now);
        self.rebuild(now);
        event
    }

    fn alerts(&self) -> Vec<AlertView> {
        self.list.rows().to_vec()
    }

    fn firing_count(&self) -> usize {
        self.list.firing
    }

    fn unacked_firing_count(&self) -> usize {
        self.list.unhandled
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn rule(extra: &str) -> RuleSpec {
    let text = format!("name = \"cpu\"\nquery = \"q\"\n{extra}");
    let rule: RuleSpec = toml::from_str(&text).unwrap();
    assert!(rule.validate().is_empty(), "{text}: {:?}", rule.validate());
    rule
}

fn labels(instance: &str) -> Labels {
    [("instance".to_string(), instance.to_string())].into()
}

fn sample(instance: &str, v: f64) -> Sample {
    Sample { labels: labels(instance), point: Point { t: 0.0, v } }
}

fn series_key(instance: &str) -> AlertKey {
    AlertKey { rule: "cpu".into(), scope: Scope::Series, labels: labels(instance).into() }
}

/// One evaluation (or tick) in a scenario.
#[derive(Clone, Copy)]
enum Obs {
    /// `db-1` has this value.
    V(f64),
    /// `db-1` and `db-2` have these values.
    Two(f64, f64),
    /// Only `db-2`, with this value.
    Only2(f64),
    /// An empty answer.
    Empty,
    /// The query failed.
    Err,
    /// No evaluation, only time passing.
    Tick,
}

fn feed(book: &mut Desk, obs: Obs, now: DateTime<Utc>) -> Vec<Event> {
    let samples = match obs {
        Obs::V(v) => vec![sample("db-1", v)],
        Obs::Two(a, b) => vec![sample("db-1", a), sample("db-2", b)],
        Obs::Only2(b) => vec![sample("db-2", b)],
        Obs::Empty => vec![],
        Obs::Err => return book.observe(0, Observation::Error("execution: too many samples"), now),
        Obs::Tick => return book.tick(now),
    };
    book.observe(0, Observation::Samples(&samples), now)
}

/// The listing as text: `db-1 firing/warning; query no_data/critical`, in display order.
fn listing(book: &Desk) -> String {
    book.alerts()
        .iter()
        .map(|a| {
            let who = match a.key.scope {
                Scope::Query | Scope::Prometheus => "query".to_string(),
                Scope::Series => a.key.labels["instance"].clone(),
            };
            let state = serde_json::to_value(a.state).unwrap();
            let sev = serde_json::to_value(a.severity).unwrap();
            let acked = if a.ack.is_some() { " acked" } else { "" };
            format!("{who} {}/{}{acked}", state.as_str().unwrap(), sev.as_str().unwrap())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `(seconds, observation, expected listing after it)`.
type Step = (i64, Obs, &'static str);
/// `(name, rule fields, steps)`.
type Case = (&'static str, &'static str, &'static [Step]);

/// Runs scenarios: a rule, then its steps.
fn run(cases: &[Case]) {
    for (name, extra, steps) in cases {
        let mut book = Desk::new(vec![rule(extra)]);
        for (secs, obs, want) in steps.iter() {
            feed(&mut book, *obs, t(*secs));
            assert_eq!(listing(&book), *want, "case {name:?} at t+{secs}s");
        }
    }
}

use Obs::*;

#[test]
fn thresholds_for_and_keep_firing_for() {
    run(&[
        (
            "for waits, then fires, then resolves",
            "warning = 80\nfor = \"60s\"",
            &[
                (0, V(90.0), "db-1 pending/warning"),
                (30, V(90.0), "db-1 pending/warning"),
                (59, V(90.0), "db-1 pending/warning"),
                (60, V(90.0), "db-1 firing/warning"),
                (90, V(80.0), "db-1 resolved/warning"),
            ],
        ),
        (
            "for = 0 fires on the first evaluation",
            "warning = 80",
            &[
                (0, V(50.0), ""),
                (10, V(81.0), "db-1 firing/warning"),
                (20, V(79.0), "db-1 resolved/warning"),
                (30, V(81.0), "db-1 firing/warning"),
            ],
        ),
        (
            "flapping during pending resets to inactive",
            "warning = 80\nfor = \"60s\"",
            &[
                (0, V(90.0), "db-1 pending/warning"),
                (20, V(79.0), ""),
                (40, V(90.0), "db-1 pending/warning"),
                (60, V(70.0), ""),
                (80, V(90.0), "db-1 pending/warning"),
                (130, V(90.0), "db-1 pending/warning"),
                (140, V(90.0), "db-1 firing/warning"),
            ],
        ),
        (
            "keep_firing_for holds a cleared alert, counted from the first clear evaluation",
            "warning = 80\nkeep_firing_for = \"60s\"",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, V(50.0), "db-1 firing/warning"),
                (30, V(90.0), "db-1 firing/warning"),
                (50, V(50.0), "db-1 firing/warning"),
                (100, V(50.0), "db-1 firing/warning"),
                (110, V(50.0), "db-1 resolved/warning"),
            ],
        ),
        (
            "hysteresis: oscillating between resolve and threshold stays firing",
            "warning = 80\nresolve = 70",
            &[
                (0, V(85.0), "db-1 firing/warning"),
                (10, V(75.0), "db-1 firing/warning"),
                (20, V(82.0), "db-1 firing/warning"),
                (30, V(71.0), "db-1 firing/warning"),
                (40, V(79.9), "db-1 firing/warning"),
                (50, V(70.0), "db-1 resolved/warning"),
                // Once resolved, only the firing threshold starts a new alert.
                (60, V(75.0), "db-1 resolved/warning"),
                (70, V(80.5), "db-1 firing/warning"),
            ],
        ),
        (
            "direction below, with escalation and hysteresis",
            "direction = \"below\"\nwarning = 10\ncritical = 5\nresolve = 12",
            &[
                (0, V(10.0), ""),
                (10, V(8.0), "db-1 firing/warning"),
                (20, V(4.0), "db-1 firing/critical"),
                (30, V(11.0), "db-1 firing/critical"),
                (40, V(12.0), "db-1 resolved/critical"),
            ],
        ),
        (
            "warning escalates to critical once critical held for `for`",
            "warning = 80\ncritical = 90\nfor = \"30s\"",
            &[
                (0, V(85.0), "db-1 pending/warning"),
                (30, V(95.0), "db-1 firing/warning"),
                (50, V(95.0), "db-1 firing/warning"),
                (60, V(95.0), "db-1 firing/critical"),
                (70, V(85.0), "db-1 firing/critical"),
                (80, V(50.0), "db-1 resolved/critical"),
                (90, V(95.0), "db-1 pending/critical"),
            ],
        ),
        (
            "a series vanishing resolves it while the others remain",
            "warning = 80",
            &[
                (0, Two(90.0, 90.0), "db-1 firing/warning; db-2 firing/warning"),
                (10, Only2(90.0), "db-2 firing/warning; db-1 resolved/warning"),
                (20, Two(90.0, 50.0), "db-1 firing/warning; db-2 resolved/warning"),
            ],
        ),
        (
            "a vanished series goes through keep_firing_for too",
            "warning = 80\nkeep_firing_for = \"30s\"",
            &[
                (0, Two(90.0, 90.0), "db-1 firing/warning; db-2 firing/warning"),
                (10, Only2(90.0), "db-1 firing/warning; db-2 firing/warning"),
                (40, Only2(90.0), "db-2 firing/warning; db-1 resolved/warning"),
            ],
        ),
        (
            "resolved alerts stay listed for the retention (15 min), then are forgotten",
            "warning = 80",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, V(50.0), "db-1 resolved/warning"),
                (10 + 899, V(50.0), "db-1 resolved/warning"),
                (10 + 900, Tick, ""),
            ],
        ),
    ]);
}

#[test]
fn no_data_and_errors_are_never_ok() {
    run(&[
        (
            "no data, alert: the query alert goes through `for`; series keep their state",
            "warning = 80\ncritical = 90\nfor = \"30s\"",
            &[
                (0, V(85.0), "db-1 pending/warning"),
                (30, V(85.0), "db-1 firing/warning"),
                (40, Empty, "db-1 firing/warning; query pending/critical"),
                (69, Empty, "db-1 firing/warning; query pending/critical"),
                (70, Empty, "db-1 firing/warning; query no_data/critical"),
                (80, V(85.0), "db-1 firing/warning; query resolved/critical"),
            ],
        ),
        (
            "no data, alert, never any data: fires as no data",
            "warning = 80",
            &[(0, Empty, "query no_data/warning"), (10, V(50.0), "query resolved/warning")],
        ),
        (
            "no data, data returns during the pending period: back to inactive",
            "warning = 80\nfor = \"60s\"",
            &[(0, Empty, "query pending/warning"), (30, V(50.0), "")],
        ),
        (
            "no data, keep: nothing changes",
            "warning = 80\nno_data = \"keep\"",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, Empty, "db-1 firing/warning"),
                (3600, Empty, "db-1 firing/warning"),
                (3610, V(50.0), "db-1 resolved/warning"),
            ],
        ),
        (
            "no data, ok: counts as false",
            "warning = 80\nno_data = \"ok\"",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, Empty, "db-1 resolved/warning"),
                (20, Empty, "db-1 resolved/warning"),
            ],
        ),
        (
            "error, alert, with a pending period",
            "warning = 80\nfor = \"20s\"",
            &[
                (0, Err, "query pending/warning"),
                (10, Err, "query pending/warning"),
                (20, Err, "query error/warning"),
                (30, Empty, "query no_data/warning"),
                (40, V(50.0), "query resolved/warning"),
            ],
        ),
        (
            "error, alert, while a series fires: both shown",
            "warning = 80",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, Err, "db-1 firing/warning; query error/warning"),
            ],
        ),
        (
            "error, keep: nothing changes",
            "warning = 80\non_error = \"keep\"",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, Err, "db-1 firing/warning"),
                (20, Err, "db-1 firing/warning"),
            ],
        ),
        (
            "error, ok: counts as false",
            "warning = 80\non_error = \"ok\"",
            &[
                (0, V(90.0), "db-1 firing/warning"),
                (10, Err, "db-1 resolved/warning"),
                (20, Empty, "query no_data/warning; db-1 resolved/warning"),
            ],
        ),
        (
            "NaN is no data for that series, not a value below the threshold",
            "direction = \"below\"\nwarning = 10",
            &[
                (0, Two(5.0, 50.0), "db-1 firing/warning"),
                (10, Two(f64::NAN, 50.0), "db-1 no_data/warning"),
                (20, Two(f64::NAN, f64::NAN), "db-1 no_data/warning; db-2 no_data/warning"),
                (30, Two(50.0, 50.0), "db-1 resolved/warning; db-2 resolved/warning"),
            ],
        ),
        (
            "NaN with no_data = keep leaves the series alone",
            "warning = 80\nno_data = \"keep\"",
            &[(0, V(90.0), "db-1 firing/warning"), (10, V(f64::NAN), "db-1 firing/warning")],
        ),
        (
            "NaN with no_data = ok clears the series",
            "warning = 80\nno_data = \"ok\"",
            &[(0, V(90.0), "db-1 firing/warning"), (10, V(f64::NAN), "db-1 resolved/warning")],
        ),
        (
            "back from no data at a warning value: severity follows the value",
            "warning = 80\ncritical = 90",
            &[(0, V(f64::NAN), "db-1 no_data/critical"), (10, V(85.0), "db-1 firing/warning")],
        ),
    ]);
}

#[test]
fn events_describe_transitions() {
    let mut book = Desk::new(vec![rule(
        "warning = 80\ncritical = 90\nsummary = \"DB CPU {{ value }}% on {{ labels.instance }}\"\nlabels = { team = \"dba\" }",
    )]);
    assert_eq!(feed(&mut book, V(50.0), t(0)), vec![]);
    let events = feed(&mut book, V(85.0), t(10));
    let mut want_labels = labels("db-1");
    want_labels.insert("team".into(), "dba".into());
    assert_eq!(
        events,
        vec![Event::Transition {
            at: t(10),
            rule: "cpu".into(),
            scope: Scope::Series,
            labels: want_labels.clone(),
            from: AlertState::Inactive,
            to: AlertState::Firing,
            severity: Severity::Warning,
            value: 85.0,
            summary: "DB CPU 85% on db-1".into(),
        }]
    );
    let events = feed(&mut book, V(95.0), t(20));
    assert_eq!(
        events,
        vec![Event::Escalation {
            at: t(20),
            rule: "cpu".into(),
            scope: Scope::Series,
            labels: want_labels,
            from: Severity::Warning,
            to: Severity::Critical,
            value: 95.0,
            summary: "DB CPU 95% on db-1".into(),
        }]
    );
    assert_eq!(feed(&mut book, V(96.0), t(30)), vec![]);
    let view = &book.alerts()[0];
    assert_eq!(&*view.summary, "DB CPU 96% on db-1");
    assert_eq!(view.value, 96.0);
    assert_eq!(view.value_at, Some(t(30)));
    assert_eq!(view.since, t(10));
    assert_eq!(view.labels["team"], "dba");
    assert_eq!(book.firing_count(), 1);

    let events = feed(&mut book, Err, t(40));
    let [Event::Transition { scope, to, summary, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!((*scope, *to), (Scope::Query, AlertState::Error));
    assert_eq!(summary, "query failed for cpu: execution: too many samples");
    assert_eq!(book.firing_count(), 2);
}

#[test]
fn acknowledgements() {
    let mut book = Desk::new(vec![rule("warning = 80\ncritical = 90")]);
    feed(&mut book, V(85.0), t(0));
    let key = series_key("db-1");

    // Unknown alerts and past expiries are refused.
    assert!(book.ack(&series_key("db-9"), None, None, "ana".into(), t(1)).is_none());
    assert!(book.ack(&key, None, Some(t(1)), "ana".into(), t(1)).is_none());

    // Default: until resolved. The alert stays listed, after un-acked ones.
    let ev = book.ack(&key, Some("on it\u{1b}[2J".into()), None, "ana".into(), t(5)).unwrap();
    assert_eq!(
        ev,
        Event::Ack {
            at: t(5),
            rule: "cpu".into(),
            scope: Scope::Series,
            labels: labels("db-1"),
            by: "ana".into(),
            note: Some("on it\\x1b[2J".into()),
            until: None,
            silence: None,
        }
    );
    assert_eq!(listing(&book), "db-1 firing/warning acked");
    assert_eq!(book.unacked_firing_count(), 0);
    assert!(book.tick(t(10_000)).is_empty());
    feed(&mut book, V(85.0), t(10_010));
    assert_eq!(listing(&book), "db-1 firing/warning acked");

    // Resolving clears it; firing again is un-acked.
    feed(&mut book, V(50.0), t(10_020));
    assert_eq!(listing(&book), "db-1 resolved/warning");
    assert!(book.ack(&key, None, None, "ana".into(), t(10_021)).is_none());
    feed(&mut book, V(85.0), t(10_030));
    assert_eq!(listing(&book), "db-1 firing/warning");

    // Expiry re-alerts.
    book.ack(&key, None, Some(t(10_090)), "bo".into(), t(10_030)).unwrap();
    assert!(book.tick(t(10_089)).is_empty());
    assert_eq!(
        book.tick(t(10_090)),
        vec![Event::Unack {
            at: t(10_090),
            rule: "cpu".into(),
            scope: Scope::Series,
            labels: labels("db-1"),
            by: "bo".into(),
            reason: UnackReason::Expired,
        }]
    );
    assert_eq!(listing(&book), "db-1 firing/warning");
    assert_eq!(book.unacked_firing_count(), 1);

    // Escalation to critical re-alerts.
    book.ack(&key, None, None, "cy".into(), t(10_100)).unwrap();
    let events = feed(&mut book, V(95.0), t(10_110));
    assert!(matches!(events[0], Event::Escalation { .. }), "{events:?}");
    assert!(
        matches!(
            &events[1],
            Event::Unack { by, reason: UnackReason::Escalated, .. } if by == "cy"
        ),
        "{events:?}"
    );
    assert_eq!(listing(&book), "db-1 firing/critical");

    // An ack given at critical holds; withdrawing it is an event.
    book.ack(&key, None, None, "cy".into(), t(10_120)).unwrap();
    assert!(feed(&mut book, V(99.0), t(10_130)).is_empty());
    assert_eq!(listing(&book), "db-1 firing/critical acked");
    let ev = book.unack(&key, "dee".into(), t(10_140)).unwrap();
    assert!(matches!(ev, Event::Unack { reason: UnackReason::Withdrawn, .. }));
    assert!(book.unack(&key, "dee".into(), t(10_141)).is_none());
}

#[test]
fn an_expiry_is_noticed_by_observe_too() {
    let mut book = Desk::new(vec![rule("warning = 80")]);
    feed(&mut book, V(85.0), t(0));
    book.ack(&series_key("db-1"), None, Some(t(30)), "ana".into(), t(0)).unwrap();
    let events = feed(&mut book, V(85.0), t(30));
    assert!(
        matches!(&events[..], [Event::Unack { reason: UnackReason::Expired, .. }]),
        "{events:?}"
    );
}

#[test]
fn pending_alerts_can_be_acked_and_escalating_on_firing_re_alerts() {
    let mut book = Desk::new(vec![rule("warning = 80\ncritical = 90\nfor = \"30s\"")]);
    feed(&mut book, V(85.0), t(0));
    book.ack(&series_key("db-1"), None, None, "ana".into(), t(1)).unwrap();
    feed(&mut book, V(95.0), t(10));
    assert_eq!(listing(&book), "db-1 pending/critical");
    assert!(book.alerts()[0].ack.is_none());
}

#[test]
fn display_order() {
    // Rule 0 is warning-only, rule 1 has a critical threshold, rule 2 has a pending period.
    let mk = |name: &str, extra: &str| {
        toml::from_str::<RuleSpec>(&format!("name = \"{name}\"\nquery = \"q\"\n{extra}")).unwrap()
    };
    let mut book = Desk::new(vec![
        mk("warn", "warning = 80"),
        mk("crit", "warning = 80\ncritical = 90"),
        mk("slow", "warning = 80\nfor = \"1h\""),
        mk("gone", "warning = 80"),
    ]);
    let obs = |book: &mut Desk, rule: usize, samples: &[Sample], now| {
        book.observe(rule, Observation::Samples(samples), now);
    };
    obs(&mut book, 3, &[sample("a", 90.0)], t(0));
    obs(&mut book, 3, &[sample("a", 10.0)], t(1));
    obs(&mut book, 0, &[sample("b", 85.0), sample("a", 85.0)], t(2));
    obs(&mut book, 1, &[sample("a", 95.0), sample("b", 95.0)], t(3));
    obs(&mut book, 2, &[sample("a", 95.0)], t(4));
    book.observe(0, Observation::Samples(&[]), t(5)); // rule 0: no data; series kept
    obs(&mut book, 3, &[sample("b", 90.0)], t(6));
    obs(&mut book, 3, &[sample("b", 10.0)], t(7)); // resolved later than gone/a
    book.ack(
        &AlertKey { rule: "crit".into(), scope: Scope::Series, labels: labels("a").into() },
        None,
        None,
        "ana".into(),
        t(8),
    )
    .unwrap();
    let order: Vec<String> = book
        .alerts()
        .iter()
        .map(|a| {
            let who = a.key.labels.get("instance").map_or("query", |s| s.as_str());
            let acked = if a.ack.is_some() { " acked" } else { "" };
            format!("{} {who} {}{acked}", a.rule, a.state.label())
        })
        .collect();
    assert_eq!(
        order,
        vec![
            "crit b FIRING",
            "crit a FIRING acked",
            "warn a FIRING",
            "warn b FIRING",
            "warn query NO DATA",
            "slow a PENDING",
            "gone b RESOLVED",
            "gone a RESOLVED",
        ]
    );
    assert_eq!(book.firing_count(), 5);
    assert_eq!(book.unacked_firing_count(), 4);
}

#[test]
fn robustness() {
    let mut book = Desk::new(vec![rule("warning = 80")]);
    // An unknown rule index is ignored.
    assert!(book.observe(7, Observation::Samples(&[sample("a", 99.0)]), t(0)).is_empty());
    // A series repeated in one answer counts once (the first).
    let events =
        book.observe(0, Observation::Samples(&[sample("a", 99.0), sample("a", 1.0)]), t(0));
    assert_eq!(events.len(), 1);
    assert_eq!(listing(&book), "a firing/warning");
    // Infinity is a value.
    book.observe(0, Observation::Samples(&[sample("a", f64::INFINITY)]), t(1));
    assert_eq!(&*book.alerts()[0].summary, "cpu is +Inf");
    // A retention can be set.
    let mut book =
        Desk::new(vec![rule("warning = 80")]).with_resolved_retention(Duration::from_secs(60));
    feed(&mut book, V(90.0), t(0));
    feed(&mut book, V(50.0), t(10));
    feed(&mut book, V(50.0), t(69));
    assert_eq!(listing(&book), "db-1 resolved/warning");
    feed(&mut book, V(50.0), t(70));
    assert_eq!(listing(&book), "");
}

#[test]
fn history_round_trip_with_torn_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/state/history.jsonl");

    // Events from a real scenario, including NaN values (no data).
    let mut book = Desk::new(vec![rule("warning = 80")]);
    let mut events = feed(&mut book, V(90.0), t(0));
    events.extend(book.ack(
        &series_key("db-1"),
        Some("looking".into()),
        Some(t(500)),
        "ana".into(),
        t(5),
    ));
    events.extend(feed(&mut book, Empty, t(10)));
    events.extend(feed(&mut book, V(50.0), t(20)));
    assert_eq!(events.len(), 5, "{events:?}");

    {
        let mut log = HistoryLog::open(&path).unwrap();
        log.append_all(&events).unwrap();
    }
    let (back, warnings) = HistoryLog::read_since(&path, t(0));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(back.len(), events.len());
    for (a, b) in back.iter().zip(&events) {
        // NaN != NaN, so compare the JSON forms.
        assert_eq!(serde_json::to_string(a).unwrap(), serde_json::to_string(b).unwrap());
    }

    // `since` filters.
    let (recent, _) = HistoryLog::read_since(&path, t(10));
    assert_eq!(recent.len(), 3);
    assert!(recent.iter().all(|e| e.at() >= t(10)));

    // A crash mid-write leaves a torn line: readers skip it silently.
    let mut torn = std::fs::read(&path).unwrap();
    torn.extend_from_slice(br#"{"kind":"transition","at":"2023-11-"#);
    std::fs::write(&path, &torn).unwrap();
    let (back, warnings) = HistoryLog::read_since(&path, t(0));
    assert_eq!(back.len(), events.len());
    assert!(warnings.is_empty(), "{warnings:?}");

    // The next writer starts on a new line, so the torn fragment cannot swallow its record;
    // the fragment is then a bad line in the middle, reported with its number.
    let mut log = HistoryLog::open(&path).unwrap();
    log.append(&events[0]).unwrap();
    let (back, warnings) = HistoryLog::read_since(&path, t(0));
    assert_eq!(back.len(), events.len() + 1);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(":6:"), "{warnings:?}");

    // A missing file is an empty history.
    let (none, warnings) = HistoryLog::read_since(dir.path().join("nope.jsonl"), t(0));
    assert!(none.is_empty() && warnings.is_empty());
}

#[test]
fn a_series_without_a_value_reads_as_no_data_not_as_nan() {
    let mut rule = rule("warning = 80");
    rule.summary = Some("DB CPU {{ value }}% on {{ labels.instance }}".into());
    let mut book = Desk::new(vec![rule]);
    feed(&mut book, Two(f64::NAN, 90.0), t(0));
    let summaries: Vec<String> = book.alerts().iter().map(|a| a.summary.to_string()).collect();
    assert_eq!(
        summaries,
        ["DB CPU 90% on db-2", "no data: cpu has no value (NaN) for instance=db-1"]
    );
    // Values come back: the template again.
    feed(&mut book, Two(95.0, 90.0), t(10));
    let db1 = book.alerts().into_iter().find(|a| a.labels["instance"] == "db-1").unwrap();
    assert_eq!(&*db1.summary, "DB CPU 95% on db-1");
}

#[test]
fn a_series_without_a_value_under_keep_holds_its_state_and_is_not_gone() {
    let mut book = Desk::new(vec![rule("warning = 80\nno_data = \"keep\"")]);
    feed(&mut book, Two(90.0, 90.0), t(0));
    assert_eq!(listing(&book), "db-1 firing/warning; db-2 firing/warning");
    // db-1 answers NaN: kept as it was; db-2 drops out of the answer: resolved.
    feed(&mut book, V(f64::NAN), t(10));
    assert_eq!(listing(&book), "db-1 firing/warning; db-2 resolved/warning");
    // Repeated evaluations do not wear it down.
    feed(&mut book, V(f64::NAN), t(20));
    assert_eq!(listing(&book), "db-1 firing/warning; db-2 resolved/warning");
}
