//! Agreement with the pager, against the real servers: a real Prometheus evaluating a rules file
//! (its firing alert listed, marked as Prometheus's), and a real Alertmanager (a silence made
//! through the same path as `a` + Enter, listed back, shown on the alert, and honoured by
//! Alertmanager itself for the alert Prometheus sends it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::Value;
use support::{Alertmanager, Prometheus, PrometheusOpts, StaticExporter};
use tokio::sync::mpsc;
use warroom::alert::{AlertState, Event, Origin, Scope};
use warroom::config::{self, Overrides};
use warroom::model::{Focus, Model};
use warroom::msg::{Effect, Msg};
use warroom::pager::{api, create_silence, PagerMsg, PagerSetup, PagerTasks};
use warroom::prom::Client;
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

const RULES: &str = r#"
groups:
  - name: pager
    rules:
      - alert: PgDown
        expr: pg_up == 0
        labels:
          severity: critical
        annotations:
          summary: "postgres down for {{ $labels.datname }}"
"#;

/// The exporter's text: `pg_up` 0 for a database whose name holds an escape sequence.
const METRICS: &str = "# TYPE pg_up gauge\npg_up{datname=\"shop\u{1b}[2J\"} 0\n";

fn frame(m: &Model) -> String {
    let mut t = Terminal::new(TestBackend::new(150, 40)).unwrap();
    t.draw(|f| warroom::ui::render(m, &Theme::default(), f)).unwrap();
    buffer_text(t.backend().buffer())
}

fn key(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(m, Msg::Key { key: KeyEvent::new(code, KeyModifiers::NONE), at: Instant::now() })
}

/// Applies pager messages from `rx` until `done` holds or `timeout` passes.
async fn pump(
    m: &mut Model,
    rx: &mut mpsc::Receiver<Msg>,
    timeout: Duration,
    done: impl Fn(&Model) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while !done(m) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) => {
                update(m, Msg::Tick(chrono::Utc::now()));
                update(m, msg);
            }
            _ => return false,
        }
    }
    true
}

