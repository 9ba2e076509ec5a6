//! The confirm dialog, the output pane and the acknowledge dialog as a person sees them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::demo::demo_model;
use warroom::model::{Model, Overlay, Pane};
use warroom::msg::{Effect, Msg};
use warroom::runbook::{parse_runbook, Outcome, Refusal, RunEvent, Stream};
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

fn model(w: u16, h: u16) -> Model {
    let mut m = demo_model(90, w, h);
    for (name, text) in warroom::setup::DEMO_RUNBOOKS {
        m.runbooks.push(parse_runbook(Path::new(name), text).unwrap());
    }
    let alerts = m.visible_alerts();
    let a = alerts.iter().find(|a| a.rule == "DemoIdleInTransaction").unwrap();
    m.ui.alert_key = Some(a.key.clone());
    m.sources[0].url = "http://127.0.0.1:41000".into();
    press(&mut m, KeyCode::Tab, Instant::now());
    m
}

fn press(m: &mut Model, code: KeyCode, at: Instant) {
    update(m, Msg::Key { key: KeyEvent::new(code, KeyModifiers::NONE), at });
}

fn frame(m: &Model, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::render(m, &Theme::default(), f)).unwrap();
    buffer_text(t.backend().buffer())
}

#[test]
fn confirm_dialog_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut m = model(w, h);
        press(&mut m, KeyCode::Char('t'), Instant::now());
        insta::assert_snapshot!(format!("confirm_{w}x{h}"), frame(&m, w, h));
    }
}

#[test]
fn output_pane_after_a_run() {
    let mut m = model(160, 48);
    let t0 = Instant::now();
    press(&mut m, KeyCode::Char('t'), t0);
    press(&mut m, KeyCode::Char('y'), t0 + Duration::from_secs(1));
    assert_eq!(m.ui.pane, Pane::Output);
    let id = m.runs.list[0].id;
    for line in ["HTTP 200 OK", r#"{"message":"terminated 46 idle-in-transaction sessions"}"#] {
        update(
            &mut m,
            Msg::Run(RunEvent::Output { run_id: id, stream: Stream::Stdout, line: line.into() }),
        );
    }
    let done = RunEvent::Finished {
        run_id: id,
        outcome: Outcome::Http(200),
        duration: Duration::from_millis(12),
    };
    update(&mut m, Msg::Run(done));
    insta::assert_snapshot!(frame(&m, 160, 48));
}

#[test]
fn acknowledge_dialog_80x24() {
    let mut m = model(80, 24);
    press(&mut m, KeyCode::Char('a'), Instant::now());
    for c in "on it".chars() {
        press(&mut m, KeyCode::Char(c), Instant::now());
    }
    press(&mut m, KeyCode::Tab, Instant::now());
    insta::assert_snapshot!(frame(&m, 80, 24));
}

#[test]
fn charts_mark_where_an_action_ran() {
    let mut m = model(160, 48);
    let before = frame(&m, 160, 48);
    let t0 = Instant::now();
    press(&mut m, KeyCode::Char('t'), t0);
    press(&mut m, KeyCode::Char('y'), t0 + Duration::from_secs(1));
    // Started a minute ago: a vertical mark inside the 5-minute window.
    m.runs.list[0].started = m.now - chrono::Duration::seconds(60);
    let after = frame(&m, 160, 48);
    let chart_rows = |s: &str| s.lines().take(12).map(str::to_string).collect::<Vec<_>>();
    assert_ne!(chart_rows(&before), chart_rows(&after), "the DB CPU chart shows the action mark");
}

