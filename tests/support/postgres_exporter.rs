//! Debian's postgres_exporter (`prometheus-postgres-exporter`) on a loopback port, reading a
//! test's PostgreSQL, optionally with custom queries (`--extend.query-path`).

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use super::process::{require_binary, start_with_retry, ServerProcess};
use super::{http, Postgres, READY_TIMEOUT};

const BINARY: &str = "prometheus-postgres-exporter";

/// A running postgres_exporter; killed on drop.
#[derive(Debug)]
pub struct PostgresExporter {
    // Declared before `dir` so the process dies before its log's directory is removed.
    process: ServerProcess,
    port: u16,
    dir: TempDir,
}

impl PostgresExporter {
    /// Starts the exporter on `pg`, with the custom queries of `queries` when given, and
    /// waits until `/metrics` answers.
    pub fn start(pg: &Postgres, queries: Option<&Path>) -> Self {
        let binary = require_binary(BINARY, BINARY);
        start_with_retry("postgres_exporter", |port| {
            let dir = tempfile::Builder::new()
                .prefix("warroom-pg-exporter-")
                .tempdir()
                .expect("create a temp dir for postgres_exporter");
            let mut command = Command::new(&binary);
            command
                .current_dir(dir.path())
                .env("DATA_SOURCE_NAME", pg.url())
                .arg(format!("--web.listen-address=127.0.0.1:{port}"));
            if let Some(queries) = queries {
                command.arg(format!("--extend.query-path={}", queries.display()));
            }
            let log = dir.path().join("postgres_exporter.log");
            let mut process = ServerProcess::spawn("postgres_exporter", command, &log);
            let url = format!("http://127.0.0.1:{port}/metrics");
            process.wait_ready(&url, READY_TIMEOUT)?;
            Ok(PostgresExporter { process, port, dir })
        })
    }

    /// `127.0.0.1:PORT`, for a scrape config.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The text of one scrape of `/metrics`.
    pub fn scrape(&self) -> String {
        let url = format!("http://{}/metrics", self.target());
        let response = http::get(&url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status, 200, "GET {url}: {}", response.body);
        response.body
    }

    /// The last `n` lines of the exporter's log (failed custom queries are logged there).
    pub fn tail_log(&self, n: usize) -> String {
        self.process.tail_log(n)
    }
}
