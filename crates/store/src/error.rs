//! What can go wrong in the store, in words a person can act on.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The message is the whole story (not a source too), so chains do not repeat it.
    #[error("{}", database_problem(.0))]
    Database(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored paper {id} is unreadable: {reason}")]
    CorruptRow { id: String, reason: String },
    #[error("cannot open the database at {location}: {reason}")]
    Open { location: String, reason: String },
}

impl StoreError {
    /// Whether the database refused to write because its disk is full or it is read-only: a
    /// state of the machine, not of the request, that passes when an operator makes room.
    pub fn is_unwritable(&self) -> bool {
        matches!(self, StoreError::Database(error) if unwritable(error).is_some())
    }
}

/// Why the database cannot write, when that is the problem: the disk is full (SQLite's 13,
/// PostgreSQL's 53100) or the database is read-only (8, 25006).
fn unwritable(error: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(database) = error else {
        return None;
    };
    match database.code().as_deref() {
        Some("13" | "53100") => Some("the disk holding the database is full: free some space and run it again"),
        Some("8" | "25006") => Some(
            "the database is read-only: its file, its directory or its disk cannot be written \
             (check the data directory's permissions and how its disk is mounted)",
        ),
        _ => None,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

/// A database error in words a person can act on: a full disk and a read-only database are
/// named as such.
pub(crate) fn database_problem(error: &sqlx::Error) -> String {
    if let Some(reason) = unwritable(error) {
        return reason.to_owned();
    }
    match error {
        sqlx::Error::Database(database) => format!("database error: {}", database.message()),
        other => format!("database error: {other}"),
    }
}

/// The pools' check of a connection coming back: it goes back only outside any transaction.
/// When a write fails for a full disk or an I/O error, SQLite rolls the transaction back by
/// itself; sqlx's own rollback then fails, it still counts the transaction as open, and every
/// later `BEGIN` on that connection would fail ("non-zero transaction depth") until a restart.
/// Such a connection is closed instead, and the pool opens a fresh one when it needs one.
pub(crate) fn reusable_after_release<DB: sqlx::Database>(
    connection: &mut DB::Connection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    use sqlx::Connection;
    Box::pin(async move {
        // A rollback queued when a transaction was dropped runs before the ping answers.
        connection.ping().await?;
        let in_transaction = connection.is_in_transaction();
        if in_transaction {
            tracing::warn!("a database connection came back inside a failed transaction; it is closed");
        }
        Ok(!in_transaction)
    })
}
