//! A source's bearer token and basic-auth password never reach the screen, the log or an error,
//! even when a broken server or proxy echoes them back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod fake;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use fake::{Fake, Reply};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::{mpsc, watch, Semaphore};
use warroom::config::{Config, SourceSpec};
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::pager::PagerMsg;
use warroom::prom::poller::Pollers;
use warroom::prom::Client;
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

const TOKEN: &str = "tok-9f8e7d6c5b4a";
const PASSWORD: &str = "pw-hunter2-secret";

/// Everything that must never be shown: the secrets and their encodings on the wire.
fn leaked(text: &str) -> Option<&'static str> {
    // base64("ops:pw-hunter2-secret")
    const BASIC: &str = "b3BzOnB3LWh1bnRlcjItc2VjcmV0";
    [TOKEN, PASSWORD, BASIC].into_iter().find(|s| text.contains(s))
}

/// Replies of a server that echoes the credentials it was sent, in every place it can.
fn echoing_replies() -> Vec<Reply> {
    let echo =
        format!("Authorization: Bearer {TOKEN} / Basic b3BzOnB3LWh1bnRlcjItc2VjcmV0 / {PASSWORD}");
    vec![
        Reply::Send(502, "text/html", format!("<html><h1>502</h1><pre>{echo}</pre></html>")),
        Reply::Send(
            400,
            "application/json",
            format!(r#"{{"status":"error","errorType":"bad_data","error":"{echo}"}}"#),
        ),
        Reply::Send(401, "text/plain", format!("bad credentials: {echo}")),
        Reply::Send(200, "application/json", format!("not json {echo}")),
        Reply::Send(
            200,
            "application/json",
            format!(
                r#"{{"status":"success","warnings":["{echo}"],"data":{{"resultType":"vector","result":[]}}}}"#
            ),
        ),
    ]
}

fn token_file() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(f, "{TOKEN}").expect("write token");
    f
}

fn source(url: &str, token: &std::path::Path) -> SourceSpec {
    std::env::set_var("WARROOM_SECRETS_TEST_PW", PASSWORD);
    toml::from_str(&format!(
        "name = \"prom\"\nurl = \"{url}\"\ntimeout = \"1s\"\nbearer_token_file = {token:?}\n\
         headers = {{ X-Api-Key = \"{TOKEN}\" }}\n\
         basic_auth = {{ username = \"ops\", password_env = \"WARROOM_SECRETS_TEST_PW\" }}\n"
    ))
    .expect("source spec")
}

#[tokio::test]
async fn errors_and_debug_output_hold_no_secret() {
    let token = token_file();
    let f = Fake::start(Reply::Stall).await;
    let client = Client::new(&source(&f.url(), token.path())).expect("client");
    assert_eq!(leaked(&format!("{client:?}")), None, "{client:?}");

    for reply in echoing_replies() {
        f.set(reply.clone());
        let text = match client.query("up", None).await {
            Err(e) => format!("{e:?} {e}"),
            Ok(fetched) => {
                format!("{:?} {}", fetched.response, fetched.response.warnings.join(" "))
            }
        };
        assert_eq!(leaked(&text), None, "{reply:?} gave {text}");
    }
    let sent = f.requests.lock().expect("requests").join("\n");
    assert!(sent.contains(TOKEN) || sent.contains("b3BzOnB3"), "credentials were sent");

    // A stall (timeout) and a closed port (network error).
    f.set(Reply::Stall);
    let e = client.with_timeout(Duration::from_millis(200)).query("up", None).await.unwrap_err();
    assert_eq!(leaked(&format!("{e:?}")), None);
    let dead = Client::new(&source("http://127.0.0.1:9", token.path())).expect("client");
    let e = dead.query("up", None).await.unwrap_err();
    assert_eq!(leaked(&format!("{e:?} {e}")), None, "{e:?}");

    // A password in the URL's user info stays out of Debug output and errors too.
    let in_url = format!("http://ops:{PASSWORD}@127.0.0.1:9");
    let url_client = Client::new(&source(&in_url, token.path())).expect("client");
    assert_eq!(leaked(&format!("{url_client:?}")), None, "{url_client:?}");
    let e = url_client.query("up", None).await.unwrap_err();
    assert_eq!(leaked(&format!("{e:?} {e}")), None, "{e:?}");
}

