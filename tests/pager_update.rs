//! The pager side through `update` and `render`, without servers: Prometheus's own alerts in
//! the list, silences marking what they cover, `a` becoming a silence request, its outcome, and
//! what goes into the history.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::alert::{AlertState, Event, Origin, Scope};
use warroom::config::{self, Overrides};
use warroom::model::{Focus, Model};
use warroom::msg::{Effect, Msg};
use warroom::pager::{Matcher, PagerMsg, PromAlert, PromState, Silence};
use warroom::prom::{Labels, PromError};
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

const BASE: &str = r#"
refresh = "1s"
[[sources]]
name = "main"
url = "http://127.0.0.1:9"
[[sources]]
name = "replica"
url = "http://127.0.0.1:9"
[[panels]]
title = "CPU"
query = "cpu"
[[alerts]]
name = "cpu_high"
panel = "cpu"
warning = 80
for = "10s"
"#;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

fn model(extra: &str) -> Model {
    let text = format!("{BASE}{extra}");
    let file = config::load_str(&text, "t.toml".as_ref(), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(0));
    m.user = "ana".into();
    update(&mut m, Msg::Resize { width: 140, height: 40 });
    m
}

/// The live query the `cpu_high` rule evaluates (the chart's instant twin).
fn rule_query(m: &Model) -> usize {
    m.alerts.query_of("cpu_high").unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn prom_alert(state: PromState, instance: &str) -> PromAlert {
    PromAlert {
        labels: labels(&[
            ("alertname", "PgDown"),
            ("severity", "critical"),
            ("instance", instance),
        ]),
        annotations: labels(&[("summary", "postgres down on \u{1b}[2Jdb")]),
        state,
        active_at: Some(at(-60)),
        value: 0.0,
    }
}

fn prom(m: &mut Model, source: usize, s: i64, alerts: Vec<PromAlert>) -> Vec<Effect> {
    update(m, Msg::Pager(PagerMsg::PromAlerts { source, at: at(s), result: Ok(alerts) }))
}

fn frame(m: &Model) -> String {
    let mut t = Terminal::new(TestBackend::new(140, 40)).unwrap();
    t.draw(|f| warroom::ui::render(m, &Theme::default(), f)).unwrap();
    buffer_text(t.backend().buffer())
}

fn key(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(m, Msg::Key { key: KeyEvent::new(code, KeyModifiers::NONE), at: Instant::now() })
}

fn recorded(effects: &[Effect]) -> Vec<Event> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::Record(events) => events.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn prometheus_alerts_are_listed_marked_and_sanitized() {
    let mut m = model("");
    let effects = prom(&mut m, 0, 1, vec![prom_alert(PromState::Firing, "db-1\u{7}")]);
    let events = recorded(&effects);
    assert!(
        matches!(
            &events[..],
            [Event::Transition { scope: Scope::Prometheus, to: AlertState::Firing, .. }]
        ),
        "{events:?}"
    );
    let a = &m.visible_alerts()[0];
    assert_eq!(a.origins, [Origin::Prometheus { source: "main".into() }]);
    assert_eq!((a.rule.as_str(), a.state), ("PgDown", AlertState::Firing));
    assert_eq!(&*a.summary, "postgres down on \\x1b[2Jdb");

    let screen = frame(&m);
    assert!(screen.contains("prom:main PgDown db-1\\x07"), "{screen}");
    assert!(screen.contains("!! CRIT FIRING"), "{screen}");
    assert!(screen.contains("▲ 1 FIRING"), "header counts it: {screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));

    // The replica reports the same alert: one row, both sources.
    prom(&mut m, 1, 2, vec![prom_alert(PromState::Firing, "db-1\u{7}")]);
    let alerts = m.visible_alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].origins, [Origin::Prometheus { source: "main,replica".into() }]);

    // A failing fetch keeps what was known (no false "resolved") and says so.
    let effects = update(
        &mut m,
        Msg::Pager(PagerMsg::PromAlerts {
            source: 0,
            at: at(3),
            result: Err(PromError::Network("connection refused".into())),
        }),
    );
    assert!(recorded(&effects).is_empty());
    assert_eq!(m.visible_alerts().len(), 1);
    assert!(frame(&m).contains("alerts of main: unreachable: connection refused"));

    // Gone from both: resolved in the history, no longer listed.
    prom(&mut m, 1, 4, vec![]);
    let events = recorded(&prom(&mut m, 0, 5, vec![]));
    assert!(
        matches!(
            &events[..],
            [Event::Transition { from: AlertState::Firing, to: AlertState::Resolved, .. }]
        ),
        "{events:?}"
    );
    assert!(m.visible_alerts().is_empty());
}