#[test]
fn an_action_that_cannot_run_now_says_why_instead_of_asking() {
    let mut m = model(160, 48);
    let t0 = Instant::now();
    let effects = update(
        &mut m,
        Msg::Key { key: KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE), at: t0 },
    );
    // The dialog asks the launcher whether it could run now.
    let Some(Effect::PeekRun(resolved)) = effects.iter().find(|e| matches!(e, Effect::PeekRun(_)))
    else {
        panic!("no PeekRun in {effects:?}")
    };
    let (runbook, key, target) = (resolved.runbook.clone(), resolved.key, resolved.target.clone());
    let refusal = Refusal::Running { since: "2026-12-02 03:12:00 UTC by alice@bastion-2".into() };
    update(&mut m, Msg::CanRun { runbook, key, target, refusal: Some(refusal.to_string()) });
    insta::assert_snapshot!("confirm_blocked_160x48", frame(&m, 160, 48));
    // Confirming does nothing but say so again; Esc closes.
    let typed = t0 + Duration::from_secs(1);
    for code in [KeyCode::Char('y'), KeyCode::Enter] {
        let effects =
            update(&mut m, Msg::Key { key: KeyEvent::new(code, KeyModifiers::NONE), at: typed });
        assert!(!effects.iter().any(|e| matches!(e, Effect::Action(_))), "{effects:?}");
        assert!(matches!(m.ui.overlay, Overlay::Confirm(_)));
    }
    press(&mut m, KeyCode::Esc, typed);
    assert!(matches!(m.ui.overlay, Overlay::None));
}

const PREVIEWED: &str = r#"+++
id = "previewed"
title = "Previewed"
alerts = ["DemoIdleInTransaction"]

[[actions]]
key = "p"
label = "Terminate idle sessions"
argv = ["psql", "-c", "SELECT pg_terminate_backend(pid) FROM idle"]
dry_run = ["psql", "-c", "SELECT pid, state FROM idle"]
confirm = "yes-no"
+++
Previewed first.
"#;

#[test]
fn a_long_dry_run_scrolls_under_its_table_header() {
    let mut m = model(80, 24);
    m.runbooks.push(parse_runbook(Path::new("previewed.md"), PREVIEWED).unwrap());
    let t0 = Instant::now();
    press(&mut m, KeyCode::Char('p'), t0);
    let Overlay::Confirm(c) = &m.ui.overlay else { panic!("no dialog: {:?}", m.ui.overlay) };
    let id = c.dry_run.expect("a dry run");
    let mut out = vec![" pid  | state".to_string(), "------+---------------------".to_string()];
    out.extend((1..=30).map(|i| format!(" {:4} | idle in transaction", 4000 + i)));
    out.push("(30 rows)".to_string());
    for line in out {
        update(&mut m, Msg::Run(RunEvent::Output { run_id: id, stream: Stream::Stdout, line }));
    }
    let done = RunEvent::Finished {
        run_id: id,
        outcome: Outcome::Exited(0),
        duration: Duration::from_millis(9),
    };
    update(&mut m, Msg::Run(done));
    insta::assert_snapshot!("dry_run_top_80x24", frame(&m, 80, 24));
    for _ in 0..10 {
        press(&mut m, KeyCode::PageDown, t0);
    }
    let bottom = frame(&m, 80, 24);
    assert!(bottom.contains("(30 rows)") && bottom.contains(" pid  | state"), "{bottom}");
    insta::assert_snapshot!("dry_run_bottom_80x24", bottom);
}

#[test]
fn f_finds_text_in_the_runbook_and_n_steps_through_the_matches() {
    let mut m = model(160, 48);
    let t0 = Instant::now();
    press(&mut m, KeyCode::Char('f'), t0);
    for c in "idle".chars() {
        press(&mut m, KeyCode::Char(c), t0);
    }
    press(&mut m, KeyCode::Enter, t0);
    let first = frame(&m, 160, 48);
    assert!(first.contains("find \"idle\": 1 of "), "{first}");
    insta::assert_snapshot!("find_in_runbook_160x48", first);
    press(&mut m, KeyCode::Char('n'), t0);
    assert!(frame(&m, 160, 48).contains("find \"idle\": 2 of "));
    press(&mut m, KeyCode::Char('N'), t0);
    press(&mut m, KeyCode::Char('N'), t0);
    let last = frame(&m, 160, 48);
    let of = last.split("find \"idle\": ").nth(1).and_then(|s| s.split(' ').nth(2)).unwrap_or("");
    assert!(last.contains(&format!("find \"idle\": {of} of {of}")), "N from the first is the last");
    // Esc ends the search and gives the keys back.
    press(&mut m, KeyCode::Esc, t0);
    assert!(m.ui.find.is_none());
    assert!(!frame(&m, 160, 48).contains("find \"idle\""));
}