/// A `Write` into a shared buffer, for the log subscriber.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_screen_the_log_and_the_source_state_hold_no_secret() {
    let token = token_file();
    let f = Fake::start(echoing_replies()[0].clone()).await;
    let log = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .finish();
    // Current-thread runtime: the pollers run on this thread, under this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let spec = source(&f.url(), token.path());
    let mut config: Config = toml::from_str(
        "refresh = \"250ms\"\n[[panels]]\ntitle = \"CPU\"\nquery = \"up\"\n\
         [[panels]]\ntitle = \"Conns\"\nkind = \"bars\"\nquery = \"up\"\n",
    )
    .expect("config");
    config.sources = vec![spec.clone()];
    let mut model = Model::new(&config, Utc::now());
    let clients = vec![Client::new(&spec).expect("client")];
    let caps = vec![Arc::new(Semaphore::new(2))];
    let (_window_tx, window_rx) = watch::channel(model.window);
    let (tx, mut rx) = mpsc::channel(64);
    let mut pollers = Pollers::start(model.query_specs(), &clients, &caps, window_rx, tx, |r| {
        Msg::Poll(Box::new(r))
    });

    let mut screens = String::new();
    for reply in echoing_replies().into_iter().cycle().take(6) {
        f.set(reply);
        let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await else {
            panic!("no poll result");
        };
        update(&mut model, Msg::Tick(Utc::now()));
        update(&mut model, msg);
        let mut t = Terminal::new(TestBackend::new(120, 30)).expect("terminal");
        t.draw(|fr| warroom::ui::render(&model, &Theme::default(), fr)).expect("draw");
        screens.push_str(&buffer_text(t.backend().buffer()));
        screens.push_str(&format!("{:?}", model.sources));
    }
    pollers.stop();
    assert!(screens.contains("bad_data") || screens.contains("http 502"), "{screens}");
    assert_eq!(leaked(&screens), None, "{screens}");
    let log = String::from_utf8_lossy(&log.0.lock().expect("log")).into_owned();
    assert!(log.contains("query failed"), "the failures were logged: {log}");
    assert_eq!(leaked(&log), None, "{log}");
}

