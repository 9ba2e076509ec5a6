//! The alert history: an append-only JSON Lines file, one [`Event`] per line.
//!
//! Several warroom processes may append to the same file: each event is written with a single
//! `write` on a file opened in append mode, so lines do not interleave. A crash can leave a torn
//! last line; readers skip it, and the next writer starts on a fresh line.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::event::Event;
use crate::jsonl;

/// The history file's name inside the state directory.
pub const HISTORY_FILE: &str = "history.jsonl";

/// An open history file, appended to as events happen.
#[derive(Debug)]
pub struct HistoryLog {
    file: File,
    path: PathBuf,
}

impl HistoryLog {
    /// Opens (creating it and its parent directories if needed) the history file for appending.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = jsonl::open_append(&path)?;
        Ok(HistoryLog { file, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event as one line, handed to the operating system before returning.
    pub fn append(&mut self, event: &Event) -> io::Result<()> {
        jsonl::append(&mut self.file, [event])
    }

    /// Appends several events in one write: a storm of thousands of transitions is one
    /// system call, not thousands.
    pub fn append_all<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> io::Result<()> {
        jsonl::append(&mut self.file, events)
    }

    /// Moves the log to a thread of its own: appends no longer wait for the disk on the
    /// caller's thread (the dashboard's loop), and what arrives while a write is under way is
    /// written together with the next one.
    pub fn into_writer(self) -> HistoryWriter {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<Event>>();
        let mut log = self;
        let thread = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || {
                while let Ok(mut batch) = rx.recv() {
                    while let Ok(more) = rx.try_recv() {
                        batch.extend(more);
                    }
                    if let Err(e) = log.append_all(&batch) {
                        tracing::error!("cannot append to alert history: {e}");
                    }
                }
            })
            .ok();
        HistoryWriter { tx: Some(tx), thread }
    }

    /// Reads the events at or after `since`, in file order, with a warning (naming the line) for
    /// each line that cannot be read. A missing file is an empty history; a torn last line (no
    /// newline, not valid JSON: a write cut short) is skipped without a warning.
    pub fn read_since(path: impl AsRef<Path>, since: DateTime<Utc>) -> (Vec<Event>, Vec<String>) {
        jsonl::read(path.as_ref(), "a history record", |e: &Event| e.at() >= since)
    }
}

/// The history log on its own thread (see [`HistoryLog::into_writer`]). Dropping it writes what
/// was sent and waits for the thread.
#[derive(Debug)]
pub struct HistoryWriter {
    tx: Option<std::sync::mpsc::Sender<Vec<Event>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HistoryWriter {
    /// Queues events for appending.
    pub fn send(&self, events: Vec<Event>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(events);
        }
    }
}

impl Drop for HistoryWriter {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
