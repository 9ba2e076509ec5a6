//! One run per action and target at a time, across every warroom process on the host, whoever
//! runs it, and a cooldown after each run.
//!
//! The lock directory is shared by the engineers on a host (by default `/run/lock/warroom`, or
//! `/tmp/warroom-locks` where there is no `/run/lock`; `lock_dir` in the config). Whoever comes
//! first creates it with mode 1777: anyone may add files, nobody may remove or replace another's
//! (the sticky bit). Each file is 0644 and owned by its creator:
//!
//! - `<runbook>-<key>-<hash of target>.lock` is held with an exclusive non-blocking `flock` for
//!   the whole run (the kernel drops it if the process dies). Anyone can take it, also through a
//!   read-only descriptor when another user created the file.
//! - `….<uid>.holder` names the current holder (written by the holder after taking the lock; the
//!   newest one is shown to whoever is refused).
//! - `….<uid>.cooldown` holds the Unix time in milliseconds until which the action rests after a
//!   run by that user; every user's cooldown counts.
//!
//! Files are opened without following symbolic links and must be regular files, so nothing
//! another user plants in the shared directory makes warroom write elsewhere or hang.

#![allow(unsafe_code, reason = "flock(2), geteuid and fstat on the lock files, through libc")]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::resolve::Refusal;

/// Mode of a lock directory warroom creates: world-writable with the sticky bit, like `/tmp`.
pub const DIR_MODE: u32 = 0o1777;
/// Mode of the files in it.
pub const FILE_MODE: u32 = 0o644;

/// Where locks live when the config names no `lock_dir`: `/run/lock/warroom` on hosts that have
/// `/run/lock`, else `warroom-locks` in the temporary directory.
pub fn default_lock_dir() -> PathBuf {
    let run_lock = Path::new("/run/lock");
    if run_lock.is_dir() {
        run_lock.join("warroom")
    } else {
        std::env::temp_dir().join("warroom-locks")
    }
}

/// A held run lock. Dropping it releases the lock without starting a cooldown; call
/// [`RunLock::finish`] after a run.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
    dir: PathBuf,
    stem: String,
    cooldown: Duration,
}

impl RunLock {
    /// Takes the lock for `runbook`/`key` on `target` in `dir`, or says why not: another run
    /// holds it (`Refusal::Running`, with the holder's note), a cooldown of the last run is not
    /// over (`Refusal::CoolingDown`), the directory cannot be used (`Refusal::LockDir`), or a
    /// file in it cannot (`Refusal::Io`). `holder` is recorded for others to see, e.g.
    /// "2024-11-11 03:12 UTC by alice@bastion-1 (pid 4242)".
    pub fn acquire(
        dir: &Path,
        runbook: &str,
        key: char,
        target: &str,
        cooldown: Duration,
        holder: &str,
    ) -> Result<RunLock, Refusal> {
        ready_dir(dir)?;
        let stem = lock_stem(runbook, key, target);
        let path = dir.join(format!("{stem}.lock"));
        let io = |e: std::io::Error| Refusal::Io(format!("{}: {e}", path.display()));
        let file = open_lock(&path).map_err(io)?;
        // SAFETY: flock on a file descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let note = newest(dir, &stem, ".holder").unwrap_or_default();
                let note = crate::sanitize::clean_owned(note.trim());
                return Err(Refusal::Running {
                    since: if note.is_empty() { "an unknown time".into() } else { note },
                });
            }
            return Err(io(err));
        }
        if let Some(left) = cooldown_left(dir, &stem) {
            return Err(Refusal::CoolingDown { left });
        }
        let note = own_file(dir, &stem, "holder");
        write_new(&note, holder.as_bytes())
            .map_err(|e| Refusal::Io(format!("{}: {e}", note.display())))?;
        Ok(RunLock { _file: file, path, dir: dir.to_path_buf(), stem, cooldown })
    }

    /// Whether [`RunLock::acquire`] would refuse now because another run holds the lock or a
    /// cooldown is not over, for the confirm dialog to say before it asks. Creates nothing and
    /// takes nothing (the lock is tried and let go at once); `acquire` still decides.
    pub fn peek(dir: &Path, runbook: &str, key: char, target: &str) -> Option<Refusal> {
        let stem = lock_stem(runbook, key, target);
        let path = dir.join(format!("{stem}.lock"));
        let file = OpenOptions::new().read(true).custom_flags(SAFE_FLAGS).open(&path).ok();
        if let Some(file) = file.and_then(|f| regular(f).ok()) {
            // SAFETY: flock on a file descriptor we own; it is released when `file` drops.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            let held = rc != 0
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK);
            if held {
                let note = newest(dir, &stem, ".holder").unwrap_or_default();
                let note = crate::sanitize::clean_owned(note.trim());
                let since = if note.is_empty() { "an unknown time".into() } else { note };
                return Some(Refusal::Running { since });
            }
        }
        cooldown_left(dir, &stem).map(|left| Refusal::CoolingDown { left })
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
            write_new(&own_file(&self.dir, &self.stem, "cooldown"), ms.to_string().as_bytes())?;
        }
        Ok(())
    }
}

