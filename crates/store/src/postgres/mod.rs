//! PostgreSQL, for instances that outgrow one machine: several replicas share it.
//!
//! The queries are the SQLite backend's (`../shared/`, included below with this file's
//! `dialect`). Where SQLite serializes writers (`BEGIN IMMEDIATE`), write transactions here take
//! one transaction-scoped advisory lock first, so the read-then-write steps (merging papers,
//! quotas, subscriptions) keep the exact semantics the conformance suite checks, across
//! replicas; digest claims instead lock only their rows (`FOR UPDATE SKIP LOCKED`).

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::StoreError;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

/// What the shared implementation needs to know of PostgreSQL.
mod dialect {
    use crate::StoreError;

    pub use sqlx::postgres::PgRow as DbRow;
    pub use sqlx::{PgConnection as Connection, PgPool as Pool, Postgres as Db};

    pub type Backend = super::PgStore;

    /// PostgreSQL accepts 65535 bound parameters per statement; stay well below.
    pub const MAX_BINDS: usize = 30_000;

    /// The elements of a paper's `code_links` JSON array, as a table `j` whose `value`s are
    /// the links (`CROSS JOIN {CODE_LINKS} j`).
    pub const CODE_LINKS: &str = "json_array_elements(p.code_links::json)";

    /// 96 random bits as 24 lower-case hex digits: a new member's public profile id.
    pub const RANDOM_PROFILE_ID: &str = "substr(replace(gen_random_uuid()::text, '-', ''), 1, 24)";

    /// Appended to the query that picks deliveries to claim: other workers skip these rows.
    pub const CLAIM_LOCK: &str = " FOR UPDATE OF d SKIP LOCKED";

    /// The advisory lock every write transaction takes (any constant would do; this spells PB).
    const WRITE_LOCK: i64 = 0x5042;

    /// A transaction that holds the write lock until it ends.
    pub async fn write_transaction(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, StoreError> {
        let mut transaction = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *transaction)
            .await?;
        Ok(transaction)
    }

    /// Claims take row locks (`CLAIM_LOCK`), not the write lock: workers of every replica claim
    /// at once without waiting for each other.
    pub async fn claim_transaction(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, StoreError> {
        Ok(pool.begin().await?)
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

impl PgStore {
    /// The connection pool, for the copy between backends.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Connects to `url` (`postgres://user:password@host/database`) and brings the schema up
    /// to date (migrations run under PostgreSQL's own lock, so replicas may start together).
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(|error: sqlx::Error| StoreError::Open {
            location: redact(url),
            reason: error.to_string(),
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .after_release(crate::reusable_after_release::<sqlx::Postgres>)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|error| StoreError::Open {
                location: redact(url),
                reason: error.to_string(),
            })?;
        MIGRATIONS.run(&pool).await?;
        Ok(PgStore { pool })
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}:…{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