/// The guarded actions of `fixtures/runbooks/guarded.md`, on `DemoDbCpuHigh`.
fn guarded(w: u16, h: u16) -> Model {
    let mut m = model(w, h);
    let text = include_str!("fixtures/runbooks/guarded.md");
    m.runbooks.push(parse_runbook(Path::new("guarded.md"), text).unwrap());
    let alerts = m.visible_alerts();
    let a = alerts.iter().find(|a| a.rule == "DemoDbCpuHigh").unwrap();
    m.ui.alert_key = Some(a.key.clone());
    m
}

fn reading(holds: Option<bool>, value: f64, shown: &str) -> warroom::runbook::Reading {
    warroom::runbook::Reading { holds, value: Some(value), shown: shown.into() }
}

/// Answers the guard read `effects` ask for with `readings`.
fn guards_read(m: &mut Model, effects: &[Effect], readings: Vec<warroom::runbook::Reading>) {
    let (action, last) = effects
        .iter()
        .find_map(|e| match e {
            Effect::ReadGuards { action, last, .. } => Some((action.clone(), *last)),
            _ => None,
        })
        .expect("the guards are read");
    update(m, Msg::GuardsRead { action, readings, last });
}

#[test]
fn confirm_dialog_with_guards_read_live() {
    let mut m = guarded(100, 32);
    let t0 = Instant::now();
    let effects = update(
        &mut m,
        Msg::Key { key: KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE), at: t0 },
    );
    insta::assert_snapshot!("guards_reading", frame(&m, 100, 32));
    let readings = vec![
        reading(Some(true), 0.4, "0.4 (needs < 5)"),
        reading(Some(false), 71.0, "71 (needs > 95)"),
    ];
    guards_read(&mut m, &effects, readings);
    insta::assert_snapshot!("guards_refused", frame(&m, 100, 32));
}

#[test]
fn confirm_dialog_asks_for_the_override() {
    let mut m = guarded(100, 32);
    let t0 = Instant::now();
    let effects = update(
        &mut m,
        Msg::Key { key: KeyEvent::new(KeyCode::Char('O'), KeyModifiers::NONE), at: t0 },
    );
    guards_read(&mut m, &effects, vec![reading(Some(false), 30.0, "30 (needs < 5)")]);
    for c in "overr".chars() {
        press(&mut m, KeyCode::Char(c), t0 + Duration::from_secs(1));
    }
    insta::assert_snapshot!(frame(&m, 100, 32));
}

#[test]
fn output_pane_shows_the_guards_and_the_verdict() {
    let mut m = guarded(120, 32);
    let t0 = Instant::now();
    let effects = update(
        &mut m,
        Msg::Key { key: KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE), at: t0 },
    );
    let readings = || {
        vec![
            reading(Some(true), 0.4, "0.4 (needs < 5)"),
            reading(Some(true), 98.0, "98 (needs > 95)"),
        ]
    };
    guards_read(&mut m, &effects, readings());
    let effects = update(
        &mut m,
        Msg::Key {
            key: KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE),
            at: t0 + Duration::from_secs(1),
        },
    );
    guards_read(&mut m, &effects, readings());
    let id = m.runs.latest().unwrap().id;
    let stage = warroom::msg::VerifyStage::Before;
    update(
        &mut m,
        Msg::VerifyRead {
            run_id: id,
            reading: reading(Some(false), 98.0, "98 (needs < 80)"),
            stage,
        },
    );
    let done = RunEvent::Finished {
        run_id: id,
        outcome: Outcome::Exited(0),
        duration: Duration::from_millis(300),
    };
    update(&mut m, Msg::Run(done));
    let stage = warroom::msg::VerifyStage::Done { elapsed: Duration::from_secs(40) };
    update(
        &mut m,
        Msg::VerifyRead {
            run_id: id,
            reading: reading(Some(true), 71.0, "71 (needs < 80)"),
            stage,
        },
    );
    insta::assert_snapshot!(frame(&m, 120, 32));
}
