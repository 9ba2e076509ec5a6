//! Append-only JSON Lines files — the alert history and the audit log — written and read one
//! way. Each record is one line written with one `write` on a file opened in append mode, so
//! several warroom processes appending to one file never interleave. A crash can leave a torn
//! last line: the next writer first ends it with a newline (so its own record stands whole on
//! a line of its own), and readers skip it. Any other line that does not read is named in a
//! warning, never dropped in silence.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Opens `path` for appending (creating it and its folders), ending a torn last line first.
pub fn open_append(path: &Path) -> io::Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
    if ends_torn(&mut file)? {
        file.write_all(b"\n")?;
    }
    Ok(file)
}

/// Appends `records`, one line each, in one write.
pub fn append<'a, T: Serialize + 'a>(
    file: &mut File,
    records: impl IntoIterator<Item = &'a T>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    for r in records {
        serde_json::to_writer(&mut buf, r).map_err(io::Error::other)?;
        buf.push(b'\n');
    }
    if buf.is_empty() {
        return Ok(());
    }
    file.write_all(&buf)?;
    file.flush()
}

/// The records of `path` that `keep`, in file order, with a warning (`file:line: …`) for each
/// line that is not a `what`. A missing file has no records; a torn last line (no newline, not
/// valid JSON: a write cut short) is skipped without a warning.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    what: &str,
    keep: impl Fn(&T) -> bool,
) -> (Vec<T>, Vec<String>) {
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (records, warnings),
        Err(e) => {
            warnings.push(format!("{}: cannot read it: {e}", path.display()));
            return (records, warnings);
        }
    };
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                warnings.push(format!("{}:{number}: {e}", path.display()));
                break;
            }
        }
        let complete = buf.last() == Some(&b'\n');
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<T>(line) {
            Ok(record) if keep(&record) => records.push(record),
            Ok(_) => {}
            Err(_) if !complete => {} // torn last line
            Err(e) => warnings.push(format!(
                "{}:{number}: not {what} ({e}); the line is ignored",
                path.display()
            )),
        }
    }
    (records, warnings)
}

/// Whether the file is non-empty and does not end with a newline.
fn ends_torn(file: &mut File) -> io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct R {
        n: u32,
    }

    #[test]
    fn a_torn_line_is_ended_before_the_next_record_and_skipped_by_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/log.jsonl");
        let mut f = open_append(&path).unwrap();
        append(&mut f, &[R { n: 1 }]).unwrap();
        f.write_all(br#"{"n":"#).unwrap(); // a crash mid-write
        drop(f);
        let (read_back, warnings) = read::<R>(&path, "a record", |_| true);
        assert_eq!((read_back, warnings), (vec![R { n: 1 }], vec![]));
        // The next writer's record is whole, on a line of its own.
        let mut f = open_append(&path).unwrap();
        append(&mut f, &[R { n: 2 }, R { n: 3 }]).unwrap();
        let (read_back, warnings) = read::<R>(&path, "a record", |r| r.n > 1);
        assert_eq!(read_back, vec![R { n: 2 }, R { n: 3 }]);
        assert_eq!(warnings.len(), 1, "the ended torn line is now a bad line: {warnings:?}");
        assert!(warnings[0].contains("log.jsonl:2: not a record"), "{warnings:?}");
    }

    #[test]
    fn a_missing_file_is_empty() {
        let (none, warnings) = read::<R>(Path::new("/nonexistent/x.jsonl"), "a record", |_| true);
        assert!(none.is_empty() && warnings.is_empty());
    }
}
