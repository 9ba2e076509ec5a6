//! Guards and verification of runbook actions through `update` and the launcher: guards read
//! when the dialog opens and again on confirming, a failing guard refusing (audited), the typed
//! override (audited), and a verify query that marks the run effective or not in the output
//! pane, the audit log and the timeline. The readings are messages here; `prom_guards.rs` reads
//! them from a real Prometheus.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::demo::demo_model;
use warroom::model::{Model, Overlay};
use warroom::msg::{Effect, Msg, VerifyStage};
use warroom::runbook::audit::read_since;
use warroom::runbook::{
    parse_runbook, Checks, Identity, Launcher, Order, Reading, RecordKind, Refusal, RunEvent,
    Submitted,
};
use warroom::update::update;

/// Guarded actions for `DemoDbCpuHigh`: `G` with two guards and a verify query, `O` with one
/// guard that may be overridden.
const GUARDED: &str = include_str!("fixtures/runbooks/guarded.md");

fn model() -> Model {
    let mut m = demo_model(90, 160, 48);
    m.runbooks.push(parse_runbook(Path::new("guarded.md"), GUARDED).unwrap());
    let alerts = m.visible_alerts();
    let a = alerts.iter().find(|a| a.rule == "DemoDbCpuHigh").expect("DemoDbCpuHigh listed");
    m.ui.alert_key = Some(a.key.clone());
    m
}

fn key(m: &mut Model, c: KeyCode, at: Instant) -> Vec<Effect> {
    update(m, Msg::Key { key: KeyEvent::new(c, KeyModifiers::NONE), at })
}

fn typed(m: &mut Model, text: &str, at: Instant) {
    for c in text.chars() {
        key(m, KeyCode::Char(c), at);
    }
}

fn holds(value: f64, needs: &str) -> Reading {
    Reading { holds: Some(true), value: Some(value), shown: format!("{value} (needs {needs})") }
}

fn fails(value: f64, needs: &str) -> Reading {
    Reading { holds: Some(false), value: Some(value), shown: format!("{value} (needs {needs})") }
}

/// The guard reads the effects ask for: (action, guard queries, last).
fn reads(effects: &[Effect]) -> Vec<(warroom::runbook::ActionId, Vec<String>, bool)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ReadGuards { action, guards, last, .. } => {
                Some((action.clone(), guards.iter().map(|g| g.query.clone()).collect(), *last))
            }
            _ => None,
        })
        .collect()
}

fn run_orders(effects: &[Effect]) -> Vec<(&warroom::runbook::Resolved, &Checks)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Action(Order::Run { resolved, checks, .. }) => {
                Some((resolved.as_ref(), checks))
            }
            _ => None,
        })
        .collect()
}

fn refusals(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Action(Order::Refused(r)) => Some(r.refusal.to_string()),
            _ => None,
        })
        .collect()
}

/// Opens the dialog of `k` and answers its first guard read with `readings`.
fn open(m: &mut Model, k: char, readings: Vec<Reading>) -> (Vec<Effect>, Instant) {
    let t0 = Instant::now();
    let effects = key(m, KeyCode::Char(k), t0);
    let asked = reads(&effects);
    assert_eq!(asked.len(), 1, "one read of the guards as the dialog opens");
    let (action, _, last) = asked[0].clone();
    assert!(!last);
    let answered = update(m, Msg::GuardsRead { action, readings, last: false });
    (answered, t0 + Duration::from_secs(1))
}

fn confirmation(m: &Model) -> &warroom::model::Confirmation {
    match &m.ui.overlay {
        Overlay::Confirm(c) => c,
        other => panic!("no confirm dialog: {other:?}"),
    }
}

