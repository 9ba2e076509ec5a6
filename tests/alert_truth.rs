//! The alert list never lies: alert state is a function of live data only — never of the
//! view (pan, zoom, range, filter, terminal size) — twins are one row, blindness is never
//! shown as all clear, and a restart remembers. Pure: `update` fed with messages, clock pinned.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::alert::{AlertState, Event};
use warroom::config::{load_str, Overrides};
use warroom::model::{Focus, Model};
use warroom::msg::{Effect, Msg};
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
use warroom::update::update;

const DASHBOARD: &str = r#"
refresh = "1s"
range = "5m"

[[sources]]
name = "prometheus"
url = "http://127.0.0.1:9"

[[panels]]
title = "DB CPU"
id = "cpu"
kind = "line"
query = "cpu"

[[alerts]]
name = "CpuHigh"
panel = "cpu"
warning = 80
for = "3s"
summary = "CPU {{ value }}%"
"#;

const T0: i64 = 1_800_000_000;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + s, 0).unwrap()
}

fn model() -> Model {
    let file = load_str(DASHBOARD, Path::new("t.toml"), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(0));
    update(&mut m, Msg::Resize { width: 160, height: 48 });
    m
}

fn labels() -> Labels {
    Labels::from([("instance".to_string(), "db-1".to_string())])
}

fn fetched(data: QueryData) -> Result<Fetched, PromError> {
    Ok(Fetched {
        response: QueryResponse { data, warnings: vec![], partial: false },
        rtt: Duration::from_millis(2),
        bytes: 10,
    })
}

/// The live (instant) answer of the rule's query at second `s`.
fn live(m: &Model, s: i64, v: f64) -> Msg {
    let query = m.alerts.query_of("CpuHigh").unwrap();
    let t = (T0 + s) as f64;
    let data = QueryData::Vector(vec![Sample { labels: labels(), point: Point { t, v } }]);
    Msg::Poll(Box::new(PollResult {
        query,
        generation: m.window.generation,
        kind: FetchKind::Instant,
        at: at(s),
        start: t,
        end: t,
        step: Duration::from_secs(1),
        outcome: fetched(data),
    }))
}

/// The chart's answer for the window it shows: `v` everywhere (the past, when panned).
fn chart(m: &Model, s: i64, v: f64) -> Msg {
    let query = m.panels[0].query;
    let end = (T0 + s) as f64 - m.window.offset.as_secs_f64();
    let points = (0..30).map(|i| Point { t: end - f64::from(i) * 10.0, v }).rev().collect();
    Msg::Poll(Box::new(PollResult {
        query,
        generation: m.window.generation,
        kind: FetchKind::Full,
        at: at(s),
        start: end - 290.0,
        end,
        step: Duration::from_secs(10),
        outcome: fetched(QueryData::Matrix(vec![Series { labels: labels(), points }])),
    }))
}

fn key(c: KeyCode) -> Msg {
    Msg::Key { key: KeyEvent::new(c, KeyModifiers::NONE), at: Instant::now() }
}

