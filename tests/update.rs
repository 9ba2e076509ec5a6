//! Behaviour of `update` without a terminal: feed messages, look at the model.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod clock;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::demo::{demo_model, PINNED_START};
use warroom::model::{DataStatus, Focus, Health, Overlay, QueryOwner};
use warroom::msg::{Effect, Msg};
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, PromError, QueryData, QueryResponse, Series};
use warroom::update::update;

fn key(c: KeyCode) -> Msg {
    Msg::Key { key: KeyEvent::new(c, KeyModifiers::NONE), at: Instant::now() }
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn result(query: usize, generation: u64, at_s: i64, outcome: Result<Fetched, PromError>) -> Msg {
    Msg::Poll(Box::new(PollResult {
        query,
        generation,
        kind: FetchKind::Incremental,
        at: at(at_s),
        start: at_s as f64 - 10.0,
        end: at_s as f64,
        step: Duration::from_secs(1),
        outcome,
    }))
}

fn matrix(labels: &[(&str, &str)], points: &[(f64, f64)]) -> Result<Fetched, PromError> {
    let labels: Labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let series = Series { labels, points: points.iter().map(|&(t, v)| Point { t, v }).collect() };
    Ok(Fetched {
        response: QueryResponse {
            data: QueryData::Matrix(vec![series]),
            warnings: vec![],
            partial: false,
        },
        rtt: Duration::from_millis(3),
        bytes: 100,
    })
}

#[test]
fn grid_navigation_zoom_and_back() {
    let mut m = demo_model(60, 120, 40);
    assert_eq!(m.ui.columns(), 3);
    update(&mut m, ch('l'));
    update(&mut m, ch('j'));
    assert_eq!(m.ui.panel, 4, "right then down in a 3-column grid");
    update(&mut m, key(KeyCode::Up));
    assert_eq!(m.ui.panel, 1);
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(m.ui.zoom, Some(1));
    update(&mut m, ch('h'));
    assert_eq!(m.ui.cursor, Some(1), "left moves the inspection cursor back in zoom");
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(m.ui.zoom, None);
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.ui.focus, Focus::Alerts);
}