#[test]
fn guards_are_read_as_the_dialog_opens_and_once_more_before_it_runs() {
    let mut m = model();
    let t0 = Instant::now();
    let effects = key(&mut m, KeyCode::Char('G'), t0);
    let asked = reads(&effects);
    assert_eq!(asked.len(), 1);
    let (action, queries, _) = asked[0].clone();
    let instance = &confirmation(&m).resolved.target;
    assert_eq!(
        queries[0],
        format!("max(pg_replication_lag_seconds{{instance=\"{instance}\"}}) < 5"),
        "the alert's label is filled in"
    );
    assert!(confirmation(&m).guards.is_none(), "still reading");

    // Confirming before the values are there does nothing.
    let later = t0 + Duration::from_secs(1);
    let early = key(&mut m, KeyCode::Char('y'), later);
    assert!(run_orders(&early).is_empty() && reads(&early).is_empty());
    assert!(m.flash.as_ref().unwrap().0.contains("still being read"));

    let readings = vec![holds(0.4, "< 5"), holds(98.0, "> 95")];
    update(&mut m, Msg::GuardsRead { action: action.clone(), readings, last: false });
    assert_eq!(confirmation(&m).guards.as_ref().map(Vec::len), Some(2));

    // Yes: the guards are read once more; nothing runs yet, and more keys change nothing.
    let effects = key(&mut m, KeyCode::Char('y'), later);
    assert!(run_orders(&effects).is_empty());
    assert_eq!(reads(&effects).iter().map(|r| r.2).collect::<Vec<_>>(), [true]);
    assert!(confirmation(&m).confirming);
    assert!(run_orders(&key(&mut m, KeyCode::Char('y'), later)).is_empty());

    // A first-read answer arriving late is not the last reading.
    let stale = Msg::GuardsRead { action: action.clone(), readings: vec![], last: false };
    assert!(update(&mut m, stale).is_empty());

    let last = vec![holds(0.5, "< 5"), holds(97.0, "> 95")];
    let effects = update(&mut m, Msg::GuardsRead { action, readings: last.clone(), last: true });
    let runs = run_orders(&effects);
    assert_eq!(runs.len(), 1, "runs once the last reading holds");
    assert_eq!(runs[0].1, &Checks { readings: last, overridden: false });
    assert!(matches!(m.ui.overlay, Overlay::None));
    assert_eq!(m.runs.latest().unwrap().checks.readings.len(), 2);
}

#[test]
fn a_failing_guard_refuses_and_the_refusal_is_audited() {
    let state = tempfile::tempdir().unwrap();
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    let mut m = model();
    let (effects, later) = open(&mut m, 'G', vec![fails(12.0, "< 5"), holds(98.0, "> 95")]);
    let refused = refusals(&effects);
    assert_eq!(refused, ["guard does not hold: replica must be in sync: 12 (needs < 5)"]);
    for e in effects {
        if let Effect::Action(order) = e {
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            assert!(matches!(launcher.submit(order, tx), Submitted::Recorded));
        }
    }
    // The dialog stays to show why; yes runs nothing and records nothing more.
    assert!(confirmation(&m).guard_failed());
    let effects = key(&mut m, KeyCode::Char('y'), later);
    assert!(run_orders(&effects).is_empty() && refusals(&effects).is_empty());
    assert!(reads(&effects).is_empty(), "no second reading for a refused action");
    key(&mut m, KeyCode::Esc, later);
    assert!(matches!(m.ui.overlay, Overlay::None));

    let (records, _) = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, RecordKind::Refused);
    assert!(records[0].reason.as_deref().unwrap().contains("replica must be in sync: 12"));
}

#[test]
fn a_guard_that_stops_holding_by_the_last_reading_refuses() {
    let mut m = model();
    let (_, later) = open(&mut m, 'G', vec![holds(1.0, "< 5"), holds(98.0, "> 95")]);
    let effects = key(&mut m, KeyCode::Char('y'), later);
    let (action, _, _) = reads(&effects)[0].clone();
    let last = vec![holds(1.0, "< 5"), Reading::unknown("connection refused")];
    let effects = update(&mut m, Msg::GuardsRead { action, readings: last, last: true });
    assert!(run_orders(&effects).is_empty());
    assert_eq!(
        refusals(&effects),
        ["guard does not hold: CPU above 95 % for 5 minutes: cannot check: connection refused"]
    );
    assert!(!confirmation(&m).confirming);
}

#[test]
fn the_override_is_typed_and_audited() {
    let state = tempfile::tempdir().unwrap();
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    let mut m = model();
    let (effects, later) = open(&mut m, 'O', vec![fails(30.0, "< 5")]);
    assert_eq!(refusals(&effects).len(), 1, "the failing reading is a refusal on record");
    assert_eq!(confirmation(&m).override_text().as_deref(), Some("override"));
    // y is a letter of the override here, not a yes.
    assert!(run_orders(&key(&mut m, KeyCode::Char('y'), later)).is_empty());
    assert!(run_orders(&key(&mut m, KeyCode::Enter, later)).is_empty(), "'y' is not the override");
    key(&mut m, KeyCode::Backspace, later);
    typed(&mut m, "override", later);
    let effects = key(&mut m, KeyCode::Enter, later);
    let runs = run_orders(&effects);
    assert_eq!(runs.len(), 1);
    assert!(runs[0].1.overridden);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for e in effects {
        if let Effect::Action(order) = e {
            assert!(matches!(launcher.submit(order, tx.clone()), Submitted::Started(_)));
        }
    }
    rt.block_on(async {
        while let Some(ev) = rx.recv().await {
            if matches!(ev, RunEvent::Finished { .. }) {
                break;
            }
        }
    });
    let (records, _) = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH);
    let started = records.iter().find(|r| r.kind == RecordKind::Started).expect("started");
    assert!(started.guard_override);
    assert_eq!(started.guards.len(), 1);
    assert_eq!(started.guards[0].holds, Some(false));
    assert_eq!(started.guards[0].read, "30 (needs < 5)");
}