/// Error answers of a server that echoes the request it got, credentials included, in the
/// places the pager reads: a plain 500, Prometheus's and Alertmanager's error JSON, an HTML
/// page sent as a success.
fn echoing_errors() -> Vec<Reply> {
    vec![
        Reply::Echo(500, "text/plain", "internal error; you sent: {request}".into()),
        Reply::Echo(
            400,
            "application/json",
            r#"{"status":"error","errorType":"bad_data","error":"bad request: {request}"}"#.into(),
        ),
        Reply::Echo(400, "application/json", r#"{"code":400,"message":"{request}"}"#.into()),
        Reply::Echo(200, "text/html", "<pre>{request}</pre>".into()),
    ]
}

fn frame(model: &Model) -> String {
    let mut t = Terminal::new(TestBackend::new(160, 40)).expect("terminal");
    t.draw(|fr| warroom::ui::render(model, &Theme::default(), fr)).expect("draw");
    buffer_text(t.backend().buffer())
}

#[tokio::test]
async fn prometheus_alerts_errors_hold_no_secret_in_the_alerts_pane() {
    let token = token_file();
    let f = Fake::start(Reply::Stall).await;
    let spec = source(&f.url(), token.path());
    let client = Client::new(&spec).expect("client");
    let mut config: Config = toml::from_str("").expect("config");
    config.sources = vec![spec];
    let mut model = Model::new(&config, Utc::now());
    for reply in echoing_errors() {
        f.set(reply.clone());
        let result = warroom::pager::api::prom_alerts(&client).await;
        let e = result.as_ref().expect_err("an error");
        let text = format!("{e:?} {e}");
        assert_eq!(leaked(&text), None, "{reply:?} gave {text}");
        update(&mut model, Msg::Pager(PagerMsg::PromAlerts { source: 0, at: Utc::now(), result }));
        let screen = frame(&model);
        assert!(screen.contains("alerts of prom"), "the error is shown: {screen}");
        assert_eq!(leaked(&screen), None, "{screen}");
    }
    let sent = f.requests.lock().expect("requests").join("\n");
    assert!(sent.contains(TOKEN), "the X-Api-Key was sent (and echoed)");
}

#[tokio::test]
async fn a_refused_silence_holds_no_secret_in_notice_history_or_timeline() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use warroom::alert::{Event, HistoryLog, HISTORY_FILE};
    use warroom::msg::Effect;
    use warroom::pager::{PromAlert, PromState};

    std::env::set_var("WARROOM_SECRETS_TEST_AM", TOKEN);
    let f = Fake::start(echoing_errors()[0].clone()).await;
    let text = format!(
        "refresh = \"1s\"\n[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\n\
         [alertmanager]\nurl = \"{}\"\ntimeout = \"2s\"\n\
         bearer_token_env = \"WARROOM_SECRETS_TEST_AM\"\nheaders = {{ X-Api-Key = \"{TOKEN}\" }}\n",
        f.url()
    );
    let file = warroom::config::load_str(&text, "t.toml".as_ref(), &Default::default())
        .expect("valid config");
    let am =
        Client::new(&file.config.alertmanager.as_ref().expect("am").as_source()).expect("client");
    let state = tempfile::tempdir().expect("state dir");
    let mut history = HistoryLog::open(state.path().join(HISTORY_FILE)).expect("history");

    for reply in echoing_errors() {
        f.set(reply.clone());
        let mut m = Model::new(&file.config, Utc::now());
        update(&mut m, Msg::Resize { width: 160, height: 40 });
        let alert = PromAlert {
            labels: [("alertname", "PgDown"), ("severity", "critical")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: Default::default(),
            state: PromState::Firing,
            active_at: Some(Utc::now()),
            value: 0.0,
        };
        let at = Utc::now();
        update(&mut m, Msg::Pager(PagerMsg::PromAlerts { source: 0, at, result: Ok(vec![alert]) }));
        m.ui.focus = warroom::model::Focus::Alerts;
        let key = |code| Msg::Key {
            key: KeyEvent::new(code, KeyModifiers::NONE),
            at: std::time::Instant::now(),
        };
        update(&mut m, key(KeyCode::Char('a')));
        let effects = update(&mut m, key(KeyCode::Enter));
        let request = effects
            .into_iter()
            .find_map(|e| match e {
                Effect::CreateSilence(r) => Some(*r),
                _ => None,
            })
            .expect("a silence is asked for");
        let msg = warroom::pager::create_silence(&am, request).await;
        let PagerMsg::SilenceCreated { result: Err(e), .. } = &msg else {
            panic!("{reply:?}: the silence was not refused: {msg:?}");
        };
        assert_eq!(leaked(&format!("{e:?} {e}")), None, "{reply:?} gave {e}");
        let events: Vec<Event> = update(&mut m, Msg::Pager(msg))
            .into_iter()
            .flat_map(|e| match e {
                Effect::Record(events) => events,
                _ => Vec::new(),
            })
            .collect();
        let notice = m.pager.notice.as_ref().map(|n| n.text.clone()).unwrap_or_default();
        assert!(notice.contains("could not silence PgDown"), "{notice}");
        assert_eq!(leaked(&notice), None, "{notice}");
        let notes = format!("{events:?}");
        assert!(notes.contains("not silenced in Alertmanager"), "{notes}");
        assert_eq!(leaked(&notes), None, "{notes}");
        let screen = frame(&m);
        assert_eq!(leaked(&screen), None, "{screen}");
        history.append_all(events.iter()).expect("append");
    }
    let since = Utc::now() - chrono::Duration::hours(1);
    let (entries, warnings) = warroom::cmd::timeline::collect(state.path(), since);
    assert!(warnings.is_empty(), "{warnings:?}");
    let timeline = warroom::cmd::timeline::markdown(&entries, "test", since);
    assert!(timeline.contains("not silenced in Alertmanager"), "{timeline}");
    assert_eq!(leaked(&timeline), None, "{timeline}");
    assert_eq!(leaked(&warroom::cmd::timeline::json(&entries)), None);
    let sent = f.requests.lock().expect("requests").join("\n");
    assert!(sent.contains(TOKEN), "the credentials were sent (and echoed)");
}

const OK_VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

#[tokio::test]
async fn redirects_to_another_origin_are_refused_and_carry_no_credentials() {
    let token = token_file();
    // Another origin: the same host on another port.
    let elsewhere = Fake::start(Reply::Send(200, "application/json", OK_VECTOR.into())).await;
    let redirect = |status: u16, to: String| {
        Reply::Headers(status, format!("location: {to}\r\ncontent-type: text/plain\r\n"), "".into())
    };
    let f = Fake::start(redirect(302, format!("{}/api/v1/query", elsewhere.url()))).await;
    let client = Client::new(&source(&f.url(), token.path())).expect("client");
    for status in [301, 302, 303, 307, 308] {
        f.set(redirect(status, format!("{}/api/v1/query", elsewhere.url())));
        let e = client.query("up", None).await.expect_err("refused");
        let want = format!(
            "redirected to another origin ({}); refusing to send credentials",
            elsewhere.url()
        );
        assert_eq!(e, warroom::prom::PromError::Redirect(want), "{status}");
        assert_eq!(e.class(), "redirect refused");
        assert!(!e.is_retryable());
    }
    let e = warroom::pager::api::prom_alerts(&client).await.expect_err("refused");
    assert!(e.to_string().contains("redirected to another origin"), "{e}");
    assert_eq!(elsewhere.count(), 0, "nothing reached the other origin");

    // Within the origin a redirect is followed, with the credentials.
    f.set(Reply::Route(vec![
        ("/moved/", Reply::Send(200, "application/json", OK_VECTOR.into())),
        ("/", redirect(307, "/moved/api/v1/query".into())),
    ]));
    let before = f.count();
    client.query("up", None).await.expect("followed");
    let requests = f.requests.lock().expect("requests")[before..].to_vec();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[1].starts_with("POST /moved/api/v1/query"), "{}", requests[1]);
    assert!(requests[1].contains(TOKEN), "the X-Api-Key goes along within the origin");
}
