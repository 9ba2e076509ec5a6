//! Runbook actions through `update`: key → confirm dialog → launch, the type-ahead guard,
//! read-only mode, typed-target confirmation and refusals. No terminal, no processes: the
//! effects say what would run, and the launcher they go to records every refusal.

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
use warroom::msg::{Effect, Msg};
use warroom::runbook::audit::read_since;
use warroom::runbook::{
    parse_runbook, Identity, Launcher, Order, RecordKind, Request, RunLock, Submitted,
};
use warroom::update::update;

fn model() -> Model {
    let mut m = demo_model(90, 160, 48);
    for (name, text) in warroom::setup::DEMO_RUNBOOKS {
        m.runbooks.push(parse_runbook(Path::new(name), text).unwrap());
    }
    select(&mut m, "DemoIdleInTransaction");
    m
}

fn select(m: &mut Model, rule: &str) {
    let alerts = m.visible_alerts();
    let a = alerts.iter().find(|a| a.rule == rule).unwrap_or_else(|| panic!("{rule} not listed"));
    m.ui.alert_key = Some(a.key.clone());
}

fn key_at(m: &mut Model, c: KeyCode, at: Instant) -> Vec<Effect> {
    update(m, Msg::Key { key: KeyEvent::new(c, KeyModifiers::NONE), at })
}

