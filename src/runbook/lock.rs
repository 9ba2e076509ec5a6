//! One run per action and target at a time, across every warroom process on the host, and a
//! cooldown after each run.
//!
//! `<state>/locks/<runbook>-<key>-<hash of target>.lock` is held with an exclusive non-blocking
//! `flock` for the whole run (the kernel drops it if the process dies) and names its holder;
//! `….cooldown` next to it holds the Unix time in milliseconds until which the action rests.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::resolve::Refusal;

/// A held run lock. Dropping it releases the lock without starting a cooldown; call
/// [`RunLock::finish`] after a run.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
    cooldown_path: PathBuf,
    cooldown: Duration,
}

impl RunLock {
    /// Takes the lock for `runbook`/`key` on `target`, or says why not: another run holds it
    /// (`Refusal::Running`, with the holder's note), the cooldown of the last run is not over
    /// (`Refusal::CoolingDown`), or the lock directory is unusable (`Refusal::Io`). `holder` is
    /// recorded in the lock file, e.g. "2024-11-11 03:12 UTC by alice@bastion-1 (pid 4242)".
    pub fn acquire(
        state_dir: &Path,
        runbook: &str,
        key: char,
        target: &str,
        cooldown: Duration,
        holder: &str,
    ) -> Result<RunLock, Refusal> {
        let dir = state_dir.join("locks");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Refusal::Io(format!("{}: {e}", dir.display())))?;
        let stem = lock_stem(runbook, key, target);
        let path = dir.join(format!("{stem}.lock"));
        let cooldown_path = dir.join(format!("{stem}.cooldown"));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Refusal::Io(format!("{}: {e}", path.display())))?;
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut note = String::new();
                let _ = file.read_to_string(&mut note);
                let note = crate::sanitize::clean_owned(note.trim());
                return Err(Refusal::Running {
                    since: if note.is_empty() { "an unknown time".into() } else { note },
                });
            }
            return Err(Refusal::Io(format!("{}: {err}", path.display())));
        }
        if let Some(left) = cooldown_left(&cooldown_path) {
            return Err(Refusal::CoolingDown { left });
        }
        file.set_len(0)
            .and_then(|()| file.write_all(holder.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| Refusal::Io(format!("{}: {e}", path.display())))?;
        Ok(RunLock { _file: file, path, cooldown_path, cooldown })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ends the run: starts the cooldown (when the action has one) and releases the lock.
    pub fn finish(self) -> std::io::Result<()> {
        if !self.cooldown.is_zero() {
            let until = SystemTime::now() + self.cooldown;
            let ms = until.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
            let tmp = self.cooldown_path.with_extension("cooldown.tmp");
            std::fs::write(&tmp, ms.to_string())?;
            std::fs::rename(&tmp, &self.cooldown_path)?;
        }
        Ok(())
    }
}

/// Time left in the cooldown recorded at `path`, if any.
fn cooldown_left(path: &Path) -> Option<Duration> {
    let text = std::fs::read_to_string(path).ok()?;
    let until_ms: u64 = text.trim().parse().ok()?;
    let now_ms =
        u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()?;
    (until_ms > now_ms).then(|| Duration::from_millis(until_ms - now_ms))
}

/// `pg-idle-t-1a2b3c4d5e6f7a8b`: runbook id, key (as hex when not alphanumeric, `^x` for
/// upper case so case-insensitive file systems keep `R` and `r` apart) and an FNV-1a hash of
/// the target.
fn lock_stem(runbook: &str, key: char, target: &str) -> String {
    let key = if key.is_ascii_lowercase() || key.is_ascii_digit() {
        key.to_string()
    } else if key.is_ascii_uppercase() {
        format!("^{}", key.to_ascii_lowercase())
    } else {
        format!("u{:x}", key as u32)
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in target.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{runbook}-{key}-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first =
            RunLock::acquire(dir.path(), "rb", 't', "pg-1", Duration::ZERO, "alice").unwrap();
        let second = RunLock::acquire(dir.path(), "rb", 't', "pg-1", Duration::ZERO, "bob");
        match second {
            Err(Refusal::Running { since }) => assert_eq!(since, "alice"),
            other => panic!("expected Running, got {other:?}"),
        }
        // Another target is independent.
        assert!(RunLock::acquire(dir.path(), "rb", 't', "pg-2", Duration::ZERO, "bob").is_ok());
        first.finish().unwrap();
        assert!(RunLock::acquire(dir.path(), "rb", 't', "pg-1", Duration::ZERO, "bob").is_ok());
    }

    #[test]
    fn cooldown_refuses_with_time_left() {
        let dir = tempfile::tempdir().unwrap();
        let cd = Duration::from_secs(40);
        RunLock::acquire(dir.path(), "rb", 'c', "pg-1", cd, "alice").unwrap().finish().unwrap();
        let err = RunLock::acquire(dir.path(), "rb", 'c', "pg-1", cd, "bob").unwrap_err();
        assert!(matches!(err, Refusal::CoolingDown { .. }), "{err:?}");
        assert_eq!(err.to_string(), "cooling down, 40 s left");
    }

    #[test]
    fn stems_are_file_safe() {
        assert!(lock_stem("rb", '/', "x").starts_with("rb-u2f-"));
        assert_ne!(lock_stem("rb", 'R', "x"), lock_stem("rb", 'r', "x"));
    }
}