#[test]
fn help_overlay_opens_and_any_key_closes() {
    let mut m = demo_model(60, 120, 40);
    update(&mut m, ch('?'));
    assert!(matches!(m.ui.overlay, Overlay::Help));
    let effects = update(&mut m, ch('q'));
    assert!(matches!(m.ui.overlay, Overlay::None));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Quit)),
        "q closes help instead of quitting"
    );
    assert!(update(&mut m, ch('q')).iter().any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn filter_narrows_panels() {
    let mut m = demo_model(60, 120, 40);
    let all = m.visible_panels().len();
    update(&mut m, ch('/'));
    for c in "cpu".chars() {
        update(&mut m, ch(c));
    }
    update(&mut m, key(KeyCode::Enter));
    assert!(matches!(m.ui.overlay, Overlay::None));
    let shown: Vec<_> =
        m.visible_panels().iter().map(|&i| m.panels[i].spec.title.clone()).collect();
    assert_eq!(shown, vec!["DB CPU".to_string()]);
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(m.visible_panels().len(), all);
}

#[test]
fn range_change_bumps_generation_and_drops_late_answers() {
    let mut m = demo_model(60, 120, 40);
    let gen = m.window.generation;
    let effects = update(&mut m, ch('-'));
    assert!(effects.iter().any(|e| matches!(e, Effect::SetWindow(w) if w.generation == gen + 1)));
    assert_eq!(m.window.range, Duration::from_secs(900));
    let now = PINNED_START + 60;
    update(&mut m, result(0, gen, now, matrix(&[("instance", "x")], &[(now as f64, 1.0)])));
    assert!(m.queries[0].series.is_empty(), "answer for the old window is dropped");
    update(&mut m, result(0, gen + 1, now, matrix(&[("instance", "x")], &[(now as f64, 1.0)])));
    assert_eq!(m.queries[0].series.len(), 1);
}

#[test]
fn failures_keep_last_data_and_mark_it_stale() {
    let mut m = demo_model(60, 120, 40);
    let g = m.window.generation;
    let t0 = PINNED_START + 60;
    let before = m.queries[0].series.clone();
    assert_eq!(m.queries[0].status(at(t0)), DataStatus::Ok);
    update(&mut m, Msg::Tick(at(t0 + 1)));
    update(&mut m, result(0, g, t0 + 1, Err(PromError::Network("connection refused".into()))));
    let q = &m.queries[0];
    assert_eq!(q.status(at(t0 + 1)), DataStatus::Error);
    assert_eq!(q.series, before, "last good data is kept");
    assert_eq!(q.error.as_ref().unwrap().since, at(t0 + 1));
    update(&mut m, result(0, g, t0 + 2, Err(PromError::Network("connection refused".into()))));
    assert_eq!(m.queries[0].error.as_ref().unwrap().since, at(t0 + 1), "since = first failure");
    assert_eq!(m.sources[0].health(), Health::Degraded);
    for i in 3..6 {
        update(&mut m, result(0, g, t0 + i, Err(PromError::Timeout(800))));
    }
    assert_eq!(m.sources[0].health(), Health::Down);
    // Recovery without a restart.
    update(
        &mut m,
        result(0, g, t0 + 7, matrix(&[("instance", "pg-main-1")], &[((t0 + 7) as f64, 50.0)])),
    );
    assert_eq!(m.queries[0].status(at(t0 + 7)), DataStatus::Ok);
    assert_eq!(m.sources[0].health(), Health::Up);
}

#[test]
fn silence_turns_into_stale_after_two_intervals() {
    let m = demo_model(60, 120, 40);
    let q = &m.queries[0];
    let t0 = PINNED_START + 60;
    assert_eq!(q.status(at(t0 + 2)), DataStatus::Ok);
    assert_eq!(q.status(at(t0 + 4)), DataStatus::Stale, "1s refresh: stale after ~3s of silence");
}

#[test]
fn special_values_survive() {
    let mut m = demo_model(60, 120, 40);
    let g = m.window.generation;
    let t = (PINNED_START + 61) as f64;
    update(
        &mut m,
        result(0, g, PINNED_START + 61, matrix(&[("instance", "pg-main-1")], &[(t, f64::NAN)])),
    );
    let s = m.queries[0]
        .series
        .iter()
        .find(|s| s.labels.get("instance").map(String::as_str) == Some("pg-main-1"))
        .unwrap();
    assert!(s.last().unwrap().v.is_nan(), "NaN is kept as NaN, never zero");
}

#[test]
fn api_errors_do_not_mark_the_source_down() {
    let mut m = demo_model(60, 120, 40);
    let g = m.window.generation;
    for i in 0..5 {
        let e = PromError::Api {
            status: 400,
            error_type: "bad_data".into(),
            message: "parse error".into(),
        };
        update(&mut m, result(1, g, PINNED_START + 61 + i, Err(e)));
    }
    assert_eq!(m.sources[0].health(), Health::Up);
    assert_eq!(m.queries[1].error.as_ref().unwrap().class, "bad_data");
}

#[test]
fn identical_queries_are_fetched_once() {
    let text = r#"
        [[sources]]
        name = "p"
        url = "http://127.0.0.1:9"
        [[panels]]
        title = "A"
        query = "up"
        [[panels]]
        title = "B"
        query = " up "
        [[panels]]
        title = "C"
        query = "up"
        kind = "table"
    "#;
    let cfg = warroom::config::load_str(text, std::path::Path::new("t.toml"), &Default::default())
        .unwrap();
    let m = warroom::model::Model::new(&cfg.config, at(0));
    assert_eq!(m.panels[0].query, m.panels[1].query);
    assert_ne!(m.panels[0].query, m.panels[2].query);
    assert_eq!(m.queries.len(), 2, "A and B share a range query; C is an instant query");
}

#[test]
fn v_cycles_the_pane_and_another_alert_brings_back_its_runbook() {
    use warroom::model::Pane;
    let mut m = demo_model(90, 160, 48);
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.ui.pane, Pane::Runbook);
    update(&mut m, ch('v'));
    assert_eq!(m.ui.pane, Pane::Output);
    update(&mut m, ch('v'));
    assert_eq!(m.ui.pane, Pane::History);
    update(&mut m, ch('j'));
    assert_eq!(m.ui.pane, Pane::Runbook, "another alert: its runbook");
    update(&mut m, ch('v'));
    update(&mut m, ch('v'));
    update(&mut m, ch('v'));
    assert_eq!(m.ui.pane, Pane::Runbook, "and round again");
    assert!(warroom::keymap::reserved_chars().contains(&'v'), "runbooks may not take v");
}

