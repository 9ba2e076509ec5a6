//! A source's bearer token and basic-auth password never reach the screen, the log or an error,
//! even when a broken server or proxy echoes them back.

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
