//! Smoke tests for the real-server harness: each server starts on its own port, scrapes or
//! answers as the rest of the suite expects, and is gone after drop.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::api::sample_value;
use support::{
    http, wait_for, Alertmanager, Postgres, Prometheus, PrometheusOpts, StaticExporter,
    VictoriaMetrics, VictoriaMetricsOpts,
};

const WAIT: Duration = Duration::from_secs(20);

/// A label value with an escape sequence, a quote, a backslash and a newline, as the text
/// format carries it: `\\`, `\"` and `\n` escaped, the ESC byte raw.
const TRICKY_EXPOSED: &str = "\u{1b}[31mred \\\"quoted\\\" back\\\\slash\\nline";
const TRICKY_VALUE: &str = "\u{1b}[31mred \"quoted\" back\\slash\nline";

fn metrics(active: u32) -> String {
    format!(
        "# TYPE pg_stat_activity_count gauge\n\
         pg_stat_activity_count{{state=\"active\",datname=\"shop\"}} {active}\n\
         pg_stat_activity_count{{state=\"idle\",datname=\"shop\"}} 7\n\
         warroom_tricky_label{{value=\"{TRICKY_EXPOSED}\"}} 1\n"
    )
}

/// The shared checks for anything speaking the Prometheus query API.
fn check_query_api(
    url: &str,
    exporter: &StaticExporter,
    wait: impl Fn(&str, Duration) -> Vec<Value>,
) {
    let query = r#"pg_stat_activity_count{state="active",datname="shop"}"#;
    let series = wait(query, WAIT);
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0]["metric"]["job"], "exporter");
    assert_eq!(series[0]["metric"]["instance"], exporter.target().as_str());
    assert_eq!(sample_value(&series[0]), 42.0);

    let tricky = wait("warroom_tricky_label", WAIT);
    assert_eq!(tricky[0]["metric"]["value"], TRICKY_VALUE);

    exporter.set(metrics(43));
    let changed = wait_for(WAIT, || {
        let data = support::api::query(url, query);
        data["result"].as_array().and_then(|r| r.first()).is_some_and(|s| sample_value(s) == 43.0)
    });
    assert!(changed, "the new value never showed up at {url}");
    assert!(exporter.scrapes() >= 2);
}