#[test]
fn the_launcher_refuses_a_guarded_action_whose_guards_were_not_read_or_failed() {
    let state = tempfile::tempdir().unwrap();
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    let mut m = model();
    key(&mut m, KeyCode::Char('G'), Instant::now());
    let c = confirmation(&m).clone();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let cases = [
        (Checks::default(), "the guards were not read before the run"),
        (
            Checks { readings: vec![holds(1.0, "< 5"), fails(50.0, "> 95")], overridden: true },
            "CPU above 95 % for 5 minutes: 50 (needs > 95)",
        ),
    ];
    for (checks, why) in cases {
        let order = Order::Run {
            run_id: 7,
            action: Box::new(c.action.clone()),
            resolved: Box::new(c.resolved.clone()),
            checks,
        };
        match launcher.submit(order, tx.clone()) {
            Submitted::NotStarted { refusal: Refusal::Guard(text), .. } => assert_eq!(text, why),
            other => panic!("{other:?}"),
        }
    }
}

/// Runs `G` with holding guards up to the launch; returns the run id and the effects.
fn launched(m: &mut Model) -> (u64, Vec<Effect>) {
    let (_, later) = open(m, 'G', vec![holds(1.0, "< 5"), holds(98.0, "> 95")]);
    let effects = key(m, KeyCode::Char('y'), later);
    let (action, _, _) = reads(&effects)[0].clone();
    let last = vec![holds(1.0, "< 5"), holds(98.0, "> 95")];
    let effects = update(m, Msg::GuardsRead { action, readings: last, last: true });
    (m.runs.latest().unwrap().id, effects)
}

fn verifies(effects: &[Effect]) -> Vec<(String, Option<Duration>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Verify { verify, watch, .. } => {
                Some((verify.query.clone(), watch.then_some(verify.within)))
            }
            _ => None,
        })
        .collect()
}

fn finish(m: &mut Model, run_id: u64) -> Vec<Effect> {
    let outcome = warroom::runbook::Outcome::Exited(0);
    update(m, Msg::Run(RunEvent::Finished { run_id, outcome, duration: Duration::from_secs(1) }))
}

fn reading(m: &mut Model, run_id: u64, r: Reading, stage: VerifyStage) -> Vec<Effect> {
    update(m, Msg::VerifyRead { run_id, reading: r, stage })
}

