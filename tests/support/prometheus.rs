//! A private Prometheus server scraping the test's exporters.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::process::{require_binary, start_with_retry, ServerProcess, StartFailure};
use super::{api, http, READY_TIMEOUT};

/// What the Prometheus under test scrapes and evaluates.
#[derive(Debug, Clone)]
pub struct PrometheusOpts {
    /// `host:port` scrape targets (e.g. `StaticExporter::target()`), all in job `exporter`.
    pub targets: Vec<String>,
    /// Scrape interval (the scrape timeout is the same). Default 1 s.
    pub scrape_interval: Duration,
    /// Rule evaluation interval. Default 1 s.
    pub evaluation_interval: Duration,
    /// Rule files given by content (YAML with `groups:`), written into the data dir.
    pub rules: Vec<String>,
    /// Rule files given by path.
    pub rule_files: Vec<PathBuf>,
    /// Alertmanager to send alerts to, e.g. `Alertmanager::url()`.
    pub alertmanager_url: Option<String>,
    /// Extra command-line flags, e.g. `--query.lookback-delta=10s`.
    pub extra_args: Vec<String>,
}

impl Default for PrometheusOpts {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            scrape_interval: Duration::from_secs(1),
            evaluation_interval: Duration::from_secs(1),
            rules: Vec::new(),
            rule_files: Vec::new(),
            alertmanager_url: None,
            extra_args: Vec::new(),
        }
    }
}

impl PrometheusOpts {
    /// Defaults, scraping `target` every second.
    pub fn scraping(target: impl Into<String>) -> Self {
        Self { targets: vec![target.into()], ..Self::default() }
    }

    /// Adds a rule file given by its YAML content.
    pub fn rule(mut self, yaml: impl Into<String>) -> Self {
        self.rules.push(yaml.into());
        self
    }

    /// Sends alerts to the Alertmanager at `url`.
    pub fn alertmanager(mut self, url: impl Into<String>) -> Self {
        self.alertmanager_url = Some(url.into());
        self
    }
}

/// A running Prometheus on a loopback port; killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    // Declared before `dir` so the process dies before its data dir is removed.
    process: ServerProcess,
    port: u16,
    dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus and waits until `/-/ready` answers.
    pub fn start(opts: PrometheusOpts) -> Self {
        let binary = require_binary("prometheus", "prometheus");
        start_with_retry("prometheus", |port| attempt(&binary, &opts, port))
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the config, rule files, TSDB and `prometheus.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The instant query's `data` object; panics unless the query succeeds.
    pub fn query(&self, promql: &str) -> Value {
        api::query(&self.url(), promql)
    }

    /// Polls `promql` until it returns at least one series, and returns them.
    pub fn wait_for_series(&self, promql: &str, timeout: Duration) -> Vec<Value> {
        api::wait_for_series(&self.url(), promql, timeout)
    }

    /// The alerts of `/api/v1/alerts` (each with `labels`, `state`, `activeAt`, …).
    pub fn alerts(&self) -> Vec<Value> {
        let url = format!("{}/api/v1/alerts", self.url());
        let response = http::get(&url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status, 200, "GET {url}: {}", response.body);
        match &response.json()["data"]["alerts"] {
            Value::Array(alerts) => alerts.clone(),
            other => panic!("no alerts array in {url}: {other}"),
        }
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel but never answered.
    pub fn pause(&mut self) {
        self.process.pause();
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&mut self) {
        self.process.resume();
    }

    /// Kills the server now (SIGKILL); its port then refuses connections.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// The last `n` lines of the server's log.
    pub fn tail_log(&self, n: usize) -> String {
        self.process.tail_log(n)
    }
}

fn attempt(binary: &Path, opts: &PrometheusOpts, port: u16) -> Result<Prometheus, StartFailure> {
    let dir = tempfile::Builder::new()
        .prefix("warroom-prometheus-")
        .tempdir()
        .expect("create a temp dir for prometheus");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_yaml(opts, dir.path())).expect("write prometheus.yml");

    let mut command = Command::new(binary);
    command
        .current_dir(dir.path())
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--web.enable-lifecycle")
        .args(&opts.extra_args);
    let log = dir.path().join("prometheus.log");
    let mut process = ServerProcess::spawn("prometheus", command, &log);
    let ready = format!("http://127.0.0.1:{port}/-/ready");
    process.wait_ready(&ready, READY_TIMEOUT)?;
    Ok(Prometheus { process, port, dir })
}

fn config_yaml(opts: &PrometheusOpts, dir: &Path) -> String {
    let mut rule_files: Vec<PathBuf> = opts.rule_files.clone();
    for (i, rules) in opts.rules.iter().enumerate() {
        let path = dir.join(format!("rules-{i}.yml"));
        std::fs::write(&path, rules).expect("write a rule file");
        rule_files.push(path);
    }

    // JSON strings are valid YAML scalars, and quote whatever the paths and targets hold.
    let quote = |s: &str| Value::from(s).to_string();
    let mut yaml = String::new();
    let interval = format!("{}ms", opts.scrape_interval.as_millis());
    let evaluation = format!("{}ms", opts.evaluation_interval.as_millis());
    let _ = writeln!(yaml, "global:");
    let _ = writeln!(yaml, "  scrape_interval: {interval}");
    let _ = writeln!(yaml, "  scrape_timeout: {interval}");
    let _ = writeln!(yaml, "  evaluation_interval: {evaluation}");
    let _ = writeln!(yaml, "rule_files:");
    for path in &rule_files {
        let _ = writeln!(yaml, "  - {}", quote(&path.to_string_lossy()));
    }
    if let Some(url) = &opts.alertmanager_url {
        let host = url.trim_start_matches("http://").trim_end_matches('/');
        let _ = writeln!(yaml, "alerting:");
        let _ = writeln!(yaml, "  alertmanagers:");
        let _ = writeln!(yaml, "    - static_configs:");
        let _ = writeln!(yaml, "        - targets: [{}]", quote(host));
    }
    let _ = writeln!(yaml, "scrape_configs:");
    let _ = writeln!(yaml, "  - job_name: exporter");
    let _ = writeln!(yaml, "    static_configs:");
    let targets: Vec<String> = opts.targets.iter().map(|t| quote(t)).collect();
    let _ = writeln!(yaml, "      - targets: [{}]", targets.join(", "));
    yaml
}