#[test]
fn zero_goes_back_to_live_e_shows_the_query_and_ctrl_l_repaints() {
    let mut m = demo_model(90, 160, 48);
    update(&mut m, ch('['));
    assert!(!m.window.offset.is_zero());
    let effects = update(&mut m, ch('0'));
    assert!(m.window.offset.is_zero());
    assert!(effects.iter().any(|e| matches!(e, Effect::SetWindow(_))));
    update(&mut m, ch('0'));
    assert!(m.flash.as_ref().is_some_and(|(t, _)| t.contains("already live")), "{:?}", m.flash);
    update(&mut m, ch('e'));
    assert!(matches!(m.ui.overlay, Overlay::Query { of: QueryOwner::Panel(0), .. }));
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &warroom::theme::Theme::default(), f)).unwrap();
    let screen = warroom::snapshot::buffer_text(t.backend().buffer());
    assert!(screen.contains("Query — any key closes"), "{screen}");
    assert!(screen.contains(&m.queries[m.panels[0].query].expr.lines().next().unwrap()[..20]));
    update(&mut m, ch('x'));
    assert!(matches!(m.ui.overlay, Overlay::None));
    let ctrl_l = Msg::Key {
        key: KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL),
        at: Instant::now(),
    };
    assert!(update(&mut m, ctrl_l).iter().any(|e| matches!(e, Effect::Repaint)));
}

// ---- Freshness: the live twin's newest sample -------------------------------------------------

#[test]
fn the_newest_value_is_the_live_twins_sample() {
    let mut m = clock::model(1_007, 160, 48);
    assert_eq!(m.queries[0].live, Some(1), "the stat and the chart share one range query");
    clock::range(&mut m, 1_007, 1_000);
    assert_eq!(clock::newest(&m, 0), [("clock".to_string(), 1_000.0, 0.0)], "no live answer");
    clock::live(&mut m, 1_007, &[("clock", 7.0)]);
    for panel in [0, 1] {
        assert_eq!(clock::newest(&m, panel), [("clock".to_string(), 1_007.0, 7.0)], "{panel}");
    }
    let data = m.panel_data(&m.panels[1]).unwrap();
    assert_eq!(data.series[0].len(), 31, "the range's 30 points, then the live sample");
    assert_eq!(data.series[0].value(), 7.0);
}

#[test]
fn a_live_sample_older_than_the_range_data_is_not_shown() {
    let mut m = clock::model(1_010, 160, 48);
    clock::live(&mut m, 1_007, &[("clock", 7.0)]);
    clock::range(&mut m, 1_010, 1_010);
    assert_eq!(clock::newest(&m, 1), [("clock".to_string(), 1_010.0, 10.0)]);
}

#[test]
fn a_series_only_the_live_answer_has_is_shown() {
    let mut m = clock::model(1_007, 160, 48);
    clock::range(&mut m, 1_007, 1_000);
    clock::live(&mut m, 1_007, &[("late", 5.0), ("clock", 7.0)]);
    assert_eq!(
        clock::newest(&m, 1),
        [("clock".to_string(), 1_007.0, 7.0), ("late".to_string(), 1_007.0, 5.0)],
        "matched by labels, not by place; the new series after the held ones"
    );
}

#[test]
fn a_panned_window_shows_its_own_past() {
    let mut m = clock::model(1_007, 160, 48);
    clock::range(&mut m, 1_007, 1_000);
    clock::live(&mut m, 1_007, &[("clock", 7.0)]);
    update(&mut m, ch('['));
    assert_eq!(m.window.offset, Duration::from_secs(150));
    clock::range(&mut m, 1_008, 850);
    clock::live(&mut m, 1_008, &[("clock", 8.0), ("late", 5.0)]);
    for panel in [0, 1] {
        assert_eq!(clock::newest(&m, panel), [("clock".to_string(), 850.0, 50.0)], "{panel}");
    }
    let data = m.panel_data(&m.panels[1]).unwrap();
    assert!(data.live.is_none() && data.series[0].live.is_none());
    // Back on the live window: the newest sample again.
    update(&mut m, ch(']'));
    clock::range(&mut m, 1_009, 1_000);
    assert_eq!(clock::newest(&m, 1)[0], ("clock".to_string(), 1_008.0, 8.0));
}

#[test]
fn a_failing_or_silent_live_twin_shows_on_the_panel() {
    let status = |m: &warroom::model::Model| m.panel_data(&m.panels[0]).unwrap().status(m.now);
    let mut m = clock::model(1_007, 160, 48);
    clock::range(&mut m, 1_007, 1_000);
    clock::live(&mut m, 1_007, &[("clock", 7.0)]);
    assert_eq!(status(&m), DataStatus::Ok);
    update(&mut m, Msg::Tick(at(1_008)));
    clock::live_fails(&mut m, 1_008, PromError::Timeout(800));
    assert_eq!(m.queries[0].status(m.now), DataStatus::Ok, "the range query is fine");
    assert_eq!(status(&m), DataStatus::Error, "the twin's error shows on the panel");
    // Silence from the twin alone turns the panel stale.
    let mut m = clock::model(1_007, 160, 48);
    clock::live(&mut m, 1_007, &[("clock", 7.0)]);
    update(&mut m, Msg::Tick(at(1_012)));
    clock::range(&mut m, 1_012, 1_010);
    assert_eq!(status(&m), DataStatus::Stale);
}

