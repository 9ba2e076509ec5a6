//! A private Alertmanager that notifies nobody: a single node, or a pair clustered on loopback.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use super::process::{require_binary, start_with_retry, ServerProcess, StartFailure};
use super::{http, READY_TIMEOUT};

/// Every alert goes to a receiver with no integrations.
const CONFIG: &str = "\
route:
  receiver: 'null'
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: 'null'
";

/// A running Alertmanager on a loopback port, clustering disabled; killed on drop.
#[derive(Debug)]
pub struct Alertmanager {
    // Declared before `dir` so the process dies before its data dir is removed.
    process: ServerProcess,
    port: u16,
    dir: TempDir,
}

impl Alertmanager {
    /// Starts Alertmanager and waits until `/-/ready` answers.
    pub fn start() -> Self {
        let binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager");
        start_with_retry("alertmanager", |port| attempt(&binary, port, &[]))
    }

    /// Starts two Alertmanagers clustered with each other on loopback (cluster ports free a
    /// moment ago, Alertmanager's default gossip interval of 200 ms, push-pull every second)
    /// and waits until each lists both members. Silences made on one reach the other by gossip;
    /// alerts stay where they were posted, as in any Alertmanager cluster.
    pub fn pair() -> (Self, Self) {
        let binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager");
        let (c1, c2) = (super::free_port(), super::free_port());
        let cluster = |me: u16, peer: u16| {
            vec![
                format!("--cluster.listen-address=127.0.0.1:{me}"),
                format!("--cluster.advertise-address=127.0.0.1:{me}"),
                format!("--cluster.peer=127.0.0.1:{peer}"),
                "--cluster.pushpull-interval=1s".to_string(),
                "--cluster.settle-timeout=2s".to_string(),
            ]
        };
        let first =
            start_with_retry("alertmanager", |port| attempt(&binary, port, &cluster(c1, c2)));
        let second =
            start_with_retry("alertmanager", |port| attempt(&binary, port, &cluster(c2, c1)));
        for am in [&first, &second] {
            let joined = super::wait_for(READY_TIMEOUT, || am.cluster_peers() == 2);
            assert!(joined, "the pair did not form a cluster: {}", am.tail_log(20));
        }
        (first, second)
    }

    /// How many members `/api/v2/status` says the cluster has (0 when it cannot say).
    pub fn cluster_peers(&self) -> usize {
        let url = format!("{}/api/v2/status", self.url());
        let Ok(response) = http::get(&url) else { return 0 };
        let status = response.json();
        status["cluster"]["peers"].as_array().map_or(0, Vec::len)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; API v2 is under `/api/v2/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the config, storage and `alertmanager.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `GET /api/v2/alerts`.
    pub fn alerts(&self) -> Vec<Value> {
        self.get_array("/api/v2/alerts")
    }

    /// `GET /api/v2/silences`.
    pub fn silences(&self) -> Vec<Value> {
        self.get_array("/api/v2/silences")
    }

    /// `POST /api/v2/alerts` with `alerts` (a JSON array of `{labels, annotations, …}`).
    pub fn post_alerts(&self, alerts: &Value) {
        let url = format!("{}/api/v2/alerts", self.url());
        let response = http::post_json(&url, alerts).unwrap_or_else(|e| panic!("POST {url}: {e}"));
        assert_eq!(response.status, 200, "POST {url}: {}", response.body);
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

    fn get_array(&self, path: &str) -> Vec<Value> {
        let url = format!("{}{path}", self.url());
        let response = http::get(&url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status, 200, "GET {url}: {}", response.body);
        match response.json() {
            Value::Array(items) => items,
            other => panic!("GET {url}: expected an array, got {other}"),
        }
    }
}

/// One start on web port `port`; `cluster` flags, or none for a single node.
fn attempt(binary: &Path, port: u16, cluster: &[String]) -> Result<Alertmanager, StartFailure> {
    let dir = tempfile::Builder::new()
        .prefix("warroom-alertmanager-")
        .tempdir()
        .expect("create a temp dir for alertmanager");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(&config, CONFIG).expect("write alertmanager.yml");

    let mut command = Command::new(binary);
    command
        .current_dir(dir.path())
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    if cluster.is_empty() {
        command.arg("--cluster.listen-address=");
    } else {
        command.args(cluster);
    }
    let log = dir.path().join("alertmanager.log");
    let mut process = ServerProcess::spawn("alertmanager", command, &log);
    let ready = format!("http://127.0.0.1:{port}/-/ready");
    process.wait_ready(&ready, READY_TIMEOUT)?;
    Ok(Alertmanager { process, port, dir })
}