fn launches(effects: &[Effect]) -> Vec<&warroom::runbook::Resolved> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Action(Order::Run { resolved, .. }) => Some(resolved.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn key_opens_the_dialog_and_only_a_later_yes_runs() {
    let mut m = model();
    let t0 = Instant::now();
    let effects = key_at(&mut m, KeyCode::Char('t'), t0);
    assert!(launches(&effects).is_empty(), "nothing runs on the first key");
    let Overlay::Confirm(c) = &m.ui.overlay else { panic!("no confirm dialog") };
    assert!(c.resolved.display().contains("/-/demo/terminate-idle"), "{}", c.resolved.display());
    // Typed ahead in the same burst: ignored.
    assert!(launches(&key_at(&mut m, KeyCode::Char('y'), t0 + Duration::from_millis(5))).is_empty());
    assert!(launches(&key_at(&mut m, KeyCode::Enter, t0 + Duration::from_millis(50))).is_empty());
    assert!(matches!(m.ui.overlay, Overlay::Confirm(_)), "dialog still open");
    // A deliberate yes.
    let effects = key_at(&mut m, KeyCode::Char('y'), t0 + Duration::from_millis(600));
    let run = launches(&effects);
    assert_eq!(run.len(), 1);
    match &run[0].request {
        Request::Http { method, url, .. } => {
            assert_eq!(method, "POST");
            assert!(
                url.starts_with(&m.sources[0].url) && url.ends_with("/-/demo/terminate-idle"),
                "{url}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(m.ui.overlay, Overlay::None));
    assert_eq!(m.runs.list.len(), 1, "the run is shown in the output pane");
}

#[test]
fn escape_and_no_cancel() {
    let mut m = model();
    let t0 = Instant::now();
    key_at(&mut m, KeyCode::Char('t'), t0);
    let effects = key_at(&mut m, KeyCode::Esc, t0 + Duration::from_millis(1));
    assert!(launches(&effects).is_empty());
    assert!(matches!(m.ui.overlay, Overlay::None));
    key_at(&mut m, KeyCode::Char('t'), t0);
    key_at(&mut m, KeyCode::Char('n'), t0 + Duration::from_secs(1));
    assert!(matches!(m.ui.overlay, Overlay::None));
    assert!(m.runs.list.is_empty());
}

#[test]
fn read_only_goes_straight_to_the_launcher_which_denies() {
    let mut m = model();
    m.read_only = true;
    let effects = key_at(&mut m, KeyCode::Char('t'), Instant::now());
    assert!(matches!(m.ui.overlay, Overlay::None), "no dialog in read-only mode");
    assert_eq!(launches(&effects).len(), 1, "handed to the launcher, which records the denial");
    update(&mut m, Msg::RunRefused { run_id: 1, reason: "read-only mode".into() });
    assert!(m.flash.as_ref().unwrap().0.contains("read-only"));
    assert!(!m.runs.list[0].is_running());
}

const TYPED: &str = r#"+++
id = "typed"
title = "Typed"
alerts = ["DemoDbCpuHigh"]

[[actions]]
key = "R"
label = "Restart {{ labels.instance }}"
argv = ["/bin/echo", "restart", "{{ labels.instance }}"]
target = "{{ labels.instance }}"
confirm = "type-target"
dangerous = true
+++
body
"#;

#[test]
fn dangerous_actions_need_the_target_typed() {
    let mut m = model();
    m.runbooks.push(parse_runbook(Path::new("typed.md"), TYPED).unwrap());
    select(&mut m, "DemoDbCpuHigh");
    let t0 = Instant::now();
    key_at(&mut m, KeyCode::Char('R'), t0);
    let later = t0 + Duration::from_secs(1);
    assert!(launches(&key_at(&mut m, KeyCode::Char('y'), later)).is_empty(), "y is not enough");
    assert!(launches(&key_at(&mut m, KeyCode::Enter, later)).is_empty(), "wrong text");
    key_at(&mut m, KeyCode::Backspace, later);
    for c in "pg-main-1".chars() {
        key_at(&mut m, KeyCode::Char(c), later);
    }
    let run = key_at(&mut m, KeyCode::Enter, later);
    let run = launches(&run);
    assert_eq!(run.len(), 1);
    assert_eq!(
        run[0].request,
        Request::Argv(vec!["/bin/echo".into(), "restart".into(), "pg-main-1".into()])
    );
}

#[test]
fn hostile_label_values_are_refused_before_any_dialog() {
    let cfg = r#"
        [[sources]]
        name = "p"
        url = "http://127.0.0.1:9"
        [[panels]]
        title = "CPU"
        query = "cpu"
        kind = "table"
        [[alerts]]
        name = "DemoDbCpuHigh"
        panel = "cpu"
        critical = 90
    "#;
    let cfg = warroom::config::load_str(cfg, Path::new("t.toml"), &Default::default()).unwrap();
    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let mut m = Model::new(&cfg.config, now);
    m.runbooks.push(parse_runbook(Path::new("typed.md"), TYPED).unwrap());
    let labels: warroom::prom::Labels =
        [("instance".to_string(), "$(touch /tmp/pwned)".to_string())].into();
    let sample =
        warroom::prom::Sample { labels, point: warroom::prom::Point { t: 1.8e9, v: 99.0 } };
    let fetched = warroom::prom::Fetched {
        response: warroom::prom::QueryResponse {
            data: warroom::prom::QueryData::Vector(vec![sample]),
            warnings: vec![],
            partial: false,
        },
        rtt: Duration::from_millis(1),
        bytes: 0,
    };
    update(
        &mut m,
        Msg::Poll(Box::new(warroom::prom::poller::PollResult {
            query: 0,
            generation: 0,
            kind: warroom::prom::poller::FetchKind::Instant,
            at: now,
            start: 1.8e9,
            end: 1.8e9,
            step: Duration::from_secs(1),
            outcome: Ok(fetched),
        })),
    );
    assert_eq!(m.alert_list.firing, 1);
    let effects = key_at(&mut m, KeyCode::Char('R'), Instant::now());
    assert!(launches(&effects).is_empty());
    assert!(matches!(m.ui.overlay, Overlay::None), "no dialog for a refused action");
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Action(Order::Refused(_)))),
        "the refusal is audited"
    );
    assert!(m.flash.as_ref().unwrap().0.contains("refused"));
}

#[test]
fn unknown_keys_do_nothing() {
    let mut m = model();
    let effects = key_at(&mut m, KeyCode::Char('Z'), Instant::now());
    assert!(effects.is_empty());
    assert!(matches!(m.ui.overlay, Overlay::None));
}

const REFUSALS: &str = r#"+++
id = "refusals"
title = "Refusals"
alerts = ["DemoDbCpuHigh"]

[[actions]]
key = "M"
label = "Needs a label the alert lacks"
argv = ["/bin/echo", "{{ labels.nosuch }}"]

[[actions]]
key = "D"
label = "Its dry run needs a label the alert lacks"
argv = ["/bin/echo", "go"]
dry_run = ["/bin/echo", "{{ labels.nosuch }}"]

[[actions]]
key = "L"
label = "Restart {{ labels.instance }}"
argv = ["/bin/echo", "restart"]
target = "{{ labels.instance }}"
cooldown = "1m"
+++
body
"#;

/// Carries out the effects' orders as the dashboard's loop does; what came of each run order.
fn carry_out(launcher: &Launcher, effects: Vec<Effect>) -> Vec<Submitted> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Action(order) => Some(launcher.submit(order, tx.clone())),
            _ => None,
        })
        .filter(|s| !matches!(s, Submitted::Recorded))
        .collect()
}