fn states(m: &Model) -> Vec<(String, AlertState)> {
    m.alerts.alerts().into_iter().map(|a| (a.rule, a.state)).collect()
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

/// Runs the dashboard for seconds `from..to` with the live value `v` and the chart showing
/// `shown`, returning the events written to the history.
fn run(m: &mut Model, from: i64, to: i64, v: f64, shown: f64) -> Vec<Event> {
    let mut written = Vec::new();
    for s in from..to {
        written.extend(recorded(&update(m, Msg::Tick(at(s)))));
        let msg = chart(m, s, shown);
        written.extend(recorded(&update(m, msg)));
        let msg = live(m, s, v);
        written.extend(recorded(&update(m, msg)));
    }
    written
}

fn firing() -> Vec<(String, AlertState)> {
    vec![("CpuHigh".to_string(), AlertState::Firing)]
}

#[test]
fn a_rule_naming_a_chart_evaluates_its_live_twin_not_the_window() {
    let mut m = model();
    let live_query = m.alerts.query_of("CpuHigh").unwrap();
    assert_ne!(live_query, m.panels[0].query, "the chart's range query is not evaluated");
    assert_eq!(m.queries[m.panels[0].query].live, Some(live_query));
    assert!(!m.queries[live_query].range);
    // The chart's window shows 10 % while the live value is 95 %: the live value counts.
    run(&mut m, 0, 5, 95.0, 10.0);
    assert_eq!(states(&m), firing());
}

#[test]
fn pan_zoom_range_filter_and_resize_leave_alerts_and_history_alone() {
    let mut m = model();
    run(&mut m, 0, 5, 95.0, 95.0);
    assert_eq!(states(&m), firing());
    let mut written = Vec::new();
    let mut s = 5;
    let view_changes: Vec<Vec<Msg>> = vec![
        vec![key(KeyCode::Char('['))],
        vec![key(KeyCode::Char('['))],
        vec![key(KeyCode::Char('+'))],
        vec![key(KeyCode::Char('-')), key(KeyCode::Char('-'))],
        vec![key(KeyCode::Char(']')), key(KeyCode::Char(']'))],
        vec![key(KeyCode::Enter), key(KeyCode::Char('h')), key(KeyCode::Esc)],
        vec![key(KeyCode::Char('/')), key(KeyCode::Char('z')), key(KeyCode::Enter)],
        vec![Msg::Resize { width: 80, height: 24 }],
        vec![Msg::Resize { width: 300, height: 80 }],
        vec![key(KeyCode::Tab), key(KeyCode::Char('j'))],
    ];
    for msgs in view_changes {
        for msg in msgs {
            written.extend(recorded(&update(&mut m, msg)));
        }
        // The panned chart shows the calm past; the live value is still 95 %.
        written.extend(run(&mut m, s, s + 3, 95.0, 10.0));
        s += 3;
        assert_eq!(states(&m), firing(), "after a view change at {s} s");
    }
    assert!(written.is_empty(), "the view wrote history: {written:?}");
    assert_eq!(m.ui.focus, Focus::Alerts);
}

fn prom_twin(severity: &str, state: warroom::pager::PromState) -> warroom::pager::PromAlert {
    warroom::pager::PromAlert {
        labels: Labels::from([
            ("alertname".to_string(), "CpuHigh".to_string()),
            ("instance".to_string(), "db-1".to_string()),
            ("severity".to_string(), severity.to_string()),
        ]),
        annotations: Labels::new(),
        state,
        active_at: Some(at(0)),
        value: 95.0,
    }
}

fn prom_alerts(s: i64, alerts: Vec<warroom::pager::PromAlert>) -> Msg {
    Msg::Pager(warroom::pager::PagerMsg::PromAlerts { source: 0, at: at(s), result: Ok(alerts) })
}

fn screen(m: &Model, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::render(m, &warroom::theme::Theme::default(), f)).unwrap();
    warroom::snapshot::buffer_text(t.backend().buffer())
}

#[test]
fn twins_are_one_row_and_one_acknowledgement_covers_them_all() {
    use warroom::alert::{Origin, Severity};
    use warroom::pager::PromState;
    let mut m = model();
    run(&mut m, 0, 5, 85.0, 85.0);
    // Prometheus's own rules report the same problem twice: warning and critical.
    let twins =
        vec![prom_twin("warning", PromState::Firing), prom_twin("critical", PromState::Firing)];
    update(&mut m, prom_alerts(5, twins.clone()));
    let rows = m.visible_alerts();
    assert_eq!(rows.len(), 1, "one problem, one row: {rows:#?}");
    let row = &rows[0];
    assert_eq!((row.state, row.severity), (AlertState::Firing, Severity::Critical), "highest wins");
    assert_eq!(
        row.origins,
        [Origin::Local, Origin::Prometheus { source: "prometheus".into() }],
        "every origin is shown"
    );
    assert_eq!(row.twins.len(), 2);
    assert_eq!(m.alert_list.firing, 1);
    let text = screen(&m, 160, 48);
    assert!(text.contains("▲ 1 FIRING"), "{text}");
    assert!(text.contains("warroom+prom:prometheus CpuHigh"), "{text}");

    // One acknowledgement covers the row: every twin, whatever reported it.
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, key(KeyCode::Char('a')));
    let effects = update(&mut m, key(KeyCode::Enter));
    assert_eq!(recorded(&effects).len(), 1, "one acknowledgement recorded");
    assert!(m.visible_alerts()[0].ack.is_some());
    assert_eq!(m.alert_list.unhandled, 0);
    // It stays with the row as the sources report it again.
    update(&mut m, prom_alerts(6, twins));
    run(&mut m, 6, 8, 85.0, 85.0);
    assert_eq!(m.alert_list.unhandled, 0, "{:#?}", m.visible_alerts());
    assert!(screen(&m, 160, 48).contains("(1 acked)"));
}