#[test]
fn prometheus_alerts_and_alertmanager_silences_agree_with_warroom() {
    let am = Alertmanager::start();
    let exporter = StaticExporter::start(METRICS);
    let prom = Prometheus::start(
        PrometheusOpts::scraping(exporter.target()).rule(RULES).alertmanager(am.url()),
    );
    let text = format!(
        "refresh = \"1s\"\n[[sources]]\nname = \"prod\"\nurl = \"{}\"\n\
         [alertmanager]\nurl = \"{}\"\ntimeout = \"3s\"\n",
        prom.url(),
        am.url()
    );
    let file = config::load_str(&text, "t.toml".as_ref(), &Overrides::default()).unwrap();
    let clients: Vec<Client> =
        file.config.sources.iter().map(|s| Client::new(s).unwrap()).collect();
    let setup = PagerSetup::new(&file.config, &clients).unwrap();
    let am_client = setup.alertmanager.clone().unwrap();
    let mut m = Model::new(&file.config, chrono::Utc::now());
    m.user = "ana".into();
    update(&mut m, Msg::Resize { width: 150, height: 40 });

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel(64);
        let _tasks = PagerTasks::start(&setup, warroom::poll::Outbox::new(tx, Msg::Pager));

        // 1. Prometheus's firing alert is listed, marked as Prometheus's, cleaned.
        let firing = |m: &Model| {
            m.visible_alerts().iter().any(|a| a.rule == "PgDown" && a.state == AlertState::Firing)
        };
        assert!(
            pump(&mut m, &mut rx, Duration::from_secs(30), firing).await,
            "PgDown never listed as firing; Prometheus says {:?}",
            prom.alerts()
        );
        let a = m.visible_alerts().remove(0);
        assert_eq!(a.origins, [Origin::Prometheus { source: "prod".into() }]);
        assert_eq!(a.key.scope, Scope::Prometheus);
        assert_eq!(&*a.summary, "postgres down for shop\\x1b[2J");
        let screen = frame(&m);
        assert!(screen.contains("!! CRIT FIRING   prom:prod PgDown shop\\x1b[2J"), "{screen}");
        assert!(!screen.contains('\u{1b}'));
        assert!(
            m.recent.iter().any(|e| matches!(e, Event::Transition { rule, to: AlertState::Firing, .. } if rule == "PgDown")),
            "the firing transition is in the history"
        );

        // 2. `a`, a note, Tab to 15 minutes, Enter: a silence request, carried out as app.rs does.
        m.ui.focus = Focus::Alerts;
        key(&mut m, KeyCode::Char('a'));
        for c in "failing over".chars() {
            key(&mut m, KeyCode::Char(c));
        }
        key(&mut m, KeyCode::Tab);
        let effects = key(&mut m, KeyCode::Enter);
        let request = effects
            .into_iter()
            .find_map(|e| match e {
                Effect::CreateSilence(r) => Some(*r),
                _ => None,
            })
            .expect("Enter asks for a silence");
        assert!(frame(&m).contains("SIL… prom:prod PgDown"));
        let outcome = create_silence(&am_client, request).await;
        let PagerMsg::SilenceCreated { result: Ok(id), .. } = &outcome else {
            panic!("Alertmanager refused the silence: {outcome:?}\n{}", am.tail_log(20));
        };
        let id = id.clone();
        let effects = update(&mut m, Msg::Pager(outcome));
        let recorded: Vec<&Event> = effects
            .iter()
            .flat_map(|e| match e {
                Effect::Record(ev) => ev.iter().collect(),
                _ => Vec::new(),
            })
            .collect();
        assert!(
            matches!(recorded[..], [Event::Ack { silence: Some(s), by, .. }] if *s == id && by == "ana"),
            "{recorded:?}"
        );

        // 3. Alertmanager lists it back as we made it.
        let listed = am.silences();
        let s = listed.iter().find(|s| s["id"] == id.as_str()).expect("listed");
        assert_eq!(s["status"]["state"], "active");
        assert_eq!(s["createdBy"], "ana");
        assert_eq!(s["comment"], "failing over");
        let mut matchers: Vec<String> = s["matchers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{}={}", m["name"].as_str().unwrap(), m["value"].as_str().unwrap()))
            .collect();
        matchers.sort();
        let instance = format!("instance={}", exporter.target());
        let matchers: Vec<String> =
            matchers.into_iter().map(|m| if m == instance { "instance=INSTANCE".into() } else { m }).collect();
        // No `severity`: the silence covers the row's warning and critical twins alike.
        assert_eq!(matchers, ["alertname=PgDown", "datname=shop\u{1b}[2J", "instance=INSTANCE", "job=exporter"]);
        let ends = chrono::DateTime::parse_from_rfc3339(s["endsAt"].as_str().unwrap()).unwrap();
        let left = ends.with_timezone(&chrono::Utc) - chrono::Utc::now();
        assert!((14..=15).contains(&left.num_minutes()), "15 minutes chosen, {left} left");

        // 4. warroom's own poll of silences shows the alert silenced: forget the silence made
        // locally, so only the listing can mark it again.
        m.pager.alertmanager.as_mut().unwrap().silences.clear();
        m.rebuild_alerts(); // the list is rebuilt by `update`; this edit went around it
        assert!(m.visible_alerts()[0].silence.is_none());
        let silenced = |m: &Model| m.visible_alerts().iter().any(|a| a.silence.is_some());
        assert!(pump(&mut m, &mut rx, Duration::from_secs(10), silenced).await);
        let screen = frame(&m);
        assert!(screen.contains("SIL prom:prod PgDown"), "{screen}");
        assert!(api::silences(&am_client).await.unwrap().iter().any(|s| s.id == id));

        // 5. Alertmanager itself agrees: the alert Prometheus sends it is suppressed by it.
        let deadline = Instant::now() + Duration::from_secs(20);
        let suppressed = support::wait_until(deadline, || {
            am.alerts().iter().any(|a| {
                a["labels"]["alertname"] == "PgDown"
                    && a["status"]["state"] == "suppressed"
                    && a["status"]["silencedBy"].as_array().is_some_and(|s| s.contains(&Value::from(id.as_str())))
            })
        });
        assert!(suppressed, "Alertmanager's alerts: {:?}", am.alerts());
    });

    // 6. `warroom snapshot` fetches both once: the alert, silenced, in the printed frame.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["snapshot", "--size", "150x30", "--config"])
        .arg(&config)
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("SIL prom:prod PgDown shop\\x1b[2J"), "{printed}");
    assert!(!printed.contains("q quit"), "no key hints in a shared frame: {printed}");
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert!(printed.lines().next().is_some_and(|l| l.contains(&today)), "{printed}");

    // 7. Alertmanager gone: the next silence fails, and the alert is acknowledged here instead.
    let mut am = am;
    am.kill();
    m.pager.alertmanager.as_mut().unwrap().silences.clear();
    key(&mut m, KeyCode::Char('a'));
    let effects = key(&mut m, KeyCode::Enter);
    let request = effects.into_iter().find_map(|e| match e {
        Effect::CreateSilence(r) => Some(*r),
        _ => None,
    });
    let outcome = rt.block_on(create_silence(&am_client, request.expect("a silence request")));
    assert!(matches!(&outcome, PagerMsg::SilenceCreated { result: Err(_), .. }), "{outcome:?}");
    update(&mut m, Msg::Pager(outcome));
    let screen = frame(&m);
    assert!(screen.contains("ACK prom:prod PgDown"), "{screen}");
    assert!(screen.contains("could not silence PgDown in Alertmanager"), "{screen}");
    drop(prom);
}
