//! The PostgreSQL lab of `scripts/lab` for end-to-end scenarios: `Lab::up` starts it in a
//! temporary directory and `scripts/lab down` stops it when the guard is dropped, passed or
//! failed; its client tools come with the lab's `PG*` settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A lab started with `scripts/lab up DIR`; `scripts/lab down DIR` when dropped.
pub struct Lab {
    dir: PathBuf,
    record: PathBuf,
    /// The exports `scripts/lab env DIR` prints.
    env: BTreeMap<String, String>,
}

impl Lab {
    pub fn up(root: &Path) -> Lab {
        let dir = root.join("lab");
        let record = root.join("lab-record");
        let output =
            lab_command(&record, &["up", path_str(&dir)]).output().expect("run scripts/lab");
        // From here on the lab may hold processes: the guard takes them down whatever happens.
        let mut lab = Lab { dir, record, env: BTreeMap::new() };
        assert!(
            output.status.success(),
            "scripts/lab up failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let env = lab_command(&lab.record, &["env", path_str(&lab.dir)])
            .output()
            .expect("run scripts/lab env");
        assert!(env.status.success(), "scripts/lab env: {}", String::from_utf8_lossy(&env.stderr));
        lab.env = parse_exports(&String::from_utf8_lossy(&env.stdout));
        lab
    }

    pub fn var(&self, name: &str) -> &str {
        self.env.get(name).unwrap_or_else(|| panic!("scripts/lab env printed no {name}"))
    }

    /// The directory of psql and pgbench of the lab's server version.
    pub fn pg_bin(&self) -> PathBuf {
        PathBuf::from(self.lab_env("LAB_PG_BIN"))
    }

    /// A setting of the lab's own `lab.env` (its ports, its binaries).
    pub fn lab_env(&self, name: &str) -> String {
        let lab_env = std::fs::read_to_string(self.dir.join("lab.env")).expect("read lab.env");
        let prefix = format!("{name}=");
        let value = lab_env.lines().find_map(|l| l.strip_prefix(prefix.as_str()));
        value.unwrap_or_else(|| panic!("no {name} in lab.env")).to_owned()
    }

    /// A PostgreSQL client tool with the lab's PGHOST, PGPORT, PGUSER and PGDATABASE.
    pub fn tool(&self, name: &str) -> Command {
        let path = self.pg_bin().join(name);
        assert!(
            path.exists(),
            "{} is missing: run scripts/test, or: apt-get install -y postgresql postgresql-contrib",
            path.display()
        );
        let mut command = Command::new(path);
        for name in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"] {
            command.env(name, self.var(name));
        }
        command
    }

    /// Runs `sql` and returns its unaligned, tuples-only output.
    pub fn psql(&self, sql: &str) -> String {
        let output = self
            .tool("psql")
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            output.status.success(),
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Sessions of `application_name` in `state`.
    pub fn sessions(&self, app: &str, state: &str) -> usize {
        let sql = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}' \
             AND state = '{state}'"
        );
        self.psql(&sql).parse().expect("a count")
    }

    /// Runs `warroom check` (live) on the lab's generated config; fails the test on any problem.
    pub fn check(&self, state_home: &Path) {
        let check = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["check", "--config", self.var("WARROOM_CONFIG")])
            .env("XDG_STATE_HOME", state_home)
            .output()
            .expect("run warroom check");
        assert!(
            check.status.success(),
            "warroom check on the lab's config:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }

    /// The environment warroom runs with on the lab, in tmux: its config and state, the psql
    /// of the lab's server first on PATH for the runbooks, the lab's PGUSER and PGDATABASE,
    /// and `USER=oncall`.
    pub fn warroom_env(&self, state_home: &Path) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            self.pg_bin().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        let mut env = vec![
            ("XDG_STATE_HOME".to_owned(), path_str(state_home).to_owned()),
            ("WARROOM_CONFIG".to_owned(), self.var("WARROOM_CONFIG").to_owned()),
            ("PATH".to_owned(), path),
            ("USER".to_owned(), "oncall".to_owned()),
        ];
        for name in ["PGUSER", "PGDATABASE"] {
            env.push((name.to_owned(), self.var(name).to_owned()));
        }
        env
    }

    /// `warroom timeline --since 1h` (Markdown) on the lab's config, once it holds `needle`;
    /// fails the test when it never does within 10 s.
    pub fn timeline_with(&self, state_home: &Path, needle: &str) -> String {
        let mut timeline = String::new();
        let told = super::wait_for(std::time::Duration::from_secs(10), || {
            let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
                .args(["timeline", "--since", "1h", "--format", "markdown", "--config"])
                .arg(self.var("WARROOM_CONFIG"))
                .env("XDG_STATE_HOME", state_home)
                .output()
                .expect("run warroom timeline");
            timeline = String::from_utf8_lossy(&out.stdout).into_owned();
            out.status.success() && timeline.contains(needle)
        });
        assert!(told, "the timeline never showed {needle}:\n{timeline}");
        timeline
    }

    pub fn tail_logs(&self) {
        for name in ["postgres", "prometheus", "postgres_exporter", "alertmanager"] {
            let log = self.dir.join("logs").join(format!("{name}.log"));
            eprintln!(
                "--- last lines of {} ---\n{}",
                log.display(),
                super::process::tail_lines(&log, 15)
            );
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() && self.dir.exists() {
            self.tail_logs();
        }
        match lab_command(&self.record, &["down", path_str(&self.dir)]).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                eprintln!("scripts/lab down failed: {}", String::from_utf8_lossy(&out.stderr))
            }
            Err(e) => eprintln!("cannot run scripts/lab down: {e}"),
        }
    }
}

fn lab_command(record: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("bash");
    command.arg(repo().join("scripts/lab")).args(args).env("WARROOM_LAB_RECORD", record);
    command
}

/// `export NAME=value` lines, values as bash's `printf %q` writes them.
fn parse_exports(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| {
            let mut value = String::new();
            let mut chars = v.chars();
            while let Some(c) = chars.next() {
                value.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
            }
            (k.to_owned(), value)
        })
        .collect()
}

/// A temporary path as the `&str` commands take.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// The load a scenario puts on the lab (pgbench, psql sessions): killed and reaped when dropped,
/// passed or failed. Each scenario adds the methods that start its own.
#[derive(Default)]
pub struct Load {
    pub children: Vec<Child>,
    /// Kept open so each psql waits for more input, its transaction open.
    pub stdins: Vec<ChildStdin>,
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stdins.clear();
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