#[test]
fn without_alertmanager_a_acknowledges_a_prometheus_alert_here() {
    let mut m = model("");
    prom(&mut m, 0, 1, vec![prom_alert(PromState::Firing, "db-1")]);
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('a'));
    for c in "on it".chars() {
        key(&mut m, KeyCode::Char(c));
    }
    let effects = key(&mut m, KeyCode::Enter);
    assert!(!effects.iter().any(|e| matches!(e, Effect::CreateSilence(_))));
    let events = recorded(&effects);
    assert!(
        matches!(&events[..], [Event::Ack { scope: Scope::Prometheus, by, note: Some(n), silence: None, .. }] if by == "ana" && n == "on it"),
        "{events:?}"
    );
    assert!(frame(&m).contains("ACK prom:main PgDown"));
    assert!(frame(&m).contains("(1 acked)"));

    // Dimmed: the row's marker is drawn in the muted role, not the critical one (looked at with
    // the focus back on the panels: a focused selection bar draws over every span).
    key(&mut m, KeyCode::Tab);
    let theme = Theme::default();
    let mut t = Terminal::new(TestBackend::new(140, 40)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &theme, f)).unwrap();
    let buf = t.backend().buffer();
    let y = (0..40)
        .find(|&y| {
            (0..140).map(|x| buf[(x, y)].symbol()).collect::<String>().contains("ACK prom:main")
        })
        .unwrap();
    let x = (0..140).find(|&x| buf[(x, y)].symbol() == "!").unwrap();
    assert_eq!(buf[(x, y)].fg, theme.style(warroom::theme::Role::Muted).fg.unwrap_or_default());
    assert_ne!(buf[(x, y)].fg, theme.style(warroom::theme::Role::Critical).fg.unwrap_or_default());
}

const AM: &str = "[alertmanager]\nurl = \"http://127.0.0.1:9\"\n";

/// A firing local alert for `cpu_high` on `db-1`.
fn firing_local(m: &mut Model) {
    use warroom::prom::client::Fetched;
    use warroom::prom::poller::{FetchKind, PollResult};
    use warroom::prom::{Point, QueryData, QueryResponse, Sample};
    for s in [0, 5, 10] {
        let data = QueryData::Vector(vec![Sample {
            labels: labels(&[("instance", "db-1")]),
            point: Point { t: at(s).timestamp() as f64, v: 95.0 },
        }]);
        let outcome = Ok(Fetched {
            response: QueryResponse { data, warnings: vec![], partial: false },
            rtt: std::time::Duration::from_millis(1),
            bytes: 1,
        });
        update(m, Msg::Tick(at(s)));
        update(
            m,
            Msg::Poll(Box::new(PollResult {
                query: rule_query(m),
                generation: 0,
                kind: FetchKind::Instant,
                at: at(s),
                start: 0.0,
                end: 0.0,
                step: std::time::Duration::from_secs(1),
                outcome,
            })),
        );
    }
    assert_eq!(m.visible_alerts()[0].state, AlertState::Firing);
}

fn silence_request(m: &mut Model, note: &str) -> warroom::pager::SilenceRequest {
    m.ui.focus = Focus::Alerts;
    key(m, KeyCode::Char('a'));
    assert!(frame(m).contains("Enter silence in Alertmanager"));
    for c in note.chars() {
        key(m, KeyCode::Char(c));
    }
    let effects = key(m, KeyCode::Enter);
    let requests: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::CreateSilence(r) => Some((**r).clone()),
            _ => None,
        })
        .collect();
    assert_eq!(requests.len(), 1, "{effects:?}");
    assert!(recorded(&effects).is_empty(), "nothing is recorded before Alertmanager answers");
    requests[0].clone()
}

#[test]
fn with_alertmanager_a_creates_a_silence_and_records_it() {
    let mut m = model(AM);
    firing_local(&mut m);
    let req = silence_request(&mut m, "restarting pgbouncer");
    assert_eq!(req.labels, labels(&[("alertname", "cpu_high"), ("instance", "db-1")]));
    assert_eq!(req.created_by, "ana");
    assert_eq!(req.comment, "restarting pgbouncer");
    assert_eq!(req.ends_at - req.starts_at, Duration::hours(1), "until resolved: 1h");
    assert!(frame(&m).contains("SIL… cpu_high"), "shown as being silenced at once");

    let effects = update(
        &mut m,
        Msg::Pager(PagerMsg::SilenceCreated {
            at: at(11),
            request: Box::new(req.clone()),
            result: Ok("s-1".into()),
        }),
    );
    let events = recorded(&effects);
    assert!(
        matches!(&events[..], [Event::Ack { by, note: Some(n), until: Some(u), silence: Some(id), .. }]
            if by == "ana" && n == "restarting pgbouncer" && *u == req.ends_at && id == "s-1"),
        "{events:?}"
    );
    let screen = frame(&m);
    assert!(screen.contains("SIL cpu_high"), "{screen}");
    assert!(screen.contains("silenced cpu_high in Alertmanager"), "{screen}");
    assert!(screen.contains("▲ 1 FIRING (1 acked)"), "{screen}");
    assert!(m.alerts.alerts()[0].ack.is_none(), "a silence instead of a local ack");
}

