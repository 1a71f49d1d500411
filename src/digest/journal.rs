//! The hand-over journal: one line per digest, appended by a plain `write` immediately before
//! the SMTP `.` that makes the server accept it.
//!
//! The database records the hand-over first (that is where workers and replicas agree whose
//! delivery it is), but reaching the database takes a hop to its thread and back; a crash in
//! that hop would leave "handed over" recorded for a message that never got its `.`. The
//! journal closes that gap: after a crash, a handed-over delivery of this machine that is not
//! in the journal certainly never reached the server and goes back to the queue; one that is
//! in it is never sent again. Lines survive a killed process (they are in the page cache); a
//! power cut may lose the last few, which could then be sent twice.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;

/// Files older than this many days are removed: their deliveries were resolved long ago.
const KEEP_DAYS: i64 = 3;

pub struct HandOverJournal {
    directory: PathBuf,
    /// Today's file, kept open so a line costs one `write`.
    open: Mutex<Option<(jiff::civil::Date, std::fs::File)>>,
}

impl HandOverJournal {
    pub fn new(directory: &Path) -> HandOverJournal {
        HandOverJournal {
            directory: directory.to_owned(),
            open: Mutex::new(None),
        }
    }

    /// Appends `id claim`. One `write` of one short line to a file opened for appending, so
    /// lines from several processes never interleave.
    pub fn record(&self, id: i64, claim: &str) -> anyhow::Result<()> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let day = crate::clock::today_utc();
        if open.as_ref().is_none_or(|(opened, _)| *opened != day) {
            std::fs::create_dir_all(&self.directory)
                .with_context(|| format!("while creating {}", self.directory.display()))?;
            let path = self.directory.join(format!("{day}.log"));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("while opening {}", path.display()))?;
            *open = Some((day, file));
            self.prune(day);
        }
        if let Some((_, file)) = open.as_mut() {
            file.write_all(format!("{id} {claim}\n").as_bytes())
                .context("while writing the hand-over journal")?;
        }
        Ok(())
    }

    /// Every `(id, claim)` recorded in the files still kept.
    pub fn entries(&self) -> anyhow::Result<HashSet<(i64, String)>> {
        entries_in(&self.directory)
    }

    fn prune(&self, today: jiff::civil::Date) {
        let Some(oldest) = today.checked_sub(jiff::Span::new().days(KEEP_DAYS)).ok() else {
            return;
        };
        let Ok(files) = std::fs::read_dir(&self.directory) else {
            return;
        };
        for file in files.flatten() {
            let name = file.file_name();
            let day = name
                .to_string_lossy()
                .strip_suffix(".log")
                .and_then(|day| day.parse().ok());
            if day.is_some_and(|day: jiff::civil::Date| day < oldest) {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }
}

/// Every `(id, claim)` in the journal kept in `directory`: this process's, or that of a dead
/// replica of this machine whose hand-overs are being settled.
pub fn entries_in(directory: &Path) -> anyhow::Result<HashSet<(i64, String)>> {
    let mut entries = HashSet::new();
    let Ok(files) = std::fs::read_dir(directory) else {
        return Ok(entries);
    };
    for file in files.flatten() {
        let text =
            std::fs::read_to_string(file.path()).with_context(|| format!("while reading {}", file.path().display()))?;
        for line in text.lines() {
            if let Some((id, claim)) = line.split_once(' ')
                && let Ok(id) = id.parse()
            {
                entries.insert((id, claim.to_owned()));
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_back_and_old_files_go() {
        let directory = tempfile::tempdir().expect("temp dir");
        std::fs::write(directory.path().join("2001-01-01.log"), "1 stale\n").expect("old file");
        let journal = HandOverJournal::new(directory.path());
        journal.record(7, "host/abc").expect("record");
        journal.record(8, "host/def").expect("record");
        let entries = journal.entries().expect("entries");
        assert!(entries.contains(&(7, "host/abc".to_owned())));
        assert!(entries.contains(&(8, "host/def".to_owned())));
        assert!(!entries.contains(&(1, "stale".to_owned())), "old files are pruned");
    }
}