/// Second `s`: the rule's query and the source's own alerts both fail with `e`.
fn fail_everything(m: &mut Model, s: i64, e: PromError) {
    update(m, Msg::Tick(at(s)));
    let query = m.alerts.query_of("CpuHigh").unwrap();
    let failed = Msg::Poll(Box::new(PollResult {
        query,
        generation: m.window.generation,
        kind: FetchKind::Instant,
        at: at(s),
        start: 0.0,
        end: 0.0,
        step: Duration::from_secs(1),
        outcome: Err(e.clone()),
    }));
    update(m, failed);
    let alerts = warroom::pager::PagerMsg::PromAlerts { source: 0, at: at(s), result: Err(e) };
    update(m, Msg::Pager(alerts));
}

#[test]
fn an_unreachable_source_is_blind_never_all_clear() {
    let mut m = model();
    update(&mut m, prom_alerts(0, vec![]));
    run(&mut m, 0, 3, 10.0, 10.0);
    assert!(m.alert_list.blind.is_none());
    assert!(screen(&m, 160, 48).contains("✓ no alerts firing"));
    // The source stops answering: not one second of green after two intervals.
    for s in 3..8 {
        fail_everything(&mut m, s, PromError::Network("connection refused".into()));
        let text = screen(&m, 160, 48);
        assert!(!text.contains("no alerts firing") && !text.contains("All clear"), "{text}");
    }
    let text = screen(&m, 160, 48);
    assert!(
        text.contains("✖ BLIND: 1 rule unevaluated, alerts of 1 source unread (source down)"),
        "{text}"
    );
    assert!(screen(&m, 80, 24).contains("✖ BLIND: 2 unread (source down)"));
}

#[test]
fn refused_credentials_read_as_such_not_as_down() {
    let mut m = model();
    for s in 0..6 {
        let refused = PromError::Http { status: 401, excerpt: "Unauthorized".into() };
        fail_everything(&mut m, s, refused);
    }
    let text = screen(&m, 160, 48);
    assert!(text.contains("prometheus credentials refused"), "{text}");
    assert!(!text.contains("prometheus down"), "{text}");
    assert!(text.contains("BLIND") && text.contains("(credentials refused (401))"), "{text}");
}

#[test]
fn a_filter_never_hides_a_firing_alert_silently() {
    let mut m = model();
    update(&mut m, prom_alerts(0, vec![]));
    run(&mut m, 0, 5, 95.0, 95.0);
    update(&mut m, key(KeyCode::Char('/')));
    for c in "zzz".chars() {
        update(&mut m, key(KeyCode::Char(c)));
    }
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(m.alert_list.hidden_firing, 1);
    let text = screen(&m, 160, 48);
    assert!(text.contains("▲ 1 firing hidden by filter"), "{text}");
    assert!(!text.contains("All clear"), "{text}");
    assert!(text.contains("▲ 1 FIRING"), "the header still counts it: {text}");
    // Clearing the filter lists it again.
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(m.alert_list.hidden_firing, 0);
    assert_eq!(m.visible_alerts().len(), 1);
}

