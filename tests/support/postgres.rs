//! A private PostgreSQL cluster in a temporary directory, run as the `postgres` user when the
//! tests run as root (initdb refuses root), listening on 127.0.0.1 with `trust` auth.

#![allow(unsafe_code, reason = "geteuid and kill of the postmaster, through libc")]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::process::{find_on_path, is_executable, start_with_retry, StartFailure};
use super::READY_TIMEOUT;

const INSTALL_HINT: &str = "run scripts/test, or: apt-get install -y postgresql postgresql-contrib";

/// A running PostgreSQL cluster; stopped with `pg_ctl stop -m immediate` on drop.
#[derive(Debug)]
pub struct Postgres {
    bin_dir: PathBuf,
    port: u16,
    log: PathBuf,
    /// Run the server tools as `postgres` (we are root).
    as_postgres: bool,
    // Drop::drop stops the cluster before this directory is removed.
    dir: TempDir,
}

impl Postgres {
    /// Creates a cluster with `initdb` and starts it with `pg_ctl start -w`.
    pub fn start() -> Self {
        Self::start_with("")
    }

    /// Like `start`, with pg_stat_statements loaded (`shared_preload_libraries`) and the
    /// extension created in the `postgres` database.
    pub fn with_pg_stat_statements() -> Self {
        let pg = Self::start_with("shared_preload_libraries = 'pg_stat_statements'\n");
        if let Err(e) = pg.try_psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements") {
            panic!("pg_stat_statements is not available ({e}): {INSTALL_HINT}");
        }
        pg
    }

    /// Like `start`, with `settings` (postgresql.conf lines) added to the cluster's settings.
    pub fn start_with(settings: &str) -> Self {
        let bin_dir = find_bin_dir();
        // SAFETY: geteuid has no preconditions and cannot fail.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let dir = make_dir(as_postgres);
        let data = dir.path().join("data");

        let mut initdb = server_command(&bin_dir, as_postgres, dir.path(), "initdb");
        initdb.arg("-D").arg(&data).args(["-U", "postgres", "--auth=trust", "-E", "UTF8"]).args([
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]);
        let output = run(initdb);
        assert!(
            output.status.success(),
            "initdb failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let mut conf = fs::read_to_string(data.join("postgresql.conf")).expect("postgresql.conf");
        conf.push_str("\ninclude 'warroom-test.conf'\n");
        fs::write(data.join("postgresql.conf"), conf).expect("write postgresql.conf");

        let (port, log) = start_with_retry("postgres", |port| {
            Self::try_start(&bin_dir, as_postgres, dir.path(), port, settings)
        });
        Self { bin_dir, port, log, as_postgres, dir }
    }

    fn try_start(
        bin_dir: &Path,
        as_postgres: bool,
        dir: &Path,
        port: u16,
        extra: &str,
    ) -> Result<(u16, PathBuf), StartFailure> {
        let data = dir.join("data");
        let settings = format!(
            "port = {port}\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             logging_collector = off\n\
             {extra}",
            dir.display()
        );
        let settings_path = data.join("warroom-test.conf");
        fs::write(&settings_path, settings).expect("write warroom-test.conf");
        fs::set_permissions(&settings_path, fs::Permissions::from_mode(0o644))
            .expect("chmod warroom-test.conf");

        // One log per attempt, so a failed attempt's lines don't confuse the next one.
        let log = dir.join(format!("postgres-{port}.log"));
        let timeout = READY_TIMEOUT.as_secs().to_string();
        let mut pg_ctl = server_command(bin_dir, as_postgres, dir, "pg_ctl");
        pg_ctl.arg("-D").arg(&data).arg("-l").arg(&log);
        pg_ctl.args(["-w", "-t", &timeout, "start"]);
        let output = run(pg_ctl);
        if output.status.success() {
            Ok((port, log))
        } else {
            Err(StartFailure::from_log(
                format!(
                    "pg_ctl start failed ({}): {}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
                &log,
            ))
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host=127.0.0.1 port=PORT user=postgres dbname=postgres`, for libpq.
    pub fn conninfo(&self) -> String {
        format!("host=127.0.0.1 port={} user=postgres dbname=postgres", self.port)
    }

    /// `postgresql://postgres@127.0.0.1:PORT/postgres?sslmode=disable`, e.g. for
    /// postgres_exporter's `DATA_SOURCE_NAME`.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }

    /// `PGHOST`, `PGPORT`, `PGUSER` and `PGDATABASE` for client tools.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PGHOST", "127.0.0.1".to_owned()),
            ("PGPORT", self.port.to_string()),
            ("PGUSER", "postgres".to_owned()),
            ("PGDATABASE", "postgres".to_owned()),
        ]
    }

    /// The directory of `initdb`, `pg_ctl`, `psql`, `pgbench` for this major version.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The cluster's data directory (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The directory holding the unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server log of the running attempt.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `n` lines of the server log.
    pub fn tail_log(&self, n: usize) -> String {
        super::process::tail_lines(&self.log, n)
    }

    /// A client tool (`psql`, `pgbench`, …) from `bin_dir()` with the `env()` set; it runs as
    /// the current user and connects over TCP.
    pub fn tool(&self, name: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(name));
        command.envs(self.env()).current_dir(self.dir.path());
        command
    }

    /// Runs `sql` with psql and returns its unaligned, tuples-only output without the final
    /// newline (`select 1` gives `"1"`); fails the test on any SQL error.
    pub fn psql(&self, sql: &str) -> String {
        self.try_psql(sql).unwrap_or_else(|e| panic!("psql {sql:?} failed: {e}"))
    }

    /// Like `psql`, but returns psql's error output instead of failing.
    pub fn try_psql(&self, sql: &str) -> Result<String, String> {
        let output = self
            .tool("psql")
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .map_err(|e| format!("spawn psql: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() {
            Ok(stdout.strip_suffix('\n').unwrap_or(&stdout).to_owned())
        } else {
            Err(format!("{}: {}{}", output.status, stdout, String::from_utf8_lossy(&output.stderr)))
        }
    }

    /// A psql session as application `app` (`PGAPPNAME`), fed `sql` on stdin and then left
    /// open: the session stays (a transaction held, a statement waiting) until it is dropped.
    pub fn session(&self, app: &str, sql: &str) -> Session {
        let mut child = self
            .tool("psql")
            .args(["-X", "-q"])
            .env("PGAPPNAME", app)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn psql: {e}"));
        let mut stdin = child.stdin.take().expect("psql's stdin is piped");
        stdin.write_all(sql.as_bytes()).expect("write to psql");
        Session { child, _stdin: stdin }
    }

    /// Runs `pg_ctl -D DATA ARGS…` as the cluster's owner, e.g. `["restart", "-m", "fast"]`.
    pub fn pg_ctl(&self, args: &[&str]) -> Output {
        let mut pg_ctl = server_command(&self.bin_dir, self.as_postgres, self.dir.path(), "pg_ctl");
        pg_ctl.arg("-D").arg(self.data_dir()).args(args);
        run(pg_ctl)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let stopped = self.pg_ctl(&["-w", "-t", "30", "stop", "-m", "immediate"]);
        if stopped.status.success() {
            return;
        }
        // pg_ctl failed (already stopped, or a broken cluster): kill the postmaster directly.
        let pid = fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
        if let Some(pid) = pid.filter(|pid| *pid > 0) {
            // SAFETY: kill(2) has no memory-safety preconditions; a stale pid at worst hits
            // nothing (postmaster.pid is removed on clean shutdown).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A psql session left open ([`Postgres::session`]); killed and reaped on drop.
#[derive(Debug)]
pub struct Session {
    child: Child,
    // Held open so psql waits for more input instead of ending the session.
    _stdin: ChildStdin,
}

impl Session {
    /// Ends the client now; its backend ends the next time it talks to the client.
    pub fn end(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.end();
    }
}

/// Server tool `name` from `bin_dir`, run through `runuser -u postgres --` when we are root,
/// in `dir` (the cluster owner may not be able to enter the caller's working directory).
fn server_command(bin_dir: &Path, as_postgres: bool, dir: &Path, name: &str) -> Command {
    let tool = bin_dir.join(name);
    let mut command = if as_postgres {
        let runuser = find_on_path("runuser").unwrap_or_else(|| PathBuf::from("/usr/sbin/runuser"));
        let mut command = Command::new(runuser);
        command.args(["-u", "postgres", "--"]).arg(tool);
        command
    } else {
        Command::new(tool)
    };
    command.current_dir(dir);
    command
}

/// Runs `command` to completion, capturing its output.
fn run(mut command: Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("run {command:?}: {e}"))
}

/// `initdb`'s real directory (where `psql` and `pgbench` of the same version live too): from
/// `PATH`, symlinks resolved, else the newest `/usr/lib/postgresql/N/bin`.
fn find_bin_dir() -> PathBuf {
    let on_path = find_on_path("initdb").and_then(|p| fs::canonicalize(p).ok());
    if let Some(dir) = on_path.and_then(|p| p.parent().map(Path::to_owned)) {
        return dir;
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            is_executable(&bin.join("initdb")).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| panic!("PostgreSQL's initdb is not installed: {INSTALL_HINT}"))
}

/// The cluster's directory, owned by `postgres` when we are root. It lives in /tmp then,
/// since `postgres` may not be able to reach a private `$TMPDIR`.
fn make_dir(as_postgres: bool) -> TempDir {
    let mut builder = tempfile::Builder::new();
    builder.prefix("warroom-pg-");
    if !as_postgres {
        return builder.tempdir().expect("create a temp dir for postgres");
    }
    let dir = builder.tempdir_in("/tmp").expect("create a temp dir for postgres in /tmp");
    let (uid, gid) = postgres_ids();
    std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {} to postgres: {e}", dir.path().display()));
    dir
}

/// The uid and gid of the `postgres` user, which the postgresql package creates.
fn postgres_ids() -> (u32, u32) {
    let output = Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .and_then(|uid| Ok((uid, Command::new("id").args(["-g", "postgres"]).output()?)));
    match output {
        Ok((uid, gid)) if uid.status.success() && gid.status.success() => {
            let parse = |o: &Output| String::from_utf8_lossy(&o.stdout).trim().parse().ok();
            match (parse(&uid), parse(&gid)) {
                (Some(uid), Some(gid)) => (uid, gid),
                _ => panic!("cannot parse the output of `id postgres`"),
            }
        }
        _ => panic!("there is no `postgres` user to run the cluster as: {INSTALL_HINT}"),
    }
}