/// Makes sure `dir` exists and is safe to share: created with [`DIR_MODE`] when missing; a
/// directory (not a link someone else planted); and, when anyone may write there, sticky, so
/// nobody can remove or replace another's locks. `warroom check` asks it too.
pub fn ready_dir(dir: &Path) -> Result<(), Refusal> {
    let refuse = |why: String| Refusal::LockDir { dir: dir.display().to_string(), why };
    if !dir.exists() && std::fs::symlink_metadata(dir).is_err() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| refuse(e.to_string()))?;
        }
        match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
            // The umask took bits away: put them back.
            Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
                .map_err(|e| refuse(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(refuse(e.to_string())),
        }
    }
    let link = std::fs::symlink_metadata(dir).map_err(|e| refuse(e.to_string()))?;
    // SAFETY: geteuid has no failure modes.
    let me = unsafe { libc::geteuid() };
    if link.file_type().is_symlink() && link.uid() != me && link.uid() != 0 {
        return Err(refuse(format!("it is a symbolic link owned by uid {}", link.uid())));
    }
    let meta = std::fs::metadata(dir).map_err(|e| refuse(e.to_string()))?;
    if !meta.is_dir() {
        return Err(refuse("not a directory".into()));
    }
    let mode = meta.mode();
    if mode & 0o002 != 0 && mode & 0o1000 == 0 {
        return Err(refuse(
            "anyone may write there but it lacks the sticky bit, so anyone could remove a lock \
             (chmod 1777 it, or set lock_dir elsewhere)"
                .into(),
        ));
    }
    Ok(())
}

/// Flags for every file opened in the lock directory: never through a symbolic link, and never
/// blocking on a FIFO planted there.
const SAFE_FLAGS: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK;

/// Opens (creating) the lock file; read-only when another user created it, which is enough
/// for `flock`. Only a regular file will do.
fn open_lock(path: &Path) -> std::io::Result<File> {
    let rw = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(SAFE_FLAGS)
        .open(path);
    let file = match rw {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            OpenOptions::new().read(true).custom_flags(SAFE_FLAGS).open(path)?
        }
        other => other?,
    };
    readable_by_all(regular(file)?)
}

/// Gives a file of ours [`FILE_MODE`] whatever the umask took away, so other users can take
/// the lock and read the notes.
fn readable_by_all(file: File) -> std::io::Result<File> {
    let meta = file.metadata()?;
    // SAFETY: geteuid has no failure modes.
    if meta.uid() == unsafe { libc::geteuid() } && meta.mode() & 0o7777 != FILE_MODE {
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

fn regular(file: File) -> std::io::Result<File> {
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(std::io::Error::other("not a regular file"))
    }
}

/// `<stem>.<uid>.<kind>`: this user's holder note or cooldown.
fn own_file(dir: &Path, stem: &str, kind: &str) -> PathBuf {
    // SAFETY: geteuid has no failure modes.
    let uid = unsafe { libc::geteuid() };
    dir.join(format!("{stem}.{uid}.{kind}"))
}

/// Replaces `path` with a file holding `bytes`: written to a new file of our own first (never
/// one that was there), then renamed over `path`, so readers see the old or the new text.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp.{}.{n}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .custom_flags(SAFE_FLAGS)
            .open(&tmp)?;
        let mut f = readable_by_all(f)?;
        f.write_all(bytes)?;
        std::fs::rename(&tmp, path)
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Up to 4 KiB of a regular file, without following links or blocking.
fn read_small(path: &Path) -> Option<String> {
    let file = OpenOptions::new().read(true).custom_flags(SAFE_FLAGS).open(path).ok()?;
    let mut text = String::new();
    regular(file).ok()?.take(4096).read_to_string(&mut text).ok()?;
    Some(text)
}

/// The files `<stem>.*<suffix>` in `dir` (every user's), with their modification times.
fn files_of(dir: &Path, stem: &str, suffix: &str) -> Vec<(PathBuf, SystemTime)> {
    let prefix = format!("{stem}.");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name();
            let name = name.to_str()?;
            if !(name.starts_with(&prefix) && name.ends_with(suffix)) {
                return None;
            }
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((e.path(), modified))
        })
        .collect()
}

