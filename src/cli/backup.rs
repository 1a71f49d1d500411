//! `paperboy backup FILE` and `paperboy restore FILE`: a consistent copy of the SQLite database,
//! taken while the server runs, and putting one back in place of the database.
//!
//! Only the database is copied: the search index is a cache of it, and every secret (the keys
//! that sign links, hashed sessions) lives in it. A PostgreSQL instance is backed up with its
//! own tools (`pg_dump`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use paperboy_store::{InstanceStore, PaperStore, SqliteStore};

use crate::cli::{Context, runtime};
use crate::config::DataDir;

/// Exit code 0: the backup is written, checked, and in place under its name.
pub fn backup(context: &Context, file: &Path) -> anyhow::Result<u8> {
    let data_dir = sqlite_instance(context, "back up")?;
    anyhow::ensure!(
        data_dir.database().exists(),
        "there is no database in {} to back up",
        data_dir.root.display()
    );
    anyhow::ensure!(
        !file.exists(),
        "{} already exists: a backup never overwrites a file",
        file.display()
    );
    // Written beside its final name and renamed when whole, so that a backup cut short (a crash,
    // a full disk) never passes for a good one.
    let partial = beside(file, "partial")?;
    remove_database_files(&partial)?;
    let started = Instant::now();
    runtime()?.block_on(async {
        let store = SqliteStore::open(&data_dir.database()).await?;
        let written = store.back_up_into(&partial).await;
        store.close().await;
        if let Err(error) = written {
            remove_database_files(&partial)?;
            return Err(error).with_context(|| format!("while writing the backup {}", partial.display()));
        }
        let papers = match check(&partial).await {
            Ok(papers) => papers,
            Err(error) => {
                remove_database_files(&partial)?;
                return Err(error);
            }
        };
        durable_rename(&partial, file)?;
        let size = std::fs::metadata(file)?.len();
        println!(
            "backed up {papers} papers to {} ({:.1} MB) in {:.1} s",
            file.display(),
            size as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        Ok(0)
    })
}

/// Exit code 0: the backup is the instance's database now; the one it replaced is kept beside.
pub fn restore(context: &Context, file: &Path) -> anyhow::Result<u8> {
    let data_dir = sqlite_instance(context, "restore")?;
    anyhow::ensure!(file.is_file(), "{} is not a backup file", file.display());
    runtime()?.block_on(async {
        // A server holds the search index while it runs: taking it makes sure none is using the
        // database about to be replaced.
        let index = crate::search::open_index(&data_dir.search_index()).await?;
        let database = data_dir.database();
        let incoming = beside(&database, "restoring")?;
        remove_database_files(&incoming)?;
        // Gigabytes at 2.8 M papers: copied off the async runtime's threads.
        let (from, to) = (file.to_path_buf(), incoming.clone());
        tokio::task::spawn_blocking(move || std::fs::copy(from, to))
            .await?
            .with_context(|| format!("while copying {} into {}", file.display(), data_dir.root.display()))?;
        // Checked (and, if it is from an older version, migrated) before it replaces anything.
        let papers = match check(&incoming).await {
            Ok(papers) => papers,
            Err(error) => {
                remove_database_files(&incoming)?;
                return Err(error.context(format!("{} was not restored", file.display())));
            }
        };
        // The database being replaced is kept, write-ahead log and all: a mistaken restore loses nothing.
        let stamp = crate::clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let replaced = beside(&database, &format!("replaced-{stamp}"))?;
        for suffix in ["", "-wal", "-shm"] {
            let from = with_suffix(&database, suffix);
            if from.exists() {
                std::fs::rename(&from, with_suffix(&replaced, suffix))
                    .with_context(|| format!("while moving {} aside", from.display()))?;
            }
        }
        durable_rename(&incoming, &database)?;
        // The index describes the database that was replaced: it is built again from this one.
        tokio::task::spawn_blocking(move || index.clear()).await??;
        println!(
            "restored {papers} papers from {}; the database it replaced is kept as {}; the search index is \
             rebuilt when the server starts (or by paperboy reindex)",
            file.display(),
            replaced.display()
        );
        Ok(0)
    })
}

/// The data directory, when the instance keeps its data in SQLite there.
fn sqlite_instance(context: &Context, verb: &str) -> anyhow::Result<DataDir> {
    anyhow::ensure!(
        context.config()?.store.database_url.is_none(),
        "paperboy can only {verb} the SQLite database of a data directory; this instance uses PostgreSQL \
         (database_url): use pg_dump and pg_restore"
    );
    DataDir::create(context.data_dir.clone())
}

/// Opens a database file, checks every page and index, and counts its papers; an error says
/// what is wrong.
async fn check(path: &Path) -> anyhow::Result<u64> {
    let store = SqliteStore::open(path)
        .await
        .with_context(|| format!("{} is not a Paperboy database", path.display()))?;
    let checked = async {
        let problems = store.integrity_problems().await?;
        anyhow::ensure!(
            problems.is_empty(),
            "{} is damaged: {}",
            path.display(),
            problems.join("; ")
        );
        Ok(store.paper_totals().await?.papers)
    }
    .await;
    // Closing checkpoints the write-ahead log into the file, which then stands alone (a file
    // renamed without its log would lose what the log holds).
    store.close().await;
    let papers = checked?;
    let log = with_suffix(path, "-wal");
    anyhow::ensure!(
        std::fs::metadata(&log).map_or(true, |log| log.len() == 0),
        "{} still has a write-ahead log after closing, so it does not stand alone",
        path.display()
    );
    // The last connection to close deletes the empty log and its index, unless another one was
    // closing at the same moment; then they are left behind, empty, and go here.
    remove_files(path, &["-wal", "-shm"])?;
    Ok(papers)
}

/// `file` with `.{name}` after its name, in the same directory (a rename stays on one disk).
fn beside(file: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let file_name = file
        .file_name()
        .with_context(|| format!("{} names no file", file.display()))?;
    let mut beside = file_name.to_os_string();
    beside.push(format!(".{name}"));
    Ok(file.with_file_name(beside))
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a database file and its write-ahead log, if there are any.
fn remove_database_files(file: &Path) -> anyhow::Result<()> {
    remove_files(file, &["", "-wal", "-shm"])
}

/// Removes `file` with each suffix after its name, where there is one.
fn remove_files(file: &Path, suffixes: &[&str]) -> anyhow::Result<()> {
    for suffix in suffixes {
        let path = with_suffix(file, suffix);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("while removing {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Renames `from` to `to` once `from` is on disk, and makes the rename itself durable.
fn durable_rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::File::open(from)?.sync_all()?;
    std::fs::rename(from, to).with_context(|| format!("while renaming {} to {}", from.display(), to.display()))?;
    let directory = to
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(directory)?.sync_all()?;
    Ok(())
}
