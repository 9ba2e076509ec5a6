//! What the screen says of the team's announced actions, through `update` and `render` with
//! the announcements as messages (`team_actions.rs` reads them from a real Alertmanager pair):
//! another bastion's run in the runbook pane while it runs and once it ended, this warroom's
//! own announcements not shown twice, the confirm dialog saying whether the run will be
//! announced, and a run refused at the gate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::demo::demo_model;
use warroom::model::{Model, Overlay, Pane};
use warroom::msg::{Effect, Msg};
use warroom::pager::{Announcement, Finish, PagerMsg, TeamState};
use warroom::prom::PromError;
use warroom::runbook::{parse_runbook, Order, Outcome, Refusal, RunEvent};
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

const GUARDED: &str = include_str!("fixtures/runbooks/guarded.md");
const OWN: &str = "bastion-1:4242:1700000000000:";

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, h, m, s).unwrap()
}

/// The demo with the guarded runbook, `DemoDbCpuHigh` selected, a team configured.
fn model() -> (Model, String) {
    let mut m = demo_model(90, 220, 48);
    m.runbooks.push(parse_runbook(Path::new("guarded.md"), GUARDED).unwrap());
    let alerts = m.visible_alerts();
    let a = alerts.iter().find(|a| a.rule == "DemoDbCpuHigh").expect("DemoDbCpuHigh listed");
    let instance = a.labels.get("instance").cloned().expect("an instance label");
    m.ui.alert_key = Some(a.key.clone());
    m.utc_offset = chrono::FixedOffset::east_opt(0).unwrap();
    m.pager.team = Some(TeamState { own_prefix: OWN.into(), ..Default::default() });
    (m, instance)
}

fn announcement(run: &str, user: &str, host: &str, target: &str) -> Announcement {
    Announcement {
        run: run.into(),
        runbook: "guarded".into(),
        key: "G".into(),
        label: "Restart the database".into(),
        target: target.into(),
        environment: "demo".into(),
        user: user.into(),
        host: host.into(),
        since: at(1, 2, 10),
        claimed: Some(at(1, 2, 10)),
        ends: at(1, 3, 10),
        finished: None,
    }
}

fn frame(m: &Model) -> String {
    // Wide enough for the runbook pane to hold an announcement on one line.
    let mut t = Terminal::new(TestBackend::new(220, 48)).unwrap();
    t.draw(|f| warroom::ui::render(m, &Theme::default(), f)).unwrap();
    buffer_text(t.backend().buffer())
}

fn key(m: &mut Model, c: KeyCode, at: Instant) -> Vec<Effect> {
    update(m, Msg::Key { key: KeyEvent::new(c, KeyModifiers::NONE), at })
}

fn team(m: &mut Model, at: DateTime<Utc>, result: Result<Vec<Announcement>, PromError>) {
    update(m, Msg::Pager(PagerMsg::Team { at, result }));
}

#[test]
fn another_bastions_run_shows_in_the_runbook_pane_and_its_end_stays_a_while() {
    let (mut m, instance) = model();
    m.now = at(1, 2, 30);
    m.ui.pane = Pane::Runbook;
    let others = announcement("bastion-2:77:1:3", "alice", "bastion-2", &instance);
    let mine = announcement(&format!("{OWN}1"), "me", "bastion-1", &instance);
    let elsewhere = announcement("bastion-3:1:1:1", "carol", "bastion-3", "another-db");
    team(&mut m, at(1, 2, 30), Ok(vec![others.clone(), mine, elsewhere]));
    let screen = frame(&m);
    let line = format!(
        "⚑ alice is running Restart the database on {instance} from bastion-2 since 01:02:10"
    );
    assert!(screen.contains(&line), "{screen}");
    assert!(!screen.contains("me is running"), "its own run is shown once, as its run:\n{screen}");
    assert!(!screen.contains("carol"), "another target is another action:\n{screen}");
    // The alert's row says who is on it, and the charts mark when the run started.
    let row = |screen: &str| {
        let rows = screen.lines().map(|l| l.split("││").next().unwrap_or(l).to_owned());
        rows.filter(|l| l.contains("DemoDbCpuHigh")).collect::<Vec<_>>().join("\n")
    };
    assert!(row(&screen).contains("⚑ alice DemoDbCpuHigh"), "{screen}");
    let charts = |screen: &str| screen.lines().take(12).collect::<Vec<_>>().join("\n");
    let mut unmarked = m.clone();
    unmarked.pager.team = Some(TeamState { own_prefix: OWN.into(), ..Default::default() });
    assert_ne!(charts(&screen), charts(&frame(&unmarked)), "a mark where alice's run started");

    let done = Finish { outcome: "exit 0".into(), took: Duration::from_millis(3200) };
    let ended = Announcement { finished: Some(done), ends: at(1, 2, 14), ..others };
    team(&mut m, at(1, 2, 40), Ok(vec![ended.clone()]));
    let line =
        format!("⚑ alice ran Restart the database on {instance} from bastion-2: exit 0, 3 s");
    assert!(frame(&m).contains(&line), "{}", frame(&m));
    assert!(!row(&frame(&m)).contains("⚑ alice"), "the row's tag goes when the run ends");
    // Ten minutes after its end it is gone.
    team(&mut m, at(1, 12, 15), Ok(vec![ended]));
    assert!(!frame(&m).contains("alice ran"), "{}", frame(&m));
}