#[test]
fn prometheus_scrapes_the_exporter_and_answers_queries() {
    let exporter = StaticExporter::start(&metrics(42));
    let prometheus = Prometheus::start(PrometheusOpts::scraping(exporter.target()));
    check_query_api(&prometheus.url(), &exporter, |q, t| prometheus.wait_for_series(q, t));
    let up = prometheus.wait_for_series(r#"up{job="exporter"}"#, WAIT);
    assert_eq!(sample_value(&up[0]), 1.0);
}

#[test]
fn victoria_metrics_scrapes_the_exporter_and_answers_queries() {
    let exporter = StaticExporter::start(&metrics(42));
    let victoria = VictoriaMetrics::start(VictoriaMetricsOpts::scraping(exporter.target()));
    check_query_api(&victoria.url(), &exporter, |q, t| victoria.wait_for_series(q, t));
}

const LOAD_RULE: &str = "\
groups:
  - name: warroom-test
    rules:
      - alert: WarroomTestLoadHigh
        expr: warroom_test_load > 5
        for: 3s
        labels:
          severity: critical
        annotations:
          summary: 'load is {{ $value }}'
";

fn alert_state(prometheus: &Prometheus, name: &str) -> Option<String> {
    prometheus
        .alerts()
        .iter()
        .find(|a| a["labels"]["alertname"] == name)
        .and_then(|a| a["state"].as_str().map(str::to_owned))
}

#[test]
fn prometheus_rule_goes_pending_then_firing() {
    let exporter = StaticExporter::start("warroom_test_load 1\n");
    let prometheus = Prometheus::start(PrometheusOpts::scraping(exporter.target()).rule(LOAD_RULE));
    prometheus.wait_for_series("warroom_test_load", WAIT);
    assert_eq!(alert_state(&prometheus, "WarroomTestLoadHigh"), None);

    exporter.set("warroom_test_load 10\n");
    let pending_at = Instant::now();
    assert!(
        wait_for(WAIT, || alert_state(&prometheus, "WarroomTestLoadHigh").as_deref()
            == Some("pending")),
        "never pending: {:?}",
        prometheus.alerts()
    );
    assert!(
        wait_for(WAIT, || alert_state(&prometheus, "WarroomTestLoadHigh").as_deref()
            == Some("firing")),
        "never firing: {:?}",
        prometheus.alerts()
    );
    assert!(pending_at.elapsed() >= Duration::from_secs(2), "fired before `for` elapsed");
}

#[test]
fn prometheus_sends_firing_alerts_to_alertmanager() {
    let alertmanager = Alertmanager::start();
    let exporter = StaticExporter::start("warroom_test_load 10\n");
    let prometheus = Prometheus::start(
        PrometheusOpts::scraping(exporter.target())
            .rule(LOAD_RULE.replace("for: 3s", "for: 0s"))
            .alertmanager(alertmanager.url()),
    );
    let arrived = wait_for(WAIT, || {
        alertmanager.alerts().iter().any(|a| a["labels"]["alertname"] == "WarroomTestLoadHigh")
    });
    assert!(
        arrived,
        "alertmanager never got the alert; prometheus alerts: {:?}\n{}",
        prometheus.alerts(),
        prometheus.tail_log(30)
    );
}

#[test]
fn alertmanager_reports_status_and_accepts_a_silence() {
    let alertmanager = Alertmanager::start();
    let status = http::get(&format!("{}/api/v2/status", alertmanager.url())).unwrap();
    assert_eq!(status.status, 200, "{}", status.body);
    let status = status.json();
    assert_eq!(status["cluster"]["status"], "disabled", "{status}");
    assert!(status["config"]["original"].as_str().unwrap().contains("null"));

    let now = chrono::Utc::now();
    let silence = json!({
        "matchers": [{"name": "alertname", "value": "WarroomTestLoadHigh",
                      "isRegex": false, "isEqual": true}],
        "startsAt": now.to_rfc3339(),
        "endsAt": (now + chrono::Duration::minutes(30)).to_rfc3339(),
        "createdBy": "servers test",
        "comment": "harness smoke test",
    });
    let url = format!("{}/api/v2/silences", alertmanager.url());
    let created = http::post_json(&url, &silence).unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.json()["silenceID"].as_str().unwrap().to_owned();

    let silences = alertmanager.silences();
    let stored = silences.iter().find(|s| s["id"] == id.as_str()).unwrap();
    assert_eq!(stored["status"]["state"], "active");
    assert_eq!(stored["createdBy"], "servers test");
}

#[test]
fn postgres_answers_queries_and_stops_on_drop() {
    let postgres = Postgres::start();
    assert_eq!(postgres.psql("select 1"), "1");
    assert_eq!(postgres.psql("show port"), postgres.port().to_string());
    assert_eq!(postgres.psql("show listen_addresses"), "127.0.0.1");
    let socket = postgres.socket_dir().join(format!(".s.PGSQL.{}", postgres.port()));
    assert!(socket.exists(), "no unix socket at {}", socket.display());
    assert!(postgres.try_psql("select * from no_such_table").is_err());

    let port = postgres.port();
    drop(postgres);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "postgres still listening after drop"
    );
}

#[test]
fn paused_prometheus_answers_nothing_and_dies_on_drop() {
    let mut prometheus = Prometheus::start(PrometheusOpts::default());
    let port = prometheus.port();
    prometheus.pause();

    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    stream.write_all(b"GET /-/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    let early = stream.read(&mut buf);
    assert!(
        early.is_err(),
        "a paused server answered: {:?}",
        early.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
    );

    prometheus.resume();
    let mut answer = String::new();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    prometheus.pause();
    drop(prometheus);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "prometheus still listening after drop"
    );
}

fn panic_message(result: std::thread::Result<impl Sized>) -> String {
    let payload = match result {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => payload,
    };
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn a_missing_binary_fails_with_the_install_command() {
    let result = std::panic::catch_unwind(|| {
        support::process::require_binary("warroom-no-such-server", "warroom-no-such-package")
    });
    let message = panic_message(result);
    assert!(
        message.contains("run scripts/test, or: apt-get install -y warroom-no-such-package"),
        "{message}"
    );
}

#[test]
fn a_server_that_cannot_start_fails_with_its_log() {
    let result = std::panic::catch_unwind(|| {
        Prometheus::start(PrometheusOpts::default().rule("groups: [this is not: a rule file"))
    });
    let message = panic_message(result);
    assert!(message.contains("prometheus exited before it was ready"), "{message}");
    assert!(message.contains("last 30 lines"), "{message}");
    assert!(message.contains("rules-0.yml"), "{message}");
}
