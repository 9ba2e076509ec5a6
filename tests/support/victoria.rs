//! A private single-node VictoriaMetrics scraping the test's exporters.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::process::{require_binary, start_with_retry, ServerProcess, StartFailure};
use super::{api, READY_TIMEOUT};

/// What the VictoriaMetrics under test scrapes.
#[derive(Debug, Clone)]
pub struct VictoriaMetricsOpts {
    /// `host:port` scrape targets, all in job `exporter`.
    pub targets: Vec<String>,
    /// Scrape interval. Default 1 s.
    pub scrape_interval: Duration,
    /// Extra command-line flags, e.g. `-search.maxPointsPerTimeseries=100`.
    pub extra_args: Vec<String>,
}

impl Default for VictoriaMetricsOpts {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            scrape_interval: Duration::from_secs(1),
            extra_args: Vec::new(),
        }
    }
}

impl VictoriaMetricsOpts {
    /// Defaults, scraping `target` every second.
    pub fn scraping(target: impl Into<String>) -> Self {
        Self { targets: vec![target.into()], ..Self::default() }
    }
}

/// A running VictoriaMetrics on a loopback port; killed on drop.
#[derive(Debug)]
pub struct VictoriaMetrics {
    // Declared before `dir` so the process dies before its data dir is removed.
    process: ServerProcess,
    port: u16,
    dir: TempDir,
}

impl VictoriaMetrics {
    /// Starts VictoriaMetrics and waits until `/health` answers.
    ///
    /// Runs with `-search.latencyOffset=1s` (the default hides the newest 30 s) and
    /// `-search.disableCache`, so a query sees what was scraped a second ago.
    pub fn start(opts: VictoriaMetricsOpts) -> Self {
        let binary = require_binary("victoria-metrics", "victoria-metrics");
        start_with_retry("victoria-metrics", |port| attempt(&binary, &opts, port))
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; the query API is under `/api/v1/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the scrape config, storage and `victoria-metrics.log`.
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

    /// Freezes the server (SIGSTOP).
    pub fn pause(&mut self) {
        self.process.pause();
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&mut self) {
        self.process.resume();
    }

    /// Kills the server now (SIGKILL).
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// The last `n` lines of the server's log.
    pub fn tail_log(&self, n: usize) -> String {
        self.process.tail_log(n)
    }
}

fn attempt(
    binary: &Path,
    opts: &VictoriaMetricsOpts,
    port: u16,
) -> Result<VictoriaMetrics, StartFailure> {
    let dir = tempfile::Builder::new()
        .prefix("warroom-victoria-")
        .tempdir()
        .expect("create a temp dir for victoria-metrics");
    let config = dir.path().join("scrape.yml");
    std::fs::write(&config, scrape_yaml(opts)).expect("write scrape.yml");

    let mut command = Command::new(binary);
    command
        .current_dir(dir.path())
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!("-storageDataPath={}", dir.path().join("data").display()))
        .arg(format!("-promscrape.config={}", config.display()))
        .arg("-promscrape.config.strictParse=false")
        .arg("-search.latencyOffset=1s")
        .arg("-search.disableCache")
        .arg("-retentionPeriod=1d")
        .args(&opts.extra_args);
    let log = dir.path().join("victoria-metrics.log");
    let mut process = ServerProcess::spawn("victoria-metrics", command, &log);
    let ready = format!("http://127.0.0.1:{port}/health");
    process.wait_ready(&ready, READY_TIMEOUT)?;
    Ok(VictoriaMetrics { process, port, dir })
}

fn scrape_yaml(opts: &VictoriaMetricsOpts) -> String {
    let quote = |s: &str| Value::from(s).to_string();
    let interval = format!("{}ms", opts.scrape_interval.as_millis());
    let targets: Vec<String> = opts.targets.iter().map(|t| quote(t)).collect();
    let mut yaml = String::new();
    let _ = writeln!(yaml, "global:");
    let _ = writeln!(yaml, "  scrape_interval: {interval}");
    let _ = writeln!(yaml, "  scrape_timeout: {interval}");
    let _ = writeln!(yaml, "scrape_configs:");
    let _ = writeln!(yaml, "  - job_name: exporter");
    let _ = writeln!(yaml, "    static_configs:");
    let _ = writeln!(yaml, "      - targets: [{}]", targets.join(", "));
    yaml
}