/// The text of the newest `<stem>.*<suffix>` file.
fn newest(dir: &Path, stem: &str, suffix: &str) -> Option<String> {
    let (path, _) = files_of(dir, stem, suffix).into_iter().max_by_key(|(_, t)| *t)?;
    read_small(&path)
}

/// Time left in the longest cooldown any user recorded for `stem`, if any.
fn cooldown_left(dir: &Path, stem: &str) -> Option<Duration> {
    let now_ms =
        u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()?;
    files_of(dir, stem, ".cooldown")
        .into_iter()
        .filter_map(|(path, _)| read_small(&path)?.trim().parse::<u64>().ok())
        .max()
        .filter(|until| *until > now_ms)
        .map(|until| Duration::from_millis(until - now_ms))
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
    fn peek_says_what_acquire_would_refuse_and_takes_nothing() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("locks");
        // Nothing there yet: nothing refuses, and peeking creates nothing.
        assert_eq!(RunLock::peek(&dir, "rb", 't', "pg-1"), None);
        assert!(!dir.exists());
        let cd = Duration::from_secs(40);
        let held = RunLock::acquire(&dir, "rb", 't', "pg-1", cd, "alice@b1").unwrap();
        let peeked = RunLock::peek(&dir, "rb", 't', "pg-1");
        assert_eq!(peeked, Some(Refusal::Running { since: "alice@b1".into() }));
        assert_eq!(RunLock::peek(&dir, "rb", 't', "pg-2"), None, "another target");
        // Peeking let go of the lock it tried: the holder still holds it alone.
        assert!(RunLock::acquire(&dir, "rb", 't', "pg-1", cd, "bob").is_err());
        held.finish().unwrap();
        let cooling = RunLock::peek(&dir, "rb", 't', "pg-1");
        assert!(matches!(cooling, Some(Refusal::CoolingDown { .. })), "{cooling:?}");
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
    fn a_new_lock_dir_is_sticky_and_world_writable_and_files_are_0644() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("shared/locks");
        let lock = RunLock::acquire(&dir, "rb", 'c', "pg-1", Duration::from_secs(5), "alice")
            .expect("the directory is created");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(lock.path()), FILE_MODE);
        lock.finish().unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), FILE_MODE, "{}", path.display());
        }
    }

    #[test]
    fn an_unusable_lock_dir_is_refused_with_a_reason() {
        let parent = tempfile::tempdir().unwrap();
        let file = parent.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let err = RunLock::acquire(&file, "rb", 'c', "x", Duration::ZERO, "me").unwrap_err();
        let text = err.to_string();
        assert_eq!(text, format!("cannot use lock dir {}: not a directory", file.display()));

        let open = parent.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = RunLock::acquire(&open, "rb", 'c', "x", Duration::ZERO, "me").unwrap_err();
        assert!(err.to_string().contains("lacks the sticky bit"), "{err}");
    }

    #[test]
    fn links_and_fifos_planted_in_the_lock_dir_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "keep").unwrap();
        let stem = lock_stem("rb", 'c', "x");
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(format!("{stem}.lock"))).unwrap();
        let err = RunLock::acquire(dir.path(), "rb", 'c', "x", Duration::ZERO, "me").unwrap_err();
        assert!(matches!(err, Refusal::Io(_)), "{err:?}");
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "keep");

        let fifo = dir.path().join(format!("{}.lock", lock_stem("rb", 'c', "y")));
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = RunLock::acquire(dir.path(), "rb", 'c', "y", Duration::ZERO, "me").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn stems_are_file_safe() {
        assert!(lock_stem("rb", '/', "x").starts_with("rb-u2f-"));
        assert_ne!(lock_stem("rb", 'R', "x"), lock_stem("rb", 'r', "x"));
    }
}
