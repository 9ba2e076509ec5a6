//! A child server process that logs to a file, is probed for readiness over HTTP, and is
//! killed and reaped on drop.

#![allow(unsafe_code, reason = "kill(2) of the servers it started, through libc")]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::http;

/// How many times a server is restarted on a new port when its port was taken.
const PORT_ATTEMPTS: usize = 5;

/// Lines of the server's log quoted in failure messages.
const LOG_TAIL: usize = 30;

/// Finds `binary` on `PATH`, or fails the test with the command that installs it.
pub fn require_binary(binary: &str, package: &str) -> PathBuf {
    find_on_path(binary).unwrap_or_else(|| {
        panic!(
            "`{binary}` is not installed (not found on PATH): \
             run scripts/test, or: apt-get install -y {package}"
        )
    })
}

/// The first executable file named `binary` in the directories of `PATH`.
pub fn find_on_path(binary: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(binary))
        .find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// Why a server did not start.
#[derive(Debug)]
pub struct StartFailure {
    /// The port was taken between `free_port()` and the server's bind; worth a retry.
    pub port_in_use: bool,
    /// What happened, with the tail of the server's log.
    pub message: String,
}

impl StartFailure {
    /// A failure described by `message` and the tail of the log at `log`.
    pub fn from_log(message: String, log: &Path) -> Self {
        let tail = tail_lines(log, LOG_TAIL);
        Self {
            port_in_use: tail.to_ascii_lowercase().contains("address already in use"),
            message: format!(
                "{message}\n--- last {LOG_TAIL} lines of {} ---\n{tail}",
                log.display()
            ),
        }
    }
}

/// Calls `attempt` with fresh free ports until it succeeds, retrying only when the port was
/// taken by someone else; any other failure fails the test with the failure's message.
pub fn start_with_retry<T>(
    name: &str,
    mut attempt: impl FnMut(u16) -> Result<T, StartFailure>,
) -> T {
    let mut last = None;
    for _ in 0..PORT_ATTEMPTS {
        match attempt(super::free_port()) {
            Ok(server) => return server,
            Err(failure) if failure.port_in_use => last = Some(failure),
            Err(failure) => panic!("{name} did not start: {}", failure.message),
        }
    }
    panic!(
        "{name} did not start: port taken {PORT_ATTEMPTS} times in a row; last attempt: {}",
        last.map(|f| f.message).unwrap_or_default()
    )
}

/// A running server process. Killed with SIGKILL and reaped on drop.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    log: PathBuf,
    exit: Option<ExitStatus>,
}

impl ServerProcess {
    /// Spawns `command` with stdin closed and stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Self {
        let out =
            File::create(log).unwrap_or_else(|e| panic!("create log file {}: {e}", log.display()));
        let err = out.try_clone().expect("clone log file handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name} ({command:?}): {e}"));
        Self { name: name.to_owned(), child, log: log.to_owned(), exit: None }
    }

    /// Waits until `GET url` answers 200, the process exits, or `timeout` passes.
    pub fn wait_ready(&mut self, url: &str, timeout: Duration) -> Result<(), StartFailure> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Err(StartFailure::from_log(
                    format!("{} exited before it was ready ({status})", self.name),
                    &self.log,
                ));
            }
            if matches!(http::get(url), Ok(r) if r.status == 200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StartFailure::from_log(
                    format!("{} was not ready at {url} after {timeout:?}", self.name),
                    &self.log,
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Path of the file holding the server's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `n` lines of the server's log.
    pub fn tail_log(&self, n: usize) -> String {
        tail_lines(&self.log, n)
    }

    /// Whether the process is still alive (a stopped process is alive).
    pub fn is_running(&mut self) -> bool {
        self.try_exit().is_none()
    }

    /// Freezes the process (SIGSTOP): it keeps its port but answers nothing. Returns once
    /// every thread has stopped, since a busy thread may run on for a moment after the signal.
    pub fn pause(&mut self) {
        self.signal(libc::SIGSTOP);
        let pid = self.pid();
        let stopped = super::wait_for(Duration::from_secs(10), || all_threads_stopped(pid));
        assert!(stopped, "{} (pid {pid}) did not stop after SIGSTOP", self.name);
    }

    /// Thaws a paused process (SIGCONT).
    pub fn resume(&mut self) {
        self.signal(libc::SIGCONT);
    }

    /// Kills the process (SIGKILL) and reaps it. Idempotent.
    pub fn kill(&mut self) {
        if self.try_exit().is_some() {
            return;
        }
        // An error here means the process has just exited on its own; wait() reaps it either way.
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => self.exit = Some(status),
            Err(e) => eprintln!("waiting for {} (pid {}): {e}", self.name, self.pid()),
        }
    }

    fn signal(&mut self, signal: libc::c_int) {
        assert!(self.is_running(), "cannot signal {}: it has exited", self.name);
        let pid = libc::pid_t::try_from(self.pid()).expect("pid fits in pid_t");
        // SAFETY: kill(2) on our own, not yet reaped child: the pid cannot have been reused.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}): {}", std::io::Error::last_os_error());
    }

    fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last `n` lines of the file at `path`, or a note saying why it could not be read.
pub fn tail_lines(path: &Path, n: usize) -> String {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return format!("(cannot read {}: {e})", path.display()),
    };
    let lines: Vec<String> = BufReader::new(file)
        .split(b'\n')
        .map_while(Result::ok)
        .map(|line| String::from_utf8_lossy(&line).into_owned())
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether every thread of `pid` is in the stopped state (`T` in `/proc/PID/task/TID/stat`).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().all(|task| {
        std::fs::read_to_string(task.path().join("stat"))
            .ok()
            // The state follows the command name, which is in parentheses and may hold spaces.
            .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| rest.starts_with('T')))
            .unwrap_or(true) // a thread that exited meanwhile is not running either
    })
}