#[test]
fn the_dialog_says_whether_the_run_will_be_announced() {
    let (mut m, _) = model();
    team(&mut m, at(1, 2, 0), Ok(Vec::new()));
    key(&mut m, KeyCode::Char('G'), Instant::now());
    assert!(frame(&m).contains("team    announced to the team through Alertmanager"));
    key(&mut m, KeyCode::Esc, Instant::now() + Duration::from_secs(1));

    team(&mut m, at(1, 2, 5), Err(PromError::Network("connection refused".into())));
    key(&mut m, KeyCode::Char('G'), Instant::now());
    let Overlay::Confirm(c) = &m.ui.overlay else { panic!("no dialog") };
    assert_eq!(c.announce.as_deref(), Some("not announced: Alertmanager unreachable"));
    assert!(frame(&m).contains("team    not announced: Alertmanager unreachable"), "{}", frame(&m));
}

#[test]
fn a_run_refused_at_the_gate_says_who_was_first_and_is_not_verified() {
    let (mut m, _) = model();
    let t0 = Instant::now();
    key(&mut m, KeyCode::Char('O'), t0);
    let Overlay::Confirm(c) = &mut m.ui.overlay else { panic!("no dialog") };
    // Guards read and holding: confirming starts it.
    c.guards = Some(vec![warroom::runbook::Reading {
        holds: Some(true),
        value: Some(1.0),
        shown: "1 (needs < 5)".into(),
    }]);
    let effects = key(&mut m, KeyCode::Char('y'), t0 + Duration::from_secs(1));
    let effects = if effects.iter().any(|e| matches!(e, Effect::ReadGuards { .. })) {
        let Overlay::Confirm(c) = &m.ui.overlay else { panic!("no dialog") };
        let action = c.action_id();
        let readings = c.guards.clone().unwrap();
        update(&mut m, Msg::GuardsRead { action, readings, last: true })
    } else {
        effects
    };
    let run_id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Action(Order::Run { run_id, .. }) => Some(*run_id),
            _ => None,
        })
        .expect("handed to the launcher");
    let why = "bob is running Restart the database on db-1 from bastion-2 since 01:02:10";
    let outcome = Outcome::Refused(Refusal::Elsewhere(why.into()));
    let duration = Duration::ZERO;
    update(&mut m, Msg::Run(RunEvent::Finished { run_id, outcome, duration }));
    let run = m.runs.get(run_id).unwrap();
    assert_eq!(run.refused.as_deref(), Some(&*format!("already running elsewhere: {why}")));
    assert!(run.verify.is_none());
    let flash = m.flash.as_ref().map(|(t, _)| t.as_str()).unwrap_or_default();
    assert!(flash.contains("not run: already running elsewhere: bob is running"), "{flash}");
}

#[test]
fn which_runs_are_announced() {
    let text = r#"+++
id = "rb"
title = "Rb"
alerts = ["A"]

[[actions]]
key = "l"
label = "Look at the sessions"
argv = ["true"]
confirm = "none"
dry_run = ["true"]

[[actions]]
key = "L"
label = "Look, announced"
argv = ["true"]
confirm = "none"
announce = true

[[actions]]
key = "k"
label = "Kill, quietly"
argv = ["true"]
announce = false

[[actions]]
key = "t"
label = "Terminate"
argv = ["true"]
dry_run = ["true"]
+++
body
"#;
    let rb = parse_runbook(Path::new("rb.md"), text).unwrap();
    let ctx = warroom::runbook::Context::default();
    let announced = |k: char, mode| {
        let action = rb.action(k).unwrap();
        warroom::runbook::prepare(action, &ctx, mode).unwrap().announced
    };
    use warroom::runbook::Mode::{Confirmed, DryRun};
    assert!(!announced('l', Confirmed), "a look is not announced");
    assert!(announced('L', Confirmed), "unless it says announce = true");
    assert!(!announced('k', Confirmed), "announce = false keeps any action quiet");
    assert!(announced('t', Confirmed), "a confirmed action is");
    assert!(!announced('t', DryRun), "its dry run never is");
}