#[test]
fn a_run_that_moves_the_verify_query_is_marked_effective_everywhere() {
    let state = tempfile::tempdir().unwrap();
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    let mut m = model();
    let (id, effects) = launched(&mut m);
    // The value before, read as the run starts: asked before the launcher gets the order.
    let at = |want: fn(&Effect) -> bool| effects.iter().position(want).unwrap();
    assert!(at(|e| matches!(e, Effect::Verify { .. })) < at(|e| matches!(e, Effect::Action(_))));
    assert_eq!(verifies(&effects), [("max(db_cpu_percent) < 80".to_owned(), None)]);
    reading(&mut m, id, fails(98.0, "< 80"), VerifyStage::Before);

    let effects = finish(&mut m, id);
    assert_eq!(
        verifies(&effects),
        [("max(db_cpu_percent) < 80".to_owned(), Some(Duration::from_secs(120)))]
    );
    reading(&mut m, id, fails(93.0, "< 80"), VerifyStage::Watching);
    let watch = m.runs.latest().unwrap().verify.clone().unwrap();
    assert_eq!(watch.status(), "verifying max(db_cpu_percent) < 80: now 93 (needs < 80)");
    let done = VerifyStage::Done { elapsed: Duration::from_millis(40_300) };
    let effects = reading(&mut m, id, holds(71.0, "< 80"), done);
    let watch = m.runs.latest().unwrap().verify.clone().unwrap();
    assert_eq!(watch.status(), "✓ effective: 98% → 71% within 40s");
    assert!(m.flash.as_ref().unwrap().0.contains("effective: 98% → 71% within 40s"));
    // Later readings change nothing.
    assert!(reading(&mut m, id, fails(99.0, "< 80"), VerifyStage::Watching).is_empty());

    let orders: Vec<Order> = effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Action(o) => Some(o),
            _ => None,
        })
        .collect();
    assert_eq!(orders.len(), 1);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    for o in orders {
        assert!(matches!(launcher.submit(o, tx.clone()), Submitted::Recorded));
    }
    let (records, _) = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH);
    let v = records[0].verification.as_ref().expect("a verification record");
    assert_eq!(records[0].kind, RecordKind::Verified);
    assert_eq!(records[0].run_id, Some(id));
    assert!(v.effective);
    assert_eq!((v.before.as_deref(), v.after.as_str()), (Some("98%"), "71 (needs < 80)"));
    assert_eq!(v.after_ms, 40_300);

    let (entries, _) = warroom::cmd::timeline::collect(state.path(), chrono::DateTime::UNIX_EPOCH);
    let what: Vec<&str> = entries.iter().map(|e| e.what.as_str()).collect();
    assert!(
        what.iter().any(|w| w.starts_with("action effective: 98% → 71% within 40s: [G] Restart")),
        "{what:?}"
    );
}

#[test]
fn a_run_that_does_not_move_it_is_marked_not_effective() {
    let mut m = model();
    let (id, _) = launched(&mut m);
    reading(&mut m, id, fails(98.0, "< 80"), VerifyStage::Before);
    finish(&mut m, id);
    let done = VerifyStage::Done { elapsed: Duration::from_secs(120) };
    reading(&mut m, id, fails(97.0, "< 80"), done);
    let watch = m.runs.latest().unwrap().verify.clone().unwrap();
    assert_eq!(watch.status(), "✖ not effective: 98% → 97% (needs < 80) after 2m");
}

#[test]
fn a_run_that_never_started_is_not_verified() {
    let mut m = model();
    let (id, _) = launched(&mut m);
    let outcome = warroom::runbook::Outcome::FailedToStart("no such program".into());
    let ev = RunEvent::Finished { run_id: id, outcome, duration: Duration::ZERO };
    assert!(verifies(&update(&mut m, Msg::Run(ev))).is_empty());
    let (id, _) = launched(&mut m);
    update(&mut m, Msg::RunRefused { run_id: id, reason: "cooling down".into() });
    assert!(m.runs.latest().unwrap().verify.is_none());
}

#[test]
fn an_open_dialog_reads_its_guards_again_and_records_a_refusal_once() {
    let mut m = model();
    let (effects, _) = open(&mut m, 'G', vec![holds(1.0, "< 5"), holds(98.0, "> 95")]);
    assert!(refusals(&effects).is_empty());
    let tick = |m: &mut Model, secs: i64| {
        let now = m.now + chrono::Duration::seconds(secs);
        update(m, Msg::Tick(now))
    };
    assert!(reads(&tick(&mut m, 2)).is_empty(), "fresh values are not read again");
    let again = reads(&tick(&mut m, 4));
    assert_eq!(again.len(), 1, "read again once they are 5 s old");
    assert!(reads(&tick(&mut m, 1)).is_empty(), "one reading at a time");
    let action = again[0].0.clone();
    let answer = |m: &mut Model, readings: Vec<Reading>| {
        let effects = update(m, Msg::GuardsRead { action: action.clone(), readings, last: false });
        refusals(&effects).len()
    };
    assert_eq!(answer(&mut m, vec![holds(1.0, "< 5"), fails(80.0, "> 95")]), 1, "refused");
    reads(&tick(&mut m, 6));
    assert_eq!(answer(&mut m, vec![holds(1.0, "< 5"), fails(79.0, "> 95")]), 0, "still refused");
    assert_eq!(confirmation(&m).guards.as_ref().unwrap()[1].shown, "79 (needs > 95)");
    reads(&tick(&mut m, 6));
    assert_eq!(answer(&mut m, vec![holds(1.0, "< 5"), holds(97.0, "> 95")]), 0, "holds again");
    reads(&tick(&mut m, 6));
    assert_eq!(answer(&mut m, vec![holds(1.0, "< 5"), fails(70.0, "> 95")]), 1, "refused anew");
}