#[test]
fn a_restart_remembers_firing_pending_and_acknowledged() {
    // Before the restart: CpuHigh fires on db-1 and is acknowledged.
    let mut m = model();
    update(&mut m, prom_alerts(0, vec![]));
    let mut history = run(&mut m, 0, 5, 95.0, 95.0);
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, key(KeyCode::Char('a')));
    history.extend(recorded(&update(&mut m, key(KeyCode::Enter))));
    let since = m.visible_alerts()[0].since;

    // After it: the same state at once, before any evaluation — no new PENDING, same since.
    let mut m = model();
    update(&mut m, Msg::Tick(at(20)));
    update(&mut m, Msg::History(history));
    let row = &m.visible_alerts()[0];
    assert_eq!((row.state, row.since), (AlertState::Firing, since));
    assert!(row.ack.is_some(), "the acknowledgement survives");
    update(&mut m, prom_alerts(20, vec![]));
    let written = run(&mut m, 20, 25, 95.0, 95.0);
    assert!(written.is_empty(), "still firing, nothing new to record: {written:?}");
    assert!(m.visible_alerts()[0].ack.is_some());
    // Live data takes over: the condition cleared while warroom was away.
    let written = run(&mut m, 25, 26, 10.0, 10.0);
    assert!(
        matches!(&written[..], [Event::Transition { to: AlertState::Resolved, .. }]),
        "{written:?}"
    );
}

#[test]
fn a_restart_keeps_the_for_period_of_a_pending_alert() {
    let mut m = model();
    let history = run(&mut m, 0, 2, 95.0, 95.0); // pending since 0, fires at 3 (for = 3s)
    assert_eq!(m.visible_alerts()[0].state, AlertState::Pending);
    let mut m = model();
    update(&mut m, Msg::Tick(at(2)));
    update(&mut m, Msg::History(history.clone()));
    assert_eq!(m.visible_alerts()[0].state, AlertState::Pending);
    run(&mut m, 2, 4, 95.0, 95.0);
    assert_eq!(states(&m), firing(), "fires at 3 s, as without the restart");

    // Away longer than the outage tolerance: the pending period starts again.
    let mut m = model();
    update(&mut m, Msg::Tick(at(2 * 3600)));
    update(&mut m, Msg::History(history));
    assert!(m.visible_alerts().is_empty());
}

/// The live answer at second `s` with `n` series, every one at `v`.
fn storm(m: &Model, s: i64, n: usize, v: f64) -> Msg {
    let Msg::Poll(mut r) = live(m, s, v) else { unreachable!() };
    let t = (T0 + s) as f64;
    let samples = (0..n)
        .map(|i| Sample {
            labels: Labels::from([("instance".to_string(), format!("db-{i:04}"))]),
            point: Point { t, v },
        })
        .collect();
    r.outcome = fetched(QueryData::Vector(samples));
    Msg::Poll(r)
}

#[test]
fn a_storm_is_listed_whole_but_written_as_a_few_lines() {
    let mut m = model();
    let mut written = Vec::new();
    for s in 0..5 {
        written.extend(recorded(&update(&mut m, Msg::Tick(at(s)))));
        let msg = storm(&m, s, 2_000, 95.0);
        written.extend(recorded(&update(&mut m, msg)));
    }
    // Every series is listed, and counted, as firing…
    assert_eq!(m.alert_list.firing, 2_000);
    // …while the history holds the first few moves one by one and one line for the rest.
    let one_by_one = warroom::alert::storm::RECORDED_ONE_BY_ONE;
    let storms: Vec<(AlertState, usize)> = written
        .iter()
        .filter_map(|e| match e {
            Event::Storm { to, count, .. } => Some((*to, *count)),
            _ => None,
        })
        .collect();
    assert_eq!(
        storms,
        [(AlertState::Pending, 2_000 - one_by_one), (AlertState::Firing, 2_000 - one_by_one)]
    );
    assert_eq!(written.len(), 2 * (one_by_one + 1), "{written:#?}");
    // The storm ends: the resolutions are coalesced too.
    let msg = storm(&m, 5, 1, 50.0);
    let resolved = recorded(&update(&mut m, msg));
    let storm_end = |e: &Event| matches!(e, Event::Storm { to: AlertState::Resolved, count, .. } if *count == 2_000 - one_by_one);
    assert!(resolved.iter().any(storm_end), "{resolved:#?}");
    assert_eq!(resolved.len(), one_by_one + 1);
}
