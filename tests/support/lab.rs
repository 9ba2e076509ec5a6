//! The PostgreSQL lab of `scripts/lab` for end-to-end scenarios: `Lab::up` starts it in a
//! temporary directory and `scripts/lab down` stops it when the guard is dropped, passed or
//! failed; its client tools come with the lab's `PG*` settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

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