#[test]
fn a_still_frame_has_the_date_and_no_key_hints() {
    let mut m = demo_model(90, 160, 48);
    m.ui.still = true;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &warroom::theme::Theme::default(), f)).unwrap();
    let screen = warroom::snapshot::buffer_text(t.backend().buffer());
    assert!(screen.lines().next().unwrap().contains("2026-11-11 20:01:30 UTC"), "{screen}");
    assert!(!screen.contains("q quit"), "{screen}");
}

#[test]
fn the_output_pane_scrolls_sideways_instead_of_wrapping() {
    use warroom::model::Pane;
    let mut m = demo_model(90, 160, 48);
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, ch('l'));
    assert_eq!(m.ui.pane_hscroll, 0, "only the Output pane scrolls sideways");
    assert!(m.flash.is_some(), "the key says what it would do");
    update(&mut m, ch('v'));
    assert_eq!(m.ui.pane, Pane::Output);
    update(&mut m, ch('l'));
    update(&mut m, ch('l'));
    assert_eq!(m.ui.pane_hscroll, 16);
    update(&mut m, key(KeyCode::Left));
    assert_eq!(m.ui.pane_hscroll, 8);
}

/// `e` on an alert of a rule whose query answers with no series: the rule's query, and the
/// question to its source; the answer shows in the overlay, and only while it is open.
#[test]
fn e_on_a_no_data_alert_shows_its_rule_query_and_asks_why() {
    let text = r#"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"

[[panels]]
title = "Up"
kind = "bars"
query = "up"

[[alerts]]
name = "Gone"
query = 'sum(pg_up{instance="db-1"})'
direction = "below"
critical = 1
"#;
    let file = warroom::config::load_str(text, std::path::Path::new("t.toml"), &Default::default())
        .unwrap();
    let mut m = warroom::model::Model::new(&file.config, at(1_000));
    update(&mut m, Msg::Resize { width: 120, height: 40 });
    let rule_query = m.alerts.query_of("Gone").unwrap();
    let empty = Ok(Fetched {
        response: QueryResponse {
            data: QueryData::Vector(vec![]),
            warnings: vec![],
            partial: false,
        },
        rtt: Duration::from_millis(3),
        bytes: 50,
    });
    let generation = m.window.generation;
    let Msg::Poll(mut answer) = result(rule_query, generation, 1_000, empty) else {
        unreachable!()
    };
    answer.kind = FetchKind::Instant;
    update(&mut m, Msg::Poll(answer));
    update(&mut m, Msg::Tick(at(1_001)));
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.ui.focus, Focus::Alerts);
    assert_eq!(m.selected_alert().map(|a| a.rule.as_str()), Some("Gone"), "{:?}", m.alert_list);
    let effects = update(&mut m, ch('e'));
    assert!(matches!(&m.ui.overlay, Overlay::Query { of: QueryOwner::Rule(r), .. } if r == "Gone"));
    let asked = effects.iter().find_map(|e| match e {
        Effect::Explain { query, expr, .. } => Some((*query, expr.clone())),
        _ => None,
    });
    assert_eq!(asked, Some((rule_query, "sum(pg_up{instance=\"db-1\"})".to_string())));
    let explanation = warroom::explain::Explanation {
        returns: Ok(0),
        selectors: vec![("pg_up{instance=\"db-1\"}".into(), Ok(0))],
        findings: vec![warroom::explain::Finding {
            what: "pg_up has 2 series, none with instance=\"db-1\"".into(),
            fix: "label mismatch: instance is one of \"db-1:9187\"".into(),
        }],
    };
    update(
        &mut m,
        Msg::Explained { query: rule_query, explanation: Box::new(explanation.clone()) },
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &warroom::theme::Theme::default(), f)).unwrap();
    let screen = warroom::snapshot::buffer_text(t.backend().buffer());
    assert!(screen.contains("alert    Gone"), "{screen}");
    assert!(screen.contains("why no data?") && screen.contains("label mismatch"), "{screen}");
    // Closed, a late answer shows nowhere.
    update(&mut m, ch('x'));
    assert!(m.ui.why.is_none());
    update(&mut m, Msg::Explained { query: rule_query, explanation: Box::new(explanation) });
    assert!(m.ui.why.is_none());
}