#[test]
fn every_refusal_from_the_dashboard_reaches_the_audit_log() {
    let state = tempfile::tempdir().unwrap();
    let mut m = model();
    m.runbooks.push(parse_runbook(Path::new("refusals.md"), REFUSALS).unwrap());
    select(&mut m, "DemoDbCpuHigh");
    let launcher = Launcher::new(state.path(), Identity::default(), false);
    let later = Instant::now() + Duration::from_secs(1);

    // A template refusal: no dialog.
    assert!(carry_out(&launcher, key_at(&mut m, KeyCode::Char('M'), Instant::now())).is_empty());
    // A dry run's refusal: the dialog opens for the action itself; cancelled.
    assert!(carry_out(&launcher, key_at(&mut m, KeyCode::Char('D'), Instant::now())).is_empty());
    assert!(m.flash.as_ref().unwrap().0.contains("dry run refused"));
    key_at(&mut m, KeyCode::Esc, later);
    // The lock held by another warroom process on this host.
    let holder = RunLock::acquire(
        launcher.lock_dir(),
        "refusals",
        'L',
        "pg-main-1",
        Duration::from_secs(60),
        "bob",
    )
    .unwrap();
    key_at(&mut m, KeyCode::Char('L'), Instant::now());
    let out = carry_out(&launcher, key_at(&mut m, KeyCode::Char('y'), later));
    assert!(matches!(&out[..], [Submitted::NotStarted { .. }]), "{out:?}");
    // Its cooldown, once that run is over.
    holder.finish().unwrap();
    key_at(&mut m, KeyCode::Char('L'), Instant::now());
    let out = carry_out(&launcher, key_at(&mut m, KeyCode::Char('y'), later));
    assert!(matches!(&out[..], [Submitted::NotStarted { .. }]), "{out:?}");
    // Read-only mode.
    m.read_only = true;
    let read_only = Launcher::new(state.path(), Identity::default(), true);
    let out = carry_out(&read_only, key_at(&mut m, KeyCode::Char('L'), Instant::now()));
    assert!(matches!(&out[..], [Submitted::NotStarted { .. }]), "{out:?}");

    let log = read_since(launcher.audit_log().path(), chrono::DateTime::UNIX_EPOCH).0;
    let seen: Vec<(RecordKind, &str, &str, &str)> = log
        .iter()
        .map(|r| {
            let reason = r.reason.as_deref().unwrap_or("");
            let reason = reason.split([' ', ',']).next().unwrap_or("");
            (r.kind, r.action_key.as_str(), r.mode.as_str(), reason)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (RecordKind::Refused, "M", "confirmed", "the"),
            (RecordKind::Refused, "D", "dry-run", "the"),
            (RecordKind::Refused, "L", "confirmed", "already"),
            (RecordKind::Refused, "L", "confirmed", "cooling"),
            (RecordKind::Denied, "L", "confirmed", "read-only"),
        ],
        "{log:#?}"
    );
    assert!(log.iter().all(|r| r.kind != RecordKind::Started), "nothing ran");
}

