//! The embedded default: SQLite in WAL mode in the instance's data directory.
//!
//! The queries are shared with PostgreSQL (`../shared/`, included below with this file's
//! `dialect`): SQLite reads their numbered `$1` placeholders, `->>` and `TRUE`/`FALSE` alike.
//! Writers are serialized by `BEGIN IMMEDIATE`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreError;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// What a process mostly does with the database, which decides how its connections spend
/// memory and when they checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteWorkload {
    /// Reading pages and small writes (votes, sessions): SQLite's small page cache per
    /// connection, since the operating system's page cache holds the file anyway and a server
    /// must stay small.
    Serving,
    /// Writing many papers in large transactions (`paperboy import`). Each batch inserts into
    /// B-trees keyed at random (ids, listing days, categories); a page cache that holds them and
    /// a write-ahead log checkpointed fifty times less often write each page once per many
    /// papers instead of once per few (docs/performance.md).
    BulkImport,
}

impl SqliteWorkload {
    /// Pages held per connection (`PRAGMA cache_size` takes KiB when negative).
    fn cache_kib(self) -> u32 {
        match self {
            SqliteWorkload::Serving => 2_000,
            SqliteWorkload::BulkImport => 1 << 20,
        }
    }

    /// Write-ahead log pages after which a commit checkpoints into the database file.
    fn checkpoint_pages(self) -> u32 {
        match self {
            SqliteWorkload::Serving => 1_000,
            SqliteWorkload::BulkImport => 50_000,
        }
    }
}

/// What the shared implementation needs to know of SQLite.
mod dialect {
    use crate::StoreError;

    pub use sqlx::sqlite::SqliteRow as DbRow;
    pub use sqlx::{Sqlite as Db, SqliteConnection as Connection, SqlitePool as Pool};

    pub type Backend = super::SqliteStore;

    /// SQLite accepts 32766 bound parameters per statement; stay well below.
    pub const MAX_BINDS: usize = 30_000;

    /// The elements of a paper's `code_links` JSON array, as a table `j` whose `value`s are
    /// the links (`CROSS JOIN {CODE_LINKS} j`).
    pub const CODE_LINKS: &str = "json_each(p.code_links)";

    /// 96 random bits as 24 lower-case hex digits: a new member's public profile id.
    pub const RANDOM_PROFILE_ID: &str = "lower(hex(randomblob(12)))";

    /// Nothing to add: a claim holds the database's one write lock.
    pub const CLAIM_LOCK: &str = "";

    /// A transaction that takes the write lock at once, so a read inside it cannot be
    /// overtaken by another writer before its write.
    pub async fn write_transaction(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, StoreError> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Claims read then update: under the write lock, like every write here.
    pub async fn claim_transaction(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, StoreError> {
        write_transaction(pool).await
    }
}

mod papers {
    include!("../shared/papers.rs");
}
mod accounts {
    include!("../shared/accounts.rs");
}
mod community {
    include!("../shared/community.rs");
}
mod subscriptions {
    include!("../shared/subscriptions.rs");
}
mod deliveries {
    include!("../shared/deliveries.rs");
}
mod search_feed {
    include!("../shared/search_feed.rs");
}
mod harvest {
    include!("../shared/harvest.rs");
}
mod instance {
    include!("../shared/instance.rs");
}
mod library {
    include!("../shared/library.rs");
}
mod follows {
    include!("../shared/follows.rs");
}

mod comments {
    include!("../shared/comments.rs");
}
mod notifications {
    include!("../shared/notifications.rs");
}
mod rankings {
    include!("../shared/rankings.rs");
}

impl SqliteStore {
    /// The connection pool, for the copy between backends.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_for(path, SqliteWorkload::Serving).await
    }

    /// [`SqliteStore::open`], tuned for `workload`.
    pub async fn open_for(path: &Path, workload: SqliteWorkload) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // WAL lets pages be read while an import writes; NORMAL sync is durable at every
            // checkpoint and never corrupts, which is what WAL mode is designed for.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // A multi-row insert keeps a statement journal to undo itself on a conflict; in
            // memory it costs no temporary file per statement.
            .pragma("temp_store", "memory")
            .pragma("cache_size", format!("-{}", workload.cache_kib()))
            .pragma("wal_autocheckpoint", workload.checkpoint_pages().to_string());
        Self::connect(options, &path.display().to_string()).await
    }

    /// Writes a consistent copy of the whole database to `target` while others go on reading
    /// and writing: `VACUUM INTO` reads one snapshot, as any reader does in WAL mode, and writes
    /// it out compacted. `target` must not exist.
    pub async fn back_up_into(&self, target: &Path) -> Result<(), StoreError> {
        let target = target.to_str().ok_or_else(|| StoreError::Open {
            location: target.display().to_string(),
            reason: "the backup's path is not valid UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// SQLite's own check of every page, row and index: nothing when the file is sound, else
    /// what is wrong with it.
    pub async fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        let lines: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check").fetch_all(&self.pool).await?;
        Ok(lines
            .into_iter()
            .map(|(line,)| line)
            .filter(|line| line != "ok")
            .collect())
    }

    /// A private in-memory database, for tests.
    pub async fn in_memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        Self::connect(options, "memory").await
    }

    async fn connect(options: SqliteConnectOptions, location: &str) -> Result<SqliteStore, StoreError> {
        // One in-memory database exists per connection, so tests get a single connection.
        let max_connections = if location == "memory" { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .after_release(crate::reusable_after_release::<sqlx::Sqlite>)
            .connect_with(options)
            .await
            .map_err(|error| StoreError::Open {
                location: location.to_owned(),
                reason: why_not_open(location, &error),
            })?;
        MIGRATIONS.run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

/// Why the database at `location` did not open, in words a person can act on. SQLite says only
/// "unable to open database file" when its directory cannot be written (it needs to create the
/// write-ahead log beside the file), so the directory is asked directly.
fn why_not_open(location: &str, error: &sqlx::Error) -> String {
    if location == "memory" {
        return crate::database_problem(error);
    }
    let directory = Path::new(location).parent().unwrap_or(Path::new("."));
    let probe = directory.join(format!(".paperboy-write-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            crate::database_problem(error)
        }
        Err(io) if io.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
            "the database is read-only: its directory is on a disk mounted read-only".to_owned()
        }
        Err(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            "the database is read-only: its directory cannot be written (check its permissions)".to_owned()
        }
        Err(_) => crate::database_problem(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::InstanceStore;

    /// (cache_size, wal_autocheckpoint, temp_store) as a connection of `store` has them.
    async fn settings(store: &SqliteStore) -> (i64, i64, i64) {
        let mut connection = store.pool.acquire().await.unwrap();
        let mut read = async |pragma: &str| -> i64 {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {pragma}")))
                .fetch_one(&mut *connection)
                .await
                .unwrap()
        };
        (
            read("cache_size").await,
            read("wal_autocheckpoint").await,
            read("temp_store").await,
        )
    }

    #[tokio::test]
    async fn an_import_gets_a_large_page_cache_and_rare_checkpoints_and_a_server_does_not() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("paperboy.db");
        let serving = SqliteStore::open(&path).await.unwrap();
        // 2 = MEMORY: statement journals never become files.
        assert_eq!(settings(&serving).await, (-2_000, 1_000, 2));
        serving.close().await;
        let importing = SqliteStore::open_for(&path, SqliteWorkload::BulkImport).await.unwrap();
        assert_eq!(settings(&importing).await, (-(1 << 20), 50_000, 2));
        importing.close().await;
    }
}
