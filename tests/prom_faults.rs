//! The client and pollers under faults: garbage, HTML error pages, stalls, error envelopes,
//! partial answers. Also what the client sends: auth and tenant headers, never secrets in errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake::{Fake, Reply};
use tokio::sync::{mpsc, watch, Semaphore};
use warroom::config::SourceSpec;
use warroom::model::Window;
use warroom::prom::poller::{Pollers, QuerySpec};
use warroom::prom::{Client, PromError, QueryData};

fn spec(url: &str) -> SourceSpec {
    toml::from_str(&format!("name = \"fake\"\nurl = \"{url}\"\ntimeout = \"1s\"")).unwrap()
}

const OK_VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"db"},"value":[1,"3"]}]}}"#;

#[tokio::test]
async fn garbage_json_is_a_decode_error() {
    let f = Fake::start(Reply::Send(200, "application/json", "{\"status\":\"succ".into())).await;
    let c = Client::new(&spec(&f.url())).unwrap();
    assert!(matches!(c.query("up", None).await, Err(PromError::Decode(_))));
}

#[tokio::test]
async fn proxy_html_502_is_an_http_error_with_readable_text() {
    let page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>".to_string();
    let f = Fake::start(Reply::Send(502, "text/html", page)).await;
    let c = Client::new(&spec(&f.url())).unwrap();
    match c.query("up", None).await {
        Err(e @ PromError::Http { status: 502, .. }) => {
            assert!(e.to_string().contains("502 Bad Gateway"), "{e}");
            assert!(e.is_retryable());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn execution_error_422_is_not_retryable() {
    let body = r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}"#;
    let f = Fake::start(Reply::Send(422, "application/json", body.into())).await;
    let c = Client::new(&spec(&f.url())).unwrap();
    let e = c.query("up", None).await.unwrap_err();
    assert_eq!(e.class(), "execution");
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("too many samples"));
}

#[tokio::test]
async fn a_stalled_server_hits_the_client_deadline() {
    let f = Fake::start(Reply::Stall).await;
    let c = Client::new(&spec(&f.url())).unwrap().with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let r = c.query("up", None).await;
    assert!(matches!(r, Err(PromError::Timeout(300))), "{r:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn warnings_and_partial_answers_are_kept() {
    let body = r#"{"status":"success","isPartial":true,"warnings":["store gateway eu-1 unreachable"],"data":{"resultType":"vector","result":[]}}"#;
    let f = Fake::start(Reply::Send(200, "application/json", body.into())).await;
    let c = Client::new(&spec(&f.url())).unwrap();
    let r = c.query("up", None).await.unwrap().response;
    assert!(r.partial);
    assert_eq!(r.warnings, vec!["store gateway eu-1 unreachable".to_string()]);
    assert_eq!(r.data, QueryData::Vector(vec![]));
}

#[tokio::test]
async fn auth_and_tenant_headers_are_sent_and_secrets_stay_out_of_errors() {
    let f = Fake::start(Reply::Send(200, "application/json", OK_VECTOR.into())).await;
    std::env::set_var("WARROOM_TEST_TOKEN", "s3cr3t-token");
    let mut s = spec(&f.url());
    s.bearer_token_env = Some("WARROOM_TEST_TOKEN".into());
    s.headers.insert("X-Scope-OrgID".into(), "tenant-a".into());
    let c = Client::new(&s).unwrap();
    c.query("up", None).await.unwrap();
    let req = f.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(req.contains("authorization: bearer s3cr3t-token"), "{req}");
    assert!(req.contains("x-scope-orgid: tenant-a"));
    assert!(req.contains("timeout="), "server-side timeout parameter is sent");
    assert!(!format!("{c:?}").contains("s3cr3t"), "Debug output leaks the token");

    let mut basic = spec(&f.url());
    std::env::set_var("WARROOM_TEST_PW", "hunter2");
    basic.basic_auth =
        Some(toml::from_str("username = \"ops\"\npassword_env = \"WARROOM_TEST_PW\"").unwrap());
    Client::new(&basic).unwrap().query("up", None).await.unwrap();
    let req = f.requests.lock().unwrap()[1].to_ascii_lowercase();
    assert!(req.contains("authorization: basic b3bzomh1bnrlcji="), "{req}");

    let mut missing = spec("http://127.0.0.1:9");
    missing.bearer_token_env = Some("WARROOM_TEST_UNSET_VAR".into());
    let err = Client::new(&missing).unwrap_err().to_string();
    assert!(err.contains("WARROOM_TEST_UNSET_VAR"), "{err}");

    let dead = Client::new(&s).unwrap();
    let dead =
        Client::new(&SourceSpec { url: "http://127.0.0.1:9".into(), ..s.clone() }).unwrap_or(dead);
    let e = dead.query("up", None).await.unwrap_err().to_string();
    assert!(!e.contains("s3cr3t"), "{e}");
}

#[tokio::test]
async fn pollers_back_off_on_errors_and_never_overlap() {
    let f = Fake::start(Reply::Send(503, "text/plain", "overloaded".into())).await;
    let clients = vec![Client::new(&spec(&f.url())).unwrap()];
    let caps = vec![Arc::new(Semaphore::new(1))];
    let window = Window {
        range: Duration::from_secs(60),
        offset: Duration::ZERO,
        max_points: 100,
        generation: 0,
    };
    let (_wtx, wrx) = watch::channel(window);
    let (tx, mut rx) = mpsc::channel(64);
    let q = QuerySpec {
        id: 0,
        source: 0,
        expr: "up".into(),
        range: false,
        interval: Duration::from_millis(100),
        incremental: true,
        combine: false,
    };
    let _pollers = Pollers::start(vec![q], &clients, &caps, wrx, tx, |r| r);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Without backoff a 100 ms interval would send ~15 requests; with it, far fewer.
    let n = f.count();
    assert!((2..=8).contains(&n), "{n} requests in 1.5 s");
    let first = rx.recv().await.unwrap();
    assert!(matches!(first.outcome, Err(PromError::Http { status: 503, .. })));
}

#[tokio::test]
async fn a_bad_query_is_not_hammered() {
    let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#;
    let f = Fake::start(Reply::Send(400, "application/json", body.into())).await;
    let clients = vec![Client::new(&spec(&f.url())).unwrap()];
    let caps = vec![Arc::new(Semaphore::new(1))];
    let window = Window {
        range: Duration::from_secs(60),
        offset: Duration::ZERO,
        max_points: 100,
        generation: 0,
    };
    let (_wtx, wrx) = watch::channel(window);
    let (tx, _rx) = mpsc::channel(64);
    let q = QuerySpec {
        id: 0,
        source: 0,
        expr: "up(".into(),
        range: false,
        interval: Duration::from_millis(200),
        incremental: true,
        combine: false,
    };
    let _pollers = Pollers::start(vec![q], &clients, &caps, wrx, tx, |r| r);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(f.count() <= 2, "{} requests for a query that can never succeed", f.count());
}

#[tokio::test]
async fn the_header_says_why_a_source_is_degraded() {
    let body =
        r#"{"status":"success","isPartial":true,"data":{"resultType":"vector","result":[]}}"#;
    let f = Fake::start(Reply::Send(200, "application/json", body.into())).await;
    let mut config: warroom::config::Config =
        toml::from_str("[[panels]]\ntitle = \"Conns\"\nkind = \"bars\"\nquery = \"up\"\n").unwrap();
    config.sources = vec![spec(&f.url())];
    let (model, header) = fake::first_frame(&config).await;
    assert_eq!(model.sources[0].health(), warroom::model::Health::Degraded);
    let header = header.lines().next().unwrap_or_default();
    assert!(header.contains("◐ fake") && header.contains("partial"), "{header}");
}