const LONG: &str = r#"+++
id = "long"
title = "Long"
alerts = ["DemoDbCpuHigh"]

[[actions]]
key = "L"
label = "A command with many arguments"
argv = ["psql", "-X", "-w", "-v", "ON_ERROR_STOP=1", "-P", "pager=off", "-h", "db", "-p", "5432",
        "-U", "ops", "-d", "shop", "-c", "SELECT 1\nFROM a\nJOIN b ON true\nJOIN c ON true\nWHERE x\nAND y\nAND z\nORDER BY 1\nLIMIT 10", "--", "{{ labels.instance }}"]
target = "{{ labels.instance }}"
dangerous = true
+++
body
"#;

/// However long the command, the question stays on screen, at 80×24 too.
#[test]
fn a_long_command_never_pushes_the_question_out_of_the_dialog() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut m = model();
        update(&mut m, Msg::Resize { width: w, height: h });
        m.runbooks.push(parse_runbook(Path::new("long.md"), LONG).unwrap());
        select(&mut m, "DemoDbCpuHigh");
        key_at(&mut m, KeyCode::Char('L'), Instant::now());
        let Overlay::Confirm(c) = &m.ui.overlay else { panic!("no dialog") };
        assert_eq!(c.resolved.confirm, warroom::runbook::Confirm::TypeTarget, "dangerous: typed");
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        t.draw(|f| warroom::ui::render(&m, &warroom::theme::Theme::default(), f)).unwrap();
        let screen = warroom::snapshot::buffer_text(t.backend().buffer());
        assert!(screen.contains("and Enter to run"), "{w}x{h}:\n{screen}");
        assert!(screen.contains("type the target, Enter run"), "the footer says so:\n{screen}");
    }
}

/// During the environment's peak hours an action with `peak_confirm` asks for that level (here
/// the target typed instead of y/n), and the header says PEAK; outside them, its own level.
#[test]
fn peak_hours_ask_for_the_peak_confirmation() {
    let text = r#"+++
id = "peak-test"
title = "Peak test"
alerts = ["DemoIdleInTransaction"]

[[actions]]
key = "u"
label = "Restart the pooler"
argv = ["true"]
confirm = "yes-no"
peak_confirm = "type-target"
target = "pooler"
+++
# Peak test
"#;
    let open_level = |peak: &[&str]| {
        let mut m = model();
        m.runbooks.push(parse_runbook(Path::new("peak-test.md"), text).unwrap());
        let windows: Vec<String> = peak.iter().map(|s| s.to_string()).collect();
        m.env.peak = warroom::peak::PeakHours::parse(&windows, Some("UTC")).unwrap();
        key_at(&mut m, KeyCode::Char('u'), Instant::now());
        let Overlay::Confirm(c) = &m.ui.overlay else { panic!("no confirm dialog: {:?}", m.flash) };
        let level = c.resolved.confirm;
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
        t.draw(|f| warroom::ui::render(&m, &warroom::theme::Theme::default(), f)).unwrap();
        let header = warroom::snapshot::buffer_text(t.backend().buffer());
        let header = header.lines().next().unwrap_or_default().to_string();
        (level, header)
    };
    let (level, header) = open_level(&["00:00-24:00"]);
    assert_eq!(level, warroom::runbook::Confirm::TypeTarget);
    assert!(header.contains(" PEAK "), "{header}");
    let (level, header) = open_level(&[]);
    assert_eq!(level, warroom::runbook::Confirm::YesNo);
    assert!(!header.contains("PEAK"), "{header}");
}
