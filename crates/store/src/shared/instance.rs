// What every process of an instance shares: rate-limit counters, leases, secrets, health checks.
// Included by both backends (`include!`), each after defining the `dialect` items it uses:
// the one implementation of these queries, compiled once for SQLite and once for PostgreSQL.

use async_trait::async_trait;

use super::dialect::{Backend, write_transaction};
use crate::{InstanceStore, StoreError};

/// How far back rate-limit windows are kept: twice the longest window (a day).
const RATE_LIMIT_ROWS_KEPT_SECONDS: i64 = 2 * 86_400;

#[async_trait]
impl InstanceStore for Backend {
    async fn take_rate_limit(&self, bucket: &str, window_start: i64, limit: u32) -> Result<bool, StoreError> {
        let mut transaction = write_transaction(&self.pool).await?;
        let hits: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_one(&mut *transaction)
        .await?;
        // Old windows are useless; dropping them here keeps the table small without a sweeper.
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1 AND window_start < $2")
            .bind(bucket)
            .bind(window_start)
            .execute(&mut *transaction)
            .await?;
        if hits == 1 {
            // A new window: also every bucket's windows that ended long ago, for the buckets of
            // clients that never come back. No window is longer than a day.
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(window_start - RATE_LIMIT_ROWS_KEPT_SECONDS)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(hits <= i64::from(limit))
    }

    async fn instance_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        let pool = &self.pool;
        sqlx::query("INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(fresh)
            .execute(pool)
            .await?;
        let value: String = sqlx::query_scalar("SELECT value FROM instance_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?;
        Ok(value)
    }

    async fn take_lease(&self, name: &str, holder: &str, now: i64, duration: i64) -> Result<bool, StoreError> {
        // One statement: the row's lock decides between two processes asking at once.
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + duration)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.is_some())
    }

    async fn lease_holder(&self, name: &str, now: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1 AND expires_at > $2")
                .bind(name)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn probe_write(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO write_probe (id, probed_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