#[test]
fn a_failed_silence_falls_back_to_a_local_ack_and_says_so() {
    let mut m = model(AM);
    firing_local(&mut m);
    let req = silence_request(&mut m, "");
    assert_eq!(req.comment, "acknowledged in warroom by ana");
    let effects = update(
        &mut m,
        Msg::Pager(PagerMsg::SilenceCreated {
            at: at(11),
            request: Box::new(req),
            result: Err(PromError::Network("connection refused".into())),
        }),
    );
    let events = recorded(&effects);
    assert!(
        matches!(&events[..], [Event::Ack { note: Some(n), until: None, silence: None, .. }]
            if n.contains("not silenced in Alertmanager") && n.contains("connection refused")),
        "{events:?}"
    );
    let screen = frame(&m);
    assert!(screen.contains("ACK cpu_high"), "{screen}");
    assert!(screen.contains("could not silence cpu_high"), "{screen}");
}

#[test]
fn read_only_makes_no_silence() {
    let mut m = model(AM);
    m.read_only = true;
    firing_local(&mut m);
    m.ui.focus = Focus::Alerts;
    key(&mut m, KeyCode::Char('a'));
    assert!(frame(&m).contains("Enter acknowledge"));
    let effects = key(&mut m, KeyCode::Enter);
    assert!(!effects.iter().any(|e| matches!(e, Effect::CreateSilence(_))));
    assert!(matches!(&recorded(&effects)[..], [Event::Ack { silence: None, .. }]));
    let screen = frame(&m);
    assert!(screen.contains("ACK cpu_high"), "{screen}");
    assert!(screen.contains("read-only: acknowledged here only"), "{screen}");
}

#[test]
fn silences_from_alertmanager_mark_what_they_cover() {
    let mut m = model(AM);
    firing_local(&mut m);
    prom(
        &mut m,
        0,
        10,
        vec![prom_alert(PromState::Firing, "db-1"), prom_alert(PromState::Pending, "db-2")],
    );
    let silence = Silence {
        id: "x".into(),
        matchers: vec![
            Matcher::new("alertname", "PgDown|cpu_high", true, true).unwrap(),
            Matcher::new("instance", "db-1", false, true).unwrap(),
        ],
        starts_at: at(0),
        ends_at: at(600),
        created_by: "bo".into(),
        comment: "maintenance".into(),
    };
    update(&mut m, Msg::Pager(PagerMsg::Silences { at: at(10), result: Ok(vec![silence]) }));
    let handled: Vec<(String, bool)> = m
        .visible_alerts()
        .iter()
        .map(|a| (format!("{}/{}", a.rule, a.labels["instance"]), a.silence.is_some()))
        .collect();
    assert_eq!(
        handled,
        [
            ("PgDown/db-1".to_string(), true),
            ("cpu_high/db-1".into(), true),
            ("PgDown/db-2".into(), false)
        ],
    );
    m.ui.focus = Focus::Alerts;
    key(&mut m, KeyCode::Down);
    let screen = frame(&m);
    assert!(screen.contains("silenced in Alertmanager by bo until"), "{screen}");
    if std::env::var_os("SHOW").is_some() {
        println!("{screen}");
    }
    // Past its end the silence covers nothing.
    update(&mut m, Msg::Tick(at(600)));
    assert!(m.visible_alerts().iter().all(|a| a.silence.is_none()));
}

#[test]
fn pending_that_clears_stays_on_screen_but_not_in_the_history() {
    let mut m = model("");
    use warroom::prom::client::Fetched;
    use warroom::prom::poller::{FetchKind, PollResult};
    use warroom::prom::{Point, QueryData, QueryResponse, Sample};
    let mut written = Vec::new();
    let query = rule_query(&m);
    for (s, v) in [(0, 95.0), (2, 50.0)] {
        let data = QueryData::Vector(vec![Sample {
            labels: labels(&[("instance", "db-1")]),
            point: Point { t: 0.0, v },
        }]);
        let outcome = Ok(Fetched {
            response: QueryResponse { data, warnings: vec![], partial: false },
            rtt: std::time::Duration::from_millis(1),
            bytes: 1,
        });
        let effects = update(
            &mut m,
            Msg::Poll(Box::new(PollResult {
                query,
                generation: 0,
                kind: FetchKind::Instant,
                at: at(s),
                start: 0.0,
                end: 0.0,
                step: std::time::Duration::from_secs(1),
                outcome,
            })),
        );
        written.extend(recorded(&effects));
    }
    let moves = |events: &[Event]| -> Vec<(AlertState, AlertState)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Transition { from, to, .. } => Some((*from, *to)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(moves(&written), [(AlertState::Inactive, AlertState::Pending)]);
    let shown: Vec<Event> = m.recent.iter().cloned().collect();
    assert_eq!(
        moves(&shown),
        [(AlertState::Inactive, AlertState::Pending), (AlertState::Pending, AlertState::Inactive)]
    );
}
